"""LLM-judge verdicts: reading a judge's reply, pairwise outcomes over both orders, and how well
the judge agrees with gold (human) scores.

A reply is read after NFKC (full-width ``［［８］］`` becomes ``[[8]]``) with every Unicode
decimal digit made ASCII (Arabic-Indic, Devanagari, Bengali...). A rating is, by precedence, the
last ``[[8]]`` (MT-Bench's format, also ``[[4/5]]``), else the last ``Rating: 8`` / ``Score: 4/5``
/ ``Grade: 7 out of 10``, else the last bare ``8/10``; a pairwise verdict is the last ``[[A]]``,
``[[B]]`` or ``[[C]]`` (a tie). A reply with none is ``None``: the kind makes it an error row
that keeps the judge's text.

What the kinds store: for ``judge_score`` the row's score is the rating as a share of its scale
(:meth:`Rating.share`); for ``win_rate`` the prediction is the pair of verdicts
``[verdict with the model's answer as A, verdict with it as B]``; for the judge-validity metrics
(``pearson``, ``kendall``, the existing ``spearman``, ``exact_agreement``) the prediction is the
judge's rating and the gold the human one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import regex

from .answers import ascii_digits
from .base import CorpusMetric, Metric, _missing

_NUM = r"(\d+(?:\.\d+)?)"
_BRACKETED = regex.compile(rf"\[\[\s*{_NUM}\s*(?:/\s*{_NUM}\s*)?\]\]")
_LABELLED = regex.compile(
    rf"\b(?:rating|score|grade)\b[\s*_:=]*{_NUM}(?:\s*(?:/|out\s+of)\s*{_NUM})?", regex.IGNORECASE
)
_FRACTION = regex.compile(rf"(?<![\d./]){_NUM}\s*/\s*{_NUM}(?!\.?\d|\s*/\s*\d)")  # not a date like 12/05/2024
_PREFERENCE = regex.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", regex.IGNORECASE)


@dataclass(frozen=True)
class Rating:
    """A judge's rating; ``out_of`` is the scale the judge wrote (``4/5``), ``None`` when it wrote none."""

    value: float
    out_of: float | None = None

    def share(self, scale: float | None = None) -> float:
        """The rating as a share (0-1) of its scale: the one written, else ``scale`` (the rubric's)."""
        top = self.out_of or scale
        if not top:
            raise ValueError(f"the rating {self.value:g} has no scale: give the rubric's")
        return self.value / top


def _normalised(reply: str) -> str:
    return ascii_digits(unicodedata.normalize("NFKC", reply))


def parse_rating(reply: str) -> Rating | None:
    """The judge's rating in ``reply`` (see the module docstring), or ``None`` when it gave none."""
    text = _normalised(reply)
    for pattern in (_BRACKETED, _LABELLED, _FRACTION):
        ratings = [_rating(m) for m in pattern.finditer(text)]
        ratings = [r for r in ratings if r is not None]
        if ratings:
            return ratings[-1]
    return None


def _rating(match: regex.Match) -> Rating | None:
    """A match's rating; ``None`` where the value exceeds the scale written (not a rating)."""
    value = float(match.group(1))
    out_of = float(match.group(2)) if match.group(2) else None
    if out_of is not None and not 0 <= value <= out_of:
        return None
    return Rating(value, out_of)


def parse_preference(reply: str) -> str | None:
    """``"A"``, ``"B"`` or ``"tie"`` (``[[C]]``): the last pairwise verdict in ``reply``; ``None``: none."""
    found = _PREFERENCE.findall(_normalised(reply))
    if not found:
        return None
    last = found[-1].upper()
    return "tie" if last in ("C", "TIE") else last


_AS_A = {"A": "win", "B": "loss", "tie": "tie", "C": "tie"}
_AS_B = {"A": "loss", "B": "win", "tie": "tie", "C": "tie"}


def pairwise_outcome(as_a: str | None, as_b: str | None) -> str | None:
    """The model's outcome (``win``/``tie``/``loss``) from the verdicts of both orders: with its answer
    shown as A, then as B. Orders that disagree are a tie (MT-Bench's conservative rule); ``None``
    when a verdict is missing."""
    if as_a is None or as_b is None:
        return None
    first, second = _AS_A[as_a], _AS_B[as_b]
    return first if first == second else "tie"


@dataclass(frozen=True)
class PairwiseTally:
    """Outcomes over items; ``inconsistent`` of the ties are orders that disagreed; ``missing``:
    items without both verdicts (not in the other counts)."""

    wins: int
    ties: int
    losses: int
    inconsistent: int
    missing: int

    @property
    def win_rate(self) -> float:
        """(wins + ties / 2) / decided items; NaN with none."""
        n = self.wins + self.ties + self.losses
        return (self.wins + self.ties / 2) / n if n else float("nan")


def tally(verdicts: Iterable[tuple[str | None, str | None]]) -> PairwiseTally:
    """Win/tie/loss counts of (verdict as A, verdict as B) pairs."""
    counts = {"win": 0, "tie": 0, "loss": 0, None: 0}
    inconsistent = 0
    for as_a, as_b in verdicts:
        outcome = pairwise_outcome(as_a, as_b)
        counts[outcome] += 1
        inconsistent += outcome is not None and _AS_A[as_a] != _AS_B[as_b]
    return PairwiseTally(counts["win"], counts["tie"], counts["loss"], inconsistent, counts[None])


_OUTCOME_SCORE = {"win": 1.0, "tie": 0.5, "loss": 0.0, None: float("nan")}


def _win_score(prediction, gold) -> float:
    """1 / 0.5 / 0 for a win / tie / loss over both orders (``prediction``: the two verdicts)."""
    as_a, as_b = (None, None) if _missing(prediction) else prediction
    return _OUTCOME_SCORE[pairwise_outcome(as_a, as_b)]


def _agrees(prediction, gold) -> float:
    """1.0 where the judge's rating (or verdict) equals the gold one."""
    return 0.0 if _missing(prediction) or _missing(gold) else float(prediction == gold)


#: Fewer items give no correlation worth reporting: two points always correlate at +1 or -1.
MIN_CORRELATION_ITEMS = 3


def correlation_undefined(x: np.ndarray, y: np.ndarray) -> bool:
    """A correlation needs ``MIN_CORRELATION_ITEMS`` items and some variation on both sides."""
    return len(x) < MIN_CORRELATION_ITEMS or bool(np.all(x == x[0])) or bool(np.all(y == y[0]))


def _pearson(preds: np.ndarray, golds: np.ndarray) -> float:
    """Pearson's r (= ``scipy.stats.pearsonr``; numpy's is faster in the bootstrap's thousands of calls)."""
    x, y = preds.astype(float), golds.astype(float)
    return float("nan") if correlation_undefined(x, y) else float(np.corrcoef(x, y)[0, 1])


def _kendall(preds: np.ndarray, golds: np.ndarray) -> float:
    from scipy.stats import kendalltau

    x, y = preds.astype(float), golds.astype(float)
    return float("nan") if correlation_undefined(x, y) else float(kendalltau(x, y).statistic)


JUDGE_METRICS = (
    Metric("judge_score", "mean LLM-judge rating as a share of the rating scale, x100"),
    Metric(
        "win_rate",
        "pairwise LLM-judge win rate over both answer orders (a tie counts half), x100",
        item_score=_win_score,
    ),
    CorpusMetric("pearson", "Pearson correlation between judge ratings and gold ratings, x100", statistic=_pearson),
    CorpusMetric("kendall", "Kendall tau-b between judge ratings and gold ratings, x100", statistic=_kendall),
    Metric("exact_agreement", "share of items whose judge rating equals the gold rating, x100", item_score=_agrees),
)
