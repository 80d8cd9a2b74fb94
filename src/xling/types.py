"""The rows passed between stages: an item of a task in a language, a unit of work, a scored item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Joins the two languages of a pair (``eng_Latn-arb_Arab``); canonical codes never hold it.
PAIR_JOIN = "-"


def sides(language: str) -> tuple[str, str]:
    """The first and second text's language of a language or pair (a language: itself twice)."""
    first, _, second = language.partition(PAIR_JOIN)
    return first, second or first


@dataclass(frozen=True, slots=True)
class Item:
    """One benchmark item in one language, or in a language pair (``eng_Latn-arb_Arab``: its
    first text in English, its second in Arabic; :attr:`sides`).

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

    @property
    def sides(self) -> tuple[str, str]:
        """The language of the item's first text (query, question, sentence 1) and of its second
        (document, context, sentence 2): both the item's language unless it is a pair."""
        return sides(self.language)


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
