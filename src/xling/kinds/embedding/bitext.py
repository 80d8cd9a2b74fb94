"""Bitext retrieval on embeddings: find each sentence's translation among the source-language ones."""

from __future__ import annotations

import numpy as np

from ...errors import DataError
from ...models.base import Capability
from ...scoring.mining import best_threshold
from ...tasks import Task
from ...types import Prediction, Unit
from ..base import Kind, RunContext
from .mining import declared_threshold
from .vectors import embed, error_row, pivot_units, scores_for, scoring_options


class BitextRetrieval(Kind):
    """Find each sentence's translation among all pivot-language sentences, both directions (P@1).

    The pivot side comes from the item's ``pivot_text`` field (Tatoeba-style pair files) or
    from the source language's items with the same ``parallel_id`` (FLORES-style parallel data).
    With a mining metric (``mining_f1``, ``mining_precision``, ``mining_recall``, as ``metric`` or
    in ``extra_metrics``) each row records its nearest translation's margin and the threshold: a
    pair is mined when its margin reaches it, the threshold chosen on ``options.threshold_split``,
    given as ``options.threshold``, or the best on the evaluated split (``threshold: best``). The
    per-item ``score`` is always P@1's.
    """

    name = "bitext_retrieval"
    needs = Capability.EMBED
    description = "xx<->pivot sentence retrieval, margin or cosine scoring, P@1 both directions"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        return pivot_units(task, languages, "xx->{src}", "{src}->xx")

    def _pairs(self, unit: Unit, task: Task, ctx: RunContext, split: str):
        items = ctx.items(task, unit.language, split)
        if items and "pivot_text" in items[0].fields:
            return items, [it.fields["pivot_text"] for it in items], []
        src_items = {it.parallel_id: it for it in ctx.items(task, task.spec.source_language, split)}
        kept = [it for it in items if it.parallel_id in src_items]
        missing = [it for it in items if it.parallel_id not in src_items]
        return kept, [src_items[it.parallel_id].fields["text"] for it in kept], missing

    def _nearest(self, unit: Unit, task: Task, ctx: RunContext, split: str):
        """A split's items, each one's nearest translation (row index) in the unit's direction with its
        score, per item None or its embedding error, and the items without a translation."""
        items, pivots, missing = self._pairs(unit, task, ctx, split)
        scoring, k = scoring_options(task)
        x, x_err = embed(ctx, [it.fields["text"] for it in items], "symmetric")
        y, y_err = embed(ctx, pivots, "symmetric")
        sim = x @ y.T
        scores = scores_for(sim if unit.setting.startswith("xx->") else sim.T, scoring, k)
        pred = np.argmax(scores, axis=1) if len(items) else np.zeros(0, dtype=int)
        best = scores[np.arange(len(items)), pred] if len(items) else np.zeros(0)
        return items, pred, best, [a or b for a, b in zip(x_err, y_err)], missing

    def _threshold(self, unit: Unit, task: Task, ctx: RunContext) -> tuple[float | None, str]:
        """The mined-pair threshold and where it comes from (see :mod:`xling.kinds.embedding.mining`)."""
        split = task.spec.options.threshold_split
        if split is None:
            return declared_threshold(task)

        def choose() -> float:
            items, pred, best, errors, _ = self._nearest(unit, task, ctx, split)
            ok = np.array([e is None for e in errors], dtype=bool)
            correct = pred == np.arange(len(items))
            return best_threshold(best[ok].astype(float), correct[ok], len(items)).threshold

        return ctx.remember(("bitext_threshold", task.name, unit.setting, unit.language, split, ctx.limit), choose), (
            f"chosen on {split}"
        )

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        mining = any(m.startswith("mining_") for m in task.spec.metrics())
        if mining and task.spec.options.scoring != "margin":
            raise DataError(task.spec_path, None, "the mining metrics need options.scoring: margin")
        items, pred, best, errors, missing = self._nearest(unit, task, ctx, task.spec.eval_split)
        threshold, where = self._threshold(unit, task, ctx) if mining else (None, None)
        out = []
        for i, it in enumerate(items):
            if errors[i]:
                out.append(error_row(it, it.parallel_id, errors[i]))
                continue
            j = int(pred[i])
            found = items[j].parallel_id
            if mining:
                found = {"candidate": found, "margin": float(best[i]), "threshold": threshold, "threshold_from": where}
            out.append(Prediction(it.split, it.item_id, it.parallel_id, found, it.parallel_id, float(j == i)))
        out += [error_row(it, it.parallel_id, "no item with this parallel_id in the source language") for it in missing]
        return out
