"""Transfer gap: the source-language score minus each target's, for every task and setting."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring.stats import Estimate, paired_difference, seed_for, unpaired_difference
from .difference import metric_difference

# Where a setting has no source-language rows (translate-test, xx->eng retrieval...), the source
# language's score under the first of these settings that exists is the reference.
REFERENCE_SETTINGS = ("in-language", "zero-shot", "source")


def reference_setting(settings_with_source: set[str], setting: str) -> str | None:
    """The setting whose source-language scores are the reference for ``setting``."""
    if setting in settings_with_source:
        return setting
    for s in REFERENCE_SETTINGS:
        if s in settings_with_source:
            return s
    return next(iter(sorted(settings_with_source)), None) if len(settings_with_source) == 1 else None


def _gap_row(task: str, setting: str, src: str, lang: str, ref: str, est: Estimate, paired: bool) -> dict:
    return {
        "task": task,
        "setting": setting,
        "source": src,
        "language": lang,
        "reference_setting": ref,
        "gap": est.value,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "n": est.n,
        "paired": paired,
    }


def transfer_gap(
    pred: pd.DataFrame, sources: dict[str, str], seed: int, scale: float = 100.0, metrics: dict | None = None
) -> list[dict]:
    """Source-language score minus each target's, per task and setting, with a bootstrap CI.

    Every setting (protocol) gets a gap: against the source language in the same setting when it
    has one, else against the source language's score in a reference setting (see
    ``REFERENCE_SETTINGS``; recorded as ``reference_setting``). Paired over items that share a
    ``parallel_id`` in both languages (the usual case: parallel benchmarks); unpaired (independent
    resamples) when the two languages share no items. The gap is always the difference of the two
    reported scores: ``metrics`` maps a task to its metric, and for one that is not a mean of
    per-item scores (entity F1, token accuracy, Spearman), or when the languages share only some
    items, the bootstrap resamples shared items jointly and the rest on their own, recomputing the
    metric on both sides of every resample (:func:`~xling.analysis.difference.metric_difference`).
    """
    out = []
    if pred.empty:
        return out
    # the columns every gap reads (a million items' predictions are not copied per group); a
    # metric that reads more gets its rows whole, by position
    scored = pred[["task", "setting", "language", "parallel_id"]].assign(
        score=pred["score"].fillna(0.0), row=np.arange(len(pred))
    )

    def whole(rows: pd.DataFrame) -> pd.DataFrame:
        return pred.iloc[rows["row"].to_numpy()].assign(score=rows["score"].to_numpy())

    for task, task_rows in scored.groupby("task", sort=True):
        src = sources.get(task)
        with_source = set(task_rows.loc[task_rows["language"] == src, "setting"])
        for setting, group in task_rows.groupby("setting", sort=True):
            ref = reference_setting(with_source, setting)
            if ref is None:
                continue
            ref_rows = task_rows[(task_rows["setting"] == ref) & (task_rows["language"] == src)]
            s = ref_rows.set_index("parallel_id")["score"]
            s = s[~s.index.duplicated()]
            metric = (metrics or {}).get(task)
            for lang, rows in group.groupby("language", sort=True):
                if lang == src:
                    continue
                t = rows.set_index("parallel_id")["score"]
                t = t[~t.index.duplicated()]
                shared = s.index.intersection(t.index)
                partly_shared = 0 < len(shared) < max(len(s), len(t))
                # the gap is the difference of the reported scores; for a mean over items that is
                # the mean of paired differences only when both languages have the same items
                if metric is not None and (not metric.mean_of_items or partly_shared):
                    est, paired = metric_difference(
                        metric, whole(ref_rows), whole(rows), seed_for(seed, "gap", task, setting, lang)
                    )
                    if np.isfinite(est.value):  # else no statistic on one side (all failed, constant output)
                        out.append(_gap_row(task, setting, src, lang, ref, est, paired))
                    continue
                rng = seed_for(seed, "gap", task, setting, lang)
                if len(shared):
                    est = paired_difference(s.loc[shared].to_numpy(), t.loc[shared].to_numpy(), rng, scale=scale)
                    paired = True
                else:
                    est = unpaired_difference(s.to_numpy(), t.to_numpy(), rng, scale=scale)
                    paired = False
                out.append(_gap_row(task, setting, src, lang, ref, est, paired))
    return out
