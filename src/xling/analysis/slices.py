"""Scores by item metadata: per slice value (Global-MMLU's culturally-sensitive items, an exam's
subject...) a score with its bootstrap CI, and the transfer gap on the slice's items, paired over
parallel items; and across tasks, the mean score by how the items were made (``creation``)."""

from __future__ import annotations

import pandas as pd

from ..scoring.metrics import METRICS, Metric
from .gap import transfer_gap

SLICE_COLUMNS = ["task", "language", "item_id", "slice", "value"]


def _sliced(frame: pd.DataFrame, slices: pd.DataFrame) -> pd.DataFrame:
    """The prediction rows of sliced tasks, one per (row, slice field), with ``slice`` and ``value``."""
    if frame.empty or slices.empty:
        return frame.iloc[:0].assign(slice=[], value=[])
    return frame.merge(slices[SLICE_COLUMNS], on=["task", "language", "item_id"], how="inner")


def sliced_scores(frame: pd.DataFrame, slices: pd.DataFrame, seed: int, metrics: dict | None = None) -> list[dict]:
    """Per task, setting, language, slice field and value: the task's metric on those items, with
    a bootstrap CI (error rows score 0, as in the language's score)."""
    out = []
    for (task, setting, lang, name, value), rows in _sliced(frame, slices).groupby(
        ["task", "setting", "language", "slice", "value"], sort=True
    ):
        metric: Metric = (metrics or {}).get(task) or METRICS["accuracy"]
        est = metric.estimate(rows, seed, (task, setting, lang, "slice", name, value))
        out.append(
            {
                "task": task,
                "setting": setting,
                "language": lang,
                "slice": name,
                "value": value,
                "metric": metric.name,
                "score": est.value,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "n": est.n,
            }
        )
    return out


def sliced_gaps(
    frame: pd.DataFrame, slices: pd.DataFrame, sources: dict[str, str], seed: int, metrics: dict | None = None
) -> list[dict]:
    """The transfer gap (source-language score minus each language's) within each slice value,
    paired over the slice's parallel items (:func:`~xling.analysis.gap.transfer_gap`)."""
    out = []
    for (name, value), rows in _sliced(frame, slices).groupby(["slice", "value"], sort=True):
        for row in transfer_gap(rows.drop(columns=["slice", "value"]), sources, seed, metrics=metrics):
            out.append({**row, "slice": name, "value": value})
    return sorted(out, key=lambda r: (r["task"], r["setting"], r["slice"], r["value"], r["language"]))


def by_creation(scores: list[dict], creations: dict[str, str], metrics: dict | None = None) -> list[dict]:
    """Per setting, language and ``creation`` (native, human- or machine-translated): the uniform
    mean of the language's task scores (each task's primary metric) over the tasks made that way."""
    df = pd.DataFrame(scores)
    if df.empty:
        return []
    primary = {t: m.name for t, m in (metrics or {}).items()}
    df = df[[primary.get(t, m) == m for t, m in zip(df["task"], df["metric"], strict=True)]]
    df = df[df["task"].isin(list(creations))].assign(creation=lambda d: d["task"].map(creations))
    return [
        {
            "setting": setting,
            "language": lang,
            "creation": creation,
            "value": float(g["value"].astype(float).mean()),  # NaN (a failed score) skipped; all NaN: NaN
            "tasks": sorted(g["task"]),
            "weighting": "uniform over tasks",
        }
        for (setting, lang, creation), g in df.groupby(["setting", "language", "creation"], sort=True)
    ]
