"""Rank uncertainty: a paired bootstrap over the shared items of every cell.

Each replicate resamples the items of every (task, setting, language) cell once, the same items
for every model, and recomputes each model's cell metric on them (a metric that is not a mean of
per-item scores, e.g. entity F1, is recomputed from the resampled rows). A view (overall, one
language, one task, a family, a script, a resource class) averages its cells: the mean over tasks
of the mean over each task's cells. From the replicates of a view come each model's CI, its rank
interval (the 2.5th and 97.5th percentiles of its rank) and, for every pair of models, a
two-sided bootstrap p-value of their difference, Holm-corrected over the pairs of the view.
Tie groups: models in score order; a model joins the current group unless it is significantly
worse (after Holm) than the group's first model, in which case it starts the next group.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..scoring.stats import CONFIDENCE, holm, percentile_ci, resample_batch, seed_for
from .cells import Shared, metric_of

N_RESAMPLES = 1000
ALPHA = 0.05
CORRECTION = "Holm-Bonferroni over the model pairs of each view"


@contextmanager
def frozen_heap() -> Iterator[None]:
    """statsmodels' Holm runs ``gc.collect()`` on every call (half a second in a process holding a
    run's predictions); with the existing objects frozen, a collection only scans new ones."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass
class Replicates:
    labels: list[str]
    values: np.ndarray  # (models, cells): each cell's score on the shared items
    samples: np.ndarray  # (models, cells, resamples)


def replicates(shared: Shared, seed: int, n_resamples: int = N_RESAMPLES) -> Replicates:
    labels = [e.label for e in shared.entries]
    values = np.zeros((len(labels), len(shared.cells)))
    samples = np.zeros((len(labels), len(shared.cells), n_resamples))
    for j, c in enumerate(shared.cells):
        key = (c.task, c.setting, c.language)
        n = len(c.item_ids)
        metric = metric_of(c.metric)
        resampled = []  # per model: resample indices -> the score of each resample
        for i, label in enumerate(labels):
            rows = shared.rows[(label, key)]
            if metric.mean_of_items:
                scores = metric.item_scores(rows) * metric.scale
                values[i, j] = scores.mean()
                resampled.append(lambda idx, scores=scores: scores[idx].mean(axis=1))
            else:
                on = metric.on_items(rows)
                values[i, j] = on(np.arange(n))
                resampled.append(lambda idx, on=on: [on(r) for r in idx])
        # the same resamples for every model, drawn in batches when a cell has many items
        rng = seed_for(seed, "leaderboard-ranks", *key)
        batch = resample_batch(n, n_resamples) or n_resamples
        for start in range(0, n_resamples, batch):
            idx = rng.integers(0, n, size=(min(batch, n_resamples - start), n))
            for i, score_of in enumerate(resampled):
                samples[i, j, start : start + len(idx)] = score_of(idx)
    return Replicates(labels, np.nan_to_num(values), np.nan_to_num(samples))


def view_weights(shared: Shared, members: list[int]) -> np.ndarray:
    """Cell weights of a view over the cells ``members``: the mean over tasks of the mean of each
    task's cells, so a task with many languages or settings counts once."""
    w = np.zeros(len(shared.cells))
    tasks = {shared.cells[j].task for j in members}
    for t in tasks:
        mine = [j for j in members if shared.cells[j].task == t]
        w[mine] = 1.0 / (len(tasks) * len(mine))
    return w


def standings(rep: Replicates, weights: np.ndarray, alpha: float = ALPHA) -> tuple[list[dict], list[dict]]:
    """Rows (one per model: score, CI, rank, rank interval, tie group) and the pairwise tests."""
    score = rep.values @ weights
    samples = np.einsum("mcb,c->mb", rep.samples, weights)
    m, b = samples.shape
    # rank 1 is the best; a model shares the best rank of those it ties with
    ranks = 1 + (samples[None, :, :] > samples[:, None, :]).sum(axis=1)
    point = 1 + (score[None, :] > score[:, None]).sum(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    pairs = []
    for i, j in combinations(range(m), 2):
        d = samples[i] - samples[j]
        p = min(1.0, 2 * (min((d <= 0).sum(), (d >= 0).sum()) + 1) / (b + 1))
        pairs.append({"a": rep.labels[i], "b": rep.labels[j], "difference": float(score[i] - score[j]), "p": p})
    reject, adjusted = holm([p["p"] for p in pairs], alpha)
    for p, r, a in zip(pairs, reject, adjusted):
        p["p_holm"], p["significant"] = a, bool(r)
    significant = {(p["a"], p["b"]): p["significant"] for p in pairs}
    significant |= {(bb, aa): s for (aa, bb), s in significant.items()}
    order = sorted(range(m), key=lambda i: (-score[i], rep.labels[i]))
    group, leader, groups = 0, None, {}
    for i in order:
        if leader is None or significant[(rep.labels[leader], rep.labels[i])]:
            group, leader = group + 1, i
        groups[i] = group
    rows = []
    for i in order:
        low, high = percentile_ci(samples[i])
        r_low, r_high = np.percentile(ranks[i], [tail, 100 - tail])
        rows.append(
            {
                "model": rep.labels[i],
                "score": float(score[i]),
                "ci_low": low,
                "ci_high": high,
                "rank": int(point[i]),
                "rank_low": int(np.floor(r_low)),
                "rank_high": int(np.ceil(r_high)),
                "tie_group": groups[i],
            }
        )
    return rows, pairs
