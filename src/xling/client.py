"""Model calls through the cache: dedupe, look up, send only the misses in length-sorted batches."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .cache import ResponseCache, request_key
from .crashpoints import crash_point
from .models.base import Backend, EmbedError

EMPTY_TEXT = "empty text: nothing to embed"
INVALID_VECTOR = "the model returned a NaN or all-zero vector"


@dataclass
class CallStats:
    """What a run asked of its model, for the summary and results.json (numbers only: the
    executors add up the stats of several workers)."""

    requests: int = 0  # texts asked for, with repeats
    unique: int = 0  # distinct requests
    cache_hits: int = 0  # served from the response cache
    model_calls: int = 0  # sent to the model
    batches: int = 0
    over_long: int = 0  # distinct texts longer than the window (counted whether cached or not)
    truncated: int = 0  # of those, texts whose tail the model dropped (policy "truncate")
    empty: int = 0  # empty or blank texts (error rows, never sent); LM generations that came back empty
    invalid: int = 0  # NaN / all-zero outputs (not cached; the items get error rows)
    failed: int = 0  # texts/requests that failed after the backend's retries (not cached; error rows)
    by_role: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


class EmbedClient:
    """``embed(texts, role)`` for kinds: cached, deduplicated, batched by length.

    Scores never depend on the batch size: each text's vector is cached on its own and the
    backends used here embed every text independently of its batch neighbours (tested).
    """

    def __init__(self, backend: Backend, cache: ResponseCache, *, batch_size: int = 32,
                 on_progress: Callable[[int], None] | None = None, stats: CallStats | None = None):
        self.backend = backend
        self.cache = cache
        self.batch_size = max(1, int(batch_size))
        self.fingerprint = backend.fingerprint()
        self.stats = stats or CallStats()
        self.on_progress = on_progress
        self._max_tokens = getattr(backend, "MAX_TOKENS", None)
        self._policy = getattr(backend, "LONG_TEXT_POLICY", "none")
        self._measured: set[bytes] = set()  # keys whose length was already counted this run
        self._errors: dict[bytes, str] = {}  # keys that failed this run, with why
        self._dim: int | None = None

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        """One float32 row per text; rows of texts the model failed on are NaN."""
        return self.embed_checked(texts, role)[0]

    def embed_checked(self, texts: list[str], role: str) -> tuple[np.ndarray, list[str | None]]:
        """Vectors (NaN rows where it failed) and, per text, None or why it has no vector."""
        model_role = self.backend.request_role(role)
        keys = [request_key(["embed", model_role, t]) for t in texts]
        unique = dict(zip(keys, texts))  # first text per key; equal keys mean equal texts
        self.stats.requests += len(texts)
        self.stats.unique += len(unique)
        self.stats.by_role[model_role] = self.stats.by_role.get(model_role, 0) + len(texts)
        for k, t in unique.items():
            if not t.strip() and k not in self._errors:
                self._errors[k] = EMPTY_TEXT
                self.stats.empty += 1
        self._count_long(unique)
        wanted = {k: t for k, t in unique.items() if self._errors.get(k) != EMPTY_TEXT}
        found = self.cache.get_many(self.fingerprint, wanted)
        self.stats.cache_hits += len(found)
        vectors: dict[bytes, np.ndarray] = {k: np.frombuffer(v, dtype=np.float32) for k, v in found.items()}
        missing = sorted((k for k in wanted if k not in found), key=lambda k: (len(wanted[k]), wanted[k]))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            vectors.update(self._call(batch, wanted, role))
            if self.on_progress:
                self.on_progress(len(batch))
        if vectors and self._dim is None:
            self._dim = len(next(iter(vectors.values())))
        dim = self._dim or 1
        nan = np.full(dim, np.nan, dtype=np.float32)
        rows, errors = [], []
        for k in keys:
            vec = vectors.get(k)
            if vec is None or len(vec) != dim:
                rows.append(nan)
                errors.append(self._errors.get(k, INVALID_VECTOR))
            else:
                rows.append(vec)
                errors.append(None)
        if not texts:
            return np.zeros((0, dim), dtype=np.float32), []
        return np.stack(rows), errors

    def _call(self, batch: list[bytes], texts: dict[bytes, str], role: str) -> dict[bytes, np.ndarray]:
        """Embed one batch; cache the valid vectors, remember why the others failed."""
        self.stats.model_calls += len(batch)
        self.stats.batches += 1
        try:
            raw = self.backend.embed([texts[k] for k in batch], role)
            row_errors = getattr(raw, "row_errors", None) or {}
            out = np.asarray(raw, dtype=np.float32)
        except EmbedError as exc:
            self.stats.failed += len(batch)
            for k in batch:
                self._errors[k] = f"embedding failed: {exc.message}"
            return {}
        if out.ndim != 2 or out.shape[0] != len(batch):
            raise RuntimeError(f"backend {self.backend.spec!r} returned {out.shape} vectors for {len(batch)} texts")
        crash_point("client.mid_batch")
        vectors, good = {}, {}
        for i, (k, vec) in enumerate(zip(batch, out, strict=True)):
            if i in row_errors:  # the backend says why this text has no vector
                self.stats.failed += 1
                self._errors[k] = f"embedding failed: {row_errors[i]}"
                continue
            if not np.all(np.isfinite(vec)) or not np.any(vec):
                self.stats.invalid += 1
                self._errors[k] = INVALID_VECTOR
                continue
            vectors[k] = vec
            good[k] = vec.tobytes()
        self.cache.put_many(self.fingerprint, good)
        return vectors

    def _count_long(self, unique: dict[bytes, str]) -> None:
        """Count texts beyond the model's window once per run, cached or not."""
        if not self._max_tokens and self._policy in ("none", "server"):
            return
        new = [k for k in unique if k not in self._measured]
        self._measured.update(new)
        over = sum(1 for k in new if unique[k].strip() and self.backend.is_over_long(unique[k]))
        self.stats.over_long += over
        if self._policy == "truncate":
            self.stats.truncated += over
