"""A first task YAML from a release's data files (``xling init``): the layout, format, languages,
splits, kind, fields and labels it can tell, with ``# check:`` comments on its guesses and
``FILL-ME`` where only a person can say (the file does not load until none is left)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError
from .guess import LABELLED, MAX_LABELS, Guess, guess, id_column, label_sets
from .layout import SPLIT_WORDS, Layout, fill, find_layout, language_of
from .placeholder import FILL_ME
from .sniff import Sniffed, sniff
from .spec import KINDS_VOCABULARY


@dataclass
class Draft:
    """The YAML text, the keys left as ``FILL-ME``, and the data directory to pass (None: the
    paths start at the task file)."""

    text: str
    fill_me: list[str] = field(default_factory=list)
    data_dir: Path | None = None


class _Lines:
    """YAML lines, one key each, flow-style values, a comment where there is something to say."""

    def __init__(self):
        self.lines: list[str] = []
        self.fill_me: list[str] = []

    def add(self, key: str, value: Any, comment: str = "", indent: int = 0, where: str = "") -> None:
        text = yaml.safe_dump({key: value}, default_flow_style=True, width=10**6, sort_keys=False, allow_unicode=True)
        line = " " * indent + text.strip()[1:-1]
        if FILL_ME in line:
            self.fill_me.append(where + key)
        self.lines.append(f"{line}  # {comment}" if comment else line)

    def comment(self, text: str, indent: int = 0) -> None:
        self.lines.append(" " * indent + "# " + text)


def _anchor(files: list[Path], output: Path) -> tuple[Path, bool]:
    """The folder the path pattern starts from, and whether it is the task file's own."""
    out_dir = output.parent
    if all(f.is_relative_to(out_dir) for f in files):
        return out_dir, True
    base = Path(os.path.commonpath([f.parent for f in files]))
    while base.parent != base and (base.name.lower() in SPLIT_WORDS or language_of(base.name)):
        base = base.parent  # a language's or a split's own folder belongs to the pattern
    return base, False


def _languages(codes: list[str]) -> tuple[dict[str, str], list[str]]:
    """canonical -> the files' code, a ``FILL-ME-<code>`` key where the code names no language."""
    out: dict[str, str] = {}
    unknown = []
    for code in codes:
        canonical = language_of(code)
        if canonical is None or canonical in out:
            out[f"{FILL_ME}-{code}"] = code
            unknown.append(code)
        else:
            out[canonical] = code
    return out, unknown


def _name(name: str | None, output: Path, pattern: str) -> str:
    if name:
        return name
    words = [output.stem] if output.stem not in ("task", "tasks") else []
    words += [p for p in re.split(r"[/{}.]", pattern) if p and p not in ("lang", "split")]
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", words[0]).strip("-.") if words else ""
    return cleaned or "my-task"


def draft(paths: list[Path], output: Path, *, kind: str | None = None, name: str | None = None) -> Draft:
    """The draft task file for the data files ``paths``, to be written at ``output``."""
    if not paths:
        raise UserError("give at least one data file", hint="e.g. xling init data/*/test.tsv")
    files = [Path(os.path.abspath(p)) for p in paths]
    output = Path(os.path.abspath(output))
    anchor, beside = _anchor(files, output)
    layout = find_layout([f.relative_to(anchor).as_posix() for f in files])
    sniffed = {key: sniff(anchor / rel) for key, rel in layout.files.items()}
    formats = {s.format for s in sniffed.values()}
    if len(formats) > 1:
        seen = ", ".join(f"{s.path.name}: {s.format}" for s in sniffed.values())
        raise UserError(
            f"the files are in different formats ({seen})",
            hint="give the files of one layout; a language in another layout goes in local.files by hand",
        )
    first = next(iter(sniffed.values()))
    g = guess(list(sniffed.values()), kind)
    y = _Lines()
    sources = ", ".join(str(p) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    y.comment(f"Written by `xling init` from {sources}.")
    y.comment(f"Replace every {FILL_ME} (the task does not load while one is left), review each 'check:',")
    y.comment(f"then run `xling tasks show {output.name}`. Every key: README, 'Every task-file key'.")
    y.add("name", _name(name, output, layout.pattern), "check: the name results use")
    y.add("description", FILL_ME, "what the benchmark measures, how its items were made")
    kind_note = "" if kind else f"guessed from {g.why}" if g.why else f"check: {', '.join(KINDS_VOCABULARY)}"
    y.add("kind", g.kind or FILL_ME, kind_note)
    y.add("metric", g.metric or FILL_ME, "" if g.metric else "check: the headline metric of this kind")

    languages, unknown = _languages(layout.codes)
    if languages:
        why = "the part of the paths that differs" if layout.code_varies else "a language code in the path"
        note = f"check: {', '.join(unknown)}: write the canonical code (xxx_Scrp) as the key" if unknown else ""
        y.add("languages", languages, note or f"canonical: the files' code, read from {why}")
    else:
        y.add("languages", [FILL_ME], "check: the files' language (no language code found in the path)")
    resolved = [c for c in languages if not c.startswith(FILL_ME)]
    source = "eng_Latn" if "eng_Latn" in resolved else (resolved[0] if resolved else None)
    if source:
        y.add("source_language", source, "check: the language heads train on, the transfer gap's reference")

    _splits(y, layout, anchor, languages.get(source) if source else None)

    codes = [code for code, _ in sniffed]
    _mapping(y, g, list(sniffed.values()), codes, first.columns)

    y.add("creation", FILL_ME, "native | human-translated | machine-translated | written-for-xling")
    y.add("licence", FILL_ME, "check: the release's licence (SPDX id, e.g. CC-BY-4.0)")
    y.lines.append("local:")
    data_dir = None if beside else anchor
    root = "task-file" if beside else "data-dir"
    y.add("root", root, "paths start next to this file" if beside else f"run with --data-dir {anchor}", 2)
    y.add("format", first.format, "", 2)
    y.add("path", layout.pattern, "", 2)
    for key, value in first.settings.items():
        comment = "check: the file has no header; the names are guessed from the values" if key == "columns" else ""
        if key == "columns" and not first.guessed_columns:
            comment = ""
        y.add(key, value, comment, 2, "local.")
    bad = {s.path.name: s.bad_rows for s in sniffed.values() if s.bad_rows}
    if bad:
        y.comment(f"check: rows that did not read as {first.format}: {bad}; `xling tasks show` names them", 2)
    return Draft("\n".join(y.lines) + "\n", y.fill_me, data_dir)


def _splits(y: _Lines, layout: Layout, anchor: Path, source_code: str | None) -> None:
    """eval_split (test, else a dev-like split), and train_split where a train file was given or is on disk."""
    splits = layout.splits
    evals = [s for s in SPLIT_WORDS if s != "train" and s in {x.lower() for x in splits}]
    eval_split = next((s for s in splits if s.lower() == evals[0]), None) if evals else None
    if eval_split:
        y.add("eval_split", eval_split, "" if eval_split.lower() == "test" else "check: no test file given")
    elif splits:
        y.add("eval_split", splits[0], "check: only a train file was given")
    else:
        y.add("eval_split", "test", "the file names hold no split: any split name reads the same files")
    train = next((s for s in splits if s.lower() == "train" and s != (eval_split or splits[0])), None)
    if train:
        y.add("train_split", train)
    elif eval_split and "{split}" in layout.pattern and source_code:
        train = _train_on_disk(anchor, layout.pattern, source_code, eval_split)
        if train:
            y.add("train_split", train, f"found on disk: {fill(layout.pattern, source_code, train)}")


def _train_on_disk(anchor: Path, pattern: str, code: str | None, eval_split: str) -> str | None:
    """``train`` when the source language's train file is beside the eval files given."""
    return "train" if eval_split != "train" and (anchor / fill(pattern, code, "train")).is_file() else None


def _mapping(y: _Lines, g: Guess, sniffed: list[Sniffed], codes: list[str | None], columns: list[str]) -> None:
    """fields, gold, labels, id and parallel_key."""
    y.add("fields", g.fields, f"item field: column; the columns are {', '.join(columns)}")
    y.add("gold", g.gold, "; ".join(g.checks))
    if g.kind in LABELLED and isinstance(g.gold, str) and g.gold != FILL_ME:
        per_code = label_sets(sniffed, g.gold, codes)
        labels = sorted(set().union(*per_code.values()))
        if len(labels) <= MAX_LABELS:
            sizes = {str(c): len(v) for c, v in per_code.items()}
            uneven = len(set(sizes.values())) > 1
            note = f"check: not every file has every label ({sizes})" if uneven else "every label seen in the files"
            if all(label.isdigit() for label in labels):
                note += "; add label_map: {'0': name, ...} for readable labels"
            y.add("labels", labels, note)
    column, why_not = id_column(sniffed)
    if column:
        y.add("id", column)
        ids = [{str(r.get(column)) for r in s.records} for s, c in zip(sniffed, codes, strict=True) if c]
        if len(ids) > 1 and len(set.intersection(*ids)) >= 0.5 * min(map(len, ids)):
            y.add("parallel_key", column, "check: the same id in every language is the same item, translated")
    elif why_not:
        y.comment(f"check: {why_not}")
    if not column and len({c for c in codes if c}) > 1:
        sizes = {len(s.records) for s, c in zip(sniffed, codes, strict=True) if c}
        if len(sizes) == 1:
            y.comment(
                "check: every language's file has the same number of rows; if line i is the same item in"
                " all, add `parallel_key: _line`"
            )


__all__ = ["Draft", "draft"]
