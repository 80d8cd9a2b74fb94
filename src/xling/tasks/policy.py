"""How a run reads task data: what a bad row does, where files may be, how long a cell may be."""

from __future__ import annotations

from dataclasses import dataclass

from .readers import MAX_CELL_CHARS


@dataclass(frozen=True)
class ReadPolicy:
    """``skip_bad_rows``: malformed rows are counted (per file) instead of stopping the run at the
    first one. ``allow_outside``: a task file may read outside the data directory it names.
    ``max_cell_chars``: a longer cell makes its row a bad row."""

    skip_bad_rows: bool = False
    allow_outside: bool = False
    max_cell_chars: int = MAX_CELL_CHARS


DEFAULT_POLICY = ReadPolicy()

__all__ = ["ReadPolicy", "DEFAULT_POLICY"]
