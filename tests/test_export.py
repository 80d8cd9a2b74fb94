"""``xling export``: a run as Parquet that pandas and ``datasets`` read, and to MLflow / W&B offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from helpers import planted_lm
from helpers.cli import xling_in_process
from xling import evaluate
from xling.export.trackers import metric_key


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    mp = pytest.MonkeyPatch()
    planted_lm.register(mp)
    base = tmp_path_factory.mktemp("export")
    spec = planted_lm.write_planted_task(base / "task", items=30)
    res = evaluate("planted:70-0", task_files=[spec], output=base / "run", cache_path=base / "cache.sqlite")
    yield res.run_dir
    mp.undo()


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory) -> Path:
    to = tmp_path_factory.mktemp("exported") / "out"
    res = xling_in_process("export", str(run_dir), "--to", str(to))
    assert res.returncode == 0, res.stderr
    return to


def test_pandas_reads_scores_predictions_and_run_metadata(run_dir, exported):
    results = json.loads((run_dir / "results.json").read_text("utf-8"))
    scores = pd.read_parquet(exported / "scores")
    assert sorted(scores["value"]) == sorted(s["value"] for s in results["scores"])
    assert set(scores["run_id"]) == {results["run"]["run_id"]} and set(scores["model"]) == {"planted:70-0"}
    preds = pd.read_parquet(exported / "predictions")
    assert len(preds) == 60 and preds["score"].mean() == pytest.approx(0.7)
    assert json.loads(preds["gold"].iloc[0]) == ["c0"]  # JSON text, as the run stores it
    run = pd.read_parquet(exported / "run")
    assert len(run) == 1 and json.loads(run["results_json"].iloc[0]) == results
    assert list(run["tasks"].iloc[0]) == ["planted-qa"]


def test_datasets_loads_each_table_from_its_folder_and_through_the_card(exported, tmp_path):
    datasets = pytest.importorskip("datasets")
    preds = datasets.load_dataset("parquet", data_dir=str(exported / "predictions"), cache_dir=str(tmp_path / "c"))
    assert preds["train"].num_rows == 60
    scores = datasets.load_dataset(str(exported), "scores", cache_dir=str(tmp_path / "c2"))
    assert scores["train"].num_rows == 4 and "ci_low" in scores["train"].column_names  # EM and F1, two languages
    card = (exported / "README.md").read_text("utf-8")
    assert card.startswith("---\nconfigs:") and "planted:70-0" in card


@pytest.mark.slow  # MLflow imports and writes its store: about 10 s
def test_log_to_mlflow_writes_a_local_file_store(run_dir, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    res = xling_in_process(
        "export", str(run_dir), "--to", str(tmp_path / "out"), "--log-to", "mlflow", "--tracking-dir", str(tmp_path)
    )
    assert res.returncode == 0, res.stderr
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ  # the opt-in lasts only while xling logs
    results = json.loads((run_dir / "results.json").read_text("utf-8"))
    store = (tmp_path / "mlruns").resolve().as_uri()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = mlflow.tracking.MlflowClient(tracking_uri=store)
        exp = client.get_experiment_by_name("xling")
        (run,) = client.search_runs([exp.experiment_id])
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "xling-export")}
    assert run.data.params["model"] == "planted:70-0" and run.data.params["run_id"] == results["run"]["run_id"]
    assert run.data.metrics == {metric_key(s): s["value"] for s in results["scores"]}
    assert "xling-export/scores" in artifacts


@pytest.mark.slow  # the W&B service starts and stops: about 10 s
def test_log_to_wandb_writes_an_offline_run(run_dir, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_API_KEY", "")
    res = xling_in_process(
        "export", str(run_dir), "--to", str(tmp_path / "out"), "--log-to", "wandb", "--tracking-dir", str(tmp_path)
    )
    assert res.returncode == 0, res.stderr
    (record,) = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    data = record.read_bytes()
    results = json.loads((run_dir / "results.json").read_text("utf-8"))
    for s in results["scores"]:
        # the summary holds each score under its key, its value as JSON
        assert metric_key(s).encode() in data, data[-3000:]
        at = data.index(metric_key(s).encode())
        assert json.dumps(s["value"]).encode() in data[at : at + 200]
    assert results["run"]["run_id"].encode() in data


def test_metric_keys_keep_only_characters_trackers_accept():
    s = {"task": "flores", "setting": "eng->xx", "language": "swh_Latn", "metric": "chrF++"}
    assert metric_key(s) == "flores/eng-_xx/swh_Latn/chrF__"
