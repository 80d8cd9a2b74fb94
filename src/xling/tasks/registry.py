"""The catalog of tasks (one YAML per benchmark under ``catalog/``) and user task files."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import DataError, UserError, unknown
from ..items import Item
from ..languages import canonical, try_canonical
from .readers import READERS
from .spec import TaskSpec, load_spec

DATA_DIR_ENV = "XLING_DATA_DIR"


@dataclass
class Task:
    """A task spec bound to where its files are."""

    spec: TaskSpec
    spec_path: Path
    data_dir: Path | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def languages(self) -> list[str]:
        return list(self.spec.languages)

    def root(self) -> Path:
        root = self.spec.local.root
        if root.startswith("package:"):
            pkg, _, sub = root.removeprefix("package:").partition("/")
            return Path(str(resources.files(pkg))) / sub
        if root == "task-file":
            return self.spec_path.parent
        base = self.data_dir or (Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV) else None)
        if base is None:
            raise UserError(
                f"task {self.name!r} reads its data from a local copy of the release, and no data directory was given",
                hint=f"pass --data-dir DIR (or set {DATA_DIR_ENV}); the files are expected under DIR/{self.spec.local.subdir or ''}",
            )
        if not base.is_dir():
            raise UserError(f"data directory {str(base)!r} does not exist", hint="pass --data-dir pointing at the folder holding the releases")
        return base / self.spec.local.subdir if self.spec.local.subdir else base

    def path_for(self, language: str, split: str) -> Path:
        """The file holding one language and split; a clear error listing what exists when absent."""
        language = self.check_language(language)
        code = self.spec.languages[language]
        rel = self.spec.local.path.format(lang=code, language=language, split=split)
        path = self.root() / rel
        if not path.is_file():
            existing = sorted(p.name for p in path.parent.glob("*"))[:20] if path.parent.is_dir() else []
            raise UserError(
                f"task {self.name!r} has no file for language {language} split {split!r}: {path} is missing",
                hint=("files there: " + ", ".join(existing)) if existing else f"folder {path.parent} does not exist",
            )
        return path

    def check_language(self, language: str) -> str:
        lang = try_canonical(language) or language
        if lang not in self.spec.languages:
            raise unknown(f"language for task {self.name!r}", language, self.spec.languages)
        return lang

    def items(self, language: str, split: str, limit: int | None = None) -> list[Item]:
        """Items of one language and split, in file order (first ``limit`` only)."""
        return list(self.iter_items(language, split, limit))

    def iter_items(self, language: str, split: str, limit: int | None = None) -> Iterator[Item]:
        language = self.check_language(language)
        path = self.path_for(language, split)
        local = self.spec.local
        reader = READERS.get(local.format)
        if reader is None:
            raise DataError(self.spec_path, None, f"unknown format {local.format!r}; known: {', '.join(sorted(READERS))}")
        kwargs = {"header": local.header, "columns": local.columns, "quoting": local.quoting}
        kwargs["delimiter"] = local.delimiter or ("," if local.format == "csv" else "\t")
        f = self.spec.fields
        text_fields = [k for k in f if k not in ("id", "label")]
        labels = set(self.spec.labels or [])
        n = 0
        for line, rec in reader(path, **kwargs):
            if limit is not None and n >= limit:
                return
            item_id = str(rec[f["id"]]) if "id" in f else str(line)
            fields = {}
            for k in text_fields:
                value = rec.get(f[k])
                if value is None:
                    raise DataError(path, line, f"no column {f[k]!r} (field {k!r}); columns: {', '.join(rec)}")
                if not str(value).strip():
                    raise DataError(path, line, f"empty text in column {f[k]!r}")
                fields[k] = value
            gold = rec.get(f["label"]) if "label" in f else None
            if labels and gold not in labels:
                raise DataError(path, line, f"unknown label {gold!r}; expected one of {sorted(labels)}")
            pkey = self.spec.parallel_key
            if pkey is None:
                parallel_id = f"{language}:{item_id}"  # not parallel: unique per language
            elif pkey in rec:
                parallel_id = str(rec[pkey])
            else:
                raise DataError(path, line, f"no column {pkey!r} (the task's parallel_key); columns: {', '.join(rec)}")
            n += 1
            yield Item(self.name, split, language, item_id, parallel_id, fields, gold)


def _catalog_dir() -> Path:
    return Path(str(resources.files("xling.tasks"))) / "catalog"


@lru_cache(maxsize=1)
def _catalog() -> dict[str, Path]:
    out = {}
    for p in sorted(_catalog_dir().glob("*.yaml")):
        out[p.stem] = p
    return out


def list_tasks(data_dir: Path | None = None) -> list[Task]:
    """Every catalog task."""
    return [Task(load_spec(p), p, data_dir) for p in _catalog().values()]


def get_task(name: str, data_dir: Path | None = None) -> Task:
    """A catalog task by name."""
    cat = _catalog()
    if name not in cat:
        raise unknown("task", name, cat, hint="`xling tasks` lists them; --task-file FILE runs your own")
    return Task(load_spec(cat[name]), cat[name], data_dir)


def load_task_file(path: str | Path, data_dir: Path | None = None) -> Task:
    """A user task declared in one YAML file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"task file {str(path)!r} does not exist")
    return Task(load_spec(path), path, data_dir)


__all__ = ["Task", "get_task", "list_tasks", "load_task_file", "canonical"]
