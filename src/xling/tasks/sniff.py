"""What a data file holds, told from its name and first lines: the format, the reader's settings
(header, delimiter, quoting, records), the columns and a sample of records, read through the
readers of :mod:`xling.tasks.readers` (compressed files too). Used by ``xling init``."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import DataError, UserError
from .readers import OPENERS, READERS, BadRow, Row, read_bytes, text_lines

#: Records read per file (enough for the label set and id checks of a release's file).
SAMPLE_ROWS = 100_000

EXTENSIONS = {
    ".tsv": "tsv",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".conllu": "conllu",
    ".conll": "token-tags",
    ".iob": "token-tags",
    ".iob2": "token-tags",
    ".bio": "token-tags",
    ".parquet": "parquet",
}

_HEADER_CELL = re.compile(r"[^\W\d][\w.\- ]{0,39}")


@dataclass
class Sniffed:
    """One file: its format, the ``local:`` settings that read it, its columns (dotted paths of
    nested keys) and the records read (up to :data:`SAMPLE_ROWS`)."""

    path: Path
    format: str
    settings: dict[str, Any] = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)
    bad_rows: int = 0
    guessed_columns: bool = False  # a file without header: the column names are guesses

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for record in self.records[:200]:
            seen.update(dict.fromkeys(_paths(record)))
        return list(seen)


def _paths(record: dict, prefix: str = "") -> list[str]:
    """The dotted paths of a record's values, nested dicts opened (``utterance.text``)."""
    out = []
    for key, value in record.items():
        path = f"{prefix}{key}"
        out += _paths(value, f"{path}.") if isinstance(value, dict) and value else [path]
    return out


def value_at(record: dict, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(record, dict) or key not in record:
            return None
        record = record[key]
    return record


def plain_suffix(path: Path) -> str:
    """The file's extension once a compression ending (``.gz``, ``.bz2``, ``.xz``) is dropped."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in OPENERS:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _first_lines(path: Path, n: int = 400) -> list[str]:
    return [text for _, text in islice(text_lines(path), n) if isinstance(text, str)]


def _token_tags(lines: list[str]) -> str | None:
    """The delimiter of one-token-a-line data (blank lines between sentences), or None."""
    body = [line for line in lines if line.strip()]
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    if not body or body[0].startswith("#") or all(line.strip() for line in lines[:last]):
        return None
    delimiter = "\t" if all("\t" in line for line in body) else " "
    widths = {len(line.split(delimiter)) for line in body}
    if len(widths) == 1 and 2 <= widths.pop() <= 6 and all(" " not in line.split(delimiter)[0] for line in body):
        return delimiter
    return None


def sniff_format(path: Path) -> tuple[str, dict[str, Any]]:
    """``(format, reader settings)`` from the extension, then the first lines."""
    suffix = plain_suffix(path)
    fmt = EXTENSIONS.get(suffix)
    if fmt in ("json", "parquet", "conllu", "jsonl"):
        return _json_layout(path) if fmt == "json" else (fmt, {})
    lines = _first_lines(path)
    if not any(line.strip() for line in lines):
        raise DataError(path, None, "the file is empty: cannot tell its format or columns")
    if fmt in ("token-tags", "tsv", "csv", None):
        delimiter = _token_tags(lines)
        if delimiter is not None:
            return "token-tags", {"delimiter": delimiter}
    if fmt is None:
        first = next(line for line in lines if line.strip())
        if first.lstrip().startswith("{"):
            return "jsonl", {}
        if first.startswith("# sent_id") or len(first.split("\t")) == 10:
            return "conllu", {}
        if "\t" in first:
            fmt = "tsv"
        elif "," in first:
            fmt = "csv"
        else:
            raise DataError(
                path,
                1,
                f"cannot tell the format of a {suffix or 'nameless'!r} file: its first line is neither JSON "
                "nor split by tabs or commas",
                hint="give the file a telling extension (.tsv, .csv, .jsonl, .json, .conllu, .parquet)",
            )
    return fmt, _delimited_settings(fmt, lines)


def _delimited_settings(fmt: str, lines: list[str]) -> dict[str, Any]:
    delimiter = "\t" if fmt == "tsv" else ","
    if fmt == "csv":
        try:
            delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;|").delimiter
        except csv.Error:
            pass
    quoting = "minimal" if fmt == "csv" else "none"
    rows = list(csv.reader(lines[:50], delimiter=delimiter)) if quoting == "minimal" else []
    rows = rows or [line.split(delimiter) for line in lines[:50]]
    settings: dict[str, Any] = {"header": _has_header(rows, "\n".join(lines[:50]))}
    if fmt == "csv":
        settings["quoting"] = quoting
    if delimiter != ("\t" if fmt == "tsv" else ","):
        settings["delimiter"] = delimiter
    return settings


def _has_header(rows: list[list[str]], sample: str) -> bool:
    """A first row of distinct name-like cells (``category``, ``sentence1``) that ``csv.Sniffer``
    also takes for a header, or that repeats nowhere below."""
    first = [c.strip() for c in rows[0]] if rows else []
    if not first or len(set(first)) != len(first) or not all(_HEADER_CELL.fullmatch(c) for c in first):
        return False
    try:
        if csv.Sniffer().has_header(sample):
            return True
    except csv.Error:
        pass
    below = [{c.strip() for c in row} for row in rows[1:]]
    return not any(cell in row for row in below for cell in first)


def _json_layout(path: Path) -> tuple[str, dict[str, Any]]:
    """``squad`` for SQuAD v1.1 JSON, else ``json`` with ``records`` where the list is under a key."""
    try:
        obj = json.loads(read_bytes(path).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataError(path, None, f"not readable JSON: {exc}") from None
    if isinstance(obj, list):
        return "json", {}
    if isinstance(obj, dict):
        data = obj.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict) and "paragraphs" in data[0]:
            return "squad", {}
        for key, value in obj.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value[:10]):
                return "json", {"records": key}
    raise DataError(
        path,
        None,
        "cannot tell where the records are: the JSON holds no list of objects at the top level or under a key",
        hint="write `local.records: key.path` to the list by hand",
    )


def _value_kind(values: list[str]) -> str:
    """``score``, ``label``, ``id`` or ``text``: what a headerless column's values look like."""
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except ValueError:
            break
    else:
        if numbers and any(n != int(n) for n in numbers):
            return "score"
    distinct = set(values)
    if len(distinct) <= 20 and len(distinct) <= max(2, len(values) // 3) and max(map(len, values)) <= 30:
        return "label"
    if len(distinct) == len(values) and all(" " not in v for v in values):
        return "id"
    return "text"


def _guess_columns(rows: list[list[str]]) -> list[str]:
    """Names for a headerless file's columns, from their values: text (text1, text2...), label, score, id."""
    width = max(map(len, rows))
    kinds = [_value_kind([row[i] for row in rows if i < len(row)]) for i in range(width)]
    texts = kinds.count("text")
    names, n = [], 0
    for kind in kinds:
        if kind == "text":
            n += 1
            names.append("text" if texts == 1 else f"text{n}")
        else:
            names.append(kind if kind not in names else f"{kind}{len(names) + 1}")
    return names


def sniff(path: Path) -> Sniffed:
    """Read ``path`` as its name and first lines say; an error names the file and what could not be told."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file", hint="give the release's data files, e.g. data/hau/test.tsv")
    fmt, settings = sniff_format(path)
    guessed = False
    if fmt in ("tsv", "csv") and not settings["header"]:
        delimiter = settings.get("delimiter", "\t" if fmt == "tsv" else ",")
        lines = [line for line in _first_lines(path, 200) if line.strip()]
        rows = list(csv.reader(lines, delimiter=delimiter)) if fmt == "csv" else [ln.split(delimiter) for ln in lines]
        settings["columns"] = _guess_columns(rows)
        guessed = True
    if fmt == "token-tags":
        width = len(next(line for line in _first_lines(path) if line.strip()).split(settings["delimiter"]))
        settings["columns"] = ["tokens", *(f"column{i}" for i in range(2, width)), "tags"]
        if settings["delimiter"] == "\t":
            del settings["delimiter"]
    reader_args = {"delimiter": "\t" if fmt == "tsv" else ",", **settings}
    records, bad = [], 0
    for row in islice(READERS[fmt](path, **reader_args), SAMPLE_ROWS):
        if isinstance(row, BadRow):
            bad += 1
        elif isinstance(row, Row):
            records.append(row.record)
    if not records:
        raise DataError(path, None, f"read as {fmt}, the file gives no record ({bad} malformed rows)")
    return Sniffed(path, fmt, settings, records, bad, guessed)


__all__ = ["Sniffed", "sniff", "sniff_format", "value_at", "plain_suffix", "SAMPLE_ROWS", "EXTENSIONS"]
