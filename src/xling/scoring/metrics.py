"""Metrics: how a unit's per-item rows become one number. Values are on a 0-100 scale.

Three families: a :class:`Metric` is the mean of per-item scores (accuracy, P@1, nDCG@10...)
with a bootstrap CI over items; a :class:`CorpusMetric` is a statistic of the whole set of rows
(Spearman, mining F1) with a bootstrap CI that recomputes the statistic on resampled items; a
:class:`CountMetric` sums per-item counts (entity F1, token accuracy) and recombines them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .stats import Estimate, bootstrap_mean, bootstrap_statistic, seed_for

if TYPE_CHECKING:  # pandas and scipy load when scores are computed, after the model has run
    import pandas as pd


@dataclass(frozen=True)
class Metric:
    """A metric that is the mean of per-item scores (accuracy, P@1, EM, token F1...)."""

    # False for metrics of the whole set of rows: a difference of two such values is not the mean
    # of per-item differences, so paired comparisons recompute the metric (``on_items``).
    mean_of_items: ClassVar[bool] = True

    name: str
    description: str
    scale: float = 100.0
    # Per-item score from a row's prediction and gold; None: the row's stored ``score``.
    item_score: Callable[[object, object], float] | None = None

    def item_scores(self, rows: pd.DataFrame) -> np.ndarray:
        """Per-item scores of the rows; error rows score 0."""
        if self.item_score is None:
            values = rows["score"].to_numpy(dtype=float)
        else:
            values = np.array(
                [
                    np.nan if _is_error(err) else self.item_score(p, g)
                    for p, g, err in zip(rows["prediction"], rows["gold"], rows["error"])
                ],
                dtype=float,
            )
        return np.nan_to_num(values, nan=0.0)

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        """Value and bootstrap CI over the unit's scored items (error rows score 0)."""
        return bootstrap_mean(self.item_scores(rows), seed_for(seed, *key), scale=self.scale)

    def on_items(self, rows: pd.DataFrame) -> Callable[[np.ndarray], float]:
        """The metric of the rows at positional indices ``idx`` (0-100 scale, as reported):
        ``on_items(rows)(np.arange(len(rows)))`` is the unit's value, a resample is a bootstrap
        replicate."""
        scores = self.item_scores(rows)
        return lambda idx: float(scores[idx].mean()) * self.scale if len(idx) else float("nan")

    def extras(self, rows: pd.DataFrame) -> dict:
        """Extra fields for the score object: ``per_seed`` values when the kind ran several seeds
        (its predictions are ``{"seeds": [...], "scores": [...]}``, see kinds/finetune/protocol.py)."""
        per_item = [p.get("scores") if isinstance(p, dict) else None for p in rows["prediction"]]
        if not per_item or any(s is None for s in per_item) or len({len(s) for s in per_item}) != 1:
            return {}
        return {"per_seed": [float(v) * self.scale for v in np.asarray(per_item, dtype=float).mean(axis=0)]}


@dataclass(frozen=True)
class CorpusMetric(Metric):
    """A statistic over all of a unit's rows (``statistic(predictions, golds) -> float`` on 0-1 or
    -1..1), with a bootstrap CI. Rows with errors have no prediction and are left out of the
    statistic (they are counted in the score's ``errors``)."""

    mean_of_items: ClassVar[bool] = False

    statistic: Callable[[np.ndarray, np.ndarray], float] | None = None

    def _arrays(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        ok = rows["error"].isna().to_numpy()
        preds = np.array(list(rows["prediction"][ok]), dtype=object)
        golds = np.array(list(rows["gold"][ok]), dtype=object)
        return preds, golds

    def value_of(self, preds: np.ndarray, golds: np.ndarray) -> float:
        if len(preds) == 0:
            return float("nan")
        return float(self.statistic(preds, golds)) * self.scale

    def _resampled(self, preds: np.ndarray, golds: np.ndarray) -> float:
        """The statistic on a bootstrap resample; where it is undefined there (e.g. every
        resampled gold equal, possible with few items) it counts as 0, which widens the CI."""
        v = self.value_of(preds, golds)
        return 0.0 if np.isnan(v) else v

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        preds, golds = self._arrays(rows)
        value = self.value_of(preds, golds)
        if not np.isfinite(value):
            return Estimate(float("nan"), float("nan"), float("nan"), len(preds))
        est = bootstrap_statistic(len(preds), lambda idx: self._resampled(preds[idx], golds[idx]), seed_for(seed, *key))
        return Estimate(value, est.ci_low, est.ci_high, est.n)

    def on_items(self, rows: pd.DataFrame) -> Callable[[np.ndarray], float]:
        ok = rows["error"].isna().to_numpy()
        preds = np.array(list(rows["prediction"]), dtype=object)
        golds = np.array(list(rows["gold"]), dtype=object)

        def value(idx: np.ndarray) -> float:
            kept = idx[ok[idx]]  # error rows stay out of the statistic, as in ``estimate``
            return self.value_of(preds[kept], golds[kept])

        return value


def _spearman(preds: np.ndarray, golds: np.ndarray) -> float:
    """Pearson correlation of average ranks (= scipy.stats.spearmanr, without its per-call checks:
    the bootstrap calls this thousands of times)."""
    x, y = preds.astype(float), golds.astype(float)
    if len(x) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    return float(rx @ ry / np.sqrt((rx @ rx) * (ry @ ry)))


def _missing(value) -> bool:
    """None or NaN (pandas' missing value)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _is_error(err) -> bool:
    """A row's ``error`` holds a message."""
    return not _missing(err)


def _present(value) -> bool:
    """Not missing and not empty."""
    return not (_missing(value) or value == "")


def _mining_f1(preds: np.ndarray, golds: np.ndarray) -> float:
    """BUCC-style F1 of mined pairs: a prediction is the mined target id (None: no pair kept),
    gold the true target id (None: the sentence has no translation)."""
    mined = np.array([_present(p) for p in preds])
    has_gold = np.array([_present(g) for g in golds])
    correct = np.array([m and p == g for m, p, g in zip(mined, preds, golds)])
    tp, n_mined, n_gold = correct.sum(), mined.sum(), has_gold.sum()
    if tp == 0:
        return 0.0
    precision, recall = tp / n_mined, tp / n_gold
    return float(2 * precision * recall / (precision + recall))


def _ndcg_at_10(rank, gold) -> float:
    """Binary relevance, one relevant passage: 1 / log2(rank + 1) within the top 10."""
    return 0.0 if rank is None or int(rank) > 10 else float(1.0 / np.log2(int(rank) + 1))


def _mrr_at_10(rank, gold) -> float:
    return 0.0 if rank is None or int(rank) > 10 else 1.0 / int(rank)


@dataclass(frozen=True)
class CountMetric(Metric):
    """A statistic of the whole unit built from additive per-item counts (entity F1, token accuracy).

    ``counts(prediction, gold)`` turns one item into a vector of additive counts (e.g. true
    positives, predicted and gold entities); ``combine(summed counts)`` makes the value in 0-1.
    With several seeds (predictions ``{"seeds": [...]}``) the value is the mean over seeds. The
    CI resamples items (``stats.bootstrap_statistic``) and recombines their counts.
    """

    mean_of_items: ClassVar[bool] = False

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
        est = bootstrap_statistic(len(counts), self._statistic(counts), seed_for(seed, *key))
        return Estimate(est.value * self.scale, est.ci_low * self.scale, est.ci_high * self.scale, est.n)

    def _statistic(self, counts: np.ndarray) -> Callable[[np.ndarray], float]:
        """The value (0-1) of the items at indices ``idx``, from their summed counts (mean over seeds)."""

        def statistic(idx: np.ndarray) -> float:
            summed = counts[idx].sum(axis=0)  # (seeds, counts)
            return float(np.mean([self.combine(c) for c in summed]))

        return statistic

    def on_items(self, rows: pd.DataFrame) -> Callable[[np.ndarray], float]:
        counts = self._count_matrix(rows)
        statistic = self._statistic(counts)
        return lambda idx: statistic(idx) * self.scale if len(idx) else float("nan")

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


def sentence_entity_f1(pred, gold) -> float:
    """One tagged sentence's entity F1 (seqeval's counting); 1.0 when neither tags an entity."""
    c = _entity_counts(pred, gold)
    return 1.0 if c[1] + c[2] == 0 else _f1_from_counts(c)


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
        CorpusMetric(
            "spearman", "Spearman rank correlation between model similarity and gold score, x100", statistic=_spearman
        ),
        CorpusMetric(
            "mining_f1", "BUCC-style F1 of the pairs mined above a margin threshold, x100", statistic=_mining_f1
        ),
        Metric(
            "ndcg@10", "nDCG@10 with the item's own passage as the one relevant passage, x100", item_score=_ndcg_at_10
        ),
        Metric("mrr@10", "mean reciprocal rank of the relevant passage, cut at 10, x100", item_score=_mrr_at_10),
        Metric("em", "QA exact match against any gold answer after the task's normalisation (squad or mlqa), x100"),
        Metric("f1", "QA token F1 against the best-matching gold answer after the task's normalisation, x100"),
        CountMetric(
            "entity_f1",
            "seqeval micro F1 over the entities of all sentences (IOB2), x100",
            counts=_entity_counts,
            combine=_f1_from_counts,
        ),
        CountMetric(
            "token_accuracy",
            "share of all tokens (syntactic words) tagged correctly, x100",
            counts=_token_counts,
            combine=lambda c: 0.0 if c[1] == 0 else c[0] / c[1],
        ),
    ]
}
