"""Paired significance between languages on the same items, with Holm's correction.

McNemar (mid-p) for 0/1 per-item scores, a paired permutation test for continuous ones; the
family for Holm-Bonferroni is every comparison one call returns (state it when you report it).
Run-against-run comparisons live in ``xling.compare``.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ..stats import holm, paired_difference, paired_test, seed_for

ALPHA = 0.05


MAX_ALL_PAIRS_LANGUAGES = 25


def language_pairs(pred: pd.DataFrame, seed: int, alpha: float = ALPHA, scale: float = 100.0,
                   pairs: list[tuple[str, str]] | None = None, sources: dict[str, str] | None = None,
                   max_languages: int = MAX_ALL_PAIRS_LANGUAGES) -> list[dict]:
    """Every pair of languages per task and setting (or only ``pairs``), on shared parallel items.

    A task with more than ``max_languages`` languages is tested only against its source language
    (``sources``), so the family stays in the hundreds, not tens of thousands.
    """
    out = []
    scored = pred.assign(score=pred["score"].fillna(0.0)).drop_duplicates(["task", "setting", "language", "parallel_id"])
    for (task, setting), g in scored.groupby(["task", "setting"], sort=True):
        wide = g.pivot(index="parallel_id", columns="language", values="score")
        langs = sorted(wide.columns)
        src = (sources or {}).get(task)
        if pairs:
            todo = pairs
        elif len(langs) > max_languages and src in langs:
            todo = [(src, lang) for lang in langs if lang != src]
        else:
            todo = list(combinations(langs, 2))
        for la, lb in todo:
            if la not in wide or lb not in wide:
                continue
            both = wide[[la, lb]].dropna()
            if len(both) < 2:
                continue
            a, b = both[la].to_numpy(), both[lb].to_numpy()
            rng = seed_for(seed, "pair", task, setting, la, lb)
            test = paired_test(a, b, rng)
            diff = paired_difference(a, b, rng, scale=scale)
            out.append({"task": task, "setting": setting, "language_a": la, "language_b": lb, "n": len(both),
                        "score_a": float(a.mean() * scale), "score_b": float(b.mean() * scale),
                        "difference": diff.value, "ci_low": diff.ci_low, "ci_high": diff.ci_high,
                        "test": test.test, "p_value": test.p_value,
                        "discordant": None if test.b is None else [test.b, test.c]})
    return correct(out, alpha)


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
