"""Typed ``-o KEY=VALUE`` options of a backend: one pydantic model per backend.

A backend names its model in ``Backend.Options`` and reads the checked values from ``opt``; a
misspelt or mistyped option stops with a :class:`~xling.errors.UserError` that names the option,
the backend and the options it knows. ``Backend.options`` keeps what the user gave (fingerprints
and results.json read it).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import UserError

_Schema = TypeVar("_Schema", bound="BackendOptions")


class BackendOptions(BaseModel):
    """Options a backend accepts; numbers given for text fields (``revision=123``) stay text."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class HttpOptions(BackendOptions):
    """What every OpenAI-compatible HTTP backend accepts about the connection."""

    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(4, ge=1)
    timeout: float = Field(60.0, gt=0)
    backoff: float = Field(0.5, gt=0)


class TrustOptions(BackendOptions):
    """Loading a model from the Hub or a directory: custom code only when trusted."""

    trust_remote_code: bool = False
    revision: str | None = None


def as_given(options: BackendOptions, given: dict[str, Any]) -> dict[str, Any]:
    """Every option as the user gave it, the defaults for the rest: what fingerprints read."""
    return {**options.model_dump(), **given}


def parse_backend_options(schema: type[_Schema], backend: str, options: dict[str, Any]) -> _Schema:
    """``options`` checked against ``schema``, defaults filled in."""
    try:
        return schema.model_validate(options)
    except ValidationError as exc:
        known = "known: " + ", ".join(sorted(schema.model_fields))
        unknown = sorted(set(options) - set(schema.model_fields))
        if unknown:
            raise UserError(f"unknown option(s) for backend {backend!r}: {', '.join(unknown)}", hint=known) from None
        error = exc.errors()[0]
        key = str(error["loc"][0])
        raise UserError(
            f"option {key}={options[key]!r} for backend {backend!r}: {error['msg'].lower()}", hint=known
        ) from None
