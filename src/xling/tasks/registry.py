"""The former home of :class:`Task`; import it from :mod:`xling.tasks`."""

from .task import Task

__all__ = ["Task"]
