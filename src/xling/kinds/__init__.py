"""Kinds: how a task's items become model requests and scored predictions."""

from .base import KINDS, Kind, RunContext
from .registry import get_kind, make_kind

__all__ = ["KINDS", "Kind", "RunContext", "get_kind", "make_kind"]
