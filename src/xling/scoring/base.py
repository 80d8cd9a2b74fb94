"""The three families of metric: how a unit's per-item rows become one number (0-100 scale).

A :class:`Metric` is the mean of per-item scores (accuracy, P@1, nDCG@10...) with a bootstrap CI
over items; a :class:`CorpusMetric` is a statistic of the whole set of rows (Spearman, mining F1)
with a bootstrap CI that recomputes the statistic on resampled items; a :class:`CountMetric` sums
per-item counts (entity F1, token accuracy, corpus BLEU) and recombines them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .stats import Estimate, bootstrap_mean, bootstrap_statistic, seed_for

if TYPE_CHECKING:  # pandas and scipy load when scores are computed, after the model has run
    import pandas as pd


def _missing(value) -> bool:
    """None or NaN (pandas' missing value)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _is_error(err) -> bool:
    """A row's ``error`` holds a message."""
    return not _missing(err)


def decoded(text: str | bytes | None) -> object:
    """A stored prediction's value (None for a row without one)."""
    return json.loads(text) if isinstance(text, (str, bytes)) else None


def may_hold(rows: pd.DataFrame, key: str) -> np.ndarray:
    """Per row, whether its prediction can be a record with ``key``: False for a row whose
    :data:`~xling.results.PREDICTION_JSON` text does not hold ``"key"`` (or that has no
    prediction), so a million log-likelihood records need no decoding to learn they have no
    ``seeds``; True for every row of decoded predictions."""
    from ..results import PREDICTION_JSON

    if PREDICTION_JSON not in rows:
        return np.ones(len(rows), dtype=bool)
    texts = rows[PREDICTION_JSON]
    return texts.str.contains(json.dumps(key), regex=False).fillna(False).to_numpy(dtype=bool)


def with_predictions(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with a decoded ``prediction`` column, from their :data:`~xling.results.PREDICTION_JSON`
    text when they hold it (rows that have ``prediction`` are returned as they are)."""
    import pandas as pd

    from ..results import PREDICTION_JSON  # with pandas: after the model phase

    if PREDICTION_JSON not in rows:
        return rows

    values = pd.Series([decoded(v) for v in rows[PREDICTION_JSON]], index=rows.index, dtype=object)
    out = rows.assign(**{PREDICTION_JSON: values})
    return out.rename(columns={PREDICTION_JSON: "prediction"})


def generated_text(prediction) -> str | None:
    """The scored text of a generation: a generation kind's record (``{"output": ...}``) gives its
    ``output`` (empty when the record was scored as 0, e.g. for being in the wrong language); a
    plain string is itself; an error row's missing prediction is None."""
    if _missing(prediction):
        return None
    if isinstance(prediction, dict):
        return "" if prediction.get("zeroed") else prediction.get("output")
    return str(prediction)


def _or_stored(value: float | None, stored: float) -> float:
    return stored if value is None else value


@dataclass(frozen=True)
class Metric:
    """A metric that is the mean of per-item scores (accuracy, P@1, EM, token F1...)."""

    # False for metrics of the whole set of rows: a difference of two such values is not the mean
    # of per-item differences, so paired comparisons recompute the metric (``on_items``).
    mean_of_items: ClassVar[bool] = True

    name: str
    description: str
    scale: float = 100.0
    # Per-item score from a row's prediction and gold; None (or an item_score that returns None
    # for a row): the row's stored ``score``.
    item_score: Callable[[object, object], float | None] | None = None

    def item_scores(self, rows: pd.DataFrame) -> np.ndarray:
        """Per-item scores of the rows; error rows score 0."""
        stored = rows["score"].to_numpy(dtype=float)
        if self.item_score is None:
            values = stored
        else:
            rows = with_predictions(rows)
            values = np.array(
                [
                    np.nan if _is_error(err) else _or_stored(self.item_score(p, g), s)
                    for p, g, err, s in zip(rows["prediction"], rows["gold"], rows["error"], stored)
                ],
                dtype=float,
            )
        return np.nan_to_num(values, nan=0.0)

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        """Value and bootstrap CI over the unit's scored items (error rows score 0)."""
        return bootstrap_mean(self.item_scores(rows), seed_for(seed, *key), scale=self.scale)

    def on_items(self, rows: pd.DataFrame) -> Callable[[np.ndarray], float]:
        """The metric of the rows at positional indices ``idx`` (0-100 scale, as reported):
        ``on_items(rows)(np.arange(len(rows)))`` is the unit's value, a resample is a bootstrap
        replicate."""
        scores = self.item_scores(rows)
        return lambda idx: float(scores[idx].mean()) * self.scale if len(idx) else float("nan")

    @property
    def reads_predictions(self) -> bool:
        """Whether :meth:`estimate` reads the rows' predictions (else only their stored scores)."""
        return self.item_score is not None

    def extras(self, rows: pd.DataFrame) -> dict:
        """Extra fields for the score object: ``per_seed`` values when the kind ran several seeds
        (its predictions are ``{"seeds": [...], "scores": [...]}``, see kinds/finetune/protocol.py)."""
        if not len(rows) or not may_hold(rows, "scores").all():
            return {}
        per_item = [p.get("scores") if isinstance(p, dict) else None for p in with_predictions(rows)["prediction"]]
        if not per_item or any(s is None for s in per_item) or len({len(s) for s in per_item}) != 1:
            return {}
        return {"per_seed": [float(v) * self.scale for v in np.asarray(per_item, dtype=float).mean(axis=0)]}


@dataclass(frozen=True)
class CorpusMetric(Metric):
    """A statistic over all of a unit's rows (``statistic(predictions, golds) -> float`` on 0-1 or
    -1..1), with a bootstrap CI. Rows with errors have no prediction and are left out of the
    statistic (they are counted in the score's ``errors``)."""

    mean_of_items: ClassVar[bool] = False
    reads_predictions: ClassVar[bool] = True

    statistic: Callable[[np.ndarray, np.ndarray], float] | None = None

    def _arrays(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        ok = rows["error"].isna().to_numpy()
        preds = np.array(list(with_predictions(rows)["prediction"][ok]), dtype=object)
        golds = np.array(list(rows["gold"][ok]), dtype=object)
        return preds, golds

    def value_of(self, preds: np.ndarray, golds: np.ndarray) -> float:
        if len(preds) == 0:
            return float("nan")
        return float(self.statistic(preds, golds)) * self.scale

    def _resampled(self, preds: np.ndarray, golds: np.ndarray) -> float:
        """The statistic on a bootstrap resample; where it is undefined there (e.g. every
        resampled gold equal, possible with few items) it counts as 0, which widens the CI."""
        v = self.value_of(preds, golds)
        return 0.0 if np.isnan(v) else v

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        preds, golds = self._arrays(rows)
        value = self.value_of(preds, golds)
        if not np.isfinite(value):
            return Estimate(float("nan"), float("nan"), float("nan"), len(preds))
        est = bootstrap_statistic(len(preds), lambda idx: self._resampled(preds[idx], golds[idx]), seed_for(seed, *key))
        return Estimate(value, est.ci_low, est.ci_high, est.n)

    def on_items(self, rows: pd.DataFrame) -> Callable[[np.ndarray], float]:
        ok = rows["error"].isna().to_numpy()
        preds = np.array(list(with_predictions(rows)["prediction"]), dtype=object)
        golds = np.array(list(rows["gold"]), dtype=object)

        def value(idx: np.ndarray) -> float:
            kept = idx[ok[idx]]  # error rows stay out of the statistic, as in ``estimate``
            return self.value_of(preds[kept], golds[kept])

        return value


@dataclass(frozen=True)
class CountMetric(Metric):
    """A statistic of the whole unit built from additive per-item counts (entity F1, token accuracy).

    ``counts(prediction, gold)`` turns one item into a vector of additive counts (e.g. true
    positives, predicted and gold entities); ``combine(summed counts)`` makes the value in 0-1.
    With several seeds (predictions ``{"seeds": [...]}``) the value is the mean over seeds. The
    CI resamples items (``stats.bootstrap_statistic``) and recombines their counts.
    """

    mean_of_items: ClassVar[bool] = False
    reads_predictions: ClassVar[bool] = True

    counts: Callable[[object, object], np.ndarray] | None = None
    combine: Callable[[np.ndarray], float] | None = None

    def _count_matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """(items, seeds, counts); an error row counts its gold with nothing predicted."""
        preds = list(with_predictions(rows)["prediction"])
        golds = list(rows["gold"])
        n_seeds = max((len(p["seeds"]) for p in preds if isinstance(p, dict)), default=1)
        out = []
        for pred, gold in zip(preds, golds, strict=True):
            seeds = pred["seeds"] if isinstance(pred, dict) else [pred] * n_seeds
            out.append([self.counts(s, gold) for s in seeds])
        return np.asarray(out, dtype=float)

    def estimate(self, rows: pd.DataFrame, seed: int, key: tuple[str, ...]) -> Estimate:
        counts = self._count_matrix(rows)
        if counts.size == 0:
            return Estimate(float("nan"), float("nan"), float("nan"), 0)
        est = bootstrap_statistic(len(counts), self._statistic(counts), seed_for(seed, *key))
        return Estimate(est.value * self.scale, est.ci_low * self.scale, est.ci_high * self.scale, est.n)

    def _statistic(self, counts: np.ndarray) -> Callable[[np.ndarray], float]:
        """The value (0-1) of the items at indices ``idx``, from their summed counts (mean over seeds)."""

        def statistic(idx: np.ndarray) -> float:
            summed = counts[idx].sum(axis=0)  # (seeds, counts)
            return float(np.mean([self.combine(c) for c in summed]))

        return statistic

    def on_items(self, rows: pd.DataFrame) -> Callable[[np.ndarray], float]:
        counts = self._count_matrix(rows)
        statistic = self._statistic(counts)
        return lambda idx: statistic(idx) * self.scale if len(idx) else float("nan")

    def extras(self, rows: pd.DataFrame) -> dict:
        counts = self._count_matrix(rows)
        if counts.size == 0 or counts.shape[1] < 2:
            return {}
        return {"per_seed": [float(self.combine(c)) * self.scale for c in counts.sum(axis=0)]}


def output_extras(rows: pd.DataFrame) -> dict:
    """What a score row says about a unit's generations (predictions that keep the model's
    ``raw`` text): ``max_tokens_hit``, how many reached their token limit, and, where outputs had
    their language identified, ``wrong_language_rate``, the share of the judged ones (long enough
    to identify) in another language than expected (None when none could be judged)."""
    rows = rows[may_hold(rows, "output")]  # a log-likelihood record has no ``output`` (its ``raw`` is a number)
    rows_of = zip(with_predictions(rows)["prediction"], rows["error"])
    preds = [p for p, err in rows_of if isinstance(p, dict) and isinstance(p.get("raw"), str) and not _is_error(err)]
    if not preds:
        return {}
    out: dict = {"max_tokens_hit": sum(bool(p.get("max_tokens_hit")) for p in preds)}
    identified = [p["output_language"] for p in preds if isinstance(p.get("output_language"), dict)]
    if identified:
        judged = [bool(o["wrong_language"]) for o in identified if o.get("wrong_language") is not None]
        out["wrong_language_rate"] = float(np.mean(judged)) if judged else None
    return out
