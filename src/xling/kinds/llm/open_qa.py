"""Closed-book (open-domain) QA by generation: XOR-TyDi XOR-Full, MKQA.

The model sees only the question (no passage) and answers in the question's language. The answer
line, thinking spans removed, is compared with every gold answer and alias by the task's
normalisation (:mod:`xling.scoring.qa`, MLQA's per-language rules by default): EM and token F1 are
each the best over them. The per-item score is F1; an empty answer scores 0 (``status: empty``),
a failed model call is an error row.

Unanswerable questions are scored as MKQA's official ``mkqa_eval.py`` does (the No Answer rule of
:class:`~.generation.GenerativeQA`): EM and F1 are 1 when gold and prediction are both No Answer,
0 when only one is.
"""

from __future__ import annotations

from ...calls.lm import Generation
from ...tasks import Task
from ...types import Item
from .generation import GenerativeQA
from .outputs import record


class GenerativeOpenQA(GenerativeQA):
    """Open-domain QA answered from the model's own knowledge, scored by language-aware EM/F1."""

    name = "generative_qa"
    description = "closed-book QA by generation: answers in the question's language, EM/F1 over all gold aliases"
    supports_xlt = False

    def metrics(self, task: Task) -> list[str]:
        return [task.spec.metric, *(m for m in ("f1", "em") if m != task.spec.metric)]

    def read(self, out: Generation, item: Item, fields: dict, language: str) -> dict:
        return record(
            out.text, language, first_line=True, markers=self.output.markers, max_tokens_hit=out.max_tokens_hit
        )

    def score(self, family, item, text, fields, lex, keys, language, prompt_language, golds=None):
        ex, _, extra = super().score(family, item, text, fields, lex, keys, language, prompt_language, golds)
        return ex, extra["f1"], extra
