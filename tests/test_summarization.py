"""The ``summarization`` kind with the scripted test double, on the catalog's XL-Sum, CrossSum and
WikiLingua tasks read from folders in the layout of their Hub Parquet copies (written here, with
made-up rows, through the same ``datasets`` loading code users get)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import scripted_lm
from xling import evaluate
from xling.errors import UserError
from xling.models.base import ItemError
from xling.scoring.rouge import rouge_f1
from xling.tasks import get_task, load_task_file

datasets = pytest.importorskip("datasets")

XLSUM = ["id", "url", "title", "summary", "text"]
BN_ARTICLE = "ঢাকায় আজ প্রবল বৃষ্টি হয়েছে। শহরের অনেক রাস্তা পানিতে ডুবে গেছে এবং যান চলাচল বন্ধ ছিল।"
BN_SUMMARY = "ঢাকায় প্রবল বৃষ্টিতে রাস্তা ডুবে গেছে।"
EN_ARTICLE = "Heavy rain fell on Dhaka today. Many streets were flooded and traffic stopped."
EN_SUMMARY = "Heavy rain flooded the streets of Dhaka."
SHORT_ARTICLE = "বৃষ্টি হয়েছে।"
TH_ARTICLE = "กรุงเทพฯ มีฝนตกหนักในวันนี้ ถนนหลายสายมีน้ำท่วมขัง"
TH_SUMMARY = "ฝนตกหนักในกรุงเทพฯ"


def parquet_export(root, repo, folder, split, rows: dict):
    """``<repo>/<folder>/<split>/0000.parquet``: the Hub's Parquet export layout (no README)."""
    d = root / repo / folder / split
    d.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows).to_parquet(str(d / "0000.parquet"))


@pytest.fixture
def lm(monkeypatch):
    return scripted_lm.register(monkeypatch)


def xlsum_rows(ids, summaries, texts):
    return {
        "id": ids,
        "url": [f"https://www.bbc.com/{i}" for i in ids],
        "title": ["t"] * len(ids),
        "summary": summaries,
        "text": texts,
    }


@pytest.fixture
def xlsum(mirror):
    parquet_export(
        mirror, "csebuetnlp/xlsum", "bengali", "test", xlsum_rows(["b1", "b2"], [BN_SUMMARY] * 2, [BN_ARTICLE] * 2)
    )
    parquet_export(mirror, "csebuetnlp/xlsum", "thai", "test", xlsum_rows(["t1"], [TH_SUMMARY], [TH_ARTICLE]))
    # English, the source language, runs beside every language (the transfer gap's reference)
    parquet_export(mirror, "csebuetnlp/xlsum", "english", "test", xlsum_rows(["e1"], [EN_SUMMARY], [EN_ARTICLE]))
    return mirror


ARTICLES = {BN_ARTICLE: BN_SUMMARY, TH_ARTICLE: TH_SUMMARY, EN_ARTICLE: EN_SUMMARY}


def run(tmp_path, tasks, languages, name="run", **kw):
    return evaluate("scripted", tasks=tasks, languages=languages, output=tmp_path / name, **kw)


def table(res) -> pd.Series:
    return res.to_pandas().set_index(["language", "metric"])["value"]


def by_id(res) -> dict:
    return {r.item_id: r for r in res.predictions().itertuples()}


def test_xlsum_from_the_parquet_export_layout(xlsum):
    task = get_task("xlsum")
    assert task.uses_hub()
    [it] = task.items("tha_Thai", "test")
    assert (it.item_id, it.fields, it.gold) == ("t1", {"text": TH_ARTICLE}, TH_SUMMARY)


def test_a_model_that_writes_the_reference_scores_100_in_every_metric(tmp_path, xlsum, lm):
    lm.script = staticmethod(lambda p: next(s for a, s in ARTICLES.items() if a in p))
    res = run(tmp_path, ["xlsum"], ["ben_Beng", "tha_Thai"])
    values = table(res)
    assert set(values.index.get_level_values("metric")) == {"rouge2", "rougeL", "rouge1", "chrf"}
    assert (values == 100.0).all()
    row = by_id(res)["b1"]
    assert row.score == 1.0 and row.prediction["output"] == BN_SUMMARY
    assert row.prediction["summary_language"] == "ben_Beng" and row.prediction["output_language"]["expected"] == "ben"
    bengali = next(p for p in lm.seen if BN_ARTICLE in p)
    assert (
        bengali
        == f"Summarize the article in one or two sentences, written in Bangla.\n\nArticle: {BN_ARTICLE}\nSummary:"
    )


def test_rouge_and_chrf_read_the_output_not_the_raw_text(tmp_path, xlsum, lm):
    half = "ঢাকায় প্রবল বৃষ্টি"
    lm.script = staticmethod(lambda p: f"<think>{BN_SUMMARY}</think>{half}")
    res = run(tmp_path, ["xlsum"], ["ben_Beng"])
    row = by_id(res)["b1"]
    assert row.prediction["output"] == half and row.prediction["thinking_chars"] > 0
    assert row.score == pytest.approx(rouge_f1(half, BN_SUMMARY, "rouge2"))
    values = table(res)
    assert values[("ben_Beng", "rouge2")] == pytest.approx(100 * rouge_f1(half, BN_SUMMARY, "rouge2"))
    assert values[("ben_Beng", "rouge1")] == pytest.approx(100 * rouge_f1(half, BN_SUMMARY, "rouge1"))
    assert 0 < values[("ben_Beng", "chrf")] < 100


def test_empty_summaries_score_zero_and_failed_calls_are_error_rows(tmp_path, xlsum, lm):
    lm.script = staticmethod(lambda p: ItemError("timed out") if "ঢাকায়" in p else "  ")
    rows = by_id(run(tmp_path, ["xlsum"], ["ben_Beng", "tha_Thai"]))
    assert rows["b1"].prediction is None and "model call failed: timed out" in rows["b1"].error
    t1 = rows["t1"]
    assert pd.isna(t1.error) and t1.score == 0.0 and t1.prediction["status"] == "empty"


LOCAL_TASK = """\
name: short-sum
description: XL-Sum's release layout
kind: summarization
metric: rouge2
languages: {ben_Beng: bengali}
fields: {text: text}
gold: summary
id: id
creation: written-for-xling
licence: CC0-1.0
options: {OPTIONS}
local:
  root: task-file
  format: jsonl
  path: "{lang}_{split}.jsonl"
"""


def local_task(tmp_path, options: str, rows: list[dict]):
    import json

    d = tmp_path / "task"
    d.mkdir(exist_ok=True)
    (d / "bengali_test.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    path = d / "task.yaml"
    path.write_text(LOCAL_TASK.replace("{OPTIONS}", options), "utf-8")
    return path


def test_long_articles_are_cut_to_the_budget_and_the_cut_is_recorded(tmp_path, lm):
    long_article = "খবর " * 30  # 120 characters
    rows = [
        {"id": "b1", "url": "u", "title": "t", "summary": BN_SUMMARY, "text": long_article},
        {"id": "b2", "url": "u", "title": "t", "summary": BN_SUMMARY, "text": SHORT_ARTICLE},
    ]
    path = local_task(tmp_path, "{max_article_chars: 40}", rows)
    lm.script = staticmethod(lambda p: BN_SUMMARY)
    got = by_id(evaluate("scripted", task_files=[path], languages=["ben_Beng"], output=tmp_path / "run"))
    assert got["b1"].prediction["article_chars"] == 120 and got["b1"].prediction["article_cut_to"] == 40
    assert "article_cut_to" not in got["b2"].prediction and got["b2"].prediction["article_chars"] == len(SHORT_ARTICLE)
    assert any(p.endswith(f"Article: {long_article[:40]}\nSummary:") for p in lm.seen)
    assert not any(long_article[:41] in p for p in lm.seen)

    path = local_task(tmp_path, "{max_article_chars: null}", rows)
    got = by_id(evaluate("scripted", task_files=[path], languages=["ben_Beng"], output=tmp_path / "uncut"))
    assert "article_cut_to" not in got["b1"].prediction


@pytest.mark.parametrize(
    "options,words",
    [("{max_article_char: 40}", "unknown key"), ("{max_article_chars: 0}", "greater than or equal to 1")],
)
def test_a_misspelt_or_impossible_budget_is_rejected(tmp_path, options, words):
    with pytest.raises(UserError, match=words):
        load_task_file(local_task(tmp_path, options, []))


def test_crosssum_asks_for_and_scores_the_summary_language(tmp_path, mirror, lm):
    en_summary = EN_SUMMARY
    parquet_export(
        mirror,
        "csebuetnlp/CrossSum",
        "bengali-english",
        "test",
        {"source_url": ["bn/1"], "target_url": ["en/1"], "summary": [en_summary], "text": [BN_ARTICLE]},
    )
    [it] = get_task("crosssum").items("ben_Beng", "test")
    assert it.fields == {"text": BN_ARTICLE, "summary_language": "eng_Latn"} and it.gold == en_summary
    lm.script = staticmethod(lambda p: "ঢাকায় আজ প্রবল বৃষ্টি হয়েছে এবং শহরের রাস্তা পানিতে ডুবে গেছে।")
    res = run(tmp_path, ["crosssum"], ["ben_Beng"])
    assert all("written in English." in p for p in lm.seen)
    [row] = by_id(res).values()
    assert row.item_id == "bn/1|summary=eng_Latn" and row.prediction["summary_language"] == "eng_Latn"
    lang = row.prediction["output_language"]
    assert lang["expected"] == "eng" and lang["detected"] == "ben" and lang["wrong_language"] is True
    assert row.score == 0.0


def test_wikilingua_keeps_the_same_language_rows_of_a_gem_folder(mirror):
    parquet_export(
        mirror,
        "GEM/wiki_lingua",
        "es",
        "test",
        {
            "gem_id": ["wl-es-1", "wl-es-en-1"],
            "gem_parent_id": ["p1", "p1"],
            "source_language": ["es", "es"],
            "target_language": ["es", "en"],
            "source": ["Lava las verduras. Córtalas en trozos.", "Lava las verduras. Córtalas en trozos."],
            "target": ["Lava y corta las verduras.", "Wash and cut the vegetables."],
            "references": [["Lava y corta las verduras."], ["Wash and cut the vegetables."]],
        },
    )
    [it] = get_task("wikilingua").items("spa_Latn", "test")
    assert (it.item_id, it.gold) == ("wl-es-1", "Lava y corta las verduras.")
