"""Metrics: how a unit's per-item scores become one number. Values are on a 0-100 scale."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stats import Estimate, bootstrap_mean, seed_for


@dataclass(frozen=True)
class Metric:
    """A metric that is the mean of per-item scores (accuracy, P@1, EM, token F1...)."""

    name: str
    description: str
    scale: float = 100.0

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        """Value and bootstrap CI over the unit's scored items (error rows score 0)."""
        scores = np.nan_to_num(rows["score"].to_numpy(dtype=float), nan=0.0)
        return bootstrap_mean(scores, seed_for(seed, *key), scale=self.scale)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "share of items classified correctly, x100"),
        Metric("p@1", "precision at 1: share of sentences whose nearest neighbour is their translation, x100"),
    ]
}
