"""Model calls through the cache: dedupe, look up, send only the misses in length-sorted batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..crashpoints import crash_point
from ..models.base import Backend, EmbedError
from .cache import ResponseCache, request_key
from .counters import CallStats

EMPTY_TEXT = "empty text: nothing to embed"
INVALID_VECTOR = "the model returned a NaN or all-zero vector"
WRONG_SIZE = "the model returned a vector of size {got}, not the {size} pinned for it in the response cache {path}"
PROBE_TEXT = "xling vector size probe"
NO_SIZE = (
    "embedding failed: no two answers to a probe text agreed on the model's vector size "
    "(is the server up? -o dimensions=N gives the size)"
)
VECTOR = np.dtype(np.float32).str


def cached(cache: ResponseCache, model: str, keys, stats: CallStats, **want) -> dict:
    """``cache.get_many`` that counts hits and damaged entries in ``stats``."""
    damaged = cache.damaged
    found = cache.get_many(model, keys, **want)
    stats.cache_damaged += cache.damaged - damaged
    stats.cache_hits += len(found)
    return found


class EmbedClient:
    """``embed(texts, role)`` for kinds: cached, deduplicated, batched by length.

    Scores never depend on the batch size: each text's vector is cached on its own and the
    backends used here embed every text independently of its batch neighbours (tested).
    """

    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache,
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
        stats: CallStats | None = None,
    ):
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
        self._probe_error = NO_SIZE  # why the vector size is unknown (a server that does not answer)

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
        found = self._cached(wanted)
        vectors: dict[bytes, np.ndarray] = dict(found)
        missing = sorted((k for k in wanted if k not in found), key=lambda k: (len(wanted[k]), wanted[k]))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            vectors.update(self._call(batch, wanted, role))
            if self.on_progress:
                self.on_progress(len(batch))
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
        if self._dim is None and self.backend.PROBE_VECTOR_SIZE:  # probed once per call, in _cached
            self.stats.failed += len(batch)
            self._errors.update(dict.fromkeys(batch, self._probe_error))
            return {}
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
        vectors = {}
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
        if vectors and self._dim is None:  # a local model's own answer: its size is the model's
            self._pin(out.shape[1], "first answer")
        if vectors and out.shape[1] != self._dim:
            self.stats.invalid += len(vectors)
            error = WRONG_SIZE.format(got=out.shape[1], size=self._dim, path=self.cache.path)
            self._errors.update(dict.fromkeys(vectors, error))
            return {}
        self.cache.put_many(self.fingerprint, vectors)
        return vectors

    def _cached(self, wanted: dict[bytes, str]) -> dict[bytes, np.ndarray]:
        """Cached vectors of the pinned size; without a pinned size nothing cached is trusted."""
        size = self._size() if wanted else None
        if size is None:
            return {}
        return cached(self.cache, self.fingerprint, wanted, self.stats, dtype=VECTOR, shape=(size,))

    def _size(self) -> int | None:
        """The model's vector size: pinned in the cache, else given (``-o dimensions``), else
        probed when the backend asks for it (a server's first answer may be wrong); else None
        until the model's first answer pins it."""
        if self._dim is None:
            pinned = self.cache.vector_size(self.fingerprint)
            declared = self.backend.options.get("dimensions")
            if pinned:
                self._pin(pinned, "cache")
            elif isinstance(declared, int) and not isinstance(declared, bool) and declared > 0:
                self._pin(declared, "option dimensions")
            elif self.backend.PROBE_VECTOR_SIZE:
                probed = self._probe()
                if probed:
                    self._pin(probed, "probe")
        return self._dim

    def _pin(self, size: int, source: str) -> None:
        self._dim = self.cache.pin_vector_size(self.fingerprint, size, source)
        self.backend.expect_vector_size(self._dim)

    def _probe(self, tries: int = 3) -> int | None:
        """The size on which two answers to the same probe text agree (one wrong answer is
        outvoted); None (and ``_probe_error`` says why) when the model gives no such pair."""
        sizes: list[int] = []
        wrong = None  # what the last unusable answer was
        for _ in range(tries):
            self.stats.probes += 1
            try:
                out = np.asarray(self.backend.embed([PROBE_TEXT], "symmetric"), dtype=np.float32)
            except EmbedError as exc:
                self._probe_error = f"embedding failed: {exc.message}"
                return None
            if out.ndim != 2 or out.shape[0] != 1:
                wrong = f"the answer has {out.shape[0] if out.ndim else 0} vectors for 1 text"
            elif not (np.all(np.isfinite(out)) and np.any(out)):
                wrong = INVALID_VECTOR
            elif out.shape[1] in sizes:
                return out.shape[1]
            else:
                sizes.append(out.shape[1])
        self._probe_error = NO_SIZE if sizes or wrong is None else f"embedding failed: {wrong} (to {tries} probes)"
        return None

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
