"""Checks before a run starts, and one writer per run directory.

:func:`check_cache` and :func:`open_run_dir` turn a read-only folder or a damaged SQLite file
into an error naming the file and the fix, before any model loads. :func:`open_run_dir` also
takes an exclusive lock (``fcntl.flock`` on ``DIR/.lock``) that the run holds until it ends;
the kernel drops it when the process dies, even under kill -9, so a stale lock never blocks.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import sqlite3
import tempfile
from contextvars import ContextVar
from pathlib import Path

from ..errors import UserError
from .store import PredictionStore

LOCK_FILE = ".lock"


class RunDirInUse(UserError):
    """Another process is writing the run directory."""


def check_writable_dir(path: Path, what: str, hint: str) -> None:
    """Create ``path`` if needed and write a file there; an error naming it when that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UserError(f"cannot write {what} {path}: {exc.strerror or exc}", hint=hint) from None


def check_sqlite(path: Path, hint: str) -> None:
    """An error naming ``path`` unless it is absent or a sound SQLite file this process can write."""
    if not path.exists():
        return
    try:
        con = sqlite3.connect(path, timeout=120, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout=120000")
            problems = [r[0] for r in con.execute("PRAGMA quick_check")]
            con.execute("BEGIN IMMEDIATE")  # can this process write it? (a lock alone does not tell)
            con.execute("CREATE TABLE xling_write_probe (x)")
            con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.Error as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        raise UserError(f"{path} is unusable: {'; '.join(problems[:3])}", hint=hint)


def check_cache(path: str | Path) -> None:
    """The response cache can be read and written (a damaged one names the file and the fix)."""
    path = Path(path)
    fix = f"move {path} away or pass --cache NEW; nothing else is lost (model answers are recomputed)"
    check_writable_dir(path.parent, "the folder of the response cache", f"make it writable, or {fix}")
    check_sqlite(path, fix)


_held: ContextVar[dict[Path, RunLock] | None] = ContextVar("xling_run_dirs", default=None)


def releases_run_dirs(fn):
    """Decorator: the run directories that ``fn`` opens with :func:`open_run_dir` are unlocked
    when it returns or raises; one that ``fn`` created is removed again when it raises before a
    unit was stored (a bad task or an unreachable Hub leaves no empty run behind; a run that
    stored units stays, to be resumed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = _held.set({})
        try:
            return fn(*args, **kwargs)
        except BaseException:
            for lock in _held.get().values():
                if lock.created is not None and not has_units(lock.run_dir):
                    remove_created(lock.run_dir, lock.created)
            raise
        finally:
            for lock in _held.get().values():
                lock.release()
            _held.reset(token)

    return wrapper


def open_run_dir(run_dir: str | Path) -> RunLock:
    """Check that ``run_dir`` is writable and its prediction store sound, and lock it (a second
    process stops at once, naming the pid that holds it). Inside :func:`releases_run_dirs` the
    lock is released for the caller, and a second call for the same directory does nothing."""
    run_dir = Path(run_dir)
    held = _held.get()
    if held is not None and run_dir.resolve() in held:
        return held[run_dir.resolve()]
    created = first_missing(run_dir)
    check_writable_dir(run_dir, "the run directory", "choose another --output, or make it writable")
    lock = RunLock(run_dir).acquire()
    lock.created = created
    store = run_dir / PredictionStore.FILE
    try:
        check_sqlite(
            store,
            f"move {store} away (this run then starts afresh) or pass another --output; "
            "the response cache keeps every model answer, so nothing else is lost",
        )
    except UserError:
        lock.release()
        raise
    if held is not None:
        held[run_dir.resolve()] = lock
    return lock


def first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None when ``path`` exists)."""
    missing = None
    path = path.absolute()
    while not path.exists():
        missing, path = path, path.parent
    return missing


def remove_created(run_dir: Path, created: Path) -> None:
    """Remove ``run_dir`` and then its parents up to ``created`` (the outermost folder this run
    made) while they are empty: what another run wrote there meanwhile stays."""
    run_dir, created = Path(run_dir).absolute(), Path(created).absolute()
    shutil.rmtree(run_dir, ignore_errors=True)
    folder = run_dir.parent
    while folder != created.parent and created in (folder, *folder.parents):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): keep what is there
            return
        folder = folder.parent


def has_units(run_dir: Path) -> bool:
    """Whether the prediction store in ``run_dir`` holds a finished unit of any run."""
    path = Path(run_dir) / PredictionStore.FILE
    if not path.is_file():
        return False
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute("SELECT 1 FROM units LIMIT 1").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return True  # unreadable: keep it, never delete what cannot be checked


class RunLock:
    """``fcntl.flock`` on ``DIR/.lock``, which holds the pid of the process holding it.
    ``created``: the outermost folder that the call that opened it made (None: it existed)."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self.created: Path | None = None
        self._fh = None

    def acquire(self) -> RunLock:
        fh = open(self.path, "a+", encoding="ascii")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "?"
            fh.close()
            raise RunDirInUse(
                f"{self.run_dir} is in use by pid {owner}",
                hint="wait for that run to end (or stop it), or choose another --output",
            ) from None
        fh.truncate(0)
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
