"""Which prompt words each language of the catalog's LLM tasks needs, and which files lack them:
the families' needs, the catalog-wide gaps (none: every language has its words), and how a gap is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.cli import xling_in_process
from xling.cli.prompt_words import prompt_word_gaps, task_families
from xling.prompts import lexicon
from xling.prompts.review import MMLU_PROX, findings, missing_words, recorded
from xling.tasks import get_task

DATA = Path(lexicon("deu_Latn").path).parent


def test_every_language_of_the_catalog_s_llm_tasks_has_a_file_with_the_words_its_prompts_need():
    """No catalog task that builds prompts has a language without a file, or a file that lacks a
    word its prompt family needs: a task or language added without its words fails here."""
    assert prompt_word_gaps() == {}


def test_the_check_covers_every_prompt_building_task_and_its_rarer_languages():
    from xling.prompts.review import PROMPT_KINDS
    from xling.tasks import list_tasks

    checked = {t.name for t in list_tasks() if t.spec.kind in PROMPT_KINDS}
    assert {"belebele", "multiblimp", "americasnli", "afrixnli", "afrimgsm", "indicxnli", "xlsum"} <= checked
    assert {"wbp_Latn", "arb_Latn", "ckb_Arab"} <= set(get_task("multiblimp").spec.languages) | set(
        get_task("belebele").spec.languages
    )


def test_the_gaps_name_each_missing_word_and_each_language_without_a_file(monkeypatch, tmp_path):
    import xling.prompts as prompts
    from xling.prompts.lexicon import load_file

    text = (DATA / "yor_Latn.yaml").read_text("utf-8")
    assert '  summary: "Àkópọ̀"\n' in text
    (tmp_path / "yor_Latn.yaml").write_text(text.replace('  summary: "Àkópọ̀"\n', ""), "utf-8")
    without_summary = load_file(tmp_path / "yor_Latn.yaml")
    have = [code for code in prompts.available_languages() if code != "bam_Latn"]
    monkeypatch.setattr(prompts, "available_languages", lambda: have)
    monkeypatch.setattr(prompts, "lexicon", lambda code: without_summary if code == "yor_Latn" else lexicon(code))
    gaps = prompt_word_gaps()
    assert gaps["bam_Latn"]["belebele"] == ["no prompt file"]
    assert gaps["yor_Latn"]["xlsum"] == ["words.summary"]
    assert "mmlu_prox" not in gaps["yor_Latn"] and set(gaps) == {"bam_Latn", "yor_Latn"}


@pytest.mark.parametrize(
    ("task", "families"),
    [("mmlu_prox", [("choice_cot", 10)]), ("xcopa", [("copa", 2)]), ("xnli", [("nli", 0)]), ("mkqa", [("open_qa", 0)])],
)
def test_a_task_needs_the_words_of_its_prompt_family(task, families):
    assert task_families(get_task(task)) == families


def test_missing_words_of_a_family_and_too_few_option_letters():
    de = lexicon("deu_Latn")
    assert missing_words(de, "choice_cot", 10) == []
    assert missing_words(de, "choice", 11) == ["option_letters"]
    assert missing_words(lexicon("afr_Latn"), "nli") == [
        "words.premise",
        "words.hypothesis",
        "labels.entailment",
        "labels.neutral",
        "labels.contradiction",
        "instructions.nli",
    ]


@pytest.mark.parametrize("code", sorted(recorded(MMLU_PROX)["words"]))
def test_every_mmlu_prox_language_agrees_with_the_release_or_says_why(code):
    """MMLU-ProX's released prompts are a reference: each of its languages' files (Serbian's is
    written in Cyrillic, the release's prompts in Latin script) has the chain-of-thought words,
    ten option letters, and answer words that agree with the release's or a stated reason."""
    lang = "srp_Cyrl" if code == "srp_Latn" else code
    lex = lexicon(lang)
    assert missing_words(lex, "choice_cot", 10) == []
    if lang == code:
        found = [f for f in findings(lex) if f.source == MMLU_PROX]
        assert {f.key for f in found} == {"words.question", "words.answer", "math.answer_phrase"} - (
            {"math.answer_phrase"} if code == "eng_Latn" and not lex.data.math else set()
        )
        assert all(f.agrees or f.explained for f in found)


def test_a_summary_prompt_names_the_language_in_the_prompt_s_own_words():
    from xling.prompts import templates as T
    from xling.types import Item

    item = Item("xlsum", "test", "deu_Latn", "1", "1", {"text": "Ein Artikel."}, gold=["x"])
    de = T.build("summary", item, item.fields, lexicon("deu_Latn"), [], {})
    en = T.build("summary", item, item.fields, lexicon("eng_Latn"), [], {})
    assert "auf Deutsch" in de.instruction and "written in German" in en.instruction


def test_the_checker_says_no_language_lacks_a_file_or_a_word():
    res = xling_in_process("prompt-words")
    assert "Languages of LLM tasks without a prompt file: 0" in res.stdout
    assert "Languages whose file lacks words a task's prompts need: 0" in res.stdout
