"""Paired significance between languages on the same items, with Holm's correction.

McNemar (mid-p) for 0/1 per-item scores, a paired permutation test for continuous ones, and for
a metric that is not a mean of per-item scores (entity F1, token accuracy) a paired permutation
test that recomputes the metric; the family for Holm-Bonferroni is every comparison one call
returns (state it when you report it). Run-against-run comparisons live in ``xling.analysis.compare``.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ..scoring.metrics import Metric
from ..scoring.stats import holm, paired_difference, paired_test, seed_for
from .difference import metric_difference, permutation_difference_test

ALPHA = 0.05


MAX_ALL_PAIRS_LANGUAGES = 25


def language_pairs(
    pred: pd.DataFrame,
    seed: int,
    alpha: float = ALPHA,
    scale: float = 100.0,
    pairs: list[tuple[str, str]] | None = None,
    sources: dict[str, str] | None = None,
    max_languages: int = MAX_ALL_PAIRS_LANGUAGES,
    metrics: dict | None = None,
) -> list[dict]:
    """Every pair of languages per task and setting (or only ``pairs``), on shared parallel items.

    A task with more than ``max_languages`` languages is tested only against its source language
    (``sources``), so the family stays in the hundreds, not tens of thousands. ``metrics`` maps a
    task to its metric (default: the mean of per-item scores).
    """
    out = []
    scored = pred.assign(score=pred["score"].fillna(0.0)).drop_duplicates(
        ["task", "setting", "language", "parallel_id"]
    )
    for (task, setting), g in scored.groupby(["task", "setting"], sort=True):
        wide = g.pivot(index="parallel_id", columns="language", values="score")
        langs = sorted(wide.columns)
        column = {lang: wide[lang].to_numpy(dtype=float) for lang in langs}
        src = (sources or {}).get(task)
        if pairs:
            todo = pairs
        elif len(langs) > max_languages and src in langs:
            todo = [(src, lang) for lang in langs if lang != src]
        else:
            todo = list(combinations(langs, 2))
        for la, lb in todo:
            if la not in column or lb not in column:
                continue
            shared = ~np.isnan(column[la]) & ~np.isnan(column[lb])
            n = int(shared.sum())
            if n < 2:
                continue
            rng = seed_for(seed, "pair", task, setting, la, lb)
            metric = (metrics or {}).get(task)
            if metric is None or metric.mean_of_items:
                row = compare_by_items(column[la][shared], column[lb][shared], rng, scale)
            else:
                both = wide[[la, lb]][shared]
                rows = g.set_index(["language", "parallel_id"])
                # the language stays a column: a metric may depend on it (BLEU's tokenizer)
                row = compare_by_metric(
                    metric,
                    *(rows.loc[lang].loc[both.index].reset_index().assign(language=lang) for lang in (la, lb)),
                    rng,
                )
            out.append({"task": task, "setting": setting, "language_a": la, "language_b": lb, "n": n, **row})
    return correct(out, alpha)


def compare_by_items(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, scale: float) -> dict:
    """Scores, difference and test of a metric that is the mean of per-item scores."""
    test = paired_test(a, b, rng)
    diff = paired_difference(a, b, rng, scale=scale)
    return {
        "score_a": float(a.mean() * scale),
        "score_b": float(b.mean() * scale),
        "difference": diff.value,
        "ci_low": diff.ci_low,
        "ci_high": diff.ci_high,
        "test": test.test,
        "p_value": test.p_value,
        "discordant": None if test.b is None else [test.b, test.c],
    }


def compare_by_metric(metric: Metric, a: pd.DataFrame, b: pd.DataFrame, rng: np.random.Generator) -> dict:
    """Scores, difference and test of a metric of the whole set of aligned items (row i of ``a``
    and ``b`` is the same item), recomputed on every resample and permutation."""
    diff, _ = metric_difference(metric, a, b, rng)
    test = permutation_difference_test(metric, a, b, rng)
    return {
        "score_a": metric.on_items(a)(np.arange(len(a))),
        "score_b": metric.on_items(b)(np.arange(len(b))),
        "difference": diff.value,
        "ci_low": diff.ci_low,
        "ci_high": diff.ci_high,
        "test": test.test,
        "p_value": test.p_value,
        "discordant": None,
    }


def correct(rows: list[dict], alpha: float = ALPHA) -> list[dict]:
    """Add Holm-adjusted p-values and decisions over all ``rows`` (one family)."""
    reject, adjusted = holm([r["p_value"] for r in rows], alpha)
    for r, rej, adj in zip(rows, reject, adjusted, strict=True):
        r["p_holm"] = adj
        r["significant"] = bool(rej)
        r["family_size"] = len(rows)
    return rows


def significant_count(rows: list[dict]) -> int:
    return int(np.sum([r["significant"] for r in rows]))
