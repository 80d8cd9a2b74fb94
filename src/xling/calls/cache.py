"""The response cache: model outputs keyed by (model fingerprint, exact request), shared by all
runs and tasks, so no text is embedded twice. SQLite in WAL mode: safe under kill -9 (a write
is one transaction) and under several processes sharing the file.

Every value is stored with its dtype, shape and a checksum over (model, key, dtype, shape,
value), verified on read: SQLite's own integrity check does not see bytes changed inside a
value. A value that fails the check is a miss (recomputed and overwritten) and a
:class:`CacheWarning` names the file. An embedding model's vector size is pinned per
fingerprint in the ``vector_sizes`` table.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
import time
import warnings
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path

import numpy as np

from ..crashpoints import crash_point
from .cache_dir import cache_dir

_CHUNK = 500  # keys per SELECT ... IN (...) (SQLite's variable limit is far above)
BYTES = "bytes"  # dtype of a value stored as raw bytes (LM answers, translations)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS responses (model TEXT NOT NULL, key BLOB NOT NULL, dtype TEXT NOT NULL,"
    " shape TEXT NOT NULL, value BLOB NOT NULL, checksum BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS vector_sizes (model TEXT PRIMARY KEY, size INTEGER NOT NULL, source TEXT NOT NULL)",
)


class CacheWarning(UserWarning):
    """Cache entries were found damaged (or in an old format) and are recomputed."""


def default_cache_path() -> Path:
    """``$XLING_CACHE_DIR/responses.sqlite``, else ``~/.cache/xling/responses.sqlite``."""
    return cache_dir() / "responses.sqlite"


_KEY_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)  # one, not one per call


def request_key(request: object) -> bytes:
    """A 128-bit digest of a JSON-serialisable request (the exact text, role, kind of call)."""
    if type(request) is list and all(type(part) is str for part in request):  # most requests: the same JSON, faster
        text = "[" + ",".join(map(encode_basestring, request)) + "]"
    else:
        text = _KEY_JSON.encode(request)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


LOCK_WAIT = 120.0  # seconds a connection waits for another process's lock
# Page cache per connection and write-ahead log pages between checkpoints. A batch of answers
# lands on random pages of the responses table (its keys are digests), so with SQLite's defaults
# (2 MB, 1,000 pages) a large cache rereads its pages and checkpoints every few batches; these keep
# the pages in memory and checkpoint every 40 MB (2.7x less time writing 200,000 answers).
CACHE_KIB = 65536
WAL_PAGES = 10000


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the settings every xling SQLite file uses."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")
        _write_ahead_log(con)
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        con.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
    except BaseException:
        con.close()
        raise
    return con


def _write_ahead_log(con: sqlite3.Connection) -> None:
    """Put the file in WAL mode. SQLite can answer that pragma with "database is locked" at once,
    without waiting on the busy timeout (while another process holds the file or recovers the log
    of one that was killed), so it is retried with backoff for up to ``LOCK_WAIT`` seconds."""
    deadline, delay = time.monotonic() + LOCK_WAIT, 0.01
    while True:
        try:
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(2 * delay, 1.0)


_LENGTHS = struct.Struct("<5Q")  # five lengths, 8 bytes little-endian each


def checksum(model: str, key: bytes, dtype: str, shape: str, value: bytes) -> bytes:
    """A 128-bit digest binding a value to its model, key, dtype and shape."""
    m, d, s = model.encode("utf-8"), dtype.encode("utf-8"), shape.encode("utf-8")
    n = _LENGTHS.pack(len(m), len(key), len(d), len(s), len(value))  # each part follows its length
    blob = b"".join((n[:8], m, n[8:16], key, n[16:24], d, n[24:32], s, n[32:], value))
    return hashlib.blake2b(blob, digest_size=16).digest()


def _encode(value: bytes | np.ndarray) -> tuple[str, str, bytes]:
    """``(dtype, shape, bytes)`` of a value to store."""
    if isinstance(value, np.ndarray):
        return value.dtype.str, json.dumps(list(value.shape)), np.ascontiguousarray(value).tobytes()
    return BYTES, f"[{len(value)}]", bytes(value)  # json.dumps([len(value)])


def _decode(dtype: str, shape: str, value: bytes) -> bytes | np.ndarray:
    dims = tuple(json.loads(shape))
    if dtype == BYTES:
        return value
    return np.frombuffer(value, dtype=np.dtype(dtype)).reshape(dims)


class StoredKeys:
    """A set of keys that only counts members: each key's first 8 bytes as a sorted uint64 array
    (16 MB for two million answers, where a set of bytes takes ten times that through a run's
    scoring). Two keys sharing 8 bytes of a 16-byte digest are too rare to move a counter."""

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype=np.uint64)
        self._new: list[np.ndarray] = []

    @staticmethod
    def _prefixes(keys: Iterable[bytes]) -> np.ndarray:
        return np.frombuffer(b"".join(k[:8].ljust(8, b"\0") for k in keys), dtype=np.uint64)

    def add(self, keys: Iterable[bytes]) -> None:
        self._new.append(np.sort(self._prefixes(keys)))

    def count(self, keys: Iterable[bytes]) -> int:
        if self._new:  # sorted runs: a stable sort merges them in linear time
            merged = np.sort(np.concatenate([self._sorted, *self._new]), kind="stable")
            self._sorted = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
            self._new = []
        wanted = self._prefixes(keys)
        if not len(wanted) or not len(self._sorted):
            return 0
        at = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
        return int((self._sorted[at] == wanted).sum())


class ResponseCache:
    """Get and put model responses in bulk, verified on read."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_cache_path()
        self._con = connect(self.path)
        self._create()
        self.damaged = 0  # entries that failed their check since this cache was opened
        self._stored: dict[str, StoredKeys] = {}  # per model, the entries stored since this cache was opened

    def _create(self) -> None:
        """The tables; a ``responses`` table of the old format (no checksums) is dropped."""
        with self._con:
            self._con.execute("BEGIN IMMEDIATE")
            cols = {r[1] for r in self._con.execute("PRAGMA table_info(responses)")}
            if cols and "checksum" not in cols:
                old = self._con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
                self._con.execute("DROP TABLE responses")
                warnings.warn(
                    f"response cache {self.path}: {old} entries of an older format (without checksums) "
                    f"were dropped; they are recomputed when needed",
                    CacheWarning,
                    stacklevel=3,
                )
            for statement in SCHEMA:
                self._con.execute(statement)

    def get_many(
        self, model: str, keys: Iterable[bytes], *, dtype: str = BYTES, shape: tuple[int, ...] | None = None
    ) -> dict[bytes, bytes | np.ndarray]:
        """The verified values of ``keys`` that are cached, of this ``dtype`` (and ``shape`` when
        given); any other entry is a miss, counted in ``damaged`` and named in a warning."""
        keys = list(keys)
        found: dict[bytes, bytes | np.ndarray] = {}
        bad = 0
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._con.execute(
                f"SELECT key, dtype, shape, value, checksum FROM responses WHERE model = ? AND key IN ({marks})",
                (model, *chunk),
            )
            for key, *entry in rows:
                value = self._verified(model, key, *entry, dtype_wanted=dtype, shape_wanted=shape)
                if value is None:
                    bad += 1
                else:
                    found[key] = value
        if bad:
            self.damaged += bad
            want = dtype if shape is None else f"{dtype} {list(shape)}"
            warnings.warn(
                f"response cache {self.path}: {bad} damaged entr{'y' if bad == 1 else 'ies'} of model "
                f"{model!r} (a wrong checksum, or not {want}) ignored; recomputed and overwritten",
                CacheWarning,
                stacklevel=2,
            )
        return found

    @staticmethod
    def _verified(
        model: str,
        key: bytes,
        dtype: object,
        shape: object,
        value: object,
        digest: object,
        *,
        dtype_wanted: str,
        shape_wanted: tuple[int, ...] | None,
    ) -> bytes | np.ndarray | None:
        """The decoded value, or None when the entry is damaged or not of the wanted dtype/shape."""
        if not (
            isinstance(dtype, str) and isinstance(shape, str) and isinstance(value, bytes) and isinstance(digest, bytes)
        ):
            return None
        if digest != checksum(model, key, dtype, shape, value) or dtype != dtype_wanted:
            return None
        try:
            out = _decode(dtype, shape, value)
        except (ValueError, TypeError):
            return None
        if shape_wanted is not None and getattr(out, "shape", None) != tuple(shape_wanted):
            return None
        return out

    def put_many(self, model: str, entries: Mapping[bytes, bytes | np.ndarray]) -> None:
        """Store entries (bytes or arrays) in one transaction: all of them or none survive a crash.
        An entry already there is overwritten (it may be one that failed its check).

        Rows go in in key order: the keys are digests, so in any other order each insert lands on
        a random page of the table; in order, consecutive inserts share pages (2M answers in
        batches of 100k: 72 s in arrival order, 48-52 s sorted)."""
        rows = []
        for k, v in sorted(entries.items(), key=itemgetter(0)):
            dtype, shape, blob = _encode(v)
            rows.append((model, k, dtype, shape, blob, checksum(model, k, dtype, shape, blob)))
        with self._con:
            self._con.execute("BEGIN IMMEDIATE")
            self._con.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)", rows)
            crash_point("cache.in_transaction")
        crash_point("cache.committed")
        self._stored.setdefault(model, StoredKeys()).add(entries)

    def stored_since_open(self, model: str, keys: Iterable[bytes]) -> int:
        """How many of ``keys`` this cache object stored for ``model`` (answers computed earlier in this run)."""
        stored = self._stored.get(model)
        return stored.count(keys) if stored else 0

    def vector_size(self, model: str) -> int | None:
        """The vector size pinned for an embedding model, or None."""
        row = self._con.execute("SELECT size FROM vector_sizes WHERE model = ?", (model,)).fetchone()
        return row[0] if row and isinstance(row[0], int) and row[0] > 0 else None

    def pin_vector_size(self, model: str, size: int, source: str) -> int:
        """Pin ``size`` for ``model`` unless one is pinned already; returns the pinned size."""
        with self._con:
            self._con.execute("BEGIN IMMEDIATE")
            self._con.execute("INSERT OR IGNORE INTO vector_sizes VALUES (?, ?, ?)", (model, int(size), source))
        return self.vector_size(model) or int(size)

    def count(self, model: str | None = None) -> int:
        if model is None:
            return self._con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        return self._con.execute("SELECT COUNT(*) FROM responses WHERE model = ?", (model,)).fetchone()[0]

    def close(self) -> None:
        self._con.close()
