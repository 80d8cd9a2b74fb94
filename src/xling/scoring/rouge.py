"""Multilingual ROUGE-1/2/L F1 (Google's ``rouge-score`` with a tokenizer that works in every script).

``rouge-score``'s own tokenizer keeps only ``[a-z0-9]``: text in any other script has no tokens
and scores 0. This tokenizer follows the XL-Sum authors' multilingual ROUGE (Hasan et al. 2021,
csebuetnlp/xl-sum ``multilingual_rouge_scoring``): lower-case, drop control and format characters
(a zero-width non-joiner inside a Persian word keeps the word whole), split on everything that is
not a letter, mark or digit of any script, and stem nothing.

Scripts written without spaces (Han, Japanese kana, Thai, Lao, Khmer, Myanmar...: :mod:`.scripts`)
are split into characters (grapheme clusters, so a Thai vowel sign stays on its consonant),
decided per character by its Unicode script, so no language is needed and mixed text works. XL-Sum
uses dictionary segmenters there instead (jieba, fugashi + UniDic, PyThaiNLP's newmm, a Burmese
syllable rule); they are large, version-dependent downloads or packages for a handful of
languages, and their ROUGE moves with their dictionaries, so xling scores characters: reproducible
and the same rule for every such script, but not comparable with XL-Sum's published numbers for
those languages.

A prediction is the generated text or a generation kind's record of it (its ``output``; ``None``
on an error row, which scores 0), the gold the
reference text or a list of references (the best F1 over them counts, as ``score_multi`` does).
"""

from __future__ import annotations

import unicodedata
from functools import cache, partial

import regex

from .base import Metric, generated_text
from .scripts import UNICODE_WITHOUT_SPACES

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_GRAPHEME = regex.compile(r"\X")
_UNSPACED = regex.compile("|".join(rf"\p{{scx={code}}}" for code in sorted(UNICODE_WITHOUT_SPACES)))


def _is_dropped(ch: str) -> bool:
    """Control and format characters (category C*), except whitespace, which separates words."""
    return unicodedata.category(ch).startswith("C") and not ch.isspace()


def _split_unspaced(word: str) -> list[str]:
    """Each grapheme of a script without spaces is a token; runs of other graphemes stay together."""
    tokens, run = [], ""
    for g in _GRAPHEME.findall(word):
        if _UNSPACED.match(g):
            tokens += [run, g] if run else [g]
            run = ""
        else:
            run += g
    return tokens + [run] if run else tokens


def tokenize(text: str) -> list[str]:
    """The multilingual ROUGE tokens of a text (see the module docstring)."""
    text = "".join(ch for ch in text.lower() if not _is_dropped(ch))
    tokens: list[str] = []
    for word in _WORD.findall(text):
        tokens += _split_unspaced(word) if _UNSPACED.search(word) else [word]
    return tokens


class MultilingualTokenizer:
    """:func:`tokenize` as a ``rouge_score`` tokenizer (an object with a ``tokenize`` method)."""

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text)


@cache
def _scorer():
    from rouge_score import rouge_scorer  # imported on first use: it loads NLTK

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=MultilingualTokenizer())


def rouge_f1(prediction, gold, rouge_type: str) -> float:
    """ROUGE F1 (0-1) of one prediction (its text, or a generation record's ``output``) against its
    reference(s); 0 for no prediction."""
    text = generated_text(prediction)
    if text is None:
        return 0.0
    references = [gold] if isinstance(gold, str) else list(gold)
    return float(_scorer().score_multi(references, text)[rouge_type].fmeasure)


ROUGE_METRICS = tuple(
    Metric(
        name,
        f"{label} F1 with a tokenizer for every script (XL-Sum's multilingual ROUGE; characters where a "
        "script has no spaces), mean over items, x100",
        item_score=partial(rouge_f1, rouge_type=name),
    )
    for name, label in (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeL", "ROUGE-L"))
)
