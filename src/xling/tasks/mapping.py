"""From a reader's record to an :class:`~xling.types.Item`: one code path for every format.

A task spec says where each item field, the gold answer, the item id and the parallel id are in
a record, by *paths*:

- ``text`` — a key; ``metadata.extra.url`` — nested keys; ``answers[*].text`` — a key of every
  element of a list (gives a list); ``answers[0]`` — one element.
- ``answers[*].aliases?`` — a key ending in ``?`` may be missing or null: it gives an empty list;
- a list of paths gives a list (``choices: [choice1, choice2]``); a path in it ending in ``?``
  (``option_e?``) is an optional element, left out where the record lacks it or leaves it empty,
  for releases with 3 to 5 options in fixed columns (ARC's ``option_a..option_e``);
- a template with braces joins several (``"{link}#{question_number}"``), for ids.

``explode: items`` first turns one record holding a list into one record per element: the
element's keys, the parent's other keys, and ``_index`` (1-based position in the list). A list
of paths (``explode: [score_1_response, score_2_response]``) explodes those columns of a flat
record: each becomes a record's ``value``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .readers import BadRow, CellError, Row, convert_cells

_STEP = re.compile(r"([^.\[\]]+)|\[(\*|-?\d+)\]")


class MappingError(Exception):
    """A record does not fit the mapping; becomes a BadRow at the record's line."""


def _steps(path: str) -> list[str | int | None]:
    steps: list[str | int | None] = []
    pos = 0
    for m in _STEP.finditer(path):
        if m.start() != pos and path[pos : m.start()] != ".":
            raise ValueError(f"bad path {path!r}")
        key, idx = m.groups()
        steps.append(key if key is not None else (None if idx == "*" else int(idx)))
        pos = m.end()
    if pos != len(path) or not steps:
        raise ValueError(f"bad path {path!r}: use keys, dots, [n] and [*], e.g. 'answers[*].text'")
    return steps


def _walk(value: Any, steps: list, path: str) -> Any:
    for i, step in enumerate(steps):
        if step is None:
            if not isinstance(value, list):
                raise MappingError(f"{path!r}: expected a list before [*], found {type(value).__name__}")
            return [_walk(v, steps[i + 1 :], path) for v in value]
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                raise MappingError(f"{path!r}: no element [{step}]")
            value = value[step]
        elif step.endswith("?"):  # an optional key: missing or null gives nothing
            if not isinstance(value, dict) or value.get(step[:-1]) is None:
                return []
            value = value[step[:-1]]
        else:
            if not isinstance(value, dict) or step not in value:
                have = ", ".join(map(str, value)) if isinstance(value, dict) else type(value).__name__
                raise MappingError(f"no field {path!r} (record has: {have})")
            value = value[step]
    return value


@dataclass(frozen=True)
class Path_:
    """A compiled path, list of paths, or template."""

    spec: Any

    def __post_init__(self):
        object.__setattr__(self, "_compiled", self._compile(self.spec))

    @staticmethod
    def _compile(spec):
        if isinstance(spec, list):
            return ("list", [Path_._element(s) for s in spec])
        if not isinstance(spec, str) or not spec:
            raise ValueError(f"a path must be a non-empty string or a list of them, not {spec!r}")
        if "{" in spec:
            parts = re.split(r"\{([^{}]+)\}", spec)
            return ("template", [(p if i % 2 == 0 else (p, _steps(p))) for i, p in enumerate(parts)])
        steps = _steps(spec)
        if len(steps) == 1 and isinstance(steps[0], str) and not steps[0].endswith("?"):
            return ("key", (spec, steps))  # one column: a dict lookup, walked only to name what is missing
        return ("path", (spec, steps))

    @staticmethod
    def _element(spec) -> tuple[bool, tuple, Any]:
        """(optional, compiled, as written) for one element of a list of paths."""
        optional = isinstance(spec, str) and spec.endswith("?")
        return optional, Path_._compile(spec[:-1] if optional else spec), spec

    def get(self, record: dict) -> Any:
        return self._get(self._compiled, record)

    def _get(self, comp, record):
        kind, body = comp
        if kind == "key":
            try:
                return record[body[0]]
            except (KeyError, TypeError, IndexError):
                return _walk(record, body[1], body[0])
        if kind == "list":
            return self._list(body, record)
        if kind == "path":
            return _walk(record, body[1], body[0])
        out = []
        for i, part in enumerate(body):
            out.append(part if i % 2 == 0 else str(_walk(record, part[1], part[0])))
        return "".join(out)

    def _list(self, elements: list, record: dict) -> list:
        """The values of a list of paths; optional elements that are absent or empty are left
        out, and only at the end: a present value after an absent one would shift the positions
        that gold indices and option letters count."""
        out: list = []
        gap = None
        for optional, comp, spec in elements:
            if optional:
                try:
                    value = self._get(comp, record)
                except MappingError:
                    value = None
                if _is_empty(value):
                    gap = gap or spec
                    continue
            else:
                value = self._get(comp, record)
            if gap is not None:
                raise MappingError(f"{spec!r} has a value but the optional {gap!r} before it is empty")
            out.append(value)
        return out


def check_path(value: Any, what: str) -> Any:
    """``value`` when it is None or a valid path (see :class:`Path_`), else a ValueError naming ``what``."""
    if value is None:
        return value
    try:
        Path_(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from exc
    return value


GoldType = Literal["str", "int", "letter", "float", "number", "list", "none"]
GOLD_TYPES = get_args(GoldType)


class Gold(BaseModel):
    """How the gold answer is read: ``path``; ``type`` (str label, int index, ``letter``: an
    option letter A, B, C... read as the index 0, 1, 2..., float score, number as text, list of
    strings, none); ``base`` for 1-based indices; ``index_of`` to take the position of the
    element equal to that value (``answers[*].correct`` + ``index_of: true``; only when given:
    ``index_of: null`` looks for a null); ``among``: the path of a list of option labels (or a
    list of paths), the gold being the position of the path's value in it (ARC's ``answerKey``
    among ``question.choices[*].label``; MultiBLiMP's ``sen`` among ``[sen, wrong_sen]``). A ``list``
    gold flattens nested lists (``[answers[*].text, answers[*].aliases?]``: every text and alias)
    and drops nulls; with
    ``no_answer: true`` a null or blank answer in it is the "No Answer" gold ``""`` (MKQA's
    unanswerable questions), which an empty prediction matches, instead of a bad row.

    ``spans_in``: the answers are byte spans of that field's text (TyDi QA): ``path`` is
    ``[starts, ends]``, two paths to UTF-8 byte offsets (lists, or one number each); a span with
    a negative start is no answer. ``yes_no``: the path of each annotator's yes/no answer (``YES``,
    ``NO``, ``NONE``), whose yes and no count as the gold answers ``yes``/``no``; ``min_answers``:
    how many annotators must give an answer (a span or yes/no) for the record to have one (TyDi
    QA's ``minimal_non_null_threshold``, 2 on its 3-way annotated dev set; a record with fewer
    annotators needs all of them). With ``no_answer:
    true`` a record below it has the No Answer gold ``""``. ``if_empty: skip`` leaves out (and
    counts) a record without any answer instead of stopping at it."""

    model_config = ConfigDict(extra="forbid")
    path: str | list[str] = Field(
        description="Path of the gold value in the record; a list of paths for `type: list` or `spans_in`."
    )
    type: GoldType = Field(
        "str",
        description="`str` (a label), `int` (an index), `letter` (A, B, C... as 0, 1, 2...), `float` (a score), "
        "`number` (written as text), `list` (of strings), `none` (no gold).",
    )
    base: int = Field(0, description="`type: int`: the first index (1 for 1-based indices).")
    index_of: Any = Field(
        None,
        description="The gold is the position of the one element of the list at `path` equal to this value "
        "(`answers[*].correct` with `index_of: true`); only when given.",
    )
    among: str | list[str] | None = Field(
        None,
        description="Path of the record's list of option labels, or a list of paths; the gold is the position "
        "of the value at `path` in it (ARC's `question.choices[*].label`; MultiBLiMP's `[sen, wrong_sen]`).",
    )
    no_answer: bool = Field(
        False,
        description='`type: list`: a null or blank answer is the No Answer gold `""`, which an empty prediction '
        "matches, instead of a bad row.",
    )
    spans_in: str | None = Field(
        None,
        description="The answers are UTF-8 byte spans of this field's text; `path` is `[starts, ends]` and "
        "`type: list` (TyDi QA).",
    )
    yes_no: str | None = Field(
        None,
        description="With spans_in: the path of each annotator's yes/no answer (YES, NO, NONE); "
        "yes and no count as the gold answers 'yes'/'no' (TyDi QA).",
    )
    min_answers: int = Field(
        1,
        ge=1,
        description="With spans_in: how many annotators must give an answer (a span or yes/no) for the "
        "record to have one; below it the gold is No Answer (with no_answer: true) or the record has none.",
    )
    if_empty: Literal["error", "skip"] = Field(
        "error", description="A record without a gold answer: `error` (a bad row) or `skip` (left out and counted)."
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | list[str]) -> str | list[str]:
        return check_path(value, "gold path")

    @field_validator("among")
    @classmethod
    def _among(cls, value: str | list[str] | None) -> str | list[str] | None:
        return check_path(value, "gold among")

    @model_validator(mode="after")
    def _no_answer_needs_a_list(self):
        if self.no_answer and self.type != "list":
            raise ValueError("'no_answer: true' needs 'type: list' (the gold answers, one of which may be empty)")
        return self

    @model_validator(mode="after")
    def _spans(self):
        if self.spans_in is not None:
            check_path(self.spans_in, "gold spans_in")
            if not (isinstance(self.path, list) and len(self.path) == 2) or self.type != "list":
                raise ValueError("gold with 'spans_in' needs 'path: [starts, ends]' and 'type: list'")
        elif self.yes_no is not None or self.min_answers != 1:
            raise ValueError("gold 'yes_no' and 'min_answers' apply to annotated spans: they need 'spans_in'")
        if self.yes_no is not None:
            check_path(self.yes_no, "gold yes_no")
        return self


def _flat(value: list) -> list:
    """``value`` with nested lists spliced in, in order."""
    out: list = []
    stack = [iter(value)]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list):
                stack.append(iter(v))
                break
            out.append(v)
        else:
            stack.pop()
    return out


class NoGold(MappingError):
    """A record without a gold answer, which the task leaves out (``gold.if_empty: skip``)."""


def _byte_spans(text: Any, starts: Any, ends: Any, path: Any) -> list[str]:
    """The distinct texts of the byte spans ``[start, end)`` of ``text`` (UTF-8), in order;
    spans with a negative start (no answer) are dropped."""
    if not isinstance(text, str):
        raise MappingError(f"gold spans_in: the text must be a string, found {type(text).__name__}")
    starts, ends = (v if isinstance(v, list) else [v] for v in (starts, ends))
    if len(starts) != len(ends):
        raise MappingError(f"gold {path!r}: {len(starts)} start offsets but {len(ends)} end offsets")
    data, out = text.encode("utf-8"), []
    for start, end in zip(starts, ends, strict=True):
        if not isinstance(start, int) or not isinstance(end, int):
            raise MappingError(f"gold {path!r}: byte offsets must be integers, found {start!r}, {end!r}")
        if start < 0:
            continue
        if not start < end <= len(data):
            raise MappingError(f"gold {path!r}: byte span [{start}, {end}) is outside the text ({len(data)} bytes)")
        span = data[start:end].decode("utf-8", errors="replace").strip()
        if span and span not in out:
            out.append(span)
    return out


def _annotated_golds(text: Any, starts: Any, ends: Any, yes_no: list | None, gold: Gold) -> list[str]:
    """The gold answers of an annotated record: its annotators' span texts and yes/no answers,
    or ``[""]`` (No Answer) when fewer than ``gold.min_answers`` annotators (or, for a record with
    fewer annotators, all of them: a single-annotated train record) gave one and the task scores
    No Answer; ``[]`` when too few gave one otherwise."""
    golds = _byte_spans(text, starts, ends, gold.path)
    starts = starts if isinstance(starts, list) else [starts]
    verdicts = [str(v).strip().lower() for v in (yes_no or [])]
    if yes_no is not None and len(verdicts) != len(starts):
        raise MappingError(f"gold yes_no {gold.yes_no!r}: {len(verdicts)} answers for {len(starts)} annotators")
    said = [v if v in ("yes", "no") else None for v in verdicts] or [None] * len(starts)
    answered = sum(isinstance(s, int) and s >= 0 or v is not None for s, v in zip(starts, said, strict=True))
    if answered < max(1, min(gold.min_answers, len(starts))):
        return [""] if gold.no_answer else []
    return golds + [v for v in dict.fromkeys(said) if v is not None and v not in golds]


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, list) and not v)


def _text_list(value: Any, path: Any) -> list:
    """A list written as text (``"['a', 'b']"``, a Python or JSON literal) as that list; a list stays."""
    if isinstance(value, list):
        return value
    try:
        parsed = ast.literal_eval(str(value).strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        parsed = None
    if not isinstance(parsed, list | tuple) or not all(isinstance(v, str | int | float) for v in parsed):
        raise MappingError(f"{path!r}: expected a list written as text, e.g. \"['a', 'b']\", got {str(value)[:80]!r}")
    return [str(v) for v in parsed]


class Mapper:
    """Turns rows into (item_id, parallel_id, fields, gold) or BadRows."""

    def __init__(
        self,
        *,
        fields: dict[str, Any],
        gold: Gold | None,
        id_path: Any,
        parallel: Any,
        labels: list[str] | None,
        label_map: dict[str, str] | None,
        explode: str | list[str] | None,
        optional: list[str] | None = None,
        text_lists: list[str] | None = None,
    ):
        self.fields = {k: Path_(v) for k, v in fields.items()}
        self.gold = gold
        self.gold_path = Path_(gold.path) if gold is not None else None
        self.among = Path_(gold.among) if gold is not None and gold.among else None
        self.spans_in = Path_(gold.spans_in) if gold is not None and gold.spans_in else None
        self.yes_no = Path_(gold.yes_no) if gold is not None and gold.yes_no else None
        self.id_path = Path_(id_path) if id_path else None
        self.parallel = Path_(parallel) if parallel else None
        self.labels = set(labels) if labels else None
        self.label_map = {str(k): str(v) for k, v in (label_map or {}).items()}
        self.explode = Path_(explode) if explode else None
        self.optional = set(optional or ())
        self.text_lists = set(text_lists or ())

    def rows(self, rows: Iterator[Row | BadRow]) -> Iterator[Row | BadRow]:
        """Explode nested lists into one row per element (when the task says so)."""
        if self.explode is None:
            yield from rows
            return
        for row in rows:
            if isinstance(row, BadRow):
                yield row
                continue
            try:
                elems = self.explode.get(row.record)
            except MappingError as exc:
                yield BadRow(row.line, str(exc), row.where)
                continue
            if not isinstance(elems, list):
                yield BadRow(row.line, f"'explode: {self.explode.spec}' must name a list", row.where)
                continue
            spec = self.explode.spec
            listed = spec if isinstance(spec, list) else [spec]
            parent = {k: v for k, v in row.record.items() if k not in listed}
            for i, el in enumerate(elems, 1):
                rec = {**parent, **el} if isinstance(el, dict) else {**parent, "value": el}
                rec["_index"] = i
                part = listed[i - 1] if isinstance(spec, list) else f"{spec}[{i - 1}]"
                yield Row(row.line, rec, f"{row.where or ''}{part}")

    def item_parts(self, row: Row) -> tuple[str | None, str | None, dict, Any]:
        """``(item_id, parallel_id, fields, gold)``; raises MappingError on a bad record."""
        rec = row.record
        fields = {}
        for name, path in self.fields.items():
            try:
                value = path.get(rec)
            except MappingError:
                if name in self.optional:
                    continue
                raise
            if type(value) is str and value and not value.isspace() and name not in self.text_lists:
                fields[name] = value  # the usual field: a text
                continue
            if name in self.text_lists:
                value = _text_list(value, path.spec)
            if _is_empty(value) and name in self.optional:
                continue
            if _is_empty(value) or (
                isinstance(value, list)
                and any(v is None or (isinstance(v, str) and (not v or v.isspace())) for v in value)
            ):
                raise MappingError(f"empty text in field {name!r} (from {path.spec!r})")
            fields[name] = value
        gold = self._gold(rec)
        if "tokens" in fields and isinstance(gold, list) and len(gold) != len(fields["tokens"]):
            raise MappingError(f"{len(fields['tokens'])} tokens but {len(gold)} tags")
        choices = fields.get("choices")
        if isinstance(choices, list) and isinstance(gold, int) and not 0 <= gold < len(choices):
            raise MappingError(f"gold index {gold} is out of range for {len(choices)} choices (0..{len(choices) - 1})")
        item_id = str(self.id_path.get(rec)) if self.id_path else None
        parallel_id = str(self.parallel.get(rec)) if self.parallel else None
        return item_id, parallel_id, fields, gold

    def _gold(self, rec: dict) -> Any:
        g = self.gold
        if self.gold_path is None or g.type == "none":
            return None
        value = self.gold_path.get(rec)
        if self.spans_in is not None:
            yes_no = self.yes_no.get(rec) if self.yes_no is not None else None
            if yes_no is not None and not isinstance(yes_no, list):
                yes_no = [yes_no]
            value = _annotated_golds(self.spans_in.get(rec), *value, yes_no, g)
        if "index_of" in g.model_fields_set:
            wanted = g.index_of
            if not isinstance(value, list):
                raise MappingError(f"gold {g.path!r} with 'index_of' must be a list")
            hits = [i for i, v in enumerate(value) if v == wanted]
            if len(hits) != 1:
                raise MappingError(
                    f"gold: expected exactly one element of {g.path!r} equal to {wanted!r}, found {len(hits)}"
                )
            return hits[0]
        if g.type == "list":
            if not isinstance(value, list):
                raise MappingError(f"gold {g.path!r} must be a list, found {type(value).__name__}")
            if g.no_answer:
                golds = ["" if v is None or not str(v).strip() else str(v) for v in _flat(value)]
                if not golds:
                    raise MappingError(f"empty gold {g.path!r} (no answer given, not even No Answer)")
                return list(dict.fromkeys(golds))
            value = [self.label_map.get(str(v), str(v)) for v in _flat(value) if v is not None]
            if self.labels is not None:
                bad = sorted({v for v in value if v not in self.labels})
                if bad:
                    raise MappingError(
                        f"unknown label(s) {', '.join(map(repr, bad))}; expected one of {sorted(self.labels)}"
                    )
            if not value or (self.labels is None and all(not v.strip() for v in value)):
                raise (NoGold if g.if_empty == "skip" else MappingError)(f"empty gold {g.path!r} (no answer given)")
            return value
        if _is_empty(value):
            raise (NoGold if g.if_empty == "skip" else MappingError)(f"empty gold {g.path!r}")
        if self.among is not None:
            return self._position(str(value).strip(), rec)
        if g.type == "letter":
            letter = str(value).strip().upper()
            if len(letter) != 1 or not "A" <= letter <= "Z":
                raise MappingError(f"gold {g.path!r}: {value!r} is not an option letter (A, B, C...)")
            return ord(letter) - ord("A")
        if g.type == "int":
            try:
                idx = int(str(value).strip()) - g.base
            except ValueError as exc:
                raise MappingError(f"gold {g.path!r}: {value!r} is not an integer") from exc
            return idx
        if g.type == "float":
            try:
                f = float(str(value).strip())
            except ValueError as exc:
                raise MappingError(f"gold {g.path!r}: {value!r} is not a number") from exc
            if not math.isfinite(f):
                raise MappingError(f"gold {g.path!r}: {value!r} is not a finite number")
            return f
        if g.type == "number":
            text = str(value).strip()
            try:
                float(text.replace(",", ""))
            except ValueError as exc:
                raise MappingError(f"gold {g.path!r}: {value!r} is not a number") from exc
            return text
        label = self.label_map.get(str(value).strip(), str(value).strip())
        if self.labels is not None and label not in self.labels:
            raise MappingError(f"unknown label {label!r}; expected one of {sorted(self.labels)}")
        return label

    def _position(self, value: str, rec: dict) -> int:
        """Where ``value`` is in the list at the gold's ``among`` path."""
        labels = self.among.get(rec)
        if not isinstance(labels, list):
            raise MappingError(f"gold among {self.gold.among!r} must be a list, found {type(labels).__name__}")
        hits = [i for i, v in enumerate(labels) if str(v).strip() == value]
        if len(hits) != 1:
            raise MappingError(
                f"gold {self.gold.path!r}: {value!r} is {'not' if not hits else 'more than once'} among the "
                f"option labels {labels!r}"
            )
        return hits[0]


def one_language(rows: Iterator[Row | BadRow], columns: list[str], code: str) -> Iterator[Row | BadRow]:
    """``rows`` with each of ``columns`` (a mapping from language codes to values) replaced by its
    value for ``code``; a record without it is a bad row naming the codes it has."""

    def pick(record: dict, col: str) -> Any:
        by_code = record.get(col)
        if not isinstance(by_code, dict):
            found = "nothing" if by_code is None else type(by_code).__name__
            raise CellError(f"column {col!r} must map language codes to values, found {found}")
        if by_code.get(code) is None:
            have = ", ".join(sorted(k for k, v in by_code.items() if v is not None))
            raise CellError(f"column {col!r} has nothing for language {code!r} (it has: {have})")
        return by_code[code]

    return convert_cells(rows, columns, pick)
