"""Machine translation, FLORES-200 style, in any direction (kind ``translation``).

A unit is one language ``xx`` under one setting ``SRC->TGT/prompt-en/K-shot``: the task's
``directions`` (default ``eng_Latn->xx`` and ``xx->eng_Latn``) with ``xx`` standing for the unit's
language. The source sentence and its reference are the two languages' items with the same
``parallel_id``; demonstrations come from another split (``options.demo_split``), never the test
sentence or its translations. A generative model is prompted "Translate the following sentence
from Swahili to English." and its first line is the translation; a translator (Apertium) runs
the directions it offers. Scores: corpus chrF++, BLEU and chrF (:mod:`xling.scoring.mt`); the
per-item score is sentence chrF++ / 100.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from ...calls.lm import Generation
from ...calls.translate import Translator
from ...errors import UserError
from ...languages.codes import name as language_name
from ...models.base import Backend, Capability, ItemError
from ...prompts import templates as T
from ...prompts.protocols import UNIT_LANGUAGE, split_direction
from ...scoring.mt import CHRF_PP, translation_gold
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import Kind, RunContext
from ..config import RunConfig
from . import outputs
from .outputs import OutputOptions

DEFAULT_DIRECTIONS = ("eng_Latn->xx", "xx->eng_Latn")


@dataclass(frozen=True)
class Direction:
    """``source->target``, either side a language tag or ``xx`` (the unit's language)."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Direction:
        return cls(*split_direction(text))

    def __str__(self) -> str:
        return f"{self.source}->{self.target}"

    def of(self, language: str) -> tuple[str, str]:
        """(source, target) for a unit in ``language``."""
        return tuple(language if side == UNIT_LANGUAGE else side for side in (self.source, self.target))


class TranslationKind(Kind):
    """Planning, sentence pairs, scoring; subclasses say how a batch of sentences is translated."""

    def __init__(self):
        self.configure(RunConfig(), None, None)

    def configure(self, config: RunConfig, backend: Backend | None, translation=None) -> None:
        """Take the run's options; ``backend`` decides the chat template and the directions offered."""
        protocol = config.protocol
        if protocol.protocols != ("direct",) or protocol.prompt_languages != ("en",):
            raise UserError(
                "the translation kind runs only --protocol direct with --prompt-language en",
                hint="drop --protocol/--prompt-language for translation tasks",
            )
        self.backend = backend
        self.run_directions = protocol.directions
        self.shots = protocol.shots
        self.chat = protocol.chat == "auto" and bool(getattr(backend, "chat_template", None))
        self.output = OutputOptions.of(config)

    def setting(self, direction: Direction) -> str:
        return f"{direction}/prompt-en/{self.shots}-shot" + ("/chat" if self.chat else "")

    def directions(self, task: Task) -> dict[str, Direction]:
        """The run's (``--directions``) or else the task's directions, by the setting that names them."""
        listed = self.run_directions or task.spec.options.directions or DEFAULT_DIRECTIONS
        directions = [Direction.parse(d) for d in listed]
        return {self.setting(d): d for d in directions}

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        directions = self.directions(task)
        out = [
            Unit(task.name, setting, lang)
            for setting, d in directions.items()
            for lang in languages
            if len(set(d.of(lang))) == 2 and self.offers(*d.of(lang))
        ]
        if not out:
            raise UserError(
                f"model {getattr(self.backend, 'spec', '')!r} translates none of task {task.name!r}'s directions"
                f" ({', '.join(map(str, directions.values()))}) for {', '.join(languages)}",
                hint="choose languages the model translates (apertium:spa-eng: --languages spa_Latn)",
            )
        return out

    def offers(self, source: str, target: str) -> bool:
        """Whether the model translates ``source`` into ``target``."""
        return True

    def metrics(self, task: Task) -> list[str]:
        return list(dict.fromkeys([task.spec.metric, "chrf++", "bleu", "chrf"]))

    # --- running ------------------------------------------------------------------------------
    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        source, target = self.directions(task)[unit.setting].of(unit.language)
        split = task.spec.eval_split
        items = ctx.items(task, unit.language, split)
        # the other language's sentences are looked up whole: --limit counts the unit's items
        partner_language = target if source == unit.language else source
        other = {it.parallel_id: it for it in ctx.all_items(task, partner_language, split)}
        pairs = []
        for it in items:
            partner = other.get(it.parallel_id)
            src_item, tgt_item = (it, partner) if source == unit.language else (partner, it)
            pairs.append((it, src_item, tgt_item))
        todo = [(it, s) for it, s, t in pairs if s is not None and t is not None]
        translated = iter(self.translate([s for _, s in todo], source, target, task, ctx))
        preds = []
        for it, src_item, tgt_item in pairs:
            reference = "" if tgt_item is None else _text(tgt_item)  # none: the error row adds nothing to the corpus
            gold = reference if target == unit.language else translation_gold(reference, target)
            if src_item is None or tgt_item is None:
                missing = target if tgt_item is None else source
                preds.append(self._error(it, gold, f"no {missing} sentence with parallel id {it.parallel_id!r}"))
                continue
            out, meta = next(translated)
            if isinstance(out, ItemError):
                preds.append(self._error(it, gold, f"model call failed: {out}"))
                continue
            record = outputs.record(
                out.text, target, markers=self.output.markers, first_line=True, max_tokens_hit=out.max_tokens_hit
            )
            zeroed = self.output.zeroes(record)
            score = 0.0 if zeroed else CHRF_PP.sentence_score(record["output"], gold, target) / 100
            record |= {"source": _text(src_item)} | meta
            preds.append(Prediction(it.split, it.item_id, it.parallel_id, record, gold, score))
        return preds

    @staticmethod
    def _error(item: Item, gold, reason: str) -> Prediction:
        return Prediction(item.split, item.item_id, item.parallel_id, None, gold, None, reason)

    @abstractmethod
    def translate(
        self, sources: list[Item], source: str, target: str, task: Task, ctx: RunContext
    ) -> list[tuple[object, dict]]:
        """Per source item: (a :class:`~xling.calls.lm.Generation` or an ItemError, fields to record)."""


class GenerativeTranslation(TranslationKind):
    """A generative model prompted to translate, zero- or k-shot (demonstrations as chat turns
    where the model has a chat template); its first line is the translation."""

    name = "translation"
    description = "machine translation (FLORES-200 style) by a generative model: chrF++, BLEU, chrF"
    needs = Capability.GENERATE
    max_tokens = 256

    def translate(self, sources, source, target, task, ctx):
        demo_pool = self._demo_pool(task, ctx, source, target) if self.shots else []
        instruction = f"Translate the following sentence from {language_name(source)} to {language_name(target)}."
        src_label, tgt_label = f"{language_name(source)}:", f"{language_name(target)}:"
        translation_of = {s.item_id: t for s, t in demo_pool}
        config = T.PromptConfig(chat="auto" if self.chat else "off")
        prompts, metas = [], []
        for it in sources:
            demos = T.pick_demos([s for s, _ in demo_pool], self.shots, it, ctx.seed, (task.name, source, target))
            prompt = T.Prompt(
                instruction,
                [(f"{src_label} {_text(d)}", _text(translation_of[d.item_id])) for d in demos],
                f"{src_label} {_text(it)}",
                tgt_label,
            )
            prompts.append(T.render(prompt, ctx.backend, config, self.output.system_prompt)[0])
            metas.append({"demos": [f"{d.language}/{d.split}/{d.item_id}" for d in demos]} if demos else {})
        outs = ctx.lm().generations(prompts, stop=[] if self.chat else ["\n"], max_tokens=self.max_tokens)
        return list(zip(outs, metas, strict=True))

    @staticmethod
    def _demo_pool(task: Task, ctx: RunContext, source: str, target: str) -> list[tuple[Item, Item]]:
        """(source item, target item) pairs of the demonstration split."""
        split = task.spec.options.demo_split
        if split == task.spec.eval_split:
            raise UserError(
                f"task {task.name!r}: demonstrations must come from another split than the evaluated one ({split})",
                hint="set options.demo_split to another split (FLORES: dev)",
            )
        targets = {it.parallel_id: it for it in ctx.all_items(task, target, split)}
        return [(s, targets[s.parallel_id]) for s in ctx.all_items(task, source, split) if s.parallel_id in targets]


class TranslatorTranslation(TranslationKind):
    """A translator model (Apertium) on the directions it offers."""

    name = "translation"
    description = "machine translation by a translator model (Apertium), the directions it offers"
    needs = Capability.TRANSLATE

    def offers(self, source: str, target: str) -> bool:
        return self.backend is None or self.backend.translates(source, target)

    def translate(self, sources, source, target, task, ctx):
        translator = ctx.remember(("translator",), lambda: Translator(ctx.backend, ctx.cache, ctx.stats))
        outs = translator.translate([_text(it) for it in sources], source, target)
        return [(o if isinstance(o, ItemError) else Generation(o, False), {}) for o in outs]


def _text(item: Item) -> str:
    return str(item.fields["text"])
