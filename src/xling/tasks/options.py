"""The ``options:`` of a task file, one typed model per kind.

Each kind's model holds every option some implementation of that kind reads (an embedding head,
fine-tuning, log-likelihood, generation), with its type and default. A key the kind does not know,
or a value of the wrong type, is an error when the task file loads, with the file, line and the
known keys, like any other key of the spec.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..errors import UserError, did_you_mean
from ..scoring.qa import DEFAULT_SCORER, SCORERS

Normalisation = Literal["raw", "token", "byte"]
NORMALISATIONS = get_args(Normalisation)


def _scalars_as_text(value: Any) -> Any:
    """A mapping's scalar keys and values as text (YAML reads ``1`` and ``True`` as numbers and booleans)."""
    if not isinstance(value, dict):
        return value
    scalar = (str, int, float, bool)
    return {str(k) if isinstance(k, scalar) else k: str(v) if isinstance(v, scalar) else v for k, v in value.items()}


TextMap = Annotated[dict[str, str], BeforeValidator(_scalars_as_text)]


class TaskOptions(BaseModel):
    """Options every kind accepts (none): the base of the per-kind models."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SimilarityOptions(TaskOptions):
    """How embedding similarities rank candidates."""

    scoring: Literal["margin", "cosine"] = Field(
        "margin", description="How candidates are ranked: `margin` (the ratio margin of LASER) or plain `cosine`."
    )
    k: int = Field(4, ge=1, description="The neighbourhood size of the ratio margin.")


class HeadOptions(TaskOptions):
    """A logistic-regression head on embeddings (``classification``, ``pair_classification``)."""

    train_split: str | None = Field(
        None, description="The split the head trains on (default: the task's `train_split`)."
    )
    train_language: str | None = Field(
        None, description="The language the head trains on (default: the task's `source_language`)."
    )
    train_limit: int | None = Field(None, description="Train the head on at most this many items.")
    head_fraction: float = Field(
        0.5,
        description="Without a train split: the head trains on this first part of the source language's eval "
        "split, held out of every language's evaluation.",
    )
    C: float = Field(1.0, description="The inverse regularisation strength of the logistic head.")
    in_language: bool = Field(
        False, description="Also fit a head on each language's own train split (setting `in-language`)."
    )


class FineTuneOptions(TaskOptions):
    """Fine-tuning an encoder."""

    train_task: str | None = Field(
        None,
        description="Fine-tuning: train on this task's train split (a catalog task, or a task YAML path "
        "relative to this file) instead of this task's own.",
    )
    dev_split: str = Field(
        "dev",
        description="Fine-tuning: the split each seed's epoch is chosen on, used automatically where its file "
        "exists and is distinct from the eval and train splits (else the last epoch).",
    )

    @field_validator("train_task")
    @classmethod
    def _train_task(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a task name or a task YAML path")
        return value


class PromptOptions(TaskOptions):
    """The prompt template of an LLM kind."""

    prompt_family: str | None = Field(
        None, description="LLM kinds: the prompt template family (default: chosen by kind and labels)."
    )
    prompt_labels: TextMap | None = Field(
        None, description="LLM kinds: task label -> the label key in the prompt word lists (`xling prompt-words`)."
    )


class LoglikOptions(PromptOptions):
    """Choices scored by log-likelihood."""

    normalisation: Normalisation = Field(
        "byte",
        description="Log-likelihood kinds: choice scores `raw`, or divided by the choice's `token` or `byte` count.",
    )


class ClassificationOptions(HeadOptions, FineTuneOptions):
    pass


class PairClassificationOptions(HeadOptions, FineTuneOptions, LoglikOptions):
    label_words: TextMap | None = Field(
        None, description="Log-likelihood: label -> the word that verbalises it (required there)."
    )
    question: str | None = Field(
        None, description="Log-likelihood: the prompt's question, a format string over the item fields."
    )


# The names a log-likelihood template may use beside the item's fields.
TEMPLATE_HELPERS = ("choice", "letter", "index", "choices_lettered")


def template_names(text: str) -> list[str]:
    """The item fields a format string reads (``{choices[0]}`` reads ``choices``); ValueError when it is malformed."""
    names = []
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            root = re.split(r"[.\[]", name, maxsplit=1)[0]
            if not root or root.isdigit():
                raise ValueError(f"placeholder {{{name}}} must name a field, e.g. {{question}}")
            names.append(root)
    return names


class LoglikTemplate(TaskOptions):
    """The two format strings of ``format: template``."""

    context: str = Field(
        description="The scored prompt: a format string over the item fields and `{choice}`, `{letter}` (A, B...), "
        "`{index}` (from 0), `{choices_lettered}` (`A. <choice>` lines).",
    )
    continuation: str = Field(
        description="What is scored after the context, one per choice: a format string like `context` "
        '(e.g. `" {letter}"` or `" {choice}"`).',
    )

    @field_validator("context", "continuation")
    @classmethod
    def _parses(cls, value: str) -> str:
        template_names(value)
        return value


class MultipleChoiceOptions(LoglikOptions):
    """``format``: ``continuation`` scores each choice after the item's context; ``partial``
    (Winograd schemas) fills the passage's blank with each choice and scores the words after it;
    ``substitute`` scores the choice and the words after it given the text before the blank;
    ``template`` builds both from the task's format strings."""

    format: Literal["continuation", "partial", "substitute", "template"] = Field(
        "continuation",
        description="`continuation`: each choice scored after the context; `partial`: each choice fills the "
        "blank and the words after it are scored (Winograd); `substitute`: the choice and the words after it are "
        "scored after the text before the blank; `template`: context and continuation from `template`.",
    )
    blank: str = Field(
        "_", min_length=1, description="`partial` and `substitute`: the blank each choice fills in the passage."
    )
    template: LoglikTemplate | None = Field(
        None,
        description="`format: template`: `{context: ..., continuation: ...}`, two format strings over the item "
        "fields (`{question}`, `{choices[0]}`) and, per choice, `{choice}`, `{letter}` (A, B...), `{index}` (from 0) "
        "and `{choices_lettered}` (`A. <choice>` lines); the continuation is what is scored.",
    )

    @model_validator(mode="after")
    def _template_with_its_format(self):
        if (self.format == "template") != (self.template is not None):
            raise ValueError("'template' (context and continuation) goes with 'format: template', and only with it")
        return self


class QAScoringOptions(TaskOptions):
    """How QA answers are compared with the gold ones (EM/F1). ``no_answer``: what a model writes
    when a question has no answer (the prompt says so); such an answer, like an empty one, is the
    No Answer prediction that an unanswerable question's gold (``gold: {no_answer: true}``) matches."""

    qa_normalisation: str = Field(
        DEFAULT_SCORER,
        description="How answers are normalised before EM/F1: `squad` (the SQuAD v1.1 script) or `mlqa` "
        "(the MLQA script's per-language rules).",
    )
    no_answer: str | None = Field(
        None,
        min_length=1,
        description="QA: what the model is told to write when the question has no answer (e.g. 'No answer'); "
        "that answer, or an empty one, matches a No Answer gold.",
    )

    @field_validator("qa_normalisation")
    @classmethod
    def _scorer(cls, value: str) -> str:
        if value not in SCORERS:
            raise ValueError(
                f"unknown scorer {value!r}.{did_you_mean(value, SCORERS)} Allowed: {', '.join(SCORERS)}"
                " (squad: the SQuAD v1.1 script; mlqa: the MLQA script's per-language rules)"
            )
        return value


class ExtractiveQAOptions(FineTuneOptions, PromptOptions, QAScoringOptions):
    pass


class GenerativeQAOptions(PromptOptions, QAScoringOptions):
    """Closed-book QA by generation."""


class SummarizationOptions(PromptOptions):
    """Summaries by generation. ``max_article_chars``: the article is cut to its first N
    characters before prompting (None: never cut); each prediction records the cut."""

    max_article_chars: int | None = Field(
        4000, ge=1, description="Cut the article to its first N characters before prompting (`null`: never)."
    )


class MathOptions(PromptOptions):
    exemplars: str | None = Field(None, description="A file of worked exemplars under the task's root (MGSM's).")


class SequenceLabellingOptions(FineTuneOptions):
    pass


class MiningThresholdOptions(SimilarityOptions):
    """Where the ratio-margin threshold of mined pairs comes from (the ``mining_*`` metrics): a given
    number, chosen on another split, or the best one on the evaluated split. Never a silent default:
    a task scored by a mining metric declares one of the three."""

    threshold: float | Literal["best"] | None = Field(
        None,
        description=(
            "Ratio-margin threshold for a mined pair (`mining_*` metrics): a number (e.g. LASER's 1.06) applied as"
            " given, or `best`: the F1-maximising threshold on the evaluated split itself (optimistic; stated in the"
            " results). Leave it out when `threshold_split` is set."
        ),
    )
    threshold_split: str | None = Field(
        None,
        description=(
            "The split (e.g. BUCC's `training` or `sample`) on which the F1-maximising threshold is chosen and"
            " then applied to `eval_split`, as the BUCC protocol does."
        ),
    )

    @field_validator("threshold", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_source(self):
        if self.threshold is not None and self.threshold_split is not None:
            raise ValueError("give either 'threshold' or 'threshold_split', not both")
        return self

    def declared(self) -> bool:
        """Whether the task says where its mining threshold comes from."""
        return self.threshold is not None or self.threshold_split is not None


class BitextRetrievalOptions(MiningThresholdOptions):
    pass


class BitextMiningOptions(MiningThresholdOptions):
    """BUCC-style mining between two non-aligned corpora: path patterns (like ``local.path``, under the
    task's root) of the pivot-language corpus and of the gold pairs."""

    pivot_path: str | None = Field(
        None,
        description=(
            "`bitext_mining`: path pattern of the pivot-language corpus (read with the task's format and columns,"
            ' e.g. `"bucc2018/{lang}-en/{lang}-en.{split}.en"`).'
        ),
    )
    gold_path: str | None = Field(
        None,
        description=(
            "`bitext_mining`: path pattern of the gold pairs, one `source_id<TAB>pivot_id` a line"
            ' (e.g. `"bucc2018/{lang}-en/{lang}-en.{split}.gold"`).'
        ),
    )


class STSOptions(TaskOptions):
    pass


class RetrievalOptions(SimilarityOptions):
    pass


class TranslationOptions(TaskOptions):
    """Machine translation: the directions (``SOURCE->TARGET``, ``xx`` the unit's language) and
    the split demonstrations come from."""

    directions: list[str] | None = Field(
        None,
        description="`SOURCE->TARGET` directions, `xx` the unit's language "
        "(default: `eng_Latn->xx` and `xx->eng_Latn`).",
    )
    demo_split: str = Field("dev", description="The split few-shot demonstrations are drawn from.")

    @field_validator("directions")
    @classmethod
    def _directions(cls, value: list[str] | None) -> list[str] | None:
        from ..prompts.protocols import split_direction  # the prompt templates: only for tasks that translate

        if value is not None and not value:
            raise ValueError("must list at least one direction, e.g. [eng_Latn->xx]")
        for d in value or []:
            try:
                split_direction(d)
            except UserError as exc:
                raise ValueError(exc.message) from exc
        return value


class OpenEndedOptions(TaskOptions):
    """Multi-turn answers graded by an LLM judge; ``{lang}`` in a path is the item language's dataset code."""

    judge_prompts: str = Field(
        "judge_prompts.jsonl", description="The release's judge prompts (MT-Bench's JSON lines)."
    )
    references: str | None = Field(None, description="Reference answers (MT-Bench's `reference_answer/gpt-4.jsonl`).")
    rubric: str | None = Field(
        None, description="The rubric of `--judge-mode rubric` (default: a general helpfulness rubric)."
    )
    max_tokens: int = Field(512, ge=1, description="The most tokens generated per answer.")
    judge_max_tokens: int = Field(512, ge=1, description="The most tokens the judge generates per verdict.")


class JudgeValidityOptions(TaskOptions):
    """The evaluated model as a judge, rating responses against a rubric and a reference answer."""

    max_tokens: int = Field(512, ge=1, description="The most tokens generated per verdict.")


OPTIONS_BY_KIND: dict[str, type[TaskOptions]] = {
    "classification": ClassificationOptions,
    "pair_classification": PairClassificationOptions,
    "multiple_choice": MultipleChoiceOptions,
    "extractive_qa": ExtractiveQAOptions,
    "generative_qa": GenerativeQAOptions,
    "summarization": SummarizationOptions,
    "math": MathOptions,
    "sequence_labelling": SequenceLabellingOptions,
    "bitext_retrieval": BitextRetrievalOptions,
    "bitext_mining": BitextMiningOptions,
    "sts": STSOptions,
    "many_to_many_retrieval": RetrievalOptions,
    "retrieval": RetrievalOptions,
    "translation": TranslationOptions,
    "open_ended": OpenEndedOptions,
    "judge_validity": JudgeValidityOptions,
}


def options_model(kind: object) -> type[TaskOptions]:
    """The options model of ``kind`` (the base, which takes no key, for an unknown kind)."""
    return OPTIONS_BY_KIND.get(kind, TaskOptions) if isinstance(kind, str) else TaskOptions


__all__ = [
    "TaskOptions",
    "SimilarityOptions",
    "HeadOptions",
    "FineTuneOptions",
    "PromptOptions",
    "LoglikOptions",
    "ClassificationOptions",
    "PairClassificationOptions",
    "MultipleChoiceOptions",
    "LoglikTemplate",
    "TEMPLATE_HELPERS",
    "template_names",
    "QAScoringOptions",
    "ExtractiveQAOptions",
    "GenerativeQAOptions",
    "SummarizationOptions",
    "MathOptions",
    "SequenceLabellingOptions",
    "MiningThresholdOptions",
    "BitextRetrievalOptions",
    "BitextMiningOptions",
    "STSOptions",
    "RetrievalOptions",
    "TranslationOptions",
    "OpenEndedOptions",
    "JudgeValidityOptions",
    "OPTIONS_BY_KIND",
    "NORMALISATIONS",
    "options_model",
]
