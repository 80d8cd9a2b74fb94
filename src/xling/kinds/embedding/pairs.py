"""Embedding kinds over sentence pairs: STS (cosine vs gold, Spearman) and pair classification
(a head on [u, v, |u-v|, u*v], as in InferSent / Sentence-BERT)."""

from __future__ import annotations

import numpy as np

from ...errors import DataError
from ...models.base import Capability
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import Kind, RunContext
from .heads import HeadKind
from .vectors import embed, error_row


def _pair_vectors(ctx: RunContext, items: list[Item]) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    u, e1 = embed(ctx, [it.fields["text1"] for it in items], "symmetric")
    v, e2 = embed(ctx, [it.fields["text2"] for it in items], "symmetric")
    return u, v, [a or b for a, b in zip(e1, e2)]


def pair_texts(items: list[Item]) -> list[tuple[str, list[str]]]:
    """What :func:`_pair_vectors` embeds."""
    return [("symmetric", [it.fields["text1"] for it in items] + [it.fields["text2"] for it in items])]


def _gold_score(task: Task, it: Item) -> float:
    try:
        value = float(it.gold)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value):
        raise DataError(
            task.path_for(it.language, it.split),
            None,
            f"item {it.item_id}: the gold similarity {it.gold!r} is not a number",
            hint="check the task's 'fields.label' column and the file's delimiter/quoting",
        )
    return value


class EmbeddingSTS(Kind):
    """Semantic similarity: cosine of the two sentences' embeddings against the gold score,
    Spearman x 100 over the language's pairs (corpus-level, bootstrap CI)."""

    name = "sts"
    needs = Capability.EMBED
    description = "cosine similarity vs gold score, Spearman x 100"
    setting = "cosine"

    def texts_ahead(self, task: Task, units: list[Unit], ctx: RunContext) -> list[tuple[str, list[str]]]:
        languages = dict.fromkeys(u.language for u in units)
        return pair_texts([it for lang in languages for it in ctx.items(task, lang, task.spec.eval_split)])

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        items = ctx.items(task, unit.language, task.spec.eval_split)
        golds = [_gold_score(task, it) for it in items]
        u, v, errors = _pair_vectors(ctx, items)
        cos = np.einsum("ij,ij->i", u, v) if len(items) else []
        return [
            Prediction(it.split, it.item_id, it.parallel_id, float(c), g, None)
            if err is None
            else error_row(it, g, err)
            for it, g, c, err in zip(items, golds, cos, errors, strict=True)
        ]


def pair_features(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """[u, v, |u-v|, u*v]: the standard pair representation for a linear head."""
    return np.concatenate([u, v, np.abs(u - v), u * v], axis=1)


class EmbeddingPairClassification(HeadKind):
    """NLI / paraphrase through a logistic-regression head on pair features (see :class:`HeadKind`).

    The zero-shot head is fitted on the source language (``options.train_language``) train split
    (``options.train_split``, ``options.train_limit``). Where no train split exists (XNLI and
    PAWS-X ship only dev/test here) it is fitted on part of the source's eval split and those
    items are held out of every language's evaluation; the setting says so.
    """

    name = "pair_classification"
    description = "a linear head on [u, v, |u-v|, u*v] fitted on source-language pairs, tested on every language"

    def feature_texts(self, items: list[Item]) -> list[tuple[str, list[str]]]:
        return pair_texts(items)

    def features(self, ctx: RunContext, items: list[Item]) -> tuple[np.ndarray, list[str | None]]:
        u, v, errors = _pair_vectors(ctx, items)
        return (pair_features(u, v) if items else np.zeros((0, 1))), errors
