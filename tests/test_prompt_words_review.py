"""Prompt words against native-written references: the recorded lighteval facts and CLDR's "or"
word; planted disagreements are found, files earn the status they declare, and the checker
command lists every disagreement."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from helpers.cli import xling_in_process
from xling.prompts import available_languages, lexicon
from xling.prompts.lexicon import load_file
from xling.prompts.review import (
    CLDR,
    LIGHTEVAL,
    cldr_or,
    earned_status,
    findings,
    lighteval_words,
    summary,
    word_status,
)

DATA = Path(lexicon("deu_Latn").path).parent


def planted(tmp_path, lang: str, old: str, new: str):
    """A copy of ``lang``'s file with one word replaced."""
    text = (DATA / f"{lang}.yaml").read_text("utf-8")
    assert old in text
    path = tmp_path / f"{lang}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_file(path)


def test_the_recorded_reference_names_its_source_and_licence():
    ref = lighteval_words()
    assert "060c3ae1f37e8e2b98b2e54d9e1fe2e122fd5cba" in ref["url"] and ref["licence"].startswith("MIT")
    assert ref["words"]["deu_Latn"]["labels.no"] == "nein"


def test_cldr_gives_the_or_word():
    assert (cldr_or("deu_Latn"), cldr_or("rus_Cyrl"), cldr_or("zho_Hans")) == ("oder", "или", "或")


def test_a_locale_without_its_own_or_pattern_has_no_cldr_word():
    # Zulu and Wolof inherit the root locale's "{0} or {1}": English, not a reference for them
    assert (cldr_or("zul_Latn"), cldr_or("wol_Latn"), cldr_or("eng_Latn"), cldr_or("yor_Latn")) == (
        None,
        None,
        "or",
        "tàbí",
    )


def test_a_planted_wrong_word_is_a_disagreement_with_the_reference(tmp_path):
    lex = planted(tmp_path, "deu_Latn", '"no": ["Nein"', '"no": ["Nö"')
    (f,) = [f for f in findings(lex) if not f.agrees and not f.explained]
    assert (f.key, f.word, f.reference, f.source) == ("labels.no", "Nö", "nein", LIGHTEVAL)
    assert word_status(lex)["labels.no"]["status"] == "disagrees"
    assert earned_status(lex) == "draft"  # a checked file loses its status
    assert earned_status(lexicon("deu_Latn")) == "checked"


def test_a_planted_or_word_is_a_disagreement_with_cldr(tmp_path):
    lex = planted(tmp_path, "deu_Latn", "{neutral} oder {contradiction}", "{neutral} und {contradiction}")
    (f,) = [f for f in findings(lex) if not f.agrees and not f.explained]
    assert (f.key, f.word, f.reference, f.source) == ("instructions.nli", "und", "oder", CLDR)


def test_a_reason_in_review_differs_explains_a_disagreement_without_checking_the_word():
    lex = lexicon("spa_Latn")
    (f,) = [f for f in findings(lex) if f.key == "labels.yes"]
    assert not f.agrees and "Italian" in f.explained
    assert word_status(lex)["labels.yes"]["status"] == "disagrees"
    assert earned_status(lex) == "draft"  # yes is not confirmed by any reference


def test_words_no_reference_covers_are_drafts():
    ref = copy.deepcopy(lighteval_words())
    del ref["words"]["deu_Latn"]
    status = word_status(lexicon("deu_Latn"), ref)
    assert status["words.question"]["status"] == "draft"
    assert status["instructions.choice"]["status"] == "draft"
    assert status["instructions.nli"] == {
        "word": lexicon("deu_Latn").data.instructions.nli,
        "status": "checked",
        "source": CLDR,
    }
    assert earned_status(lexicon("deu_Latn"), ref) == "draft"


@pytest.mark.parametrize("lang", available_languages())
def test_every_file_declares_the_status_its_comparisons_earn(lang):
    lex = lexicon(lang)
    assert lex.data.review.status == earned_status(lex)
    assert all(f.agrees or f.explained for f in findings(lex)), "a disagreement needs a reason in review.differs"


GLOBAL_MMLU = (
    "am ar bn cs de el en es fa fil fr ha he hi id ig it ja ko ky lt mg ms ne nl ny pl pt ro ru si sn so sr sv sw te"
    " tr uk vi yo zh"
).split()


@pytest.mark.parametrize("code", GLOBAL_MMLU)
def test_every_global_mmlu_language_has_the_words_multiple_choice_needs(code):
    lex = lexicon(code)
    assert lex.instruction("choice") and lex.word("question") and lex.word("answer")
    assert len(lex.option_letters) >= 4


def test_english_letters_cover_mmlu_prox_ten_options():
    assert lexicon("eng_Latn").option_letters[:10] == list("ABCDEFGHIJ")


def test_summary_records_the_words_and_their_status():
    s = summary(lexicon("deu_Latn"))
    assert s["file"] == "deu_Latn.yaml" and s["status"] == "checked"
    assert s["words"]["labels.yes"] == {"word": "Ja", "status": "checked", "source": LIGHTEVAL}


def test_the_checker_lists_every_disagreement_and_fails_on_an_unexplained_one(monkeypatch):
    res = xling_in_process("prompt-words")
    assert res.returncode == 0, res.stdout
    assert "spa_Latn labels.yes: xling 'Sí', lighteval translation literals 'sì' — explained" in res.stdout
    assert "Languages of LLM tasks without a prompt file" in res.stdout
    ref = copy.deepcopy(lighteval_words())
    ref["words"]["deu_Latn"]["words.answer"] = "Erwiderung"
    monkeypatch.setattr("xling.prompts.review.lighteval_words", lambda: ref)
    res = xling_in_process("prompt-words", "-l", "deu")
    assert res.returncode == 1
    assert "deu_Latn words.answer: xling 'Antwort', lighteval translation literals 'Erwiderung'" in res.stdout
    assert "no reason in review.differs" in res.stdout and "draft (differs from the file)" in res.stdout


TASK = """\
name: mc
description: multiple choice
kind: multiple_choice
metric: accuracy
languages: [eng_Latn, spa_Latn]
fields: {question: question, choices: choices}
gold: {path: answer, type: int}
id: id
parallel_key: id
creation: human-translated
licence: CC0-1.0
local: {format: jsonl, path: "{language}.jsonl"}
"""


def test_a_run_records_and_reports_the_prompt_words_of_each_language(tmp_path, monkeypatch):
    import json

    import jsonschema

    from helpers import scripted_lm
    from xling import evaluate
    from xling.report.html import html
    from xling.results import schema

    lm = scripted_lm.register(monkeypatch)
    lm.script = staticmethod(lambda prompt: "A")
    for lang in ("eng_Latn", "spa_Latn"):
        rows = [{"id": f"i{i}", "question": f"q{i}?", "choices": ["x", "y"], "answer": 0} for i in range(3)]
        (tmp_path / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "mc.yaml").write_text(TASK, encoding="utf-8")
    res = evaluate(
        "scripted",
        task_files=[tmp_path / "mc.yaml"],
        data_dir=tmp_path,
        output=tmp_path / "run",
        cache_path=tmp_path / "c.sqlite",
        protocol={"prompt_languages": ["en", "native"]},
    )
    jsonschema.validate(res.data, schema())
    rows = {(r["language"], r["prompt_language"]): r for r in res.data["run"]["prompt_words"]}
    assert set(rows) == {(lang, pl) for lang in ("eng_Latn", "spa_Latn") for pl in ("en", "native")}
    spa = rows[("spa_Latn", "native")]
    assert (spa["file"], spa["status"], spa["tasks"]) == ("spa_Latn.yaml", "draft", ["mc"])
    assert spa["words"]["labels.yes"] == {
        "word": "Sí",
        "status": "disagrees",
        "source": "lighteval translation literals: 'sì'",
    }
    assert rows[("spa_Latn", "en")]["file"] == "eng_Latn.yaml" and rows[("spa_Latn", "en")]["status"] == "checked"
    page = html(res)
    assert '<b>labels.yes</b>: Sí <span class="bad">(disagrees: lighteval translation literals: &#39;sì&#39;)' in page
    report = (tmp_path / "run" / "report.md").read_text("utf-8")
    assert "## Prompt words" in report
    assert (
        "| spa_Latn | native | spa_Latn.yaml (draft) | Pregunta (checked) | Respuesta (checked) | Sí (disagrees) / No"
        " (checked) |" in report
    )
