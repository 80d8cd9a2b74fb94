"""Reading a task's items: rows of the local files or the Hub, through the task's mapping, one
:class:`~xling.types.Item` each. A union split (``train+dev+test``) reads its parts in turn, a task
with a variant axis reads every variant; a bad row stops the run, or is counted in the task's
skipped-row log under ``skip_bad_rows``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..errors import DataError, UserError
from ..types import Item
from . import provenance
from .archives import Member
from .hub import iter_hub_rows
from .mapping import Mapper, MappingError, NoGold, one_language
from .policy import ReadPolicy
from .readers import READERS, BadRow, Row, SkipLog, json_cells, limit_cells, with_aligned
from .spec import LocalSource, TaskSpec, split_parts


class ReadableTask(Protocol):
    """What reading needs of a task (:class:`xling.tasks.task.Task`, which calls these functions)."""

    spec: TaskSpec
    policy: ReadPolicy
    skipped: SkipLog

    @property
    def name(self) -> str: ...
    def uses_hub(self) -> bool: ...
    def check_language(self, language: str) -> str: ...
    def code(self, language: str) -> str: ...
    def variants(self) -> list[tuple[str, str, str]]: ...
    def variant_code(self, variant: str | None) -> str | None: ...
    def variants_of(self, language: str, split: str) -> list[str]: ...
    def layout_for(self, language: str, split: str) -> LocalSource | None: ...
    def path_for(self, language: str, split: str, variant: str | None = None) -> Path | Member: ...
    def pivot_path(self, language: str, split: str, variant: str | None) -> Path | Member | None: ...
    def aligned_path(self, language: str, split: str, variant: str | None) -> Path | Member | None: ...


def mapper_of(task: ReadableTask, language: str | None = None) -> Mapper:
    """The record -> item mapping of the source the task reads (local, or the Hub's override); the
    gold labels it accepts are the language's own set where the task declares one."""
    m = task.spec.mapping(hub=task.uses_hub())
    return Mapper(
        fields=m["fields"],
        gold=m["gold"],
        id_path=m["id"],
        parallel=m["parallel_key"],
        labels=task.spec.labels_of(language),
        label_map=m["label_map"],
        explode=m["explode"],
        optional=task.spec.optional_fields,
        text_lists=m["text_lists"],
    )


def _rows(
    task: ReadableTask, language: str, split: str, variant: str | None, limit: int | None
) -> tuple[str, Iterator[Row | BadRow]]:
    """``(source name, rows)`` of one language/split/variant, local or Hub, each language-keyed
    column replaced by the language's value; rows with an over-long cell come as bad rows."""
    source, rows = _raw_rows(task, language, split, variant, limit)
    columns = task.spec.mapping(hub=task.uses_hub())["language_keyed"]
    if columns:
        hub = task.spec.hub if task.uses_hub() else None
        code = hub.languages.get(language, task.code(language)) if hub else task.code(language)
        rows = one_language(rows, columns, code)
    return source, limit_cells(rows, task.policy.max_cell_chars)


def _raw_rows(
    task: ReadableTask, language: str, split: str, variant: str | None, limit: int | None
) -> tuple[str, Iterator[Row | BadRow]]:
    if task.uses_hub():
        if task.spec.hub is None:
            raise UserError(f"task {task.name!r} has no Hub source; pass --data-dir")
        provenance.note_hub(task)
        return task.spec.hub.id, iter_hub_rows(
            task.spec.hub, language, task.code(language), split, limit=limit, variant=task.variant_code(variant)
        )
    path = task.path_for(language, split, variant)
    local = task.layout_for(language, split)
    kwargs = {
        "header": local.header,
        "columns": local.columns,
        "quoting": local.quoting,
        "records": local.records,
        "comments": local.comments,
        **local.options,
    }
    kwargs["delimiter"] = local.delimiter or ("," if local.format == "csv" else "\t")
    if local.format == "bitext":
        kwargs["pivot_path"] = task.pivot_path(language, split, variant)
    aligned = task.aligned_path(language, split, variant)
    for p in (path, kwargs.get("pivot_path"), aligned):
        if p is not None:
            provenance.note_file(task, p)
    rows = READERS[local.format](path, **kwargs)
    if aligned is not None:
        rows = with_aligned(rows, path, aligned, local.aligned.columns, local.aligned.delimiter)
    if local.json_cells:
        rows = json_cells(rows, local.json_cells)
    if local.filter is not None:
        flt, code = local.filter, task.code(language)
        rows = (r for r in rows if isinstance(r, BadRow) or flt.keeps(r.record, code, language, split))
    return str(path), rows


def _line_aligned(task: ReadableTask) -> bool:
    """Whether the task reads two line-aligned local files, whose lengths the reader checks at the end."""
    local = task.spec.local
    return not task.uses_hub() and local is not None and (local.format == "bitext" or local.aligned is not None)


def _bad(task: ReadableTask, source: str, row: BadRow) -> None:
    where = f" ({row.where})" if row.where else ""
    if not task.policy.skip_bad_rows:
        raise DataError(
            source,
            row.line,
            row.message + where,
            hint=(row.hint + "; or" if row.hint else "fix the row, or")
            + " pass --skip-bad-rows to skip (and count) such rows",
        )
    task.skipped.add(source, row.line, row.message + where)


def duplicate_id(item_id: str, row: Row, split: str, first: tuple[str, int | None], id_path) -> BadRow:
    """The bad row of an id seen before (``first``: its split and line), with how to make ids unique."""
    first_split, first_line = first
    at = f"line {first_line}" if first_line is not None else "an earlier record"
    if first_split != split:
        return BadRow(
            row.line,
            f"duplicate item id {item_id!r} (first in split {first_split!r} of this union), there on {at}",
            row.where,
            "the parts of a union split need ids unique across them; a position such as _line repeats "
            "in every file: use a column that is unique across splits, or a single split",
        )
    declared = f"`id: {id_path.spec}` gives the same id twice" if id_path is not None else "ids must be unique"
    return BadRow(
        row.line,
        f"duplicate item id {item_id!r} (first on {at})",
        row.where,
        f"{declared}: take the id from a column whose values are unique (`id: <column>`), build it from several "
        '(`id: "{url}#{_line}"`, `_line` being the row\'s line), or drop `id:` to number the rows by line',
    )


def count(task: ReadableTask, language: str, split: str, variant: str | None = None) -> int:
    """Records of one language and split (after ``explode``), without building items: fast."""
    language = task.check_language(language)
    if len(parts := split_parts(split)) > 1:
        return sum(count(task, language, part, variant) for part in parts)
    if task.spec.variant is not None and variant is None:
        return sum(count(task, language, split, lab) for lab in task.variants_of(language, split))
    _, rows = _rows(task, language, split, variant, None)
    return sum(1 for r in mapper_of(task, language).rows(rows) if isinstance(r, Row))


def iter_items(
    task: ReadableTask, language: str, split: str, limit: int | None = None, variant: str | None = None
) -> Iterator[Item]:
    """Items streamed from the file; reading stops once ``limit`` items are out.

    A union split (``train+dev+test``) yields each part's items in turn, each with its own
    part's ``split``; ``limit`` counts across the parts, and an item id seen in an earlier part
    is a duplicate (a bad row); ids the task does not declare (line numbers, JSON paths) are
    prefixed with the part, ``test/12``. For a task with a variant axis (MLQA question language) and no
    ``variant``, the items of every variant follow one another; each carries
    ``fields[<axis>_language]`` and an id suffixed ``|<axis>=<language>`` so that ids stay unique;
    locally, only the variants whose file exists are read (a sparse grid)."""
    language = task.check_language(language)
    every = task.spec.variant is not None and variant is None
    parts = split_parts(split)
    seen: dict[str, tuple[str, int | None]] = {}
    n = 0
    for part in parts:
        for v in task.variants_of(language, part) if every else [variant]:
            for it in _iter_part(task, language, part, None if limit is None else limit - n, v, seen, len(parts) > 1):
                n += 1
                yield it
            if limit is not None and n >= limit:
                return


def _iter_part(
    task: ReadableTask,
    language: str,
    split: str,
    limit: int | None,
    variant: str | None,
    seen: dict[str, tuple[str, int | None]],
    union: bool = False,
) -> Iterator[Item]:
    """Items of one (single) split and variant; ``seen``: the ids already out -> their split and
    line; ``union``: the split is one part of a union."""
    mapper = mapper_of(task, language)
    source, rows = _rows(task, language, split, variant, limit)
    label = next((lab for lab, lang, code in task.variants() if variant in (lab, lang, code)), None)
    n = 0
    rows = mapper.rows(rows)
    for row in rows:
        if limit is not None and n >= limit:
            if _line_aligned(task):  # the files' lengths are checked whatever the limit
                for _ in rows:
                    pass
            return
        if isinstance(row, BadRow):
            _bad(task, source, row)
            continue
        row.record.setdefault("_line", row.line)  # path `_line`: the record's line (or Hub row)
        try:
            item_id, parallel_id, fields, gold = mapper.item_parts(row)
        except NoGold as exc:
            task.skipped.add(source, row.line, str(exc))
            continue
        except MappingError as exc:
            _bad(task, source, BadRow(row.line, str(exc), row.where))
            continue
        if item_id is None:  # JSON records: their JSON path (unique); line-based: the line
            item_id = row.where or (str(row.line) if row.line is not None else str(n))
            if union:
                item_id = f"{split}/{item_id}"
        if label is not None:
            axis, _, vlang = label.partition("=")
            fields[f"{axis}_language"] = vlang
            item_id = f"{item_id}|{label}"
            parallel_id = f"{parallel_id}|{label}" if parallel_id is not None else None
        if item_id in seen:
            _bad(task, source, duplicate_id(item_id, row, split, seen[item_id], mapper.id_path))
            continue
        seen[item_id] = (split, row.line)
        if parallel_id is None:
            parallel_id = f"{language}:{item_id}"  # not parallel: unique per language
        n += 1
        yield Item(task.name, split, language, item_id, parallel_id, fields, gold)
