"""Which epoch's checkpoint predicts: the best on a dev split (``selection=source-dev``: the
source language's; ``target-dev``: each target's own), cached beside the checkpoints."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ...errors import UserError
from ...tasks.spec import shared_splits
from .trainer import TaskTrainer, items_digest


class EpochSelection:
    """The epoch each seed's checkpoint is taken from, for one task in one run."""

    def __init__(self, trainer: TaskTrainer):
        self.trainer = trainer
        spec = trainer.task.spec
        self.dev_split = spec.options.dev_split
        # epochs are chosen on a dev split that shares no part with what is trained or tested on
        train_split = trainer.training_task.spec.train_split
        self.dev_clash = shared_splits(self.dev_split, spec.eval_split) + (
            shared_splits(self.dev_split, train_split) if trainer.training_task is trainer.task else []
        )
        self.dev_values: dict[tuple[int, str], list[float]] = {}

    def _dev_language(self, language: str) -> str:
        return language if self.trainer.hp["selection"] == "target-dev" else self.trainer.src

    def rule_for(self, language: str) -> str:
        """How ``language``'s epochs are chosen, as recorded with its predictions."""
        lang = self._dev_language(language)
        if not self._has_dev(lang):
            return f"last epoch (no '{self.dev_split}' split for {lang} distinct from the eval and train splits)"
        return f"{self.trainer.hp['selection']} ({lang}/{self.dev_split})"

    def _has_dev(self, language: str) -> bool:
        if self.dev_clash:
            return False
        try:
            self.trainer.task.files_for(language, self.dev_split)
        except UserError:
            return False
        return True

    def epoch(self, seed: int, language: str) -> int:
        """The epoch whose dev score is best (earliest on ties); the last epoch without a dev split."""
        trainer, task = self.trainer, self.trainer.task
        lang = self._dev_language(language)
        epochs = trainer.hp["epochs"]
        if not self._has_dev(lang):
            return epochs
        key = (seed, lang)
        dev = trainer.ctx.remember(
            ("finetune-dev", task.name, lang, self.dev_split, trainer.hp["dev_limit"]),
            lambda: task.items(lang, self.dev_split, trainer.hp["dev_limit"]),
        )
        if key not in self.dev_values:
            cache_file = trainer.checkpoints(seed) / f"dev-{lang}.json"
            digest = items_digest(dev)
            values = None
            if cache_file.is_file():
                saved = json.loads(cache_file.read_text())
                values = saved["values"] if saved.get("dev") == digest else None
            if values is None:
                values = [
                    trainer.kind.dev_value(trainer.predict(seed, e, dev, keep=True), dev, lang, task)
                    for e in range(1, epochs + 1)
                ]
                _atomic_write(cache_file, json.dumps({"dev": digest, "values": values}))
            self.dev_values[key] = values
        return int(np.argmax(self.dev_values[key])) + 1


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
