"""TyDi QA's official minimal-answer F1 (``tydi_eval.py``), which scores null answers.

Per language, over every question: precision is the summed per-item F1 over the questions the
system answered, recall the same sum over the questions with a gold answer, and the F1 their
harmonic mean. A gold answer exists where enough annotators gave one (``gold.min_answers``; below
it the gold is No Answer ``""``); the per-item F1 counts only where both gold and prediction have
an answer. xling compares answer texts by token F1 where the official script compares byte spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .base import CountMetric, _is_error, _missing

if TYPE_CHECKING:
    import pandas as pd


def gold_has_answer(gold) -> bool:
    """A gold list (or answer) holding any non-blank answer."""
    golds = gold if isinstance(gold, list | tuple | np.ndarray) else [gold]
    return any(not _missing(g) and str(g).strip() for g in golds)


def answer_counts(prediction, gold, stored: float) -> np.ndarray:
    """(F1 counted, predicted an answer, gold has an answer) of one item. A generation's record
    says whether the model answered (``no_answer``) and its ``f1``; a plain answer text (a
    fine-tuned span) is an answer when not blank, scored by the row's stored score; an error row
    (no prediction) answered nothing."""
    has_gold = gold_has_answer(gold)
    if _missing(prediction):
        return np.array([0.0, 0.0, float(has_gold)])
    if isinstance(prediction, dict):
        text = prediction.get("output", prediction.get("answer"))
        answered = not prediction.get("no_answer") and bool(str(text or "").strip())
        f1 = prediction.get("f1", stored)
    else:
        answered, f1 = bool(str(prediction).strip()), stored
    counted = float(f1) if answered and has_gold and not _missing(f1) else 0.0
    return np.array([counted, float(answered), float(has_gold)])


def f1_from_counts(c: np.ndarray) -> float:
    """The harmonic mean of precision (F1 sum / answered) and recall (F1 sum / with gold)."""
    f1_sum, answered, with_gold = c
    precision = f1_sum / answered if answered else 0.0
    recall = f1_sum / with_gold if with_gold else 0.0
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class TyDiF1(CountMetric):
    """:class:`CountMetric` whose counts also read the row's stored per-item score."""

    def _count_matrix(self, rows: pd.DataFrame) -> np.ndarray:
        out = []
        for pred, gold, err, stored in zip(rows["prediction"], rows["gold"], rows["error"], rows["score"], strict=True):
            pred = None if _is_error(err) else pred
            if isinstance(pred, dict) and "seeds" in pred:
                out.append([answer_counts(p, gold, s) for p, s in zip(pred["seeds"], pred["scores"], strict=True)])
            else:
                out.append([answer_counts(pred, gold, stored)])
        return np.asarray(out, dtype=float)


TYDI_F1 = TyDiF1(
    "tydi_f1",
    "TyDi QA's minimal-answer F1 with null answers: precision over answered questions, recall over "
    "questions with a gold answer, x100",
    combine=f1_from_counts,
)
