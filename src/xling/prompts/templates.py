"""Prompt templates: one per task family, filled with a language's words from its lexicon.

A prompt is an optional instruction, demonstrations (body + answer) and the test body; it is
rendered as plain text or, when the model has a chat template (and it is not switched off), as
chat turns (each demonstration a user/assistant pair). Languages differ only in their lexicon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataError, UserError
from ..languages.codes import name as language_name
from ..languages.codes import name_in
from ..types import Item
from .lexicon import Lexicon, lexicon

PROMPT_LANGUAGES = ("en", "native")
SHOT_LANGUAGES = ("source", "target")
CHAT_MODES = ("auto", "off")
FAMILIES = ("nli", "paraphrase", "copa", "choice", "choice_cot", "qa", "math", "open_qa", "summary")
# Families whose answer comes after a chain of thought: read from the whole output, not its first line.
REASONING_FAMILIES = ("math", "choice_cot")
NO_ANSWER_FAMILIES = ("qa", "open_qa")  # QA whose prompt may say what to write when there is no answer
NLI_LABELS = ("entailment", "neutral", "contradiction")


@dataclass(frozen=True)
class PromptConfig:
    """How prompts are written: instruction language, demonstrations, chat template use."""

    prompt_language: str = "en"  # en: English instructions and words; native: the item's language
    shots: int = 0
    shot_language: str = "source"  # demonstrations from the source language or the target's
    chat: str = "auto"  # auto: use the model's chat template when it has one; off: never

    def __post_init__(self):
        if self.prompt_language not in PROMPT_LANGUAGES:
            raise UserError(
                f"prompt language must be one of {', '.join(PROMPT_LANGUAGES)}, not {self.prompt_language!r}"
            )
        if self.shot_language not in SHOT_LANGUAGES:
            raise UserError(f"shot language must be one of {', '.join(SHOT_LANGUAGES)}, not {self.shot_language!r}")
        if self.chat not in CHAT_MODES:
            raise UserError(f"chat template mode must be one of {', '.join(CHAT_MODES)}, not {self.chat!r}")
        if not isinstance(self.shots, int) or self.shots < 0:
            raise UserError(f"shots must be a whole number >= 0, not {self.shots!r}")

    def tag(self) -> str:
        """``prompt-en/0-shot``, ``prompt-native/3-shot-target``: the part of a setting it decides."""
        shots = f"{self.shots}-shot" + (f"-{self.shot_language}" if self.shots else "")
        return f"prompt-{self.prompt_language}/{shots}"

    def lexicon_for(self, language: str) -> Lexicon:
        return lexicon("eng_Latn" if self.prompt_language == "en" else language)


@dataclass
class Prompt:
    """The parts of one prompt before rendering."""

    instruction: str | None
    demos: list[tuple[str, str]]
    body: str
    answer_prefix: str
    meta: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Plain-text rendering (no chat template)."""
        blocks = [self.instruction] if self.instruction else []
        blocks += [f"{b}\n{self.answer_prefix} {a}" for b, a in self.demos]
        blocks.append(f"{self.body}\n{self.answer_prefix}")
        return "\n\n".join(blocks)

    def messages(self) -> list[dict[str, str]]:
        """Chat turns: demonstrations as user/assistant pairs, the instruction in the first turn."""
        msgs: list[dict[str, str]] = []
        turns = [*self.demos, (self.body, None)]
        for i, (body, answer) in enumerate(turns):
            content = f"{self.instruction}\n\n{body}" if i == 0 and self.instruction else body
            msgs.append({"role": "user", "content": content})
            if answer is not None:
                msgs.append({"role": "assistant", "content": f"{self.answer_prefix} {answer}"})
        return msgs


def render(prompt: Prompt, backend: Any, config: PromptConfig, system: str | None = None) -> tuple[str, bool]:
    """(prompt text, whether the chat template was applied); ``system``: the chat's system turn,
    or the first paragraph of a plain prompt."""
    if config.chat == "auto" and getattr(backend, "chat_template", None):
        turns = [{"role": "system", "content": system}] if system else []
        text = backend.apply_chat_template(turns + prompt.messages())
        return text + f"{prompt.answer_prefix}", True
    return (f"{system}\n\n" if system else "") + prompt.text(), False


# --- families ----------------------------------------------------------------------------------


def _task_option(task_options: Any, key: str) -> Any:
    """A task's ``options.<key>``: from its typed options (:mod:`xling.tasks.options`) or a mapping."""
    if isinstance(task_options, Mapping):
        return task_options.get(key)
    return getattr(task_options, key, None)


def family_of(kind: str, task_options: Any, labels: Sequence[str] | None, item: Item | None = None) -> str:
    """Which template a task's items use: explicit ``options.prompt_family``, else by kind and labels."""
    fam = _task_option(task_options, "prompt_family")
    if fam:
        if fam not in FAMILIES:
            raise UserError(f"options.prompt_family {fam!r} is not one of {', '.join(FAMILIES)}")
        return fam
    if kind == "math":
        return "math"
    if kind == "extractive_qa":
        return "qa"
    if kind == "generative_qa":
        return "open_qa"
    if kind == "summarization":
        return "summary"
    if kind == "multiple_choice":
        if (
            item is not None
            and str(item.fields.get("question", "")).lower() in ("cause", "effect")
            and "premise" in item.fields
        ):
            return "copa"
        return "choice"
    if kind == "pair_classification":
        if set(labels or ()) == set(NLI_LABELS):
            return "nli"
        return "paraphrase"
    raise UserError(f"no prompt template for task kind {kind!r}", hint="set options.prompt_family in the task file")


def label_keys(family: str, task_options: Any, labels: Sequence[str] | None) -> dict[str, str]:
    """Task label -> lexicon label key (``'1' -> 'yes'``); ``options.prompt_labels`` overrides."""
    explicit = _task_option(task_options, "prompt_labels")
    if explicit:
        return {str(k): str(v) for k, v in explicit.items()}
    if family == "nli":
        return {k: k for k in NLI_LABELS}
    if family == "paraphrase":
        if set(labels or ()) == {"0", "1"}:
            return {"1": "yes", "0": "no"}
        if set(labels or ()) == {"paraphrase", "not_paraphrase"}:
            return {"paraphrase": "yes", "not_paraphrase": "no"}
        raise UserError(
            f"cannot tell which labels mean yes and no among {sorted(labels or [])}",
            hint="set options.prompt_labels, e.g. {'1': 'yes', '0': 'no'}, in the task file",
        )
    return {}


def _options(lex: Lexicon, choices: list[str]) -> str:
    letters = lex.option_letters
    if len(choices) > len(letters):
        raise DataError(lex.path, None, f"{len(choices)} options but only {len(letters)} option_letters")
    return "\n".join(f"{letters[i]}. {c}" for i, c in enumerate(choices))


def body(family: str, item_fields: dict, lex: Lexicon) -> str:
    """The test part of a prompt for one item, in ``lex``'s words."""
    f = item_fields
    if family == "nli":
        return f"{lex.word('premise')}: {f['text1']}\n{lex.word('hypothesis')}: {f['text2']}"
    if family == "paraphrase":
        s = lex.word("sentence")
        return f"{s} 1: {f['text1']}\n{s} 2: {f['text2']}"
    if family == "copa":
        q = lex.instruction("copa_cause" if str(f["question"]).lower() == "cause" else "copa_effect")
        return f"{f['premise']}\n{q}\n{_options(lex, list(f['choices']))}"
    if family in ("choice", "choice_cot"):
        parts = []
        passage = f.get("context") or f.get("passage")
        if passage:
            parts.append(f"{lex.word('context')}: {passage}")
        if f.get("question"):
            parts.append(f"{lex.word('question')}: {f['question']}")
        parts.append(_options(lex, list(f["choices"])))
        return "\n".join(parts)
    if family == "qa":
        return f"{lex.word('context')}: {f['context']}\n{lex.word('question')}: {f['question']}"
    if family == "open_qa":
        return f"{lex.word('question')}: {f['question']}"
    if family == "summary":
        return f"{lex.word('article')}: {f['text']}"
    if family == "math":
        return f"{lex.word('question')}: {f['question']}"
    raise UserError(f"unknown prompt family {family!r}")


def instruction(family: str, lex: Lexicon, **fill: str) -> str | None:
    """The family's instruction; ``fill``: values for its placeholders (a summary's ``language``;
    QA's ``no_answer``, said where the lexicon has the words for it)."""
    if family == "copa":
        return None  # the question line of each item carries it
    if family in NO_ANSWER_FAMILIES and fill.get("no_answer"):
        if getattr(lex.data.instructions, f"{family}_no_answer"):
            return lex.instruction(f"{family}_no_answer", **fill)
        fill = {k: v for k, v in fill.items() if k != "no_answer"}
    return lex.instruction(family, **fill)


def answer_prefix(family: str, lex: Lexicon) -> str:
    if family == "summary":
        return f"{lex.word('summary')}:"
    return f"{lex.step_by_step}:" if family in REASONING_FAMILIES else f"{lex.word('answer')}:"


def gold_answer(family: str, item: Item, lex: Lexicon, keys: dict[str, str], no_answer: str | None = None) -> str:
    """How a demonstration's answer is written (a question without an answer: ``no_answer``)."""
    if family in ("nli", "paraphrase"):
        return lex.label(keys[str(item.gold)])
    if family in ("copa", "choice"):
        return lex.option_letters[int(item.gold)]
    if family == "choice_cot":  # a worked answer where the release has one (MMLU-Pro's cot_content)
        solution = item.fields.get("solution")
        return f"{solution}" if solution else f"{lex.answer_phrase} ({lex.option_letters[int(item.gold)]})."
    if family in ("qa", "open_qa", "summary"):
        golds = item.gold if isinstance(item.gold, list) else [item.gold]
        return next((str(g) for g in golds if str(g).strip()), no_answer or "")
    if family == "math":
        solution = item.fields.get("solution")
        return f"{solution}" if solution else f"{lex.answer_phrase} {item.gold}."
    raise UserError(f"unknown prompt family {family!r}")


def build(
    family: str, item: Item, fields: dict, lex: Lexicon, demos: Sequence[tuple[Item, dict]], keys: dict[str, str]
) -> Prompt:
    """A prompt for ``item`` (with ``fields``, possibly translated) and its demonstrations; a
    summary is asked for in ``fields["summary_language"]`` (cross-lingual) or the item's language;
    a question says what to write without an answer (``fields["no_answer"]``)."""
    summary_language = fields.get("summary_language") or item.language
    fill = {"language": name_in(summary_language, lex.language)} if family == "summary" else {}
    if family in NO_ANSWER_FAMILIES and fields.get("no_answer"):
        fill["no_answer"] = fields["no_answer"]
    return Prompt(
        instruction=instruction(family, lex, **fill),
        demos=[(body(family, f, lex), gold_answer(family, d, lex, keys, fill.get("no_answer"))) for d, f in demos],
        body=body(family, fields, lex),
        answer_prefix=answer_prefix(family, lex),
    )


def verbaliser(
    kind: str, task_options: Any, labels: Sequence[str] | None, language: str, prompt_language: str = "en"
) -> dict[str, str]:
    """Task label -> the word a model should say for it, in English or ``language``'s words
    (for log-likelihood scoring of verbalised labels: XNLI, PAWS-X)."""
    family = family_of(kind, task_options, labels)
    lex = PromptConfig(prompt_language=prompt_language).lexicon_for(language)
    return {label: lex.label(key) for label, key in label_keys(family, task_options, labels).items()}


def copa_connector(question: str, language: str, prompt_language: str = "native") -> str:
    """XCOPA's "because" (question ``cause``) or "therefore" (``effect``) in a language's words."""
    lex = PromptConfig(prompt_language=prompt_language).lexicon_for(language)
    return lex.connector("cause" if str(question).lower() == "cause" else "effect")


# --- demonstrations ----------------------------------------------------------------------------


def pick_demos(pool: Sequence[Item], k: int, exclude: Item, seed: int, key: tuple[str, ...]) -> list[Item]:
    """``k`` demonstrations from ``pool``: a seeded permutation (the same for every test item
    of a unit, so prompts share a prefix), skipping the test item and its translations (same
    ``parallel_id``). Fewer than ``k`` only when the pool is that small."""
    if k <= 0:
        return []
    ordered = sorted(pool, key=lambda it: it.item_id)
    from ..scoring.stats import seed_for  # numpy: not needed to list or validate tasks

    order = [ordered[i] for i in seed_for(seed, "demos", *key).permutation(len(ordered))]
    return [it for it in order if it.parallel_id != exclude.parallel_id and it.item_id != exclude.item_id][:k]


# --- cross-lingual thought (XLT; Huang et al. 2023) -------------------------------------------

XLT_TEMPLATE = (
    "I want you to act as an expert in {task} for {language}.\n"
    "{language} request:\n{body}\n\n"
    "You should retell the request in English.\n"
    "You should think step by step in English to solve it.\n"
    'Then give the final answer in {language}, in the format "{final}".\n'
)
XLT_TASKS = {
    "nli": "natural language inference",
    "paraphrase": "paraphrase identification",
    "copa": "commonsense reasoning",
    "choice": "multiple-choice question answering",
    "choice_cot": "multiple-choice question answering",
    "qa": "reading comprehension",
    "math": "arithmetic reasoning",
}


def xlt(family: str, item_fields: dict, language: str, native: Lexicon, instruction_lex: Lexicon) -> Prompt:
    """Cross-lingual-thought prompt: English meta-instructions, the request in its own language
    (with native words), reasoning in English, the final answer in the target language's format."""
    final = f"{native.answer_phrase} ..." if family == "math" else f"{native.word('answer')}: ..."
    inner = body(family, item_fields, native)
    task_instruction = instruction(family, native)
    if task_instruction:
        inner = f"{task_instruction}\n{inner}"
    text = XLT_TEMPLATE.format(task=XLT_TASKS[family], language=language_name(language), body=inner, final=final)
    return Prompt(
        instruction=None,
        demos=[],
        body=text.rstrip("\n"),
        answer_prefix="Retelling in English:",
        meta={"final_marker": final.removesuffix(" ...")},
    )
