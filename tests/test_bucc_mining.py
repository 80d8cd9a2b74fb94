"""BUCC 2018 bitext mining: the release layout read as is, LASER's ratio-margin mining, the threshold
chosen on a dev split and applied to the evaluated one (or the best one there, stated), and several
metrics per task. The fixture's cosines are set by the test (helpers/bucc.py), so every margin,
threshold and F1 below is computed by hand in the comments."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers import bucc
from helpers.embed import TrigramBackend, make_ctx
from xling import evaluate
from xling.errors import DataError, UserError
from xling.kinds.embedding.mining import gold_pairs, mine
from xling.kinds.embedding.vectors import ratio_margin_scores
from xling.kinds.registry import get_kind
from xling.models.base import Capability
from xling.scoring.metrics import METRICS
from xling.scoring.mining import best_threshold
from xling.tasks import Task, get_task
from xling.tasks.spec import load_spec
from xling.types import Unit

# training (the evaluated split): de 1-4 against en 1-5; gold pairs de1-en1, de2-en2, de3-en3; de4
# and en4, en5 have no partner. k = 2: each sentence's mean cosine with its 2 nearest neighbours is
# de 0.5 0.4 0.35 0.3, en 0.5 0.4 0.35 0.3 0; ratio margins on the diagonal:
# 0.8/0.5 = 1.6, 0.6/0.4 = 1.5, 0.5/0.35 = 1.428571, 0.4/0.3 = 1.333333 (de4-en4, a wrong pair).
TRAINING = [
    [0.8, 0.2, 0.0, 0.0, 0.0],
    [0.2, 0.6, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.5, 0.2, 0.0],
    [0.0, 0.0, 0.2, 0.4, 0.0],
]
TRAINING_GOLD = [(0, 0), (1, 1), (2, 2)]
# sample (the dev split): means de 0.4 0.3 0.125, en the same; margins 0.6/0.4 = 1.5,
# 0.4/0.3 = 1.333333 (gold), 0.15/0.125 = 1.2 (de3-en3, no gold). The best cut keeps the two gold
# pairs: threshold half-way between 1.333333 and 1.2 = 1.266667.
SAMPLE = [
    [0.6, 0.2, 0.0],
    [0.2, 0.4, 0.1],
    [0.0, 0.1, 0.15],
]
SAMPLE_GOLD = [(0, 0), (1, 1)]
DEV_THRESHOLD = (4 / 3 + 1.2) / 2
# At 1.266667 all four training pairs are mined, three of them gold: P 3/4, R 3/3, F1 6/7.
# Training's own best cut keeps the first three: F1 1.0 at (1.428571 + 1.333333) / 2.
TRAINING_OWN_BEST = (0.5 / 0.35 + 0.4 / 0.3) / 2


def unit_vectors(cos):
    """The fixture's vectors (as helpers.bucc writes them): source i = e_i, English j = column j + residual."""
    c = np.asarray(cos)
    n, m = c.shape
    x = np.eye(n, n + m)
    y = np.zeros((m, n + m))
    y[:, :n] = c.T
    y[np.arange(m), n + np.arange(m)] = np.sqrt(1 - (c**2).sum(axis=0))
    return x, y


@pytest.fixture
def release(tmp_path):
    bucc.write_split(tmp_path, "de", "training", TRAINING, TRAINING_GOLD)
    bucc.write_split(tmp_path, "de", "sample", SAMPLE, SAMPLE_GOLD)
    bucc.write_split(tmp_path, "de", "test", TRAINING, None)  # BUCC's test gold is not public
    return tmp_path


def test_mining_margins_and_one_to_one_candidates_by_hand():
    x, y = unit_vectors(TRAINING)
    found = mine(x, y, k=2)
    assert list(found.candidate) == [0, 1, 2, 3]  # en5 (no neighbour at all) is nobody's candidate
    np.testing.assert_allclose(found.margin, [1.6, 1.5, 0.5 / 0.35, 0.4 / 0.3], rtol=1e-9)
    # the same margins as the dense ratio margin over the full similarity matrix
    dense = ratio_margin_scores(x @ y.T, k=2)
    np.testing.assert_allclose(found.margin, dense[np.arange(4), found.candidate], rtol=1e-9)


def test_candidates_are_kept_one_to_one_by_decreasing_margin():
    # one pivot, the nearest of both sources: de1 (margin 0.6 / 0.6 = 1) takes it before de2
    # (0.5 / ((0.5 + 0.6) / 2) = 0.909), which is left without a candidate
    x = np.eye(2, 3)
    y = np.array([[0.6, 0.5, np.sqrt(1 - 0.61)]])
    found = mine(x, y, k=1)
    assert list(found.candidate) == [0, -1] and found.margin[0] == pytest.approx(1) and np.isneginf(found.margin[1])


def test_best_threshold_is_lasers_midpoint():
    margins = np.array([1.5, 4 / 3, 1.2])
    got = best_threshold(margins, np.array([True, True, False]), n_gold=2)
    assert (got.precision, got.recall, got.f1) == (1.0, 1.0, 1.0)
    assert got.threshold == pytest.approx(DEV_THRESHOLD)
    nothing = best_threshold(margins, np.zeros(3, dtype=bool), n_gold=2)
    assert nothing.f1 == 0 and np.isinf(nothing.threshold)


def _score(res, metric):
    (row,) = [s for s in res.scores if s["metric"] == metric]
    return row


def test_threshold_is_chosen_on_dev_and_applied_to_the_evaluated_split(release, tmp_path, monkeypatch):
    bucc.register(monkeypatch)
    res = evaluate("vectors", task_files=[bucc.write_task(release)], output=tmp_path / "run")
    f1, p, r = (_score(res, m) for m in ("mining_f1", "mining_precision", "mining_recall"))
    assert f1["setting"] == "xx<->eng" and f1["language"] == "deu_Latn" and f1["n"] == 4
    # training's own best threshold would give 100 here
    assert f1["value"] == pytest.approx(100 * 6 / 7) and p["value"] == pytest.approx(75) and r["value"] == 100
    for row in (f1, p, r):
        assert row["threshold"] == pytest.approx(DEV_THRESHOLD) and row["threshold_from"] == "chosen on sample"
        assert row["ci_low"] <= row["value"] <= row["ci_high"]
    data = json.loads((tmp_path / "run" / "results.json").read_text())
    (task,) = data["run"]["tasks"]
    assert task["metric"] == "mining_f1" and task["metrics"] == ["mining_f1", "mining_precision", "mining_recall"]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| threshold | threshold from |" in report and "chosen on sample" in report and "1.2667" in report
    from xling.report.html import context

    html_scores = context(res)["scores"]
    assert {s["metric"] for s in html_scores} == {
        f"mining_{m} (threshold 1.2667, chosen on sample)" for m in ("f1", "precision", "recall")
    }
    # the stored rows: one per German sentence, its candidate, margin and gold partner (None: none)
    preds = res.predictions().sort_values("item_id")
    assert [p["candidate"] for p in preds["prediction"]] == [f"en-00000000{i}" for i in (1, 2, 3, 4)]
    assert list(preds["gold"].fillna("-")) == ["en-000000001", "en-000000002", "en-000000003", "-"]


def test_best_threshold_on_the_evaluated_split_is_stated(release, tmp_path, monkeypatch):
    bucc.register(monkeypatch)
    res = evaluate("vectors", task_files=[bucc.write_task(release, "threshold: best")], output=tmp_path / "run")
    f1 = _score(res, "mining_f1")
    assert f1["value"] == 100 and f1["threshold"] == pytest.approx(TRAINING_OWN_BEST)
    assert f1["threshold_from"] == "best on training"
    assert _score(res, "mining_precision")["value"] == 100 and _score(res, "mining_recall")["value"] == 100


def test_a_given_threshold_is_applied_and_said_to_be_given(release, tmp_path, monkeypatch):
    bucc.register(monkeypatch)
    res = evaluate("vectors", task_files=[bucc.write_task(release, "threshold: 1.45")], output=tmp_path / "run")
    f1 = _score(res, "mining_f1")  # mined de1-en1 (1.6) and de2-en2 (1.5): P 1, R 2/3, F1 0.8
    assert f1["value"] == pytest.approx(80) and f1["threshold"] == 1.45 and f1["threshold_from"] == "given"


def test_a_mining_metric_without_a_declared_threshold_is_refused(release):
    # LASER's 1.06 used to apply silently: with compressed cosines the same run read F1 33.1 or 100
    path = bucc.write_task(release, "scoring: margin")
    with pytest.raises(DataError, match="needs a mined-pair threshold: set options.threshold_split"):
        load_spec(path)
    demo = get_task("demo-bitext")
    raw = demo.spec_path.read_text().replace("metric: p@1", "metric: p@1\nextra_metrics: [mining_f1]")
    (release / "demo.yaml").write_text(raw)
    with pytest.raises(DataError, match="metric mining_f1 needs a mined-pair threshold"):
        load_spec(release / "demo.yaml")


def test_options_name_one_threshold_source(release):
    path = bucc.write_task(release, "threshold: 1.06, threshold_split: sample")
    with pytest.raises(DataError, match="either 'threshold' or 'threshold_split', not both"):
        load_spec(path)
    path = bucc.write_task(release, "threshold: 1.06")
    text = path.read_text()
    path.write_text(text.replace("gold_path:", "gold_file:"))
    with pytest.raises(DataError, match="unknown key"):
        load_spec(path)
    path.write_text(text.replace('          gold_path: "bucc2018/{lang}-en/{lang}-en.{split}.gold"', ""))
    with pytest.raises(DataError, match="kind bitext_mining needs options.gold_path"):
        load_spec(path)
    path.write_text(text.split("local:")[0] + "hub: {id: someone/bucc}\n")
    with pytest.raises(DataError, match="reads a local copy of the release"):
        load_spec(path)


def test_the_test_split_has_no_gold_and_says_so(release, tmp_path, monkeypatch):
    bucc.register(monkeypatch)
    path = bucc.write_task(release)
    path.write_text(path.read_text().replace("eval_split: training", "eval_split: test"))
    with pytest.raises(UserError, match="gold") as err:
        evaluate("vectors", task_files=[path], output=tmp_path / "run")
    assert "training" in (err.value.hint or "")


def test_limited_run_keeps_the_gold_partners_of_the_sampled_sentences(release, tmp_path):
    from helpers.bucc import VectorBackend

    task = Task(load_spec(bucc.write_task(release)), release / "bucc.yaml")
    kind = get_kind("bitext_mining", frozenset({Capability.EMBED}))
    ctx = make_ctx(VectorBackend("vectors", None, {}), tmp_path, limit=2)
    ctx.config = ctx.config.__class__(batch_size=4, limit=2, limit_mode="first")
    preds = kind.run(Unit(task.name, "xx<->eng", "deu_Latn"), task, ctx)
    assert [p.item_id for p in preds] == ["de-000000001", "de-000000002"]
    assert [p.prediction["candidate"] for p in preds] == ["en-000000001", "en-000000002"]


def test_extra_metrics_report_p_at_1_and_mining_f1_from_one_task(tmp_path):
    demo = get_task("demo-bitext")
    raw = demo.spec_path.read_text().replace("metric: p@1", "metric: p@1\nextra_metrics: [mining_f1]")
    raw = raw.replace("options: {scoring: margin, k: 4}", "options: {scoring: margin, k: 4, threshold: best}")
    (tmp_path / "demo.yaml").write_text(raw)
    task = Task(load_spec(tmp_path / "demo.yaml", check_kind=True), demo.spec_path)
    kind = get_kind("bitext_retrieval", frozenset({Capability.EMBED}))
    assert task.spec.metrics() == ["p@1", "mining_f1"]
    preds = kind.run(Unit(task.name, "xx->eng", "deu_Latn"), task, make_ctx(TrigramBackend(), tmp_path))
    rows = pd.DataFrame(
        {
            "prediction": [p.prediction for p in preds],
            "gold": [p.gold for p in preds],
            "error": [p.error for p in preds],
            "score": [p.score for p in preds],
        }
    )
    p_at_1 = METRICS["p@1"].estimate(rows, 0, ("p",)).value
    f1 = METRICS["mining_f1"].estimate(rows, 0, ("f",))
    assert p_at_1 == pytest.approx(100 * np.mean([p.prediction["candidate"] == p.gold for p in preds]))
    # at the best threshold F1 is at least that of mining every nearest neighbour (P = R = P@1)
    assert f1.value >= p_at_1 - 1e-9 and METRICS["mining_f1"].extras(rows)["threshold_from"] == "best on test"


def test_unknown_extra_metric_is_named(tmp_path):
    demo = get_task("demo-bitext")
    raw = demo.spec_path.read_text().replace("metric: p@1", "metric: p@1\nextra_metrics: [minig_f1]")
    (tmp_path / "demo.yaml").write_text(raw)
    with pytest.raises(DataError, match="unknown extra_metrics 'minig_f1'.*mining_f1"):
        load_spec(tmp_path / "demo.yaml", check_kind=True)


def test_mining_bootstrap_resamples_source_sentences():
    rows = pd.DataFrame(
        {
            "prediction": [{"candidate": c, "margin": m, "threshold": None} for c, m in zip("abcd", [4, 3, 2, 1])],
            "gold": ["a", "b", None, "d"],
            "error": [None] * 4,
            "score": [1, 1, 0, 1],
        }
    )
    est = METRICS["mining_f1"].estimate(rows, 0, ("m",))
    # best cut: all four (P 3/4, R 1, F1 6/7) beats the first two (P 1, R 2/3, F1 0.8)
    assert est.value == pytest.approx(100 * 6 / 7) and est.n == 4 and est.ci_low <= est.value <= est.ci_high


def test_consistency_compares_the_mined_candidates():
    from xling.analysis.consistency import ANSWERS, NOT_APPLICABLE

    record = {"candidate": "eng-7", "margin": 1.2, "threshold": 1.1, "threshold_from": "given"}
    assert ANSWERS["bitext_retrieval"](record) == "eng-7" and "bitext_mining" in NOT_APPLICABLE


def test_the_worked_example_loads_and_the_cli_shows_its_metrics(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from helpers.cli import ROOT
    from xling import cli

    monkeypatch.setattr(cli.out, "width", 200)
    path = ROOT / "examples" / "bucc-mining" / "task.yaml"
    spec = load_spec(path, check_kind=True)
    assert spec.kind == "bitext_mining" and spec.options.threshold_split == "sample"
    task = Task(spec, path)
    assert [len(gold_pairs(task, "deu_Latn", s)) for s in ("sample", "training")] == [4, 5]
    result = CliRunner().invoke(cli.main, ["tasks", "show", str(path)])
    assert result.exit_code == 0, result.output
    assert "metric mining_f1 (also mining_precision, mining_recall)" in result.output


ALIGNED_YAML = """\
name: aligned-mining
description: line-aligned pairs scored by P@1 and mining F1
kind: bitext_retrieval
metric: p@1
extra_metrics: [mining_f1]
languages: [deu_Latn]
eval_split: {split}
fields: {{text: text, pivot_text: pivot_text}}
id: id
creation: written-for-xling
licence: test-only
options: {{scoring: margin, k: 2, {threshold}}}
local: {{root: task-file, format: tsv, path: "{{split}}.tsv"}}
"""
ALIGNED = {
    "dev": [
        ("der Hund schläft", "the dog sleeps"),
        ("die Katze spielt", "the cat plays"),
        ("ein rotes Auto", "a red car"),
        ("Hamburg Hafen", "the Hamburg harbour"),
        ("Kaffee und Kuchen", "coffee and cake"),
    ],
    "test": [
        ("Berlin Berlin", "Berlin is big"),
        ("das Wetter ist gut", "the weather is fine"),
        ("Musik hören", "listening to music"),
        ("Tomaten Tomaten", "tomatoes in the garden"),
        ("ein Buch lesen", "reading a book"),
        ("Radio Radio", "the radio plays"),
    ],
}


def _aligned_task(tmp_path, split, threshold) -> Task:
    for name, pairs in ALIGNED.items():
        rows = ["id\ttext\tpivot_text"] + [f"{name}{i}\t{a}\t{b}" for i, (a, b) in enumerate(pairs)]
        (tmp_path / f"{name}.tsv").write_text("\n".join(rows) + "\n")
    path = tmp_path / f"{split}-{threshold.split(':')[0]}.yaml"
    path.write_text(ALIGNED_YAML.format(split=split, threshold=threshold))
    return Task(load_spec(path, check_kind=True), path)


def _mining_rows(task, tmp_path):
    kind = get_kind("bitext_retrieval", frozenset({Capability.EMBED}))
    preds = kind.run(Unit(task.name, "xx->eng", "deu_Latn"), task, make_ctx(TrigramBackend(), tmp_path / task.name))
    return pd.DataFrame(
        {
            "prediction": [p.prediction for p in preds],
            "gold": [p.gold for p in preds],
            "error": [p.error for p in preds],
            "score": [p.score for p in preds],
        }
    )


def test_aligned_bitext_threshold_comes_from_the_dev_split(tmp_path):
    f1 = METRICS["mining_f1"]
    on_dev = f1.extras(_mining_rows(_aligned_task(tmp_path, "dev", "threshold: best"), tmp_path))
    test_best = f1.extras(_mining_rows(_aligned_task(tmp_path, "test", "threshold: best"), tmp_path))
    rows = _mining_rows(_aligned_task(tmp_path, "test", "threshold_split: dev"), tmp_path)
    applied = f1.extras(rows)
    assert applied["threshold_from"] == "chosen on dev" and on_dev["threshold_from"] == "best on dev"
    assert applied["threshold"] == on_dev["threshold"] != pytest.approx(test_best["threshold"])
    mined = [p["margin"] >= applied["threshold"] for p in rows["prediction"]]
    correct = [m and p["candidate"] == g for m, p, g in zip(mined, rows["prediction"], rows["gold"])]
    precision, recall = sum(correct) / max(sum(mined), 1), sum(correct) / len(rows)
    want = 0 if not sum(correct) else 2 * precision * recall / (precision + recall)
    assert f1.estimate(rows, 0, ("x",)).value == pytest.approx(100 * want)


def test_sentences_the_model_fails_on_are_error_rows_and_never_candidates(release, tmp_path):
    from helpers.bucc import VectorBackend

    folder = release / "bucc2018" / "de-en"
    with open(folder / "de-en.training.de", "a") as f:
        f.write("de-000000005\tunlesbar [0]\n")  # an all-zero vector: the model failed on it
    with open(folder / "de-en.training.en", "a") as f:
        f.write("en-000000006\tunreadable [0]\n")
    task = Task(load_spec(bucc.write_task(release, "threshold: best")), release / "bucc.yaml")
    kind = get_kind("bitext_mining", frozenset({Capability.EMBED}))
    preds = kind.run(
        Unit(task.name, "xx<->eng", "deu_Latn"), task, make_ctx(VectorBackend("vectors", None, {}), tmp_path)
    )
    assert [p.error is not None for p in preds] == [False] * 4 + [True]
    assert [p.prediction["candidate"] for p in preds[:4]] == [f"en-00000000{i}" for i in (1, 2, 3, 4)]
