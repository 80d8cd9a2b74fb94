"""Shared by the embedder kinds: unit vectors with per-text errors, similarity scoring, task options."""

from __future__ import annotations

import numpy as np

from ...calls.embed import INVALID_VECTOR
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import RunContext


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / norms


def embed(ctx: RunContext, texts: list[str], role: str) -> tuple[np.ndarray, list[str | None]]:
    """Unit vectors for ``texts`` (zero rows where the model failed) and per text None or the error."""
    checked = getattr(ctx.client, "embed_checked", None)
    if checked is not None:
        x, errors = checked(texts, role)
    else:  # a client without per-text errors
        x = ctx.client.embed(texts, role)
        errors = [None] * len(texts)
    x = _normalise(np.asarray(x, dtype=np.float32))
    bad = ~np.isfinite(x).all(axis=1) if len(x) else np.zeros(0, dtype=bool)
    errors = [e or (INVALID_VECTOR if b else None) for e, b in zip(errors, bad)]
    return np.nan_to_num(x), errors


def error_row(it: Item, gold, error: str) -> Prediction:
    return Prediction(it.split, it.item_id, it.parallel_id, None, gold, None, error)


def ratio_margin_scores(sim: np.ndarray, k: int = 4) -> np.ndarray:
    """Ratio margin (Artetxe & Schwenk 2019): cos(x,y) / mean of the two k-NN neighbourhood means."""
    kx = min(k, sim.shape[1])
    ky = min(k, sim.shape[0])
    nn_x = -np.sort(-sim, axis=1)[:, :kx].mean(axis=1)
    nn_y = -np.sort(-sim, axis=0)[:ky, :].mean(axis=0)
    return sim / ((nn_x[:, None] + nn_y[None, :]) / 2)


def scores_for(sim: np.ndarray, scoring: str, k: int = 4) -> np.ndarray:
    return ratio_margin_scores(sim, k) if scoring == "margin" else sim


def nearest(sim: np.ndarray, scoring: str, k: int = 4) -> np.ndarray:
    """Index of the best target per source row, by ``cosine`` or ``margin``."""
    return np.argmax(scores_for(sim, scoring, k), axis=1)


def scoring_options(task: Task) -> tuple[str, int]:
    return task.spec.options.scoring, task.spec.options.k


def pivot_units(task: Task, languages: list[str], *settings: str) -> list[Unit]:
    """A unit per setting for every language but the source (pivot) one; ``{src}`` in a setting is
    the source language's ISO code (``xx->{src}`` reads ``xx->eng``)."""
    src = task.spec.source_language
    short = src.split("_")[0]
    return [Unit(task.name, s.format(src=short), lang) for lang in languages if lang != src for s in settings]
