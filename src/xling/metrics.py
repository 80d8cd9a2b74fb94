"""Metrics: how a unit's per-item scores become one number. Values are on a 0-100 scale."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stats import Estimate, bootstrap_mean, bootstrap_statistic, seed_for


@dataclass(frozen=True)
class Metric:
    """A metric that is the mean of per-item scores (accuracy, P@1, EM, token F1...)."""

    name: str
    description: str
    scale: float = 100.0

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        """Value and bootstrap CI over the unit's scored items (error rows score 0)."""
        scores = np.nan_to_num(rows["score"].to_numpy(dtype=float), nan=0.0)
        return bootstrap_mean(scores, seed_for(seed, *key), scale=self.scale)

    def extras(self, rows: pd.DataFrame) -> dict:
        """Extra fields for the score object: ``per_seed`` values when the kind ran several seeds
        (its predictions are ``{"seeds": [...], "scores": [...]}``, see kinds/finetune.py)."""
        per_item = [p.get("scores") if isinstance(p, dict) else None for p in rows["prediction"]]
        if not per_item or any(s is None for s in per_item) or len({len(s) for s in per_item}) != 1:
            return {}
        return {"per_seed": [float(v) * self.scale for v in np.asarray(per_item, dtype=float).mean(axis=0)]}


@dataclass(frozen=True)
class CorpusMetric(Metric):
    """A statistic of the whole unit rather than a mean of item scores (entity F1, token accuracy).

    ``counts(prediction, gold)`` turns one item into a vector of additive counts (e.g. true
    positives, predicted and gold entities); ``combine(summed counts)`` makes the value in 0-1.
    With several seeds (predictions ``{"seeds": [...]}``) the value is the mean over seeds. The
    CI resamples items (``stats.bootstrap_statistic``) and recombines their counts.
    """

    counts: Callable[[object, object], np.ndarray] | None = None
    combine: Callable[[np.ndarray], float] | None = None

    def _count_matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """(items, seeds, counts); an error row counts its gold with nothing predicted."""
        preds = list(rows["prediction"])
        golds = list(rows["gold"])
        n_seeds = max((len(p["seeds"]) for p in preds if isinstance(p, dict)), default=1)
        out = []
        for pred, gold in zip(preds, golds, strict=True):
            seeds = pred["seeds"] if isinstance(pred, dict) else [pred] * n_seeds
            out.append([self.counts(s, gold) for s in seeds])
        return np.asarray(out, dtype=float)

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        counts = self._count_matrix(rows)
        if counts.size == 0:
            return Estimate(float("nan"), float("nan"), float("nan"), 0)

        def statistic(idx: np.ndarray) -> float:
            summed = counts[idx].sum(axis=0)  # (seeds, counts)
            return float(np.mean([self.combine(c) for c in summed]))

        est = bootstrap_statistic(len(counts), statistic, seed_for(seed, *key))
        return Estimate(est.value * self.scale, est.ci_low * self.scale, est.ci_high * self.scale, est.n)

    def extras(self, rows: pd.DataFrame) -> dict:
        counts = self._count_matrix(rows)
        if counts.size == 0 or counts.shape[1] < 2:
            return {}
        return {"per_seed": [float(self.combine(c)) * self.scale for c in counts.sum(axis=0)]}


def _entity_counts(pred, gold) -> np.ndarray:
    """(true positives, predicted entities, gold entities) of one IOB2 sentence, as seqeval's
    default (non-strict) micro F1 counts them."""
    from seqeval.metrics.sequence_labeling import get_entities

    true = set(get_entities(list(gold)))
    found = set(get_entities(list(pred))) if pred is not None else set()
    return np.array([len(true & found), len(found), len(true)], dtype=float)


def _f1_from_counts(c: np.ndarray) -> float:
    tp, n_pred, n_gold = c
    return 0.0 if n_pred + n_gold == 0 else 2 * tp / (n_pred + n_gold)


def _token_counts(pred, gold) -> np.ndarray:
    """(correct tokens, tokens) of one tagged sentence."""
    gold = list(gold)
    if pred is None:
        return np.array([0.0, len(gold)])
    return np.array([sum(p == g for p, g in zip(pred, gold, strict=True)), len(gold)], dtype=float)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "share of items classified correctly, x100"),
        Metric("p@1", "precision at 1: share of sentences whose nearest neighbour is their translation, x100"),
        Metric("em", "extractive QA exact match after language-aware answer normalisation (MLQA), x100"),
        Metric("f1", "extractive QA token F1 after language-aware normalisation and segmentation (MLQA), x100"),
        CorpusMetric("entity_f1", "seqeval micro F1 over the entities of all sentences (IOB2), x100",
                     counts=_entity_counts, combine=_f1_from_counts),
        CorpusMetric("token_accuracy", "share of all tokens (syntactic words) tagged correctly, x100",
                     counts=_token_counts, combine=lambda c: 0.0 if c[1] == 0 else c[0] / c[1]),
    ]
}
