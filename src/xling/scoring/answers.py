"""Reading answers out of generated text: numbers (native digits, locale separators, the
language's "the answer is" phrase), option letters and label words (QA scoring:
:mod:`xling.scoring.qa`).

Nothing here raises on odd model output: an answer that cannot be read is ``None`` with a
status (``empty`` / ``unparseable``), which kinds score as wrong and record.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import regex  # Unicode script properties (\p{Script=...}) and \b that works for every script

from ..languages.codes import split as split_code

# --- numbers -----------------------------------------------------------------------------------

# Every decimal digit Unicode knows (category Nd: Bengali ০-৯, Thai ๐-๙, Arabic-Indic ٠-٩,
# Eastern Arabic-Indic ۰-۹, Devanagari ०-९, Telugu ౦-౯, fullwidth ０-９...) becomes its ASCII digit
# (``re``'s \d on str is exactly category Nd). Superscripts and circled digits (category No) are
# not numbers a model answers with and stay as they are.
_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f]")
# Arabic decimal and thousands separators are unambiguous whatever the locale.
_SEP_TABLE = str.maketrans({"\u066b": ".", "\u066c": ",", "\uff0c": ",", "\uff0e": ".", "\u2212": "-"})
_THIN_SPACES = "\u00a0\u202f\u2009'\u2019"  # group separators no one writes inside a sentence


def _digit(m: re.Match) -> str:
    ch = m.group()
    return str(unicodedata.digit(ch)) if unicodedata.category(ch) == "Nd" else ch


def ascii_digits(text: str) -> str:
    """``'১২৩'`` -> ``'123'``; every Unicode decimal digit becomes its ASCII digit."""
    return _NON_ASCII_DIGIT.sub(_digit, text).translate(_SEP_TABLE)


@cache
def separators(language: str) -> tuple[str, str]:
    """(decimal, group) symbols of a language's number format, from CLDR (via babel);
    ``('.', ',')`` for a language CLDR does not know."""
    from babel import Locale, UnknownLocaleError, numbers

    try:
        loc = Locale.parse(_locale_code(language))
    except (UnknownLocaleError, ValueError, TypeError, LookupError):
        return ".", ","
    return numbers.get_decimal_symbol(loc), numbers.get_group_symbol(loc)


def _locale_code(language: str) -> str:
    import langcodes

    lang, _script = split_code(language)
    return langcodes.Language.get(lang).language  # 'spa' -> 'es' (CLDR uses the shortest code)


@cache
def _number_pattern(language: str) -> re.Pattern:
    # A plain space groups digits only where the language writes it so (fr, ru: "70 000").
    dec, grp = separators(language)
    spaces = _THIN_SPACES + (" " if grp.isspace() else "")
    return re.compile(r"(?:(?<![\w.,])-)?\d+(?:[.,]\d+|[" + spaces + r"]\d{3}(?!\d))*")


def to_number(token: str, language: str = "eng_Latn") -> float | None:
    """One number token (ASCII digits, maybe separators) -> float, by the language's convention.

    With both '.' and ',' the last one is the decimal mark. One kind of mark: used more than
    once, it groups digits (in threes, or the Indian way: "1,14,200" = 114200); used once, it is
    decimal when it is the language's decimal symbol (German "1,5" = 1.5, "1.500" = 1500), and
    otherwise groups only when followed by exactly three digits (English "1,000" = 1000, but
    "1,5" = 1.5: models mix conventions).
    """
    tok = token.strip().replace("\u2212", "-")
    neg = tok.startswith("-")
    tok = tok.lstrip("-")
    for s in _THIN_SPACES + " ":
        tok = tok.replace(s, "")
    if not tok or not tok[0].isdigit():
        return None
    dec = "," if separators(language)[0] in (",", "\u066b") else "."
    dots, commas = tok.count("."), tok.count(",")
    if dots and commas:
        last = max(tok.rfind("."), tok.rfind(","))
        tok = tok[:last].replace(".", "").replace(",", "") + "." + tok[last + 1 :]
    elif dots or commas:
        mark = "." if dots else ","
        if dots + commas > 1:
            if not _grouped(tok, mark):
                return None
            tok = tok.replace(mark, "")
        elif mark != dec and _grouped(tok, mark):
            tok = tok.replace(mark, "")
        else:
            tok = tok.replace(mark, ".")
    try:
        value = float(tok)
    except ValueError:
        return None
    return -value if neg else value


def _grouped(tok: str, mark: str) -> bool:
    """Digits grouped in threes (``1,114,200``) or, in Indian grouping (CLDR ``#,##,##0``: Hindi,
    Bengali, Telugu...), the last three and then twos (``1,14,200``): both read unambiguously."""
    parts = tok.split(mark)
    if len(parts) < 2 or len(parts[-1]) != 3:
        return False
    head, middle = parts[0], parts[1:-1]
    return (1 <= len(head) <= 3 and all(len(p) == 3 for p in middle)) or (
        1 <= len(head) <= 2 and all(len(p) == 2 for p in middle) and bool(middle)
    )


def numbers_in(text: str, language: str = "eng_Latn") -> list[tuple[int, float]]:
    """Every number in ``text`` as (start offset, value), native digits included."""
    norm = ascii_digits(text)
    out = []
    for m in _number_pattern(language).finditer(norm):
        value = to_number(m.group(), language)
        if value is not None:
            out.append((m.start(), value))
    return out


@dataclass(frozen=True)
class Extracted:
    """What was read from a generation: the answer (or None), how, and a status."""

    answer: object
    status: str  # ok | empty | unparseable
    via: str | None = None

    def as_dict(self, raw: str) -> dict:
        return {"answer": self.answer, "status": self.status, "via": self.via, "raw": raw}


def _phrase_pattern(phrases: list[str]) -> regex.Pattern:
    # "Ответ —", "La réponse est :" -> match the words; punctuation/space/markup may follow.
    cores = sorted({p.strip().rstrip(" :：-—–=.").strip() for p in phrases if p and p.strip()}, key=len, reverse=True)
    alts = "|".join(regex.escape(c) for c in cores if c)
    return regex.compile(rf"(?:{alts})", regex.IGNORECASE)


def extract_number(text: str | None, language: str, phrases: list[str]) -> Extracted:
    """The final answer of a worked solution: the first number after the last answer phrase
    (``phrases``: the language's and English "the answer is"), else the last number in the text."""
    if text is None or not text.strip():
        return Extracted(None, "empty")
    norm = ascii_digits(text)
    hits = list(_phrase_pattern(phrases).finditer(norm)) if phrases else []
    for hit in reversed(hits):
        tail = norm[hit.end() :]
        m = re.match(r"[^\d\n-]{0,16}?(-?\d)", tail)  # ": $", " **", "은 ", "—" before the number
        if m:
            nums = numbers_in(tail[m.start(1) :], language)
            if nums and nums[0][0] == 0:
                return Extracted(_clean(nums[0][1]), "ok", "answer-phrase")
    nums = numbers_in(norm, language)
    if nums:
        return Extracted(_clean(nums[-1][1]), "ok", "last-number")
    return Extracted(None, "unparseable")


def _clean(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def numbers_equal(predicted: float | int | None, gold: str | float | int) -> bool:
    if predicted is None:
        return False
    g = to_number(ascii_digits(str(gold)).strip()) if isinstance(gold, str) else float(gold)
    return g is not None and math.isclose(float(predicted), g, rel_tol=0, abs_tol=1e-6)


# --- option letters and label words ------------------------------------------------------------


def extract_choice(text: str | None, letters: list[str], choices: list[str]) -> Extracted:
    """A multiple-choice answer: an option letter (standalone, any of ``letters``), else an
    option number (1-based), else the text of exactly one option. Returns the 0-based index."""
    if text is None or not text.strip():
        return Extracted(None, "empty")
    n = len(choices)
    first_line = text.strip()
    for pattern, via in ((_letter_pattern(tuple(letters[:n])), "letter"),):
        m = pattern.search(first_line)
        if m:
            return Extracted(letters.index(m.group(1)), "ok", via)
    m = regex.search(r"(?<![\p{L}\p{N}])([1-9])(?![\p{L}\p{N}])", ascii_digits(first_line))
    if m and 1 <= int(m.group(1)) <= n:
        return Extracted(int(m.group(1)) - 1, "ok", "number")
    low = first_line.casefold()
    found = [i for i, c in enumerate(choices) if c.strip() and c.strip().casefold() in low]
    if len(found) == 1:
        return Extracted(found[0], "ok", "option-text")
    return Extracted(None, "unparseable")


def extract_final_choice(text: str | None, letters: list[str], choices: list[str], phrases: list[str]) -> Extracted:
    """The answer at the end of a chain of thought ("... The answer is (C)."): the option read
    right after the last answer phrase (``phrases``: the language's and English "the answer is"),
    else the last standalone option letter of the text (MMLU-Pro's fallback)."""
    if text is None or not text.strip():
        return Extracted(None, "empty")
    hits = list(_phrase_pattern(phrases).finditer(text)) if any(p.strip() for p in phrases) else []
    for hit in reversed(hits):
        tail = text[hit.end() :].strip()
        first = tail.splitlines()[0] if tail else ""
        ex = extract_choice(first[:40], letters, choices)
        if ex.answer is not None:
            return Extracted(ex.answer, "ok", "answer-phrase")
    last = list(_letter_pattern(tuple(letters[: len(choices)])).finditer(text))
    if last:
        return Extracted(letters.index(last[-1].group(1)), "ok", "last-letter")
    return Extracted(None, "unparseable")


@cache
def _letter_pattern(letters: tuple[str, ...]) -> regex.Pattern:
    # A letter standing alone: not part of a word ("A." / "(B)" / "Answer: C" / "أ"), case-sensitive
    # so the English article "a" is not option A.
    alts = "|".join(regex.escape(x) for x in sorted(letters, key=len, reverse=True))
    return regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{N}}])({alts})(?![\p{{L}}\p{{M}}\p{{N}}])")


# A lead-in that names the answer ("Answer:", "Respuesta:", "الجواب:"), at most 40 characters.
_LEAD_IN = regex.compile(r"^[^:：\n]{1,40}[:：]")
_EDGES = regex.compile(r"^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$")  # markup, quotes, brackets, spaces
# up to the first punctuation mark or line break; an apostrophe inside a word (Hausa A'a "no") is part of it
_CLAUSE = regex.compile(r"(?:[^\p{P}\n]|(?<=\p{L})['\u2019](?=\p{L}))*")


def extract_label(text: str | None, vocab: dict[str, list[str]]) -> Extracted:
    """The label whose word is the answer (``vocab``: label -> accepted words).

    The answer is the first clause of ``text`` (up to its first punctuation mark; markup, quotes
    and spaces around it trimmed), else the first clause after a lead-in ending in a colon
    ("Answer: Sí"). A word matches only the whole answer, case-insensitively: "Sí, lo es." is
    yes, but neither "Si la premisa..." ("if") nor "لا أعرف" ("I don't know", which begins with
    لا "no") is a label. A word that two labels accept is no answer.
    """
    if text is None or not text.strip():
        return Extracted(None, "empty")
    lookup: dict[str, set[str]] = {}
    for label, words in vocab.items():
        for w in words:
            if w.strip():
                lookup.setdefault(w.strip().casefold(), set()).add(label)
    lead_in = _LEAD_IN.match(text.strip())
    for candidate in (text, text.strip()[lead_in.end() :] if lead_in else None):
        if candidate is None:
            continue
        labels = lookup.get(_first_clause(candidate).casefold(), set())
        if len(labels) == 1:
            return Extracted(next(iter(labels)), "ok", "label-word")
    return Extracted(None, "unparseable")


def _first_clause(text: str) -> str:
    text = _EDGES.sub("", text)
    return _EDGES.sub("", _CLAUSE.match(text).group())


THINKING_MARKERS = (("<think>", "</think>"), ("<thinking>", "</thinking>"), ("<|channel|>analysis", "<|end|>"))


def strip_thinking(text: str, markers: tuple[tuple[str, str], ...] = THINKING_MARKERS) -> tuple[str, int]:
    """A reasoning model's answer without its thinking spans, and how many characters they held.

    A span is ``open ... close`` for any marker pair; an unclosed span runs to the end of the
    text (the model was cut off while thinking: no answer); a ``close`` with no ``open`` before it
    ends a span that the chat template opened in the prompt."""
    removed = 0
    for open_, close in markers:
        while True:
            start, end = text.find(open_), text.find(close)
            if end != -1 and (start == -1 or end < start):  # opened by the template, closed here
                removed += end
                text = text[end + len(close) :]
                continue
            if start == -1:
                break
            stop = text.find(close, start + len(open_))
            cut = len(text) if stop == -1 else stop + len(close)
            removed += cut - start
            text = text[:start] + text[cut:]
    return text.strip(), removed
