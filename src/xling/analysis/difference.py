"""The difference of one metric between two sets of rows, with the metric recomputed on every
resample: for metrics of the whole set (entity F1, token accuracy, Spearman) the difference of
two values is not the mean of per-item differences, and can even have the other sign."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring.metrics import Metric
from ..scoring.stats import CONFIDENCE, N_RESAMPLES, PERMUTATIONS, Estimate, TestResult, percentile_ci


def _pairs(keys_a: np.ndarray, keys_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the items both sides have (the first row of each shared key), aligned."""
    a = pd.Series(np.arange(len(keys_a)), index=keys_a)
    b = pd.Series(np.arange(len(keys_b)), index=keys_b)
    a, b = a[~a.index.duplicated()], b[~b.index.duplicated()]
    shared = a.index.intersection(b.index)
    return a.loc[shared].to_numpy(dtype=np.int64), b.loc[shared].to_numpy(dtype=np.int64)


def _draw(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` indices into ``range(n)``, drawn with replacement."""
    return rng.integers(0, n, n) if n else np.zeros(0, dtype=np.int64)


def metric_difference(
    metric: Metric,
    rows_a: pd.DataFrame,
    rows_b: pd.DataFrame,
    rng: np.random.Generator,
    key: str = "parallel_id",
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple[Estimate, bool]:
    """metric(rows_a) - metric(rows_b): exactly the difference of the two reported values, with a
    percentile bootstrap CI that recomputes the metric on both sides of every replicate.

    Items both sides have (same ``key``) are resampled jointly (paired); the rest of each side's
    rows are resampled on their own, so every row counts as in the reported value. Returns the
    estimate (``n``: paired items) and whether any items were paired.
    """
    fa, fb = metric.on_items(rows_a), metric.on_items(rows_b)
    all_a, all_b = np.arange(len(rows_a)), np.arange(len(rows_b))
    value = fa(all_a) - fb(all_b)
    pa, pb = _pairs(rows_a[key].to_numpy(), rows_b[key].to_numpy())
    only_a, only_b = np.setdiff1d(all_a, pa), np.setdiff1d(all_b, pb)
    if not np.isfinite(value) or max(len(all_a), len(all_b)) < 2:
        return Estimate(float(value), float(value), float(value), len(pa)), bool(len(pa))
    reps = np.empty(n_resamples)
    for r in range(n_resamples):
        s = _draw(rng, len(pa))
        reps[r] = fa(np.concatenate([pa[s], only_a[_draw(rng, len(only_a))]])) - fb(
            np.concatenate([pb[s], only_b[_draw(rng, len(only_b))]])
        )
    low, high = percentile_ci(reps, confidence)
    return Estimate(float(value), low, high, len(pa)), bool(len(pa))


def permutation_difference_test(
    metric: Metric,
    rows_a: pd.DataFrame,
    rows_b: pd.DataFrame,
    rng: np.random.Generator,
    n_resamples: int = PERMUTATIONS,
) -> TestResult:
    """Two-sided paired permutation test of metric(rows_a) - metric(rows_b) on aligned rows (row i
    of both is the same item): each permutation swaps the two sides' rows of random items and
    recomputes the metric (``scipy.stats.permutation_test``, paired samples)."""
    n = len(rows_a)
    both = metric.on_items(pd.concat([rows_a, rows_b], ignore_index=True))
    observed = both(np.arange(n)) - both(np.arange(n, 2 * n))
    if n < 2 or not np.isfinite(observed):
        return TestResult("paired-permutation", 1.0, n, float(observed))

    def statistic(x, y):
        return both(np.asarray(x, dtype=np.int64)) - both(np.asarray(y, dtype=np.int64))

    from scipy.stats import permutation_test

    res = permutation_test(
        (np.arange(n), np.arange(n, 2 * n)),
        statistic,
        permutation_type="samples",
        n_resamples=n_resamples,
        alternative="two-sided",
        vectorized=False,
        random_state=rng,
    )
    return TestResult("paired-permutation", float(res.pvalue), n, float(observed))
