"""Analyses over the prediction table. Each is a query over (task, setting, language, item)."""

from __future__ import annotations

import pandas as pd

from .aggregate import grouped_scores, mean_over_languages
from .consistency import consistency, flipped_items, not_applicable
from .gap import transfer_gap
from .significance import language_pairs
from .slices import SLICE_COLUMNS, by_creation, sliced_gaps, sliced_scores

__all__ = [
    "transfer_gap",
    "mean_over_languages",
    "grouped_scores",
    "consistency",
    "flipped_items",
    "language_pairs",
    "sliced_scores",
    "sliced_gaps",
    "by_creation",
    "run_analyses",
]


def run_analyses(
    frame: pd.DataFrame,
    scores: list[dict],
    sources: dict[str, str],
    seed: int,
    metrics: dict | None = None,
    kinds: dict[str, str] | None = None,
    slices: pd.DataFrame | None = None,
    creations: dict[str, str] | None = None,
) -> dict:
    """What results.json records under ``analyses`` (``metrics``, ``kinds``: each task's metric
    and kind name; ``slices``: each sliced item's slice values, columns ``SLICE_COLUMNS``;
    ``creations``: each task's ``creation``)."""
    from ..languages.meta import GROUPINGS, info
    from ..languages.meta import sources as meta_sources

    slices = pd.DataFrame(columns=SLICE_COLUMNS) if slices is None else slices
    langs = sorted(set(frame["language"])) if not frame.empty else []
    return {
        "transfer_gap": transfer_gap(frame, sources, seed, metrics=metrics),
        "averages": mean_over_languages(scores),
        "grouped_averages": [row for by in GROUPINGS for row in grouped_scores(scores, by)],
        "consistency": consistency(frame, seed, sources=sources, kinds=kinds),
        "consistency_not_applicable": not_applicable(frame, kinds),
        "slices": sliced_scores(frame, slices, seed, metrics=metrics),
        "slice_gaps": sliced_gaps(frame, slices, sources, seed, metrics=metrics),
        "by_creation": by_creation(scores, creations or {}, metrics=metrics),
        "languages": {"metadata": [info(c).as_dict() for c in langs], "sources": meta_sources()},
    }
