"""Helpers for embedder tests: a character-trigram hashing embedder (deterministic, instant) and a
RunContext built around any backend, so kinds can be tested without a neural model."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from xling.calls.cache import ResponseCache
from xling.calls.embed import EmbedClient
from xling.kinds import RunConfig, RunContext
from xling.models.base import Backend, Capability

EMBED_DATA = Path(__file__).parents[1] / "data" / "embed"


class TrigramBackend(Backend):
    """Bag of hashed character trigrams: a lexical-overlap embedder. ``fail`` maps a text to what
    to return for it: 'nan' or 'zero' vectors."""

    name = "trigram"
    capabilities = frozenset({Capability.EMBED})
    DIM = 256

    def __init__(self, fail: dict[str, str] | None = None, max_tokens: int | None = None, policy: str = "none"):
        super().__init__("trigram", None, {})
        self.fail = fail or {}
        self.calls: list[list[str]] = []
        self.MAX_TOKENS = max_tokens
        self.LONG_TEXT_POLICY = policy

    def fingerprint(self) -> str:
        return "trigram/v1"

    def token_count(self, text: str) -> int:
        return len(text.split())

    def embed(self, texts, role):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            how = self.fail.get(t)
            if how == "nan":
                out[i] = np.nan
                continue
            if how == "zero":
                continue
            s = f"  {t.lower()} "
            for j in range(len(s) - 2):
                out[i, zlib.crc32(s[j : j + 3].encode()) % self.DIM] += 1.0
        return out


def make_ctx(backend: Backend, tmp_path: Path, *, batch_size: int = 4, limit: int | None = None) -> RunContext:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    client = EmbedClient(backend, cache, batch_size=batch_size)
    config = RunConfig(batch_size=batch_size, limit=limit)
    return RunContext(backend=backend, cache=cache, client=client, stats=client.stats, config=config)
