"""Readers for the multiple-choice releases LLM kinds need first (XCOPA/COPA JSONL and the
regrouped Belebele copy), as formats ``xcopa-jsonl`` and ``belebele-grouped-jsonl``.

A stop-gap until the catalog's generic JSONL reader lands: both yield records whose ``choices``
column is a list and whose ``label`` is the gold index, the same fields the catalog's
``xcopa``/``belebele`` tasks give (premise/passage, question, choices).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import DataError
from .readers import READERS, Record, Row


def _json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        fh = open(path, encoding="utf-8-sig")  # universal newlines: CRLF files read as LF
    except OSError as exc:
        raise DataError(path, None, f"cannot open: {exc.strerror}") from exc
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(path, n, f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
            if not isinstance(rec, dict):
                raise DataError(path, n, "expected a JSON object per line")
            yield Row(n, rec)


def read_xcopa_jsonl(path: Path, **_) -> Iterator[tuple[int, Record]]:
    """XCOPA / COPA: premise, choice1, choice2, question (cause|effect), label (0/1), idx."""
    for n, rec in _json_lines(path):
        missing = [k for k in ("premise", "choice1", "choice2", "question", "label", "idx") if k not in rec]
        if missing:
            raise DataError(path, n, f"missing key(s) {', '.join(missing)}; an XCOPA line has premise, choice1, "
                                     "choice2, question, label, idx")
        if rec["label"] not in (0, 1):
            raise DataError(path, n, f"label must be 0 or 1, not {rec['label']!r}")
        yield Row(n, {**rec, "choices": [rec["choice1"], rec["choice2"]], "idx": str(rec["idx"])})


def read_belebele_grouped(path: Path, **_) -> Iterator[tuple[int, Record]]:
    """One passage a line with its questions; an item per question, id ``<url>#<question number>``."""
    for n, rec in _json_lines(path):
        try:
            url = rec["metadata"]["extra"]["url"]
            questions = rec["items"]
            passage = rec["text"]
        except (KeyError, TypeError) as exc:
            raise DataError(path, n, f"missing {exc}; expected text, items[], metadata.extra.url") from exc
        for q, item in enumerate(questions, 1):
            answers = item.get("answers") or []
            correct = [i for i, a in enumerate(answers) if a.get("correct")]
            if len(correct) != 1:
                raise DataError(path, n, f"question {q} has {len(correct)} correct answers; expected exactly one")
            yield Row(n, {"id": f"{url}#{q}", "passage": passage, "question": item.get("question", ""),
                          "choices": [a["text"] for a in answers], "label": correct[0]})


READERS.setdefault("xcopa-jsonl", read_xcopa_jsonl)
READERS.setdefault("belebele-grouped-jsonl", read_belebele_grouped)
