"""The declarative task spec: one YAML file per benchmark, validated with pydantic."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import DataError, UserError
from ..languages import canonical

Creation = Literal["native", "human-translated", "machine-translated", "written-for-xling"]


class HubSource(BaseModel):
    """Where the benchmark lives on the Hugging Face Hub (for users online)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    config: str | None = None
    revision: str | None = None
    split_map: dict[str, str] = Field(default_factory=dict)


class LocalSource(BaseModel):
    """The official release's file layout, relative to a data root.

    ``path`` is a pattern with ``{lang}`` (the dataset's own code), ``{language}`` (canonical)
    and ``{split}``. ``root`` is ``data-dir`` (the user's ``--data-dir``) or ``package:<pkg>/<dir>``.
    """

    model_config = ConfigDict(extra="forbid")
    format: str
    path: str
    root: str = "data-dir"
    header: bool = True
    columns: list[str] | None = None
    delimiter: str | None = None
    quoting: Literal["none", "minimal"] = "none"
    subdir: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class TaskSpec(BaseModel):
    """Everything xling knows about one benchmark."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    kind: str
    metric: str
    languages: dict[str, str]  # canonical code -> the dataset's own code
    source_language: str = "eng_Latn"
    eval_split: str = "test"
    train_split: str | None = None
    split_note: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    labels: list[str] | None = None
    parallel_key: str | None = None
    creation: Creation
    licence: str
    citation: str = ""
    homepage: str = ""
    hub: HubSource | None = None
    local: LocalSource
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("languages", mode="before")
    @classmethod
    def _canonical_languages(cls, value: Any) -> dict[str, str]:
        if isinstance(value, list):
            value = {v: v for v in value}
        if not isinstance(value, dict) or not value:
            raise ValueError("languages must be a non-empty list of codes or a mapping canonical: dataset-code")
        try:
            return {canonical(str(k)): str(v) for k, v in value.items()}
        except UserError as exc:
            raise ValueError(exc.message) from exc

    @field_validator("source_language")
    @classmethod
    def _canonical_source(cls, value: str) -> str:
        try:
            return canonical(value)
        except UserError as exc:
            raise ValueError(exc.message) from exc


def load_spec(path: Path) -> TaskSpec:
    """Read and validate one task YAML; errors name the file, the line and the offending key."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise DataError(path, None, f"cannot read task file: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(raw, dict):
        raise DataError(path, 1, "a task file must be a YAML mapping (key: value lines)")
    try:
        return TaskSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        line = _line_of_key(text, str(err["loc"][0])) if err["loc"] else None
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = ", ".join(TaskSpec.model_fields)
            msg = f"unknown key (known keys: {known})"
        raise DataError(path, line, f"key '{key}': {msg}") from exc


def _line_of_key(text: str, key: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(f"{key}:"):
            return n
    return None
