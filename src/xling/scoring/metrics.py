"""The metric registry (``METRICS``): every metric a task may name, by name. Values are on a 0-100
scale; the families (:class:`Metric`, :class:`CorpusMetric`, :class:`CountMetric`) are in
:mod:`xling.scoring.base`, generation metrics in :mod:`~xling.scoring.mt` (chrF++, chrF, BLEU),
:mod:`~xling.scoring.rouge`, :mod:`~xling.scoring.judge` and :mod:`~xling.scoring.mining` (BUCC
precision, recall and F1).
"""

from __future__ import annotations

import numpy as np

from .base import CorpusMetric, CountMetric, Metric
from .judge import JUDGE_METRICS, correlation_undefined
from .mining import MINING_METRICS
from .mt import MT_METRICS
from .rouge import ROUGE_METRICS
from .tydi import TYDI_F1

__all__ = ["METRICS", "Metric", "CorpusMetric", "CountMetric"]


def _spearman(preds: np.ndarray, golds: np.ndarray) -> float:
    """Pearson correlation of average ranks (= scipy.stats.spearmanr, without its per-call checks:
    the bootstrap calls this thousands of times)."""
    x, y = preds.astype(float), golds.astype(float)
    if correlation_undefined(x, y):
        return float("nan")
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    return float(rx @ ry / np.sqrt((rx @ rx) * (ry @ ry)))


def _qa_part(key: str):
    """A QA row's ``em`` or ``f1`` from its prediction record (generation kinds store both);
    None for rows that store only the task metric's value as their score."""

    def item_score(prediction, gold) -> float | None:
        return prediction.get(key) if isinstance(prediction, dict) else None

    return item_score


def _ndcg_at_10(rank, gold) -> float:
    """Binary relevance, one relevant passage: 1 / log2(rank + 1) within the top 10."""
    return 0.0 if rank is None or int(rank) > 10 else float(1.0 / np.log2(int(rank) + 1))


def _mrr_at_10(rank, gold) -> float:
    return 0.0 if rank is None or int(rank) > 10 else 1.0 / int(rank)


def _entity_counts(pred, gold) -> np.ndarray:
    """(true positives, predicted entities, gold entities) of one IOB2 sentence, as seqeval's
    default (non-strict) micro F1 counts them."""
    from seqeval.metrics.sequence_labeling import get_entities

    true = set(get_entities(list(gold)))
    found = set(get_entities(list(pred))) if pred is not None else set()
    return np.array([len(true & found), len(found), len(true)], dtype=float)


def _f1_from_counts(c: np.ndarray) -> float:
    tp, n_pred, n_gold = c
    return 0.0 if n_pred + n_gold == 0 else 2 * tp / (n_pred + n_gold)


def sentence_entity_f1(pred, gold) -> float:
    """One tagged sentence's entity F1 (seqeval's counting); 1.0 when neither tags an entity."""
    c = _entity_counts(pred, gold)
    return 1.0 if c[1] + c[2] == 0 else _f1_from_counts(c)


def _token_counts(pred, gold) -> np.ndarray:
    """(correct tokens, tokens) of one tagged sentence."""
    gold = list(gold)
    if pred is None:
        return np.array([0.0, len(gold)])
    return np.array([sum(p == g for p, g in zip(pred, gold, strict=True)), len(gold)], dtype=float)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "share of items classified correctly, x100"),
        Metric("p@1", "precision at 1: share of sentences whose nearest neighbour is their translation, x100"),
        CorpusMetric(
            "spearman", "Spearman rank correlation between model similarity and gold score, x100", statistic=_spearman
        ),
        *MINING_METRICS,
        Metric(
            "ndcg@10", "nDCG@10 with the item's own passage as the one relevant passage, x100", item_score=_ndcg_at_10
        ),
        Metric("mrr@10", "mean reciprocal rank of the relevant passage, cut at 10, x100", item_score=_mrr_at_10),
        Metric(
            "em",
            "QA exact match against any gold answer after the task's normalisation (squad or mlqa), x100",
            item_score=_qa_part("em"),
        ),
        Metric(
            "f1",
            "QA token F1 against the best-matching gold answer after the task's normalisation, x100",
            item_score=_qa_part("f1"),
        ),
        CountMetric(
            "entity_f1",
            "seqeval micro F1 over the entities of all sentences (IOB2), x100",
            counts=_entity_counts,
            combine=_f1_from_counts,
        ),
        CountMetric(
            "token_accuracy",
            "share of all tokens (syntactic words) tagged correctly, x100",
            counts=_token_counts,
            combine=lambda c: 0.0 if c[1] == 0 else c[0] / c[1],
        ),
        TYDI_F1,
        *MT_METRICS,
        *ROUGE_METRICS,
        *JUDGE_METRICS,
    ]
}
