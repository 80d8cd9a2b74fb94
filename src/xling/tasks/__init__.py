"""Task specs (declarative YAML), readers of release layouts, and the catalog."""

from .lookup import get_task, list_tasks, load_task_file, training_task
from .policy import DEFAULT_POLICY, ReadPolicy
from .task import Task

__all__ = ["DEFAULT_POLICY", "ReadPolicy", "Task", "get_task", "list_tasks", "load_task_file", "training_task"]
