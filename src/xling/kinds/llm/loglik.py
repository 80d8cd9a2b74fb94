"""Kinds for language models by log-likelihood: ``multiple_choice`` (XCOPA, Belebele...) and
``pair_classification`` with verbalised labels (XNLI, PAWS-X).

Each item becomes one context and one continuation per choice; the model's log-likelihood of each
continuation given the context picks the answer. Three scores are kept per choice (all written to
the prediction JSON so analyses can switch):

* ``raw``: the sum of the continuation's token log-probs;
* ``token``: divided by its number of tokens (depends on the tokenizer);
* ``byte``: divided by its length in UTF-8 bytes. **The primary score** (task option
  ``normalisation`` changes it): per byte compares choices of different lengths without
  favouring short ones, and unlike per character it weighs scripts alike (a Thai or Tamil
  character is 3 bytes, as it is about 3 times the information of a Latin letter).

The prompt format lives in :func:`build_requests`, in one place, so per-language templates can
replace it. It is English (``prompt-en``), without demonstrations.

Protocols (``--protocol``): ``direct``; ``translate-test`` (``--translator``) and ``self-translate``
(the evaluated model, which must also generate, translates): every text field the requests are
built from is translated into the task's source language first, through the same step the
generation kinds use (:class:`xling.kinds.llm.translation.InputTranslation`). Each protocol is its own setting,
named like the generation kinds' (``translate-test(apertium)/prompt-en/0-shot``), and runs the
source language too (untranslated) for its transfer gap.
"""

from __future__ import annotations

import dataclasses
import string
import unicodedata
from typing import Any

from ...errors import CapabilityError, DataError, UserError
from ...models.base import Backend, Capability, ItemError
from ...prompts import templates as T
from ...prompts.lexicon import lexicon
from ...prompts.protocols import Setting, settings
from ...tasks import Task
from ...tasks.options import NORMALISATIONS
from ...types import Item, Prediction, Unit
from ..base import Kind, RunContext
from ..config import RunConfig
from .translation import TEXT_FIELDS, TRANSLATING, InputTranslation

SETTING = "direct/prompt-en/0-shot"  # protocol / prompt language / demonstrations
PROTOCOLS = ("direct", *TRANSLATING)

# lm-evaluation-harness's COPA/XCOPA connectors (English prompt format).
_CONNECTORS = {"cause": "because", "effect": "therefore"}


def _drop_final_punct(text: str) -> str:
    text = text.strip()
    if text and unicodedata.category(text[-1]).startswith("P"):
        return text[:-1]
    return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _choices(item: Item, task: Task) -> list:
    choices = item.fields.get("choices")
    if not isinstance(choices, list) or len(choices) < 2:
        raise DataError(
            task.spec_path,
            None,
            f"item {item.item_id} ({item.language}): field 'choices' must be a list "
            f"of at least 2 answers, got {choices!r}",
        )
    return choices


def build_requests(item: Item, task: Task) -> tuple[str, list[str]]:
    """(context, one continuation per choice) for an item, in a built-in English format.

    * premise + question cause/effect (COPA/XCOPA, lm-eval's format):
      ``"<premise without final punctuation> because|therefore"`` + ``" <choice, first letter lower-cased>"``;
    * passage/context + question (Belebele...): ``"<passage>\\nQuestion: <question>\\nAnswer:"`` + ``" <choice>"``;
      a question alone (AfriMMLU): ``"Question: <question>\\nAnswer:"``;
    * pair classification: ``"<text1>\\nQuestion: <text2> <label words joined by ', '>?\\nAnswer:"``
      + ``" <label word>"``, label words from the task option ``label_words``.
    """
    f = item.fields
    if task.spec.kind == "pair_classification":
        words = label_words(task)
        question = task.spec.options.question or "{text2} " + ", ".join(words.values()) + "?"
        context = f"{f['text1'].strip()}\nQuestion: {question.format(**f).strip()}\nAnswer:"
        return context, [" " + w for w in words.values()]
    choices = _choices(item, task)
    if "premise" in f and f.get("question") in _CONNECTORS:
        context = f"{_drop_final_punct(f['premise'])} {_CONNECTORS[f['question']]}"
        return context, [" " + _lower_first(str(c).strip()) for c in choices]
    passage = f.get("passage") or f.get("context") or f.get("premise") or ""
    question = f.get("question", "")
    if not question:
        context = passage.strip()
    elif passage.strip():
        context = f"{passage.strip()}\nQuestion: {question.strip()}\nAnswer:"
    else:  # a question alone (AfriMMLU): no empty first line
        context = f"Question: {question.strip()}\nAnswer:"
    return context, [" " + str(c).strip() for c in choices]


def _around_blank(item: Item, task: Task) -> tuple[str, str]:
    """The passage (field ``passage`` or ``sentence``) before and after its one blank (task option ``blank``)."""
    options = task.spec.options
    text = str(item.fields.get("passage") or item.fields.get("sentence") or "")
    if text.count(options.blank) != 1:
        raise DataError(
            task.spec_path,
            None,
            f"item {item.item_id} ({item.language}): format {options.format!r} needs exactly one blank "
            f"{options.blank!r} in the passage, found {text.count(options.blank)}",
        )
    before, after = text.split(options.blank)
    return before, after


def partial_requests(item: Item, task: Task) -> list[tuple[str, str]]:
    """Winograd-style partial scoring (task option ``format: partial``, lm-eval's XWinograd and
    WinoGrande): the passage holds one blank; choice *i*'s context is the passage up to the
    blank with the choice filled in, and every choice scores the same continuation, the words after
    the blank (``" " + rest.strip()``). The choices differ only in the context, so the scores compare
    how well each choice predicts the rest of the sentence."""
    before, after = _around_blank(item, task)
    return [(before + str(c), " " + after.strip()) for c in _choices(item, task)]


def substitute_requests(item: Item, task: Task) -> list[tuple[str, str]]:
    """Full-sentence substitution scoring (task option ``format: substitute``): Trinh & Le (2018,
    "A Simple Method for Commonsense Reasoning") *full scoring*, the probability of the sentence with
    the choice in the blank. Every choice shares the text before the blank, so it is the context and
    the choice with the rest of the sentence is scored: ``normalisation: raw`` ranks the choices as
    Trinh & Le's full score does (``token`` and ``byte`` divide by the scored part). The context's
    trailing spaces open the continuation (lm-eval's convention), so context + continuation is the
    filled sentence. A blank that opens the passage leaves no context: an error naming the item."""
    before, after = _around_blank(item, task)
    context = before.rstrip()
    if not context:
        raise DataError(
            task.spec_path,
            None,
            f"item {item.item_id} ({item.language}): format 'substitute' needs text before the blank "
            f"{task.spec.options.blank!r} to score the choice after",
            hint="score such passages with format: partial",
        )
    return [(context, before[len(context) :] + str(c) + after.rstrip()) for c in _choices(item, task)]


def template_requests(item: Item, task: Task) -> list[tuple[str, str]]:
    """The task's own format (task option ``format: template``): ``template.context`` and
    ``template.continuation`` formatted with the item's fields and, per choice, ``choice``,
    ``letter`` (A, B...), ``index`` (from 0) and ``choices_lettered`` (``"A. <choice>"`` lines)."""
    template = task.spec.options.template
    choices = _choices(item, task)
    if len(choices) > len(string.ascii_uppercase):
        raise DataError(task.spec_path, None, f"item {item.item_id}: more than 26 choices have no letter")
    lettered = "\n".join(f"{string.ascii_uppercase[i]}. {c}" for i, c in enumerate(choices))
    out = []
    for i, c in enumerate(choices):
        values = {**item.fields, "choice": str(c), "letter": string.ascii_uppercase[i], "index": i}
        values["choices_lettered"] = lettered
        try:
            out.append((template.context.format(**values), template.continuation.format(**values)))
        except (LookupError, AttributeError, TypeError, ValueError) as exc:
            raise DataError(
                task.spec_path, None, f"item {item.item_id} ({item.language}): options.template: {exc!r}"
            ) from None
    return out


_FORMATS = {"partial": partial_requests, "substitute": substitute_requests, "template": template_requests}


def request_pairs(item: Item, task: Task) -> list[tuple[str, str]]:
    """One (context, continuation) pair per choice, in the task's ``format``."""
    if task.spec.kind == "multiple_choice" and task.spec.options.format in _FORMATS:
        return _FORMATS[task.spec.options.format](item, task)
    context, conts = build_requests(item, task)
    return [(context, x) for x in conts]


def label_words(task: Task) -> dict[str, str]:
    """The task's label -> verbaliser word mapping: task option ``label_words``, else the English
    prompt lexicon's words for NLI labels (entailment/neutral/contradiction) or yes/no labels."""
    words = task.spec.options.label_words
    labels = task.spec.labels or []
    if words is None and labels:
        try:
            family = T.family_of("pair_classification", task.spec.options, labels)
            keys = T.label_keys(family, task.spec.options, labels)
            words = {lab: lexicon("eng_Latn").label(keys[lab]) for lab in labels}
        except (UserError, KeyError):
            words = None  # no lexicon words for these labels: the task file must give them
    if not isinstance(words, dict) or not words:
        raise DataError(
            task.spec_path,
            None,
            "pair classification by log-likelihood needs options.label_words (label: word)",
            hint="e.g. options: {label_words: {entailment: 'True', neutral: 'Neither', contradiction: 'False'}}",
        )
    missing = [lab for lab in labels if lab not in words]
    if missing:
        raise DataError(task.spec_path, None, f"options.label_words has no word for label(s) {', '.join(missing)}")
    if len(set(words.values())) != len(words):
        raise DataError(task.spec_path, None, "options.label_words gives two labels the same word")
    return {str(k): str(v) for k, v in words.items()}


def normalised(logprob: float, n_tokens: int, continuation: str) -> dict[str, float]:
    """The three scores of one continuation."""
    n_bytes = len(continuation.encode("utf-8"))
    return {"raw": logprob, "token": logprob / max(n_tokens, 1), "byte": logprob / max(n_bytes, 1)}


def _argmax(values: list[float]) -> int:
    return max(range(len(values)), key=lambda i: (values[i], -i))  # first of equal maxima


class LoglikChoice(Kind):
    """Score each choice's log-likelihood; the best one (by the primary normalisation) is the answer."""

    name = "multiple_choice"
    needs = Capability.LOGLIK
    description = "choices scored by log-likelihood given the item (raw, per-token, per-byte; per-byte primary)"

    def __init__(self):
        config = RunConfig()
        self.configure(config, None, InputTranslation(config.protocol))

    def configure(self, config: RunConfig, backend: Backend | None, translation: InputTranslation) -> None:
        """Take the run's protocols; an option this kind cannot honour is an error naming it."""
        options = config.protocol
        why = "by log-likelihood the prompt is English, zero-shot, without chat template"
        hint = "add --answer-by generate to run it by generation (where the model can generate), or drop the option"
        bad = [p for p in options.protocols if p not in PROTOCOLS]
        if bad:
            raise CapabilityError(
                f"{self.name} by log-likelihood cannot run --protocol {','.join(bad)}: it runs {', '.join(PROTOCOLS)}",
                hint=hint,
            )
        if options.prompt_languages != ("en",):
            raise CapabilityError(
                f"{self.name} by log-likelihood cannot take --prompt-language "
                f"{','.join(options.prompt_languages)}: {why}",
                hint=hint,
            )
        if options.shots:
            raise CapabilityError(
                f"{self.name} by log-likelihood cannot take --shots {options.shots}: {why}", hint=hint
            )
        if options.system_prompt:
            raise CapabilityError(f"{self.name} by log-likelihood cannot take --system-prompt: {why}", hint=hint)
        if (
            "self-translate" in options.protocols
            and backend is not None
            and Capability.GENERATE not in backend.capabilities
        ):
            raise CapabilityError(
                f"protocol self-translate needs a model that generates (it translates its own input); "
                f"model {backend.spec!r} offers {', '.join(sorted(backend.capabilities))}",
                hint="use --protocol translate-test with a --translator instead",
            )
        self.translation = translation
        # the scored prompt is plain text; a unit's setting is the name of one of these
        self.settings: dict[str, Setting] = {str(s): s for s in settings(options, chat=False)}

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        out = []
        for s in self.settings.values():
            if s.protocol == "translate-test":
                self.translation.check(task, languages)
            out += [Unit(task.name, str(s), lang) for lang in languages]
        return out

    def _gold_index(self, item: Item, task: Task, n_choices: int) -> int:
        if task.spec.kind == "pair_classification":
            return list(label_words(task)).index(str(item.gold))
        try:
            gold = int(item.gold)
        except (TypeError, ValueError):
            raise DataError(
                task.spec_path, None, f"item {item.item_id}: gold {item.gold!r} is not a choice index"
            ) from None
        if not 0 <= gold < n_choices:
            raise DataError(task.spec_path, None, f"item {item.item_id}: gold index {gold} outside 0..{n_choices - 1}")
        return gold

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        by = task.spec.options.normalisation
        items = ctx.items(task, unit.language, task.spec.eval_split)
        protocol = self.settings[unit.setting].protocol
        src = task.spec.source_language
        translated = protocol in TRANSLATING and unit.language != src and bool(items)
        fields, errors = (
            self.translation.fields(items, protocol, unit.language, src, ctx, task)
            if translated
            else ([it.fields for it in items], [None] * len(items))
        )
        # an item whose input could not be translated is not scored (an error row)
        errors = list(errors)
        built: list[list[tuple[str, str]] | None] = []
        for i, (it, f, err) in enumerate(zip(items, fields, errors, strict=True)):
            if err:
                built.append(None)
                continue
            try:
                built.append(request_pairs(it if f is it.fields else dataclasses.replace(it, fields=f), task))
            except DataError as exc:
                if not translated:
                    raise
                built.append(None)  # the translation lost what the format needs (a Winograd blank)
                errors[i] = f"translated input unusable: {exc.message}"
        flat = [pair for b in built if b for pair in b]
        results = ctx.lm().loglik(flat)
        labels = list(label_words(task)) if task.spec.kind == "pair_classification" else None
        out, pos = [], 0
        for it, f, err, b in zip(items, fields, errors, built, strict=True):
            if b is None:
                gold_out: Any = it.gold if labels else self._gold_index(it, task, len(it.fields.get("choices") or []))
                out.append(Prediction(it.split, it.item_id, it.parallel_id, None, gold_out, None, err))
                continue
            conts = [x for _, x in b]
            res = results[pos : pos + len(conts)]
            pos += len(conts)
            gold = self._gold_index(it, task, len(conts))
            gold_out = it.gold if labels else gold
            failed = [r for r in res if isinstance(r, ItemError)]
            if failed:
                out.append(Prediction(it.split, it.item_id, it.parallel_id, None, gold_out, None, str(failed[0])))
                continue
            scores = [normalised(r.logprob, r.n_tokens, x) for r, x in zip(res, conts, strict=True)]
            pred = {k: [s[k] for s in scores] for k in NORMALISATIONS}
            best = _argmax(pred[by])
            answer = labels[best] if labels else best
            prediction = {
                "answer": answer,
                "by": by,
                **pred,
                "n_tokens": [r.n_tokens for r in res],
                "greedy": [r.greedy for r in res],
            }
            if translated:
                prediction["input"] = {k: f[k] for k in TEXT_FIELDS if k in f}
            out.append(Prediction(it.split, it.item_id, it.parallel_id, prediction, gold_out, float(best == gold)))
        return out


class LoglikPairClassification(LoglikChoice):
    """Pair classification (NLI, paraphrase) as multiple choice over verbalised labels."""

    name = "pair_classification"
    description = "label words scored by log-likelihood after the pair (per-byte primary)"
