"""Finding tasks: the built-in catalog (one YAML per benchmark under ``catalog/``), users' task
files, and the task that trains a test-only one."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from ..errors import DataError, UserError, unknown
from .catalog_files import catalog_files
from .options import FineTuneOptions
from .policy import DEFAULT_POLICY, ReadPolicy
from .spec import TaskSpec, load_spec
from .task import Task


@lru_cache(maxsize=1)
def _catalog() -> dict[str, Path]:
    return {p.stem: p for p in catalog_files()}


@cache
def _spec(path: Path, mtime: float) -> TaskSpec:
    return load_spec(path)


def _load(path: Path) -> TaskSpec:
    return _spec(path, path.stat().st_mtime)


def catalog_names() -> set[str]:
    """The names of the catalog's tasks (without reading their files)."""
    return set(_catalog())


def list_tasks(data_dir: Path | None = None, policy: ReadPolicy = DEFAULT_POLICY) -> list[Task]:
    """Every catalog task."""
    return [Task(_load(p), p, data_dir, policy) for p in _catalog().values()]


def get_task(name: str, data_dir: Path | None = None, policy: ReadPolicy = DEFAULT_POLICY) -> Task:
    """A catalog task by name."""
    cat = _catalog()
    if name not in cat:
        raise unknown("task", name, cat, hint="`xling tasks` lists them; --task-file FILE runs your own")
    return Task(_load(cat[name]), cat[name], data_dir, policy)


def load_task_file(path: str | Path, data_dir: Path | None = None, policy: ReadPolicy = DEFAULT_POLICY) -> Task:
    """A user task declared in one YAML file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"task file {str(path)!r} does not exist")
    return Task(load_spec(path, check_kind=True), path, data_dir, policy)


def training_task(task: Task) -> Task:
    """The task whose source-language ``train_split`` trains a model for ``task``: the one
    ``options.train_task`` names (a catalog task, or a task YAML path relative to the task's
    file), for test-only benchmarks such as PUD; else ``task`` itself. It reads under the same
    policy, and its skipped rows go to ``task``'s log."""
    options = task.spec.options
    ref = options.train_task if isinstance(options, FineTuneOptions) else None
    if ref is None:
        return task
    if ref.endswith((".yaml", ".yml")):
        other = load_task_file(task.spec_path.parent / ref, task.data_dir, task.policy)
    else:
        other = get_task(ref, task.data_dir, task.policy)
    other.skipped = task.skipped
    if not other.spec.train_split:
        raise DataError(task.spec_path, None, f"options.train_task: task {other.name!r} has no train_split to train on")
    return other


__all__ = ["catalog_names", "get_task", "list_tasks", "load_task_file", "training_task"]
