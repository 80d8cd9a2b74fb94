"""Kinds: how a task's items become model requests and scored predictions."""

from .base import KINDS, Kind, RunContext
from .config import DEFAULT_BATCH_SIZE, RunConfig
from .registry import WorkerKinds, get_kind

__all__ = ["DEFAULT_BATCH_SIZE", "KINDS", "Kind", "RunConfig", "RunContext", "WorkerKinds", "get_kind"]
