"""Planning a suite's run: its tasks from the catalog and each task's languages (the suite's,
intersected with ``--languages``, those with data here), checked before any model loads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError, unknown
from ..languages.codes import covers, resolve
from ..tasks import DEFAULT_POLICY, ReadPolicy, Task, get_task
from ..tasks.suite import Suite


def plan_suite(
    suite: Suite,
    languages: Sequence[str] | None,
    data_dir: Path | None,
    policy: ReadPolicy = DEFAULT_POLICY,
) -> tuple[list[Task], dict[str, list[str]], dict[str, list[str]]]:
    """``(tasks to run, languages to run per task, languages requested per task)``.

    Requested: the suite's languages of the task, intersected with ``languages`` when given. Run:
    the requested ones with data here, plus the task's source language when it has data (the
    transfer gap's reference; it counts in the aggregate only when requested). A task left with
    no language to run is dropped from the run and reported as not covered."""
    missing = suite.missing_tasks()
    if missing:
        raise UserError(
            f"suite {suite.name!r} names task(s) not in the catalog: {', '.join(missing)}",
            hint="these tasks are added to the catalog separately; run the others with --tasks",
        )
    tasks = [get_task(name, data_dir, policy) for name in suite.task_names()]
    requested = {t.name: suite.requested(t.name, t.languages) for t in tasks}
    if languages:
        pool = sorted({lang for langs in requested.values() for lang in langs})
        wanted = []
        for code in languages:
            lang = resolve(code, pool)
            if lang is None or not any(covers(lang, have) for have in pool):
                raise unknown(f"language of suite {suite.name!r}", code, pool)
            wanted.append(lang)
        requested = {
            name: [lang for lang in langs if any(covers(w, lang) for w in wanted)] for name, langs in requested.items()
        }
    run_tasks, run_languages = [], {}
    for task in tasks:
        have = set(task.available_languages())
        langs = [lang for lang in requested[task.name] if lang in have]
        src = task.spec.source_language
        if langs and src in have and src not in langs:
            langs = [src, *langs]
        if langs:
            run_tasks.append(task)
            run_languages[task.name] = langs
    if not run_tasks:
        raise UserError(
            f"suite {suite.name!r}: none of its tasks has data here for the languages asked",
            hint="give --data-dir with the releases, or run without it to read from the Hugging Face Hub",
        )
    return run_tasks, {t.name: t.with_items(run_languages[t.name]) for t in run_tasks}, requested
