"""What a fine-tuning task kind supplies to the trainer: its head, label list, features, loss
and decoding (:class:`TaskHead`), and the tokenised ``Features`` of a list of items."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ...types import Item

if TYPE_CHECKING:
    from ...tasks import Task


@dataclass
class Features:
    """Tokenised inputs of a list of items, with what is needed to map outputs back."""

    input_ids: list[list[int]]
    labels: list[Any]  # per feature: class id, per-token label ids, or (start, end) token positions
    item_index: list[int]  # feature -> item (QA windows: several features per item)
    extra: list[Any]  # tagging: word ids; QA: (offsets, context token mask)


class TaskHead(ABC):
    """The interface of a fine-tuning kind: the head on the encoder, its inputs and outputs."""

    head: ClassVar[str]

    def label_list(self, task: Task, train: list[Item]) -> list[str]:
        return []

    @abstractmethod
    def features(self, tok, items: list[Item], labels: list[str], hp: dict, train: bool) -> Features:
        """Tokenise ``items`` into model inputs (and, with ``train``, their training targets)."""

    @abstractmethod
    def loss(self, torch, logits, labels: list[Any], width: int):
        """The training loss of a batch (``width``: its padded length)."""

    @abstractmethod
    def decode(
        self, items: list[Item], feats: Features, outputs: list[np.ndarray], labels: list[str], hp: dict
    ) -> list[Any]:
        """One prediction per item (label, tag list, answer string) from the head's outputs."""

    @abstractmethod
    def item_score(self, pred: Any, item: Item, language: str, task: Task) -> float:
        """An item's score (0..1) under the task's metric."""

    def n_out(self, labels: list[str]) -> int:
        return len(labels)
