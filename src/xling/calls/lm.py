"""Language-model calls through the response cache: dedupe, look up, send only the misses.

``LMClient.loglik`` and ``LMClient.generate`` are what LLM kinds call (through ``ctx.lm()``).
Responses are cached under (model fingerprint, exact request): the context and continuation for
log-likelihoods; the prompt, stop strings and token limit for generations. Requests that failed
(:class:`~xling.models.base.ItemError`) are returned as such and never cached, so a rerun retries
them.

Log-likelihood requests are sent grouped by context (so a backend can compute each shared context
once), groups in order of decreasing length (similar lengths share a batch: little padding).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..models.base import Backend, ItemError, StoppedAtLimit
from .cache import ResponseCache
from .cached import DEFAULT_BATCH_SIZE, CachedCalls, Codec, Send, batches_of
from .counters import CallStats


class Generation(NamedTuple):
    """One generated text and whether it reached the token limit (it may have been cut off)."""

    text: str
    max_tokens_hit: bool


class LoglikResult(NamedTuple):
    """Sum of the continuation's token log-probs, its token count, whether greedy decoding yields it."""

    logprob: float
    n_tokens: int
    greedy: bool


def as_loglik(answer: Sequence) -> LoglikResult:
    """A backend's ``(logprob, n_tokens, greedy)`` with Python types."""
    return LoglikResult(float(answer[0]), int(answer[1]), bool(answer[2]))


def _loglik_json(res: LoglikResult) -> bytes:
    """``json.dumps([logprob, n_tokens, greedy])``, written directly for a finite log-prob."""
    if not math.isfinite(res.logprob):
        return json.dumps([res.logprob, res.n_tokens, res.greedy]).encode()
    return f"[{res.logprob!r}, {res.n_tokens!r}, {'true' if res.greedy else 'false'}]".encode()


LOGLIK: Codec[LoglikResult] = Codec(_loglik_json, lambda blob: as_loglik(json.loads(blob)))


# A generation that stopped at its token limit is stored behind a 0xFF byte, which never starts
# UTF-8 text: entries written before the flag existed read back as plain, unflagged text.
_AT_LIMIT = b"\xff"


def _encode_text(text: str) -> bytes:
    body = text.encode("utf-8")
    return _AT_LIMIT + body if isinstance(text, StoppedAtLimit) else body


def _decode_text(blob: bytes) -> str:
    blob = bytes(blob)
    if blob.startswith(_AT_LIMIT):
        return StoppedAtLimit(blob[1:].decode("utf-8"))
    return blob.decode("utf-8")


GENERATED: Codec[str] = Codec(_encode_text, _decode_text)


class LMClient:
    """``loglik(requests)`` and ``generate(prompts, stop=..., max_tokens=...)`` for kinds."""

    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache,
        stats: CallStats | None = None,
        *,
        batch_size: int | None = None,
        on_progress: Callable[[int], None] | None = None,
    ):
        self.backend = backend
        self.cache = cache
        self.stats = stats if stats is not None else CallStats()
        self.batch_size = max(1, int(batch_size or DEFAULT_BATCH_SIZE))
        # a backend that batches by tokens itself computes larger calls faster (shared passes)
        self.loglik_batch_size = max(1, int(batch_size or backend.LOGLIK_CALL_SIZE or DEFAULT_BATCH_SIZE))
        self.on_progress = on_progress
        self.fingerprint = backend.fingerprint()
        calls = {"spec": backend.spec, "on_progress": on_progress}
        self._logliks = CachedCalls(cache, self.fingerprint, self.stats, LOGLIK, **calls)
        self._texts = CachedCalls(cache, self.fingerprint, self.stats, GENERATED, **calls)

    # --- log-likelihood ------------------------------------------------------------------------
    def loglik(self, requests: Sequence[tuple[str, str]]) -> list[LoglikResult | ItemError]:
        """One result per ``(context, continuation)``, in order; failed requests get an ItemError."""
        return self._logliks.call(
            [(str(c), str(x)) for c, x in requests],
            key=lambda r: ["loglik", *r],
            role="loglik",
            send=self._counting_truncated(self.backend.loglik),
            batches=self._loglik_batches,
            check=lambda got: [r if isinstance(r, ItemError) else as_loglik(r) for r in got],
        )

    def _loglik_batches(self, missing: list[bytes], unique: dict[bytes, tuple[str, str]]) -> list[list[bytes]]:
        """Batches of at most ``loglik_batch_size`` requests (``batch_size``, or the backend's
        ``LOGLIK_CALL_SIZE`` when the run sets none), grouped by context, longest first.

        A context's requests stay in one batch (unless they alone exceed ``batch_size``), so the
        backend can compute the shared context once.
        """
        size = self.loglik_batch_size
        groups: dict[str, list[bytes]] = {}
        for k in missing:
            groups.setdefault(unique[k][0], []).append(k)
        order = sorted(groups, key=lambda c: (-(len(c) + max(len(unique[k][1]) for k in groups[c])), c))
        batches: list[list[bytes]] = []
        current: list[bytes] = []
        for c in order:
            members = sorted(groups[c], key=lambda k: unique[k][1])
            if current and len(current) + len(members) > size:
                batches.append(current)
                current = []
            while len(members) > size:
                batches.append(members[:size])
                members = members[size:]
            current += members
        if current:
            batches.append(current)
        return batches

    # --- generation ----------------------------------------------------------------------------
    def generate(
        self, prompts: Sequence[str], *, stop: Sequence[str] = (), max_tokens: int = 256
    ) -> list[str | ItemError]:
        """Greedy continuations, one per prompt; failed prompts get an ItemError."""
        stop = [str(s) for s in stop]
        max_tokens = int(max_tokens)
        return self._texts.call(
            [str(p) for p in prompts],
            key=lambda p: ["generate", p, stop, max_tokens],
            role="generate",
            send=self._counting_truncated(lambda batch: self.backend.generate(batch, stop=stop, max_tokens=max_tokens)),
            batches=lambda missing, unique: batches_of(
                sorted(missing, key=lambda k: (-len(unique[k]), unique[k])), self.batch_size
            ),
            check=self._count_empty,
        )

    def generations(
        self, prompts: Sequence[str], *, stop: Sequence[str] = (), max_tokens: int = 256
    ) -> list[Generation | ItemError]:
        """:meth:`generate`, each text flagged when it reached ``max_tokens`` (counted in
        ``stats.max_tokens_hit``): the server said so (a :class:`~xling.models.base.StoppedAtLimit`
        text, kept in the cache), or the backend's token count of the text reaches the limit
        (:meth:`~xling.models.base.Backend.generated_tokens`, computed from the cached text)."""
        out: list[Generation | ItemError] = []
        for text in self.generate(prompts, stop=stop, max_tokens=max_tokens):
            if isinstance(text, ItemError):
                out.append(text)
                continue
            if isinstance(text, StoppedAtLimit):
                out.append(Generation(str(text), True))
                continue
            n = self.backend.generated_tokens(text) if text else 0
            out.append(Generation(text, n is not None and n >= int(max_tokens)))
        hits = sum(isinstance(g, Generation) and g.max_tokens_hit for g in out)
        self.stats.max_tokens_hit = (self.stats.max_tokens_hit or 0) + hits
        return out

    # --- bookkeeping ---------------------------------------------------------------------------
    def _counting_truncated(self, send: Send) -> Send:
        """``send`` that counts the requests the backend truncated to fit its window."""

        def counted(batch: list) -> Sequence:
            before = self.backend.truncated
            try:
                return send(batch)
            finally:
                self.stats.truncated += self.backend.truncated - before

        return counted

    def _count_empty(self, got: list[str | ItemError]) -> list[str | ItemError]:
        self.stats.empty += sum(1 for r in got if not isinstance(r, ItemError) and not r.strip())
        return got
