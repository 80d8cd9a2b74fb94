"""Averages over languages that state their weighting: uniform, or by family, script or tier."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..languages import meta as langmeta


def mean_over_languages(scores: list[dict]) -> list[dict]:
    """Uniform average over languages per (task, setting, metric): every language weighs the same."""
    df = pd.DataFrame(scores)
    if df.empty:
        return []
    out = []
    for (task, setting, metric), g in df.groupby(["task", "setting", "metric"], sort=True):
        vals = g["value"].astype(float)
        out.append(
            {
                "task": task,
                "setting": setting,
                "metric": metric,
                "weighting": "uniform over languages",
                "value": float(np.nanmean(vals)) if vals.notna().any() else float("nan"),
                "languages": int(len(g)),
            }
        )
    return out


def grouped_scores(scores: list[dict], by: str) -> list[dict]:
    """Per (task, setting, metric) and group (a family, script or resource tier): the uniform mean
    over the group's languages, and across groups the uniform mean over groups (so a family with
    ten languages weighs as much as an isolate). Languages whose group is unknown are a group of
    their own: the across-group mean covers every language."""
    df = pd.DataFrame(scores)
    if df.empty:
        return []
    df = df.assign(group=[langmeta.group_of(c, by) for c in df["language"]])
    out = []
    for (task, setting, metric), g in df.groupby(["task", "setting", "metric"], sort=True):
        per_group = []
        for group, rows in g.groupby("group", sort=True):
            vals = rows["value"].astype(float)
            value = float(np.nanmean(vals)) if vals.notna().any() else float("nan")
            per_group.append(value)
            out.append(
                {
                    "task": task,
                    "setting": setting,
                    "metric": metric,
                    "by": by,
                    "group": group,
                    "weighting": f"uniform over the {by}'s languages",
                    "value": value,
                    "min": float(vals.min()),
                    "max": float(vals.max()),
                    "languages": sorted(rows["language"]),
                }
            )
        unknown = f"; languages of unknown {by} are one group" if (g["group"] == langmeta.UNKNOWN).any() else ""
        out.append(
            {
                "task": task,
                "setting": setting,
                "metric": metric,
                "by": by,
                "group": f"(all, per {by})",
                "weighting": f"uniform over {by} groups{unknown}",
                "value": float(np.nanmean(per_group)),
                "min": float(np.nanmin(per_group)),
                "max": float(np.nanmax(per_group)),
                "languages": sorted(g["language"]),
            }
        )
    return out
