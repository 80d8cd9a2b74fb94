"""Task specs (declarative YAML), readers of release layouts, and the catalog.

The names below load on first use, so that a module of this package that needs no spec model
(the catalog's listing) imports no validator."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lookup import get_task, list_tasks, load_task_file, training_task
    from .policy import DEFAULT_POLICY, ReadPolicy
    from .task import Task

_HOME = {
    "get_task": "lookup",
    "list_tasks": "lookup",
    "load_task_file": "lookup",
    "training_task": "lookup",
    "DEFAULT_POLICY": "policy",
    "ReadPolicy": "policy",
    "Task": "task",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOME[name]}", __name__), name)


__all__ = ["DEFAULT_POLICY", "ReadPolicy", "Task", "get_task", "list_tasks", "load_task_file", "training_task"]
