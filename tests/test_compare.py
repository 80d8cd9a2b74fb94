"""`xling compare` on runs over the same items: paired p-values and Holm decisions."""

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from helpers.cli import xling_in_process
from xling.analysis.compare import compare
from xling.results import PARQUET_FILE, SCHEMA_VERSION, Results, write_results
from xling.run.store import COLUMNS


def make_run(folder, spec, scores_by_lang, task="t", setting="zero-shot", metric="accuracy"):
    """A run directory with a valid results.json and predictions.parquet. ``scores_by_lang``:
    per language, per-item 0/1 scores, or (prediction, gold, score) triples."""
    folder.mkdir(parents=True)
    rows, scores = [], []
    for lang, s in scores_by_lang.items():
        items = [v if isinstance(v, tuple) else ("x", "x", v) for v in s]
        for i, (p, g, v) in enumerate(items):
            rows.append(
                dict(
                    zip(
                        COLUMNS,
                        [
                            spec,
                            spec,
                            task,
                            setting,
                            lang,
                            "test",
                            f"i{i}",
                            f"i{i}",
                            json.dumps(p),
                            json.dumps(g),
                            float(v),
                            None,
                        ],
                    )
                )
            )
        scores.append(
            {
                "task": task,
                "setting": setting,
                "language": lang,
                "metric": metric,
                "value": float(np.mean([v for _, _, v in items]) * 100),
                "ci_low": 0.0,
                "ci_high": 100.0,
                "n": len(s),
                "errors": 0,
            }
        )
    pd.DataFrame(rows, columns=COLUMNS).to_parquet(folder / PARQUET_FILE, index=False)
    now = datetime.now(UTC).isoformat()
    data = {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "run_id": f"{spec}-id",
            "command": None,
            "config": {},
            "seed": 0,
            "software": {},
            "model": {"spec": spec, "fingerprint": spec},
            "data": [],
            "started": now,
            "finished": now,
            "calls": {},
            "errors": 0,
            "tasks": [{"name": task, "metric": metric}],
        },
        "scores": scores,
        "analyses": {"transfer_gap": []},
    }
    write_results(folder, data)
    return folder


@pytest.fixture
def two_runs(tmp_path):
    rng = np.random.default_rng(0)
    base = {lang: (rng.random(300) < 0.75).astype(float) for lang in ("deu_Latn", "swh_Latn", "yor_Latn")}
    worse = {k: v.copy() for k, v in base.items()}
    worse["swh_Latn"][np.flatnonzero(base["swh_Latn"] == 1)[:45]] = 0  # planted: B loses 45 swh items
    worse["yor_Latn"][np.flatnonzero(base["yor_Latn"] == 1)[:2]] = 0  # tiny: not significant after Holm
    return make_run(tmp_path / "a", "model-a", base), make_run(tmp_path / "b", "model-b", worse)


def test_planted_difference_is_significant_and_the_rest_is_not(two_runs):
    cmp = compare([Results.load(d) for d in two_runs])
    rows = {r["language"]: r for r in cmp["rows"]}
    assert rows["swh_Latn"]["discordant"] == [45, 0] and rows["swh_Latn"]["significant"]
    assert rows["swh_Latn"]["decision"] == "model-a better"
    assert rows["swh_Latn"]["difference"] == pytest.approx(15.0)
    assert rows["deu_Latn"]["p_value"] == 1.0 and not rows["deu_Latn"]["significant"]
    assert not rows["yor_Latn"]["significant"]
    # Holm over the 3 comparisons: the smallest p is multiplied by 3
    assert rows["swh_Latn"]["p_holm"] == pytest.approx(min(1.0, 3 * rows["swh_Latn"]["p_value"]))
    assert cmp["correction"] == "Holm-Bonferroni over all 3 comparisons"


def test_cli_prints_and_writes_the_table(two_runs, tmp_path):
    out = tmp_path / "cmp"
    res = xling_in_process("compare", *map(str, two_runs), "--output", str(out), env={"COLUMNS": "160"})
    assert res.returncode == 0, res.stderr
    assert "A better" in res.stdout and "n.s." in res.stdout and "Holm" in res.stdout
    md = (out / "compare.md").read_text("utf-8")
    assert "| model-a | model-b | t | zero-shot | swh_Latn | 300 |" in md
    data = json.loads((out / "compare.json").read_text("utf-8"))
    assert sum(r["significant"] for r in data["rows"]) == 1


def test_compare_needs_shared_items(tmp_path):
    from xling.errors import UserError

    a = make_run(tmp_path / "a", "model-a", {"deu_Latn": [1, 0, 1]})
    b = make_run(tmp_path / "b", "model-b", {"fra_Latn": [1, 0, 1]})
    with pytest.raises(UserError, match="share no scored items"):
        compare([Results.load(a), Results.load(b)])
    res = xling_in_process("compare", str(a))
    assert res.returncode == 2 and "at least two" in res.stderr


def tagged(n_tokens, n_right):
    """A tagged sentence of ``n_tokens`` tokens with ``n_right`` tagged correctly: (prediction, gold, score)."""
    gold = ["NOUN"] * n_tokens
    return ["NOUN"] * n_right + ["VERB"] * (n_tokens - n_right), gold, n_right / n_tokens


def test_corpus_metric_difference_is_recomputed_not_a_mean_of_sentences(tmp_path):
    # A tags long sentences worse, short ones better: its per-sentence mean is higher (60 vs 25)
    # but its token accuracy is lower (27.3 vs 45.5)
    a = make_run(tmp_path / "a", "model-a", {"deu_Latn": [tagged(10, 2), tagged(1, 1)] * 40}, metric="token_accuracy")
    b = make_run(tmp_path / "b", "model-b", {"deu_Latn": [tagged(10, 5), tagged(1, 0)] * 40}, metric="token_accuracy")
    (row,) = compare([Results.load(a), Results.load(b)])["rows"]
    assert row["score_a"] == pytest.approx(100 * 3 / 11) and row["score_b"] == pytest.approx(100 * 5 / 11)
    assert row["difference"] == pytest.approx(100 * (3 - 5) / 11)
    assert row["ci_low"] < row["difference"] < row["ci_high"] < 0
    assert row["significant"] and row["decision"] == "model-b better"
    assert row["test"] == "paired-permutation"
