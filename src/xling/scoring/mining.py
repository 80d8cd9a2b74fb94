"""Bitext mining metrics (BUCC): precision, recall and F1 of the mined pairs against the gold pairs.

One row per source sentence. Its prediction is the mining record ``{"candidate": pivot id or None,
"margin": ratio-margin score, "threshold": t or None, "threshold_from": where t comes from}``; its
gold is the pivot id (or list of ids) it truly pairs with, None for a sentence without a partner.
A pair is mined when its margin reaches the threshold. A row whose threshold is None is scored at
the best threshold of the rows scored with it (LASER's ``BuccOptimize``: the F1-maximising cut,
placed half-way to the next candidate's margin). A plain id as prediction (older runs) is a mined
pair.

The bootstrap resamples source sentences, each with its candidate and its gold partners; at the
best threshold the threshold is chosen again on every resample, so the CI includes that choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import CorpusMetric, _missing


@dataclass(frozen=True)
class MiningCounts:
    """Precision, recall and F1 (0-1) of a set of mined pairs, and the threshold they were mined at."""

    precision: float
    recall: float
    f1: float
    threshold: float | None


def gold_ids(gold) -> set[str]:
    """The pivot ids a source sentence pairs with (empty: no partner)."""
    if _missing(gold) or gold == "":
        return set()
    if isinstance(gold, list | tuple | np.ndarray):
        return {str(g) for g in gold if not _missing(g)}
    return {str(gold)}


def _fields(prediction) -> tuple[str | None, float, float | None]:
    """(candidate, margin, threshold) of a row; a plain id is a pair mined unconditionally."""
    if isinstance(prediction, dict):
        cand = prediction.get("candidate")
        margin = prediction.get("margin")
        return (
            None if _missing(cand) else str(cand),
            -np.inf if margin is None else float(margin),
            prediction.get("threshold"),
        )
    if _missing(prediction) or prediction == "":
        return None, -np.inf, np.inf
    return str(prediction), np.inf, -np.inf


def _prf(tp: float, mined: float, n_gold: float) -> tuple[float, float, float]:
    precision = tp / mined if mined else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return precision, recall, f1


def best_threshold(margins: np.ndarray, correct: np.ndarray, n_gold: int) -> MiningCounts:
    """The F1-maximising threshold over candidates with ``margins`` (``correct``: the candidate is a
    gold pair), as LASER's BUCC script chooses it: candidates by decreasing margin, the cut after
    the best prefix placed half-way to the next margin (just below the last one kept when none
    follows). No correct candidate: F1 0 at threshold +inf (nothing mined)."""
    order = np.argsort(-margins, kind="stable")
    m, ok = margins[order], correct[order].astype(float)
    tp = np.cumsum(ok)
    mined = np.arange(1, len(m) + 1)
    if len(m) == 0 or tp[-1] == 0 or n_gold == 0:
        return MiningCounts(0.0, 0.0, 0.0, float("inf"))
    f1 = 2 * tp / (mined + n_gold)
    i = int(np.argmax(f1))
    threshold = (m[i] + m[i + 1]) / 2 if i + 1 < len(m) else float(np.nextafter(m[i], -np.inf))
    return MiningCounts(*_prf(tp[i], mined[i], n_gold), float(threshold))


def mining_counts(preds, golds) -> MiningCounts:
    """Precision, recall and F1 of the rows' mined pairs: at each row's threshold, or at the best one
    where the rows carry none."""
    fields = [_fields(p) for p in preds]
    golds = [gold_ids(g) for g in golds]
    n_gold = sum(len(g) for g in golds)
    cands = [(c, m, g) for (c, m, _), g in zip(fields, golds, strict=True) if c is not None]
    margins = np.array([m for _, m, _ in cands], dtype=float)
    correct = np.array([c in g for c, _, g in cands], dtype=bool)
    thresholds = {t for c, _, t in fields if c is not None}
    if None in thresholds:
        return best_threshold(margins, correct, n_gold)
    if len(thresholds) > 1:
        raise ValueError(f"mining rows scored at several thresholds: {sorted(thresholds)}")
    threshold = thresholds.pop() if thresholds else None
    mined = margins >= (threshold if threshold is not None else np.inf)
    return MiningCounts(*_prf(float((mined & correct).sum()), float(mined.sum()), n_gold), threshold)


def threshold_extras(rows) -> dict:
    """The threshold a unit's pairs were mined at and where it was chosen, for the score row."""
    ok = rows["error"].isna().to_numpy()
    preds = [p for p, good in zip(rows["prediction"], ok) if good]
    froms = {p.get("threshold_from") for p in preds if isinstance(p, dict)}
    if not froms:
        return {}
    counts = mining_counts(preds, [g for g, good in zip(rows["gold"], ok) if good])
    threshold = counts.threshold if counts.threshold is None or np.isfinite(counts.threshold) else None
    return {"threshold": threshold, "threshold_from": ", ".join(sorted(str(f) for f in froms))}


@dataclass(frozen=True)
class MiningMetric(CorpusMetric):
    """One of precision, recall or F1 of the mined pairs (``part``), with the threshold in its score row."""

    part: str = "f1"

    def value_of(self, preds: np.ndarray, golds: np.ndarray) -> float:
        if len(preds) == 0:
            return float("nan")
        return getattr(mining_counts(preds, golds), self.part) * self.scale

    def extras(self, rows) -> dict:
        return threshold_extras(rows)


MINING_METRICS = [
    MiningMetric(
        "mining_f1",
        "BUCC F1 of the mined pairs (ratio margin at or above the task's threshold) against the gold pairs, x100",
        part="f1",
    ),
    MiningMetric("mining_precision", "share of the mined pairs that are gold pairs, x100", part="precision"),
    MiningMetric("mining_recall", "share of the gold pairs that were mined, x100", part="recall"),
]
