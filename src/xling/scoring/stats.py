"""Confidence intervals by seeded bootstrap over items (``scipy.stats.bootstrap``)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _scipy_stats():
    from scipy import stats  # imported on first use: it costs ~1.5 s, and `xling --help` needs none of it

    return stats


N_RESAMPLES = 2000
CONFIDENCE = 0.95
METHOD = "percentile"
#: Above this many resampled item indices (items x resamples) a bootstrap draws its resamples in
#: batches, so its memory stays flat however many items a language has (2000 x 100,000 indices
#: would take 1.6 GB at once; a batch at most 16 MB of indices and as much of values). Batches
#: draw the very numbers one call would (numpy's bounded integers carry nothing between calls;
#: tests check it), so no score depends on the batch.
MAX_DRAWS = 2_000_000


#: Scores with at most this many distinct values (0/1 accuracy, a 1-5 rating, a difference of two
#: 0/1 scores) are resampled as how many times each value is drawn: a resample of n items drawn
#: with replacement holds each value Multinomial(n, share of that value) times, so its mean has the
#: very distribution index resampling gives, in k numbers per resample instead of n.
FEW_VALUES = 32


def resample_batch(n: int, n_resamples: int = N_RESAMPLES) -> int | None:
    """Resamples per batch for ``n`` items (None: all at once)."""
    return None if n * n_resamples <= MAX_DRAWS else max(1, MAX_DRAWS // max(n, 1))


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float
    ci_high: float
    n: int


def seed_for(seed: int, *key: str) -> np.random.Generator:
    """An independent, reproducible generator per (seed, key): the same numbers in any order of work."""
    return np.random.default_rng([seed, zlib.crc32("\x1f".join(key).encode("utf-8"))])


def bootstrap_mean(
    values: np.ndarray,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """Mean of per-item scores with a percentile bootstrap CI (``scipy.stats.bootstrap``, or counts
    per value for scores with few distinct values: :data:`FEW_VALUES`)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n == 1 or np.all(x == x[0]):
        return Estimate(mean * scale, mean * scale, mean * scale, n)
    distinct, counts = np.unique(x, return_counts=True)
    if len(distinct) <= FEW_VALUES and np.isfinite(distinct).all():
        low, high = percentile_ci(rng.multinomial(n, counts / n, size=n_resamples) @ distinct / n, confidence)
        return Estimate(mean * scale, low * scale, high * scale, n)
    res = _scipy_stats().bootstrap(
        (x,),
        np.mean,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method=METHOD,
        random_state=rng,
        vectorized=True,
        batch=resample_batch(n, n_resamples),
    )
    ci = res.confidence_interval
    return Estimate(mean * scale, float(ci.low) * scale, float(ci.high) * scale, n)


def bootstrap_statistic(
    n: int,
    statistic: Callable[[np.ndarray], float],
    rng: np.random.Generator,
    *,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """Any statistic of a set of items (F1, Spearman...), given as a function of item indices."""
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    value = float(statistic(np.arange(n)))
    if n == 1:
        return Estimate(value, value, value, 1)
    res = _scipy_stats().bootstrap(
        (np.arange(n),),
        lambda idx: statistic(idx),
        n_resamples=n_resamples,
        confidence_level=confidence,
        method=METHOD,
        random_state=rng,
        vectorized=False,
        batch=resample_batch(n, n_resamples),
    )
    ci = res.confidence_interval
    return Estimate(value, float(ci.low), float(ci.high), n)


def paired_difference(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """mean(a) - mean(b) over the same items, resampling items jointly (a paired bootstrap)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return bootstrap_mean(d, rng, scale=scale, n_resamples=n_resamples, confidence=confidence)


def unpaired_difference(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """mean(a) - mean(b) for different item sets: both resampled independently."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    value = (a.mean() - b.mean()) * scale
    if len(a) < 2 or len(b) < 2:
        return Estimate(float(value), float(value), float(value), min(len(a), len(b)))
    res = _scipy_stats().bootstrap(
        (a, b),
        lambda x, y, axis=-1: x.mean(axis=axis) - y.mean(axis=axis),
        n_resamples=n_resamples,
        confidence_level=confidence,
        method=METHOD,
        random_state=rng,
        vectorized=True,
        batch=resample_batch(len(a) + len(b), n_resamples),
    )
    ci = res.confidence_interval
    return Estimate(float(value), float(ci.low) * scale, float(ci.high) * scale, min(len(a), len(b)))


# --- Paired significance tests and multiple-comparison correction --------------------------------
# Distributions come from statsmodels/scipy; nothing here re-derives a test statistic's law.

PERMUTATIONS = 9999


@dataclass(frozen=True)
class TestResult:
    """A paired test: ``p_value`` and the counts behind it (``b``/``c``: discordant pairs for McNemar)."""

    test: str
    p_value: float
    n: int
    statistic: float
    b: int | None = None
    c: int | None = None


def is_binary(*arrays: np.ndarray) -> bool:
    """True when every score is 0 or 1 (accuracy-like metrics): McNemar applies."""
    return all(np.isin(np.asarray(a, dtype=float), (0.0, 1.0)).all() for a in arrays)


def mcnemar_test(a: np.ndarray, b: np.ndarray, *, mid_p: bool = False) -> TestResult:
    """Exact McNemar test on paired 0/1 scores (``statsmodels``), optionally the mid-p variant.

    The mid-p value (the exact p minus the point probability of the observed discordant split) is
    less conservative than the exact test and keeps closer to the nominal level.
    """
    from statsmodels.stats.contingency_tables import mcnemar

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n10 = int(((a == 1) & (b == 0)).sum())
    n01 = int(((a == 0) & (b == 1)).sum())
    n11 = int(((a == 1) & (b == 1)).sum())
    n00 = int(((a == 0) & (b == 0)).sum())
    if n10 + n01 == 0:
        return TestResult("mcnemar-mid-p" if mid_p else "mcnemar-exact", 1.0, len(a), 0.0, n10, n01)
    if mid_p:  # the exact test's statistic is the smaller discordant count
        return TestResult("mcnemar-mid-p", _mid_p(min(n10, n01), n10 + n01), len(a), float(min(n10, n01)), n10, n01)
    res = mcnemar([[n11, n10], [n01, n00]], exact=True)
    return TestResult("mcnemar-exact", float(res.pvalue), len(a), float(res.statistic), n10, n01)


def _mid_p(k: int, n: int) -> float:
    """Two-sided mid-p of ``k`` (the smaller discordant count) of ``n`` under Binomial(n, 1/2):
    the uncapped exact p, 2 P(X <= k), minus P(X = k), which is P(X <= k) + P(X <= k - 1)
    (``scipy.special.bdtr``, the binomial CDF); 1.0 when k = n / 2."""
    from scipy.special import bdtr

    return min(1.0, float(bdtr(k, n, 0.5)) + (float(bdtr(k - 1, n, 0.5)) if k > 0 else 0.0))


def permutation_test(
    a: np.ndarray, b: np.ndarray, rng: np.random.Generator, *, n_resamples: int = PERMUTATIONS
) -> TestResult:
    """Two-sided paired permutation test of mean(a - b) (``scipy.stats.permutation_test``, sign flips)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or np.allclose(a, b):
        return TestResult("paired-permutation", 1.0, len(a), float(np.mean(a - b)) if len(a) else 0.0)
    res = _scipy_stats().permutation_test(
        (a, b),
        lambda x, y, axis=-1: np.mean(x - y, axis=axis),
        permutation_type="samples",
        n_resamples=n_resamples,
        alternative="two-sided",
        vectorized=True,
        random_state=rng,
    )
    return TestResult("paired-permutation", float(res.pvalue), len(a), float(res.statistic))


def paired_test(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, *, mid_p: bool = True) -> TestResult:
    """McNemar (mid-p) for 0/1 scores, a paired permutation test otherwise."""
    if is_binary(a, b):
        return mcnemar_test(a, b, mid_p=mid_p)
    return permutation_test(a, b, rng)


def holm(p_values: list[float], alpha: float = 0.05) -> tuple[list[bool], list[float]]:
    """Holm-Bonferroni step-down correction (``statsmodels.stats.multitest.multipletests``).

    Returns (reject, adjusted p-values) in the input order. NaN p-values stay NaN and never reject.
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    ok = np.isfinite(p)
    reject = np.zeros(len(p), dtype=bool)
    adjusted = np.full(len(p), np.nan)
    if ok.any():
        r, adj, _, _ = multipletests(p[ok], alpha=alpha, method="holm")
        reject[ok], adjusted[ok] = r, adj
    return reject.tolist(), adjusted.tolist()


def percentile_ci(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates (NaN replicates ignored)."""
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    if not len(s):
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(s, [tail, 100 - tail])
    return float(lo), float(hi)
