"""Task specs (declarative YAML), readers of release layouts, and the catalog."""

from .registry import Task, get_task, list_tasks, load_task_file

__all__ = ["Task", "get_task", "list_tasks", "load_task_file"]
