"""Extractive-QA exact match and token F1 with language-aware answer normalisation.

Follows the official MLQA evaluation (``mlqa_evaluation_v1.py``): lower-case, remove
punctuation (all Unicode ``P*`` characters plus ASCII punctuation), remove the language's
articles, tokenise (whitespace; mixed CJK-character segmentation for Chinese), then EM and
bag-of-tokens F1, each the maximum over the gold answers. Per-language rules live in
``data/qa_normalisation.yaml``; scripts without spaces (Thai, Japanese...) are scored on
characters, so their F1 is partial credit rather than all-or-nothing.
"""
from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from functools import lru_cache
from importlib import resources

import regex
import yaml

PUNCT = frozenset(chr(i) for i in range(sys.maxunicode + 1) if unicodedata.category(chr(i)).startswith("P")) | frozenset(string.punctuation)
_CJK = re.compile(r"[\u4e00-\u9fa5]")
SEGMENTATIONS = ("whitespace", "mixed", "character")


@lru_cache(maxsize=1)
def _rules() -> dict[str, dict]:
    raw = yaml.safe_load(resources.files("xling.data").joinpath("qa_normalisation.yaml").read_text("utf-8"))
    for code, rule in raw.items():
        if rule.get("segmentation", "whitespace") not in SEGMENTATIONS:
            raise ValueError(f"qa_normalisation.yaml: {code}: unknown segmentation {rule['segmentation']!r}")
    return raw


@lru_cache(maxsize=None)
def rule_for(language: str) -> tuple[re.Pattern | None, str]:
    """(article pattern or None, segmentation) for a canonical code (``zho_Hans``) or ISO 639-3 code."""
    rule = _rules().get(language.split("_")[0], {})
    art = rule.get("articles")
    return (re.compile(art) if art else None), rule.get("segmentation", "whitespace")


def _mixed_segmentation(text: str) -> list[str]:
    out, buf = [], ""
    for ch in text:
        if _CJK.search(ch) or ch in PUNCT:
            if buf:
                out.extend(buf.split())
                buf = ""
            out.append(ch)
        else:
            buf += ch
    if buf:
        out.extend(buf.split())
    return out


def answer_tokens(text: str, language: str) -> list[str]:
    """The normalised tokens of an answer, as MLQA compares them."""
    articles, segmentation = rule_for(language)
    text = "".join(ch for ch in text.lower() if ch not in PUNCT)
    if articles is not None:
        text = articles.sub(" ", text)
    if segmentation == "mixed":
        tokens = _mixed_segmentation(text)
    elif segmentation == "character":
        tokens = regex.findall(r"\X", text)  # user-perceived characters: a Thai vowel sign stays on its consonant
    else:
        tokens = text.split()
    return [t for t in tokens if t.strip()]


def normalize_answer(text: str, language: str) -> str:
    """MLQA's ``normalize_answer``: the normalised tokens joined by single spaces."""
    return " ".join(answer_tokens(text, language))


def exact_match(prediction: str, gold: str, language: str) -> float:
    return float(normalize_answer(prediction, language) == normalize_answer(gold, language))


def token_f1(prediction: str, gold: str, language: str) -> float:
    pred, ref = answer_tokens(prediction, language), answer_tokens(gold, language)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(prediction: str, golds: list[str], language: str) -> tuple[float, float]:
    """(EM, F1) of one prediction: the best over the gold answers (SQuAD/MLQA convention)."""
    if not golds:
        raise ValueError("an extractive-QA item needs at least one gold answer")
    return (max(exact_match(prediction, g, language) for g in golds),
            max(token_f1(prediction, g, language) for g in golds))
