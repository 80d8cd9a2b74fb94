"""Run progress on stderr (stdout stays clean for tables and pipes): a rich progress bar on a
terminal, plain log lines with rates and an ETA elsewhere (CI, nohup, a notebook's subprocess)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..types import Unit

DEFAULT_LOG_SECONDS = 15.0


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


def clock_time(seconds: float) -> str:
    """``seconds`` as H:MM:SS (or M:SS under an hour)."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class LogReporter:
    """One line per ``every`` seconds (at the next unit or model call): units done, model calls
    and their rate, elapsed time and an ETA from the units this invocation finished; one line
    when the run starts and one when it ends."""

    def __init__(
        self,
        total_units: int,
        stream: TextIO,
        every: float = DEFAULT_LOG_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total = total_units
        self.stream = stream
        self.every = every
        self.clock = clock
        self.start = self.last = clock()
        self.resumed = self.done = self.calls = 0
        self.current = ""
        self._write(f"progress: {total_units} units to run")

    def start_unit(self, unit: Unit) -> None:
        self.current = f"{unit.task} {unit.setting} {unit.language}"
        self._maybe_log()

    def advance_unit(self, unit: Unit | None, skipped: bool = False) -> None:
        if skipped:
            self.resumed += 1
        else:
            self.done += 1
        self._maybe_log()

    def advance_texts(self, n: int) -> None:
        self.calls += n
        self._maybe_log()

    def close(self) -> None:
        self.current = ""
        self._write(self.line(final=True))

    def line(self, final: bool = False) -> str:
        elapsed = self.clock() - self.start
        finished = self.resumed + self.done
        rate = f" ({self.calls / elapsed:.1f}/s)" if elapsed > 0 else ""
        parts = [
            f"{finished}/{self.total} units ({100 * finished / max(self.total, 1):.0f}%)"
            + (f", {self.resumed} resumed" if self.resumed else ""),
            f"{self.calls} model calls{rate}",
            f"elapsed {clock_time(elapsed)}",
        ]
        if not final:
            left = self.total - finished
            eta = clock_time(elapsed / self.done * left) if self.done else "–"
            parts.append(f"ETA {eta}")
        now = f"; now {self.current}" if self.current else ""
        return ("done: " if final else "progress: ") + ", ".join(parts) + now

    def _maybe_log(self) -> None:
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self._write(self.line())

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def reporter_for(console: Console, every: float = DEFAULT_LOG_SECONDS) -> Callable[[int], RichReporter | LogReporter]:
    """The progress factory for ``console``: a bar on a terminal, log lines elsewhere."""
    if console.is_terminal:
        return lambda n: RichReporter(n, console)
    return lambda n: LogReporter(n, console.file, every)
