"""Bitext retrieval on embeddings: find each sentence's translation among the source-language ones."""

from __future__ import annotations

import numpy as np

from ...errors import DataError
from ...models.base import Capability
from ...tasks import Task
from ...types import Prediction, Unit
from ..base import Kind, RunContext
from .vectors import embed, error_row, scores_for, scoring_options


class BitextRetrieval(Kind):
    """Find each sentence's translation among all pivot-language sentences, both directions (P@1).

    The pivot side comes from the item's ``pivot_text`` field (Tatoeba-style pair files) or
    from the source language's items with the same ``parallel_id`` (FLORES-style parallel data).
    With ``metric: mining_f1`` the task is scored BUCC-style: a pair is mined when its margin
    score reaches ``options.threshold``; F1 of the mined pairs against the true ones.
    """

    name = "bitext_retrieval"
    needs = Capability.EMBED
    description = "xx<->pivot sentence retrieval, margin or cosine scoring, P@1 both directions"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        src = task.spec.source_language
        short = src.split("_")[0]
        return [Unit(task.name, s, lang) for lang in languages if lang != src for s in (f"xx->{short}", f"{short}->xx")]

    def _pairs(self, unit: Unit, task: Task, ctx: RunContext):
        split = task.spec.eval_split
        items = ctx.items(task, unit.language, split)
        if items and "pivot_text" in items[0].fields:
            return items, [it.fields["pivot_text"] for it in items], []
        src_items = {it.parallel_id: it for it in ctx.items(task, task.spec.source_language, split)}
        kept = [it for it in items if it.parallel_id in src_items]
        missing = [it for it in items if it.parallel_id not in src_items]
        return kept, [src_items[it.parallel_id].fields["text"] for it in kept], missing

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        items, pivots, missing = self._pairs(unit, task, ctx)
        scoring, k = scoring_options(task)
        mining = task.spec.metric == "mining_f1"
        threshold = task.spec.options.threshold
        if mining and scoring != "margin":
            raise DataError(task.spec_path, None, "metric mining_f1 needs options.scoring: margin")
        x, x_err = embed(ctx, [it.fields["text"] for it in items], "symmetric")
        y, y_err = embed(ctx, pivots, "symmetric")
        sim = x @ y.T
        forward = unit.setting.startswith("xx->")
        scores = scores_for(sim if forward else sim.T, scoring, k)
        pred = np.argmax(scores, axis=1) if len(items) else np.zeros(0, dtype=int)
        out = []
        for i, it in enumerate(items):
            err = x_err[i] or y_err[i]
            if err:
                out.append(error_row(it, it.parallel_id, err))
                continue
            j = int(pred[i])
            if mining:
                kept = bool(scores[i, j] >= threshold)
                out.append(
                    Prediction(
                        it.split,
                        it.item_id,
                        it.parallel_id,
                        items[j].parallel_id if kept else None,
                        it.parallel_id,
                        float(kept and j == i),
                    )
                )
            else:
                out.append(
                    Prediction(
                        it.split, it.item_id, it.parallel_id, items[j].parallel_id, it.parallel_id, float(j == i)
                    )
                )
        out += [error_row(it, it.parallel_id, "no item with this parallel_id in the source language") for it in missing]
        return out
