"""The Ray executor on a real local cluster: the same scores as the local executor, also when a
worker is killed mid-run."""

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

ray = pytest.importorskip("ray")

import xling  # noqa: E402
from helpers.cli import xling_cmd  # noqa: E402

LANGS = ["swh_Latn", "amh_Ethi", "zho_Hans", "hin_Deva", "arb_Arab"]
SMOKE = ["demo-bitext", "demo-topics"]  # the smoke suite: small and fast


@pytest.fixture(scope="module")
def cluster():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}},
    )
    yield
    ray.shutdown()


def scores(res):
    return {
        (s["task"], s["setting"], s["language"]): (s["value"], s["ci_low"], s["ci_high"], s["n"]) for s in res.scores
    }


@pytest.fixture(scope="module")
def local_scores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    return scores(
        xling.evaluate(tasks=SMOKE, languages=LANGS, limit=20, output=tmp / "run", cache_path=tmp / "c.sqlite")
    )


@pytest.mark.slow
def test_ray_gives_the_local_scores(cluster, local_scores, tmp_path):
    res = xling.evaluate(
        tasks=SMOKE,
        languages=LANGS,
        limit=20,
        output=tmp_path / "run",
        cache_path=tmp_path / "c.sqlite",
        executor="ray",
        workers=2,
    )
    assert scores(res) == local_scores
    assert res.data["run"]["calls"]["model_calls"] > 0


def _worker_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "UnitWorker"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


@pytest.mark.slow
def test_a_killed_worker_loses_nothing(cluster, local_scores, tmp_path):
    run_dir = tmp_path / "run"
    killed: list[int] = []

    def killer():
        db = run_dir / "predictions.sqlite"
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if (
                    db.exists()
                    and sqlite3.connect(db, timeout=1).execute("SELECT COUNT(*) FROM units").fetchone()[0] >= 2
                ):
                    pids = _worker_pids()
                    if pids:
                        os.kill(pids[0], signal.SIGKILL)
                        killed.append(pids[0])
                        return
            except sqlite3.Error:
                pass
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    res = xling.evaluate(
        tasks=SMOKE,
        languages=LANGS,
        limit=20,
        output=run_dir,
        cache_path=tmp_path / "c.sqlite",
        executor="ray",
        workers=2,
    )
    t.join(timeout=5)
    assert killed, "no worker was killed: the run ended first"
    assert scores(res) == local_scores
    rows = json.loads((run_dir / "results.json").read_text())["scores"]
    assert len(rows) == len(local_scores)
    # no item lost or written twice: every unit holds exactly its items, once each
    con = sqlite3.connect(run_dir / "predictions.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    marks = {r[:3]: r[3] for r in con.execute("SELECT task, setting, language, n_items FROM units")}
    stored = {
        r[:3]: r[3:]
        for r in con.execute(
            "SELECT task, setting, language, COUNT(*), COUNT(DISTINCT item_id) FROM predictions GROUP BY 1, 2, 3"
        )
    }
    con.close()
    assert marks == {k: v[3] for k, v in local_scores.items()}
    assert stored == {k: (n, n) for k, n in marks.items()}
    cache = sqlite3.connect(tmp_path / "c.sqlite")
    assert cache.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache.close()


def test_unreachable_cluster_is_a_clear_error(tmp_path):
    res = subprocess.run(
        xling_cmd(
            "run",
            "-q",
            "--executor",
            "ray",
            "--ray-address",
            "ray://127.0.0.1:1",
            "--output",
            str(tmp_path / "r"),
            "--languages",
            "swh_Latn",
            "--limit",
            "2",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2 and "cannot reach the Ray cluster" in res.stderr, res.stderr
