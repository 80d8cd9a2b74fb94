"""The Hugging Face Hub code path, offline: ``datasets.load_dataset`` on folders laid out like the
Hub repos (README configs + parquet), via $XLING_HUB_MIRROR. Rows are written here (not copied
from any dataset)."""
from __future__ import annotations

import pytest

datasets = pytest.importorskip("datasets")
from datasets import ClassLabel, Dataset, Features, Sequence, Value  # noqa: E402

from xling.tasks import get_task  # noqa: E402


def hub_repo(root, repo, config, split, rows, features):
    d = root / repo / config
    d.mkdir(parents=True, exist_ok=True)
    Dataset.from_dict(rows, features=features).to_parquet(str(d / f"{split}-00000-of-00001.parquet"))
    readme = root / repo / "README.md"
    old = readme.read_text() if readme.exists() else "---\nconfigs:\n"
    readme.write_text(old.removesuffix("---\n") + f"- config_name: {config}\n  data_files:\n"
                      f"  - split: {split}\n    path: {config}/{split}-*.parquet\n---\n")


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    root = tmp_path / "hub"
    monkeypatch.setenv("XLING_HUB_MIRROR", str(root))
    monkeypatch.delenv("XLING_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return root


def test_xnli_from_hub_layout_class_labels_and_limit(mirror):
    f = Features({"premise": Value("string"), "hypothesis": Value("string"),
                  "label": ClassLabel(names=["entailment", "neutral", "contradiction"])})
    hub_repo(mirror, "facebook/xnli", "sw", "validation",
             {"premise": ["Mvua inanyesha.", "Paka analala.", "Tunakula."],
              "hypothesis": ["Kuna mvua.", "Paka anakimbia.", "Tuna njaa."], "label": [0, 2, 1]}, f)
    t = get_task("xnli")
    assert t.uses_hub()
    items = t.items("swh_Latn", "dev")
    assert [(it.item_id, it.parallel_id, it.gold) for it in items] == [
        ("1", "1", "entailment"), ("2", "2", "contradiction"), ("3", "3", "neutral")]
    assert items[0].fields == {"text1": "Mvua inanyesha.", "text2": "Kuna mvua."}
    assert len(t.items("swh_Latn", "dev", limit=2)) == 2


def test_token_tags_and_official_belebele_schema_from_hub(mirror):
    tags = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    hub_repo(mirror, "google/xtreme", "PAN-X.sw", "validation",
             {"tokens": [["Ada", "yuko", "Mombasa"]], "ner_tags": [[1, 0, 5]], "langs": [["sw"] * 3]},
             Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=tags)),
                       "langs": Sequence(Value("string"))}))
    [it] = get_task("wikiann").items("swh_Latn", "dev")
    assert it.fields == {"tokens": ["Ada", "yuko", "Mombasa"]} and it.gold == ["B-PER", "O", "B-LOC"]

    cols = ["link", "question_number", "flores_passage", "question", "mc_answer1", "mc_answer2",
            "mc_answer3", "mc_answer4", "correct_answer_num", "dialect", "ds"]
    row = ["https://example.org/p", 2, "Ni kifungu kifupi.", "Swali?", "a", "b", "c", "d", "3", "swh_Latn", "2023"]
    hub_repo(mirror, "facebook/belebele", "swh_Latn", "test", {c: [v] for c, v in zip(cols, row)},
             Features({c: Value("int64" if c == "question_number" else "string") for c in cols}))
    [it] = get_task("belebele").items("swh_Latn", "test")
    assert it.fields == {"passage": "Ni kifungu kifupi.", "question": "Swali?", "choices": ["a", "b", "c", "d"]}
    assert it.gold == 2  # correct_answer_num is 1-based
    assert it.parallel_id == "https://example.org/p#2"  # the same form as the local copy's "{url}#{_index}"


def test_local_data_dir_wins_over_hub(mirror, tmp_path):
    t = get_task("xnli", tmp_path)
    assert not t.uses_hub()
