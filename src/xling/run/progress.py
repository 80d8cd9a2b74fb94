"""A rich progress bar for runs (on stderr, so stdout stays clean for tables and pipes)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..types import Unit


class RichReporter:
    """Two bars: units of work, and texts sent to the model."""

    def __init__(self, total_units: int, console: Console | None = None):
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        self._units = self._progress.add_task("units", total=total_units)
        self._texts = self._progress.add_task("model calls", total=None)

    def start_unit(self, unit: Unit) -> None:
        self._progress.update(self._units, description=f"{unit.task} {unit.setting} {unit.language}")

    def advance_unit(self, unit: Unit, skipped: bool = False) -> None:
        self._progress.advance(self._units)

    def advance_texts(self, n: int) -> None:
        self._progress.advance(self._texts, n)

    def close(self) -> None:
        self._progress.update(self._units, description="units")
        self._progress.stop()
