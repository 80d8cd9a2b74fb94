"""Canonical language codes: ISO 639-3 + ISO 15924 script (``deu_Latn``, ``zho_Hans``), and
language pairs (``eng_Latn-arb_Arab``: the first text's language, then the second's).

Names and default scripts come from ``langcodes``/``language_data`` (maintained CLDR/IANA data);
the few choices those packages cannot make for us (which individual language a macrolanguage
code means in benchmark data, dataset-specific non-standard codes) live in ``data/language_aliases.yaml``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

import yaml

from ..errors import UserError
from ..types import PAIR_JOIN, sides

_CANONICAL = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
_PAIR = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}-[a-z]{3}_[A-Z][a-z]{3}$")
# two lowercase subtags: a language with a region ("pt-br") or a pair of languages ("en-ar")
_TWO_SUBTAGS = re.compile(r"^([a-z]{2,3})[-_]([a-z]{2,3})$")


def _langcodes():
    """The ``langcodes`` module, imported when a code is not canonical yet or a name is asked for
    (its data tables take a noticeable part of a second to load)."""
    import langcodes

    return langcodes


@lru_cache(maxsize=1)
def _aliases() -> dict:
    text = resources.files("xling.data").joinpath("language_aliases.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def canonical(code: str) -> str:
    """Map any dataset's language code (``de``, ``deu``, ``zh-CN``, ``jp``, ``zho_Hans``) to ``xxx_Scrp``."""
    if not isinstance(code, str) or not code.strip():
        raise UserError(f"empty language code {code!r}")
    raw = code.strip()
    if _CANONICAL.match(raw) or _PAIR.match(raw):
        return raw
    al = _aliases()
    key = raw.lower().replace("_", "-")
    if key in al["codes"]:
        return al["codes"][key]
    try:
        lang = _langcodes().Language.get(key)
        full = lang.maximize()
        alpha3 = lang.to_alpha3()
    except (LookupError, ValueError) as exc:
        raise UserError(
            f"unknown language code {code!r}",
            hint="use an ISO 639-1/639-3 code with an optional script, e.g. 'de', 'deu', 'swh_Latn', 'zh-Hans'",
        ) from exc
    alpha3 = al["macrolanguages"].get(alpha3, alpha3)
    script = lang.script or full.script
    if not script:
        raise UserError(f"cannot tell the script of language {code!r}", hint="give it explicitly, e.g. 'xxx_Latn'")
    return f"{alpha3}_{script}"


def try_canonical(code: str) -> str | None:
    """``canonical(code)`` or None when the code is not a language."""
    try:
        return canonical(code)
    except UserError:
        return None


def is_pair(code: str) -> bool:
    """Whether ``code`` is a canonical language pair (``eng_Latn-arb_Arab``)."""
    return bool(_PAIR.match(code))


def pair(first: str, second: str) -> str:
    """The canonical pair of two languages, in order: ``('en', 'ar')`` -> ``'eng_Latn-arb_Arab'``."""
    return f"{canonical(first)}{PAIR_JOIN}{canonical(second)}"


def language_key(code: str, separator: str | None = None) -> str:
    """A task's language key as a canonical language or pair. With ``separator`` (a task's
    ``pair_separator``), a code holding it is a pair of two codes (``en-ar``); without one, a code
    that reads both as a language with a region and as a pair (``en-ar``, ``pt-br``) is refused."""
    raw = str(code).strip()
    if separator and separator in raw and not (_CANONICAL.match(raw) or _PAIR.match(raw)):
        parts = raw.split(separator)
        if len(parts) != 2:
            raise UserError(
                f"language pair {code!r} splits on {separator!r} into {len(parts)} parts, not 2",
                hint=f"write the pair as FIRST{separator}SECOND, or canonically: eng_Latn-arb_Arab",
            )
        return pair(*parts)
    two = _TWO_SUBTAGS.match(raw)
    if two and try_canonical(two[2]) is not None:
        first, second = two[1], two[2]
        raise UserError(
            f"language code {code!r} is ambiguous: a language with region {second.upper()!r} "
            f"({canonical(raw)}), or the pair {first}->{second}",
            hint=f"write the language canonically ({canonical(raw)}), or the pair as "
            f"{canonical(first)}-{canonical(second)}, or declare 'pair_separator' so that "
            f"{code!r} reads as a pair",
        )
    return canonical(raw)


def split(code: str) -> tuple[str, str]:
    """``'deu_Latn'`` -> ``('deu', 'Latn')``."""
    lang, _, script = canonical(code).partition("_")
    return lang, script


@cache
def name(code: str) -> str:
    """English display name, e.g. ``'swh_Latn'`` -> ``'Swahili'``; a pair joins its sides' names
    with an en dash: ``'eng_Latn-arb_Arab'`` -> ``'English–Arabic'``."""
    if is_pair(code):
        return "–".join(name(side) for side in sides(code))
    lang, script = split(code)
    try:
        return _langcodes().Language.get(lang).display_name().replace(" (individual language)", "")
    except (LookupError, ValueError):
        return lang


@cache
def name_in(code: str, language: str) -> str:
    """The display name of ``code`` in ``language``'s own words (CLDR through langcodes: German
    ``'deu_Latn'`` is ``'Deutsch'``), for prompts written in that language; the English name
    where CLDR has none."""
    lang, script = split(language)
    if lang == "eng":
        return name(code)
    lc = _langcodes()
    try:
        # CLDR names macrolanguages (sw, not swh): look both up by their standard tags; the
        # script picks the names of a language written two ways (sr-Latn: srpski, not српски)
        target = lc.Language.get(lc.standardize_tag(f"{lang}-{script}", macro=True))
        shown = lc.Language.get(lc.standardize_tag(split(code)[0], macro=True)).display_name(target)
    except (LookupError, ValueError):
        return name(code)
    shown = shown.replace(" (individual language)", "")
    if not shown or shown == split(code)[0] or not _written_in(shown, script):
        return name(code)  # no CLDR name in the prompt's language and script: English
    return shown


def _written_in(text: str, script: str) -> bool:
    """Whether the letters of ``text`` are of ``script`` (ISO 15924; True where Unicode has no such
    script, e.g. Jpan or Hant)."""
    import regex

    try:
        other = regex.compile(rf"[^\p{{Script={script}}}\p{{Script=Common}}\p{{Script=Inherited}}\P{{L}}]")
    except regex.error:
        return True
    return other.search(text) is None


def script(code: str) -> str:
    """ISO 15924 script code of a canonical language."""
    return split(code)[1]


def resolve(code: str, known: list[str] | set[str]) -> str | None:
    """The canonical language or pair a user's ``code`` (``--languages``) means among ``known``:
    a pair written with two codes (``en-ar``) is that pair where ``known`` has it, before the
    same text read as a language with a region; None when it is no language at all."""
    raw = str(code).strip()
    if raw.count(PAIR_JOIN) == 1 and not _PAIR.match(raw):
        first, second = (try_canonical(part) for part in raw.split(PAIR_JOIN))
        if first and second and f"{first}{PAIR_JOIN}{second}" in known:
            return f"{first}{PAIR_JOIN}{second}"
    return try_canonical(raw)


def covers(wanted: str, code: str) -> bool:
    """Whether the requested language ``wanted`` selects ``code``: itself, or a pair with it on
    either side (``ara`` keeps ``arb_Arab-arb_Arab`` and ``eng_Latn-arb_Arab``)."""
    return wanted == code or (not is_pair(wanted) and wanted in sides(code))
