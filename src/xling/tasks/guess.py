"""A task's kind, metric, item fields and gold from a release's column names and values. Used by
``xling init``; every guess it cannot make is a ``FILL-ME``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .placeholder import FILL_ME
from .sniff import Sniffed, value_at

# Column names by the role they play, most telling first.
TEXT = ("text", "sentence", "content", "document", "headline", "tweet", "review", "utterance", "comment", "body")
LABEL = ("label", "category", "topic", "class", "intent", "sentiment", "gold_label", "polarity", "target", "labels")
FIRST = ("premise", "sentence1", "text1", "s1", "sent1", "text_a", "question1")
SECOND = ("hypothesis", "sentence2", "text2", "s2", "sent2", "text_b", "question2")
SCORE = ("score", "similarity_score", "similarity", "relatedness_score")
QUESTION = ("question", "query")
CONTEXT = ("context", "passage", "paragraph")
ANSWERS = ("answers.text", "answers", "answer_text", "answer")
TOKENS = ("tokens", "words", "token", "word")
TAGS = ("tags", "ner_tags", "pos_tags", "upos", "labels", "ner")
ID = ("id", "guid", "uid", "idx", "index_id", "qid", "question_id", "example_id", "sent_id")
ROLES = {
    "text": TEXT,
    "label": LABEL,
    "first": FIRST,
    "second": SECOND,
    "score": SCORE,
    "question": QUESTION,
    "context": CONTEXT,
    "answers": ANSWERS,
    "tokens": TOKENS,
    "tags": TAGS,
}

METRICS = {
    "classification": "accuracy",
    "pair_classification": "accuracy",
    "multiple_choice": "accuracy",
    "extractive_qa": "f1",
    "generative_qa": "f1",
    "sts": "spearman",
    "bitext_retrieval": "p@1",
    "retrieval": "ndcg@10",
    "many_to_many_retrieval": "ndcg@10",
}
#: The kinds whose gold is one label of a small set (``labels:``).
LABELLED = ("classification", "pair_classification")
MAX_LABELS = 50


@dataclass
class Guess:
    """What the columns say: ``kind`` (None when they say nothing), the ``fields`` and ``gold``
    mapping, and the ``checks`` a person must make."""

    kind: str | None
    metric: str | None = None
    fields: dict[str, Any] | str = field(default_factory=dict)
    gold: Any = None
    why: str = ""
    checks: list[str] = field(default_factory=list)


def find(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first column whose name (or last dotted part) is one of ``names``, in their order."""
    for name in names:
        for column in columns:
            if column.lower() == name or ("." not in name and column.lower().rsplit(".", 1)[-1] == name):
                return column
    return None


def _floats(sniffed: list[Sniffed], column: str) -> bool:
    """True when the column holds numbers, some not whole (similarity scores, not label indices)."""
    values = [value_at(r, column) for s in sniffed for r in s.records[:500]]
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    return any(n != int(n) for n in numbers)


def _roles(columns: list[str], kind: str | None, sniffed: list[Sniffed]) -> Guess | None:
    fmt = sniffed[0].format
    col = {role: find(columns, names) for role, names in ROLES.items()}
    if (kind in (None, "extractive_qa")) and (
        fmt == "squad" or (col["question"] and col["context"] and col["answers"])
    ):
        answers = "answers" if fmt == "squad" else col["answers"]
        listed = any(isinstance(value_at(r, answers), list) for r in sniffed[0].records[:50])
        return Guess(
            "extractive_qa",
            fields={
                "context": "context" if fmt == "squad" else col["context"],
                "question": col["question"] or "question",
            },
            gold={"path": answers if listed else [answers], "type": "list"},
            why=f"the columns {col['question'] or 'question'}, {col['context'] or 'context'}, {answers}",
        )
    if kind in (None, "sequence_labelling") and col["tokens"] and col["tags"]:
        return Guess(
            "sequence_labelling",
            fields={"tokens": col["tokens"]},
            gold={"path": col["tags"], "type": "list"},
            why=f"one token a line ({fmt})" if fmt in ("token-tags", "conllu") else "token and tag columns",
        )
    pair = col["first"] and col["second"]
    score = col["score"] or (col["label"] if col["label"] and _floats(sniffed, col["label"]) else None)
    if kind in (None, "sts") and pair and score:
        return Guess(
            "sts",
            fields={"text1": col["first"], "text2": col["second"]},
            gold={"path": score, "type": "float"},
            why=f"two texts ({col['first']}, {col['second']}) and a score ({score})",
        )
    if kind in (None, "pair_classification") and pair and col["label"]:
        return Guess(
            "pair_classification",
            fields={"text1": col["first"], "text2": col["second"]},
            gold=col["label"],
            why=f"two texts ({col['first']}, {col['second']}) and a label ({col['label']})",
        )
    text = col["text"] or (col["first"] if not col["second"] else None)
    if kind in (None, "classification") and text and col["label"]:
        return Guess(
            "classification",
            fields={"text": text},
            gold=col["label"],
            why=f"a text ({text}) and a label ({col['label']})",
        )
    return None


def guess(sniffed: list[Sniffed], kind: str | None = None) -> Guess:
    """The kind (``kind`` when given), metric, fields and gold for the files' columns."""
    columns = sniffed[0].columns
    found = _roles(columns, kind, sniffed)
    if found is None:
        listed = ", ".join(columns)
        return Guess(
            kind,
            METRICS.get(kind or "", None),
            fields=FILL_ME,
            gold=FILL_ME,
            why="",
            checks=[
                f"check: the columns ({listed}) name no role xling knows"
                + (f" for kind {kind}" if kind else "")
                + "; map item fields to columns, e.g. {text: <column>}, and gold: <column>"
            ],
        )
    found.metric = METRICS.get(found.kind)
    if found.kind == "sequence_labelling":
        tags = {str(t) for s in sniffed for r in s.records for t in (value_at(r, found.gold["path"]) or [])}
        found.metric = "entity_f1" if any(t[:2] in ("B-", "I-") for t in tags) else "accuracy"
    return found


def label_sets(sniffed: list[Sniffed], gold: Any, codes: list[str | None]) -> dict[str | None, set[str]]:
    """The gold values of each language's files (a list gold's elements counted one by one)."""
    path = gold["path"] if isinstance(gold, dict) else gold
    out: dict[str | None, set[str]] = {}
    for s, code in zip(sniffed, codes, strict=True):
        values = out.setdefault(code, set())
        for record in s.records:
            value = value_at(record, path) if isinstance(path, str) else None
            values.update(str(v).strip() for v in (value if isinstance(value, list) else [value]) if v is not None)
    return out


def id_column(sniffed: list[Sniffed]) -> tuple[str | None, str | None]:
    """``(column, None)`` for an id column unique in every file, else ``(None, why not)``."""
    column = find(sniffed[0].columns, ID)
    if column is None:
        return None, None
    for s in sniffed:
        values = [str(value_at(r, column)) for r in s.records]
        if len(set(values)) != len(values):
            return None, f"column {column!r} repeats within {s.path.name}, so it is not used as the item id"
    return column, None


__all__ = ["Guess", "guess", "find", "label_sets", "id_column", "METRICS", "LABELLED", "MAX_LABELS"]
