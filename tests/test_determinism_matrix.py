"""The same command and seed give bit-identical scores, CIs, analyses and predictions whatever the
batch size, the thread count and the executor (in-process or Ray workers). Each configuration
runs on a response cache of its own, so every vector is computed under that configuration."""

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers.cli import xling_cmd
from helpers.tiny_st import build_tiny_st

pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # real models end to end

TASK_FILES = Path(__file__).parent / "data" / "embed"
# (executor, batch size, BLAS/torch threads)
CONFIGS = [("local", 1, 1), ("local", 16, 2), ("ray", 5, 1)]


def run_config(tmp: Path, args: list[str], executor: str, batch_size: int, threads: int) -> Path:
    name = f"{executor}-bs{batch_size}-t{threads}"
    env = {
        **os.environ,
        "XLING_CACHE_DIR": str(tmp / f"cache-{name}"),
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
    }
    extra = ["--executor", "ray", "--workers", "2"] if executor == "ray" else []
    res = subprocess.run(
        xling_cmd("run", "-q", *args, "--batch-size", str(batch_size), *extra, "--output", str(tmp / name)),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, f"{name}: {res.stderr[-3000:]}"
    return tmp / name


def outcome(run_dir: Path):
    data = json.loads((run_dir / "results.json").read_text())
    scores = {
        (s["task"], s["setting"], s["language"], s["metric"]): (s["value"], s["ci_low"], s["ci_high"], s["n"])
        for s in data["scores"]
    }
    cols = ["task", "setting", "language", "item_id", "prediction", "gold", "score", "error"]
    preds = pd.read_parquet(run_dir / "predictions.parquet")[cols]
    preds = preds.sort_values(cols[:4]).reset_index(drop=True)
    return data, scores, preds


def assert_identical(tmp: Path, args: list[str]) -> dict:
    runs = [run_config(tmp, args, *c) for c in CONFIGS]
    (ref_data, ref_scores, ref_preds), *others = [outcome(r) for r in runs]
    assert ref_scores and any(lo < hi for _, lo, hi, _ in ref_scores.values()), "some CIs must be non-trivial"
    for run_dir, (data, scores, preds) in zip(runs[1:], others, strict=True):
        assert scores == ref_scores, run_dir.name  # exact float equality: values and CI bounds
        assert data["analyses"] == ref_data["analyses"], run_dir.name
        pd.testing.assert_frame_equal(preds, ref_preds, check_exact=True, obj=run_dir.name)
        assert data["run"]["calls"]["model_calls"] > 0, "each configuration computes its own vectors"
    return ref_scores


def test_in_repo_tasks_are_bit_identical_across_batch_size_threads_and_executor(tmp_path):
    scores = assert_identical(
        tmp_path,
        [
            "--tasks",
            "demo-topics,demo-bitext",
            "--task-file",
            str(TASK_FILES / "sts.yaml"),
            "--task-file",
            str(TASK_FILES / "pairs.yaml"),
            "--languages",
            "deu_Latn,swh_Latn,zho_Hans",
            "--limit",
            "20",
        ],
    )
    assert {k[0] for k in scores} == {"demo-topics", "demo-bitext", "tiny-sts", "tiny-pairs"}


def test_a_sentence_transformers_model_is_bit_identical_across_batch_size_threads_and_executor(tmp_path):
    """``st:`` batches texts of equal token length in passes with no padding, and the local executor
    embeds each task's texts ahead of its units (Ray workers do not): no --batch-size, thread count
    or executor changes a vector."""
    pytest.importorskip("sentence_transformers")
    model = build_tiny_st(tmp_path / "bert", tmp_path / "st-model", max_seq_length=48, hidden=64)
    scores = assert_identical(
        tmp_path,
        [
            "-m",
            f"st:{model}",
            "--tasks",
            "demo-topics,demo-bitext",
            "--task-file",
            str(TASK_FILES / "sts.yaml"),
            "--languages",
            "deu_Latn,swh_Latn,zho_Hans",
            "--limit",
            "20",
        ],
    )
    assert {k[0] for k in scores} == {"demo-topics", "demo-bitext", "tiny-sts"}


@pytest.mark.data
def test_catalog_tasks_are_bit_identical_across_batch_size_threads_and_executor(tmp_path, shared_data):
    scores = assert_identical(
        tmp_path,
        [
            "--tasks",
            "tatoeba",
            "--data-dir",
            str(shared_data),
            "--languages",
            "swh_Latn,zho_Hans,arb_Arab",
            "--limit",
            "30",
        ],
    )
    assert {k[0] for k in scores} == {"tatoeba"}
