"""Kinds for embedders: bitext retrieval and classification through a head fitted on embeddings."""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from ..errors import DataError
from ..models.base import Capability
from ..store import Prediction, Unit
from ..tasks.registry import Task
from .base import Kind, RunContext


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / norms


def ratio_margin_scores(sim: np.ndarray, k: int = 4) -> np.ndarray:
    """Ratio margin (Artetxe & Schwenk 2019): cos(x,y) / mean of the two k-NN neighbourhood means."""
    kx = min(k, sim.shape[1])
    ky = min(k, sim.shape[0])
    nn_x = -np.sort(-sim, axis=1)[:, :kx].mean(axis=1)
    nn_y = -np.sort(-sim, axis=0)[:ky, :].mean(axis=0)
    return sim / ((nn_x[:, None] + nn_y[None, :]) / 2)


def nearest(sim: np.ndarray, scoring: str, k: int = 4) -> np.ndarray:
    """Index of the best target per source row, by ``cosine`` or ``margin``."""
    scores = ratio_margin_scores(sim, k) if scoring == "margin" else sim
    return np.argmax(scores, axis=1)


class BitextRetrieval(Kind):
    """Find each sentence's translation among all pivot-language sentences, both directions (P@1).

    The pivot side comes from the item's ``pivot_text`` field (Tatoeba-style pair files) or
    from the source language's items with the same ``parallel_id`` (FLORES-style parallel data).
    """

    name = "bitext_retrieval"
    needs = Capability.EMBED
    description = "xx<->pivot sentence retrieval, margin or cosine scoring, P@1 both directions"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        src = task.spec.source_language
        short = src.split("_")[0]
        return [Unit(task.name, s, lang) for lang in languages if lang != src
                for s in (f"xx->{short}", f"{short}->xx")]

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
        scoring = task.spec.options.get("scoring", "margin")
        if scoring not in ("margin", "cosine"):
            raise DataError(task.spec_path, None, f"options.scoring must be 'margin' or 'cosine', not {scoring!r}")
        x = _normalise(ctx.client.embed([it.fields["text"] for it in items], "symmetric"))
        y = _normalise(ctx.client.embed(pivots, "symmetric"))
        bad = ~np.isfinite(x).all(axis=1) | ~np.isfinite(y).all(axis=1)
        x, y = np.nan_to_num(x), np.nan_to_num(y)
        sim = x @ y.T
        forward = unit.setting.startswith("xx->")
        pred = nearest(sim if forward else sim.T, scoring, int(task.spec.options.get("k", 4)))
        out = []
        for i, it in enumerate(items):
            if bad[i]:
                out.append(Prediction(it.split, it.item_id, it.parallel_id, None, it.parallel_id, None,
                                      "model returned no valid embedding"))
                continue
            j = int(pred[i])
            out.append(Prediction(it.split, it.item_id, it.parallel_id, items[j].parallel_id, it.parallel_id,
                                  float(j == i)))
        out += [Prediction(it.split, it.item_id, it.parallel_id, None, it.parallel_id, None,
                           "no item with this parallel_id in the source language") for it in missing]
        return out


class EmbeddingClassification(Kind):
    """Zero-shot transfer: a logistic-regression head fitted on source-language embeddings of the
    train split, applied to every language's eval split."""

    name = "classification"
    needs = Capability.EMBED
    description = "a linear head fitted on source-language embeddings, tested on every language"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        return [Unit(task.name, "zero-shot", lang) for lang in languages]

    def _head(self, task: Task, ctx: RunContext) -> LogisticRegression:
        key = ("head", task.name)
        if key not in ctx.memo:
            split = task.spec.train_split
            if not split:
                raise DataError(task.spec_path, None, "a classification task needs 'train_split' for the head")
            train = ctx.train_items(task, task.spec.source_language, split)
            x = _normalise(ctx.client.embed([it.fields["text"] for it in train], "symmetric"))
            ok = np.isfinite(x).all(axis=1)
            if len({it.gold for it in train}) < 2:
                raise DataError(task.spec_path, None, f"the {split!r} split of {task.spec.source_language} has fewer than "
                                "two labels: a classification head cannot be fitted")
            # lbfgs is deterministic: the same embeddings give the same head.
            head = LogisticRegression(max_iter=2000, C=float(task.spec.options.get("C", 1.0)))
            head.fit(x[ok], [it.gold for it in np.array(train, dtype=object)[ok]])
            ctx.memo[key] = head
        return ctx.memo[key]

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        head = self._head(task, ctx)
        items = ctx.items(task, unit.language, task.spec.eval_split)
        x = _normalise(ctx.client.embed([it.fields["text"] for it in items], "symmetric"))
        ok = np.isfinite(x).all(axis=1)
        labels = head.predict(np.nan_to_num(x))
        return [
            Prediction(it.split, it.item_id, it.parallel_id, str(lab), it.gold, float(str(lab) == it.gold))
            if good else
            Prediction(it.split, it.item_id, it.parallel_id, None, it.gold, None, "model returned no valid embedding")
            for it, lab, good in zip(items, labels, ok, strict=True)
        ]
