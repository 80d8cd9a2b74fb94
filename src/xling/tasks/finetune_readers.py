"""Readers for the release layouts the fine-tuning kinds need beyond TSV: XTREME token-tag files
(WikiANN/PAN-X, UD-POS), CoNLL-U treebanks and SQuAD v1.1 JSON (XQuAD, MLQA, TyDiQA-GoldP).

They follow the contract of :mod:`xling.tasks.readers` (yield ``(line, record)``, raise
:class:`DataError` naming file and line) and register under their own format names with
``setdefault``, so the general catalog readers take precedence once both are installed.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import DataError
from .readers import READERS, Record, _open_text


def read_token_tags(path: Path, *, delimiter: str = "\t", **_: object) -> Iterator[tuple[int, Record]]:
    """XTREME layout: ``token<TAB>tag`` per line, a blank line between sentences.

    A record is ``{"id": n, "tokens": [...], "tags": [...]}`` (``n`` counts sentences from 1);
    its line is the sentence's first line. XTREME's UD-POS files already list syntactic words
    (multiword-token lines were dropped when they were made), so tokens are scored as given.
    """
    tokens: list[str] = []
    tags: list[str] = []
    start, n = 0, 0
    with _open_text(path) as fh:
        try:
            for number, raw in enumerate(fh, 1):
                line = raw.rstrip("\r\n")
                if not line.strip():
                    if tokens:
                        n += 1
                        yield start, {"id": str(n), "tokens": tokens, "tags": tags}
                        tokens, tags = [], []
                    continue
                parts = line.split(delimiter)
                if len(parts) != 2 or not parts[0] or not parts[1]:
                    raise DataError(path, number, f"expected 'token{delimiter!r}tag', found {line[:60]!r}",
                                    hint="token-tag files have two tab-separated columns and a blank line between sentences")
                if not tokens:
                    start = number
                tokens.append(parts[0])
                tags.append(parts[1].strip())
        except UnicodeDecodeError as exc:
            raise DataError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if tokens:
        yield start, {"id": str(n + 1), "tokens": tokens, "tags": tags}


def read_conllu(path: Path, **_: object) -> Iterator[tuple[int, Record]]:
    """CoNLL-U: one record per sentence, ``{"id": sent_id, "tokens": FORMs, "tags": UPOS}`` over
    syntactic words. Multiword-token lines (``3-4``) and empty nodes (``5.1``) are skipped: UD
    scores POS on the words they expand to (e.g. German "zum" -> "zu" "dem")."""
    tokens: list[str] = []
    tags: list[str] = []
    sent_id, start, n = None, 0, 0
    with _open_text(path) as fh:
        for number, raw in enumerate(fh, 1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                if tokens:
                    n += 1
                    yield start, {"id": sent_id or str(n), "tokens": tokens, "tags": tags}
                tokens, tags, sent_id = [], [], None
                continue
            if line.startswith("#"):
                key, _, value = line[1:].partition("=")
                if key.strip() == "sent_id":
                    sent_id = value.strip()
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise DataError(path, number, f"expected 10 tab-separated CoNLL-U columns, found {len(cols)}")
            if "-" in cols[0] or "." in cols[0]:
                continue
            if not tokens:
                start = number
            tokens.append(cols[1])
            tags.append(cols[3])
    if tokens:
        yield start, {"id": sent_id or str(n + 1), "tokens": tokens, "tags": tags}


def read_squad_json(path: Path, **_: object) -> Iterator[tuple[int, Record]]:
    """SQuAD v1.1 JSON: one record per question, ``{"id", "context", "question", "answers":
    [texts], "answer_starts": [char offsets]}``. The 'line' is the question's ordinal number."""
    try:
        with _open_text(path) as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, f"not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataError(path, None, "expected SQuAD JSON: an object with a 'data' list of articles")
    n = 0
    for article in data["data"]:
        for para in article.get("paragraphs", []):
            context = para.get("context")
            if not isinstance(context, str) or not context.strip():
                raise DataError(path, None, f"a paragraph of article {article.get('title')!r} has no context")
            for qa in para.get("qas", []):
                n += 1
                answers = qa.get("answers") or []
                texts = [a.get("text", "") for a in answers]
                if not answers or not all(t.strip() for t in texts):
                    raise DataError(path, n, f"question {qa.get('id')!r} has no answer text",
                                    hint="SQuAD v1.1 data: every question has at least one answer span")
                yield n, {"id": str(qa.get("id", n)), "context": context, "question": qa.get("question", ""),
                          "answers": texts, "answer_starts": [int(a.get("answer_start", -1)) for a in answers]}


for _name, _reader in (("token-tags", read_token_tags), ("conllu", read_conllu), ("squad-json", read_squad_json)):
    READERS.setdefault(_name, _reader)
