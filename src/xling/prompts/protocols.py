"""Protocols for LLM kinds: direct, translate-test, self-translate, cross-lingual thought (XLT).

A unit's ``setting`` names its protocol and prompt configuration, e.g.
``direct/prompt-native/3-shot-target``, ``translate-test(apertium)/prompt-en/0-shot``,
``xlt/prompt-en/0-shot/chat``, so the same task under two protocols sits side by side in the
results. Every protocol also runs the source language (where translation is the identity), so
each setting carries its own source-language reference for the transfer gap.

- ``direct``: the item as it is, instructions in English or the item's language.
- ``translate-test``: the item's text translated into the source language by a translator
  model (``--translator apertium:spa-eng``, or any generative model), then evaluated as a
  source-language item with source-language prompts and demonstrations.
- ``self-translate``: the evaluated model translates its own input first (Etxaniz et al. 2023).
- ``xlt``: cross-lingual-thought prompting (Huang et al. 2023): English meta-instructions, the
  request in its language, reasoning in English, the final answer in the target's format.

Translations go through the response cache (keyed by the translator's fingerprint and the
exact text and direction), so a translator never sees a text twice.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ..errors import UserError
from ..languages.codes import canonical
from .templates import PromptConfig

PROTOCOLS = ("direct", "translate-test", "self-translate", "xlt")
ANSWER_BY = ("loglik", "generate")
GENERATION_OPTIONS = ("system_prompt", "thinking_markers", "wrong_language_zero", "directions")
UNIT_LANGUAGE = "xx"  # in a translation direction: the unit's language


@dataclass(frozen=True)
class ProtocolOptions:
    """What ``xling run --protocol ... --prompt-language ... --shots ...`` asks for."""

    protocols: tuple[str, ...] = ("direct",)
    prompt_languages: tuple[str, ...] = ("en",)
    shots: int = 0
    shot_language: str = "source"
    chat: str = "auto"
    translator: str | None = None
    translator_options: dict = field(default_factory=dict)
    answer_by: str | None = None  # which implementation of a kind: by log-likelihood or by generation
    # Generation kinds: the chat's system turn (or a plain model's first paragraph), thinking-span
    # markers removed besides the default ones, and whether an output in the wrong language scores 0.
    system_prompt: str | None = None
    thinking_markers: tuple[tuple[str, str], ...] = ()
    wrong_language_zero: bool = False
    directions: tuple[str, ...] = ()  # translation tasks: these directions instead of the task's

    def __post_init__(self):
        object.__setattr__(self, "thinking_markers", tuple(tuple(m) for m in self.thinking_markers))
        for d in self.directions:
            split_direction(d)
        for pair in self.thinking_markers:
            if len(pair) != 2 or not all(isinstance(m, str) and m for m in pair):
                raise UserError(
                    f"thinking markers must be pairs of non-empty strings OPEN,CLOSE, not {pair!r}",
                    hint="e.g. --thinking-markers '<reasoning>,</reasoning>'",
                )
        if self.system_prompt is not None and not self.system_prompt.strip():
            raise UserError("--system-prompt is empty", hint="leave it out to send no system turn")
        for p in self.protocols:
            if p not in PROTOCOLS:
                from ..errors import unknown

                raise unknown("protocol", p, PROTOCOLS)
        if not self.protocols:
            raise UserError("no protocol given", hint=f"one or more of {', '.join(PROTOCOLS)}")
        for pl in self.prompt_languages:
            PromptConfig(prompt_language=pl)
        PromptConfig(shots=self.shots, shot_language=self.shot_language, chat=self.chat)
        if "translate-test" in self.protocols and not self.translator:
            raise UserError(
                "protocol translate-test needs a translator",
                hint="e.g. --translator apertium:spa-eng (scripts/install-apertium.sh), or any generative model spec",
            )
        if self.answer_by is not None and self.answer_by not in ANSWER_BY:
            raise UserError(f"--answer-by must be one of {', '.join(ANSWER_BY)}, not {self.answer_by!r}")

    @classmethod
    def from_dict(cls, raw: dict | None) -> ProtocolOptions:
        raw = dict(raw or {})
        for key in ("protocols", "prompt_languages", "directions"):
            if isinstance(raw.get(key), str):
                raw[key] = tuple(v.strip() for v in raw[key].split(",") if v.strip())
            elif raw.get(key) is not None:
                raw[key] = tuple(raw[key])
        markers = raw.get("thinking_markers")
        if markers is not None:
            pairs = [markers] if isinstance(markers, str) else markers
            raw["thinking_markers"] = tuple(_marker_pair(m) for m in pairs)
        raw = {k: v for k, v in raw.items() if v is not None}
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(raw) - known)
        if extra:
            raise UserError(f"unknown protocol option(s) {', '.join(extra)}; known: {', '.join(sorted(known))}")
        return cls(**raw)

    def as_config(self) -> dict:
        """What enters the run's configuration (and so its hash and results.json); the generation
        options only when set, so that runs made before they existed keep their run id."""
        out = asdict(self) | {"protocols": list(self.protocols), "prompt_languages": list(self.prompt_languages)}
        for name in GENERATION_OPTIONS:
            if out[name] == self.__dataclass_fields__[name].default:
                del out[name]
        if self.thinking_markers:
            out["thinking_markers"] = [list(m) for m in self.thinking_markers]
        if self.directions:
            out["directions"] = list(self.directions)
        return out

    def is_default(self) -> bool:
        return self == ProtocolOptions()


def split_direction(text: str) -> tuple[str, str]:
    """``SOURCE->TARGET`` -> (source, target): canonical tags, ``xx`` (the unit's language) on one side."""
    source, sep, target = (part.strip() for part in str(text).partition("->"))
    if not sep or UNIT_LANGUAGE not in (source, target) or not source or not target:
        raise UserError(
            f"translation direction {text!r} must be SOURCE->TARGET with {UNIT_LANGUAGE} (each language) on one side",
            hint="e.g. eng_Latn->xx, xx->eng_Latn or fra_Latn->xx",
        )
    return tuple(side if side == UNIT_LANGUAGE else canonical(side) for side in (source, target))


def _marker_pair(value) -> tuple:
    """``"OPEN,CLOSE"`` (as ``--thinking-markers`` takes it) or a pair -> ``(open, close)``."""
    if isinstance(value, str):
        open_, sep, close = value.partition(",")
        return (open_.strip(), close.strip()) if sep else (value,)
    return tuple(value)


def translator_label(spec: str | None) -> str:
    """A short, slash-free name for a translator spec: ``apertium:spa-eng`` -> ``apertium``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", (spec or "").partition(":")[0]) or "translator"


@dataclass(frozen=True)
class Setting:
    """A protocol and prompt configuration; ``str()`` is the results' ``setting`` column."""

    protocol: str
    prompt: PromptConfig
    translator: str | None = None  # label shown in the setting (translate-test only)
    chat: bool = False

    def __str__(self) -> str:
        head = self.protocol + (f"({self.translator})" if self.protocol == "translate-test" else "")
        return f"{head}/{self.prompt.tag()}" + ("/chat" if self.chat else "")


def settings(options: ProtocolOptions, *, chat: bool, zero_shot_only: bool = False) -> list[Setting]:
    """The settings a run evaluates: protocols x prompt languages (translated input is read
    with source-language prompts; XLT has English meta-instructions and no demonstrations)."""
    shots = 0 if zero_shot_only else options.shots
    out: list[Setting] = []
    for proto in options.protocols:
        langs = ("en",) if proto in ("translate-test", "self-translate", "xlt") else options.prompt_languages
        k = 0 if proto == "xlt" else shots
        # translated input is a source-language item: its demonstrations are source-language ones
        shot_language = options.shot_language if k and proto == "direct" else "source"
        for pl in langs:
            cfg = PromptConfig(prompt_language=pl, shots=k, shot_language=shot_language, chat=options.chat)
            s = Setting(proto, cfg, translator_label(options.translator) if proto == "translate-test" else None, chat)
            if s not in out:
                out.append(s)
    return out
