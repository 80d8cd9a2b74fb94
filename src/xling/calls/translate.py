"""Translators through the response cache: a fixed-pair translator (Apertium) or any generative
model prompted to translate, keyed by the translator's fingerprint, the text and the direction."""

from __future__ import annotations

from typing import Any

from ..errors import UserError
from ..languages.codes import name as language_name
from ..models.base import Backend, Capability, ItemError
from .cache import ResponseCache
from .cached import TEXT, CachedCalls, batches_of
from .counters import CallStats

TRANSLATE_PROMPT = (
    "Translate the following {src} text into {tgt}. Reply with the translation only.\n\n{src}: {text}\n{tgt}:"
)


class Translator:
    """``translate(texts, source, target)`` through the response cache, for any backend that
    can translate (Apertium) or generate (an LLM prompted to translate, zero-shot)."""

    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache,
        stats: CallStats | None = None,
        *,
        lm_client: Any = None,
        max_tokens: int = 256,
        chat: bool | None = None,
    ):
        self.backend = backend
        # An LLM translator is prompted through its chat template when it has one (unless told not to).
        self.chat = bool(getattr(backend, "chat_template", None)) if chat is None else chat
        self.cache = cache
        self.stats = stats if stats is not None else CallStats()
        self.fingerprint = backend.fingerprint()
        self._calls = CachedCalls(cache, self.fingerprint, self.stats, TEXT, spec=backend.spec)
        self.max_tokens = max_tokens
        if Capability.TRANSLATE in backend.capabilities:
            self.mode = "translate"
        elif Capability.GENERATE in backend.capabilities:
            self.mode = "generate"
            if lm_client is None:
                from .lm import LMClient

                lm_client = LMClient(backend, cache, self.stats)
            self.lm = lm_client
        else:
            raise UserError(
                f"model {backend.spec!r} cannot translate:"
                f" it offers {', '.join(sorted(backend.capabilities)) or 'nothing'}",
                hint="use apertium:<pair> or a generative model as translator",
            )

    def translate(self, texts: list[str], source: str, target: str) -> list[str | ItemError]:
        """One translation per text (an ItemError where the translator failed)."""
        if not texts:
            return []
        if source == target:
            return list(texts)
        if self.mode == "generate":
            prompts = [
                TRANSLATE_PROMPT.format(src=language_name(source), tgt=language_name(target), text=" ".join(t.split()))
                for t in texts
            ]
            if self.chat:
                prompts = [self.backend.apply_chat_template([{"role": "user", "content": p}]) for p in prompts]
            outs = self.lm.generate(prompts, stop=["\n"], max_tokens=self.max_tokens)
            return [o if isinstance(o, ItemError) else o.strip() for o in outs]
        return self._calls.call(
            texts,
            key=lambda t: ["translate", source, target, t],
            role="translate",
            send=lambda batch: self.backend.translate(batch, source, target),
            batches=lambda missing, _: batches_of(missing, None),
        )
