"""The embedded default run end to end: table, run directory, schema, cache, resume, batch size."""

import json
import os
import signal
import sqlite3
import subprocess
import time

import jsonschema
import pandas as pd
import pytest

from helpers.cli import xling_cmd, xling_in_process
from xling.results import schema

pytestmark = pytest.mark.slow  # real models end to end

FEW = "swh_Latn,amh_Ethi,zho_Hans"


def env_with_cache(path):
    return {**os.environ, "XLING_CACHE_DIR": str(path)}


def scores_of(run_dir):
    data = json.loads((run_dir / "results.json").read_text())
    return {
        (s["task"], s["setting"], s["language"]): (s["value"], s["ci_low"], s["ci_high"], s["n"])
        for s in data["scores"]
    }


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`xling run` with no arguments, in a fresh directory with a fresh cache."""
    work = tmp_path_factory.mktemp("default")
    env = env_with_cache(work / "cache")
    res = xling_in_process("run", cwd=work, env=env)
    assert res.returncode == 0, res.stderr
    (run_dir,) = list((work / "runs").iterdir())
    return work, env, run_dir, res


def test_default_run_prints_the_table_and_writes_the_run_directory(default_run):
    _, _, run_dir, res = default_run
    for name in ("results.json", "predictions.sqlite", "predictions.parquet", "report.md"):
        assert (run_dir / name).is_file()
    data = json.loads((run_dir / "results.json").read_text())
    jsonschema.validate(data, schema())
    langs = {s["language"] for s in data["scores"] if s["task"] == "demo-topics"}
    assert len(langs) >= 12 and len({lang.split("_")[1] for lang in langs}) >= 6
    for s in data["scores"]:
        assert s["ci_low"] <= s["value"] <= s["ci_high"] and s["n"] == 168
    gaps = {g["language"] for g in data["analyses"]["transfer_gap"] if g["task"] == "demo-topics"}
    assert gaps == langs - {"eng_Latn"}
    # the terminal table: languages, CIs, the gap column
    assert "Swahili" in res.stdout and "95% CI" in res.stdout and "gap to source" in res.stdout
    assert "model calls:" in res.stdout
    preds = pd.read_parquet(run_dir / "predictions.parquet")
    assert len(preds) == sum(s["n"] for s in data["scores"])
    assert not preds.duplicated(["task", "setting", "language", "item_id"]).any()
    # a zero-shot head on a good multilingual embedder beats chance (1/7) on the demo
    topics = {s["language"]: s for s in data["scores"] if s["task"] == "demo-topics"}
    assert sum(s["value"] for s in topics.values()) / len(topics) > 50
    # the default job shows a cross-lingual gap: Yoruba's CI lies wholly below English's (topics)
    # and Spanish's (finding the English annotation)
    assert topics["yor_Latn"]["ci_high"] < topics["eng_Latn"]["ci_low"]
    bitext = {s["language"]: s for s in data["scores"] if s["setting"] == "xx->eng"}
    assert bitext["yor_Latn"]["ci_high"] < bitext["spa_Latn"]["ci_low"]


def test_same_command_again_makes_no_model_call(default_run):
    work, env, run_dir, _ = default_run
    res = xling_in_process("run", cwd=work, env=env)
    assert res.returncode == 0, res.stderr
    assert "model calls: 0" in res.stdout
    data = json.loads((run_dir / "results.json").read_text())
    assert data["run"]["calls"]["units_resumed"] == data["run"]["calls"]["units_total"]


def test_a_new_run_directory_is_served_from_the_cache(default_run, tmp_path):
    work, env, run_dir, _ = default_run
    res = xling_in_process("run", "--output", str(tmp_path / "again"), env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "again" / "results.json").read_text())
    assert data["run"]["calls"]["model_calls"] == 0 and data["run"]["calls"]["cache_hits"] > 0
    assert "model calls: 0, cache hits:" in res.stdout
    assert scores_of(tmp_path / "again") == scores_of(run_dir)


def test_scores_do_not_depend_on_batch_size(tmp_path):
    out = {}
    for bs in (1, 64):
        res = xling_in_process(
            "run",
            "-q",
            "--languages",
            FEW,
            "--limit",
            "20",
            "--batch-size",
            str(bs),
            "--output",
            str(tmp_path / f"bs{bs}"),
            env=env_with_cache(tmp_path / f"cache{bs}"),
        )
        assert res.returncode == 0, res.stderr
        out[bs] = scores_of(tmp_path / f"bs{bs}")
    assert out[1] == out[64]


def test_kill_9_then_the_same_command_gives_the_uninterrupted_scores(default_run, tmp_path):
    _, _, reference_dir, _ = default_run
    run_dir = tmp_path / "killed"
    env = env_with_cache(tmp_path / "cache")
    args = xling_cmd("run", "-q", "--output", str(run_dir), "--batch-size", "8")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = run_dir / "predictions.sqlite"
    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                con = sqlite3.connect(db, timeout=1)
                done = con.execute("SELECT COUNT(*) FROM units").fetchone()[0]
                con.close()
            except sqlite3.Error:
                done = 0
            if done >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    res = xling_in_process("run", "-q", "--output", str(run_dir), "--batch-size", "8", env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads((run_dir / "results.json").read_text())
    assert data["run"]["calls"]["units_resumed"] >= 3
    assert scores_of(run_dir) == scores_of(reference_dir)
    preds = pd.read_parquet(run_dir / "predictions.parquet")
    assert not preds.duplicated(["task", "setting", "language", "item_id"]).any()
