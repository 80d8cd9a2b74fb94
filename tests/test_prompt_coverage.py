"""Which prompt words each language of the catalog's LLM tasks needs, and which files lack them:
the families' needs, the catalog-wide gaps, and the tasks whose every language is complete."""

from __future__ import annotations

import pytest

from helpers.cli import xling_in_process
from xling.cli.prompt_words import prompt_word_gaps, task_families
from xling.prompts import lexicon
from xling.prompts.review import MMLU_PROX, findings, missing_words, recorded
from xling.tasks import get_task

# Tasks whose every language has a file with all the words its prompt family needs; a language
# added to one of them without its words, or a word removed from a file, fails here.
COMPLETE = {
    "exams",
    "exams_crosslingual",
    "global_mmlu",
    "global_piqa",
    "include",
    "m_arc",
    "m_hellaswag",
    "m_mmlu",
    "mgsm",
    "mkqa_zh_hk",
    "mlqa",
    "mlqa-gxlt",
    "mmlu_prox",
    "mmlu_prox_lite",
    "mmmlu",
    "pawsx",
    "tydiqa",
    "tydiqa_goldp",
    "wikilingua",
    "xcopa",
    "xnli",
    "xor_tydi",
    "xquad",
    "xwinograd",
}


def test_every_language_of_the_complete_tasks_has_the_words_its_prompts_need():
    gaps = prompt_word_gaps()
    lacking = {(lang, task): keys for lang, tasks in gaps.items() for task, keys in tasks.items() if task in COMPLETE}
    assert lacking == {}


def test_the_gaps_name_each_missing_word_and_each_language_without_a_file():
    gaps = prompt_word_gaps()
    assert gaps["bam_Latn"]["belebele"] == ["no prompt file"]
    assert gaps["yor_Latn"]["xlsum"] == ["words.article", "words.summary", "instructions.summary"]
    assert "mmlu_prox" not in gaps.get("yor_Latn", {})


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


def test_the_checker_lists_the_missing_words():
    res = xling_in_process("prompt-words")
    assert "Languages whose file lacks words a task's prompts need" in res.stdout
    assert "yor_Latn: " in res.stdout and "xlsum (words.article, words.summary, instructions.summary)" in res.stdout
