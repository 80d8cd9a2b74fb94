"""Retrieval kinds for embedders: the FLORES-style many-to-many matrix and query -> passage
retrieval (nDCG@10, MRR@10)."""

from __future__ import annotations

import numpy as np

from ...models.base import Capability
from ...tasks import Task
from ...types import Prediction, Unit
from ..base import Kind, RunContext
from .vectors import embed, error_row, scores_for, scoring_options


class ManyToManyRetrieval(Kind):
    """Every ordered pair of the requested languages: find each sentence's translation among all
    of the other language's sentences (same ``parallel_id``), P@1, margin or cosine scoring.

    Layout: setting ``xx->TGT`` (the searched language), language = the query language, so one
    setting is a column of the FLORES matrix with one row per query language, and the transfer
    gap compares each query language with the source language searching the same target.
    """

    name = "many_to_many_retrieval"
    needs = Capability.EMBED
    description = "FLORES-style retrieval matrix over all ordered language pairs, P@1"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        return [Unit(task.name, f"xx->{tgt}", src) for tgt in languages for src in languages if src != tgt]

    def texts_ahead(self, task: Task, units: list[Unit], ctx: RunContext) -> list[tuple[str, list[str]]]:
        languages = dict.fromkeys(lang for u in units for lang in (u.language, u.setting.removeprefix("xx->")))
        split = task.spec.eval_split
        return [("symmetric", [it.fields["text"] for lang in languages for it in ctx.items(task, lang, split)])]

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        split = task.spec.eval_split
        tgt_lang = unit.setting.removeprefix("xx->")
        queries = ctx.items(task, unit.language, split)
        targets = ctx.items(task, tgt_lang, split)
        scoring, k = scoring_options(task)
        tgt_index = {it.parallel_id: j for j, it in enumerate(targets)}
        x, x_err = self._vectors(ctx, task, unit.language, split, queries)
        y, y_err = self._vectors(ctx, task, tgt_lang, split, targets)
        if len(queries) and len(targets):
            pred = np.argmax(scores_for(x @ y.T, scoring, k), axis=1)
        else:
            pred = np.zeros(len(queries), dtype=int)
        out = []
        for i, it in enumerate(queries):
            j_true = tgt_index.get(it.parallel_id)
            if j_true is None:
                out.append(error_row(it, it.parallel_id, f"no item with this parallel_id in {tgt_lang}"))
            elif x_err[i] or y_err[j_true]:
                out.append(error_row(it, it.parallel_id, x_err[i] or y_err[j_true]))
            else:
                found = targets[int(pred[i])].parallel_id
                out.append(
                    Prediction(
                        it.split, it.item_id, it.parallel_id, found, it.parallel_id, float(found == it.parallel_id)
                    )
                )
        return out

    @staticmethod
    def _vectors(ctx: RunContext, task: Task, language: str, split: str, items):
        """One language's vectors, computed once per run: each language takes part in 2(n-1) of
        the n(n-1) units, and fetching its vectors from the response cache each time cost more
        than the retrieval itself (about 1 KB of SQLite row per text and unit)."""
        key = ("many_to_many_vectors", task.name, language, split, len(items))
        if key not in ctx.memo:
            ctx.memo[key] = embed(ctx, [it.fields["text"] for it in items], "symmetric")
        return ctx.memo[key]


RANK_METRICS = ("ndcg@10", "mrr@10")


class EmbeddingRetrieval(Kind):
    """Query -> passage retrieval within one language: each item is a query (``query`` field,
    embedded with the model's query role) whose relevant passage is its ``passage`` field (or
    ``passage_id`` when given); the candidates are all distinct passages of the language
    (passage role). Stores the relevant passage's rank; scores nDCG@10 and MRR@10 (binary
    relevance, one relevant passage; ties broken by passage order, deterministically)."""

    name = "retrieval"
    needs = Capability.EMBED
    description = "query -> passage retrieval with query/passage roles, nDCG@10 and MRR@10"
    setting = "query->passage"

    def metrics(self, task: Task) -> list[str]:
        return list(dict.fromkeys([task.spec.metric, *RANK_METRICS]))

    @staticmethod
    def _passages(items) -> tuple[list[str], dict[str, str]]:
        """Per item its passage id, and the distinct passages by id (first text per id)."""
        pid_of = [str(it.fields.get("passage_id") or it.fields["passage"]) for it in items]
        passages: dict[str, str] = {}
        for it, pid in zip(items, pid_of):
            passages.setdefault(pid, it.fields["passage"])
        return pid_of, passages

    def texts_ahead(self, task: Task, units: list[Unit], ctx: RunContext) -> list[tuple[str, list[str]]]:
        queries: list[str] = []
        passages: list[str] = []
        for language in dict.fromkeys(u.language for u in units):
            items = ctx.items(task, language, task.spec.eval_split)
            queries += [it.fields["query"] for it in items]
            passages += self._passages(items)[1].values()
        return [("query", queries), ("passage", passages)]

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        from ...scoring.metrics import METRICS

        items = ctx.items(task, unit.language, task.spec.eval_split)
        pid_of, passages = self._passages(items)
        pids = list(passages)
        col = {pid: j for j, pid in enumerate(pids)}
        q, q_err = embed(ctx, [it.fields["query"] for it in items], "query")
        p, p_err = embed(ctx, list(passages.values()), "passage")
        sim = q @ p.T if len(items) else np.zeros((0, len(pids)))
        item_score = METRICS[task.spec.metric].item_score
        if item_score is None:
            from ...errors import DataError

            raise DataError(
                task.spec_path,
                None,
                f"a retrieval task's metric must be one of {', '.join(RANK_METRICS)}, not {task.spec.metric!r}",
            )
        # An unusable passage can never be retrieved (it would otherwise score cos 0).
        bad_passage = np.array([e is not None for e in p_err], dtype=bool)
        if bad_passage.any():
            sim[:, bad_passage] = -np.inf
        out = []
        for i, (it, pid) in enumerate(zip(items, pid_of)):
            j = col[pid]
            err = q_err[i] or p_err[j]
            if err:
                out.append(error_row(it, pid, err))
                continue
            row = sim[i]
            # rank of the relevant passage: 1 + passages scoring higher, or equal and listed earlier
            rank = 1 + int(np.sum(row > row[j]) + np.sum(row[:j] == row[j]))
            out.append(Prediction(it.split, it.item_id, it.parallel_id, rank, pid, item_score(rank, pid)))
        return out
