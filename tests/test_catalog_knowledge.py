"""Knowledge and exam benchmarks (Global-MMLU, INCLUDE, MMLU-ProX, MMMLU, EXAMS, Okapi): each read
from fixtures the tests write in the release's Hub layout (Parquet/CSV configs, through
``datasets`` and $XLING_HUB_MIRROR) and in its local layout, and run end to end with a test
double; Okapi M-ARC also on the real release in ../shared/data. No row is copied from a release."""

from __future__ import annotations

import csv
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import scripted_lm
from xling.errors import DataError, UserError
from xling.run.runner import evaluate
from xling.tasks import get_task, list_tasks

KNOWLEDGE = {
    "global_mmlu": 42,
    "global_mmlu_lite": 16,
    "include": 44,
    "mmlu_prox": 29,
    "mmlu_prox_lite": 29,
    "mmmlu": 14,
    "exams": 16,
    "exams_crosslingual": 16,
    "m_arc": 31,
    "m_hellaswag": 31,
    "m_mmlu": 31,
}
LETTERS = "ABCDEFGHIJ"


class HubRepo:
    """A dataset repo laid out like the Hub: data files per config and split, and the README's
    ``configs:`` block that tells ``datasets`` which file is which."""

    def __init__(self, mirror, repo: str):
        self.root = mirror / repo
        self.configs: dict[str, dict[str, str]] = {}

    def parquet(self, config: str, split: str, rows: list[dict], features=None) -> None:
        from datasets import Dataset

        rel = f"{config}/{split}-00000-of-00001.parquet"
        (self.root / config).mkdir(parents=True, exist_ok=True)
        Dataset.from_list(rows, features=features).to_parquet(str(self.root / rel))
        self._add(config, split, rel)

    def file(self, config: str, split: str, rel: str, text: str) -> None:
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_text(text, "utf-8")
        self._add(config, split, rel)

    def _add(self, config: str, split: str, rel: str) -> None:
        self.configs.setdefault(config, {})[split] = rel
        lines = ["---", "configs:"]
        for name, splits in self.configs.items():
            lines += [f"- config_name: {name}", "  data_files:"]
            lines += [f"  - split: {s}\n    path: {p}" for s, p in splits.items()]
        (self.root / "README.md").write_text("\n".join([*lines, "---", ""]), "utf-8")


def local_parquet(path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def local_json(path, rows: list[dict], lines: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n" if lines else json.dumps(rows)
    path.write_text(text, "utf-8")


def gmmlu_row(i: int, answer: str, label: str = "CS") -> dict:
    return {
        "sample_id": f"world_religions/test/{i}",
        "subject": "world_religions",
        "subject_category": "Humanities",
        "question": f"Swali la dini namba {i}?",
        "option_a": f"jibu la kwanza {i}",
        "option_b": f"jibu la pili {i}",
        "option_c": f"jibu la tatu {i}",
        "option_d": f"jibu la nne {i}",
        "answer": answer,
        "required_knowledge": "['cultural']",
        "time_sensitive": "['No']",
        "reference": "[]",
        "culture": "[]",
        "region": "[]",
        "country": "[]",
        "cultural_sensitivity_label": label,
        "is_annotated": bool(label),
    }


def prox_row(i: int, n_options: int, answer: str, cot: str = "") -> dict:
    row = {"question_id": 70 + i, "question": f"Swali gumu {i}?"}
    row |= {f"option_{k}": (f"chaguo {k} la {i}" if k < n_options else None) for k in range(10)}
    return row | {"answer": answer, "answer_index": LETTERS.index(answer), "cot_content": cot, "category": "math"}


def oracle_letters(items) -> callable:
    """prompt -> the gold letter of the (one) item whose question the prompt ends with."""

    def answer(prompt: str) -> str:
        found = {LETTERS[int(it.gold)] for it in items if it.fields["question"] in prompt.rsplit("\n\n", 1)[-1]}
        assert len(found) == 1, prompt
        return " " + found.pop()

    return answer


# --- the spec pieces these benchmarks need ---------------------------------------------------


def test_gold_letter_optional_options_and_label_positions(tmp_path):
    """Okapi's A-E letters over 3-5 option columns, and ARC/EXAMS answer keys among option labels."""
    spec = {
        "name": "mc",
        "description": "d",
        "kind": "multiple_choice",
        "metric": "accuracy",
        "languages": ["deu_Latn"],
        "creation": "native",
        "licence": "x",
        "eval_split": "test",
        "fields": {"question": "q", "choices": ["a", "b", "c?", "d?"]},
        "gold": {"path": "answer", "type": "letter"},
        "local": {"format": "jsonl", "path": "{split}.jsonl", "root": "task-file"},
    }
    (tmp_path / "mc.yaml").write_text(json.dumps(spec))
    rows = [
        {"q": "drei", "a": "x", "b": "y", "c": "z", "answer": "c"},  # lower case letter, option d absent
        {"q": "zwei", "a": "x", "b": "y", "c": "", "d": None, "answer": "B"},
    ]
    local_json(tmp_path / "test.jsonl", rows, lines=True)
    from xling.tasks import load_task_file

    t = load_task_file(tmp_path / "mc.yaml")
    assert [(it.fields["choices"], it.gold) for it in t.items("deu_Latn", "test")] == [
        (["x", "y", "z"], 2),
        (["x", "y"], 1),
    ]
    # an option after an absent one would shift every later letter: a bad row, not a silent shift
    local_json(tmp_path / "test.jsonl", [{"q": "q", "a": "x", "b": "y", "d": "w", "answer": "A"}], lines=True)
    with pytest.raises(DataError, match=r"'d\?' has a value but the optional 'c\?' before it is empty"):
        t.items("deu_Latn", "test")
    # a letter beyond the options the record has
    local_json(tmp_path / "test.jsonl", [{"q": "q", "a": "x", "b": "y", "answer": "D"}], lines=True)
    with pytest.raises(DataError, match="gold index 3 is out of range for 2 choices"):
        t.items("deu_Latn", "test")
    local_json(tmp_path / "test.jsonl", [{"q": "q", "a": "x", "b": "y", "answer": "@"}], lines=True)
    with pytest.raises(DataError, match="'@' is not an option letter"):
        t.items("deu_Latn", "test")

    spec["fields"] = {"question": "question.stem", "choices": "question.choices[*].text"}
    spec["gold"] = {"path": "answerKey", "among": "question.choices[*].label"}
    (tmp_path / "mc.yaml").write_text(json.dumps(spec))
    arc = {"question": {"stem": "s", "choices": [{"text": "eins", "label": "1"}, {"text": "zwei", "label": "2"}]}}
    local_json(tmp_path / "test.jsonl", [arc | {"answerKey": "2"}, arc | {"answerKey": "7"}], lines=True)
    t = load_task_file(tmp_path / "mc.yaml")
    with pytest.raises(DataError, match=r"'7' is not among the option labels \['1', '2'\]"):
        t.items("deu_Latn", "test")
    assert [it.gold for it in t.items("deu_Latn", "test", limit=1)] == [1]


def test_chain_of_thought_answer_is_read_after_the_last_answer_phrase():
    from xling.scoring.answers import extract_final_choice

    letters, choices = list(LETTERS), [f"o{i}" for i in range(10)]
    phrases = ["The answer is", "Jibu ni"]
    text = "(A) looks right at first.\nBut B fails, and so does A.\nThe answer is (J)."
    assert extract_final_choice(text, letters, choices, phrases).answer == 9
    assert extract_final_choice("Jibu ni C, si A.", letters, choices, phrases).answer == 2
    # the last of several answer phrases wins; no phrase: the last standalone letter
    assert extract_final_choice("The answer is A? No. The answer is (D).", letters, choices, phrases).answer == 3
    last = extract_final_choice("Between B and E, E", letters, choices, phrases)
    assert (last.answer, last.via) == (4, "last-letter")
    assert extract_final_choice("no idea", letters, choices[:4], phrases).status == "unparseable"


# --- each benchmark in its Hub layout ---------------------------------------------------------


def test_global_mmlu_and_lite_from_hub_keep_cultural_labels(mirror):
    repo = HubRepo(mirror, "CohereForAI/Global-MMLU")
    repo.parquet("sw", "test", [gmmlu_row(0, "C", "CS"), gmmlu_row(1, "A", "CA"), gmmlu_row(2, "D", "")])
    items = get_task("global_mmlu").items("swh_Latn", "test")
    assert [(it.parallel_id, it.gold, it.fields.get("cultural_label")) for it in items] == [
        ("world_religions/test/0", 2, "CS"),
        ("world_religions/test/1", 0, "CA"),
        ("world_religions/test/2", 3, None),  # not annotated: no label rather than an error
    ]
    assert items[0].fields["subject"] == "world_religions"
    assert items[0].fields["choices"] == [f"jibu la {w} 0" for w in ("kwanza", "pili", "tatu", "nne")]

    lite = HubRepo(mirror, "CohereForAI/Global-MMLU-Lite")
    lite.parquet("yo", "dev", [gmmlu_row(5, "B", "CA")])
    [it] = get_task("global_mmlu_lite").items("yor_Latn", "dev")
    assert (it.gold, it.fields["cultural_label"]) == (1, "CA")


def test_a_hub_layout_without_a_column_names_the_source_and_the_column(mirror):
    row = gmmlu_row(0, "C")
    del row["option_d"]
    HubRepo(mirror, "CohereForAI/Global-MMLU").parquet("sw", "test", [row])
    with pytest.raises(DataError, match=r"CohereForAI/Global-MMLU:1: no field 'option_d'"):
        get_task("global_mmlu").items("swh_Latn", "test")
    with pytest.raises(UserError, match="global_mmlu"):
        get_task("global_mmlu").items("xho_Latn", "test")  # a language the release lacks


def test_include_from_hub_has_region_level_and_subject(mirror):
    row = {
        "language": "Albanian",
        "country": "Albania",
        "domain": "Social Science",
        "subject": "History",
        "regional_feature": "region explicit",
        "level": "High school",
        "question": "Cili qytet?",
        "option_a": "Tirana",
        "option_b": "Durrës",
        "option_c": "Vlora",
        "option_d": "Shkodra",
        "answer": 3,
    }
    HubRepo(mirror, "CohereForAI/include-base-44").parquet("Albanian", "test", [row])
    [it] = get_task("include").items("als_Latn", "test")
    assert it.gold == 3 and it.fields["choices"][3] == "Shkodra"
    assert {k: it.fields[k] for k in ("region", "level", "subject", "country")} == {
        "region": "region explicit",
        "level": "High school",
        "subject": "History",
        "country": "Albania",
    }
    assert get_task("include").spec.hub.languages == {} and get_task("include").code("mkd_Cyrl") == "North Macedonian"


def test_mmlu_prox_from_hub_has_up_to_ten_options(mirror):
    for name, repo_id in (("mmlu_prox", "li-lab/MMLU-ProX"), ("mmlu_prox_lite", "li-lab/MMLU-ProX-Lite")):
        repo = HubRepo(mirror, repo_id)
        repo.parquet("sw", "test", [prox_row(0, 10, "J"), prox_row(1, 4, "B")])
        repo.parquet("sw", "validation", [prox_row(2, 6, "F", cot="A: Hatua kwa hatua. Jibu ni (F).")])
        t = get_task(name)
        test = t.items("swh_Latn", "test")
        assert [(len(it.fields["choices"]), it.gold, it.parallel_id) for it in test] == [(10, 9, "70"), (4, 1, "71")]
        assert "solution" not in test[0].fields  # empty cot_content in test
        [val] = t.items("swh_Latn", "validation")
        assert val.fields["solution"].endswith("(F).") and val.fields["subject"] == "math"


def test_mmmlu_from_hub_csv_configs(mirror):
    text = ',Question,A,B,C,D,Answer,Subject\n0,"Swali, lenye koma?",a,b,c,d,B,anatomy\n7,Pili?,e,f,g,h,D,virology\n'
    HubRepo(mirror, "openai/MMMLU").file("SW_KE", "test", "test/mmlu_SW-KE.csv", text)
    items = get_task("mmmlu").items("swh_Latn", "test")
    assert [(it.parallel_id, it.gold, it.fields["question"], it.fields["subject"]) for it in items] == [
        ("0", 1, "Swali, lenye koma?", "anatomy"),
        ("7", 3, "Pili?", "virology"),
    ]


EXAMS_ROWS = [
    ("bg-1", "Bulgarian", "Biology", 12, "Кой орган?", ["сърце", "бял дроб", "черен дроб"], ["A", "B", "C"], "B"),
    ("hr-1", "Croatian", "History", 8, "Koja godina?", ["1990", "1991", "1992", "1993"], ["A", "B", "C", "D"], "D"),
    ("bg-2", "Bulgarian", "Physics", 11, "Колко?", ["едно", "две"], ["1", "2"], "1"),
]


def exams_features():
    """The Hub's EXAMS features: choices a sequence of (text, label) records."""
    from datasets import Features, Sequence, Value

    return Features(
        {
            "id": Value("string"),
            "question": {
                "stem": Value("string"),
                "choices": Sequence({"text": Value("string"), "label": Value("string")}),
                "para": Value("string"),
            },
            "answerKey": Value("string"),
            "info": {"grade": Value("int32"), "subject": Value("string"), "language": Value("string")},
        }
    )


def exams_record(row: tuple, hub: bool) -> dict:
    qid, lang, subject, grade, stem, texts, labels, key = row
    choices = {"text": texts, "label": labels} if hub else [{"text": t, "label": lab} for t, lab in zip(texts, labels)]
    return {
        "id": qid,
        "question": {"stem": stem, "choices": choices, "para": ""},
        "answerKey": key,
        "info": {"grade": grade, "subject": subject, "language": lang},
    }


def test_exams_hub_and_local_filter_one_language_of_the_shared_files(mirror, tmp_path):
    features = exams_features()
    HubRepo(mirror, "mhardalov/exams").parquet(
        "multilingual", "test", [exams_record(r, hub=True) for r in EXAMS_ROWS], features
    )
    expected = [("bg-1", 1, "Biology", 12, 3), ("bg-2", 0, "Physics", 11, 2)]

    def seen(items):
        return [
            (it.item_id, it.gold, it.fields["subject"], it.fields["level"], len(it.fields["choices"])) for it in items
        ]

    assert seen(get_task("exams").items("bul_Cyrl", "test")) == expected
    # the repository's own layout: data/exams/multilingual/{train,dev,test}.jsonl.tar.gz, ARC records
    data = tmp_path / "data"
    exams_archive(data / "exams/data/exams/multilingual/test.jsonl.tar.gz", EXAMS_ROWS)
    t = get_task("exams", data)
    assert seen(t.items("bul_Cyrl", "test")) == expected
    assert [it.fields["choices"] for it in t.items("hrv_Latn", "test")] == [["1990", "1991", "1992", "1993"]]


def exams_archive(path, rows, member: str | None = None) -> None:
    """One of the exams-qa repository's files: a tar.gz archive holding one JSON-lines file."""
    import io
    import tarfile

    data = "".join(json.dumps(exams_record(r, False), ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member or path.name.removesuffix(".tar.gz"))
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


XL_TRAIN = [("bg-t1", "Bulgarian", "History", 10, "Коя година?", ["1878", "1885"], ["A", "B"], "A")]
XL_DEV = [("bg-d1", "Bulgarian", "Physics", 9, "Колко?", ["3", "4", "5"], ["A", "B", "C"], "C")]


def test_exams_cross_lingual_testbed_reads_the_source_language_files(tmp_path):
    """Train and dev come from the source language's own cross-lingual files, the test from the
    testbed's shared test file (filtered by language); a test-only language has no train split."""
    folder = tmp_path / "data/exams/data/exams/cross-lingual"
    exams_archive(folder / "train_bg.jsonl.tar.gz", XL_TRAIN)
    exams_archive(folder / "dev_bg.jsonl.tar.gz", XL_DEV)
    exams_archive(folder / "test.jsonl.tar.gz", EXAMS_ROWS)
    t = get_task("exams_crosslingual", tmp_path / "data")
    assert t.spec.source_language == "bul_Cyrl"
    assert [(it.item_id, it.gold) for it in t.items("bul_Cyrl", "train")] == [("bg-t1", 0)]
    assert [(it.item_id, it.gold) for it in t.items("bul_Cyrl", "dev")] == [("bg-d1", 2)]
    assert [it.item_id for it in t.items("bul_Cyrl", "test")] == ["bg-1", "bg-2"]
    assert [it.item_id for it in t.items("hrv_Latn", "test")] == ["hr-1"]
    assert t.splits_of("arb_Arab") == ["test"] and "train" in t.splits_of("hrv_Latn")


def test_exams_cross_lingual_from_the_hub_reads_a_config_per_split(mirror):
    features = exams_features()
    repo = HubRepo(mirror, "mhardalov/exams")
    repo.parquet("crosslingual_bg", "train", [exams_record(r, hub=True) for r in XL_TRAIN], features)
    repo.parquet("crosslingual_test", "test", [exams_record(r, hub=True) for r in EXAMS_ROWS], features)
    t = get_task("exams_crosslingual")
    assert [it.item_id for it in t.items("bul_Cyrl", "train")] == ["bg-t1"]
    assert [it.item_id for it in t.items("bul_Cyrl", "test")] == ["bg-1", "bg-2"]
    assert [it.item_id for it in t.items("hrv_Latn", "test")] == ["hr-1"]


def test_a_tar_archive_must_hold_one_file(tmp_path):
    import io
    import tarfile

    path = tmp_path / "data/exams/data/exams/multilingual/test.jsonl.tar.gz"
    path.parent.mkdir(parents=True)
    with tarfile.open(path, "w:gz") as tar:
        for name in ("a.jsonl", "b.jsonl"):
            info = tarfile.TarInfo(name)
            tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(DataError, match=r"must hold exactly one file, found 2 \(a\.jsonl, b\.jsonl\)"):
        get_task("exams", tmp_path / "data").items("bul_Cyrl", "test")
    path.write_bytes(b"not a tar archive")
    with pytest.raises(DataError, match="not a readable archive"):
        get_task("exams", tmp_path / "data").items("bul_Cyrl", "test")


def okapi_mc(i: int, answer: str, options: int = 4) -> dict:
    row = {"id": f"ARC-Challenge/test/Q{i}", "answer": answer, "instruction": f"Frage {i}?"}
    return row | {f"option_{k}": f"Antwort {k}{i}" for k in "abcde"[:options]}


def hellaswag_record(i: int, label: str) -> dict:
    return {
        "ind": 40 + i,
        "activity_label": "Kochen",
        "ctx_a": f"Ein Mann schneidet Zwiebeln {i}.",
        "ctx_b": "er",
        "ctx": f"Ein Mann schneidet Zwiebeln {i}. er",
        "endings": [f"weint {i}", f"lacht {i}", f"singt {i}", f"schläft {i}"],
        "source_id": "activitynet~v_x",
        "split": "val",
        "split_type": "indomain",
        "label": label,
    }


def test_okapi_tasks_from_hub_and_from_the_okapi_files(mirror, tmp_path):
    HubRepo(mirror, "alexandrainst/m_arc").parquet("de", "val", [okapi_mc(1, "E", 5)])
    [it] = get_task("m_arc").items("deu_Latn", "validation")
    assert (it.gold, len(it.fields["choices"])) == (4, 5)
    HubRepo(mirror, "alexandrainst/m_hellaswag").parquet("de", "val", [hellaswag_record(1, "2")])
    [it] = get_task("m_hellaswag").items("deu_Latn", "validation")
    assert it.fields["context"] == "Kochen: Ein Mann schneidet Zwiebeln 1. er" and it.gold == 2
    assert it.parallel_id == "41"
    HubRepo(mirror, "alexandrainst/m_mmlu").parquet("de", "train", [okapi_mc(2, "C")])
    [it] = get_task("m_mmlu").items("deu_Latn", "dev")  # Okapi's dev: the Hub copy's train
    assert it.gold == 2

    data = tmp_path / "data"
    local_json(data / "m_hellaswag/sr_validation.json", [hellaswag_record(3, "0")])
    local_json(data / "m_mmlu/sr_test.json", [okapi_mc(4, "D"), okapi_mc(5, "A")])
    [hs] = get_task("m_hellaswag", data).items("srp_Latn", "validation")  # Okapi's Serbian is Latin script
    assert hs.fields["choices"][0] == "weint 3" and hs.gold == 0
    assert [it.gold for it in get_task("m_mmlu", data).items("srp_Latn", "test")] == [3, 0]


# --- local layouts end to end with a test double ----------------------------------------------


def test_parquet_release_layouts_run_end_to_end(tmp_path, monkeypatch):
    """Global-MMLU, INCLUDE and MMMLU from a downloaded copy of their repos, scored by a model
    that answers every prompt with its item's letter: 100, and the item fields survive."""
    data = tmp_path / "data"
    local_parquet(data / "global_mmlu/sw/test-00000-of-00001.parquet", [gmmlu_row(i, "ABCD"[i % 4]) for i in range(4)])
    local_parquet(data / "global_mmlu/en/test-00000-of-00001.parquet", [gmmlu_row(i, "ABCD"[i % 4]) for i in range(4)])
    rows = [
        {"question": f"Pyetja {i}?", "option_a": "a", "option_b": "b", "option_c": "c", "option_d": "d"}
        for i in range(3)
    ]
    local_parquet(
        data / "include/Albanian/test-00000-of-00001.parquet",
        [
            r | {"answer": i, "regional_feature": "culture", "subject": "Law", "level": "", "country": ""}
            for i, r in enumerate(rows)
        ],
    )
    csv_path = data / "mmmlu/test/mmlu_SW-KE.csv"
    csv_path.parent.mkdir(parents=True)
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["", "Question", "A", "B", "C", "D", "Answer", "Subject"])
        w.writerows([[i, f"Swali {i}?", "a", "b", "c", "d", "ABCD"[3 - i], "law"] for i in range(3)])
    items = [
        it
        for name, lang in (
            ("global_mmlu", "swh_Latn"),
            ("global_mmlu", "eng_Latn"),
            ("include", "als_Latn"),
            ("mmmlu", "swh_Latn"),
        )
        for it in get_task(name, data).items(lang, "test")
    ]
    lm = scripted_lm.register(monkeypatch)
    lm.script = staticmethod(oracle_letters(items))
    res = evaluate("scripted", tasks=["global_mmlu"], languages=["swh_Latn"], data_dir=data, output=tmp_path / "a")
    got = {(s["task"], s["language"]): (s["value"], s["n"]) for s in res.data["scores"]}
    assert got == {("global_mmlu", "swh_Latn"): (100.0, 4), ("global_mmlu", "eng_Latn"): (100.0, 4)}
    for name, lang in (("include", "als_Latn"), ("mmmlu", "swh_Latn")):
        res = evaluate("scripted", tasks=[name], languages=[lang], data_dir=data, output=tmp_path / name)
        assert {(s["language"], s["value"], s["n"]) for s in res.data["scores"]} == {(lang, 100.0, 3)}
    tasks = {t["name"]: t for t in res.data["run"]["tasks"]}
    assert tasks["mmmlu"]["creation"] == "human-translated"


def test_mmlu_prox_chain_of_thought_by_generation(tmp_path, monkeypatch):
    """choice_cot: the prompt asks for step-by-step reasoning, worked validation answers are the
    demonstrations, the model may reason over lines and name other letters first, and the letter
    after the last "The answer is" is scored."""
    data = tmp_path / "data"
    test = [prox_row(0, 10, "J"), prox_row(1, 3, "A"), prox_row(2, 5, "C")]
    local_parquet(data / "mmlu_prox/en/test-00000-of-00001.parquet", test)
    worked = "A: Let's think step by step. Option F is the only one left. The answer is (F)."
    local_parquet(data / "mmlu_prox/en/validation-00000-of-00001.parquet", [prox_row(9, 6, "F", cot=worked)])
    golds = {f"Swali gumu {i}?": r["answer"] for i, r in enumerate(test)}

    def reason(prompt: str) -> str:
        letter = next(g for q, g in golds.items() if q in prompt.rsplit(worked, 1)[-1])
        return f" (A) looks right at first.\nOn reflection B is wrong too.\n\nThe answer is ({letter})."

    lm = scripted_lm.register(monkeypatch)
    lm.script = staticmethod(reason)
    res = evaluate(
        "scripted",
        tasks=["mmlu_prox"],
        languages=["eng_Latn"],
        data_dir=data,
        output=tmp_path / "run",
        protocol={"shots": 1},
    )
    [score] = res.data["scores"]
    assert (score["value"], score["n"]) == (100.0, 3)
    prompt = lm.seen[0]
    assert "Think step by step, then write the letter of the correct option" in prompt
    assert worked in prompt and "J. chaguo 9 la 0" in prompt and prompt.rstrip().endswith("Step-by-Step Answer:")
    assert "\n" not in lm.stops[0] and "\nQuestion:" in lm.stops[0]  # reasoning may run over lines
    vias = {p["via"] for p in res.predictions()["prediction"]}
    assert vias == {"answer-phrase"}


# --- the real Okapi M-ARC release ------------------------------------------------------------


@pytest.mark.data
@pytest.mark.slow
def test_m_arc_end_to_end_on_the_okapi_release(shared_data, tmp_path, monkeypatch):
    t = get_task("m_arc", shared_data)
    langs = ["deu_Latn", "zho_Hans", "srp_Latn"]
    assert sorted(t.available_languages()) == sorted(t.languages) and len(t.languages) == 31
    items = [it for lang in langs for it in t.limited_items(lang, "test", 6, "sample", 0)]  # a run's default sample
    assert {it.parallel_id for it in items if it.language == "deu_Latn"} == {
        it.parallel_id for it in items if it.language == "zho_Hans"
    }  # the same ARC questions in the same order
    lm = scripted_lm.register_both(monkeypatch)
    scripted_lm.ScriptedLM.script = staticmethod(oracle_letters(items))  # the generations of both doubles
    res = evaluate(
        "scripted-both",
        tasks=["m_arc"],
        languages=langs,
        limit=6,
        data_dir=shared_data,
        output=tmp_path / "gen",
        protocol={"answer_by": "generate"},
    )
    assert {(s["language"], s["value"], s["n"], s["errors"]) for s in res.data["scores"]} == {
        (lang, 100.0, 6, 0) for lang in langs
    }
    files = {d["path"].removeprefix(str(shared_data) + "/") for d in res.data["run"]["data"]}
    assert files == {"m_arc/de_test.json", "m_arc/zh_test.json", "m_arc/sr_test.json"}
    # by log-likelihood: the double prefers the gold option's text, so every answer is right
    gold_texts = {it.fields["choices"][int(it.gold)].strip() for it in items}
    lm.loglik_script = staticmethod(lambda context, continuation: 0.0 if continuation.strip() in gold_texts else -9.0)
    res = evaluate(
        "scripted-both",
        tasks=["m_arc"],
        languages=langs[:1],
        limit=6,
        data_dir=shared_data,
        output=tmp_path / "ll",
        protocol={"answer_by": "loglik"},
    )
    assert [(s["value"], s["n"]) for s in res.data["scores"]] == [(100.0, 6)]


# --- metadata --------------------------------------------------------------------------------


def test_knowledge_tasks_have_full_metadata_and_the_releases_language_counts():
    tasks = {t.name: t for t in list_tasks()}
    assert {name: len(tasks[name].languages) for name in KNOWLEDGE} == KNOWLEDGE
    for name in KNOWLEDGE:
        s = tasks[name].spec
        assert s.kind == "multiple_choice" and s.licence and s.citation and s.homepage and s.creation
        assert s.local is not None and s.hub is not None
        assert all(re.fullmatch(r"[a-z]{3}_[A-Z][a-z]{3}", lang) for lang in s.languages)
        assert s.hub.revision or "not pinned" in s.hub.note.lower()
    creation = {name: tasks[name].spec.creation for name in KNOWLEDGE}
    assert creation["include"] == creation["exams"] == "native"
    assert {creation[n] for n in ("m_arc", "m_hellaswag", "m_mmlu", "global_mmlu")} == {"machine-translated"}
    assert tasks["mmlu_prox"].spec.options.prompt_family == "choice_cot"
