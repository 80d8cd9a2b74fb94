"""Closed-book (open-domain) QA by generation: XOR-TyDi XOR-Full, MKQA.

The model sees only the question (no passage) and answers in the question's language. The answer
line, thinking spans removed, is compared with every gold answer and alias by the task's
normalisation (:mod:`xling.scoring.qa`, MLQA's per-language rules by default): EM and token F1 are
each the best over them. The per-item score is F1; an empty answer scores 0 (``status: empty``),
a failed model call is an error row.

Unanswerable questions (MKQA, as its official ``mkqa_eval.py`` scores them): a gold list holding
``""`` (``gold: {no_answer: true}``) is matched by the No Answer prediction, an answer that is
empty after normalisation or that says the task's ``options.no_answer`` words: EM and F1 are 1
when both are No Answer, 0 when only one is.
"""

from __future__ import annotations

from ...calls.lm import Generation
from ...scoring import answers
from ...scoring import qa as qa_metrics
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import RunContext
from .generation import GenerativeQA
from .outputs import record


class GenerativeOpenQA(GenerativeQA):
    """Open-domain QA answered from the model's own knowledge, scored by language-aware EM/F1."""

    name = "generative_qa"
    description = "closed-book QA by generation: answers in the question's language, EM/F1 over all gold aliases"
    supports_xlt = False
    no_answer: str | None = None

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        self.no_answer = task.spec.options.no_answer
        return super().run(unit, task, ctx)

    def metrics(self, task: Task) -> list[str]:
        return [task.spec.metric, *(m for m in ("f1", "em") if m != task.spec.metric)]

    def prepare(self, fields: dict) -> dict:
        return {**fields, "no_answer": self.no_answer} if self.no_answer else fields

    def read(self, out: Generation, item: Item, fields: dict, language: str) -> dict:
        return record(
            out.text, language, first_line=True, markers=self.output.markers, max_tokens_hit=out.max_tokens_hit
        )

    def score(self, family, item, text, fields, lex, keys, language, prompt_language):
        golds = [str(g) for g in (item.gold if isinstance(item.gold, list) else [item.gold])]
        if "" in golds or self.no_answer:
            said = self._normalised(text, language)
            if not said or said == self._normalised(self.no_answer or "", language):
                hit = float(any(not self._normalised(g, language) for g in golds))
                return answers.Extracted("", "ok", "no-answer"), hit, {"em": hit, "f1": hit, "no_answer": True}
            golds = [g for g in golds if self._normalised(g, language)]
            if not golds:  # an unanswerable question answered: 0, as mkqa_eval.py scores it
                return answers.Extracted(text.strip(), "ok", "first-line"), 0.0, {"em": 0.0, "f1": 0.0}
        ex, _, extra = super().score(family, item, text, {}, lex, keys, language, prompt_language, golds=golds)
        return ex, extra["f1"], extra

    def _normalised(self, text: str, language: str) -> str:
        return qa_metrics.normalize_answer(text or "", language, self.scorer)
