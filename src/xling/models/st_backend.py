"""Any sentence-transformers model, by Hub name or local directory: ``st:<name-or-path>``.

A local path loads offline. ``trust_remote_code`` is off unless the option is given
(``-o trust_remote_code=true``): a model that needs custom code stops with an error saying so.
"""

from __future__ import annotations

import hashlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..errors import UserError
from ..hashing import file_sha256
from .base import Backend, Capability
from .hub_access import check_hub_model
from .load_safety import needs_remote_code, refuse_unsafe, remote_code_error
from .options import TrustOptions, as_given
from .passes import equal_length_passes, pass_size
from .threads import default_threads, passive_openmp_waits


class STOptions(TrustOptions):
    device: str = "cpu"
    max_seq_length: int | None = None
    symmetric: Literal["none", "query", "passage"] = "none"
    query_prompt: str | None = None
    passage_prompt: str | None = None
    per_text: bool = False
    pass_rows: int = Field(32, ge=1)
    threads: int | None = Field(None, ge=1)


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx", ".json", ".model", ".txt")


def directory_digest(root: Path) -> str:
    """sha256 over the model directory's weight, config and vocabulary files (name + content)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in WEIGHT_SUFFIXES and ".cache" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(file_sha256(p).encode())
    return h.hexdigest()


class SentenceTransformerBackend(Backend, name="st", capabilities={Capability.EMBED}, options=STOptions):
    """Roles: ``query``/``passage`` use the model's own prompts of those names (``document`` for
    passages) when it defines them, else ``query_prompt``/``passage_prompt``; ``symmetric`` uses
    no prompt unless ``symmetric=query|passage``. Over-long texts are truncated to the model's
    ``max_seq_length`` (stated in ``calls.long_text_policy``, counted in ``calls.truncated``).

    Batches never change a vector: texts of equal token length share a forward pass of at most
    ``pass_rows`` rows, so there is no padding, and a pass of short texts gets copies until its
    products have enough rows that their row count does not change a row (see :mod:`.passes`):
    whatever the call, order, ``--batch-size`` or thread count, a text's vector has the same bits.
    ``per_text=true`` runs one text per pass instead (the older way; other bits for the shortest
    texts, so another fingerprint)."""

    opt: STOptions
    LONG_TEXT_POLICY = "truncate"

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        if not target:
            raise UserError(
                "the st backend needs a model: st:<hub-name-or-local-path>",
                hint="e.g. st:sentence-transformers/LaBSE or st:/models/my-model",
            )
        passive_openmp_waits()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.opt.threads or default_threads())
        local = Path(target).expanduser()
        self._local = local if local.is_dir() else None
        trusted = self.opt.trust_remote_code
        if self._local is not None:
            refuse_unsafe(self._local, "st", trusted)
        local_only = check_hub_model(target, revision=self.opt.revision) if self._local is None else True
        try:
            self._model = SentenceTransformer(
                str(self._local or target),
                device=self.opt.device,
                trust_remote_code=trusted,
                revision=self.opt.revision,
                local_files_only=local_only,
                model_kwargs=None if trusted else {"use_safetensors": True},  # never unpickle weights
            )
        except (OSError, ValueError) as exc:
            if needs_remote_code(exc):
                raise remote_code_error(target, exc) from exc
            msg = str(exc).splitlines()[0][:300]
            hint = (
                "give a local directory holding a sentence-transformers model with safetensors weights, or a Hub "
                "name reachable from here (-o trust_remote_code=true also allows pickled .bin weights)"
            )
            raise UserError(f"cannot load sentence-transformers model {target!r}: {msg}", hint=hint) from exc
        self._model.eval()
        if self.opt.max_seq_length:
            self._model.max_seq_length = self.opt.max_seq_length
        self.MAX_TOKENS = int(self._model.max_seq_length) if self._model.max_seq_length else None
        prompts = dict(getattr(self._model, "prompts", {}) or {})
        self._prompts = {
            "query": self.opt.query_prompt if self.opt.query_prompt is not None else prompts.get("query", ""),
            "passage": self.opt.passage_prompt
            if self.opt.passage_prompt is not None
            else prompts.get("passage", prompts.get("document", "")),
        }
        self._digest: str | None = None

    def _weights_id(self) -> str:
        if self._local is not None:
            return "sha256:" + directory_digest(self._local)[:16]
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(self.target, "config.json", revision=self.opt.revision)
            if isinstance(cached, str) and "snapshots" in Path(cached).parts:
                parts = Path(cached).parts
                return "rev:" + parts[parts.index("snapshots") + 1]
        except Exception:
            pass
        return "rev:" + str(self.opt.revision or "unknown")

    def fingerprint(self) -> str:
        if self._digest is None:
            import sentence_transformers

            given = as_given(self.opt, self.options)
            opts = ",".join(f"{k}={given[k]}" for k in ("device", "max_seq_length", "trust_remote_code") if given[k])
            passes = "text" if self.opt.per_text else "length"
            prompts = hashlib.sha256(repr(sorted(self._prompts.items())).encode()).hexdigest()[:8]
            self._digest = (
                f"st/{self.target}/{self._weights_id()}/st{sentence_transformers.__version__}/"
                f"max{self.MAX_TOKENS}/prompts:{prompts}/pass:{passes}/{opts}"
            )
        return self._digest

    def _prompt(self, role: str) -> str:
        if role == "symmetric":
            sym = self.opt.symmetric
            return "" if sym == "none" else self._prompts[sym]
        if role not in self._prompts:
            raise ValueError(f"unknown embedding role {role!r}")
        return self._prompts[role]

    def request_role(self, role: str) -> str:
        """Roles with the same prompt share cache entries."""
        prompt = self._prompt(role)
        for name in ("symmetric", "query", "passage"):
            if self._prompt(name) == prompt:
                return name
        return role

    def batch_lengths(self, texts: list[str], role: str) -> list[int] | None:
        """Tokens per text as the model sees it: prompt included, after truncation (None for a
        model whose modules give no token mask)."""
        prompt = self._prompt(role) or None
        lengths: list[int] = []
        for start in range(0, len(texts), 1024):  # padded id tensors stay small
            chunk = list(texts[start : start + 1024])
            mask = self._model.preprocess(chunk, prompt=prompt).get("attention_mask")
            if mask is None:
                return None
            lengths += [int(n) for n in mask.sum(dim=1).tolist()]
        return lengths

    def pass_rows(self) -> int | None:
        return None if self.opt.per_text else self.opt.pass_rows

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        prompt = self._prompt(role) or None
        lengths = None if self.opt.per_text else self.batch_lengths(texts, role)
        if lengths is None:  # one text per pass: the shape is the text's own
            return np.stack([self._pass([t], prompt)[0] for t in texts]).astype(np.float32)
        vectors: list[np.ndarray] = [np.empty(0, dtype=np.float32)] * len(texts)
        groups = []
        for idx in equal_length_passes(lengths, self.opt.pass_rows):
            group = [texts[i] for i in idx]
            groups.append((idx, group + [group[-1]] * (pass_size(len(group), lengths[idx[0]]) - len(group))))
        groups.sort(key=lambda g: -len(g[1]) * lengths[g[0][0]])  # the largest first: workers end together
        for idx, got in self._passes(groups, prompt):
            for i, vector in zip(idx, got, strict=False):
                vectors[i] = vector
        return np.stack(vectors)

    def _passes(self, groups: list[tuple[list[int], list[str]]], prompt: str | None):
        """``(indices, vectors)`` of each pass. On a CPU with several threads the passes run side by
        side, one thread each (a row's bits do not depend on the thread count, see :mod:`.passes`):
        no pass waits for the others' threads, and the steps that run on one thread anyway
        (activations, normalisation, attention of short texts) overlap. The tokenizer runs in this
        thread only (a fast tokenizer must not be called from two threads at once)."""
        import torch

        workers = min(torch.get_num_threads(), len(groups)) if self._model.device.type == "cpu" else 1
        if workers <= 1:
            for idx, group in groups:
                yield idx, self._pass(group, prompt)
            return
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="xling-st-pass") as pool:
                waiting: deque[tuple[list[int], Future]] = deque()
                for idx, group in groups:
                    waiting.append((idx, pool.submit(self._forward, self._model.preprocess(group, prompt=prompt))))
                    if len(waiting) > 2 * workers:
                        done, future = waiting.popleft()
                        yield done, future.result()
                while waiting:
                    done, future = waiting.popleft()
                    yield done, future.result()
        finally:
            torch.set_num_threads(threads)

    def _pass(self, group: list[str], prompt: str | None) -> np.ndarray:
        return self._forward(self._model.preprocess(group, prompt=prompt))

    def _forward(self, features: dict[str, Any]) -> np.ndarray:
        """What ``SentenceTransformer.encode`` computes for one batch (no normalisation beyond the
        model's own modules), from features already tokenized."""
        import torch
        from sentence_transformers.util import batch_to_device

        with torch.inference_mode():
            out = self._model(batch_to_device(features, self._model.device))["sentence_embedding"]
            if self._model.truncate_dim is not None:
                out = out[..., : self._model.truncate_dim]
            return out.float().cpu().numpy()

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "model": self.target,
            "weights": self._weights_id(),
            "max_seq_length": self.MAX_TOKENS,
            "prompts": self._prompts,
            "long_text_policy": "truncate",
        }
