"""The ``mkqa`` catalog task: the release's one gzipped JSON-lines file read in place (per-language
columns, answer texts and aliases, unanswerable questions) and the same rows in the Hub's Parquet
export layout, both written here with made-up rows; scored end to end with the scripted model."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from helpers import scripted_lm
from xling import evaluate
from xling.errors import DataError
from xling.languages.codes import canonical
from xling.tasks import get_task
from xling.tasks.policy import ReadPolicy

LANGS = ["en", "de", "ja", "zh_cn", "zh_hk", "zh_tw"]
# the release's record shape: queries and answers keyed by locale; an answer without "aliases"
# and one whose text is null (unanswerable, long_answer) occur in the release
ROWS = [
    {
        "example_id": 563260143484355911,
        "query": "who sings i hear you knocking but you can't come in",
        "queries": {
            "en": "who sings i hear you knocking but you can't come in",
            "de": "Wer singt I hear you knocking but you can't come in?",
            "ja": "「I hear you knocking」は誰が歌っていますか",
            "zh_cn": "《i hear you knocking》是谁演唱的",
            "zh_hk": "《i hear you knocking》的演唱者是誰",
            "zh_tw": "《i hear you knocking》是誰演唱的",
        },
        "answers": {
            "en": [{"type": "entity", "entity": "Q545186", "text": "Dave Edmunds", "aliases": []}],
            "de": [{"type": "entity", "entity": "Q545186", "text": "Dave Edmunds", "aliases": ["Edmunds"]}],
            "ja": [
                {"type": "entity", "entity": "Q545186", "text": "デイヴ・エドモンズ", "aliases": ["デーブ・エドモンズ"]}
            ],
            "zh_cn": [{"type": "entity", "text": "戴维·埃德蒙兹 ", "entity": "Q545186"}],
            "zh_hk": [{"type": "entity", "text": "戴夫·艾德蒙斯", "entity": "Q545186", "aliases": ["艾德蒙斯"]}],
            "zh_tw": [{"type": "entity", "text": "戴維·埃德蒙茲", "entity": "Q545186"}],
        },
    },
    {
        "example_id": -7449157003522518870,
        "query": "who will win the next world cup",
        "queries": {
            "en": "who will win the next world cup",
            "de": "Wer gewinnt die nächste Weltmeisterschaft?",
            "ja": "次のワールドカップで優勝するのは誰ですか",
            "zh_cn": "谁将赢得下一届世界杯",
            "zh_hk": "下屆世界盃誰會勝出",
            "zh_tw": "誰將贏得下一屆世界盃",
        },
        "answers": {c: [{"type": "unanswerable", "text": None, "aliases": []}] for c in LANGS},
    },
    {
        "example_id": 1234567890123456789,
        "query": "how does a bill become a law",
        "queries": {
            "en": "how does a bill become a law",
            "de": "Wie wird ein Gesetzentwurf zum Gesetz?",
            "ja": "法案はどのように法律になりますか",
            "zh_cn": "法案如何成为法律",
            "zh_hk": "法案怎樣成為法律",
            "zh_tw": "法案如何成為法律",
        },
        "answers": {c: [{"type": "long_answer", "text": None}] for c in LANGS},
    },
    {
        "example_id": 42,
        "query": "is the moon bigger than the earth",
        "queries": {
            "en": "is the moon bigger than the earth",
            "de": "Ist der Mond größer als die Erde?",
            "ja": "月は地球より大きいですか",
            "zh_cn": "月球比地球大吗",
            "zh_hk": "月亮比地球大嗎",
            "zh_tw": "月球比地球大嗎",
        },
        "answers": {c: [{"type": "binary", "text": "no", "aliases": []}] for c in LANGS},
    },
]
LANGUAGES = ["eng_Latn", "deu_Latn", "jpn_Jpan", "zho_Hans", "zho_Hant"]


def write_release(root, rows=ROWS) -> None:
    """``<data>/mkqa/dataset/mkqa.jsonl.gz``: the ml-mkqa repository's file, gzip JSON lines."""
    path = root / "mkqa" / "dataset" / "mkqa.jsonl.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


ANSWER_TYPES = ["entity", "long_answer", "unanswerable", "date", "number", "number_with_unit", "short_phrase", "binary"]


def write_parquet_export(mirror) -> None:
    """``apple/mkqa/mkqa/train/0000.parquet``: the Hub's Parquet export of the loading script's
    dataset: nested columns per locale, the answer type a class index, aliases always present."""
    datasets = pytest.importorskip("datasets")
    answer = {
        "type": datasets.ClassLabel(names=ANSWER_TYPES),
        "entity": datasets.Value("string"),
        "text": datasets.Value("string"),
        "aliases": datasets.Sequence(datasets.Value("string")),
    }
    features = datasets.Features(
        {
            "example_id": datasets.Value("string"),
            "queries": {c: datasets.Value("string") for c in LANGS},
            "query": datasets.Value("string"),
            "answers": {c: [answer] for c in LANGS},
        }
    )

    def hub_row(r):
        answers = {
            c: [
                {
                    "type": ANSWER_TYPES.index(a["type"]),
                    "entity": a.get("entity"),
                    "text": a["text"],
                    "aliases": a.get("aliases", []),
                }
                for a in r["answers"][c]
            ]
            for c in LANGS
        }
        return {"example_id": str(r["example_id"]), "queries": r["queries"], "query": r["query"], "answers": answers}

    rows = [hub_row(r) for r in ROWS]
    folder = mirror / "apple" / "mkqa" / "mkqa" / "train"
    folder.mkdir(parents=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(folder / "0000.parquet"))


@pytest.fixture
def release(tmp_path):
    write_release(tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def lm(monkeypatch):
    return scripted_lm.register(monkeypatch)


def test_the_gzipped_release_is_read_in_place_one_language_at_a_time(release):
    task = get_task("mkqa", release)
    assert len(task.languages) == 25 and task.spec.languages["zho_Hant"] == "zh_tw"
    de = task.items("deu_Latn", "test")
    assert [it.item_id for it in de] == ["563260143484355911", "-7449157003522518870", "1234567890123456789", "42"]
    assert de[0].fields == {"question": "Wer singt I hear you knocking but you can't come in?"}
    assert de[0].gold == ["Dave Edmunds", "Edmunds"]  # the text and every alias
    assert task.items("zho_Hans", "test")[0].gold == ["戴维·埃德蒙兹 "]  # no "aliases" key at all
    assert [it.gold for it in de[1:]] == [[""], [""], ["no"]]  # unanswerable and long_answer: No Answer
    # parallel across languages by the example id: the consistency analysis pairs them
    ja = task.items("jpn_Jpan", "test")
    assert [it.parallel_id for it in ja] == [it.parallel_id for it in de]
    assert task.count("eng_Latn", "test") == 4


def test_hong_kong_is_its_own_task_in_traditional_chinese_parallel_to_mkqa(release, mirror):
    """zh_hk and zh_tw are both zho_Hant (Chinese in traditional characters, by its locale code):
    mkqa evaluates zh_tw, mkqa_zh_hk the Hong Kong column, item by item parallel to it."""
    assert canonical("zh-HK") == "zho_Hant"
    hk = get_task("mkqa_zh_hk", release)
    assert hk.languages == ["eng_Latn", "zho_Hant"] and hk.spec.creation == "human-translated"
    items = hk.items("zho_Hant", "test")
    assert items[0].fields == {"question": "《i hear you knocking》的演唱者是誰"}
    assert items[0].gold == ["戴夫·艾德蒙斯", "艾德蒙斯"] and [it.gold for it in items[1:]] == [[""], [""], ["no"]]
    tw = get_task("mkqa", release).items("zho_Hant", "test")
    assert [it.parallel_id for it in items] == [it.parallel_id for it in tw]
    assert tw[0].fields["question"] != items[0].fields["question"]
    write_parquet_export(mirror)
    hub = get_task("mkqa_zh_hk")
    assert [(it.item_id, it.fields, it.gold) for it in hub.items("zho_Hant", "test")] == [
        (it.item_id, it.fields, it.gold) for it in items
    ]


def test_the_parquet_export_gives_the_same_items(release, mirror):
    write_parquet_export(mirror)
    hub = get_task("mkqa")
    assert hub.uses_hub()
    local = get_task("mkqa", release)
    for lang in ("deu_Latn", "jpn_Jpan", "zho_Hant"):
        fields = ("item_id", "parallel_id", "fields", "gold")
        got = [tuple(getattr(it, f) for f in fields) for it in hub.items(lang, "test")]
        assert got == [tuple(getattr(it, f) for f in fields) for it in local.items(lang, "test")], lang


def test_a_record_without_the_language_is_a_bad_row_naming_what_it_has(tmp_path):
    rows = [dict(ROWS[0], queries={"en": "who sings"}), ROWS[1]]
    write_release(tmp_path, rows)
    task = get_task("mkqa", tmp_path)
    with pytest.raises(
        DataError, match=r"mkqa.jsonl.gz:1: column 'queries' has nothing for language 'de' \(it has: en\)"
    ):
        task.items("deu_Latn", "test")
    skipping = get_task("mkqa", tmp_path, ReadPolicy(skip_bad_rows=True))
    assert [it.item_id for it in skipping.items("deu_Latn", "test")] == ["-7449157003522518870"]
    assert skipping.skipped.total == 1


def test_a_damaged_gzip_file_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "mkqa" / "dataset" / "mkqa.jsonl.gz"
    path.parent.mkdir(parents=True)
    whole = gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS * 50).encode())
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="the compressed file is damaged"):
        get_task("mkqa", tmp_path).items("eng_Latn", "test")


def answers_by_question(answers: dict):
    def script(prompt: str):
        return next(a for q, a in answers.items() if q in prompt.rsplit("\n", 2)[-2])

    return staticmethod(script)


def test_end_to_end_answers_aliases_and_no_answer(tmp_path, release, lm):
    lm.script = answers_by_question(
        {
            "who sings": "Dave Edmunds",
            "next world cup": "No answer.",  # the prompt's words: the No Answer prediction
            "bill become": "Congress passes it",  # an answer to an unanswerable question: 0
            "moon bigger": "no",
            "Wer singt": "Edmunds",  # an alias
            "Weltmeisterschaft": "",  # empty: also No Answer, 1 on an unanswerable question
            "Gesetzentwurf": "No answer",
            "Mond": "No answer",  # No Answer to an answerable question: 0
        }
    )
    res = evaluate(
        "scripted", tasks=["mkqa"], languages=["eng_Latn", "deu_Latn"], data_dir=release, output=tmp_path / "r"
    )
    pred = res.predictions().set_index(["language", "item_id"])
    f1 = pred["score"].to_dict()
    assert f1[("eng_Latn", "563260143484355911")] == 1.0 and f1[("deu_Latn", "563260143484355911")] == 1.0
    assert f1[("eng_Latn", "-7449157003522518870")] == 1.0 and f1[("deu_Latn", "-7449157003522518870")] == 1.0
    assert f1[("eng_Latn", "1234567890123456789")] == 0.0 and f1[("deu_Latn", "1234567890123456789")] == 1.0
    assert f1[("eng_Latn", "42")] == 1.0 and f1[("deu_Latn", "42")] == 0.0
    no_answer = pred.loc[("deu_Latn", "42"), "prediction"]
    assert no_answer["no_answer"] is True and no_answer["em"] == 0.0
    assert pred.loc[("deu_Latn", "-7449157003522518870"), "prediction"]["status"] == "empty"
    table = res.to_pandas().set_index(["language", "metric"])["value"]
    assert table[("eng_Latn", "f1")] == pytest.approx(75.0) and table[("deu_Latn", "em")] == pytest.approx(75.0)
    assert all('If it has no answer, write "No answer".' in p for p in lm.seen)
    (row,) = res.data["analyses"]["consistency"]  # parallel items: eng_Latn against deu_Latn
    assert row["n"] == 4


def test_without_the_no_answer_gold_an_empty_answer_still_scores_zero(tmp_path, lm):
    """The No Answer rule applies to unanswerable golds only: an ordinary task is unchanged."""
    d = tmp_path / "t"
    d.mkdir()
    (d / "qa.jsonl").write_text(json.dumps({"id": "1", "q": "Capital of France?", "a": ["Paris"]}) + "\n", "utf-8")
    (d / "task.yaml").write_text(
        "name: plain\ndescription: d\nkind: generative_qa\nmetric: f1\nlanguages: [eng_Latn]\n"
        "fields: {question: q}\ngold: {path: a, type: list}\nid: id\ncreation: written-for-xling\n"
        "licence: CC0-1.0\nlocal: {root: task-file, format: jsonl, path: qa.jsonl}\n",
        "utf-8",
    )
    lm.script = staticmethod(lambda p: "")
    res = evaluate("scripted", task_files=[d / "task.yaml"], languages=["eng_Latn"], output=tmp_path / "r")
    (score,) = res.predictions()["score"]
    assert score == 0.0 and not any("no answer" in p for p in lm.seen)
    assert pd.Series(res.to_pandas()["value"]).eq(0.0).all()
