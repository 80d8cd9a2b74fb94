"""Power cuts at 24 points across a real run: each time the same command resumes, and the run
that finally completes has exactly the scores, CIs and predictions of an uninterrupted run, no item
lost or written twice, and SQLite files that pass integrity_check.

The kills are SIGKILLs the process sends itself at named crash points (``XLING_CRASH_AT``, see
:mod:`xling.crashpoints`): inside the cache's and the store's transactions before they commit, just
after, mid-batch after the model answered, and between the last unit and the result files. Which
pass of each point dies is drawn from a seeded generator, so the cuts land all over the run and a
failure replays exactly.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess

import pandas as pd
import pytest

from helpers.cli import xling_cmd

LANGS = "swh_Latn,amh_Ethi,zho_Hans,hin_Deva,arb_Arab"
BATCH = 2
# 16 units (demo-bitext both directions x 5, demo-topics x 6), 180 distinct texts in 90 batches (the first
# 20 items of each test file: both tasks read the same texts; 60 English training texts)
ARGS = (
    "run",
    "-q",
    "--tasks",
    "demo-bitext,demo-topics",
    "--languages",
    LANGS,
    "--limit",
    "20",
    "--limit-mode",
    "first",
    "--train-limit",
    "60",
    "--batch-size",
    str(BATCH),
)
UNITS = 16
KILLS = 24
MID_RUN = ["client.mid_batch", "store.in_transaction", "cache.in_transaction", "store.committed", "cache.committed"]
END_OF_RUN = ["run.units_done", "results.parquet_written"]


def next_kill(i: int, rng: random.Random, units_left: int, texts_left: int) -> tuple[str, int]:
    """The i-th kill point: the mid-run points in turn while units remain, the end-of-run points
    for the last four. Every choice is one the next process is sure to reach: a store point needs
    one unit left, the nth mid-batch pass n batches of uncached texts (there are at least
    ceil(texts left / batch size)), a cache write one uncached text (a call writes its answers
    when it ends, however many batches it sent: the kill lands with several batches in one
    transaction)."""
    if i >= KILLS - 4 or units_left == 0:
        return END_OF_RUN[i % 2], 1
    name = MID_RUN[i % len(MID_RUN)]
    batches_left = -(-texts_left // BATCH)
    if name.startswith("store") or batches_left == 0:
        return (name if name.startswith("store") else "store.committed"), 1
    return name, (min(rng.randint(1, 3), batches_left) if name == "client.mid_batch" else 1)


def run(run_dir, cache_dir, crash_at=None):
    env = {**os.environ, "XLING_CACHE_DIR": str(cache_dir)}
    env.pop("XLING_CRASH_AT", None)
    if crash_at:
        env["XLING_CRASH_AT"] = crash_at
    return subprocess.run(
        xling_cmd(*ARGS, "--output", str(run_dir)), env=env, capture_output=True, text=True, timeout=600
    )


def integrity_ok(path) -> bool:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()


def unit_counts(db) -> dict[tuple, tuple[int, int]]:
    """Per done unit: (rows stored, n_items of its done-mark)."""
    con = sqlite3.connect(db)
    try:
        marks = {r[:3]: r[3] for r in con.execute("SELECT task, setting, language, n_items FROM units")}
        rows = dict(
            ((t, s, lang), n)
            for t, s, lang, n in con.execute(
                "SELECT task, setting, language, COUNT(*) FROM predictions GROUP BY task, setting, language"
            )
        )
    finally:
        con.close()
    return {k: (rows.get(k, 0), n) for k, n in marks.items()} | {k: (n, -1) for k, n in rows.items() if k not in marks}


def cache_rows(cache_dir) -> int:
    path = cache_dir / "responses.sqlite"
    if not path.exists():
        return 0
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:  # killed before the table was created
        return 0
    finally:
        con.close()


def results_of(run_dir):
    data = json.loads((run_dir / "results.json").read_text())
    scores = {
        (s["task"], s["setting"], s["language"], s["metric"]): (s["value"], s["ci_low"], s["ci_high"], s["n"])
        for s in data["scores"]
    }
    return data, scores


def predictions_of(run_dir) -> pd.DataFrame:
    cols = ["task", "setting", "language", "item_id", "parallel_id", "prediction", "gold", "score", "error"]
    df = pd.read_parquet(run_dir / "predictions.parquet")[cols]
    return df.sort_values(["task", "setting", "language", "item_id"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same command, uninterrupted, on a cache of its own."""
    tmp = tmp_path_factory.mktemp("reference")
    res = run(tmp / "run", tmp / "cache")
    assert res.returncode == 0, res.stderr
    return tmp / "run"


@pytest.mark.slow  # 26 runs of the CLI: about 4 CPU-minutes
def test_24_power_cuts_then_the_same_command_gives_the_uninterrupted_run(reference, tmp_path):
    run_dir, cache_dir = tmp_path / "run", tmp_path / "cache"
    landed = []
    rng = random.Random(8)
    texts = cache_rows(reference.parent / "cache")  # every distinct text of the run, once
    for i in range(KILLS):
        units = len(unit_counts(run_dir / "predictions.sqlite")) if (run_dir / "predictions.sqlite").exists() else 0
        point, n = next_kill(i, rng, UNITS - units, texts - cache_rows(cache_dir))
        res = run(run_dir, cache_dir, f"{point}:{n}")
        assert res.returncode == -signal.SIGKILL, (
            f"kill {i + 1} ({point}:{n}) was not reached (exit {res.returncode})\n{res.stderr[-2000:]}"
        )
        db = run_dir / "predictions.sqlite"
        assert integrity_ok(db) and integrity_ok(cache_dir / "responses.sqlite"), f"after kill {i + 1} ({point}:{n})"
        counts = unit_counts(db)
        half = {k: v for k, v in counts.items() if v[0] != v[1]}
        assert not half, f"after kill {i + 1} ({point}:{n}) units are half-written: {half}"
        landed.append((point, n, len(counts), cache_rows(cache_dir)))
    res = run(run_dir, cache_dir)
    assert res.returncode == 0, res.stderr

    data, scores = results_of(run_dir)
    ref_data, ref_scores = results_of(reference)
    assert scores == ref_scores  # bit-identical values and CIs
    assert data["analyses"] == ref_data["analyses"]
    assert data["run"]["calls"]["units_resumed"] == data["run"]["calls"]["units_total"] == 16
    pd.testing.assert_frame_equal(predictions_of(run_dir), predictions_of(reference))
    # no item lost or duplicated: each unit holds as many rows as its done-mark and as the reference
    ref_counts = unit_counts(reference / "predictions.sqlite")
    assert unit_counts(run_dir / "predictions.sqlite") == ref_counts
    assert all(a == b for a, b in ref_counts.values()) and len(ref_counts) == 16
    assert integrity_ok(run_dir / "predictions.sqlite") and integrity_ok(cache_dir / "responses.sqlite")

    # the cuts were spread over the run: at every stage of the store, and with the cache filling up
    assert texts == 180 and len(landed) == KILLS and len({p for p, *_ in landed}) == 7
    units_seen = [u for *_, u, _ in landed]
    assert min(units_seen) == 0 and max(units_seen) == UNITS and len(set(units_seen)) >= 8
    print("\ncrash points (point:pass -> units stored, cache entries after the kill):")
    for point, n, units, entries in landed:
        print(f"  {point}:{n} -> {units}/16 units, {entries} cache entries")
