"""Summarization by generation, same-language (XL-Sum, WikiLingua) and cross-language (CrossSum:
the article in one language, the summary asked for in another).

The summary's language is the item's ``summary_language`` field (the task's ``summary`` variant
axis) or else the item's own. A long article is cut to ``options.max_article_chars`` characters
before prompting; each prediction records the article's length and whether it was cut. Scores:
multilingual ROUGE-1/2/L and chrF (:mod:`xling.scoring.rouge`, :mod:`xling.scoring.mt`) from the
output; the per-item score is the task metric's ROUGE F1 (ROUGE-2 when the metric is not a ROUGE).
"""

from __future__ import annotations

from ...calls.lm import Generation
from ...scoring import answers
from ...scoring.rouge import ROUGE_TYPES, rouge_f1
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import RunContext
from .generation import GenerationKind
from .outputs import record

SUMMARY_METRICS = ("rouge2", "rougeL", "rouge1", "chrf")


def summary_language(item: Item, fields: dict) -> str:
    """The language the summary is asked for and scored in."""
    return fields.get("summary_language") or item.language


class Summarization(GenerationKind):
    """An article in, a short summary out, in the item's language or its ``summary_language``."""

    name = "summarization"
    description = "summaries by generation, same- or cross-language; multilingual ROUGE-1/2/L and chrF"
    max_tokens = 128
    supports_translation = False
    supports_xlt = False
    max_article_chars: int | None = None

    def metrics(self, task: Task) -> list[str]:
        return [task.spec.metric, *(m for m in SUMMARY_METRICS if m != task.spec.metric)]

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        self.max_article_chars = task.spec.options.max_article_chars
        return super().run(unit, task, ctx)

    def prepare(self, fields: dict) -> dict:
        text = fields["text"]
        if self.max_article_chars is None or len(text) <= self.max_article_chars:
            return fields
        return fields | {"text": text[: self.max_article_chars]}

    def read(self, out: Generation, item: Item, fields: dict, language: str) -> dict:
        return record(
            out.text, summary_language(item, fields), markers=self.output.markers, max_tokens_hit=out.max_tokens_hit
        )

    def score(self, family, item, text, fields, lex, keys, language, prompt_language):
        rouge_type = self.task_metric if self.task_metric in ROUGE_TYPES else "rouge2"
        article = len(item.fields["text"])
        extra = {"summary_language": summary_language(item, fields), "article_chars": article}
        if len(fields["text"]) < article:
            extra["article_cut_to"] = len(fields["text"])
        return answers.Extracted(text, "ok"), rouge_f1(text, item.gold, rouge_type), extra
