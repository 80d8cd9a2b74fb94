"""Parallel texts of a task, for the diagnostics that feed a model sentences."""

from __future__ import annotations

from ..errors import UserError
from ..tasks import Task

TEXT_FIELDS = ("text", "text1", "premise", "context", "question", "sentence")


def text_field(fields: dict) -> str | None:
    for name in TEXT_FIELDS:
        if isinstance(fields.get(name), str):
            return name
    return next((k for k, v in fields.items() if isinstance(v, str)), None)


def parallel_texts(
    task: Task, languages: list[str], split: str | None = None, limit: int | None = None
) -> dict[str, dict[str, str]]:
    """{language: {parallel_id: text}} from the task's main text field (first ``limit`` items)."""
    split = split or task.spec.eval_split
    out: dict[str, dict[str, str]] = {}
    for lang in languages:
        texts = {}
        for it in task.iter_items(lang, split, limit):
            name = text_field(it.fields)
            if name is None:
                raise UserError(f"task {task.name!r} has no text field to use (fields: {', '.join(it.fields)})")
            texts.setdefault(it.parallel_id, it.fields[name])
        out[lang] = texts
    return out
