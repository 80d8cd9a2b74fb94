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
from typing import Any

from .cache import ResponseCache, request_key
from .errors import UserError
from .languages import name as language_name
from .models.base import Backend, Capability, ItemError
from .prompts.templates import PromptConfig

PROTOCOLS = ("direct", "translate-test", "self-translate", "xlt")
ANSWER_BY = ("loglik", "generate")


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

    def __post_init__(self):
        for p in self.protocols:
            if p not in PROTOCOLS:
                from .errors import unknown

                raise unknown("protocol", p, PROTOCOLS)
        if not self.protocols:
            raise UserError("no protocol given", hint=f"one or more of {', '.join(PROTOCOLS)}")
        for pl in self.prompt_languages:
            PromptConfig(prompt_language=pl)
        PromptConfig(shots=self.shots, shot_language=self.shot_language, chat=self.chat)
        if "translate-test" in self.protocols and not self.translator:
            raise UserError("protocol translate-test needs a translator",
                            hint="e.g. --translator apertium:spa-eng (scripts/install-apertium.sh), or any generative model spec")
        if self.answer_by is not None and self.answer_by not in ANSWER_BY:
            raise UserError(f"--answer-by must be one of {', '.join(ANSWER_BY)}, not {self.answer_by!r}")

    @classmethod
    def from_dict(cls, raw: dict | None) -> ProtocolOptions:
        raw = dict(raw or {})
        for key in ("protocols", "prompt_languages"):
            if isinstance(raw.get(key), str):
                raw[key] = tuple(v.strip() for v in raw[key].split(",") if v.strip())
            elif raw.get(key) is not None:
                raw[key] = tuple(raw[key])
        raw = {k: v for k, v in raw.items() if v is not None}
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(raw) - known)
        if extra:
            raise UserError(f"unknown protocol option(s) {', '.join(extra)}; known: {', '.join(sorted(known))}")
        return cls(**raw)

    def as_config(self) -> dict:
        """What enters the run's configuration (and so its hash and results.json)."""
        return asdict(self) | {"protocols": list(self.protocols), "prompt_languages": list(self.prompt_languages)}

    def is_default(self) -> bool:
        return self == ProtocolOptions()


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


_SETTING = re.compile(r"^(?P<proto>[a-z-]+)(?:\((?P<tr>[^)]*)\))?/prompt-(?P<pl>\w+)/(?P<k>\d+)-shot(?:-(?P<sl>source|target))?(?P<chat>/chat)?$")


def parse_setting(text: str, chat_mode: str = "auto") -> Setting:
    """The inverse of ``str(Setting)``."""
    m = _SETTING.match(text)
    if not m or m["proto"] not in PROTOCOLS:
        raise UserError(f"not a protocol setting: {text!r}", hint="e.g. direct/prompt-en/0-shot")
    prompt = PromptConfig(prompt_language=m["pl"], shots=int(m["k"]), shot_language=m["sl"] or "source",
                          chat="auto" if m["chat"] else "off")
    return Setting(m["proto"], prompt, m["tr"], bool(m["chat"]))


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


# --- translators -------------------------------------------------------------------------------

TRANSLATE_PROMPT = "Translate the following {src} text into {tgt}. Reply with the translation only.\n\n{src}: {text}\n{tgt}:"


class Translator:
    """``translate(texts, source, target)`` through the response cache, for any backend that
    can translate (Apertium) or generate (an LLM prompted to translate, zero-shot)."""

    def __init__(self, backend: Backend, cache: ResponseCache, stats: Any = None, *, lm_client: Any = None,
                 max_tokens: int = 256, chat: bool | None = None):
        self.backend = backend
        # An LLM translator is prompted through its chat template when it has one (unless told not to).
        self.chat = bool(getattr(backend, "chat_template", None)) if chat is None else chat
        self.cache = cache
        self.stats = stats
        self.fingerprint = backend.fingerprint()
        self.max_tokens = max_tokens
        if Capability.TRANSLATE in backend.capabilities:
            self.mode = "translate"
        elif Capability.GENERATE in backend.capabilities:
            self.mode = "generate"
            if lm_client is None:
                from .client_lm import LMClient

                lm_client = LMClient(backend, cache, stats)
            self.lm = lm_client
        else:
            raise UserError(f"model {backend.spec!r} cannot translate: it offers {', '.join(sorted(backend.capabilities)) or 'nothing'}",
                            hint="use apertium:<pair> or a generative model as translator")

    def translate(self, texts: list[str], source: str, target: str) -> list[str | ItemError]:
        """One translation per text (an ItemError where the translator failed)."""
        if not texts:
            return []
        if source == target:
            return list(texts)
        if self.mode == "generate":
            prompts = [TRANSLATE_PROMPT.format(src=language_name(source), tgt=language_name(target), text=" ".join(t.split()))
                       for t in texts]
            if self.chat:
                prompts = [self.backend.apply_chat_template([{"role": "user", "content": p}]) for p in prompts]
            outs = self.lm.generate(prompts, stop=["\n"], max_tokens=self.max_tokens)
            return [o if isinstance(o, ItemError) else o.strip() for o in outs]
        keys = [request_key(["translate", source, target, t]) for t in texts]
        unique = dict(zip(keys, texts))
        found = self.cache.get_many(self.fingerprint, unique)
        if self.stats is not None:
            self.stats.requests += len(texts)
            self.stats.unique += len(unique)
            self.stats.cache_hits += len(found)
            self.stats.by_role["translate"] = self.stats.by_role.get("translate", 0) + len(texts)
        out: dict[bytes, str | ItemError] = {k: v.decode("utf-8") for k, v in found.items()}
        missing = [k for k in unique if k not in found]
        if missing:
            results = self.backend.translate([unique[k] for k in missing], source, target)
            if self.stats is not None:
                self.stats.model_calls += len(missing)
                self.stats.batches += 1
            good = {}
            for k, r in zip(missing, results, strict=True):
                out[k] = r
                if not isinstance(r, ItemError):
                    good[k] = r.encode("utf-8")
            self.cache.put_many(self.fingerprint, good)
        return [out[k] for k in keys]


def load_translator(spec: str, options: dict | None, cache: ResponseCache, stats: Any = None) -> Translator:
    """A translator from a model spec (``apertium:spa-eng``, ``hf:...``)."""
    from .models.registry import load_model

    return Translator(load_model(spec, options or {}), cache, stats)



# --- translating an item's input (translate-test, self-translate) ------------------------------

# Text fields that translate-test / self-translate translate; others (COPA's "cause"/"effect",
# ids) pass through.
TEXT_FIELDS = ("text", "text1", "text2", "premise", "context", "passage", "question", "choices")
TRANSLATING = ("translate-test", "self-translate")


class InputTranslation:
    """The translation step of translate-test and self-translate, shared by the LLM kinds
    (by generation and by log-likelihood): which translator a protocol uses, whether it can
    translate the run's languages, and items' text fields translated with per-item errors."""

    def __init__(self, options: ProtocolOptions, chat: bool = False):
        self.options = options
        self.chat = chat  # self-translate prompts the model through its chat template
        self.backend: Backend | None = None
        if options.translator and "translate-test" in options.protocols:
            from .models.registry import load_model

            self.backend = load_model(options.translator, options.translator_options)

    def check(self, task: Any, languages: list[str]) -> None:
        """A fixed-pair translator (Apertium) must translate every non-source language into the
        task's source language."""
        tb = self.backend
        src_of = getattr(tb, "source", None)
        if tb is None or src_of is None:
            return  # a generative translator handles any pair
        src = task.spec.source_language
        bad = [lang for lang in languages if lang != src and (lang != src_of or getattr(tb, "target_language", None) != src)]
        if bad:
            raise UserError(f"translator {tb.spec!r} translates {src_of} -> {tb.target_language}; it cannot translate "
                            f"{', '.join(bad)} -> {src} for task {task.name!r}",
                            hint=f"restrict --languages to {src_of} (plus the source language), or use a generative model as --translator")

    def translator(self, protocol: str, ctx: Any) -> Translator:
        """The protocol's translator: the evaluated model for self-translate, else ``--translator``
        (one per run context, so its response cache and statistics are shared)."""
        key = ("translator", protocol)
        if key not in ctx.memo:
            if protocol == "self-translate":
                ctx.memo[key] = Translator(ctx.backend, ctx.cache, ctx.stats, lm_client=ctx.lm(), chat=self.chat)
            else:
                backend = self.backend
                if backend is None:
                    backend = load_translator(self.options.translator, self.options.translator_options, ctx.cache).backend
                ctx.memo[key] = Translator(backend, ctx.cache, ctx.stats)
        return ctx.memo[key]

    def fields(self, items: list, protocol: str, language: str, target: str, ctx: Any) -> tuple[list[dict], list[str | None]]:
        """Items' text fields translated from ``language`` into ``target``, and per-item errors
        (a failed or empty translation of any field; such an item must not be scored)."""
        flat: list[tuple[int, str, int | None, str]] = []
        for i, it in enumerate(items):
            for k in TEXT_FIELDS:
                v = it.fields.get(k)
                if isinstance(v, str) and k == "question" and v.lower() in ("cause", "effect"):
                    continue
                if isinstance(v, str):
                    flat.append((i, k, None, v))
                elif isinstance(v, list):
                    flat += [(i, k, j, str(x)) for j, x in enumerate(v)]
        outs = self.translator(protocol, ctx).translate([t for *_, t in flat], language, target)
        fields = [dict(it.fields) for it in items]
        for f in fields:
            for k, v in f.items():
                if isinstance(v, list):
                    f[k] = list(v)
        errors: list[str | None] = [None] * len(items)
        for (i, k, j, _), o in zip(flat, outs, strict=True):
            if isinstance(o, ItemError):
                errors[i] = f"translation failed: {o}"
                continue
            if not o.strip():
                errors[i] = f"the translator returned nothing for field {k!r}"
                continue
            if j is None:
                fields[i][k] = o
            else:
                fields[i][k][j] = o
        return fields, errors
