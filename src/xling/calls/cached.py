"""The cached call every client makes: deduplicate, look up, send only the misses in batches,
turn failures into per-request errors, cache only the good answers, count it all."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ..crashpoints import crash_point
from ..models.base import ItemError
from .cache import BYTES, ResponseCache, request_key
from .counters import CallStats

DEFAULT_BATCH_SIZE = 32  # texts per model call; never changes a score
# Answers are written to the cache when a send ends and, on the way, once this many seconds have
# passed since the last write or this many bytes wait: a slow model's every batch is written as
# it comes, while a fast one's thousands of small batches share a transaction (each commit rewrites
# every page it touched, and digest keys touch a page per answer). A kill loses at most the answers
# of the last few seconds; the resumed run recomputes them.
WRITE_EVERY_S = 5.0
WRITE_BYTES = 16 * 2**20

R = TypeVar("R")  # a request
V = TypeVar("V")  # its answer

Send = Callable[[list[Any]], Sequence[Any]]  # requests -> one answer (or ItemError) each
Check = Callable[[list[Any]], list[Any]]  # a batch's answers -> as the client keeps them (invalid: an ItemError)


@dataclass(frozen=True)
class Codec(Generic[V]):
    """How an answer is stored in the response cache (``encode``) and read back (``decode``)."""

    encode: Callable[[V], Any]
    decode: Callable[[Any], V]
    dtype: str = BYTES  # raw bytes, or the numpy dtype of an array


TEXT: Codec[str] = Codec(lambda text: text.encode("utf-8"), lambda blob: blob.decode("utf-8"))


def answers(send: Send, requests: list[Any]) -> list[Any]:
    """One answer or :class:`ItemError` per request: an ItemError raised by ``send`` stands for
    every request it was given."""
    try:
        return list(send(requests))
    except ItemError as err:
        return [err] * len(requests)


def batches_of(keys: list[bytes], size: int | None) -> list[list[bytes]]:
    """``keys`` in batches of at most ``size`` (None: one batch)."""
    if not keys:
        return []
    size = size or len(keys)
    return [keys[i : i + size] for i in range(0, len(keys), size)]


class CachedCalls(Generic[V]):
    """A model's answers through the response cache, counted in ``stats``.

    ``call`` does it all; ``count``, ``lookup``, ``send`` and ``refuse`` are its steps, for a
    client that needs to act between them (the embedding client learns the vector size).
    """

    def __init__(
        self,
        cache: ResponseCache,
        fingerprint: str,
        stats: CallStats,
        codec: Codec[V],
        *,
        spec: str,
        on_progress: Callable[[int], None] | None = None,
    ):
        self.cache = cache
        self.fingerprint = fingerprint
        self.stats = stats
        self.codec = codec
        self.spec = spec
        self.on_progress = on_progress

    def call(
        self,
        requests: Sequence[R],
        *,
        key: Callable[[R], object],
        role: str,
        send: Send,
        batches: Callable[[list[bytes], dict[bytes, R]], Iterable[list[bytes]]],
        check: Check | None = None,
    ) -> list[V | ItemError]:
        """One answer per request, in order: cached, else sent (each distinct request once)."""
        keys = [request_key(key(r)) for r in requests]
        unique = dict(zip(keys, requests))  # equal keys mean equal requests
        self.count(role, len(requests), len(unique))
        found: dict[bytes, V | ItemError] = dict(self.lookup(unique))
        missing = [k for k in unique if k not in found]
        found.update(self.send(batches(missing, unique), unique, send, check))
        return [found[k] for k in keys]

    def count(self, role: str, n: int, n_unique: int) -> None:
        """Count ``n`` requests (``n_unique`` distinct) under ``role``."""
        self.stats.requests += n
        self.stats.unique += n_unique
        self.stats.by_role[role] = self.stats.by_role.get(role, 0) + n

    def lookup(self, keys: Iterable[bytes], **want) -> dict[bytes, V]:
        """The cached answers of ``keys`` (``want``: the shape they must have), counting hits and
        damaged entries."""
        damaged = self.cache.damaged
        found = self.cache.get_many(self.fingerprint, keys, dtype=self.codec.dtype, **want)
        self.stats.cache_damaged += self.cache.damaged - damaged
        self.stats.cache_hits += len(found)
        self.stats.cache_hits_this_run += self.cache.stored_since_open(self.fingerprint, found)
        return {k: self.codec.decode(v) for k, v in found.items()}

    def send(
        self, batches: Iterable[list[bytes]], requests: Mapping[bytes, R], send: Send, check: Check | None = None
    ) -> dict[bytes, V | ItemError]:
        """Send each batch; cache the answers that neither failed nor fail ``check`` (written
        every :data:`WRITE_EVERY_S` seconds or :data:`WRITE_BYTES`, and when the last batch is done)."""
        out: dict[bytes, V | ItemError] = {}
        waiting: dict[bytes, Any] = {}
        size, written = 0, time.monotonic()
        try:
            for batch in batches:
                got = answers(send, [requests[k] for k in batch])
                if len(got) != len(batch):
                    raise RuntimeError(f"backend {self.spec!r} returned {len(got)} results for {len(batch)} requests")
                self.stats.model_calls += len(batch)
                self.stats.batches += 1
                self.stats.failed += sum(isinstance(a, ItemError) for a in got)
                crash_point("client.mid_batch")
                if check is not None:
                    got = check(got)
                good = {k: self.codec.encode(a) for k, a in zip(batch, got) if not isinstance(a, ItemError)}
                waiting.update(good)
                size += sum(v.nbytes if isinstance(v, np.ndarray) else len(v) for v in good.values())
                if size >= WRITE_BYTES or time.monotonic() - written >= WRITE_EVERY_S:
                    self.cache.put_many(self.fingerprint, waiting)
                    waiting, size, written = {}, 0, time.monotonic()
                out.update(zip(batch, got))
                self._progress(len(batch))
        finally:
            if waiting:  # also when a later batch raised: what was answered is kept
                self.cache.put_many(self.fingerprint, waiting)
        return out

    def refuse(self, batches: Iterable[list[bytes]], error: ItemError) -> dict[bytes, ItemError]:
        """Fail every request of ``batches`` with ``error``, sending nothing (the model is unusable)."""
        out: dict[bytes, ItemError] = {}
        for batch in batches:
            self.stats.failed += len(batch)
            out.update(dict.fromkeys(batch, error))
            self._progress(len(batch))
        return out

    def _progress(self, n: int) -> None:
        if self.on_progress:
            self.on_progress(n)
