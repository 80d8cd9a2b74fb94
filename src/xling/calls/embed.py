"""Model calls through the cache: dedupe, look up, send only the misses in length-sorted batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..models.base import Backend, ItemError
from .cache import ResponseCache, request_key
from .cached import DEFAULT_BATCH_SIZE, CachedCalls, Codec, answers, batches_of
from .counters import CallStats

EMPTY_TEXT = "empty text: nothing to embed"
INVALID_VECTOR = "the model returned a NaN or all-zero vector"
WRONG_SIZE = "the model returned a vector of size {got}, not the {size} pinned for it in the response cache {path}"
PROBE_TEXT = "xling vector size probe"
NO_SIZE = (
    "embedding failed: no two answers to a probe text agreed on the model's vector size "
    "(is the server up? -o dimensions=N gives the size)"
)
VECTORS: Codec[np.ndarray] = Codec(lambda vector: vector, lambda vector: vector, dtype=np.dtype(np.float32).str)


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
        batch_size: int | None = None,
        on_progress: Callable[[int], None] | None = None,
        stats: CallStats | None = None,
    ):
        self.backend = backend
        self.cache = cache
        self.batch_size = max(1, int(batch_size or DEFAULT_BATCH_SIZE))
        self.fingerprint = backend.fingerprint()
        self.stats = stats or CallStats()
        self.on_progress = on_progress
        self._calls = CachedCalls(
            cache, self.fingerprint, self.stats, VECTORS, spec=backend.spec, on_progress=on_progress
        )
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
        self._calls.count(model_role, len(texts), len(unique))
        for k, t in unique.items():
            if not t.strip() and k not in self._errors:
                self._errors[k] = EMPTY_TEXT
                self.stats.empty += 1
        self._count_long(unique)
        wanted = {k: t for k, t in unique.items() if self._errors.get(k) != EMPTY_TEXT}
        vectors: dict[bytes, np.ndarray] = self._cached(wanted)
        batches = self._batches([k for k in wanted if k not in vectors], wanted, role)
        if self._dim is None and self.backend.PROBE_VECTOR_SIZE:  # the probe (in _cached) failed
            answers = self._calls.refuse(batches, ItemError(self._probe_error))
        else:
            answers = self._calls.send(batches, wanted, lambda batch: self._embed(batch, role), self._checked)
        for k, answer in answers.items():
            if isinstance(answer, ItemError):
                self._errors[k] = str(answer)
            else:
                vectors[k] = answer
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

    def warm(self, texts: list[str], role: str) -> None:
        """Embed and cache the misses among ``texts`` ahead of the units that will ask for them,
        in calls as large as the batch size allows. Counts the model calls, not requests or cache
        hits: the units count those when they ask (their hits then count as computed this run)."""
        model_role = self.backend.request_role(role)
        wanted = {request_key(["embed", model_role, t]): t for t in texts if t.strip()}
        size = self._size() if wanted else None
        have = self.cache.get_many(self.fingerprint, wanted, dtype=VECTORS.dtype, shape=(size,)) if size else {}
        batches = self._batches([k for k in wanted if k not in have], wanted, role)
        if batches and not (self._dim is None and self.backend.PROBE_VECTOR_SIZE):
            self._calls.send(batches, wanted, lambda batch: self._embed(batch, role), self._checked)

    def _batches(self, keys: list[bytes], texts: dict[bytes, str], role: str) -> list[list[bytes]]:
        """``keys`` in calls of at most ``batch_size``, sorted by the backend's batching length (then
        characters, then text) so that a call holds texts the model can batch together. A backend
        with passes of one length takes up to ``batch_size`` full passes per call, and a call ends
        only where a pass does: the texts of one length are cut into passes first and whole passes
        are packed into calls, so cutting into calls adds no partly filled pass (a pass's memory is
        bounded by its rows, not by the call)."""
        if not keys:
            return []
        lengths = self.backend.batch_lengths([texts[k] for k in keys], role)
        by_model = dict(zip(keys, lengths, strict=True)) if lengths is not None else dict.fromkeys(keys, 0)
        ordered = sorted(keys, key=lambda k: (by_model[k], len(texts[k]), texts[k]))
        rows = self.backend.pass_rows() if lengths is not None else None
        if not rows:
            return batches_of(ordered, self.batch_size)
        passes: list[list[bytes]] = []
        for key in ordered:
            if passes and len(passes[-1]) < rows and by_model[passes[-1][0]] == by_model[key]:
                passes[-1].append(key)
            else:
                passes.append([key])
        size = self.batch_size * rows
        calls: list[list[bytes]] = [[]]
        for one in passes:
            if calls[-1] and len(calls[-1]) + len(one) > size:
                calls.append([])
            calls[-1].extend(one)
        return calls

    def _embed(self, texts: list[str], role: str) -> list[np.ndarray | ItemError]:
        """The backend's rows for ``texts``, as float32 vectors."""
        out = self.backend.embed(texts, role)
        if isinstance(out, list):
            return [row if isinstance(row, ItemError) else np.asarray(row, dtype=np.float32) for row in out]
        out = np.asarray(out, dtype=np.float32)
        if out.ndim != 2 or out.shape[0] != len(texts):
            raise RuntimeError(f"backend {self.backend.spec!r} returned {out.shape} vectors for {len(texts)} texts")
        return list(out)

    def _checked(self, answers: list[np.ndarray | ItemError]) -> list[np.ndarray | ItemError]:
        """A batch's answers with why each failed one failed: the backend's error, a NaN or
        all-zero vector, a vector of another size than the model's (pinned by its first answer)."""
        out: list[np.ndarray | ItemError] = []
        for answer in answers:
            if isinstance(answer, ItemError):
                out.append(ItemError(f"embedding failed: {answer}"))
            elif not np.all(np.isfinite(answer)) or not np.any(answer):
                self.stats.invalid += 1
                out.append(ItemError(INVALID_VECTOR))
            else:
                out.append(answer)
        sizes = [len(a) for a in out if not isinstance(a, ItemError)]
        if sizes and self._dim is None:  # a local model's own answer: its size is the model's
            self._pin(sizes[0], "first answer")
        for i, answer in enumerate(out):
            if not isinstance(answer, ItemError) and len(answer) != self._dim:
                self.stats.invalid += 1
                out[i] = ItemError(WRONG_SIZE.format(got=len(answer), size=self._dim, path=self.cache.path))
        return out

    def _cached(self, wanted: dict[bytes, str]) -> dict[bytes, np.ndarray]:
        """Cached vectors of the pinned size; without a pinned size nothing cached is trusted."""
        size = self._size() if wanted else None
        if size is None:
            return {}
        return self._calls.lookup(wanted, shape=(size,))

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
            got = answers(lambda texts: self.backend.embed(texts, "symmetric"), [PROBE_TEXT])
            failed = [a for a in got if isinstance(a, ItemError)]
            if failed:
                self._probe_error = f"embedding failed: {failed[0]}"
                return None
            vector = np.asarray(got[0], dtype=np.float32) if len(got) == 1 else None
            if vector is None or vector.ndim != 1:
                wrong = f"the answer has {len(got)} vectors for 1 text"
            elif not (np.all(np.isfinite(vector)) and np.any(vector)):
                wrong = INVALID_VECTOR
            elif len(vector) in sizes:
                return len(vector)
            else:
                sizes.append(len(vector))
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
