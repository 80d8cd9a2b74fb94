"""The Hugging Face Hub code path, offline: ``datasets.load_dataset`` on folders laid out like the
Hub repos (README configs + parquet), via $XLING_HUB_MIRROR. Rows are written here (not copied
from any dataset)."""

from __future__ import annotations

import pytest

datasets = pytest.importorskip("datasets")
from datasets import ClassLabel, Dataset, Features, Sequence, Value  # noqa: E402

from helpers.hub import hub_repo  # noqa: E402
from xling.tasks import get_task  # noqa: E402


def test_xnli_from_hub_layout_class_labels_and_limit(mirror):
    f = Features(
        {
            "premise": Value("string"),
            "hypothesis": Value("string"),
            "label": ClassLabel(names=["entailment", "neutral", "contradiction"]),
        }
    )
    hub_repo(
        mirror,
        "facebook/xnli",
        "sw",
        "validation",
        {
            "premise": ["Mvua inanyesha.", "Paka analala.", "Tunakula."],
            "hypothesis": ["Kuna mvua.", "Paka anakimbia.", "Tuna njaa."],
            "label": [0, 2, 1],
        },
        f,
    )
    t = get_task("xnli")
    assert t.uses_hub()
    items = t.items("swh_Latn", "dev")
    assert [(it.item_id, it.parallel_id, it.gold) for it in items] == [
        ("1", "1", "entailment"),
        ("2", "2", "contradiction"),
        ("3", "3", "neutral"),
    ]
    assert items[0].fields == {"text1": "Mvua inanyesha.", "text2": "Kuna mvua."}
    assert len(t.items("swh_Latn", "dev", limit=2)) == 2


def test_token_tags_and_official_belebele_schema_from_hub(mirror):
    tags = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    # unimelb-nlp/wikiann's schema (one config per language code; spans besides PAN-X's columns)
    hub_repo(
        mirror,
        "unimelb-nlp/wikiann",
        "sw",
        "validation",
        {
            "tokens": [["Ada", "yuko", "Mombasa"]],
            "ner_tags": [[1, 0, 5]],
            "langs": [["sw"] * 3],
            "spans": [["PER: Ada", "LOC: Mombasa"]],
        },
        Features(
            {
                "tokens": Sequence(Value("string")),
                "ner_tags": Sequence(ClassLabel(names=tags)),
                "langs": Sequence(Value("string")),
                "spans": Sequence(Value("string")),
            }
        ),
    )
    [it] = get_task("wikiann").items("swh_Latn", "dev")
    assert it.fields == {"tokens": ["Ada", "yuko", "Mombasa"]} and it.gold == ["B-PER", "O", "B-LOC"]
    # a language google/xtreme's PAN-X lacks loads from the same repo
    hub_repo(
        mirror,
        "unimelb-nlp/wikiann",
        "uk",
        "validation",
        {"tokens": [["Київ"]], "ner_tags": [[5]], "langs": [["uk"]], "spans": [["LOC: Київ"]]},
        Features(
            {
                "tokens": Sequence(Value("string")),
                "ner_tags": Sequence(ClassLabel(names=tags)),
                "langs": Sequence(Value("string")),
                "spans": Sequence(Value("string")),
            }
        ),
    )
    [it] = get_task("wikiann").items("ukr_Cyrl", "dev")
    assert it.gold == ["B-LOC"]

    upos = [
        "ADJ",
        "ADP",
        "ADV",
        "AUX",
        "CCONJ",
        "DET",
        "INTJ",
        "NOUN",
        "NUM",
        "PART",
        "PRON",
        "PROPN",
        "PUNCT",
        "SCONJ",
        "SYM",
        "VERB",
        "X",
    ]
    hub_repo(
        mirror,
        "google/xtreme",
        "udpos.German",
        "validation",  # configs named by English name
        {"tokens": [["Es", "regnet", "."]], "pos_tags": [[10, 15, 12]]},
        Features({"tokens": Sequence(Value("string")), "pos_tags": Sequence(ClassLabel(names=upos))}),
    )
    [it] = get_task("udpos").items("deu_Latn", "dev")
    assert it.fields == {"tokens": ["Es", "regnet", "."]} and it.gold == ["PRON", "VERB", "PUNCT"]

    cols = [
        "link",
        "question_number",
        "flores_passage",
        "question",
        "mc_answer1",
        "mc_answer2",
        "mc_answer3",
        "mc_answer4",
        "correct_answer_num",
        "dialect",
        "ds",
    ]
    row = ["https://example.org/p", 2, "Ni kifungu kifupi.", "Swali?", "a", "b", "c", "d", "3", "swh_Latn", "2023"]
    hub_repo(
        mirror,
        "facebook/belebele",
        "swh_Latn",
        "test",
        {c: [v] for c, v in zip(cols, row)},
        Features({c: Value("int64" if c == "question_number" else "string") for c in cols}),
    )
    [it] = get_task("belebele").items("swh_Latn", "test")
    assert it.fields == {"passage": "Ni kifungu kifupi.", "question": "Swali?", "choices": ["a", "b", "c", "d"]}
    assert it.gold == 2  # correct_answer_num is 1-based
    assert it.parallel_id == "https://example.org/p#2"  # the same form as the local copy's "{url}#{_index}"


def test_local_data_dir_wins_over_hub(mirror, tmp_path):
    t = get_task("xnli", tmp_path)
    assert not t.uses_hub()


def test_one_config_for_all_languages_is_filtered_and_variants_pick_configs(mirror):
    qa = Features(
        {
            "id": Value("string"),
            "title": Value("string"),
            "context": Value("string"),
            "question": Value("string"),
            "answers": {"text": Sequence(Value("string")), "answer_start": Sequence(Value("int32"))},
        }
    )
    hub_repo(
        mirror,
        "google-research-datasets/tydiqa",
        "secondary_task",
        "validation",
        {
            "id": ["swahili-1-0", "finnish-2-0", "swahili-3-1"],
            "title": ["a", "b", "c"],
            "context": ["Nairobi ni mji.", "Helsinki on kaupunki.", "Dodoma ni mji mkuu."],
            "question": ["Nini Nairobi?", "Mikä Helsinki?", "Mji mkuu ni upi?"],
            "answers": [
                {"text": ["mji"], "answer_start": [11]},
                {"text": ["kaupunki"], "answer_start": [12]},
                {"text": ["Dodoma"], "answer_start": [0]},
            ],
        },
        qa,
    )
    items = get_task("tydiqa_goldp").items("swh_Latn", "dev")
    assert [(it.fields["question"], it.gold) for it in items] == [
        ("Nini Nairobi?", ["mji"]),
        ("Mji mkuu ni upi?", ["Dodoma"]),
    ]

    hub_repo(
        mirror,
        "facebook/mlqa",
        "mlqa.de.vi",
        "validation",
        {
            "id": ["m1"],
            "title": ["t"],
            "context": ["Berlin ist groß."],
            "question": ["Berlin là gì?"],
            "answers": [{"text": ["groß"], "answer_start": [11]}],
        },
        qa,
    )
    [it] = get_task("mlqa-gxlt").items("deu_Latn", "dev", variant="question=vie_Latn")
    assert it.fields["question_language"] == "vie_Latn" and it.item_id == "m1|question=vie_Latn" and it.gold == ["groß"]


def test_online_loading_asks_datasets_for_the_pinned_commit(monkeypatch):
    """Without a mirror, the catalog's Hub id, config and pinned 40-hex revision reach load_dataset."""
    monkeypatch.delenv("XLING_HUB_MIRROR", raising=False)
    monkeypatch.delenv("XLING_DATA_DIR", raising=False)
    calls = []

    def fake_load_dataset(path, name=None, *, split, revision, streaming, data_dir=None):
        calls.append((path, name, split, revision, streaming))
        return Dataset.from_dict(
            {"premise": ["p"], "hypothesis": ["h"], "label": [0]},
            features=Features(
                {
                    "premise": Value("string"),
                    "hypothesis": Value("string"),
                    "label": ClassLabel(names=["entailment", "neutral", "contradiction"]),
                }
            ),
        )

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    [it] = get_task("xnli").items("swh_Latn", "dev")
    assert it.gold == "entailment"
    assert calls == [("facebook/xnli", "sw", "validation", "b8dd5d7af51114dbda02c0e3f6133f332186418e", True)]

    calls.clear()
    from xling.tasks import list_tasks
    from xling.tasks.hub import iter_hub_rows

    for task in list_tasks():
        hub = task.spec.hub
        if hub is None or hub.revision is None:
            continue
        language = task.languages[0]
        list(iter_hub_rows(hub, language, task.code(language), task.spec.eval_split, limit=1))
        assert calls[-1][0] == hub.id and calls[-1][3] == hub.revision, task.name
    assert len(calls) >= 15


def test_union_split_from_the_hub_maps_each_part(mirror):
    """flores-retrieval's train+dev+test on the Hub: dev -> validation (split_map), parts in order,
    each item keeping its own split, --limit across the parts; `datasets` also reads the mapped
    union (train+validation+test) in one call."""
    repo = mirror / "Davlan" / "sib200"
    f = Features({"index_id": Value("int64"), "category": Value("string"), "text": Value("string")})
    parts = {"train": [7, 3], "validation": [11], "test": [5, 2]}
    for split, ids in parts.items():
        (repo / "eng_Latn").mkdir(parents=True, exist_ok=True)
        Dataset.from_dict(
            {"index_id": ids, "category": ["travel"] * len(ids), "text": [f"s{i}" for i in ids]}, features=f
        ).to_parquet(str(repo / "eng_Latn" / f"{split}-00000-of-00001.parquet"))
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: eng_Latn\n  data_files:\n"
        + "".join(f"  - split: {s}\n    path: eng_Latn/{s}-*.parquet\n" for s in parts)
        + "---\n"
    )
    t = get_task("flores-retrieval")
    assert t.uses_hub() and t.spec.eval_split == "train+dev+test"
    items = t.items("eng_Latn", t.spec.eval_split)
    assert [(it.split, it.item_id, it.parallel_id, it.fields["text"]) for it in items] == [
        ("train", "7", "7", "s7"),
        ("train", "3", "3", "s3"),
        ("dev", "11", "11", "s11"),
        ("test", "5", "5", "s5"),
        ("test", "2", "2", "s2"),
    ]
    assert [(it.split, it.item_id) for it in t.items("eng_Latn", t.spec.eval_split, limit=3)] == [
        ("train", "7"),
        ("train", "3"),
        ("dev", "11"),
    ]
    assert t.count("eng_Latn", t.spec.eval_split) == 5

    from xling.tasks.hub import iter_hub_rows

    rows = list(iter_hub_rows(t.spec.hub, "eng_Latn", "eng_Latn", "train+dev+test"))
    assert [r.record["index_id"] for r in rows] == [7, 3, 11, 5, 2]
