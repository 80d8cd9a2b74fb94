"""Model calls through the cache: dedupe, look up, send only the misses in length-sorted batches."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .cache import ResponseCache, request_key
from .models.base import Backend


@dataclass
class CallStats:
    """What a run asked of its model, for the summary and results.json."""

    requests: int = 0  # texts asked for, with repeats
    unique: int = 0  # distinct requests
    cache_hits: int = 0  # served from the response cache
    model_calls: int = 0  # sent to the model
    batches: int = 0
    truncated: int = 0  # texts longer than the model's window (truncated by the model)
    invalid: int = 0  # NaN / all-zero outputs (not cached; the items get error rows)
    failed: int = 0  # LM requests that failed after retries (not cached; error rows)
    empty: int = 0  # LM generations that came back empty
    by_role: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


class EmbedClient:
    """``embed(texts, role)`` for kinds: cached, deduplicated, batched by length."""

    def __init__(self, backend: Backend, cache: ResponseCache, *, batch_size: int = 32,
                 on_progress: Callable[[int], None] | None = None, stats: CallStats | None = None):
        self.backend = backend
        self.cache = cache
        self.batch_size = max(1, int(batch_size))
        self.fingerprint = backend.fingerprint()
        self.stats = stats or CallStats()
        self.on_progress = on_progress
        self._max_tokens = getattr(backend, "MAX_TOKENS", None)

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        """One float32 row per text; rows of texts the model failed on are NaN."""
        model_role = self.backend.request_role(role)
        keys = [request_key(["embed", model_role, t]) for t in texts]
        unique = dict(zip(keys, texts))  # first text per key; equal keys mean equal texts
        self.stats.requests += len(texts)
        self.stats.unique += len(unique)
        self.stats.by_role[model_role] = self.stats.by_role.get(model_role, 0) + len(texts)
        found = self.cache.get_many(self.fingerprint, unique)
        self.stats.cache_hits += len(found)
        missing = sorted((k for k in unique if k not in found), key=lambda k: len(unique[k]))
        vectors: dict[bytes, np.ndarray] = {k: np.frombuffer(v, dtype=np.float32) for k, v in found.items()}
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            out = np.asarray(self.backend.embed([unique[k] for k in batch], role), dtype=np.float32)
            self.stats.model_calls += len(batch)
            self.stats.batches += 1
            good = {}
            for k, vec in zip(batch, out, strict=True):
                if not np.all(np.isfinite(vec)) or not np.any(vec):
                    self.stats.invalid += 1
                    vectors[k] = np.full(out.shape[1], np.nan, dtype=np.float32)
                    continue
                vectors[k] = vec
                good[k] = vec.tobytes()
            self.cache.put_many(self.fingerprint, good)
            if self._max_tokens:
                self.stats.truncated += sum(
                    self.backend.token_count(unique[k]) > self._max_tokens for k in batch
                )
            if self.on_progress:
                self.on_progress(len(batch))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([vectors[k] for k in keys])
