"""Pairwise LLM judging of two runs' ``open_ended`` answers (MT-Bench's pairwise comparison).

For every item both runs answered (same task, language and item id, no error row), the judge
compares the two conversations turn by turn with the release's pairwise prompts (``pair-v2``;
``pair-math-v1`` with the reference answer for math, reasoning and coding; their
``-multi-turn`` forms for turn 2), twice: with run A's answer shown first, then second, so that
position bias cancels. Outcomes are tallied with :func:`xling.scoring.judge.tally`: orders that
disagree count as a tie and as ``inconsistent``; a reply without a verdict (or a failed call)
leaves the item ``missing``, its text kept in the details.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ..calls.counters import CallStats
from ..errors import UserError
from ..kinds.base import RunContext
from ..kinds.llm.judge import Judge
from ..kinds.llm.open_ended import judge_prompts_file
from ..models.base import ItemError
from ..prompts import judging
from ..scoring.judge import parse_preference, tally
from ..tasks import Task


@dataclass(frozen=True)
class Pair:
    """One item both runs answered: its questions, each run's answers, its reference answers."""

    task: Task
    language: str
    item_id: str
    category: str
    questions: list[str]
    answers_a: list[str]
    answers_b: list[str]
    references: list[str] | None


def pairwise(
    run_a: pd.DataFrame, run_b: pd.DataFrame, tasks: dict[str, Task], judge: Judge, cache, *, max_tokens: int = 512
) -> dict:
    """Run A against run B (their prediction frames): ``{"tallies": [...], "details": [...]}``,
    a tally per task, language and turn, and each item's verdicts with A's answer first and second."""
    pairs = paired(run_a, run_b, tasks)
    if not pairs:
        raise UserError("the two runs have no open-ended item in common that both answered")
    requests = []
    for p in pairs:
        prompts = judging.read_judge_prompts(judge_prompts_file(p.task, p.language, judge.options.language))
        for turn in range(1, len(p.questions) + 1):
            prompt = prompts[judging.pair_prompt_name(p.category, turn)]
            for first, second in ((p.answers_a, p.answers_b), (p.answers_b, p.answers_a)):
                requests.append(prompt.render(**judging.pair_values(p.questions, first, second, p.references, turn)))
    ctx = RunContext(backend=judge.backend(pairs[0].task.name), cache=cache, client=None, stats=CallStats())
    replies = iter(judge.ask(requests, ctx, pairs[0].task.name, max_tokens=max_tokens))
    details = []
    for p in pairs:
        for turn in range(1, len(p.questions) + 1):
            as_first, as_second = next(replies), next(replies)
            details.append(
                {
                    "task": p.task.name,
                    "language": p.language,
                    "item_id": p.item_id,
                    "turn": turn,
                    "a_first": _verdict(as_first),
                    "a_second": _verdict(as_second),
                    "replies": [_text(as_first), _text(as_second)],
                }
            )
    tallies = []
    frame = pd.DataFrame(details)
    for (task, language, turn), rows in frame.groupby(["task", "language", "turn"], sort=True):
        t = tally(zip(rows["a_first"], rows["a_second"], strict=True))
        tallies.append({"task": task, "language": language, "turn": int(turn), **asdict(t), "win_rate": t.win_rate})
    return {"tallies": tallies, "details": details}


def _verdict(reply: str | ItemError) -> str | None:
    return None if isinstance(reply, ItemError) else parse_preference(reply)


def _text(reply: str | ItemError) -> str:
    return f"judge call failed: {reply}" if isinstance(reply, ItemError) else reply


def paired(run_a: pd.DataFrame, run_b: pd.DataFrame, tasks: dict[str, Task]) -> list[Pair]:
    """The ``open_ended`` items both runs answered without error, in (task, language, item) order."""
    out = []
    items: dict[tuple[str, str], dict] = {}
    answered_b = {
        (r.task, r.language, r.item_id): r.prediction for r in run_b.itertuples() if pd.isna(r.error) and r.prediction
    }
    for r in run_a.sort_values(["task", "language", "item_id"]).itertuples():
        other = answered_b.get((r.task, r.language, r.item_id))
        if r.task not in tasks or other is None or not pd.isna(r.error) or not r.prediction:
            continue
        task = tasks[r.task]
        if (task.name, r.language) not in items:
            items[task.name, r.language] = {it.item_id: it for it in task.items(r.language, task.spec.eval_split)}
        item = items[task.name, r.language][r.item_id]
        out.append(
            Pair(
                task,
                r.language,
                r.item_id,
                item.fields.get("category", ""),
                list(item.fields["turns"]),
                [t["output"] for t in r.prediction["turns"]],
                [t["output"] for t in other["turns"]],
                None if r.gold is None or isinstance(r.gold, float) else [str(g) for g in r.gold],
            )
        )
    return out
