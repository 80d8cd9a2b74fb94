"""Fine-tuned sentence and sentence-pair classification: a label per text (or pair of texts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ...errors import DataError
from ...types import Item
from .protocol import FineTuneKind
from .task_head import Features

if TYPE_CHECKING:
    from ...tasks import Task


class FineTuneClassification(FineTuneKind):
    """Sentence (``{text}``) classification: SIB-200 and the like."""

    name = "classification"
    head = "sequence"
    description = "fine-tune the encoder on source-language train, test on every language (XTREME zero-shot)"
    text_fields: ClassVar[tuple[str, ...]] = ("text",)

    def label_list(self, task: Task, train: list[Item]) -> list[str]:
        labels = list(task.spec.labels or sorted({str(it.gold) for it in train}))
        unknown = sorted({str(it.gold) for it in train} - set(labels))
        if unknown:
            raise DataError(task.spec_path, None, f"training labels {unknown} are not in the task's labels {labels}")
        return labels

    def _texts(self, it: Item) -> list[str]:
        missing = [f for f in self.text_fields if f not in it.fields]
        if missing:
            raise DataError(
                f"{it.task}:{it.language}",
                None,
                f"item {it.item_id} has no field(s) {missing} (kind {self.name} needs {list(self.text_fields)})",
            )
        return [str(it.fields[f]) for f in self.text_fields]

    def features(self, tok, items, labels, hp, train):
        texts = [self._texts(it) for it in items]
        enc = tok(*zip(*texts), truncation=True, max_length=hp["max_seq_length"])
        index = {lab: i for i, lab in enumerate(labels)}
        golds = [index.get(str(it.gold), -100) for it in items]
        return Features(enc["input_ids"], golds, list(range(len(items))), [None] * len(items))

    def loss(self, torch, logits, labels, width):
        return torch.nn.functional.cross_entropy(logits, torch.tensor(labels, dtype=torch.long), ignore_index=-100)

    def decode(self, items, feats, outputs, labels, hp):
        return [labels[int(np.argmax(o))] for o in outputs]

    def item_score(self, pred, item, language, task):
        return float(pred == str(item.gold))


class FineTunePairClassification(FineTuneClassification):
    """Sentence-pair (``{text1, text2}``) classification: XNLI, PAWS-X."""

    name = "pair_classification"
    text_fields = ("text1", "text2")
    description = "fine-tune a pair classifier on source-language train, test on every language"
