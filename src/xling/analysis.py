"""Analyses over the prediction table. Each is a query over (task, setting, language, item)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import paired_difference, seed_for, unpaired_difference


def transfer_gap(pred: pd.DataFrame, sources: dict[str, str], seed: int, scale: float = 100.0,
                 metrics: dict | None = None) -> list[dict]:
    """Source-language score minus each target's, per task and setting, with a bootstrap CI.

    Paired over items that share a ``parallel_id`` in both languages (the usual case: parallel
    benchmarks); unpaired (independent resamples) when the two languages share no items.
    ``metrics`` maps a task to its metric: a corpus-level one (Spearman...) is recomputed on
    resampled items instead of averaging per-item scores.
    """
    out = []
    scored = pred.assign(score=pred["score"].fillna(0.0))
    for (task, setting), group in scored.groupby(["task", "setting"], sort=True):
        src = sources.get(task)
        by_lang = dict(tuple(group.groupby("language")))
        if src not in by_lang:
            continue
        metric = (metrics or {}).get(task)
        if metric is not None and hasattr(metric, "paired_gap"):
            for lang, rows in sorted(by_lang.items()):
                if lang == src:
                    continue
                est, paired = metric.paired_gap(by_lang[src], rows, seed_for(seed, "gap", task, setting, lang))
                if not np.isfinite(est.value):
                    continue  # no statistic on one side (every item failed, or a constant prediction)
                out.append({"task": task, "setting": setting, "source": src, "language": lang,
                            "gap": est.value, "ci_low": est.ci_low, "ci_high": est.ci_high,
                            "n": est.n, "paired": paired})
            continue
        s = by_lang[src].set_index("parallel_id")["score"]
        for lang, rows in sorted(by_lang.items()):
            if lang == src:
                continue
            t = rows.set_index("parallel_id")["score"]
            shared = s.index.intersection(t.index)
            rng = seed_for(seed, "gap", task, setting, lang)
            if len(shared):
                est = paired_difference(s.loc[shared].to_numpy(), t.loc[shared].to_numpy(), rng, scale=scale)
                paired = True
            else:
                est = unpaired_difference(s.to_numpy(), t.to_numpy(), rng, scale=scale)
                paired = False
            out.append({"task": task, "setting": setting, "source": src, "language": lang,
                        "gap": est.value, "ci_low": est.ci_low, "ci_high": est.ci_high,
                        "n": est.n, "paired": paired})
    return out


def mean_over_languages(scores: list[dict]) -> list[dict]:
    """Uniform average over languages per (task, setting, metric): every language weighs the same."""
    df = pd.DataFrame(scores)
    if df.empty:
        return []
    out = []
    for (task, setting, metric), g in df.groupby(["task", "setting", "metric"], sort=True):
        out.append({"task": task, "setting": setting, "metric": metric, "weighting": "uniform over languages",
                    "value": float(np.mean(g["value"])), "languages": int(len(g))})
    return out
