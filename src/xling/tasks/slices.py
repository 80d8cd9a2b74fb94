"""The slice values of a task's items: the item fields its ``slices:`` names, as text."""

from __future__ import annotations

from collections.abc import Iterable

from .loading import ReadableTask, iter_items

MISSING = "(none)"  # the value of an item that has no value for a slice field


def slice_value(value: object) -> str:
    """A field value as a slice label: lists joined with '|', empty values as ``MISSING``."""
    if value is None or value == "" or value == []:
        return MISSING
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def slice_rows(task: ReadableTask, languages: Iterable[str]) -> list[dict]:
    """One row per item of the evaluation split and slice field: task, language, item_id, slice, value."""
    names = list(task.spec.slices)
    if not names:
        return []
    return [
        {"task": task.name, "language": language, "item_id": item.item_id, "slice": name, "value": slice_value(v)}
        for language in languages
        for item in iter_items(task, language, task.spec.eval_split)
        for name in names
        for v in [item.fields.get(name)]
    ]
