"""Extractive-QA exact match and token F1, with each benchmark's official answer normalisation.

Two scorers (a task's ``options.qa_normalisation``):

- ``squad``: the SQuAD v1.1 script (``evaluate-v1.1.py``), which XTREME uses for XQuAD and
  TyDi QA GoldP: lower-case, remove ASCII punctuation (``string.punctuation``), remove the
  English articles a/an/the, split on whitespace, whatever the language.
- ``mlqa``: the MLQA script (``mlqa_evaluation_v1.py``): lower-case, remove punctuation (all
  Unicode ``P*`` characters plus ASCII), remove the language's articles, tokenise (whitespace;
  mixed CJK-character segmentation for Chinese). Per-language rules live in
  ``data/qa_normalisation.yaml``; scripts without spaces that MLQA does not cover (Thai,
  Japanese...) are scored on characters, so their F1 is partial credit.

EM and bag-of-tokens F1 are each the maximum over the gold answers.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from functools import cache, lru_cache
from importlib import resources

import regex
import yaml

_CJK = re.compile(r"[\u4e00-\u9fa5]")
SEGMENTATIONS = ("whitespace", "mixed", "character")
SCORERS = ("squad", "mlqa")
DEFAULT_SCORER = "mlqa"  # for a task that does not name one: language-aware
QA_KINDS = ("extractive_qa", "generative_qa")  # the task kinds scored by EM/F1
_SQUAD_PUNCT = frozenset(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")


@lru_cache(maxsize=1)
def _mlqa_punct() -> frozenset[str]:
    """Every Unicode punctuation character (category P*) and ASCII punctuation."""
    return (
        frozenset(chr(i) for i in range(sys.maxunicode + 1) if unicodedata.category(chr(i)).startswith("P"))
        | _SQUAD_PUNCT
    )


@lru_cache(maxsize=1)
def _rules() -> dict[str, dict]:
    raw = yaml.safe_load(resources.files("xling.data").joinpath("qa_normalisation.yaml").read_text("utf-8"))
    for code, rule in raw.items():
        if rule.get("segmentation", "whitespace") not in SEGMENTATIONS:
            raise ValueError(f"qa_normalisation.yaml: {code}: unknown segmentation {rule['segmentation']!r}")
    return raw


@cache
def rule_for(language: str) -> tuple[re.Pattern | None, str]:
    """(article pattern or None, segmentation) for a canonical code (``zho_Hans``) or ISO 639-3 code."""
    rule = _rules().get(language.split("_")[0], {})
    art = rule.get("articles")
    return (re.compile(art) if art else None), rule.get("segmentation", "whitespace")


def _mixed_segmentation(text: str) -> list[str]:
    out, buf = [], ""
    for ch in text:
        if _CJK.search(ch) or ch in _mlqa_punct():
            if buf:
                out.extend(buf.split())
                buf = ""
            out.append(ch)
        else:
            buf += ch
    if buf:
        out.extend(buf.split())
    return out


def scorer_of(spec) -> str | None:
    """The answer normalisation a task's QA scores use (``None`` for a task that is not QA)."""
    if spec.kind not in QA_KINDS:
        return None
    return spec.options.qa_normalisation


def answer_tokens(text: str, language: str, scorer: str = DEFAULT_SCORER) -> list[str]:
    """The normalised tokens of an answer, as ``scorer``'s official script compares them."""
    if scorer == "squad":
        text = "".join(ch for ch in text.lower() if ch not in _SQUAD_PUNCT)
        return _SQUAD_ARTICLES.sub(" ", text).split()
    if scorer != "mlqa":
        raise ValueError(f"unknown QA scorer {scorer!r} (known: {', '.join(SCORERS)})")
    articles, segmentation = rule_for(language)
    punct = _mlqa_punct()
    text = "".join(ch for ch in text.lower() if ch not in punct)
    if articles is not None:
        text = articles.sub(" ", text)
    if segmentation == "mixed":
        tokens = _mixed_segmentation(text)
    elif segmentation == "character":
        tokens = regex.findall(r"\X", text)  # user-perceived characters: a Thai vowel sign stays on its consonant
    else:
        tokens = text.split()
    return [t for t in tokens if t.strip()]


def normalize_answer(text: str, language: str, scorer: str = DEFAULT_SCORER) -> str:
    """The official scripts' ``normalize_answer``: the normalised tokens joined by single spaces."""
    return " ".join(answer_tokens(text, language, scorer))


def exact_match(prediction: str, gold: str, language: str, scorer: str = DEFAULT_SCORER) -> float:
    return float(normalize_answer(prediction, language, scorer) == normalize_answer(gold, language, scorer))


def token_f1(prediction: str, gold: str, language: str, scorer: str = DEFAULT_SCORER) -> float:
    pred, ref = answer_tokens(prediction, language, scorer), answer_tokens(gold, language, scorer)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(
    prediction: str, golds: list[str], language: str, scorer: str = DEFAULT_SCORER
) -> tuple[float, float]:
    """(EM, F1) of one prediction: the best over the gold answers (SQuAD/MLQA convention)."""
    if not golds:
        raise ValueError("an extractive-QA item needs at least one gold answer")
    return (
        max(exact_match(prediction, g, language, scorer) for g in golds),
        max(token_f1(prediction, g, language, scorer) for g in golds),
    )
