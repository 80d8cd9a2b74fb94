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
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..models.base import Backend, ItemError
from .cache import ResponseCache, request_key
from .counters import CallStats
from .embed import cached


class LoglikResult(NamedTuple):
    """Sum of the continuation's token log-probs, its token count, whether greedy decoding yields it."""

    logprob: float
    n_tokens: int
    greedy: bool


class LMClient:
    """``loglik(requests)`` and ``generate(prompts, stop=..., max_tokens=...)`` for kinds."""

    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache,
        stats: CallStats | None = None,
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ):
        self.backend = backend
        self.cache = cache
        self.stats = stats if stats is not None else CallStats()
        self.batch_size = max(1, int(batch_size))
        self.on_progress = on_progress
        self.fingerprint = backend.fingerprint()

    # --- log-likelihood ------------------------------------------------------------------------
    def loglik(self, requests: Sequence[tuple[str, str]]) -> list[LoglikResult | ItemError]:
        """One result per ``(context, continuation)``, in order; failed requests get an ItemError."""
        requests = [(str(c), str(x)) for c, x in requests]
        keys = [request_key(["loglik", c, x]) for c, x in requests]
        unique = dict(zip(keys, requests))
        self._count("loglik", len(requests), len(unique))
        found = cached(self.cache, self.fingerprint, unique, self.stats)
        out: dict[bytes, LoglikResult | ItemError] = {}
        for k, v in found.items():
            lp, n, g = json.loads(v)
            out[k] = LoglikResult(float(lp), int(n), bool(g))
        missing = [k for k in unique if k not in found]
        for batch in self._loglik_batches(missing, unique):
            before = self.backend.truncated
            results = self.backend.loglik([unique[k] for k in batch])
            self._after_batch(batch, before, len(results))
            good = {}
            for k, r in zip(batch, results, strict=True):
                if isinstance(r, ItemError):
                    self.stats.failed += 1
                    out[k] = r
                    continue
                res = LoglikResult(float(r[0]), int(r[1]), bool(r[2]))
                out[k] = res
                good[k] = json.dumps([res.logprob, res.n_tokens, res.greedy]).encode()
            self.cache.put_many(self.fingerprint, good)
        return [out[k] for k in keys]

    def _loglik_batches(self, missing: list[bytes], unique: dict[bytes, tuple[str, str]]) -> list[list[bytes]]:
        """Batches of at most ``batch_size`` requests, grouped by context, longest first.

        A context's requests stay in one batch (unless they alone exceed ``batch_size``), so the
        backend can compute the shared context once.
        """
        groups: dict[str, list[bytes]] = {}
        for k in missing:
            groups.setdefault(unique[k][0], []).append(k)
        order = sorted(groups, key=lambda c: (-(len(c) + max(len(unique[k][1]) for k in groups[c])), c))
        batches: list[list[bytes]] = []
        current: list[bytes] = []
        for c in order:
            members = sorted(groups[c], key=lambda k: unique[k][1])
            if current and len(current) + len(members) > self.batch_size:
                batches.append(current)
                current = []
            while len(members) > self.batch_size:
                batches.append(members[: self.batch_size])
                members = members[self.batch_size :]
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
        prompts = [str(p) for p in prompts]
        keys = [request_key(["generate", p, stop, max_tokens]) for p in prompts]
        unique = dict(zip(keys, prompts))
        self._count("generate", len(prompts), len(unique))
        found = cached(self.cache, self.fingerprint, unique, self.stats)
        out: dict[bytes, str | ItemError] = {k: v.decode("utf-8") for k, v in found.items()}
        missing = sorted((k for k in unique if k not in found), key=lambda k: (-len(unique[k]), unique[k]))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            before = self.backend.truncated
            results = self.backend.generate([unique[k] for k in batch], stop=stop, max_tokens=max_tokens)
            self._after_batch(batch, before, len(results))
            good = {}
            for k, r in zip(batch, results, strict=True):
                if isinstance(r, ItemError):
                    self.stats.failed += 1
                    out[k] = r
                    continue
                if not r.strip():
                    self.stats.empty += 1
                out[k] = r
                good[k] = r.encode("utf-8")
            self.cache.put_many(self.fingerprint, good)
        return [out[k] for k in keys]

    # --- bookkeeping ---------------------------------------------------------------------------
    def _count(self, call: str, n: int, n_unique: int) -> None:
        self.stats.requests += n
        self.stats.unique += n_unique
        self.stats.by_role[call] = self.stats.by_role.get(call, 0) + n

    def _after_batch(self, batch: list[bytes], truncated_before: int, n_results: int) -> None:
        if n_results != len(batch):
            raise RuntimeError(f"backend {self.backend.spec!r} returned {n_results} results for {len(batch)} requests")
        self.stats.model_calls += len(batch)
        self.stats.batches += 1
        self.stats.truncated += self.backend.truncated - truncated_before
        if self.on_progress:
            self.on_progress(len(batch))
