"""The fine-tuning kind's interface and the run of one unit: each seed's checkpoint, chosen on
a dev split, predicts the unit's items; an item's score is the mean over seeds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...models.base import Capability
from ...types import Item, Prediction, Unit
from ..base import Kind, Read, RunContext
from .selection import EpochSelection
from .task_head import TaskHead
from .trainer import TaskTrainer

if TYPE_CHECKING:
    from ...tasks import Task


class FineTuneKind(TaskHead, Kind):
    """Shared protocol; subclasses define the head, features, decoding and item scores."""

    needs = Capability.FIT_PREDICT
    setting = "zero-shot"

    def dev_value(self, preds: list[Any], items: list[Item], language: str, task: Task) -> float:
        """The number that selects the checkpoint on a dev split (higher is better)."""
        return float(np.mean([self.item_score(p, it, language, task) for p, it in zip(preds, items, strict=True)]))

    def reads(self, task: Task, units: list[Unit]) -> list[Read]:
        """Each unit's eval split and, when the task trains on its own files, the source language's
        training split (a training task named by ``options.train_task`` is read when training starts)."""
        out = super().reads(task, units)
        if units and task.spec.train_split and task.spec.options.train_task is None:
            out.append(Read(task.spec.source_language, task.spec.train_split, training=True))
        return out

    # -- protocol
    def _fine_tuning(self, task: Task, ctx: RunContext) -> tuple[TaskTrainer, EpochSelection]:
        def start() -> tuple[TaskTrainer, EpochSelection]:
            trainer = TaskTrainer(self, task, ctx)
            return trainer, EpochSelection(trainer)

        return ctx.remember(("finetune", task.name), start)

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        trainer, selection = self._fine_tuning(task, ctx)
        items = ctx.items(task, unit.language, task.spec.eval_split)
        per_seed, epochs = [], []
        for seed in trainer.seeds:
            epoch = selection.epoch(seed, unit.language)
            epochs.append(epoch)
            per_seed.append(trainer.predict(seed, epoch, items))
            if ctx.on_progress:
                ctx.on_progress(len(items))
        trainer.end_unit()
        out = []
        for i, it in enumerate(items):
            preds = [p[i] for p in per_seed]
            scores = [self.item_score(p, it, unit.language, task) for p in preds]
            payload = {
                "seeds": preds,
                "scores": scores,
                "epochs": epochs,
                "selection": selection.rule_for(unit.language),
            }
            out.append(Prediction(it.split, it.item_id, it.parallel_id, payload, it.gold, float(np.mean(scores))))
        return out
