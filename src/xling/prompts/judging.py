"""Text for LLM judges: the judge settings of a run, MT-Bench's judge prompts, the CIA/Recon rubric
prompt, and the plain format of a conversation for a model without a chat template.

MT-Bench (and MT-Bench-X, per language) ships its judge prompts as JSON lines
``{"name", "type", "system_prompt", "prompt_template", "category", "output_format"}``; single-answer
grading uses ``single-v1`` (``single-math-v1`` with the reference answer for math, reasoning and
coding), and their ``-multi-turn`` forms for the second turn. The rubric prompt is Prometheus's
absolute-grading prompt as CIA/Recon uses it, asking for the verdict in MT-Bench's ``[[n]]`` form so
that :func:`xling.scoring.judge.parse_rating` reads both.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import DataError, UserError

# MT-Bench's categories whose questions are graded against a reference answer (NEED_REF_CATS).
REFERENCE_CATEGORIES = frozenset({"math", "reasoning", "coding"})
SINGLE_SCALE = 10  # single-answer grading: 1-10
RUBRIC_SCALE = 5  # rubric grading: 1-5
JudgeMode = Literal["single", "rubric"]


class JudgeOptions(BaseModel):
    """``xling run --judge SPEC --judge-option K=V --judge-language en|native --judge-mode single|rubric``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: str | None = None  # a generate-capable model spec; None: no judge
    options: dict = Field(default_factory=dict)  # the judge backend's options
    language: Literal["en", "native"] = "en"  # judge prompts in English or in the item's language
    mode: JudgeMode = "single"

    @classmethod
    def from_dict(cls, raw: dict | None) -> JudgeOptions:
        """Options from a mapping (None values dropped); a misspelt key or value is a UserError."""
        from pydantic import ValidationError

        try:
            return cls.model_validate({k: v for k, v in (raw or {}).items() if v is not None})
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"]) or "judge"
            known = ", ".join(cls.model_fields)
            raise UserError(f"judge option {key!r}: {err['msg']}", hint=f"judge options: {known}") from exc

    def as_config(self) -> dict:
        """What enters the run's configuration (its hash and results.json)."""
        return self.model_dump()

    def is_default(self) -> bool:
        return self == JudgeOptions()


@dataclass(frozen=True)
class JudgePrompt:
    """One judge prompt of a release: ``template`` has ``{question}``, ``{answer}``... fields."""

    name: str
    system: str
    template: str

    def render(self, **values: str) -> str:
        """The judge's request: the system prompt, a blank line, the filled template."""
        return _join(self.system, self.template.format(**values))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps([self.system, self.template]).encode()).hexdigest()


def _join(system: str, user: str) -> str:
    return f"{system.strip()}\n\n{user}" if system.strip() else user


def read_judge_prompts(path: Path) -> dict[str, JudgePrompt]:
    """The judge prompts of an MT-Bench ``judge_prompts.jsonl``, by name."""
    out = {}
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except OSError as exc:
        raise DataError(path, None, f"cannot read the judge prompts: {exc.strerror}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[row["name"]] = JudgePrompt(row["name"], row["system_prompt"], row["prompt_template"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(path, n, f"not a judge prompt (name, system_prompt, prompt_template): {exc}") from exc
    return out


def single_prompt_name(category: str, turn: int) -> str:
    """MT-Bench's single-answer prompt for a category and turn (1 or 2)."""
    name = "single-math-v1" if category in REFERENCE_CATEGORIES else "single-v1"
    return name if turn == 1 else f"{name}-multi-turn"


def single_values(questions: list[str], answers: list[str], references: list[str] | None, turn: int) -> dict:
    """The fields of MT-Bench's single-answer templates for ``turn`` (1: the first exchange; 2: both)."""
    refs = list(references or []) + ["", ""]
    if turn == 1:
        return {"question": questions[0], "answer": answers[0], "ref_answer_1": refs[0]}
    return {
        "question_1": questions[0],
        "question_2": questions[1],
        "answer_1": answers[0],
        "answer_2": answers[1],
        "ref_answer_1": refs[0],
        "ref_answer_2": refs[1],
    }


def pair_prompt_name(category: str, turn: int) -> str:
    """MT-Bench's pairwise prompt for a category and turn (1 or 2)."""
    name = "pair-math-v1" if category in REFERENCE_CATEGORIES else "pair-v2"
    return name if turn == 1 else f"{name}-multi-turn"


def pair_values(
    questions: list[str], answers_a: list[str], answers_b: list[str], references: list[str] | None, turn: int
) -> dict:
    """The fields of MT-Bench's pairwise templates for ``turn``: assistant A's and B's answers."""
    refs = list(references or []) + ["", ""]
    if turn == 1:
        return {"question": questions[0], "answer_a": answers_a[0], "answer_b": answers_b[0], "ref_answer_1": refs[0]}
    return {
        "question_1": questions[0],
        "question_2": questions[1],
        "answer_a_1": answers_a[0],
        "answer_a_2": answers_a[1],
        "answer_b_1": answers_b[0],
        "answer_b_2": answers_b[1],
        "ref_answer_1": refs[0],
        "ref_answer_2": refs[1],
    }


RUBRIC_PROMPT = JudgePrompt(
    "rubric-v1",
    "You are a fair judge assistant tasked with providing clear, objective feedback based on specific criteria, "
    "ensuring each assessment reflects the absolute standards set for performance.",
    """###Task Description:
An instruction (might include an Input inside it), a response to evaluate, a reference answer that gets a score \
of 5, and a score rubric representing an evaluation criteria are given.
1. Write a detailed feedback that assesses the quality of the response strictly based on the given score rubric, \
not evaluating in general.
2. After writing a feedback, write a score that is an integer between 1 and 5. You should refer to the score rubric.
3. The output format should look as follows: "Feedback: (write a feedback for criteria) Rating: [[an integer \
number between 1 and 5]]"
4. Please do not generate any other opening, closing, and explanations.

###The instruction to evaluate:
{instruction}

###Response to evaluate:
{response}

###Reference Answer (Score 5):
{reference}

###Score Rubrics:
{rubric}

###Feedback: """,
)

# The rubric of open-ended answers graded 1-5 where the task gives none (Prometheus's helpfulness rubric).
GENERAL_RUBRIC = {
    "criteria": "Does the response follow the instruction and answer it helpfully, accurately and in enough detail?",
    "score1_description": "The response ignores the instruction or is wrong, irrelevant or incoherent.",
    "score2_description": "The response addresses the instruction only partly, with major errors or omissions.",
    "score3_description": "The response answers the instruction acceptably but with noticeable errors or gaps.",
    "score4_description": "The response answers the instruction well, with minor errors or omissions.",
    "score5_description": "The response answers the instruction fully, accurately and helpfully.",
}


def rubric_text(rubric: str | dict) -> str:
    """A score rubric as the rubric prompt shows it: ``[criteria]`` then ``Score n: description``.

    ``rubric`` is a mapping, or its text as JSON or as a Python literal (CIA's files hold both);
    text that is neither is shown as it is."""
    value = rubric
    if isinstance(rubric, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(rubric)
                break
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
    if not isinstance(value, dict) or "criteria" not in value:
        return str(rubric)
    lines = [f"[{value['criteria']}]"]
    lines += [f"Score {n}: {value[f'score{n}_description']}" for n in range(1, 6) if f"score{n}_description" in value]
    return "\n".join(lines)


def rubric_request(instruction: str, response: str, reference: str, rubric: str | dict) -> str:
    """The rubric judge's request for one response."""
    return RUBRIC_PROMPT.render(
        instruction=instruction, response=response, reference=reference or "(none)", rubric=rubric_text(rubric)
    )


PLAIN_USER_TURN = "### User:"  # where a model writing in the plain format starts a turn that is not its own


def plain_conversation(turns: list[tuple[str, str | None]], system: str | None = None) -> str:
    """A conversation for a model without a chat template, in the transcript format of MT-Bench's
    judge prompts: ``### User:`` / ``### Assistant:`` blocks; the last turn's answer is left open
    (``None``) for the model to write; ``system`` (the run's system prompt) comes first."""
    parts = [f"{system}\n\n"] if system else []
    for question, answer in turns:
        parts.append(f"{PLAIN_USER_TURN}\n{question}\n\n### Assistant:\n")
        if answer is not None:
            parts.append(f"{answer}\n\n")
    return "".join(parts)


def conversation_messages(turns: list[tuple[str, str | None]], system: str | None = None) -> list[dict[str, str]]:
    """The chat messages of a conversation whose last answer is still to be written, after the
    run's system prompt when there is one."""
    out = [{"role": "system", "content": system}] if system else []
    for question, answer in turns:
        out.append({"role": "user", "content": question})
        if answer is not None:
            out.append({"role": "assistant", "content": answer})
    return out


def check_judge_given(options: JudgeOptions, task: str) -> str:
    """The judge's spec; a UserError naming the task when the run has no judge."""
    if not options.spec:
        raise UserError(
            f"task {task!r} is graded by an LLM judge and the run names none",
            hint="add --judge SPEC (e.g. --judge oai-chat:http://127.0.0.1:8080/v1#gemma, or llamacpp:gemma3-270m)",
        )
    return options.spec
