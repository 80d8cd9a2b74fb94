"""A release's path pattern from some of its files: where the language (``{lang}``) and the split
(``{split}``) sit in the paths, and which file is which. Used by ``xling init``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..errors import UserError
from ..languages.codes import try_canonical
from .readers import OPENERS
from .sniff import EXTENSIONS

#: Split names as releases write them, in the order an eval split is preferred.
SPLIT_WORDS = ("test", "devtest", "dev", "validation", "valid", "val", "eval", "trial", "train")
_SEPARATORS = re.compile(r"([/._-])")
_NOT_LANGUAGES = {e.lstrip(".") for e in [*EXTENSIONS, *OPENERS]} | {"txt", "tsv", "csv"}


@cache
def language_of(token: str) -> str | None:
    """The canonical code a path part names (``hau``, ``sw``, ``acehnese``, ``toba_batak``), or None."""
    if not token or token.lower() in _NOT_LANGUAGES or token.lower() in SPLIT_WORDS:
        return None
    code = try_canonical(token)
    if code is not None or not token.replace("_", "").replace(" ", "").isalpha() or len(token) < 4:
        return code
    import langcodes

    try:
        return try_canonical(str(langcodes.find(token.replace("_", " "))))
    except LookupError:
        return None


@dataclass
class Layout:
    """``pattern`` (``{lang}`` where the language varies or was read, ``{split}`` where a split word
    is), the files' language codes (empty: no ``{lang}``), the splits seen, and each file by
    (code, split)."""

    pattern: str
    codes: list[str] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    files: dict[tuple[str | None, str | None], str] = field(default_factory=dict)
    code_varies: bool = False  # {lang} is where the paths differ (not one path's guess)


def _parts(path: str) -> tuple[list[str], str | None]:
    """The path cut at ``/ . _ -`` (tokens at even places), split words replaced by ``{split}``."""
    parts = _SEPARATORS.split(path)
    split = None
    for i in range(0, len(parts), 2):
        if parts[i].lower() in SPLIT_WORDS:
            split, parts[i] = parts[i], "{split}"
    return parts, split


def _common(lists: list[list[str]], reverse: bool = False) -> int:
    n = 0
    shortest = min(map(len, lists))
    while n < shortest and len({(ps[::-1] if reverse else ps)[n] for ps in lists}) == 1:
        n += 1
    return n


def find_layout(paths: list[str]) -> Layout:
    """The layout of ``paths`` (POSIX, relative to the folder the pattern starts from)."""
    cut = [(p, *_parts(p)) for p in paths]
    templates: dict[str, list[str]] = {}
    for _, parts, _ in cut:
        templates.setdefault("".join(parts), parts)
    splits = list(dict.fromkeys(s for _, _, s in cut if s is not None))
    if len(templates) > 1:
        lists = list(templates.values())
        head = _common(lists)
        tail = min(_common(lists, reverse=True), min(map(len, lists)) - head)
        codes = {key: "".join(ps[head : len(ps) - tail]) for key, ps in templates.items()}
        if not all(codes.values()):
            raise UserError(
                "cannot tell where the language sits in the paths: "
                + ", ".join(sorted(paths)[:4])
                + " differ in more than a language and a split part",
                hint="give the files of one release layout (one file per language and split)",
            )
        first = lists[0]
        pattern = "".join(first[:head]) + "{lang}" + "".join(first[len(first) - tail :])
        layout = Layout(pattern, list(dict.fromkeys(codes.values())), splits, code_varies=True)
        for path, parts, split in cut:
            layout.files[(codes["".join(parts)], split)] = path
        return layout
    parts = next(iter(templates.values()))
    name_start = max(i for i in range(0, len(parts), 2) if i == 0 or parts[i - 1] == "/")
    found = [i for i in range(0, len(parts), 2) if language_of(parts[i]) and not _is_extension(parts, i, name_start)]
    code = parts[found[-1]] if found else None
    if found:
        parts = [*parts[: found[-1]], "{lang}", *parts[found[-1] + 1 :]]
    layout = Layout("".join(parts), [code] if code else [], splits)
    for path, _, split in cut:
        layout.files[(code, split)] = path
    return layout


def _is_extension(parts: list[str], i: int, name_start: int) -> bool:
    """True for a part after the first dot of the file name (``tsv`` of ``sw.test.tsv``) when it
    is a known extension, so that ``xnli.sw.jsonl``'s ``sw`` counts but not ``jsonl``."""
    return i > name_start and parts[i - 1] == "." and parts[i].lower() in _NOT_LANGUAGES


def fill(pattern: str, code: str | None, split: str | None) -> str:
    """``pattern`` with its placeholders filled."""
    return pattern.replace("{lang}", code or "").replace("{split}", split or "")


__all__ = ["Layout", "find_layout", "language_of", "fill", "SPLIT_WORDS"]
