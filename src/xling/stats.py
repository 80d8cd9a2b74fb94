"""Confidence intervals by seeded bootstrap over items (``scipy.stats.bootstrap``)."""
from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

N_RESAMPLES = 2000
CONFIDENCE = 0.95
METHOD = "percentile"


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float
    ci_high: float
    n: int


def seed_for(seed: int, *key: str) -> np.random.Generator:
    """An independent, reproducible generator per (seed, key): the same numbers in any order of work."""
    return np.random.default_rng([seed, zlib.crc32("\x1f".join(key).encode("utf-8"))])


def bootstrap_mean(values: np.ndarray, rng: np.random.Generator, *, scale: float = 1.0,
                   n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """Mean of per-item scores with a percentile bootstrap CI."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n == 1 or np.all(x == x[0]):
        return Estimate(mean * scale, mean * scale, mean * scale, n)
    res = stats.bootstrap((x,), np.mean, n_resamples=n_resamples, confidence_level=confidence,
                          method=METHOD, random_state=rng, vectorized=True)
    ci = res.confidence_interval
    return Estimate(mean * scale, float(ci.low) * scale, float(ci.high) * scale, n)


def bootstrap_statistic(n: int, statistic: Callable[[np.ndarray], float], rng: np.random.Generator, *,
                        n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """Any statistic of a set of items (F1, Spearman...), given as a function of item indices."""
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    value = float(statistic(np.arange(n)))
    if n == 1:
        return Estimate(value, value, value, 1)
    res = stats.bootstrap((np.arange(n),), lambda idx: statistic(idx), n_resamples=n_resamples,
                          confidence_level=confidence, method=METHOD, random_state=rng, vectorized=False)
    ci = res.confidence_interval
    return Estimate(value, float(ci.low), float(ci.high), n)


def paired_difference(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, *, scale: float = 1.0,
                      n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """mean(a) - mean(b) over the same items, resampling items jointly (a paired bootstrap)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return bootstrap_mean(d, rng, scale=scale, n_resamples=n_resamples, confidence=confidence)


def unpaired_difference(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, *, scale: float = 1.0,
                        n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """mean(a) - mean(b) for different item sets: both resampled independently."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    value = (a.mean() - b.mean()) * scale
    if len(a) < 2 or len(b) < 2:
        return Estimate(float(value), float(value), float(value), min(len(a), len(b)))
    res = stats.bootstrap((a, b), lambda x, y, axis=-1: x.mean(axis=axis) - y.mean(axis=axis),
                          n_resamples=n_resamples, confidence_level=confidence, method=METHOD,
                          random_state=rng, vectorized=True)
    ci = res.confidence_interval
    return Estimate(float(value), float(ci.low) * scale, float(ci.high) * scale, min(len(a), len(b)))
