"""Readers of release file layouts. Each yields ``(line_number, record)``; malformed input raises
:class:`~xling.errors.DataError` naming the file and line."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from ..errors import DataError

Record = dict[str, object]


def _open_text(path: Path) -> io.TextIOWrapper:
    try:
        # utf-8-sig drops a BOM; newline="" lets csv see CRLF rows as rows.
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(path, None, f"cannot open: {exc.strerror}") from exc


def read_delimited(
    path: Path,
    *,
    delimiter: str = "\t",
    header: bool = True,
    columns: list[str] | None = None,
    quoting: str = "none",
) -> Iterator[tuple[int, Record]]:
    """TSV/CSV rows as dicts; ``columns`` names the columns when the file has no header."""
    q = csv.QUOTE_NONE if quoting == "none" else csv.QUOTE_MINIMAL
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=delimiter, quoting=q, strict=True)
        names = None if header else columns
        try:
            for row in reader:
                line = reader.line_num
                if header and names is None:
                    names = columns or [c.strip() for c in row]
                    continue
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if names is None:
                    raise DataError(path, line, "no column names: the file has no header and the task gives no 'columns'")
                if len(row) != len(names):
                    raise DataError(
                        path, line, f"expected {len(names)} columns ({', '.join(names)}), found {len(row)}",
                        hint="check for stray tabs/commas in the text or a wrong 'delimiter'/'quoting'",
                    )
                yield line, dict(zip(names, row, strict=True))
        except UnicodeDecodeError as exc:
            raise DataError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise DataError(path, reader.line_num, f"malformed row: {exc}") from exc


READERS = {"tsv": read_delimited, "csv": read_delimited}
