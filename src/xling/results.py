"""results.json (schema-validated on write) and the Results object returned by the API."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema
import pandas as pd

from .replacing import replacing

SCHEMA_VERSION = "1.0"
RESULTS_FILE = "results.json"
PARQUET_FILE = "predictions.parquet"


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON Schema of results.json, shipped in the package."""
    return json.loads(resources.files("xling.schema").joinpath("results.schema.json").read_text("utf-8"))


def _clean(obj):
    """NaN is not JSON: write null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def write_results(run_dir: Path, data: dict) -> Path:
    """Validate against the schema, then write atomically (a crash leaves the old file or the new one)."""
    data = _clean(data)
    jsonschema.validate(data, schema())
    path = Path(run_dir) / RESULTS_FILE
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


JSON_COLUMNS = ("prediction", "gold")
#: The prediction table's column of still-encoded predictions (JSON text, as stored): a run's
#: scoring reads the table with it in place of ``prediction`` and decodes one group of rows at a
#: time (:func:`xling.scoring.base.with_predictions`), so the decoded records of a million items
#: are never all in memory at once.
PREDICTION_JSON = "prediction_json"
GOLD_JSON = "gold_json"  # the gold's stored text beside its decoded value, for the Parquet file


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """The prediction table as Parquet. ``prediction`` and ``gold`` hold values of any type
    (label, rank, similarity, answer list) and differ between tasks, so they are stored as JSON
    text, as in the SQLite store; :meth:`Results.predictions` decodes them. Where the table holds
    their stored text (:data:`PREDICTION_JSON`, :data:`GOLD_JSON`), that text is written as it is."""
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(v, ensure_ascii=False), one encoder
    enc = {}
    for column in JSON_COLUMNS:
        if STORED_TEXT[column] in frame:
            enc[column] = frame[STORED_TEXT[column]]  # Arrow text (missing: null), written without a copy
        elif column in frame:
            enc[column] = [None if v is None else encode(v) for v in frame[column]]
    table = frame.drop(columns=GOLD_JSON, errors="ignore").rename(columns={PREDICTION_JSON: "prediction"})
    for column in table.columns:  # a category in memory is plain text in the file
        if isinstance(table[column].dtype, pd.CategoricalDtype):
            enc[column] = table[column].astype("str")
    with replacing(Path(path)) as tmp:
        table.assign(**enc).to_parquet(tmp, index=False)  # the columns in the table's order


STORED_TEXT = {"prediction": PREDICTION_JSON, "gold": GOLD_JSON}  # a column's stored JSON text, when a table holds it


class Results:
    """A finished run: ``scores`` (list of dicts), ``to_pandas()``, ``predictions()``, ``run_dir``."""

    def __init__(self, run_dir: Path, data: dict):
        self.run_dir = Path(run_dir)
        self.data = data

    @classmethod
    def load(cls, run_dir: str | Path) -> Results:
        from .errors import UserError

        path = Path(run_dir) / RESULTS_FILE
        if not path.is_file():
            raise UserError(
                f"{str(run_dir)!r} holds no {RESULTS_FILE}",
                hint="give the directory `xling run` wrote (see its --output)",
            )
        data = json.loads(path.read_text("utf-8"))
        jsonschema.validate(data, schema())
        return cls(path.parent, data)

    @property
    def scores(self) -> list[dict]:
        return self.data["scores"]

    @property
    def errors(self) -> int:
        return self.data["run"]["errors"]

    def to_pandas(self) -> pd.DataFrame:
        """One row per (task, setting, language, metric) score."""
        return pd.DataFrame(self.scores)

    def predictions(self) -> pd.DataFrame:
        """The per-item prediction table."""
        df = pd.read_parquet(self.run_dir / PARQUET_FILE)
        for col in JSON_COLUMNS:
            if col in df:
                # missing values come back as None or NaN depending on the pandas string dtype
                df[col] = [json.loads(v) if isinstance(v, str) else None for v in df[col]]
        return df

    def __repr__(self) -> str:
        return f"Results({str(self.run_dir)!r}, {len(self.scores)} scores)"
