"""Kinds for models that generate text: multiple choice and pair classification by generation
with answer extraction, generative QA (EM/F1), and math (MGSM) with number extraction.

Each runs under the protocols of :mod:`xling.prompts.protocols` (direct, translate-test, self-translate,
XLT); the unit's ``setting`` says which, and with what prompt language and demonstrations.
An answer that cannot be read scores 0 and is recorded with ``status: unparseable`` (or
``empty``), never an error; a failed model or translator call is an error row.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from ...calls.lm import Generation
from ...errors import UserError
from ...models.base import Backend, Capability, ItemError
from ...prompts import templates as T
from ...prompts.lexicon import Lexicon, lexicon
from ...prompts.protocols import Setting, settings
from ...scoring import answers
from ...scoring import qa as squad_metrics
from ...scoring.answers import strip_thinking
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import Kind, RunContext
from ..config import RunConfig
from .outputs import OutputOptions
from .translation import TEXT_FIELDS, TRANSLATING, InputTranslation

DEMO_POOL = 200  # demonstrations are drawn from the first N items of the demo split (not --limit)


class GenerationKind(Kind):
    """Shared machinery: settings, translation, demonstrations, prompting, extraction."""

    needs = Capability.GENERATE
    max_tokens: ClassVar[int] = 24
    reasoning_max_tokens: ClassVar[int] = 1024  # a chain of thought before the answer (choice_cot)
    supports_translation: ClassVar[bool] = True
    supports_xlt: ClassVar[bool] = True

    def __init__(self):
        config = RunConfig()
        self.configure(config, None, InputTranslation(config.protocol))

    # --- planning ------------------------------------------------------------------------------
    def configure(self, config: RunConfig, backend: Backend | None, translation: InputTranslation) -> None:
        """Take the run's protocol options; ``backend`` tells whether a chat template applies."""
        self.translation = translation
        self.output = OutputOptions.of(config)
        # a unit's setting is the name of one of these
        self.settings: dict[str, Setting] = {str(s): s for s in settings(config.protocol, chat=translation.chat)}

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        out = []
        for s in self.settings.values():
            if s.protocol in TRANSLATING and not self.supports_translation:
                raise UserError(
                    f"protocol {s.protocol} is not available for task {task.name!r} (kind {self.name}): "
                    "its gold answers are spans of the original text",
                    hint="use --protocol direct or xlt for this task",
                )
            if s.protocol == "xlt" and not self.supports_xlt:
                raise UserError(
                    f"protocol xlt is not available for task {task.name!r} (kind {self.name}): "
                    "its answers are free text in the item's language",
                    hint="use --protocol direct for this task",
                )
            if s.protocol == "translate-test":
                self.translation.check(task, languages)
            out += [Unit(task.name, str(s), lang) for lang in languages]
        return out

    def source_setting(self, setting: str) -> str | None:
        return setting  # every setting runs the source language too

    # --- running ------------------------------------------------------------------------------
    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        setting = self.settings[unit.setting]
        self.task_metric = task.spec.metric
        items = ctx.items(task, unit.language, task.spec.eval_split)
        if not items:
            return []
        src = task.spec.source_language
        translated = setting.protocol in TRANSLATING and unit.language != src
        fields, errors = (
            self.translation.fields(items, setting.protocol, unit.language, src, ctx, task)
            if translated
            else ([it.fields for it in items], [None] * len(items))
        )
        fields = [f if err is not None else self.prepare(f) for f, err in zip(fields, errors, strict=True)]
        prompt_language = src if translated else unit.language
        lex = setting.prompt.lexicon_for(prompt_language)
        family = T.family_of(task.spec.kind, task.spec.options, task.spec.labels, items[0])
        keys = T.label_keys(family, task.spec.options, task.spec.labels)
        prompts, metas = [], []
        for it, f, err in zip(items, fields, errors, strict=True):
            fam = T.family_of(task.spec.kind, task.spec.options, task.spec.labels, it)
            if err is not None:  # its input could not be translated: no prompt, an error row
                prompts.append(None)
                metas.append((fam, None))
                continue
            if setting.protocol == "xlt":
                p = T.xlt(fam, f, unit.language, lexicon(unit.language), lex)
            else:
                demo_lang = src if (translated or setting.prompt.shot_language == "source") else unit.language
                demos = self._demos(task, ctx, demo_lang, it, setting.prompt.shots)
                p = T.build(fam, it, f, lex, [(d, d.fields) for d in demos], keys)
                if demos:
                    p.meta["demos"] = [f"{d.language}/{d.split}/{d.item_id}" for d in demos]
            text, _ = T.render(
                p, ctx.backend, T.PromptConfig(chat="auto" if setting.chat else "off"), self.output.system_prompt
            )
            prompts.append(text)
            metas.append((fam, p))
        xlt = setting.protocol == "xlt"
        stop, max_tokens = (["\n\n\n"], 384) if xlt else self.budget(family, lex, setting.chat)
        sent = [p for p in prompts if p is not None]
        got = iter(ctx.lm().generations(sent, stop=stop, max_tokens=max_tokens))
        outs = [None if p is None else next(got) for p in prompts]
        preds = []
        for it, f, err, out, (fam, p) in zip(items, fields, errors, outs, metas, strict=True):
            if err is not None:
                preds.append(Prediction(it.split, it.item_id, it.parallel_id, None, it.gold, None, err))
                continue
            if isinstance(out, ItemError):
                preds.append(
                    Prediction(it.split, it.item_id, it.parallel_id, None, it.gold, None, f"model call failed: {out}")
                )
                continue
            read = self.read(out, it, f, unit.language)
            thinking = 0
            if read is not None:
                text = read["output"]
            else:
                text, thinking = strip_thinking(out.text, self.output.markers)
                if xlt:
                    text = _after_last(text, [p.meta["final_marker"], "Answer:", "Final answer:"])
                if fam not in T.REASONING_FAMILIES:
                    text = _first_line(text)  # the answer line; what a model adds after it is not read
            score_lex = lexicon(unit.language) if xlt else lex  # XLT answers in the item's language
            ex, score, extra = self.score(fam, it, text, f, score_lex, keys, unit.language, prompt_language)
            record = (ex.as_dict(out.text) if read is None else read) | extra
            if read is not None and self.output.zeroes(record):
                score = 0.0
            if thinking:
                record["thinking_chars"] = thinking
            if out.max_tokens_hit:
                record["max_tokens_hit"] = True
            if "demos" in p.meta:
                record["demos"] = p.meta["demos"]
            if translated:
                record["input"] = {k: f[k] for k in TEXT_FIELDS if k in f}
            preds.append(Prediction(it.split, it.item_id, it.parallel_id, record, it.gold, score))
        return preds

    def prepare(self, fields: dict) -> dict:
        """An item's fields as the prompt shows them (a kind may shorten a long text)."""
        return fields

    def read(self, out: Generation, item: Item, fields: dict, language: str) -> dict | None:
        """The record of a free-text output (:func:`.outputs.record` with the run's thinking markers:
        ``output`` is what ``score`` gets); None: the answer is read from the raw text by its
        family's rule (answer line, XLT marker) and recorded as the extracted answer."""
        return None

    def stop(self, lex: Lexicon, chat: bool) -> list[str]:
        """Plain prompts stop at the end of the answer line; a chat model ends its own turn (and
        may open it with a line break, which a "\n" stop would turn into an empty answer)."""
        return [] if chat else ["\n"]

    def budget(self, family: str, lex: Lexicon, chat: bool) -> tuple[list[str], int]:
        """Stop strings and token limit of one prompt family: the kind's own, except a chain of
        thought before an option letter (``choice_cot``), which runs over lines until the next
        question a plain model would start."""
        if family == "choice_cot":
            return ([] if chat else [f"\n{lex.word('question')}:", "\n\n\n"]), self.reasoning_max_tokens
        return self.stop(lex, chat), self.max_tokens

    def _demos(self, task: Task, ctx: RunContext, language: str, item: Item, k: int) -> list[Item]:
        """Demonstrations from the train split, or (where the language has none: XNLI, or
        XCOPA's targets) from the evaluation split; never the item or its translations."""
        if k <= 0:
            return []
        pool = ctx.remember(("demo-pool", task.name, language), lambda: self._demo_pool(task, language))
        return T.pick_demos(pool, k, item, ctx.seed, (task.name, language, pool[0].split if pool else ""))

    @staticmethod
    def _demo_pool(task: Task, language: str) -> list[Item]:
        pool = None
        if task.spec.train_split:
            try:
                pool = task.items(language, task.spec.train_split, DEMO_POOL)
            except UserError:
                pool = None
        return pool if pool else task.items(language, task.spec.eval_split, DEMO_POOL)

    # --- scoring -------------------------------------------------------------------------------
    @abstractmethod
    def score(
        self,
        family: str,
        item: Item,
        text: str,
        fields: dict,
        lex: Lexicon,
        keys: dict[str, str],
        language: str,
        prompt_language: str,
    ) -> tuple[answers.Extracted, float, dict]:
        """Read the answer from the model's text and score it against the gold."""


def read_exemplars(path, task: Task, language: str) -> list[Item]:
    """MGSM-style exemplars: ``{"MGSM_EXEMPLARS": {code: {"1": {"q": "Question: ...", "a": "Step-by-Step
    Answer: ... The answer is 11."}}}, "EXEMPLAR_NUMBER_ANSWERS": [11, ...]}`` -> demo items whose
    ``solution`` is the worked answer without its header."""
    import json
    import re

    from ...errors import DataError

    try:
        raw = json.loads(path.read_text("utf-8"))
        per_lang = raw["MGSM_EXEMPLARS"]
        numbers = raw["EXEMPLAR_NUMBER_ANSWERS"]
    except OSError as exc:
        raise DataError(
            path, None, f"cannot read the exemplars file named by options.exemplars: {exc.strerror}"
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            path, None, f"not an exemplars file (expected MGSM_EXEMPLARS and EXEMPLAR_NUMBER_ANSWERS): {exc}"
        ) from exc
    code = task.spec.languages[language]
    if code not in per_lang:
        raise DataError(path, None, f"no exemplars for {code!r} ({language}); it has {', '.join(sorted(per_lang))}")
    header = re.compile(r"^[^:：\n]{1,40}[:：]\s*")
    out = []
    for i, (num, ex) in enumerate(sorted(per_lang[code].items(), key=lambda kv: int(kv[0]))):
        q, a = header.sub("", ex["q"].strip(), count=1), header.sub("", ex["a"].strip(), count=1)
        out.append(
            Item(
                task.name,
                "exemplars",
                language,
                f"exemplar-{num}",
                f"exemplar-{num}",
                {"question": q, "solution": a},
                str(numbers[i]),
            )
        )
    return out


def _first_line(text: str) -> str:
    return next((ln for ln in text.splitlines() if ln.strip()), "")


def _after_last(text: str, markers: list[str]) -> str:
    """The part of ``text`` after the last of ``markers`` (all of it when none occurs)."""
    low = text.casefold()
    best = -1
    best_len = 0
    for m in markers:
        pos = low.rfind(m.casefold())
        if pos > best:
            best, best_len = pos, len(m)
    return text[best + best_len :] if best >= 0 else text


def answer_phrases(lex: Lexicon, language: str, prompt_language: str) -> list[str]:
    """The "The answer is" phrases a worked answer may end with: the prompt's, the item
    language's, the prompt language's and English's (where their files have one)."""
    phrases = []
    for lx in [lex, *_lexicons(language, prompt_language, "eng_Latn")]:
        try:
            phrases.append(lx.answer_phrase)
        except UserError:
            continue
    return phrases


def _lexicons(*languages: str) -> list[Lexicon]:
    out = []
    for lang in dict.fromkeys(languages):
        try:
            out.append(lexicon(lang))
        except UserError:
            continue  # no prompt file for this language: its words are simply not accepted
    return out


class GenerativeMultipleChoice(GenerationKind):
    """Multiple choice (XCOPA, Belebele...) by generation: the model writes an option letter
    (or number, or the option's text), read back in any of the prompt's letters."""

    name = "multiple_choice"
    description = "multiple choice by generation: option letter, number or text read from the answer"

    def score(self, family, item, text, fields, lex, keys, language, prompt_language):
        if family == "choice_cot":
            ex = answers.extract_final_choice(
                text, lex.option_letters, list(fields["choices"]), answer_phrases(lex, language, prompt_language)
            )
            return ex, float(ex.answer is not None and int(ex.answer) == int(item.gold)), {}
        ex = answers.extract_choice(text, lex.option_letters, list(fields["choices"]))
        if ex.answer is None and lex.option_letters[0] != "A":
            ex = answers.extract_choice(text, lexicon("eng_Latn").option_letters, list(fields["choices"]))
        return ex, float(ex.answer is not None and int(ex.answer) == int(item.gold)), {}


class GenerativePairClassification(GenerationKind):
    """Pair classification (XNLI, PAWS-X) by generation: the model writes a label word
    (entailment/neutral/contradiction, yes/no) in the prompt's language; English and the item's
    own language's words are accepted too."""

    name = "pair_classification"
    description = "pair classification by generation: label words read from the answer, any script"

    def score(self, family, item, text, fields, lex, keys, language, prompt_language):
        vocab: dict[str, list[str]] = {}
        for lx in [lex, *_lexicons(prompt_language, language, "eng_Latn")]:
            for task_label, key in keys.items():
                try:
                    vocab.setdefault(task_label, [])
                    vocab[task_label] += [w for w in lx.label_words(key) if w not in vocab[task_label]]
                except UserError:
                    continue
        ex = answers.extract_label(text, vocab)
        return ex, float(ex.answer is not None and str(ex.answer) == str(item.gold)), {}


class GenerativeQA(GenerationKind):
    """Extractive QA answered by generation (XQuAD, MLQA, TyDi QA), scored by SQuAD-style EM and
    token F1 with language-aware normalisation; the task's metric picks the item score.

    Unanswerable questions (TyDi QA's null answers, MKQA's unanswerable ones): a gold list holding
    ``""`` (``gold: {no_answer: true}``) is matched by the No Answer prediction, an answer that is
    empty after normalisation or that says the task's ``options.no_answer`` words: EM and F1 are 1
    when both are No Answer, 0 when only one is. With ``options.no_answer`` the kind also reports
    ``tydi_f1``, TyDi QA's official minimal-answer F1 over the same predictions."""

    name = "extractive_qa"
    description = "question answering by generation, EM/F1 with language-aware normalisation"
    max_tokens = 48
    supports_translation = False
    scorer = squad_metrics.DEFAULT_SCORER
    no_answer: str | None = None

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        self.scorer = squad_metrics.scorer_of(task.spec)
        self.no_answer = task.spec.options.no_answer
        return super().run(unit, task, ctx)

    def metrics(self, task: Task) -> list[str]:
        extra = ("f1", "em", "tydi_f1") if task.spec.options.no_answer else ("f1", "em")
        return list(dict.fromkeys([task.spec.metric, *extra]))

    def prepare(self, fields: dict) -> dict:
        return {**fields, "no_answer": self.no_answer} if self.no_answer else fields

    def score(self, family, item, text, fields, lex, keys, language, prompt_language, golds=None):
        if golds is None:
            golds = [str(g) for g in (item.gold if isinstance(item.gold, list) else [item.gold])]
        if "" in golds or self.no_answer:
            said = self._normalised(text, language)
            if not said or said == self._normalised(self.no_answer or "", language):
                hit = float(any(not self._normalised(g, language) for g in golds))
                return answers.Extracted("", "ok", "no-answer"), hit, {"em": hit, "f1": hit, "no_answer": True}
            golds = [g for g in golds if self._normalised(g, language)]
            if not golds:  # an unanswerable question answered: 0
                return answers.Extracted(text.strip(), "ok", "first-line"), 0.0, {"em": 0.0, "f1": 0.0}
        answer = (text or "").strip()
        if not answer:
            return answers.Extracted(None, "empty"), 0.0, {"em": 0.0, "f1": 0.0}
        em, f1 = squad_metrics.best_over_golds(answer, golds, language, self.scorer)
        return (
            answers.Extracted(answer, "ok", "first-line"),
            (em if self.task_metric == "em" else f1),
            {"em": em, "f1": f1},
        )

    def _normalised(self, text: str, language: str) -> str:
        return squad_metrics.normalize_answer(text or "", language, self.scorer)


class GenerativeMath(GenerationKind):
    """Grade-school math (MGSM) by chain-of-thought generation; the final number is read after
    the language's "the answer is" phrase (or English's), else the last number, native digits
    and the language's decimal/thousands separators understood."""

    name = "math"
    description = "math word problems by generation; native digits, separators and answer phrases"
    max_tokens = 320

    def stop(self, lex: Lexicon, chat: bool) -> list[str]:
        return [] if chat else ["\n\n", f"\n{lex.word('question')}:"]

    def _demos(self, task: Task, ctx: RunContext, language: str, item: Item, k: int) -> list[Item]:
        """Worked exemplars from ``options.exemplars`` (MGSM's 8 per language) when the task
        names a file; else items of the task's splits."""
        name = task.spec.options.exemplars
        if not name or k <= 0:
            return super()._demos(task, ctx, language, item, k)
        demos = ctx.remember(
            ("exemplars", task.name, language), lambda: read_exemplars(task.data_file(name), task, language)
        )
        return T.pick_demos(demos, k, item, ctx.seed, (task.name, language, "exemplars"))

    def score(self, family, item, text, fields, lex, keys, language, prompt_language):
        ex = answers.extract_number(text, language, answer_phrases(lex, language, prompt_language))
        return ex, float(answers.numbers_equal(ex.answer, item.gold)), {}
