"""A run's scores in an experiment tracker: MLflow (a local file store) or W&B (offline mode).

Each tracker gets the run's parameters (model, run id, seed, limit, tasks), one metric per score
(``task/setting/language/metric``) and the exported Parquet folder as artifacts. Both libraries
are optional (``pip install 'xling[trackers]'``) and are imported only here.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError
from ..results import Results

TRACKERS = ("mlflow", "wandb")
PROJECT = "xling"
MLFLOW_FILE_STORE = "MLFLOW_ALLOW_FILE_STORE"


def metric_key(score: dict) -> str:
    """``task/setting/language/metric`` in the characters both trackers accept in a metric name."""
    raw = "/".join(str(score[k]) for k in ("task", "setting", "language", "metric"))
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", raw)


def _params(results: Results) -> dict:
    run = results.data["run"]
    config = run.get("config", {})
    return {
        "model": run["model"]["spec"],
        "model_fingerprint": run["model"].get("fingerprint"),
        "run_id": run["run_id"],
        "seed": run.get("seed"),
        "limit": config.get("limit"),
        "tasks": ",".join(sorted(config.get("tasks", {}))),
    }


def _metrics(results: Results) -> dict[str, float]:
    return {metric_key(s): float(s["value"]) for s in results.scores if s.get("value") is not None}


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise UserError(f"--log-to {name} needs the {name} package", hint="pip install 'xling[trackers]'") from exc


@contextmanager
def _file_store_allowed() -> Iterator[None]:
    """MLflow 3.x keeps the local file store in maintenance mode behind an opt-in variable."""
    before = os.environ.get(MLFLOW_FILE_STORE)
    os.environ[MLFLOW_FILE_STORE] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MLFLOW_FILE_STORE, None)
        else:
            os.environ[MLFLOW_FILE_STORE] = before


def _mlflow(results: Results, exported: Path, where: Path) -> str:
    mlflow = _import("mlflow")
    with _file_store_allowed():
        return _mlflow_run(mlflow, results, exported, where)


def _mlflow_run(mlflow, results: Results, exported: Path, where: Path) -> str:
    mlflow.set_tracking_uri(where.resolve().as_uri())
    mlflow.set_experiment(PROJECT)
    with mlflow.start_run(run_name=f"{results.data['run']['model']['spec']} {results.data['run']['run_id']}") as run:
        mlflow.log_params(_params(results))
        mlflow.log_metrics(_metrics(results))
        mlflow.log_artifacts(str(exported), artifact_path="xling-export")
        return f"MLflow run {run.info.run_id} in {where} (mlflow ui --backend-store-uri {where.resolve().as_uri()})"


def _wandb(results: Results, exported: Path, where: Path) -> str:
    wandb = _import("wandb")
    where.mkdir(parents=True, exist_ok=True)
    run = wandb.init(
        project=PROJECT,
        mode="offline",
        dir=str(where),
        name=f"{results.data['run']['model']['spec']} {results.data['run']['run_id']}",
        config=_params(results),
        settings=wandb.Settings(silent=True),
    )
    try:
        run.summary.update(_metrics(results))
        frame = results.to_pandas()
        run.log({"scores": wandb.Table(dataframe=frame[["task", "setting", "language", "metric", "value", "n"]])})
        artifact = wandb.Artifact(f"xling-{results.data['run']['run_id']}", type="evaluation")
        artifact.add_dir(str(exported))
        run.log_artifact(artifact)
        folder = run.dir
    finally:
        run.finish()
        wandb.teardown()  # waits for the W&B service to write the offline run out
    return f"W&B offline run in {Path(folder).parent} (wandb sync to upload it)"


def log_run(results: Results, tracker: str, exported: Path, where: Path) -> str:
    """Log a run to ``tracker``, storing under ``where``; a line saying where it went."""
    if tracker == "mlflow":
        return _mlflow(results, exported, where)
    if tracker == "wandb":
        return _wandb(results, exported, where)
    raise UserError(f"unknown tracker {tracker!r}", hint=f"choose one of: {', '.join(TRACKERS)}")
