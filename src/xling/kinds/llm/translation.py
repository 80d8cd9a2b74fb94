"""The translation step of translate-test and self-translate, shared by the LLM kinds."""

from __future__ import annotations

from typing import Any

from ...calls.lm import LMClient
from ...calls.translate import Translator
from ...errors import UserError
from ...models.base import Backend, Capability, ItemError
from ...prompts.protocols import ProtocolOptions

# Text fields that translate-test / self-translate translate; others (COPA's "cause"/"effect",
# ids) pass through.
TEXT_FIELDS = ("text", "text1", "text2", "premise", "context", "passage", "question", "choices")
TRANSLATING = ("translate-test", "self-translate")
GIVEN = "given"  # --translator given: only the releases' own translations (a task's translate_test)


class InputTranslation:
    """The translation step of translate-test and self-translate, shared by the LLM kinds
    (by generation and by log-likelihood) of one worker: which translator a protocol uses, whether
    it can translate the run's languages, and items' text fields translated with per-item errors.

    The ``--translator`` model loads on first use, once for every task and kind that share this object.
    """

    def __init__(self, options: ProtocolOptions, backend: Backend | None = None):
        self.options = options
        # self-translate prompts the evaluated model through its chat template, as the kinds do
        self.chat = bool(options.chat == "auto" and backend is not None and getattr(backend, "chat_template", None))
        self._model: Backend | None = None

    @property
    def model(self) -> Backend | None:
        """The translate-test translator (``--translator``), loaded on first use; None without one."""
        wanted = self.options.translator not in (None, GIVEN) and "translate-test" in self.options.protocols
        if self._model is None and wanted:
            from ...models.registry import load_model

            self._model = load_model(self.options.translator, self.options.translator_options)
        return self._model

    def check(self, task: Any, languages: list[str]) -> None:
        """A task with the release's translations needs no translator; with ``--translator
        given`` every task must have them; a fixed-pair translator (Apertium) must translate every
        non-source language into the task's source language."""
        if task.spec.translate_test is not None:
            return
        if self.options.translator == GIVEN:
            raise UserError(
                f"task {task.name!r} has no released translations (translate_test) for --translator given",
                hint="leave the task out of the translate-test run, or name a translator model",
            )
        tb = self.model
        src_of = getattr(tb, "source", None)
        if tb is None or src_of is None:
            return  # a generative translator handles any pair
        src = task.spec.source_language
        bad = [
            lang
            for lang in languages
            if lang != src and (lang != src_of or getattr(tb, "target_language", None) != src)
        ]
        if bad:
            raise UserError(
                f"translator {tb.spec!r} translates {src_of} -> {tb.target_language}; it cannot translate "
                f"{', '.join(bad)} -> {src} for task {task.name!r}",
                hint=f"restrict --languages to {src_of} (plus the source language),"
                " or use a generative model as --translator",
            )

    def translator(self, protocol: str, ctx: Any) -> Translator:
        """The protocol's translator: the evaluated model for self-translate, else ``--translator``
        (one per run context, so its response cache and statistics are shared); a generative
        translator is called in batches of the run's ``--batch-size``."""
        key = ("translator", protocol)
        if key not in ctx.memo:
            if protocol == "self-translate":
                ctx.memo[key] = Translator(ctx.backend, ctx.cache, ctx.stats, lm_client=ctx.lm(), chat=self.chat)
            else:
                model = self.model
                if model is None:  # --translator given, for a task without released translations
                    raise UserError("--translator given: this task has no released translations (translate_test)")
                lm = None
                if Capability.GENERATE in model.capabilities:
                    lm = LMClient(model, ctx.cache, ctx.stats, batch_size=ctx.config.batch_size)
                ctx.memo[key] = Translator(model, ctx.cache, ctx.stats, lm_client=lm)
        return ctx.memo[key]

    def fields(
        self, items: list, protocol: str, language: str, target: str, ctx: Any, task: Any = None
    ) -> tuple[list[dict], list[str | None]]:
        """Items' text fields translated from ``language`` into ``target``, and per-item errors
        (a failed or empty translation of any field; such an item must not be scored). Under
        translate-test a task with the release's translations (``translate_test``) reads them."""
        if protocol == "translate-test" and task is not None and task.spec.translate_test is not None:
            return given_fields(items, language, task, ctx)
        flat: list[tuple[int, str, int | None, str]] = []
        for i, it in enumerate(items):
            for k in TEXT_FIELDS:
                v = it.fields.get(k)
                if isinstance(v, str) and k == "question" and v.lower() in ("cause", "effect"):
                    continue
                if isinstance(v, str):
                    flat.append((i, k, None, v))
                elif isinstance(v, list):
                    flat += [(i, k, j, str(x)) for j, x in enumerate(v)]
        outs = self.translator(protocol, ctx).translate([t for *_, t in flat], language, target)
        fields = [dict(it.fields) for it in items]
        for f in fields:
            for k, v in f.items():
                if isinstance(v, list):
                    f[k] = list(v)
        errors: list[str | None] = [None] * len(items)
        for (i, k, j, _), o in zip(flat, outs, strict=True):
            if isinstance(o, ItemError):
                errors[i] = f"translation failed: {o}"
                continue
            if not o.strip():
                errors[i] = f"the translator returned nothing for field {k!r}"
                continue
            if j is None:
                fields[i][k] = o
            else:
                fields[i][k][j] = o
        return fields, errors


def given_fields(items: list, language: str, task: Any, ctx: Any) -> tuple[list[dict], list[str | None]]:
    """Items' text fields as the release translated them (the task's ``translate_test``, matched
    by item id); an item the translations lack is an error row."""
    by_split: dict[str, dict[str, dict]] = {}
    for split in dict.fromkeys(it.split for it in items):
        given = task.given_translations()
        by_split[split] = ctx.remember(
            ("given-translations", task.name, language, split),
            lambda g=given, s=split: {t.item_id: t.fields for t in g.items(language, s)},
        )
    fields: list[dict] = []
    errors: list[str | None] = []
    source = task.spec.translate_test.hub.id
    for it in items:
        translated = by_split[it.split].get(it.item_id)
        if translated is None:
            fields.append(dict(it.fields))
            errors.append(f"item {it.item_id} is not in the released translations ({source})")
            continue
        fields.append({**it.fields, **{k: v for k, v in translated.items() if k in TEXT_FIELDS}})
        errors.append(None)
    return fields, errors
