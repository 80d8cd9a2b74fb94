"""Kinds for embedders: bitext retrieval and classification through a head fitted on embeddings."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DataError, UserError
from ..models.base import Capability
from ..tasks import provenance
from ..tasks.registry import Task
from ..tasks.spec import check_split, shared_splits
from ..types import Item, Prediction, Unit
from .base import Kind, RunContext
from .heads import LogisticHead


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / norms


def embed(ctx: RunContext, texts: list[str], role: str) -> tuple[np.ndarray, list[str | None]]:
    """Unit vectors for ``texts`` (zero rows where the model failed) and per text None or the error."""
    checked = getattr(ctx.client, "embed_checked", None)
    if checked is not None:
        x, errors = checked(texts, role)
    else:  # a client without per-text errors
        x = ctx.client.embed(texts, role)
        errors = [None] * len(texts)
    x = _normalise(np.asarray(x, dtype=np.float32))
    bad = ~np.isfinite(x).all(axis=1) if len(x) else np.zeros(0, dtype=bool)
    errors = [e or ("the model returned a NaN or all-zero vector" if b else None) for e, b in zip(errors, bad)]
    return np.nan_to_num(x), errors


def error_row(it: Item, gold, error: str) -> Prediction:
    return Prediction(it.split, it.item_id, it.parallel_id, None, gold, None, error)


def option(task: Task, key: str, default, kind: type = str):
    """A task option (``options:`` in the task YAML) of the expected type, or a clear error."""
    value = task.spec.options.get(key, default)
    if (
        value is None
        or isinstance(value, kind)
        or (kind is float and isinstance(value, int) and not isinstance(value, bool))
    ):
        return value
    raise DataError(task.spec_path, None, f"options.{key} must be {kind.__name__}, not {value!r}")


def ratio_margin_scores(sim: np.ndarray, k: int = 4) -> np.ndarray:
    """Ratio margin (Artetxe & Schwenk 2019): cos(x,y) / mean of the two k-NN neighbourhood means."""
    kx = min(k, sim.shape[1])
    ky = min(k, sim.shape[0])
    nn_x = -np.sort(-sim, axis=1)[:, :kx].mean(axis=1)
    nn_y = -np.sort(-sim, axis=0)[:ky, :].mean(axis=0)
    return sim / ((nn_x[:, None] + nn_y[None, :]) / 2)


def scores_for(sim: np.ndarray, scoring: str, k: int = 4) -> np.ndarray:
    return ratio_margin_scores(sim, k) if scoring == "margin" else sim


def nearest(sim: np.ndarray, scoring: str, k: int = 4) -> np.ndarray:
    """Index of the best target per source row, by ``cosine`` or ``margin``."""
    return np.argmax(scores_for(sim, scoring, k), axis=1)


def scoring_options(task: Task) -> tuple[str, int]:
    scoring = option(task, "scoring", "margin")
    if scoring not in ("margin", "cosine"):
        raise DataError(task.spec_path, None, f"options.scoring must be 'margin' or 'cosine', not {scoring!r}")
    k = option(task, "k", 4, int)
    if k < 1:
        raise DataError(task.spec_path, None, f"options.k must be at least 1, not {k}")
    return scoring, k


class BitextRetrieval(Kind):
    """Find each sentence's translation among all pivot-language sentences, both directions (P@1).

    The pivot side comes from the item's ``pivot_text`` field (Tatoeba-style pair files) or
    from the source language's items with the same ``parallel_id`` (FLORES-style parallel data).
    With ``metric: mining_f1`` the task is scored BUCC-style: a pair is mined when its margin
    score reaches ``options.threshold``; F1 of the mined pairs against the true ones.
    """

    name = "bitext_retrieval"
    needs = Capability.EMBED
    description = "xx<->pivot sentence retrieval, margin or cosine scoring, P@1 both directions"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        src = task.spec.source_language
        short = src.split("_")[0]
        return [Unit(task.name, s, lang) for lang in languages if lang != src for s in (f"xx->{short}", f"{short}->xx")]

    def _pairs(self, unit: Unit, task: Task, ctx: RunContext):
        split = task.spec.eval_split
        items = ctx.items(task, unit.language, split)
        if items and "pivot_text" in items[0].fields:
            return items, [it.fields["pivot_text"] for it in items], []
        src_items = {it.parallel_id: it for it in ctx.items(task, task.spec.source_language, split)}
        kept = [it for it in items if it.parallel_id in src_items]
        missing = [it for it in items if it.parallel_id not in src_items]
        return kept, [src_items[it.parallel_id].fields["text"] for it in kept], missing

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        items, pivots, missing = self._pairs(unit, task, ctx)
        scoring, k = scoring_options(task)
        mining = task.spec.metric == "mining_f1"
        threshold = option(task, "threshold", 1.06, float)  # LASER's usual ratio-margin threshold
        if mining and scoring != "margin":
            raise DataError(task.spec_path, None, "metric mining_f1 needs options.scoring: margin")
        x, x_err = embed(ctx, [it.fields["text"] for it in items], "symmetric")
        y, y_err = embed(ctx, pivots, "symmetric")
        sim = x @ y.T
        forward = unit.setting.startswith("xx->")
        scores = scores_for(sim if forward else sim.T, scoring, k)
        pred = np.argmax(scores, axis=1) if len(items) else np.zeros(0, dtype=int)
        out = []
        for i, it in enumerate(items):
            err = x_err[i] or y_err[i]
            if err:
                out.append(error_row(it, it.parallel_id, err))
                continue
            j = int(pred[i])
            if mining:
                kept = bool(scores[i, j] >= threshold)
                out.append(
                    Prediction(
                        it.split,
                        it.item_id,
                        it.parallel_id,
                        items[j].parallel_id if kept else None,
                        it.parallel_id,
                        float(kept and j == i),
                    )
                )
            else:
                out.append(
                    Prediction(
                        it.split, it.item_id, it.parallel_id, items[j].parallel_id, it.parallel_id, float(j == i)
                    )
                )
        out += [error_row(it, it.parallel_id, "no item with this parallel_id in the source language") for it in missing]
        return out


# --- heads on embeddings -------------------------------------------------------------------


@dataclass(frozen=True)
class HeadData:
    """Where a head's training items come from, and which parallel ids it used (never evaluated)."""

    language: str
    split: str
    held_out: bool  # True: trained on part of an eval split; those parallel ids are not evaluated
    setting: str


def train_split_of(task: Task) -> str | None:
    """The head's train split (``options.train_split``, else the spec's); an error when it shares a
    part with the eval split (a union such as ``train+dev+test``), which would test the head on
    its own training items."""
    split = option(task, "train_split", None) or task.spec.train_split
    if split:
        try:
            check_split(split)
        except ValueError as exc:
            raise DataError(task.spec_path, None, f"options.train_split: {exc}") from None
    both = shared_splits(split, task.spec.eval_split)
    if both:
        raise DataError(
            task.spec_path,
            None,
            f"the head's train split {split!r} shares {'+'.join(both)!r} with eval_split "
            f"{task.spec.eval_split!r}: the head would be tested on its own training items",
            hint="drop that split from options.train_split or from eval_split",
        )
    return split


def has_split(task: Task, language: str, split: str | None) -> bool:
    if not split:
        return False
    try:
        task.files_for(language, split)
        return True
    except UserError:
        return False


def zero_shot_head(task: Task) -> HeadData:
    """The source-language (``options.train_language``) training data of a zero-shot head.

    When the task declares no train split the head is fitted on the first
    ``options.head_fraction`` (default half) of the train language's eval split, and those items
    are held out of every language's evaluation (their translations would leak); the setting
    says so. A declared train split whose file is missing is an error (when the unit runs), not
    a silent change of protocol.
    """
    lang = option(task, "train_language", None) or task.spec.source_language
    lang = task.check_language(lang)
    split = train_split_of(task)
    if split:
        return HeadData(lang, split, False, "zero-shot")
    ev = task.spec.eval_split
    return HeadData(lang, ev, True, f"zero-shot, head on {lang} {ev} (held out)")


def head_items(task: Task, ctx: RunContext, data: HeadData) -> tuple[list[Item], set[str]]:
    """The head's training items and the parallel ids to leave out of evaluation."""
    if data.held_out:  # part of the eval split: the same (--limit'ed) items the evaluation reads
        items = ctx.items(task, data.language, data.split)
    else:  # a train split: --limit does not apply (see RunContext.train_items); options.train_limit does
        items = ctx.train_items(task, data.language, data.split)
    if data.held_out:
        frac = option(task, "head_fraction", 0.5, float)
        if not 0 < frac < 1:
            raise DataError(task.spec_path, None, f"options.head_fraction must be between 0 and 1, not {frac}")
        items = items[: int(len(items) * frac)]
    limit = option(task, "train_limit", None, int)
    if limit is not None:
        items = items[:limit]
    return items, ({it.parallel_id for it in items} if data.held_out else set())


def model_failures(errors: Sequence[str | None]) -> str:
    """What the model did on the items that have ``errors``: how many failed, the most common
    error text with its count, and the first when it differs."""
    failed = [e for e in errors if e]
    (common, times), *others = Counter(failed).most_common()
    text = f"the model failed on {len(failed)} of {len(errors)} items; {times} x {common!r}"
    if others and failed[0] != common:
        text += f"; first: {failed[0]!r}"
    return text + (f" ({len(others)} other error text(s))" if others else "")


class TrainingItemsFailed(UserError):
    """Model calls failed for training items, and a partial fit was not allowed."""


def usable_training_rows(ctx: RunContext, errors: list[str | None], where: str) -> np.ndarray:
    """Which training items have a model output. Items without one would silently shrink the
    training set, so they are an error unless the run allows a partial fit; either way they
    are counted in the unit's record (results.json ``run.training``)."""
    failed = [e for e in errors if e is not None]
    provenance.note_training(where, len(errors), len(failed), ctx.allow_partial_training)
    if failed and not ctx.allow_partial_training:
        raise TrainingItemsFailed(
            f"{len(failed)} of {len(errors)} training items of the head ({where}) have no model output: "
            f"{model_failures(errors)}",
            hint="fix the cause and rerun the same command (only the failed items are sent again), or pass "
            f"--allow-partial-training to fit on the {len(errors) - len(failed)} that worked"
            " (recorded in results.json)",
        )
    return np.array([e is None for e in errors], dtype=bool)


def fit_head(
    task: Task, ctx: RunContext, x: np.ndarray, labels: list, where: str, errors: Sequence[str | None] = ()
) -> LogisticHead:
    """A logistic-regression head (scikit-learn's objective and lbfgs, see :mod:`xling.kinds.heads`:
    deterministic, so the same embeddings give the same head). ``errors``: per training item,
    None or why the model gave it no features."""
    if len(set(labels)) < 2 and any(errors):
        raise UserError(
            f"task {task.name!r}: the head's training data ({where}) has {len(labels)} usable items: "
            f"{model_failures(errors)}",
            hint="the model or its server failed, not the data: fix what the error says and run the "
            "same command again (failed items are not cached, so they are retried)",
        )
    if len(set(labels)) < 2:
        raise DataError(
            task.spec_path,
            None,
            f"the head's training data ({where}) has {len(labels)} usable items "
            f"and {len(set(labels))} label(s); it needs at least two labels",
            hint="raise --limit or options.train_limit, or check the train split",
        )
    head = LogisticHead(C=option(task, "C", 1.0, float), max_iter=2000)
    head.fit(x, labels)
    return head


class HeadKind(Kind):
    """A logistic-regression head on embedding features: ``zero-shot`` (fitted on the source
    language's train split, or a held-out part of its eval split, applied to every language) and,
    with ``options.in_language: true``, ``in-language`` (fitted on each language's own train
    split, where it has one; off by default because it embeds every language's train split).
    Subclasses say how items become feature rows."""

    needs = Capability.EMBED

    @abstractmethod
    def features(self, ctx: RunContext, items: list[Item]) -> tuple[np.ndarray, list[str | None]]:
        """One feature row per item, and per item None or the embedding error."""

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        zs = zero_shot_head(task)
        units = [Unit(task.name, zs.setting, lang) for lang in languages]
        split = train_split_of(task)
        if option(task, "in_language", False, bool) and split:
            units += [Unit(task.name, "in-language", lang) for lang in languages if has_split(task, lang, split)]
        return units

    def _head(self, task: Task, ctx: RunContext, data: HeadData) -> tuple[LogisticHead, set[str]]:
        return ctx.remember(("head", self.name, task.name, data), lambda: self._fit(task, ctx, data))

    def _fit(self, task: Task, ctx: RunContext, data: HeadData) -> tuple[LogisticHead, set[str]]:
        if not data.split:
            raise DataError(task.spec_path, None, f"a {self.name} task needs 'train_split' for the head")
        train, held = head_items(task, ctx, data)
        x, errors = self.features(ctx, train)
        where = f"{task.name} {data.language} {data.split}"
        ok = usable_training_rows(ctx, errors, where)
        labels = [it.gold for it, good in zip(train, ok) if good]
        x = x[ok] if len(train) else np.zeros((0, 1))
        return fit_head(task, ctx, x, labels, f"{data.language} {data.split}", errors), held

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        if unit.setting == "in-language":
            data = HeadData(unit.language, train_split_of(task), False, "in-language")
        else:
            data = zero_shot_head(task)
        head, held = self._head(task, ctx, data)
        items = [it for it in ctx.items(task, unit.language, task.spec.eval_split) if it.parallel_id not in held]
        x, errors = self.features(ctx, items)
        labels = head.predict(x) if items else []
        return [
            Prediction(it.split, it.item_id, it.parallel_id, str(lab), it.gold, float(str(lab) == it.gold))
            if err is None
            else error_row(it, it.gold, err)
            for it, lab, err in zip(items, labels, errors, strict=True)
        ]


class EmbeddingClassification(HeadKind):
    """Sentence classification through a head on the sentence embedding (see :class:`HeadKind`)."""

    name = "classification"
    description = "a linear head fitted on source-language embeddings, tested on every language"

    def features(self, ctx: RunContext, items: list[Item]) -> tuple[np.ndarray, list[str | None]]:
        return embed(ctx, [it.fields["text"] for it in items], "symmetric")
