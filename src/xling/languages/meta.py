"""Language metadata for grouping results: name, script, family, resource tier.

Sources (all maintained packages or cited tables, never hand-typed per-language facts in code):
- names and scripts: ``langcodes`` / ``language_data`` (CLDR, IANA registry);
- families: Glottolog's classification as bundled by ``urielplus`` (URIEL+, Khan et al. 2025;
  ``database/urielplus_csvs/uriel_glottocode_map.csv`` ISO 639-3 -> glottocode and
  ``lang_fam_geo.csv`` glottocode -> lineage); the top of the lineage is the family, a languoid
  with no lineage is an isolate;
- resource tier: Joshi et al. (2020) classes 0-5 from ``data/joshi2020_classes.yaml`` (see its
  header for what it covers), and URIEL+'s coarser high/medium/low-resource lists
  (``resource_languages.json``, by glottocode), which fill in where Joshi et al. are silent.

A language pair (``eng_Latn-arb_Arab``) takes each value its two sides share, and ``first → second``
where they differ: ``ara_Arab-ara_Arab`` groups with Arabic's family, ``eng_Latn-arb_Arab`` in
``Indo-European → Afro-Asiatic``, so that monolingual pairs pool with their language's group and a
cross-lingual pair forms the group of its direction.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import asdict, dataclass, fields
from functools import cache, lru_cache
from importlib import metadata, resources

import yaml

from ..types import sides
from . import codes as L
from .scope import scope

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
GROUPINGS = ("family", "script", "tier")
JOSHI = "Joshi et al. 2020"
URIEL = "URIEL+ resource levels"


@dataclass(frozen=True)
class LangInfo:
    code: str
    name: str
    script: str
    script_name: str
    family: str
    glottocode: str | None
    tier: str  # Joshi et al. class "0".."5", or "unknown"
    uriel_resource: str  # URIEL+ "high-resource" / "medium-resource" / "low-resource" / "unknown"
    resource_group: str  # the tier grouping's group: "class 3", "URIEL+ low-resource" or "unknown"
    resource_source: str | None  # where resource_group comes from: JOSHI, URIEL or None
    note: str | None = None  # what a code naming several languages stands for (see note())

    def as_dict(self) -> dict:
        return asdict(self)


def _uriel_file(name: str):
    return resources.files("urielplus").joinpath("database", "urielplus_csvs", name)


@lru_cache(maxsize=1)
def _glottocodes() -> dict[str, str]:
    with _uriel_file("uriel_glottocode_map.csv").open(encoding="utf-8") as fh:
        return {r["iso_code"]: r["glottocode"] for r in csv.DictReader(fh) if r["glottocode"]}


@lru_cache(maxsize=1)
def _lineages() -> dict[str, tuple[str, str]]:
    with _uriel_file("lang_fam_geo.csv").open(encoding="utf-8") as fh:
        return {r["language_id"]: (r["language_name"], r["lineage"] or "") for r in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def _uriel_resource() -> dict[str, str]:
    data = json.loads(_uriel_file("resource_languages.json").read_text("utf-8"))
    return {g: level for level, codes in data.items() for g in codes}


@lru_cache(maxsize=1)
def _joshi() -> dict[str, str]:
    data = yaml.safe_load(resources.files("xling.data").joinpath("joshi2020_classes.yaml").read_text("utf-8"))
    return {code: str(cls) for cls, codes in data["classes"].items() for code in codes}


@lru_cache(maxsize=1)
def _individual() -> dict[str, str]:
    """Macrolanguage -> the individual language benchmarks hold (``data/language_aliases.yaml``)."""
    return {k: v for k, v in L._aliases()["macrolanguages"].items() if k != v} | {"zho": "cmn", "est": "ekk"}


def glottocode(code: str) -> str | None:
    lang, _ = L.split(code)
    codes = _glottocodes()
    return codes.get(lang) or codes.get(_individual().get(lang, ""))


def family(code: str) -> str:
    """Top-level Glottolog family (``'Atlantic-Congo'``), ``'isolate: <name>'``, or ``'unknown'``; a
    macrolanguage Glottolog does not list gets the family all its member languages share."""
    g = glottocode(code)
    if g is None or g not in _lineages():
        members = scope(code).members if scope(code) else ()
        found = {_family_of(_glottocodes().get(m)) for m in members} - {UNKNOWN}
        return found.pop() if len(found) == 1 else UNKNOWN
    return _family_of(g)


def _family_of(g: str | None) -> str:
    if g is None or g not in _lineages():
        return UNKNOWN
    name, lineage = _lineages()[g]
    top = lineage.split(",")[0].strip()
    return top or f"isolate: {name}"


def note(code: str, unknown: list[str]) -> str | None:
    """What a code that names several languages stands for, which of its metadata are
    ``unknown``, and how to name one language instead; None for an individual language, a
    macrolanguage whose metadata come from the individual language benchmarks mean by it
    (``data/language_aliases.yaml``), or one whose metadata are all known."""
    s = scope(code)
    if s is None or L.split(code)[0] in _individual() or (s.kind == "macrolanguage" and not unknown):
        return None
    return s.note(L.script(code), unknown)


_told: set[str] = set()


def tell_once(languages: list[str]) -> dict[str, str]:
    """:func:`note` of each of ``languages`` that has one, logged as a warning once per process."""
    out = {}
    for code in languages:
        text = info(code).note
        if text is None:
            continue
        out[code] = text
        if code not in _told:
            _told.add(code)
            log.warning("xling: language %s: %s", code, text)
    return out


def tier(code: str) -> str:
    """Joshi et al. (2020) resource class as a string ``'0'``..``'5'``, or ``'unknown'``."""
    lang, _ = L.split(code)
    table = _joshi()
    return table.get(lang) or table.get(_individual().get(lang, ""), UNKNOWN)


def script_name(script: str) -> str:
    try:
        return L._langcodes().Language.get(f"und-{script}").script_name()
    except (LookupError, ValueError):
        return script


def resource_group(joshi_class: str, uriel_level: str) -> tuple[str, str | None]:
    """The resource group of a language and its source: its Joshi et al. class where they list
    it, else its URIEL+ resource level, else ``unknown`` (no source)."""
    if joshi_class != UNKNOWN:
        return f"class {joshi_class}", JOSHI
    if uriel_level != UNKNOWN:
        return f"URIEL+ {uriel_level}", URIEL
    return UNKNOWN, None


def _joined(a: str | None, b: str | None) -> str | None:
    return a if a == b else f"{a} → {b}"


@cache
def info(code: str) -> LangInfo:
    """Everything known about one canonical language code or pair (a pair: see the module's text)."""
    code = L.canonical(code)
    if L.is_pair(code):
        first, second = (info(side) for side in sides(code))
        values = {f.name: _joined(getattr(first, f.name), getattr(second, f.name)) for f in fields(LangInfo)}
        return LangInfo(**(values | {"code": code, "name": L.name(code)}))
    script = L.script(code)
    g = glottocode(code)
    joshi = tier(code)
    uriel = _uriel_resource().get(g, UNKNOWN) if g else UNKNOWN
    group, source = resource_group(joshi, uriel)
    fam = family(code)
    unknown = [k for k, v in (("family", fam), ("glottocode", g or UNKNOWN), ("resource class", group)) if v == UNKNOWN]
    return LangInfo(
        code=code,
        name=L.name(code),
        script=script,
        script_name=script_name(script),
        family=fam,
        glottocode=g,
        tier=joshi,
        uriel_resource=uriel,
        resource_group=group,
        resource_source=source,
        note=note(code, unknown),
    )


def group_of(code: str, by: str) -> str:
    """The group ``code`` falls in under a grouping: ``family``, ``script`` or ``tier``."""
    if by not in GROUPINGS:
        from ..errors import UserError

        raise UserError(f"unknown grouping {by!r}", hint=f"choose one of: {', '.join(GROUPINGS)}")
    i = info(code)
    if by == "script":
        return f"{i.script} ({i.script_name})"
    if by == "tier":
        return i.resource_group
    return i.family


def sources() -> dict[str, str]:
    """Where the metadata comes from, with package versions (recorded in results and reports)."""

    def ver(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "?"

    return {
        "names, scripts": f"langcodes {ver('langcodes')}, language_data {ver('language_data')}",
        "family": f"Glottolog lineage as bundled by urielplus {ver('urielplus')}",
        "tier": f"{JOSHI} classes (xling/data/joshi2020_classes.yaml); where they are silent, {URIEL} "
        f"(resource_languages.json in urielplus {ver('urielplus')}); each language's resource_source names which",
    }
