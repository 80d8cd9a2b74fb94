"""Named suites: one YAML file per suite under ``suites/`` (tasks, their languages, how the suite's
aggregate weights them), run with ``xling run --suite NAME``.

The aggregate is the weighted mean over tasks of each task's mean over its languages (each
language's score being the mean over the task's counted settings), on the task's primary metric
(0-100). A task contributes when at least one of its requested languages has a score; the
result says which tasks and languages were covered.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import DataError, UserError, unknown
from ..languages.codes import canonical

WEIGHTING = (
    "weighted mean over tasks (weight: each task's `weight`, default 1) of each task's uniform mean over its "
    "covered languages; a language's score is the mean over the task's counted settings, on the task's "
    "primary metric (0-100)"
)


def _canonical_list(value: Any) -> Any:
    if isinstance(value, list):
        try:
            return [canonical(str(v)) for v in value]
        except UserError as exc:
            raise ValueError(exc.message) from exc
    return value


class SuiteTask(BaseModel):
    """One task of a suite: which languages (default: the suite's, else all of the task's),
    which of its settings count in the aggregate (``settings``: names or name prefixes; default
    all) and its weight."""

    model_config = ConfigDict(extra="forbid")
    task: str
    languages: list[str] | None = None
    settings: list[str] | None = None
    weight: float = Field(1.0, gt=0)
    note: str | None = None

    @field_validator("languages", mode="before")
    @classmethod
    def _canonical(cls, value: Any) -> Any:
        return _canonical_list(value)

    def counts(self, setting: str) -> bool:
        """Whether a score row of ``setting`` counts in the aggregate."""
        return self.settings is None or any(setting.startswith(s) for s in self.settings)


class Absent(BaseModel):
    """A task the suite's published form has but xling's catalog does not (XTREME's BUCC)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    note: str


class Suite(BaseModel):
    """A named set of tasks with languages and an aggregate. ``languages`` (optional) is a pool:
    each task without its own list runs the pool's languages it has; a task's own ``languages``
    are taken as given (each must be one of the task's)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    protocol: str = ""
    languages: list[str] | None = None
    tasks: list[SuiteTask] = Field(min_length=1)
    not_in_catalog: list[Absent] = Field(default_factory=list)
    citation: str = ""

    @field_validator("languages", mode="before")
    @classmethod
    def _canonical(cls, value: Any) -> Any:
        return _canonical_list(value)

    @field_validator("tasks")
    @classmethod
    def _distinct(cls, tasks: list[SuiteTask]) -> list[SuiteTask]:
        names = [t.task for t in tasks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"task(s) listed twice: {', '.join(twice)}")
        return tasks

    def task_names(self) -> list[str]:
        return [t.task for t in self.tasks]

    def entry(self, task: str) -> SuiteTask:
        return next(t for t in self.tasks if t.task == task)

    def requested(self, task: str, all_languages: list[str]) -> list[str]:
        """The languages the suite asks of ``task``, in the task's order (its own list, else the
        suite's, else every language of the task)."""
        wanted = self.entry(task).languages or self.languages
        return list(all_languages) if wanted is None else [lang for lang in all_languages if lang in wanted]

    def missing_tasks(self) -> list[str]:
        """The suite's tasks that are not in the catalog."""
        from .lookup import catalog_names

        have = catalog_names()
        return [n for n in self.task_names() if n not in have]


def _suites_dir() -> Path:
    return Path(str(resources.files("xling.tasks"))) / "suites"


def suite_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(_suites_dir().glob("*.yaml"))}


@cache
def _load(path: Path, mtime: float) -> Suite:
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
        return Suite.model_validate(raw)
    except yaml.YAMLError as exc:
        raise DataError(path, None, f"not valid YAML: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise DataError(path, None, f"key '{key}': {err['msg'].removeprefix('Value error, ')}") from exc


def get_suite(name: str) -> Suite:
    """A suite by name, or a user's suite file (``*.yaml``); an error listing the suites when there
    is none of that name."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_file():
            raise UserError(f"suite file {name!r} does not exist")
        return _load(path.resolve(), path.stat().st_mtime)
    files = suite_files()
    if name not in files:
        raise unknown("suite", name, files, hint="`xling suites` lists them")
    suite = _load(files[name], files[name].stat().st_mtime)
    if suite.name != name:
        raise DataError(files[name], None, f"the suite in {name}.yaml is named {suite.name!r}; use the file's name")
    return suite


def list_suites() -> list[Suite]:
    return [get_suite(n) for n in suite_files()]


__all__ = ["WEIGHTING", "Absent", "Suite", "SuiteTask", "get_suite", "list_suites", "suite_files"]
