"""Bitext mining as BUCC 2018 defines it: two non-aligned corpora of one language pair and a file of
gold id pairs; sentences without a partner are normal. Candidates by ratio margin over k nearest
neighbours, kept one-to-one as LASER's ``mine_bitexts.py`` keeps them (``--retrieval max``), mined
above a threshold chosen on another split, given, or the best on the evaluated split (stated)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ...errors import DataError, UserError
from ...models.base import Capability
from ...scoring.mining import best_threshold
from ...tasks import Task
from ...tasks.readers import BadRow, read_delimited
from ...types import Prediction, Unit
from ..base import Kind, RunContext
from .vectors import embed, error_row, pivot_units

# Similarity entries computed at once while searching neighbours (memory: 4 bytes each).
BLOCK = 1 << 24


def top_k(a: np.ndarray, b: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``a``: the ``k`` highest cosines with the rows of ``b`` (decreasing) and their indices,
    computed in row blocks so the full similarity matrix is never held."""
    k = min(k, len(b))
    values = np.zeros((len(a), k), dtype=np.float64)
    index = np.zeros((len(a), k), dtype=np.int64)
    step = max(1, BLOCK // max(len(b), 1))
    for start in range(0, len(a), step):
        sim = a[start : start + step] @ b.T
        part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sim, part, axis=1)
        order = np.lexsort((part, -vals), axis=1)  # by decreasing cosine, then index: deterministic ties
        values[start : start + step] = np.take_along_axis(vals, order, axis=1)
        index[start : start + step] = np.take_along_axis(part, order, axis=1)
    return values, index


@dataclass(frozen=True)
class Mined:
    """Each source sentence's candidate (pivot row or -1) and its ratio-margin score (-inf: none)."""

    candidate: np.ndarray
    margin: np.ndarray


def mine(x: np.ndarray, y: np.ndarray, k: int) -> Mined:
    """LASER's BUCC mining: the best pivot of each source sentence and the best source sentence of
    each pivot among their ``k`` nearest neighbours, by ratio margin ``cos(x, y) / ((mean k-NN cosine
    of x + mean k-NN cosine of y) / 2)``; all candidates by decreasing margin, a pair kept when
    neither side is taken yet."""
    candidate = np.full(len(x), -1, dtype=np.int64)
    margin = np.full(len(x), -np.inf)
    if not len(x) or not len(y):
        return Mined(candidate, margin)
    x_cos, x_nn = top_k(x, y, k)
    y_cos, y_nn = top_k(y, x, k)
    x_mean, y_mean = x_cos.mean(axis=1), y_cos.mean(axis=1)
    fwd = x_cos / ((x_mean[:, None] + y_mean[x_nn]) / 2)
    bwd = y_cos / ((y_mean[:, None] + x_mean[y_nn]) / 2)
    fwd_best, bwd_best = fwd.argmax(axis=1), bwd.argmax(axis=1)
    src = np.concatenate([np.arange(len(x)), y_nn[np.arange(len(y)), bwd_best]])
    trg = np.concatenate([x_nn[np.arange(len(x)), fwd_best], np.arange(len(y))])
    score = np.concatenate([fwd.max(axis=1), bwd.max(axis=1)])
    taken = np.zeros(len(y), dtype=bool)
    for i in np.argsort(-score, kind="stable"):
        s, t = src[i], trg[i]
        if candidate[s] < 0 and not taken[t]:
            candidate[s], margin[s] = t, score[i]
            taken[t] = True
    return Mined(candidate, margin)


def declared_threshold(task: Task) -> tuple[float | None, str]:
    """The threshold the task gives and where it comes from, when not chosen on another split
    (None: the best one on the evaluated split)."""
    opts = task.spec.options
    if opts.threshold == "best":
        return None, f"best on {task.spec.eval_split}"
    return float(opts.threshold), "given"


class BitextMining(Kind):
    """BUCC-style mining per language pair: the language's corpus (``local.path``) against the pivot
    corpus (``options.pivot_path``), gold pairs from ``options.gold_path``. One row per source
    sentence: its mined candidate and margin, gold its partner's id (None without one); scored by
    ``mining_f1``/``mining_precision``/``mining_recall`` (``score``: 1 when the candidate is a gold pair).

    ``--limit`` samples the source sentences; the pivot corpus keeps their gold partners and as many
    other pivot sentences, so the pairs a limited run can find are still there."""

    name = "bitext_mining"
    needs = Capability.EMBED
    description = "BUCC-style mining of two non-aligned corpora, ratio margin, threshold tuned on a dev split"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        return pivot_units(task, languages, "xx<->{src}")

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        opts = task.spec.options
        if opts.threshold_split:
            threshold = self._tuned(task, ctx, unit.language, opts.threshold_split)
            where = f"chosen on {opts.threshold_split}"
        else:
            threshold, where = declared_threshold(task)
        sources, candidates, margins, gold, errors = self._mined(task, ctx, unit.language, task.spec.eval_split)
        out = []
        for it, cand, margin, err in zip(sources, candidates, margins, errors):
            partners = gold.get(it.item_id, [])
            gold_value = partners[0] if len(partners) == 1 else (partners or None)
            if err:
                out.append(error_row(it, gold_value, err))
                continue
            record = {
                "candidate": cand,
                "margin": None if cand is None else float(margin),
                "threshold": threshold,
                "threshold_from": where,
            }
            out.append(Prediction(it.split, it.item_id, it.parallel_id, record, gold_value, float(cand in partners)))
        return out

    def _mined(self, task: Task, ctx: RunContext, language: str, split: str):
        """A split's source sentences, the pivot id mined for each (None: none) with its margin, the
        gold pairs and each source sentence's embedding error; unusable pivots are never candidates."""
        sources, pivots, gold = self._corpora(task, ctx, language, split)
        x, x_err = embed(ctx, [it.fields["text"] for it in sources], "symmetric")
        y, y_err = embed(ctx, [it.fields["text"] for it in pivots], "symmetric")
        x_ok = np.array([e is None for e in x_err], dtype=bool)
        y_ok = np.array([e is None for e in y_err], dtype=bool)
        pivot_ids = [it.item_id for it, ok in zip(pivots, y_ok) if ok]
        found = mine(x[x_ok] if len(x) else x, y[y_ok] if len(y) else y, task.spec.options.k)
        candidates: list[str | None] = [None] * len(sources)
        margins = np.full(len(sources), -np.inf)
        for i, j, m in zip(np.flatnonzero(x_ok), found.candidate, found.margin):
            if j >= 0:
                candidates[i], margins[i] = pivot_ids[j], m
        return sources, candidates, margins, gold, x_err

    def _tuned(self, task: Task, ctx: RunContext, language: str, split: str) -> float:
        """The F1-maximising threshold of the language's pairs mined on ``split``, computed once per run."""

        def choose() -> float:
            sources, candidates, margins, gold, _ = self._mined(task, ctx, language, split)
            has = np.array([c is not None for c in candidates], dtype=bool)
            correct = [c in gold.get(it.item_id, ()) for it, c in zip(sources, candidates) if c is not None]
            n_gold = sum(len(gold.get(it.item_id, ())) for it in sources)
            chosen = best_threshold(margins[has], np.array(correct, dtype=bool), n_gold).threshold
            if not np.isfinite(chosen):
                raise DataError(
                    task.spec_path,
                    None,
                    f"no gold pair of {language} was mined on split {split!r}: no threshold can be chosen there",
                    hint="check options.gold_path and the ids of that split, or choose another threshold_split",
                )
            return chosen

        return ctx.remember(("mining_threshold", task.name, language, split, ctx.limit), choose)

    def _corpora(self, task: Task, ctx: RunContext, language: str, split: str):
        """The source sentences, the pivot sentences and the gold pairs (source id -> pivot ids) of a split."""
        sources = ctx.items(task, language, split)
        pivot_task = pivot_corpus(task)
        gold = gold_pairs(task, language, split)
        if ctx.limit is None:
            return sources, ctx.all_items(pivot_task, language, split), gold
        wanted = {p for it in sources for p in gold.get(it.item_id, ())}
        partners = [it for it in ctx.all_items(pivot_task, language, split) if it.item_id in wanted]
        others = ctx.items(pivot_task, language, split)
        kept = {it.item_id: it for it in partners + others}
        return sources, list(kept.values()), gold


def pivot_corpus(task: Task) -> Task:
    """The task reading the pivot corpus: the same format and columns at ``options.pivot_path``."""
    local = task.spec.local.model_copy(update={"path": task.spec.options.pivot_path, "files": {}})
    spec = task.spec.model_copy(update={"name": f"{task.name}.pivot", "local": local})
    return Task(spec, task.spec_path, data_dir=task.data_dir, policy=task.policy, skipped=task.skipped)


def gold_pairs(task: Task, language: str, split: str) -> dict[str, list[str]]:
    """Source id -> the pivot ids it pairs with, from the gold file (``source_id<TAB>pivot_id``)."""
    relpath = task.formatted(task.spec.options.gold_path, language, split)
    try:
        path = task.data_file(relpath)
    except UserError as exc:
        raise DataError(
            task.spec_path,
            None,
            f"no gold pairs for {language} split {split!r}: {exc.message}",
            hint="BUCC 2018 publishes no gold for its test split: evaluate `training` with the threshold chosen on"
            " `sample` (eval_split: training, options.threshold_split: sample)",
        ) from exc
    out: dict[str, list[str]] = defaultdict(list)
    for row in read_delimited(path, header=False, columns=["source", "pivot"]):
        if isinstance(row, BadRow):
            raise DataError(path, row.line, f"a gold pair must be 'source_id<TAB>pivot_id': {row.message}")
        out[row.record["source"].strip()].append(row.record["pivot"].strip())
    return dict(out)
