"""What a unit's predictions were computed from: every data file it read (with its sha256, or the
Hub revision) and the size of every training set it used. Noted while the unit runs, stored
with the unit, and compared with the files as they are now before a resumed run reuses it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import UserError
from ..hashing import file_sha256
from .archives import Member


class Task(Protocol):
    """What provenance reads of a task (:class:`xling.tasks.Task` has it)."""

    name: str
    spec: Any

    def root(self) -> Path: ...

    def uses_hub(self) -> bool: ...


@dataclass
class Reads:
    """The data files (keyed by task and path below the task's root) and training sets noted."""

    files: dict[tuple[str, str], dict] = field(default_factory=dict)
    training: dict[str, dict] = field(default_factory=dict)

    def add(self, other: Reads) -> None:
        self.files.update(other.files)
        self.training.update(other.training)

    def as_dict(self) -> dict:
        return {
            "files": [self.files[k] for k in sorted(self.files)],
            "training": [self.training[k] for k in sorted(self.training)],
        }


_active: ContextVar[tuple[Reads, ...]] = ContextVar("xling_reads", default=())


@contextmanager
def recording() -> Iterator[Reads]:
    """Collect what is read inside the block (nested blocks also report to the outer ones)."""
    reads = Reads()
    token = _active.set(_active.get() + (reads,))
    try:
        yield reads
    finally:
        _active.reset(token)


def replay(reads: Reads) -> None:
    """Note again what an earlier computation read (a value reused from a run's memo)."""
    for r in _active.get():
        r.add(reads)


def note_file(task: Task, path: Path | Member) -> None:
    """``task`` reads the local file ``path`` (for a member of an archive: the archive)."""
    active = _active.get()
    if not active:
        return
    if isinstance(path, Member):
        path = path.archive
    rel = os.path.relpath(path, task.root())
    entry = {"task": task.name, "path": str(path), "relpath": rel, "sha256": file_sha256(path)}
    for r in active:
        r.files[(task.name, rel)] = entry


def note_hub(task: Task) -> None:
    """``task`` reads from the Hugging Face Hub: its pinned revision stands for the content."""
    hub = task.spec.hub
    entry = {"task": task.name, "path": f"hub:{hub.id}", "config": hub.config, "revision": hub.revision}
    for r in _active.get():
        r.files[(task.name, entry["path"])] = entry


def note_training(where: str, items: int, failed: int, partial_allowed: bool) -> None:
    """A model was trained on ``items`` items of ``where``, ``failed`` of which had no usable
    model output (left out of the fit, which only ``partial_allowed`` permits)."""
    entry = {"data": where, "items": items, "failed": failed, "partial_allowed": partial_allowed}
    for r in _active.get():
        r.training[where] = entry


class Hasher:
    """Says whether recorded files still hold what they held, hashing each file once."""

    def __init__(self, tasks: dict[str, Task]):
        self.tasks = tasks
        self._sha: dict[Path, str | None] = {}

    def _digest(self, path: Path) -> str | None:
        if path not in self._sha:
            self._sha[path] = file_sha256(path) if path.is_file() else None
        return self._sha[path]

    def _path_now(self, task: Task | None, entry: dict) -> Path:
        """Where the recorded file is today: the same place below the task's root (which moves
        with --data-dir), or the recorded path for a task this run does not name."""
        return Path(entry["path"]) if task is None else task.root() / entry["relpath"]

    def unchanged(self, entry: dict) -> bool:
        """Whether the source an entry records still holds the same content."""
        task = self.tasks.get(entry["task"])
        on_hub = task is not None and task.uses_hub()
        if "revision" in entry:
            return on_hub and task.spec.hub.revision == entry["revision"]
        if on_hub:  # read from a local copy then, from the Hub now
            return False
        try:
            return self._digest(self._path_now(task, entry)) == entry["sha256"]
        except UserError:  # the data directory is gone: the rerun says so
            return False

    def current(self, provenance: dict | None) -> bool:
        """True when every file a unit read is unchanged (False for a unit stored without a record)."""
        return provenance is not None and all(self.unchanged(e) for e in provenance["files"])
