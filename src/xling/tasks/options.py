"""The ``options:`` of a task file, one typed model per kind.

Each kind's model holds every option some implementation of that kind reads (an embedding head,
fine-tuning, log-likelihood, generation), with its type and default. A key the kind does not know,
or a value of the wrong type, is an error when the task file loads, with the file, line and the
known keys, like any other key of the spec.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

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

    scoring: Literal["margin", "cosine"] = "margin"
    k: int = Field(4, ge=1)  # neighbourhood size of the ratio margin


class HeadOptions(TaskOptions):
    """A logistic-regression head on embeddings (``classification``, ``pair_classification``)."""

    train_split: str | None = None  # default: the spec's train_split
    train_language: str | None = None  # default: the spec's source_language
    train_limit: int | None = None
    head_fraction: float = 0.5  # of the eval split, when there is no train split
    C: float = 1.0
    in_language: bool = False


class FineTuneOptions(TaskOptions):
    """Fine-tuning an encoder."""

    train_task: str | None = None  # a catalog task, or a task YAML path relative to this file
    dev_split: str = "dev"

    @field_validator("train_task")
    @classmethod
    def _train_task(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a task name or a task YAML path")
        return value


class PromptOptions(TaskOptions):
    """The prompt template of an LLM kind."""

    prompt_family: str | None = None  # default: by kind and labels
    prompt_labels: TextMap | None = None  # task label -> lexicon label key


class LoglikOptions(PromptOptions):
    """Choices scored by log-likelihood."""

    normalisation: Normalisation = "byte"


class ClassificationOptions(HeadOptions, FineTuneOptions):
    pass


class PairClassificationOptions(HeadOptions, FineTuneOptions, LoglikOptions):
    label_words: TextMap | None = None  # label -> verbaliser word
    question: str | None = None  # the log-likelihood prompt's question, a format string over fields


class MultipleChoiceOptions(LoglikOptions):
    """``format``: ``continuation`` scores each choice after the item's context; ``partial``
    (Winograd schemas) fills the passage's blank ``_`` with each choice and scores the words after it."""

    format: Literal["continuation", "partial"] = "continuation"


class QAScoringOptions(TaskOptions):
    """How QA answers are compared with the gold ones (EM/F1). ``no_answer``: what a model writes
    when a question has no answer (the prompt says so); such an answer, like an empty one, is the
    No Answer prediction that an unanswerable question's gold (``gold: {no_answer: true}``) matches."""

    qa_normalisation: str = DEFAULT_SCORER
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

    max_article_chars: int | None = Field(4000, ge=1)


class MathOptions(PromptOptions):
    exemplars: str | None = None  # a file of worked exemplars under the task's root


class SequenceLabellingOptions(FineTuneOptions):
    pass


class BitextRetrievalOptions(SimilarityOptions):
    threshold: float = 1.06  # LASER's usual ratio-margin threshold for mined pairs


class STSOptions(TaskOptions):
    pass


class RetrievalOptions(SimilarityOptions):
    pass


class TranslationOptions(TaskOptions):
    """Machine translation: the directions (``SOURCE->TARGET``, ``xx`` the unit's language) and
    the split demonstrations come from."""

    directions: list[str] | None = None  # default: eng_Latn->xx and xx->eng_Latn
    demo_split: str = "dev"

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

    judge_prompts: str = "judge_prompts.jsonl"  # the release's judge prompts (MT-Bench's JSON lines)
    references: str | None = None  # reference answers (MT-Bench's reference_answer/gpt-4.jsonl)
    rubric: str | None = None  # the rubric of --judge-mode rubric (default: a general helpfulness rubric)
    max_tokens: int = Field(512, ge=1)  # per answer
    judge_max_tokens: int = Field(512, ge=1)  # per verdict


class JudgeValidityOptions(TaskOptions):
    """The evaluated model as a judge, rating responses against a rubric and a reference answer."""

    max_tokens: int = Field(512, ge=1)  # per verdict


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
    "QAScoringOptions",
    "ExtractiveQAOptions",
    "GenerativeQAOptions",
    "SummarizationOptions",
    "MathOptions",
    "SequenceLabellingOptions",
    "BitextRetrievalOptions",
    "STSOptions",
    "RetrievalOptions",
    "TranslationOptions",
    "OpenEndedOptions",
    "JudgeValidityOptions",
    "OPTIONS_BY_KIND",
    "NORMALISATIONS",
    "options_model",
]
