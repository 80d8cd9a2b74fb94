"""Task specs (declarative YAML), readers of release layouts, and the catalog."""
from .registry import Task, get_task, list_tasks, load_task_file

__all__ = ["Task", "get_task", "list_tasks", "load_task_file"]

from . import llm_readers  # noqa: E402,F401  (registers the LLM task files' JSONL layouts)
