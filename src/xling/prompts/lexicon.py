"""Per-language prompt words, read from ``data/<canonical code>.yaml`` by one code path.

A file holds what templates need in one language: field names (``words``), option letters,
label words (NLI, yes/no), XCOPA connectors, the MGSM answer phrase and native instructions.
Sections a language's benchmarks do not need may be absent; asking for one then raises a
:class:`~xling.errors.DataError` that names the file and the missing key.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .. import yamlio
from ..errors import DataError, UserError
from ..languages.codes import try_canonical

LABEL_KEYS = ("yes", "no", "entailment", "neutral", "contradiction")
INSTRUCTION_KEYS = ("choice", "choice_cot", "qa", "nli", "paraphrase", "copa_cause", "copa_effect", "math")


def _nonempty(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["draft", "checked", "native-reviewed"]
    by: str
    sources: list[str] = []
    differs: dict[str, str] = {}  # key -> why the file's word differs from a reference's (prompts/review.py)


class Words(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    answer: str
    context: str | None = None
    premise: str | None = None
    hypothesis: str | None = None
    sentence: str | None = None
    article: str | None = None
    summary: str | None = None


class Connectors(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cause: str
    effect: str


class MathWords(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_phrase: str
    step_by_step: str


class Instructions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choice: str
    choice_cot: str | None = None  # multiple choice answered after a chain of thought (MMLU-ProX)
    qa: str | None = None
    qa_no_answer: str | None = None  # the same, "{no_answer}": what to write when the context holds no answer
    nli: str | None = None
    paraphrase: str | None = None
    copa_cause: str | None = None
    copa_effect: str | None = None
    math: str | None = None
    open_qa: str | None = None  # closed-book QA: no context passage
    open_qa_no_answer: str | None = None  # the same, "{no_answer}": what to write when there is none
    summary: str | None = None  # "{language}": the summary's language, by name


class LexiconFile(BaseModel):
    """The schema of one language file."""

    model_config = ConfigDict(extra="forbid")
    language: str
    review: Review
    words: Words
    option_letters: list[str]
    labels: dict[str, list[str]]
    connectors: Connectors | None = None
    math: MathWords | None = None
    instructions: Instructions

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value):
        if not isinstance(value, dict):
            raise ValueError("must be a mapping label: [words]")
        out = {}
        for key, words in value.items():
            if isinstance(key, bool):
                raise ValueError(f'key {key!r} was read as a boolean: quote it ("yes": / "no":)')
            if key not in LABEL_KEYS:
                raise ValueError(f"unknown label {key!r} (known: {', '.join(LABEL_KEYS)})")
            words = [words] if isinstance(words, (str, bool)) else words
            if not isinstance(words, list) or not words:
                raise ValueError(f"label {key!r} needs a word or a non-empty list of words")
            if any(isinstance(w, bool) for w in words):
                raise ValueError(f'a word of label {key!r} was read as a boolean: quote it ("No", "Yes")')
            out[key] = [_nonempty(w) for w in words]
        for key in ("yes", "no"):
            if key not in out:
                raise ValueError(f"label {key!r} is required")
        return out

    @field_validator("option_letters")
    @classmethod
    def _letters(cls, value: list[str]) -> list[str]:
        value = [_nonempty(v) for v in value]
        if len(value) < 2 or len(set(value)) != len(value):
            raise ValueError("needs at least two distinct letters")
        return value


class Lexicon:
    """The prompt words of one language (``lexicon('spa_Latn')``)."""

    def __init__(self, data: LexiconFile, path: Path):
        self.data = data
        self.path = path
        self.language = data.language

    def _missing(self, key: str) -> DataError:
        return DataError(
            self.path,
            None,
            f"no '{key}' for {self.language}",
            hint="add it to this file (see prompts/data/README.md), or use --prompt-language en",
        )

    def word(self, key: str) -> str:
        value = getattr(self.data.words, key, None)
        if not value:
            raise self._missing(f"words.{key}")
        return value

    def label(self, key: str) -> str:
        """The word shown in prompts for a label (``'entailment'``, ``'yes'``...)."""
        return self.label_words(key)[0]

    def label_words(self, key: str) -> list[str]:
        """Every word accepted in answers for a label, the prompt word first."""
        if key not in self.data.labels:
            raise self._missing(f"labels.{key}")
        return list(self.data.labels[key])

    def connector(self, key: str) -> str:
        if self.data.connectors is None:
            raise self._missing(f"connectors.{key}")
        return getattr(self.data.connectors, key)

    @property
    def answer_phrase(self) -> str:
        if self.data.math is None:
            raise self._missing("math.answer_phrase")
        return self.data.math.answer_phrase

    @property
    def step_by_step(self) -> str:
        if self.data.math is None:
            raise self._missing("math.step_by_step")
        return self.data.math.step_by_step

    @property
    def option_letters(self) -> list[str]:
        return list(self.data.option_letters)

    def instruction(self, key: str, **fill: str) -> str:
        """A native instruction with ``{label}`` / ``{answer_phrase}`` placeholders filled."""
        text = getattr(self.data.instructions, key, None)
        if not text:
            raise self._missing(f"instructions.{key}")
        values = {k: v[0] for k, v in self.data.labels.items()}
        if self.data.math:
            values["answer_phrase"] = self.data.math.answer_phrase
        values.update(fill)
        try:
            return text.format(**values)
        except KeyError as exc:
            raise DataError(
                self.path, None, f"instructions.{key} uses {{{exc.args[0]}}}, which this file does not define"
            ) from exc


def _data_dir() -> Path:
    return Path(str(resources.files("xling.prompts"))) / "data"


def available_languages() -> list[str]:
    """Languages that have a prompt file."""
    return sorted(p.stem for p in _data_dir().glob("*_*.yaml"))


def load_file(path: Path) -> Lexicon:
    """Read and validate one language file; errors name the file, line and key."""
    text = path.read_text("utf-8")
    try:
        raw = yamlio.load_packaged(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(
            path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from exc
    if not isinstance(raw, dict):
        raise DataError(path, 1, "a prompt file must be a YAML mapping")
    try:
        data = LexiconFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        line = next(
            (
                n
                for n, ln in enumerate(text.splitlines(), 1)
                if err["loc"] and ln.lstrip().startswith(f"{err['loc'][0]}:")
            ),
            None,
        )
        raise DataError(path, line, f"key '{key}': {err['msg'].removeprefix('Value error, ')}") from exc
    if data.language != path.stem:
        raise DataError(path, 1, f"language {data.language!r} does not match the file name {path.stem!r}")
    return Lexicon(data, path)


@cache
def lexicon(language: str) -> Lexicon:
    """The prompt words of a language (any code ``canonical`` understands)."""
    code = try_canonical(language) or language
    path = _data_dir() / f"{code}.yaml"
    if not path.is_file():
        from ..errors import did_you_mean

        have = available_languages()
        raise UserError(
            f"no prompt words for language {code!r}.{did_you_mean(code, have)}"
            f" Languages with prompt files: {', '.join(have)}",
            hint=f"write {path.name} under xling/prompts/data (copy eng_Latn.yaml), or use --prompt-language en",
        )
    return load_file(path)
