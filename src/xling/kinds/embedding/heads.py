"""Classification through a logistic head fitted on embeddings (zero-shot from the source language, or in-language)."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...errors import DataError, UserError
from ...models.base import Capability
from ...tasks import Task, provenance
from ...tasks.spec import check_split, shared_splits
from ...types import Item, Prediction, Unit
from ..base import Kind, Read, RunContext
from .logistic import LogisticHead
from .vectors import embed, error_row


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
    split = task.spec.options.train_split or task.spec.train_split
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
    lang = task.spec.options.train_language or task.spec.source_language
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
    else:  # a train split: --train-limit applies (see RunContext.train_items), then options.train_limit
        items = ctx.train_items(task, data.language, data.split)
    if data.held_out:
        frac = task.spec.options.head_fraction
        if not 0 < frac < 1:
            raise DataError(task.spec_path, None, f"options.head_fraction must be between 0 and 1, not {frac}")
        items = items[: int(len(items) * frac)]
    limit = task.spec.options.train_limit
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
    """A logistic-regression head (scikit-learn's objective and lbfgs, see :mod:`xling.kinds.embedding.logistic`:
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
            hint="raise --limit, --train-limit or options.train_limit (a --limit-mode sample keeps every label), "
            "or check the train split",
        )
    head = LogisticHead(C=task.spec.options.C, max_iter=2000)
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

    def feature_texts(self, items: list[Item]) -> list[tuple[str, list[str]]]:
        """``(role, texts)`` that :meth:`features` embeds for ``items``."""
        return [("symmetric", [it.fields["text"] for it in items])]

    def texts_ahead(self, task: Task, units: list[Unit], ctx: RunContext) -> list[tuple[str, list[str]]]:
        items: list[Item] = []
        for data in dict.fromkeys(self.head_data(task, u) for u in units):
            items += head_items(task, ctx, data)[0]
        for language in dict.fromkeys(u.language for u in units):
            items += ctx.items(task, language, task.spec.eval_split)
        return self.feature_texts(items)

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        zs = zero_shot_head(task)
        units = [Unit(task.name, zs.setting, lang) for lang in languages]
        split = train_split_of(task)
        if task.spec.options.in_language and split:
            units += [Unit(task.name, "in-language", lang) for lang in languages if has_split(task, lang, split)]
        return units

    def head_data(self, task: Task, unit: Unit) -> HeadData:
        """Where the head of the unit's setting gets its training items."""
        if unit.setting == "in-language":
            return HeadData(unit.language, train_split_of(task), False, "in-language")
        return zero_shot_head(task)

    def trained_on(self, task: Task, unit: Unit) -> Read:
        data = self.head_data(task, unit)
        fraction = task.spec.options.head_fraction if data.held_out else None
        return Read(data.language, data.split, not data.held_out, fraction, task.spec.options.train_limit)

    def reads(self, task: Task, units: list[Unit]) -> list[Read]:
        return super().reads(task, units) + [self.trained_on(task, u) for u in units]

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
        head, held = self._head(task, ctx, self.head_data(task, unit))
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
        ((role, texts),) = self.feature_texts(items)
        return embed(ctx, texts, role)
