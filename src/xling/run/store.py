"""The prediction store: one row per (run, model, task, setting, language, item) in SQLite
inside the run directory. A unit's rows are written in one transaction with its 'done' mark,
so a crash never leaves a half-written unit and a resumed run never counts an item twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from ..calls.cache import connect
from ..crashpoints import crash_point
from ..types import Prediction, Unit

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, config TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    run_id TEXT, model TEXT, task TEXT, setting TEXT, language TEXT,
    n_items INTEGER, n_errors INTEGER, finished TEXT,
    PRIMARY KEY (run_id, model, task, setting, language));
CREATE TABLE IF NOT EXISTS predictions (
    run_id TEXT NOT NULL, model TEXT NOT NULL, task TEXT NOT NULL, setting TEXT NOT NULL,
    language TEXT NOT NULL, split TEXT NOT NULL, item_id TEXT NOT NULL, parallel_id TEXT NOT NULL,
    prediction TEXT, gold TEXT, score REAL, error TEXT,
    PRIMARY KEY (run_id, model, task, setting, language, item_id));
CREATE INDEX IF NOT EXISTS predictions_parallel ON predictions (run_id, task, setting, parallel_id);
CREATE TABLE IF NOT EXISTS invocations (
    run_id TEXT NOT NULL, invocation TEXT NOT NULL, started TEXT NOT NULL, calls TEXT NOT NULL,
    PRIMARY KEY (run_id, invocation));
"""
REPEATED = ("run_id", "model", "task", "setting", "language", "split")  # columns that name a unit
CHUNK_ROWS = 50_000  # rows per read of an undecoded table: Python's row tuples stay small
UNIT_COLUMNS = ("run_id", "model", "task", "setting", "language", "n_items", "n_errors", "finished", "provenance")

COLUMNS = [
    "run_id",
    "model",
    "task",
    "setting",
    "language",
    "split",
    "item_id",
    "parallel_id",
    "prediction",
    "gold",
    "score",
    "error",
]


_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(value, ensure_ascii=False), without a new encoder per value


def _decoded(value: object) -> object:
    return json.loads(value) if isinstance(value, (str, bytes)) else None


def _json(value: object) -> str | None:
    return None if value is None else _JSON.encode(value)


class PredictionStore:
    """Read and write the run directory's ``predictions.sqlite``."""

    FILE = "predictions.sqlite"

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / self.FILE
        self._con = connect(self.path)
        self._con.executescript(SCHEMA)
        self._add_provenance_column()

    def _add_provenance_column(self) -> None:
        """Stores written before units recorded their data files get the column; their units
        have no record, so a resumed run recomputes them (from the response cache)."""
        have = {r[1] for r in self._con.execute("PRAGMA table_info(units)")}
        if "provenance" not in have:
            self._con.execute("ALTER TABLE units ADD COLUMN provenance TEXT")

    def run_config(self, run_id: str) -> dict | None:
        row = self._con.execute("SELECT config FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def runs(self) -> list[str]:
        return [r[0] for r in self._con.execute("SELECT run_id FROM runs ORDER BY created")]

    def start_run(self, run_id: str, config: dict) -> None:
        with self._con:
            self._con.execute(
                "INSERT OR IGNORE INTO runs VALUES (?, ?, ?)",
                (run_id, json.dumps(config, sort_keys=True), datetime.now(UTC).isoformat()),
            )

    def done_units(self, run_id: str, model: str) -> set[Unit]:
        """Units stored without error rows (a unit with error rows is retried)."""
        return set(self.unit_provenance(run_id, model, clean_only=True))

    def unit_provenance(self, run_id: str, model: str, *, clean_only: bool = False) -> dict[Unit, dict | None]:
        """Each stored unit's record of the data files it read and its training sets (None when
        stored by an xling that kept no record); ``clean_only``: units without error rows."""
        sql = "SELECT task, setting, language, provenance FROM units WHERE run_id = ? AND model = ?"
        rows = self._con.execute(sql + (" AND n_errors = 0" if clean_only else ""), (run_id, model))
        return {Unit(t, s, lang): (json.loads(p) if p else None) for t, s, lang, p in rows}

    def record_invocation(self, run_id: str, invocation: str, started: str, calls: dict) -> None:
        """This invocation's call counters so far (replaced on every call)."""
        with self._con:
            self._con.execute(
                "INSERT OR REPLACE INTO invocations VALUES (?, ?, ?, ?)",
                (run_id, invocation, started, json.dumps(calls, sort_keys=True)),
            )

    def invocations(self, run_id: str) -> list[dict]:
        """Every invocation's call counters, oldest first."""
        rows = self._con.execute(
            "SELECT calls FROM invocations WHERE run_id = ? ORDER BY started, invocation", (run_id,)
        )
        return [json.loads(r[0]) for r in rows]

    def write_unit(
        self, run_id: str, model: str, unit: Unit, predictions: Iterable[Prediction], provenance: dict | None = None
    ) -> None:
        """All of a unit's predictions, its 'done' mark and what it was computed from, atomically."""
        rows = [
            (
                run_id,
                model,
                unit.task,
                unit.setting,
                unit.language,
                p.split,
                p.item_id,
                p.parallel_id,
                _json(p.prediction),
                _json(p.gold),
                p.score,
                p.error,
            )
            for p in predictions
        ]
        key = (run_id, model, unit.task, unit.setting, unit.language)
        with self._con:
            self._con.execute("BEGIN IMMEDIATE")
            self._con.execute(
                "DELETE FROM predictions WHERE run_id=? AND model=? AND task=? AND setting=? AND language=?", key
            )
            self._con.executemany(f"INSERT INTO predictions VALUES ({','.join('?' * len(COLUMNS))})", rows)
            crash_point("store.in_transaction")
            self._con.execute(
                f"INSERT OR REPLACE INTO units ({','.join(UNIT_COLUMNS)}) VALUES ({','.join('?' * len(UNIT_COLUMNS))})",
                (
                    *key,
                    len(rows),
                    sum(r[-1] is not None for r in rows),
                    datetime.now(UTC).isoformat(),
                    None if provenance is None else json.dumps(provenance, ensure_ascii=False, sort_keys=True),
                ),
            )
        crash_point("store.committed")

    def frame(self, run_id: str | None = None, *, decode: bool = True) -> pd.DataFrame:
        """The prediction table (prediction and gold JSON-decoded). ``decode=False`` keeps each
        prediction as its stored JSON text in column :data:`~xling.results.PREDICTION_JSON`
        (missing for a row without one), adds the gold's text as :data:`~xling.results.GOLD_JSON`
        and reads the table in chunks, the columns that name a unit as categories: what a run's
        scoring holds of a million items."""
        import pandas as pd  # here, not at import: a run loads pandas only once its model is done

        from ..results import GOLD_JSON, PREDICTION_JSON

        sql, args = "SELECT * FROM predictions", ()
        if run_id is not None:
            sql, args = sql + " WHERE run_id = ?", (run_id,)
        sql += " ORDER BY task, setting, language, item_id"
        if decode:
            df = pd.read_sql_query(sql, self._con, params=args)
            for col in ("prediction", "gold"):
                # NULL comes back as None, or as NaN when pandas sees a column with no text at all
                df[col] = [_decoded(v) for v in df[col]]
            return df
        chunks = list(pd.read_sql_query(sql, self._con, params=args, chunksize=CHUNK_ROWS))
        df = pd.concat(chunks, ignore_index=True) if chunks else pd.read_sql_query(sql, self._con, params=args)
        del chunks
        for col in REPEATED:  # a few distinct values over a million rows: one byte per row
            df[col] = df[col].astype("category")
        df["prediction"] = df["prediction"].astype("str")  # compact text (missing: NaN), not a Python object each
        df[GOLD_JSON] = df["gold"].astype("str")  # the Parquet file takes the stored text
        df["gold"] = [_decoded(v) for v in df["gold"]]
        for col in ("score", "error"):  # the dtype one read of the whole column gives (a chunk may be all NULL)
            df[col] = df[col].tolist()
        return df.rename(columns={"prediction": PREDICTION_JSON})

    def close(self) -> None:
        self._con.close()
