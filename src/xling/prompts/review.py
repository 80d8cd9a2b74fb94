"""Prompt words against references written by native speakers.

Three references: lighteval's native-contributed translation literals and MMLU-ProX's released
per-language prompts (each recorded as facts, with its source and licence, in
``references/<name>.yaml``), and CLDR through babel (the language's "A or B" list pattern, which
the NLI and paraphrase instructions must use). Each word
of a language file is ``checked`` (a reference agrees), ``disagrees`` (a reference has another
word; the file may say why under ``review.differs``) or ``draft`` (no reference covers it).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import regex
import yaml

from ..languages.codes import split
from .lexicon import INSTRUCTION_KEYS, Lexicon

LIGHTEVAL = "lighteval translation literals"
MMLU_PROX = "MMLU-ProX per-language prompts"
RECORDED = {LIGHTEVAL: "lighteval.yaml", MMLU_PROX: "mmlu_prox.yaml"}  # source -> its reference file
CLDR = "CLDR list patterns (babel)"
WORD_KEYS = (
    "words.question",
    "words.answer",
    "labels.yes",
    "labels.no",
    "connectors.cause",
    "connectors.effect",
    "math.answer_phrase",
)
# a file is `checked` only when a reference agrees with each of these
CHECKED_NEEDS = ("words.question", "words.answer", "labels.yes", "labels.no")
# kinds whose LLM implementations build prompts and read answers with these words
PROMPT_KINDS = frozenset(
    {"multiple_choice", "pair_classification", "extractive_qa", "math", "generative_qa", "summarization"}
)
# prompt family -> the words its prompts and answer reading take from a language file
FAMILY_NEEDS = {
    "choice": ("words.question", "words.answer", "instructions.choice"),
    "choice_cot": ("words.question", "math.answer_phrase", "math.step_by_step", "instructions.choice_cot"),
    "copa": ("words.answer", "instructions.copa_cause", "instructions.copa_effect"),
    "nli": (
        "words.premise",
        "words.hypothesis",
        "words.answer",
        "labels.entailment",
        "labels.neutral",
        "labels.contradiction",
        "instructions.nli",
    ),
    "paraphrase": ("words.sentence", "words.answer", "labels.yes", "labels.no", "instructions.paraphrase"),
    "qa": ("words.context", "words.question", "words.answer", "instructions.qa"),
    "open_qa": ("words.question", "words.answer", "instructions.open_qa"),
    "summary": ("words.article", "words.summary", "instructions.summary"),
    "math": ("words.question", "math.answer_phrase", "math.step_by_step", "instructions.math"),
}
# instruction -> the two labels it offers last, joined by the language's "or"
OR_PHRASES = {"instructions.nli": ("neutral", "contradiction"), "instructions.paraphrase": ("yes", "no")}


@dataclass(frozen=True)
class Finding:
    """One comparison of a word of a language file with a reference's."""

    language: str
    key: str
    word: str | None  # xling's word (the first of a label's accepted words)
    reference: str  # the reference's word or phrase
    source: str
    agrees: bool
    explained: str | None = None  # the file's reason for differing (review.differs)

    def as_dict(self) -> dict:
        return asdict(self)


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return unicodedata.normalize("NFC", s).strip().casefold()

    return norm(a) == norm(b)


def _references_dir() -> Path:
    return Path(str(resources.files("xling.prompts"))) / "references"


@cache
def recorded(source: str = LIGHTEVAL) -> dict:
    """A recorded reference: ``source``, ``url``, ``licence`` and ``words`` (language -> key -> word)."""
    return yaml.safe_load((_references_dir() / RECORDED[source]).read_text("utf-8"))


def lighteval_words() -> dict:
    """lighteval's recorded translation literals."""
    return recorded(LIGHTEVAL)


def accepted(lex: Lexicon, key: str) -> list[str]:
    """The words a file gives for ``key`` (a label's accepted words; one word otherwise)."""
    section, _, name = key.partition(".")
    if section == "labels":
        return list(lex.data.labels.get(name, []))
    if section == "words":
        value = getattr(lex.data.words, name, None)
    elif section == "connectors":
        value = getattr(lex.data.connectors, name, None) if lex.data.connectors else None
    elif section == "math":
        value = getattr(lex.data.math, name, None) if lex.data.math else None
    else:
        value = getattr(lex.data.instructions, name, None)
    return [value] if value else []


def missing_words(lex: Lexicon, family: str, letters: int = 0) -> list[str]:
    """The keys a prompt family needs that ``lex`` lacks (``option_letters`` when it has fewer
    than ``letters``)."""
    gaps = [key for key in FAMILY_NEEDS[family] if not accepted(lex, key)]
    return gaps + (["option_letters"] if len(lex.option_letters) < letters else [])


def _bare(text: str) -> str:
    """``text`` without the punctuation and spaces around it (quotes around a label word)."""
    return regex.sub(r"^[\p{P}\p{Z}]+|[\p{P}\p{Z}]+$", "", text)


def _or_pattern(code: str) -> str | None:
    from babel import Locale

    return (Locale.parse(code).list_patterns.get("or") or {}).get("2")


def cldr_or(language: str) -> str | None:
    """The word CLDR's two-item "or" list pattern puts between two items (``oder``), or None
    where CLDR has no such pattern for the language (a locale without its own inherits the root
    locale's English "or", which is no reference for the language)."""
    import langcodes
    from babel import UnknownLocaleError

    lang, script = split(language)
    short = langcodes.Language.get(lang).language
    for code in (f"{short}_{script}", short):
        try:
            pattern = _or_pattern(code)
        except (UnknownLocaleError, ValueError, TypeError, LookupError):
            continue
        if not pattern or "{0}" not in pattern or (short != "en" and pattern == _or_pattern("root")):
            return None
        return _bare(pattern.split("{0}")[1].split("{1}")[0])
    return None


def findings(lex: Lexicon, references: dict | None = None) -> list[Finding]:
    """Every comparison of ``lex``'s words with the references (``references``: a lighteval-shaped
    table to use instead of the recorded ones)."""
    if references is not None:
        tables = [(LIGHTEVAL, references)]
    else:
        tables = [(LIGHTEVAL, lighteval_words()), (MMLU_PROX, recorded(MMLU_PROX))]
    differs = lex.data.review.differs
    out = []
    for source, ref in tables:
        for key, word in (ref["words"].get(lex.language) or {}).items():
            mine = accepted(lex, key)
            if not mine:
                continue  # the file has no such word: nothing to compare
            agrees = any(_same(_bare(m), _bare(word)) for m in mine)  # "Ответ —" is "Ответ -"
            out.append(Finding(lex.language, key, mine[0], word, source, agrees, None if agrees else differs.get(key)))
    or_word = cldr_or(lex.language)
    for key, (a, b) in OR_PHRASES.items():
        text = accepted(lex, key)
        between = regex.search(r"\{" + a + r"\}(.*?)\{" + b + r"\}", text[0]) if text and or_word else None
        if between is None:
            continue
        mine = _bare(between.group(1))
        agrees = _same(mine, or_word)
        out.append(Finding(lex.language, key, mine, or_word, CLDR, agrees, None if agrees else differs.get(key)))
    return out


def word_status(lex: Lexicon, references: dict | None = None) -> dict[str, dict]:
    """Each prompt word of the file with its status: ``checked`` / ``disagrees`` (with the
    reference's word and source) / ``draft``."""
    found: dict[str, list[Finding]] = {}
    for f in findings(lex, references):
        found.setdefault(f.key, []).append(f)
    out = {}
    for key in (*WORD_KEYS, *(f"instructions.{k}" for k in INSTRUCTION_KEYS)):
        mine = accepted(lex, key)
        if not mine:
            continue
        fs = found.get(key, [])
        if any(f.agrees for f in fs):
            status, source = "checked", "; ".join(f.source for f in fs if f.agrees)
        elif fs:
            status, source = "disagrees", "; ".join(f"{f.source}: {f.reference!r}" for f in fs)
        else:
            status, source = "draft", None
        out[key] = {"word": mine[0], "status": status, "source": source}
    return out


def earned_status(lex: Lexicon, references: dict | None = None) -> str:
    """``checked`` when a reference agrees with each of ``CHECKED_NEEDS`` and no comparison
    disagrees without a reason in ``review.differs``; else ``draft``."""
    status = word_status(lex, references)
    covered = all(status.get(k, {}).get("status") == "checked" for k in CHECKED_NEEDS)
    unexplained = any(not f.agrees and not f.explained for f in findings(lex, references))
    return "checked" if covered and not unexplained else "draft"


def summary(lex: Lexicon) -> dict:
    """What a run records of the prompt words a language's scores were computed with."""
    return {
        "file": lex.path.name,
        "status": lex.data.review.status,
        "sources": list(lex.data.review.sources),
        "option_letters": lex.option_letters[:4],
        "words": word_status(lex),
    }
