"""Executors run a plan's units: in this process (default) or on a Ray cluster.

Both hand every finished unit to the driver's ``on_result``, which writes it to the store in one
transaction: workers never write the prediction store, so nothing is written twice, and a unit
whose worker died is simply run again elsewhere.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..calls.cache import ResponseCache, default_cache_path
from ..calls.counters import CallStats
from ..calls.embed import EmbedClient
from ..errors import UserError, XlingError
from ..kinds import RunConfig, RunContext, WorkerKinds
from ..models import load_model
from ..models.base import Backend
from ..tasks import Task, provenance
from ..types import Prediction, Unit
from .memory import keep_freed_blocks

Job = tuple[Task, Unit]
OnResult = Callable[[Unit, list[Prediction], dict], None]  # unit, predictions, what it read (provenance)


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to rebuild the model, its kinds and the run context on its own."""

    model: str
    model_options: dict[str, Any]
    cache_path: str
    config: RunConfig


def make_context(
    backend: Backend, cache: ResponseCache, config: RunConfig, on_progress: Callable[[int], None] | None = None
) -> RunContext:
    """The run context kinds see, with cached clients on ``backend``."""
    client = EmbedClient(backend, cache, batch_size=config.batch_size, on_progress=on_progress)
    return RunContext(
        backend=backend, cache=cache, client=client, stats=client.stats, config=config, on_progress=on_progress
    )


def run_recorded(kind, unit: Unit, task: Task, ctx: RunContext) -> tuple[list[Prediction], dict]:
    """A unit's predictions and the record of what it read (data files, training sets)."""
    with provenance.recording() as reads:
        preds = kind.run(unit, task, ctx)
    return preds, reads.as_dict()


def _stats_delta(before: dict, after: dict) -> dict:
    """What a unit added to a worker's counters (numbers and per-role counts; settings as they are)."""
    out = {}
    for key, value in after.items():
        if isinstance(value, dict):
            out[key] = {r: c - before[key].get(r, 0) for r, c in value.items()}
        elif isinstance(value, int) and not isinstance(value, bool) and isinstance(before.get(key), int):
            out[key] = value - before[key]
        else:
            out[key] = value
    return out


def embed_ahead(kinds: WorkerKinds, jobs: Sequence[Job], ctx: RunContext) -> None:
    """For a backend that computes many texts together faster than in the units' own calls
    (``Backend.pass_rows``): embed what each task's units will ask for, one call per role, so the
    units find it in the cache. Scores are the same either way (the backend's vectors do not
    depend on the batch)."""
    if not ctx.backend.pass_rows():
        return
    by_task: dict[str, tuple[Task, list[Unit]]] = {}
    for task, unit in jobs:
        by_task.setdefault(task.name, (task, []))[1].append(unit)
    for task, units in by_task.values():
        try:
            wanted = kinds[task].texts_ahead(task, units, ctx)
        except (XlingError, KeyError):  # bad data: the unit that reads it raises the error where it is reported
            continue
        for role, texts in wanted:
            ctx.client.warm(texts, role)


class LocalExecutor:
    """Units one after another in this process, with the already-loaded backend and the kinds
    the runner planned with."""

    name = "local"

    def __init__(self, kinds: WorkerKinds):
        self.kinds = kinds
        self.stats = CallStats()  # this invocation's counters so far

    def run(self, jobs: Sequence[Job], spec: WorkerSpec, on_result: OnResult, reporter=None) -> CallStats:
        cache = ResponseCache(Path(spec.cache_path))
        ctx = make_context(self.kinds.backend, cache, spec.config, reporter.advance_texts if reporter else None)
        self.stats = ctx.stats
        last = {(task.name, unit.language): i for i, (task, unit) in enumerate(jobs)}
        try:
            embed_ahead(self.kinds, jobs, ctx)
            for i, (task, unit) in enumerate(jobs):
                if reporter:
                    reporter.start_unit(unit)
                on_result(unit, *run_recorded(self.kinds[task], unit, task, ctx))
                if last[task.name, unit.language] == i and unit.language != task.spec.source_language:
                    ctx.release_items(task.name, unit.language)  # the source language's are read by the others
        finally:
            cache.close()
        return ctx.stats


class UnitsFailed(XlingError):
    """Some units failed on every try; the others are stored and a rerun resumes."""


class RayExecutor:
    """Units spread over Ray actors; each actor loads the model once and runs many units.

    A worker that dies is restarted by Ray and its unit re-run (``max_task_retries``); a unit that
    keeps failing is reported, not retried forever. Workers share the response cache file when it
    is on a shared filesystem (one machine, or NFS); otherwise each node caches on its own.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, max_retries: int = 3):
        try:
            import ray  # noqa: F401
        except ImportError as exc:
            raise UserError(
                "--executor ray needs Ray, which is not installed", hint="pip install 'xling[ray]'"
            ) from exc
        self.address = address
        self.workers = workers
        self.max_retries = max_retries
        self.stats = CallStats()  # this invocation's counters so far

    def _init(self):
        import ray

        if ray.is_initialized():
            return ray, False
        env = {k: v for k, v in os.environ.items() if k.startswith("XLING_") or k == "PYTHONPATH"}
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "runtime_env": {"env_vars": env}}
        try:
            if self.address in (None, "local"):
                ray.init(num_cpus=self.workers or os.cpu_count(), **kwargs)
            else:
                ray.init(address=self.address, **kwargs)
        except Exception as exc:  # Ray raises plain Exception on a local start-up timeout
            where = (
                "start a local Ray instance"
                if self.address in (None, "local")
                else f"reach the Ray cluster at {self.address!r}"
            )
            raise UserError(
                f"cannot {where}: {exc}",
                hint="start one with `ray start --head`, then pass --ray-address auto (or ray://HOST:10001); "
                "a busy machine can delay Ray's start-up past its timeout",
            ) from exc
        return ray, True

    def run(self, jobs: Sequence[Job], spec: WorkerSpec, on_result: OnResult, reporter=None) -> CallStats:
        if not jobs:
            return CallStats()
        ray, owned = self._init()
        try:
            return self._run(ray, list(jobs), spec, on_result, reporter)
        finally:
            if owned:
                ray.shutdown()

    def _run(self, ray, jobs: list[Job], spec: WorkerSpec, on_result: OnResult, reporter) -> CallStats:
        from ray.exceptions import RayError

        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = max(1, min(self.workers or cpus, len(jobs)))
        worker_cls = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=self.max_retries)(UnitWorker)
        actors = [worker_cls.remote(spec) for _ in range(n)]
        total = self.stats
        pending = list(reversed(jobs))
        running: dict[Any, tuple[Job, Any]] = {}
        failures: list[str] = []

        def submit(actor):
            if pending:
                job = pending.pop()
                if reporter:
                    reporter.start_unit(job[1])
                running[actor.run.remote(*job)] = (job, actor)

        for actor in actors:
            submit(actor)
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            ref = ready[0]
            (task, unit), actor = running.pop(ref)
            try:
                preds, stats, skipped, reads = ray.get(ref)
            except RayError as exc:
                cause = getattr(exc, "cause", None) or exc
                failures.append(f"{unit.task} {unit.setting} {unit.language}: {str(cause).splitlines()[0][:300]}")
            else:
                total.add(stats)
                on_result(unit, preds, reads)
                for path, line, message in skipped:  # --skip-bad-rows counts, read on the worker
                    task.skipped.add(path, line, message)
            submit(actor)
        if failures:
            raise UnitsFailed(
                f"{len(failures)} unit(s) failed on every try (the others are stored; rerun to retry):\n  "
                + "\n  ".join(failures)
            )
        return total


class UnitWorker:
    """A Ray actor: loads the model once, then runs units and returns their predictions."""

    def __init__(self, spec: WorkerSpec):
        keep_freed_blocks()  # the worker's process only runs the model
        self.spec = spec
        self.backend = load_model(spec.model, spec.model_options)
        self.cache = ResponseCache(Path(spec.cache_path))
        self.kinds = WorkerKinds(self.backend, spec.config, model=spec.model)
        self.ctx = make_context(self.backend, self.cache, spec.config)

    def run(self, task: Task, unit: Unit) -> tuple[list[Prediction], dict, list, dict]:
        before = copy.deepcopy(self.ctx.stats.as_dict())
        preds, reads = run_recorded(self.kinds[task], unit, task, self.ctx)
        delta = _stats_delta(before, self.ctx.stats.as_dict())
        return preds, delta, sorted(task.skipped._seen, key=str), reads

    def pid(self) -> int:
        return os.getpid()


def make_executor(name: str, kinds: WorkerKinds, *, ray_address: str | None = None, workers: int | None = None):
    """``local`` (runs ``kinds`` on their backend, in this process) or ``ray``."""
    if name == "local":
        return LocalExecutor(kinds)
    if name == "ray":
        return RayExecutor(ray_address, workers)
    raise UserError(f"unknown executor {name!r}", hint="use --executor local (default) or --executor ray")


def resolve_cache_path(cache_path: str | Path | None) -> str:
    return str(Path(cache_path) if cache_path else default_cache_path())
