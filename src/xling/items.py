"""The unit of data: one item of one task in one language."""
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
