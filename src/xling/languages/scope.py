"""Codes that name more than one language: macrolanguages (``kok``, ``mlg``) and ISO 639-5
collective codes (``nah``: Nahuatl languages, ``oto``: Otomian languages).

The IANA language subtag registry bundled by ``language_data`` says which codes these are and,
for a macrolanguage, which individual languages it covers. A macrolanguage that benchmarks use
for one individual language is mapped to it by ``data/language_aliases.yaml`` (``ar`` -> ``arb``)
before it gets here; what is left is told once per code, with how to name one language instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from . import codes as L


@dataclass(frozen=True)
class Scope:
    """What a code that is not one individual language stands for."""

    code: str  # the ISO 639 code, as the registry spells it
    kind: str  # "macrolanguage", "collection" or "special"
    description: str  # the registry's name, e.g. "Nahuatl languages"
    members: tuple[str, ...] = ()  # a macrolanguage's individual languages (ISO 639-3)

    def note(self, script: str, unknown: list[str]) -> str:
        """What the code is, which of its metadata are ``unknown`` for it, and how to name one
        language instead (``script``: the code's script, for the example)."""
        if self.kind == "macrolanguage":
            shown = ", ".join(self.members[:5]) + (", ..." if len(self.members) > 5 else "")
            what = f"a macrolanguage code ({self.description}) for {len(self.members)} individual languages ({shown})"
        elif self.kind == "collection":
            what = f"an ISO 639-5 collective code for a group of languages ({self.description}), not one language"
        else:
            what = f"a special code ({self.description}), not a language"
        listed = ", ".join(unknown[:-1]) + (" and " if len(unknown) > 1 else "") + "".join(unknown[-1:])
        missing = f"its {listed} {'is' if len(unknown) == 1 else 'are'} unknown" if unknown else ""
        return (
            f"{self.code!r} is {what}{'; ' + missing if missing else ''}. If the data is one language, key it by "
            f"that language's ISO 639-3 code: `languages: {{xxx_{script}: {self.code}}}` keeps reading the "
            f"files' code {self.code!r}"
        )


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, ...]]]:
    """``(scope and name of every language subtag that has a scope, members of each macrolanguage)``."""
    from language_data.registry_parser import parse_registry

    scopes: dict[str, tuple[str, str]] = {}
    members: dict[str, list[str]] = {}
    for entry in parse_registry():
        if entry.get("Type") != "language":
            continue
        if "Scope" in entry:
            scopes[entry["Subtag"]] = (entry["Scope"], entry["Description"][0])
        if "Macrolanguage" in entry and "Deprecated" not in entry:
            members.setdefault(entry["Macrolanguage"], []).append(entry["Subtag"])
    return scopes, {k: tuple(sorted(v)) for k, v in members.items()}


def _subtag(code: str) -> str:
    """The registry's subtag of a canonical code's language (two letters where ISO 639-1 has them)."""
    lang = L.split(code)[0]
    try:
        return L._langcodes().Language.get(lang).language or lang
    except (LookupError, ValueError):
        return lang


@cache
def scope(code: str) -> Scope | None:
    """What a canonical code stands for when it is not one individual language; None when it is."""
    subtag = _subtag(code)
    scopes, members = _registry()
    if subtag not in scopes or scopes[subtag][0] == "private-use":
        return None
    kind, description = scopes[subtag]
    return Scope(L.split(code)[0], kind, description, members.get(subtag, ()))
