"""``open_ended``: multi-turn instructions (MT-Bench-X) answered by the model and graded by an LLM judge.

Each item is a conversation of user turns. The model answers turn 1, then turn 2 with its own
turn-1 answer in the conversation, through its chat template (``--no-chat-template``, or a model
without one: the plain ``### User:`` / ``### Assistant:`` format of
:func:`xling.prompts.judging.plain_conversation`). The judge (``--judge``) grades every turn:

- ``--judge-mode single``: MT-Bench's single-answer grading 1-10 with the release's judge prompt
  for the item's category and turn (with the reference answer for math, reasoning and coding);
- ``--judge-mode rubric``: the CIA/Recon rubric grading 1-5 against the reference answer.

The item's score is the mean of its turns' ratings as a share of the scale (metric
``judge_score``). An empty answer is not sent to the judge and rates 0; a failed model or judge
call, or a reply without a rating, is an error row (holding the judge's text).
"""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import DataError, UserError
from ...languages.identify import output_language
from ...models.base import Capability, ItemError
from ...prompts import judging
from ...prompts.protocols import ProtocolOptions
from ...tasks import Task
from ...types import Item, Prediction, Unit
from ..base import Kind, RunContext
from ..config import RunConfig
from .judge import Judge, read_verdict
from .outputs import OutputOptions, record

SCALES = {"single": judging.SINGLE_SCALE, "rubric": judging.RUBRIC_SCALE}


class OpenEnded(Kind):
    """Multi-turn answers graded by an LLM judge (see the module docstring)."""

    name = "open_ended"
    needs = Capability.GENERATE
    description = "multi-turn instructions answered by the model and graded 1-10 (or 1-5 by rubric) by an LLM judge"

    def __init__(self):
        self.configure(RunConfig(), None, None)

    def configure(self, config: RunConfig, backend, translation) -> None:
        """Take the run's judge and whether the model's chat template is used; the other protocol
        options (translation, prompt language, shots) do not apply to open-ended answers."""
        p = config.protocol
        applicable = ProtocolOptions(
            chat=p.chat,
            answer_by=p.answer_by,
            thinking_markers=p.thinking_markers,
            wrong_language_zero=p.wrong_language_zero,
            system_prompt=p.system_prompt,
        )
        if p != applicable:
            raise UserError(
                "open-ended tasks take no --protocol, --prompt-language, --shots or --translator",
                hint="the questions are asked as they are; --no-chat-template, --system-prompt,"
                " --thinking-markers, --wrong-language-zero and the --judge options apply",
            )
        self.output = OutputOptions.of(config)
        self.judge = Judge(config.judge)
        self.chat = config.protocol.chat == "auto"
        self.setting = f"judge-{config.judge.mode}/prompt-{config.judge.language}"

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        self.judge.check(task.name)  # a missing judge, or one that cannot generate, stops the run here
        return [Unit(task.name, self.setting, lang) for lang in languages]

    def recorded(self, task: Task, languages: list[str]) -> dict:
        """The judge (spec, mode, prompt language) and the sha256 of every judge prompt used; its
        fingerprint is in every prediction (``judge.fingerprint``)."""
        options = self.judge.options
        judge = {"spec": options.spec, "language": options.language, "mode": options.mode}
        if self.judge.options.mode == "rubric":
            judge["prompts_sha256"] = {judging.RUBRIC_PROMPT.name: judging.RUBRIC_PROMPT.sha256}
        else:
            judge["prompts_sha256"] = {
                lang: {p.name: p.sha256 for p in judging.read_judge_prompts(self._prompts_file(task, lang)).values()}
                for lang in languages
            }
        return {"judge": judge}

    # --- running -------------------------------------------------------------------------------
    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        items = ctx.items(task, unit.language, task.spec.eval_split)
        if not items:
            return []
        opts = task.spec.options
        references = self._references(task, unit.language, items, ctx)
        answers: list[list[dict]] = [[] for _ in items]
        failed: list[str | None] = [None] * len(items)
        for turn in range(max(len(it.fields["turns"]) for it in items)):
            todo = [i for i, it in enumerate(items) if failed[i] is None and turn < len(it.fields["turns"])]
            prompts = [self._conversation(items[i], answers[i], turn, ctx) for i in todo]
            got = ctx.lm().generations(prompts, stop=self._stop(ctx), max_tokens=opts.max_tokens)
            for i, out in zip(todo, got, strict=True):
                if isinstance(out, ItemError):
                    failed[i] = f"model call failed (turn {turn + 1}): {out}"
                else:
                    answers[i].append(
                        record(out.text, unit.language, markers=self.output.markers, max_tokens_hit=out.max_tokens_hit)
                    )
        requests = {}  # (item index, turn) -> the judge's request
        for i, it in enumerate(items):
            if failed[i] is None:
                for t, ans in enumerate(answers[i]):
                    if ans.get("status") != "empty":
                        requests[i, t] = self._request(
                            task, unit.language, it, answers[i], references.get(it.item_id), t, ctx
                        )
        keys = list(requests)
        replies = dict(
            zip(keys, self.judge.ask([requests[k] for k in keys], ctx, task.name, max_tokens=opts.judge_max_tokens))
        )
        info = self.judge.info(task.name)
        return [
            self._prediction(it, unit.language, answers[i], failed[i], references.get(it.item_id), replies, i, info)
            for i, it in enumerate(items)
        ]

    def _chat(self, ctx: RunContext) -> bool:
        return self.chat and bool(getattr(ctx.backend, "chat_template", None))

    def _stop(self, ctx: RunContext) -> list[str]:
        """A chat model ends its own turn; in the plain format an answer ends where the model
        would start the next user turn."""
        return [] if self._chat(ctx) else [judging.PLAIN_USER_TURN]

    def _conversation(self, item: Item, answers: list[dict], turn: int, ctx: RunContext) -> str:
        """The model's prompt for ``turn``: the earlier turns with its own answers, then the question."""
        turns = [(q, a["output"]) for q, a in zip(item.fields["turns"][:turn], answers, strict=True)]
        turns.append((item.fields["turns"][turn], None))
        system = self.output.system_prompt
        if self._chat(ctx):
            return ctx.backend.apply_chat_template(judging.conversation_messages(turns, system))
        return judging.plain_conversation(turns, system)

    def _request(self, task, language, item, answers, references, turn, ctx) -> str:
        questions = list(item.fields["turns"])
        outputs = [a["output"] for a in answers]
        if self.judge.options.mode == "rubric":
            earlier = judging.plain_conversation([(q, a) for q, a in zip(questions[:turn], outputs, strict=False)])
            refs = list(references or [])
            return judging.rubric_request(
                earlier + questions[turn],
                outputs[turn],
                refs[turn] if turn < len(refs) else "",
                task.spec.options.rubric or judging.GENERAL_RUBRIC,
            )
        prompts = self._judge_prompts(task, language, ctx)
        name = judging.single_prompt_name(item.fields.get("category", ""), turn + 1)
        if name not in prompts:
            raise DataError(self._prompts_file(task, language), None, f"no judge prompt {name!r}")
        return prompts[name].render(**judging.single_values(questions, outputs, references, turn + 1))

    def _prediction(self, item, language, answers, failed, references, replies, i, info) -> Prediction:
        scale = SCALES[self.judge.options.mode]
        outputs = [a["output"] for a in answers]
        pred = {
            "output": "\n\n".join(outputs),
            "raw": "\n\n".join(a["raw"] for a in answers),
            "turns": answers,
            "category": item.fields.get("category"),
            "judge": info | {"mode": self.judge.options.mode, "scale": scale},
        }
        if answers:
            pred["output_language"] = output_language(pred["output"], language)
        thinking = sum(a.get("thinking_chars", 0) for a in answers)
        if thinking:
            pred["thinking_chars"] = thinking
        if any(a.get("max_tokens_hit") for a in answers):
            pred["max_tokens_hit"] = True
        if answers and all(a.get("status") == "empty" for a in answers):
            pred["status"] = "empty"
        gold = list(references) if references else None
        if failed:
            return Prediction(item.split, item.item_id, item.parallel_id, pred, gold, None, failed)
        ratings, replies_of, errors = [], [], []
        for t in range(len(answers)):
            reply = replies.get((i, t))
            if reply is None:  # an empty answer: not judged
                ratings.append(0.0)
                replies_of.append(None)
                continue
            if isinstance(reply, ItemError):
                errors.append(f"judge call failed (turn {t + 1}): {reply}")
                replies_of.append(None)
                continue
            replies_of.append(reply)
            rating, why = read_verdict(reply, scale)
            if why:
                errors.append(f"turn {t + 1}: {why}")
            ratings.append(rating)
        pred["judge"]["replies"] = replies_of
        if errors:
            return Prediction(item.split, item.item_id, item.parallel_id, pred, gold, None, "; ".join(errors))
        pred["ratings"] = ratings
        score = 0.0 if self.output.zeroes(pred) else sum(ratings) / (scale * len(ratings))
        return Prediction(item.split, item.item_id, item.parallel_id, pred, gold, score)

    # --- the release's judge prompts and reference answers -------------------------------------
    def _judge_prompts(self, task: Task, language: str, ctx: RunContext) -> dict[str, judging.JudgePrompt]:
        """The judge prompts in English or in the item's language (``--judge-language``)."""
        return ctx.remember(
            ("judge-prompts", task.name, self.judge.options.language, language),
            lambda: judging.read_judge_prompts(self._prompts_file(task, language)),
        )

    def _prompts_file(self, task: Task, language: str) -> Path:
        return judge_prompts_file(task, language, self.judge.options.language)

    def _references(self, task: Task, language: str, items: list[Item], ctx: RunContext) -> dict[str, list[str]]:
        """Reference answers by item id: the ``references`` file's (MT-Bench's
        ``reference_answer/gpt-4.jsonl``: ``question_id``, ``choices[0].turns``), else the item's
        own ``reference`` field; items with neither have none."""
        name = task.spec.options.references
        from_file = {}
        if name:
            path = name.format(lang=task.code(language))
            from_file = ctx.remember(("references", task.name, path), lambda: read_references(task.data_file(path)))
        return {it.item_id: refs for it in items if (refs := from_file.get(it.item_id) or it.fields.get("reference"))}


def judge_prompts_file(task: Task, language: str, judge_language: str) -> Path:
    """The task's judge prompts for items in ``language``: the source language's (``en``) or its own (``native``)."""
    lang = task.spec.source_language if judge_language == "en" else language
    return task.data_file(task.spec.options.judge_prompts.format(lang=task.code(lang)))


def read_references(path: Path) -> dict[str, list[str]]:
    """MT-Bench reference answers: ``{"question_id": ..., "choices": [{"turns": [...]}]}`` per line."""
    out = {}
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["question_id"])] = [str(t) for t in row["choices"][0]["turns"]]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise DataError(path, n, f"not a reference answer (question_id, choices[0].turns): {exc}") from exc
    return out
