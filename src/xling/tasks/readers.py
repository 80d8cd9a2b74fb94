"""Readers of release file formats, streamed.

Every reader yields :class:`Row` (a record with the line it starts on) or :class:`BadRow` (a
malformed row that a caller may skip with ``--skip-bad-rows``; by default it stops the run with
file:line). Errors that make the rest of a file unreadable raise :class:`~xling.errors.DataError`
at once. Formats: ``tsv``/``csv`` (header or not, quoting mode, CRLF, BOM), ``jsonl``, ``json``,
``squad`` (SQuAD v1.1 JSON, one record per question), ``conllu``, ``token-tags`` (one token a
line, blank line between sentences), ``bitext`` (two line-aligned files), ``parquet`` (a Hub
dataset repo's own files, as ``huggingface-cli download`` leaves them; the row number is the line).

All text is decoded line by line from bytes, so a bad byte is reported at its line. A file whose
name ends in ``.gz``, ``.bz2`` or ``.xz`` is decompressed as it is read, in any format (MKQA's
``mkqa.jsonl.gz`` is read in place); a file inside a ``.zip`` or tar archive (an
:class:`~xling.tasks.archives.Member`) is streamed from it, and a tar archive holding a single
file is read as that file (EXAMS' ``test.jsonl.tar.gz``).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from ..errors import DataError
from .archives import DAMAGED, TAR_SUFFIXES, Member, members, open_member

Record = dict[str, Any]

#: Characters a single cell (field value) may hold; a longer one is a bad row (``--max-cell-chars``).
MAX_CELL_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class Row:
    """One record and where it is: ``line`` (1-based, where the record starts) and, for nested
    formats, ``where`` (a JSON path such as ``data[3].paragraphs[0].qas[2]``)."""

    line: int | None
    record: Record
    where: str | None = None
    size: int | None = None  # characters of the text the record was parsed from, when one line held it all


@dataclass(frozen=True, slots=True)
class BadRow:
    """A malformed row: skippable with --skip-bad-rows, an error otherwise."""

    line: int | None
    message: str
    where: str | None = None
    hint: str | None = None


Reader = Callable[..., Iterator["Row | BadRow"]]


# Compressed files by their name's ending: each opener reads the decompressed bytes.
OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_CORRUPT = (*DAMAGED, zlib.error)


def _is_tar(path: Path) -> bool:
    return Path(path).name.lower().endswith(TAR_SUFFIXES)


def _only_member(archive: Path) -> Member:
    """The one file of a tar archive read as a file (EXAMS' ``test.jsonl.tar.gz``)."""
    if not Path(archive).is_file():
        raise DataError(archive, None, "cannot open: No such file or directory")
    names = members(archive)
    if len(names) != 1:
        raise DataError(
            archive,
            None,
            f"a tar archive read as one file must hold exactly one file, found {len(names)} "
            f"({', '.join(names[:5]) or 'none'})",
            hint=f"name the file to read inside it: '{Path(archive).name}!MEMBER'",
        )
    return Member(archive, names[0])


def _open(path: Path | Member):
    if isinstance(path, Member):
        return open_member(path), True
    if _is_tar(path):
        return open_member(_only_member(path)), True
    opener = OPENERS.get(Path(path).suffix.lower(), open)
    try:
        fh = opener(path, "rb")
    except OSError as exc:
        raise DataError(path, None, f"cannot open: {exc.strerror}") from exc
    return fh, opener is not open


def _raw_lines(path: Path) -> Iterator[bytes]:
    fh, compressed = _open(path)
    n = 0
    with fh:
        try:
            for line in fh:
                n += 1
                yield line
        except _CORRUPT as exc:
            if not compressed:
                raise
            raise DataError(
                path, n + 1, f"the compressed file is damaged: {exc}", hint="download the release file again"
            ) from exc


def read_bytes(path: Path) -> bytes:
    """A whole file's bytes, decompressed when its name says it is compressed."""
    fh, compressed = _open(path)
    with fh:
        try:
            return fh.read()
        except _CORRUPT as exc:
            if not compressed:
                raise DataError(path, None, f"cannot read: {exc}") from exc
            raise DataError(
                path, None, f"the compressed file is damaged: {exc}", hint="download the release file again"
            ) from exc


def text_lines(path: Path, *, keep_ends: bool = False) -> Iterator[tuple[int, str | BadRow]]:
    """``(line number, text)`` per line, UTF-8, BOM dropped; a line that is not UTF-8 comes as
    a :class:`BadRow`. Line ends (LF or CRLF) are stripped unless ``keep_ends``."""
    for n, raw in enumerate(_raw_lines(path), 1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield (
                n,
                BadRow(
                    n,
                    f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
                    hint="re-save the file as UTF-8",
                ),
            )
            continue
        if not keep_ends:
            text = text.rstrip("\r\n")
        yield n, text


QUOTING = {"none": csv.QUOTE_NONE, "minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL}


def read_delimited(
    path: Path,
    *,
    delimiter: str = "\t",
    header: bool = True,
    columns: list[str] | None = None,
    quoting: str = "none",
    **_: Any,
) -> Iterator[Row | BadRow]:
    """TSV/CSV rows as dicts. ``columns`` names the columns when the file has no header (or
    renames a header's). ``quoting``: ``none`` (quotes are text; a line is a row, split at the
    delimiter), ``minimal``/``all`` (fields may be quoted; a quoted field may span lines)."""
    if quoting not in QUOTING:
        raise DataError(path, None, f"unknown quoting {quoting!r}; expected one of {', '.join(QUOTING)}")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise DataError(path, None, f"delimiter must be one character, not {delimiter!r}")
    names = None if header else columns
    rows = _split_lines(path, delimiter) if quoting == "none" else _csv_rows(path, delimiter, quoting)
    for line, row in rows:
        if isinstance(row, BadRow):
            if header and names is None:
                raise DataError(path, row.line, f"the header row is unreadable: {row.message}", hint=row.hint)
            yield row
            continue
        if header and names is None:
            names = columns or [c.strip() for c in row]
            dupes = sorted({c for c in names if names.count(c) > 1})
            if dupes:
                raise DataError(
                    path,
                    line,
                    f"duplicate column name(s) {', '.join(map(repr, dupes))} in the header",
                    hint="rename the columns, or give them with 'columns:' in the task file",
                )
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if names is None:
            raise DataError(path, line, "no column names: the file has no header and the task gives no 'columns'")
        if len(row) != len(names):
            yield BadRow(
                line,
                f"expected {len(names)} columns ({', '.join(names)}), found {len(row)}",
                hint="check for stray tabs/commas in the text or a wrong 'delimiter'/'quoting'",
            )
            continue
        yield Row(line, dict(zip(names, row, strict=True)))


def _split_lines(path: Path, delimiter: str) -> Iterator[tuple[int, list[str] | BadRow]]:
    """Unquoted rows: one a line, split at the delimiter (quotes, NULs and stray CRs are text)."""
    for n, text in text_lines(path):
        yield n, text if isinstance(text, BadRow) else text.split(delimiter)


def _csv_rows(path: Path, delimiter: str, quoting: str) -> Iterator[tuple[int, list[str] | BadRow]]:
    """Quoted rows through the csv module, each with the line it starts on."""
    csv.field_size_limit(2**31 - 1)  # a 1 MB cell is data, not an error
    # csv needs the line ends to see quoted newlines; we feed it decoded lines ourselves so that
    # a bad byte is reported at its line and the rest of the file still reads.
    state: dict[str, Any] = {"line": 0, "bad": None}

    def feed() -> Iterator[str]:
        for n, text in text_lines(path, keep_ends=True):
            state["line"] = n
            if isinstance(text, BadRow):
                state["bad"] = state["bad"] or text
                yield "\n"  # an empty row in its place; reported below
                continue
            yield text

    reader = csv.reader(feed(), delimiter=delimiter, quoting=QUOTING[quoting], strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (
                state["line"],
                BadRow(state["line"], f"malformed row: {exc}", hint="check the quoting mode ('quoting:' none/minimal)"),
            )
            start = state["line"] + 1
            continue
        line, start = start, state["line"] + 1
        if state["bad"] is not None:
            yield line, state["bad"]
            state["bad"] = None
            continue
        yield line, row


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _json_problem(exc: Exception) -> str:
    """What is wrong with a JSON text, from the exception json.loads raised."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg}, column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "not readable JSON: nested too deeply"
    return f"not readable JSON ({exc})"  # e.g. an integer of more than 4300 digits


def _lone_surrogate(obj: Any) -> bool:
    """True when a decoded JSON value holds a lone UTF-16 surrogate (from a ``\\ud800`` escape):
    such text cannot be written as UTF-8, so the record cannot be used."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


SURROGATE_MESSAGE = "the text holds a lone UTF-16 surrogate escape (e.g. \\ud800), which is not a character"


def read_jsonl(path: Path, **_: Any) -> Iterator[Row | BadRow]:
    """One JSON object a line; blank lines are allowed."""
    for n, text in text_lines(path):
        if isinstance(text, BadRow):
            yield text
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            yield BadRow(n, _json_problem(exc))
            continue
        if not isinstance(obj, dict):
            yield BadRow(n, f"expected a JSON object ({{...}}), found {type(obj).__name__}")
            continue
        if _SURROGATE_ESCAPE.search(text) and _lone_surrogate(obj):
            yield BadRow(n, SURROGATE_MESSAGE, hint="re-save the file with real characters")
            continue
        yield Row(n, obj, size=len(text))


def _load_json(path: Path) -> tuple[Any, str]:
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            path, line, f"not valid UTF-8: byte 0x{raw[exc.start]:02x}", hint="re-save the file as UTF-8"
        ) from exc
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, f"not valid JSON ({exc.msg}, column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:
        raise DataError(path, None, _json_problem(exc)) from None


class _LineFinder:
    """Line numbers of successive strings in a text (ids appear in file order): linear overall."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def find(self, needle: str) -> int | None:
        i = self.text.find(needle, self.pos)
        if i < 0:
            return None
        self.line += self.text.count("\n", self.pos, i)
        self.pos = i
        return self.line


def read_json(path: Path, *, records: str | None = None, **_: Any) -> Iterator[Row | BadRow]:
    """A JSON file holding a list of objects: the top level, or the list at key path ``records``
    (dotted, e.g. ``data.items``)."""
    obj, text = _load_json(path)
    check = bool(_SURROGATE_ESCAPE.search(text))
    where = "top level"
    if records:
        for key in records.split("."):
            if not isinstance(obj, dict) or key not in obj:
                raise DataError(path, None, f"no key {key!r} on the way to 'records: {records}'")
            obj = obj[key]
        where = records
    if not isinstance(obj, list):
        raise DataError(
            path,
            None,
            f"expected a list of records at {where}, found {type(obj).__name__}",
            hint="set 'records:' to the key path of the list",
        )
    for i, rec in enumerate(obj):
        at = f"{records or ''}[{i}]"
        if not isinstance(rec, dict):
            yield BadRow(None, f"expected a JSON object, found {type(rec).__name__}", where=at)
            continue
        if check and _lone_surrogate(rec):
            yield BadRow(None, SURROGATE_MESSAGE, where=at)
            continue
        yield Row(None, rec, at)


def read_parquet(path: Path, **_: Any) -> Iterator[Row | BadRow]:
    """Rows of a Parquet file as dicts (nested columns as lists and dicts), in batches; the
    1-based row number stands for the line."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(pa.BufferReader(read_bytes(path)) if isinstance(path, Member) else path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(path, None, f"not a readable Parquet file: {exc}") from exc
    n = 0
    for batch in table.iter_batches(batch_size=1024):
        for rec in batch.to_pylist():
            n += 1
            yield Row(n, rec)


def read_squad(path: Path, **_: Any) -> Iterator[Row | BadRow]:
    """SQuAD v1.1 JSON flattened to one record per question:
    ``{id, title, context, question, answers: [text...], answer_starts: [int...]}``."""
    obj, text = _load_json(path)
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise DataError(path, 1, "not SQuAD JSON: expected an object with a 'data' list of articles")
    finder = _LineFinder(text)
    check = bool(_SURROGATE_ESCAPE.search(text))
    for i, art in enumerate(obj["data"]):
        paras = art.get("paragraphs") if isinstance(art, dict) else None
        if not isinstance(paras, list):
            yield BadRow(None, "article without a 'paragraphs' list", where=f"data[{i}]")
            continue
        for j, para in enumerate(paras):
            if not isinstance(para, dict) or not isinstance(para.get("qas"), list) or "context" not in para:
                yield BadRow(None, "paragraph without 'context' and a 'qas' list", where=f"data[{i}].paragraphs[{j}]")
                continue
            for k, qa in enumerate(para["qas"]):
                at = f"data[{i}].paragraphs[{j}].qas[{k}]"
                if not isinstance(qa, dict) or "id" not in qa or "question" not in qa:
                    yield BadRow(None, "question without 'id' and 'question'", where=at)
                    continue
                line = finder.find(json.dumps(str(qa["id"]), ensure_ascii=False)) or finder.find(str(qa["id"]))
                answers = qa.get("answers", [])
                if not isinstance(answers, list) or not all(isinstance(a, dict) and "text" in a for a in answers):
                    yield BadRow(
                        line, f"question {qa['id']!r}: 'answers' must be a list of {{text, answer_start}}", where=at
                    )
                    continue
                record = {
                    "id": str(qa["id"]),
                    "title": art.get("title", ""),
                    "context": para["context"],
                    "question": qa["question"],
                    "answers": [a["text"] for a in answers],
                    "answer_starts": [a.get("answer_start") for a in answers],
                }
                if check and _lone_surrogate(record):
                    yield BadRow(line, SURROGATE_MESSAGE, where=at)
                    continue
                yield Row(line, record, at)


CONLLU_COLUMNS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


def read_conllu(path: Path, **_: Any) -> Iterator[Row | BadRow]:
    """CoNLL-U sentences: ``{sent_id, text, comments, tokens, lemmas, upos, xpos, feats, heads,
    deprels}``, one list entry per syntactic word. Multiword-token lines (``n-m``) and empty
    nodes (``n.m``) are not words and are skipped (the surface tokens they span are kept)."""
    # Hand-written (a dozen lines) rather than the `conllu` package: we need line numbers for
    # every error and a per-sentence skip, which its parser does not give.
    sent: dict | None = None
    bad: BadRow | None = None
    start = None

    def new() -> dict:
        return {
            "sent_id": None,
            "text": None,
            "comments": {},
            "tokens": [],
            "lemmas": [],
            "upos": [],
            "xpos": [],
            "feats": [],
            "heads": [],
            "deprels": [],
        }

    def finish():
        if bad is not None:
            return bad
        if sent is not None and sent["tokens"]:
            return Row(start, sent)
        return None

    for n, text in text_lines(path):
        if isinstance(text, BadRow):
            bad = bad or text
            continue
        if not text.strip():
            out = finish()
            if out is not None:
                yield out
            sent, bad, start = None, None, None
            continue
        if sent is None:
            sent, start = new(), n
        if text.startswith("#"):
            key, sep, value = text[1:].partition("=")
            if sep:
                key, value = key.strip(), value.strip()
                sent["comments"][key] = value
                if key in ("sent_id", "text"):
                    sent[key] = value
            continue
        cols = text.split("\t")
        if len(cols) != 10:
            bad = bad or BadRow(n, f"expected 10 tab-separated CoNLL-U columns, found {len(cols)}")
            continue
        tid = cols[0]
        if "-" in tid or "." in tid:
            continue  # multiword token range or empty node: not a syntactic word
        if not tid.isdigit():
            bad = bad or BadRow(n, f"word id {tid!r} is not a number, an 'n-m' range or an 'n.m' empty node")
            continue
        sent["tokens"].append(cols[1])
        sent["lemmas"].append(cols[2])
        sent["upos"].append(cols[3])
        sent["xpos"].append(cols[4])
        sent["feats"].append(cols[5])
        sent["heads"].append(cols[6])
        sent["deprels"].append(cols[7])
    out = finish()
    if out is not None:
        yield out


def read_token_tags(
    path: Path,
    *,
    delimiter: str = "\t",
    columns: list[str] | None = None,
    comments: str | None = None,
    **_: Any,
) -> Iterator[Row | BadRow]:
    """One token a line (``token<TAB>tag``...), a blank line between sentences (XTREME PAN-X
    and UD-POS layout). Each sentence is a record of lists named by ``columns``
    (default ``[tokens, tags]``). Lines starting with ``comments`` (Universal NER's ``# text =``)
    are skipped; a line holding only whitespace ends a sentence."""
    names = columns or ["tokens", "tags"]
    width = len(names)
    sep = "TAB" if delimiter == "\t" else repr(delimiter)
    rows: list[list[str]] = []
    bad: BadRow | None = None
    start = None

    def sentence() -> Row | BadRow | None:
        if bad is not None:
            return bad
        if rows:
            return Row(start, {k: list(col) for k, col in zip(names, zip(*rows))})
        return None

    for n, text in text_lines(path):
        if isinstance(text, BadRow):
            bad = bad or text
            continue
        if not text or text.isspace():
            out = sentence()
            if out is not None:
                yield out
            rows, bad, start = [], None, None
            continue
        if comments and text.startswith(comments):
            continue
        if start is None:
            start = n
        cols = text.split(delimiter)
        if len(cols) != width:
            bad = bad or BadRow(
                n, f"expected {width} columns ({', '.join(names)}) separated by {sep}, found {len(cols)}"
            )
            continue
        rows.append(cols)
    out = sentence()
    if out is not None:
        yield out


def read_bitext(path: Path, *, pivot_path: Path | None = None, **_: Any) -> Iterator[Row | BadRow]:
    """Two line-aligned files (``path`` and ``pivot_path``): line i of one translates line i of
    the other. Records ``{text, pivot_text}``; the files must have the same number of lines."""
    if pivot_path is None:
        raise DataError(path, None, "format 'bitext' needs 'pivot_path' (the file aligned with this one)")
    left, right = text_lines(path), text_lines(pivot_path)
    for a, b in zip_longest(left, right):
        if a is None or b is None:
            longer, shorter = (path, pivot_path) if b is None else (pivot_path, path)
            n = (a or b)[0]
            raise DataError(
                longer,
                n,
                f"line-aligned files differ in length: {shorter} ends before line {n}",
                hint="each line of one file must be the translation of the same line of the other",
            )
        n, ta = a
        _, tb = b
        if isinstance(ta, BadRow):
            yield ta
        elif isinstance(tb, BadRow):
            yield BadRow(n, f"{pivot_path}:{n}: {tb.message}")
        else:
            yield Row(n, {"text": ta, "pivot_text": tb})


def with_aligned(
    rows: Iterator[Row | BadRow], path: Path, aligned: Path, columns: list[str], delimiter: str = "\t"
) -> Iterator[Row | BadRow]:
    """``rows`` of ``path`` with the columns of a line-aligned file added: the n-th record (or bad
    row) takes the n-th line of ``aligned`` (STS-17's ``STS.gs.*``: one gold score a line beside
    ``STS.input.*``). A line with another number of columns is a bad row; files of different
    lengths are an error naming both, raised when the shorter one ends."""
    lines = text_lines(aligned)
    hint = f"line n of {aligned.name} must belong to record n of {path.name}; use the two files of one release"
    n = 0
    for row in rows:
        n += 1
        got = next(lines, None)
        if got is None:
            raise DataError(
                aligned,
                None,
                f"line-aligned files differ in length: {aligned} ends after {n - 1} lines, "
                f"while {path} has more records (line {row.line})",
                hint=hint,
            )
        line, text = got
        if isinstance(row, BadRow):
            yield row
        elif isinstance(text, BadRow):
            yield BadRow(row.line, f"{aligned}:{line}: {text.message}", row.where, text.hint)
        elif len(values := text.split(delimiter) if len(columns) > 1 else [text.strip()]) != len(columns):
            yield BadRow(
                row.line,
                f"{aligned}:{line}: expected {len(columns)} columns ({', '.join(columns)}), found {len(values)}",
                row.where,
            )
        else:
            yield Row(row.line, {**row.record, **dict(zip(columns, values, strict=True))}, row.where)
    rest = sum(1 for _, text in lines if isinstance(text, BadRow) or text.strip())  # trailing blank lines: none
    if rest:
        raise DataError(
            aligned,
            n + 1,
            f"line-aligned files differ in length: {path} ends after {n} records, while {aligned} has {rest} "
            f"more line(s)",
            hint=hint,
        )


class CellError(ValueError):
    """A cell a column conversion cannot use: its row becomes a :class:`BadRow` with this message."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def convert_cells(
    rows: Iterator[Row | BadRow], columns: list[str], convert: Callable[[Record, str], Any]
) -> Iterator[Row | BadRow]:
    """``rows`` with each of ``columns`` replaced by ``convert(record, column)``; a
    :class:`CellError` makes the row a bad row."""
    for row in rows:
        if isinstance(row, BadRow):
            yield row
            continue
        record = dict(row.record)
        try:
            for col in columns:
                record[col] = convert(record, col)
        except CellError as exc:
            yield BadRow(row.line, str(exc), row.where, hint=exc.hint)
            continue
        yield Row(row.line, record, row.where)


def _json_cell(record: Record, col: str) -> Any:
    if col not in record:
        raise CellError(f"json_cells names column {col!r}, which the row lacks (it has: {', '.join(map(str, record))})")
    value = record[col]
    if not isinstance(value, str):
        return value  # already structured (a JSON or Parquet record)
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise CellError(f"column {col!r}: {_json_problem(exc)}", hint="check the cell's quoting") from None


def json_cells(rows: Iterator[Row | BadRow], columns: list[str]) -> Iterator[Row | BadRow]:
    """``rows`` with each of ``columns`` (a cell holding JSON text, XWinograd's option lists)
    decoded, so that paths reach into it (``options[*][0]``); a cell that is not JSON makes its
    row a :class:`BadRow` naming the column."""
    return convert_cells(rows, columns, _json_cell)


def _long_cell(record: Record, max_chars: int) -> tuple[str, int] | None:
    """``(field name, length)`` of a string in ``record`` (nested lists and dicts too) longer
    than ``max_chars``, or None. Iterative: a deeply nested JSON record is data, not a crash."""
    if not _has_long_cell(record, max_chars):  # the usual case, without naming every field
        return None
    stack: list[tuple[str, Any]] = [("", record)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            if len(value) > max_chars:
                return name, len(value)
        elif isinstance(value, dict):
            stack += [(f"{name}.{k}" if name else str(k), v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            stack += [(f"{name}[{i}]", v) for i, v in enumerate(value)]
    return None


def _has_long_cell(record: Record, max_chars: int) -> bool:
    stack: list[Any] = []
    for value in record.values():  # the top level without the stack: most records are flat
        if isinstance(value, str):
            if len(value) > max_chars:
                return True
        elif isinstance(value, (dict, list, tuple)):
            stack.append(value)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) > max_chars:
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return False


def limit_cells(rows: Iterator[Row | BadRow], max_chars: int) -> Iterator[Row | BadRow]:
    """``rows`` with every record holding a cell longer than ``max_chars`` turned into a
    :class:`BadRow`: such a cell is more likely a broken file (a missing quote or line end) than
    data, and embedding it would take minutes and gigabytes."""
    for row in rows:
        long = None
        if isinstance(row, Row) and (row.size is None or row.size > max_chars):  # no cell outgrows its line
            long = _long_cell(row.record, max_chars)
        if long is not None:
            name, length = long
            row = BadRow(
                row.line,
                f"field {name!r} holds {length:,} characters, over the limit of {max_chars:,}",
                row.where,
                hint=f"check the row for a missing quote or line end; to keep it, pass "
                f"--max-cell-chars {length} (evaluate(max_cell_chars=...))",
            )
        yield row


class SymlinkLoop(DataError):
    """A path whose symbolic links point back at themselves."""


def resolved(path: Path) -> Path:
    """``path`` with its symlinks resolved; a symlink loop is a :class:`SymlinkLoop` naming it."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as exc:  # a loop: RuntimeError up to Python 3.12, OSError since
        raise SymlinkLoop(
            path,
            None,
            f"cannot resolve the path: {exc}",
            hint="a symbolic link on the way points back at itself; fix or remove it",
        ) from None


READERS: dict[str, Reader] = {
    "tsv": read_delimited,
    "csv": read_delimited,
    "jsonl": read_jsonl,
    "json": read_json,
    "squad": read_squad,
    "conllu": read_conllu,
    "token-tags": read_token_tags,
    "bitext": read_bitext,
    "parquet": read_parquet,
}


@dataclass
class SkipLog:
    """Rows skipped under --skip-bad-rows, per file: count and the first few reasons."""

    files: dict[str, dict] = field(default_factory=dict)
    keep: int = 5
    _seen: set = field(default_factory=set)

    def add(self, path: Path | str, line: int | None, message: str) -> None:
        key = (str(path), line, message)
        if key in self._seen:  # the same file read twice in a run counts its bad rows once
            return
        self._seen.add(key)
        entry = self.files.setdefault(str(path), {"count": 0, "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < self.keep:
            entry["examples"].append(f"{path}:{line}: {message}" if line else f"{path}: {message}")

    @property
    def total(self) -> int:
        return sum(e["count"] for e in self.files.values())
