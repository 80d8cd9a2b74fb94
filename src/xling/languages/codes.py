"""Canonical language codes: ISO 639-3 + ISO 15924 script (``deu_Latn``, ``zho_Hans``).

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

_CANONICAL = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")


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
    if _CANONICAL.match(raw):
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


def split(code: str) -> tuple[str, str]:
    """``'deu_Latn'`` -> ``('deu', 'Latn')``."""
    lang, _, script = canonical(code).partition("_")
    return lang, script


@cache
def name(code: str) -> str:
    """English display name, e.g. ``'swh_Latn'`` -> ``'Swahili'``."""
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
    if split(language)[0] == "eng":
        return name(code)
    lc = _langcodes()
    try:
        # CLDR names macrolanguages (sw, not swh): look both up by their standard tags
        target = lc.Language.get(lc.standardize_tag(split(language)[0], macro=True))
        shown = lc.Language.get(lc.standardize_tag(split(code)[0], macro=True)).display_name(target)
    except (LookupError, ValueError):
        return name(code)
    shown = shown.replace(" (individual language)", "")
    return name(code) if not shown or shown == split(code)[0] else shown  # no CLDR name: English


def script(code: str) -> str:
    """ISO 15924 script code of a canonical language."""
    return split(code)[1]
