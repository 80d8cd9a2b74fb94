"""Embedding kinds over sentence pairs: STS (cosine vs gold, Spearman) and pair classification
(a head on [u, v, |u-v|, u*v], as in InferSent / Sentence-BERT)."""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..items import Item
from ..models.base import Capability
from ..store import Prediction, Unit
from ..tasks.registry import Task
from .base import Kind, RunContext
from .embedding import HeadData, embed, error_row, fit_head, has_split, head_items, option, train_split_of, zero_shot_head


def _pair_vectors(ctx: RunContext, items: list[Item]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    u, e1 = embed(ctx, [it.fields["text1"] for it in items], "symmetric")
    v, e2 = embed(ctx, [it.fields["text2"] for it in items], "symmetric")
    return u, v, [a or b for a, b in zip(e1, e2)]


def _gold_score(task: Task, it: Item) -> float:
    try:
        value = float(it.gold)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value):
        raise DataError(task.path_for(it.language, it.split), None,
                        f"item {it.item_id}: the gold similarity {it.gold!r} is not a number",
                        hint="check the task's 'fields.label' column and the file's delimiter/quoting")
    return value


class EmbeddingSTS(Kind):
    """Semantic similarity: cosine of the two sentences' embeddings against the gold score,
    Spearman x 100 over the language's pairs (corpus-level, bootstrap CI)."""

    name = "sts"
    needs = Capability.EMBED
    description = "cosine similarity vs gold score, Spearman x 100"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        return [Unit(task.name, "cosine", lang) for lang in languages]

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        items = ctx.items(task, unit.language, task.spec.eval_split)
        golds = [_gold_score(task, it) for it in items]
        u, v, errors = _pair_vectors(ctx, items)
        cos = np.einsum("ij,ij->i", u, v) if len(items) else []
        return [
            Prediction(it.split, it.item_id, it.parallel_id, float(c), g, None) if err is None
            else error_row(it, g, err)
            for it, g, c, err in zip(items, golds, cos, errors, strict=True)
        ]


def pair_features(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """[u, v, |u-v|, u*v]: the standard pair representation for a linear head."""
    return np.concatenate([u, v, np.abs(u - v), u * v], axis=1)


class EmbeddingPairClassification(Kind):
    """NLI / paraphrase through a logistic-regression head on pair features.

    ``zero-shot``: fitted on the source language (``options.train_language``) train split
    (``options.train_split``, ``options.train_limit``), tested on every language. Where no train
    split exists (XNLI and PAWS-X ship only dev/test here) the head is fitted on part of the
    source's eval split and those items are held out of every language's evaluation; the
    setting says so. ``in-language``: fitted on each language's own train split, where it has one.
    """

    name = "pair_classification"
    needs = Capability.EMBED
    description = "a linear head on [u, v, |u-v|, u*v] fitted on source-language pairs, tested on every language"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        zs = zero_shot_head(task)
        units = [Unit(task.name, zs.setting, lang) for lang in languages]
        split = train_split_of(task)
        if option(task, "in_language", True, bool) and split:
            units += [Unit(task.name, "in-language", lang) for lang in languages if has_split(task, lang, split)]
        return units

    def _head(self, task: Task, ctx: RunContext, data: HeadData):
        key = ("pair-head", task.name, data)
        if key not in ctx.memo:
            train, held = head_items(task, ctx, data)
            u, v, errors = _pair_vectors(ctx, train)
            ok = np.array([e is None for e in errors], dtype=bool)
            labels = [it.gold for it, good in zip(train, ok) if good]
            x = pair_features(u, v)[ok] if len(train) else np.zeros((0, 1))
            ctx.memo[key] = (fit_head(task, ctx, x, labels, f"{data.language} {data.split}"), held)
        return ctx.memo[key]

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        if unit.setting == "in-language":
            data = HeadData(unit.language, train_split_of(task), False, "in-language")
        else:
            data = zero_shot_head(task)
        head, held = self._head(task, ctx, data)
        items = [it for it in ctx.items(task, unit.language, task.spec.eval_split) if it.parallel_id not in held]
        u, v, errors = _pair_vectors(ctx, items)
        labels = head.predict(pair_features(u, v)) if items else []
        return [
            Prediction(it.split, it.item_id, it.parallel_id, str(lab), it.gold, float(str(lab) == it.gold))
            if err is None else error_row(it, it.gold, err)
            for it, lab, err in zip(items, labels, errors, strict=True)
        ]
