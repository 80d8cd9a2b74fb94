"""The rows passed between stages: an item of a task in a language, a unit of work, a scored item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Item:
    """One benchmark item in one language.

    ``parallel_id`` links the translations of one item across languages (XNLI line number,
    FLORES ``index_id``, XQuAD question id); analyses join on it.
    """

    task: str
    split: str
    language: str
    item_id: str
    parallel_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    gold: Any = None


@dataclass(frozen=True, order=True)
class Unit:
    """A unit of work: one task, setting (protocol, direction...) and language for one model."""

    task: str
    setting: str
    language: str


@dataclass(frozen=True)
class Prediction:
    """One scored item."""

    split: str
    item_id: str
    parallel_id: str
    prediction: object
    gold: object
    score: float | None
    error: str | None = None
