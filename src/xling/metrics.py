"""Metrics: how a unit's per-item rows become one number. Values are on a 0-100 scale.

Two families: a :class:`Metric` is the mean of per-item scores (accuracy, P@1, nDCG@10...)
with a bootstrap CI over items; a :class:`CorpusMetric` is a statistic of the whole set of rows
(Spearman, mining F1) with a bootstrap CI that recomputes the statistic on resampled items.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from .stats import Estimate, bootstrap_mean, bootstrap_statistic, seed_for


@dataclass(frozen=True)
class Metric:
    """A metric that is the mean of per-item scores (accuracy, P@1, EM, token F1...)."""

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
            values = np.array([np.nan if err is not None and not pd.isna(err) else self.item_score(p, g)
                               for p, g, err in zip(rows["prediction"], rows["gold"], rows["error"])], dtype=float)
        return np.nan_to_num(values, nan=0.0)

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        """Value and bootstrap CI over the unit's scored items (error rows score 0)."""
        return bootstrap_mean(self.item_scores(rows), seed_for(seed, *key), scale=self.scale)


@dataclass(frozen=True)
class CorpusMetric(Metric):
    """A statistic over all of a unit's rows (``statistic(predictions, golds) -> float`` on 0-1 or
    -1..1), with a bootstrap CI. Rows with errors have no prediction and are left out of the
    statistic (they are counted in the score's ``errors``)."""

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

    def paired_gap(self, src: pd.DataFrame, tgt: pd.DataFrame, rng: np.random.Generator) -> tuple[Estimate, bool]:
        """statistic(source) - statistic(target); paired bootstrap over shared parallel ids when
        there are any (both statistics recomputed on the same resampled ids)."""
        s = src[src["error"].isna()].set_index("parallel_id")
        t = tgt[tgt["error"].isna()].set_index("parallel_id")
        shared = s.index.intersection(t.index)
        if len(shared):
            sp, sg = np.array(list(s.loc[shared, "prediction"]), dtype=object), np.array(list(s.loc[shared, "gold"]), dtype=object)
            tp, tg = np.array(list(t.loc[shared, "prediction"]), dtype=object), np.array(list(t.loc[shared, "gold"]), dtype=object)
            value = self.value_of(sp, sg) - self.value_of(tp, tg)
            if not np.isfinite(value):
                return Estimate(float("nan"), float("nan"), float("nan"), len(shared)), True
            est = bootstrap_statistic(len(shared), lambda i: self._resampled(sp[i], sg[i]) - self._resampled(tp[i], tg[i]), rng)
            return Estimate(value, est.ci_low, est.ci_high, est.n), True
        a, b = self.estimate(src, 0, ("s",)), self.estimate(tgt, 0, ("t",))
        # Different items: the CI of a difference of independent estimates (normal approximation).
        half = np.hypot((a.ci_high - a.ci_low) / 2, (b.ci_high - b.ci_low) / 2)
        gap = a.value - b.value
        return Estimate(gap, gap - half, gap + half, min(a.n, b.n)), False


def _spearman(preds: np.ndarray, golds: np.ndarray) -> float:
    """Pearson correlation of average ranks (= scipy.stats.spearmanr, without its per-call checks:
    the bootstrap calls this thousands of times)."""
    x, y = preds.astype(float), golds.astype(float)
    if len(x) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    rx, ry = sps.rankdata(x), sps.rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    return float(rx @ ry / np.sqrt((rx @ rx) * (ry @ ry)))


def _present(value) -> bool:
    """Not None, NaN (pandas' missing value) or empty."""
    return not (value is None or (isinstance(value, float) and np.isnan(value)) or value == "")


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


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "share of items classified correctly, x100"),
        Metric("p@1", "precision at 1: share of sentences whose nearest neighbour is their translation, x100"),
        CorpusMetric("spearman", "Spearman rank correlation between model similarity and gold score, x100",
                     statistic=_spearman),
        CorpusMetric("mining_f1", "BUCC-style F1 of the pairs mined above a margin threshold, x100",
                     statistic=_mining_f1),
        Metric("ndcg@10", "nDCG@10 with the item's own passage as the one relevant passage, x100",
               item_score=_ndcg_at_10),
        Metric("mrr@10", "mean reciprocal rank of the relevant passage, cut at 10, x100", item_score=_mrr_at_10),
    ]
}
