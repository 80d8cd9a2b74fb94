"""``judge_validity``: how far to trust a model as an LLM judge (CIA/Recon).

The evaluated model *is* the judge: it rates each response 1-5 with the rubric prompt
(:func:`xling.prompts.judging.rubric_request`: the instruction, the response, a reference answer
that scores 5 and the score rubric), and its ratings are compared with the gold (human or
curated) ones by ``pearson``, ``spearman``, ``kendall`` and ``exact_agreement``. A row's
prediction is the judge's rating; its score ``1 - |rating - gold| / 4`` (1: the gold rating).
A reply without a rating in 1-5 is an error row holding the judge's text. Items without a
response (cells the release leaves empty) are not rated: they have no row.
"""

from __future__ import annotations

from ...models.base import Capability, ItemError
from ...prompts import judging
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import Kind, RunContext
from .judge import read_verdict, render

SCALE = judging.RUBRIC_SCALE
METRICS = ("pearson", "spearman", "kendall", "exact_agreement")


class JudgeValidity(Kind):
    """Responses rated 1-5 by the evaluated model, scored against gold ratings."""

    name = "judge_validity"
    needs = Capability.GENERATE
    description = "the model as an LLM judge: rubric ratings 1-5 correlated with gold ratings"
    setting = "judge-rubric/prompt-en"

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        items = [it for it in ctx.items(task, unit.language, task.spec.eval_split) if it.fields.get("response")]
        prompts = [render(ctx.backend, request(it)) for it in items]
        replies = ctx.lm().generate(prompts, stop=[], max_tokens=task.spec.options.max_tokens)
        return [_prediction(it, reply) for it, reply in zip(items, replies, strict=True)]

    def metrics(self, task: Task) -> list[str]:
        return [task.spec.metric, *(m for m in METRICS if m != task.spec.metric)]


def request(item: Item) -> str:
    """The rubric judge's request for one response (a system prompt, where given, opens the instruction)."""
    f = item.fields
    instruction = "\n\n".join(s for s in (f.get("system_prompt"), f["instruction"]) if s)
    return judging.rubric_request(instruction, f["response"], f.get("reference", ""), f["rubric"])


def _prediction(item: Item, reply: str | ItemError) -> Prediction:
    gold = float(item.gold)
    if isinstance(reply, ItemError):
        return Prediction(item.split, item.item_id, item.parallel_id, None, gold, None, f"model call failed: {reply}")
    rating, why = read_verdict(reply, SCALE)
    if why:
        return Prediction(item.split, item.item_id, item.parallel_id, None, gold, None, why)
    return Prediction(item.split, item.item_id, item.parallel_id, rating, gold, 1 - abs(rating - gold) / (SCALE - 1))
