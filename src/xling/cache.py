"""The response cache: model outputs keyed by (model fingerprint, exact request), shared by all
runs and tasks, so no text is embedded twice. SQLite in WAL mode: safe under kill -9 (a batch
is one transaction) and under several processes sharing the file."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

from .crashpoints import crash_point

CACHE_DIR_ENV = "XLING_CACHE_DIR"
_CHUNK = 500  # keys per SELECT ... IN (...) (SQLite's variable limit is far above)


def default_cache_path() -> Path:
    """``$XLING_CACHE_DIR/responses.sqlite``, else ``~/.cache/xling/responses.sqlite``."""
    base = os.environ.get(CACHE_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "xling")
    return Path(base) / "responses.sqlite"


def request_key(request: object) -> bytes:
    """A 128-bit digest of a JSON-serialisable request (the exact text, role, kind of call)."""
    blob = json.dumps(request, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return hashlib.blake2b(blob, digest_size=16).digest()


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the settings every xling SQLite file uses."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=120, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA busy_timeout=120000")
    return con


class ResponseCache:
    """Get and put model responses in bulk."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_cache_path()
        self._con = connect(self.path)
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS responses (model TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
            " PRIMARY KEY (model, key)) WITHOUT ROWID"
        )

    def get_many(self, model: str, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        keys = list(keys)
        found: dict[bytes, bytes] = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._con.execute(
                f"SELECT key, value FROM responses WHERE model = ? AND key IN ({marks})", (model, *chunk)
            )
            found.update(rows)
        return found

    def put_many(self, model: str, entries: Mapping[bytes, bytes]) -> None:
        """Store entries in one transaction: all of them or none survive a crash."""
        with self._con:
            self._con.execute("BEGIN IMMEDIATE")
            self._con.executemany(
                "INSERT OR IGNORE INTO responses (model, key, value) VALUES (?, ?, ?)",
                [(model, k, v) for k, v in entries.items()],
            )
            crash_point("cache.in_transaction")
        crash_point("cache.committed")

    def count(self, model: str | None = None) -> int:
        if model is None:
            return self._con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        return self._con.execute("SELECT COUNT(*) FROM responses WHERE model = ?", (model,)).fetchone()[0]

    def close(self) -> None:
        self._con.close()
