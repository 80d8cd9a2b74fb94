"""A run directory as a folder of Parquet files, in the layout of a Hub dataset repository.

::

    DIR/README.md                      dataset card; its ``configs:`` name the three tables
    DIR/scores/scores.parquet          one row per (task, setting, language, metric) score
    DIR/predictions/predictions.parquet one row per item (prediction and gold as JSON text)
    DIR/run/run.parquet                one row: the run's model, command, configuration, results.json

``pandas.read_parquet(DIR / "scores")`` and ``datasets.load_dataset("parquet",
data_dir=DIR / "scores")`` read a table directly; ``datasets.load_dataset(str(DIR), "scores")``
reads it through the card, as from the Hub after ``huggingface-cli upload``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from ..results import PARQUET_FILE, Results

TABLES = ("scores", "predictions", "run")


def _run_row(results: Results) -> dict:
    run = results.data["run"]
    config = run.get("config", {})
    return {
        "run_id": run["run_id"],
        "model": run["model"]["spec"],
        "model_fingerprint": run["model"].get("fingerprint"),
        "command": run.get("command"),
        "started": run.get("started"),
        "finished": run.get("finished"),
        "seed": run.get("seed"),
        "limit": config.get("limit"),
        "tasks": sorted(config.get("tasks", {})),
        "errors": run.get("errors"),
        "xling": run.get("software", {}).get("xling"),
        "results_json": json.dumps(results.data, ensure_ascii=False),
    }


def _card(results: Results) -> str:
    run = results.data["run"]
    header = {
        "configs": [
            {"config_name": t, "data_files": [{"split": "train", "path": f"{t}/*.parquet"}], "default": t == "scores"}
            for t in TABLES
        ],
        "tags": ["xling", "evaluation"],
    }
    return (
        f"---\n{yaml.safe_dump(header, sort_keys=False)}---\n\n"
        f"# xling results: {run['model']['spec']} (run {run['run_id']})\n\n"
        f"Command: `{run.get('command')}`\n\n"
        "- `scores`: one row per (task, setting, language, metric), values 0-100 with a 95% bootstrap CI\n"
        "- `predictions`: one row per scored item; `prediction` and `gold` are JSON text\n"
        "- `run`: the run's model, configuration and its full `results.json`\n"
    )


def export_run(run_dir: str | Path, to: str | Path) -> list[Path]:
    """Write the run's three tables and a dataset card under ``to``; the files written."""
    results = Results.load(run_dir)
    to = Path(to)
    run_id = results.data["run"]["run_id"]
    model = results.data["run"]["model"]["spec"]
    tables = {
        "scores": results.to_pandas().assign(run_id=run_id, model=model),
        "predictions": pd.read_parquet(results.run_dir / PARQUET_FILE),  # JSON text columns kept as stored
        "run": pd.DataFrame([_run_row(results)]),
    }
    written = []
    for name, frame in tables.items():
        folder = to / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    card = to / "README.md"
    card.write_text(_card(results), encoding="utf-8")
    return [card, *written]
