"""vLLM on GPUs: log-likelihood and generation for large LLMs (``vllm:<hub-id-or-dir>``).

Imported only when used; needs ``pip install 'xling[vllm]'`` on a machine with a CUDA GPU.
Tensor parallelism through ``-o tensor_parallel_size=N``; data parallelism by running several
workers with ``--executor ray``.

Log-likelihood keeps prefix caching effective: multiple-choice requests share their context, so
every request of one context is sent together and the engine's automatic prefix cache computes
the context once. For choices that are ONE token each (option letters, most label words) the
cheap path asks for the context alone with ``max_tokens=1`` and ``logprobs=K`` and reads each
choice's raw log-probability from the top-K list: no prompt log-probs at all, so the cached
prefix is reused as is. Anything else (multi-token continuations, a choice outside the top K)
takes the exact path: ``prompt_logprobs`` over context + continuation, summing the continuation
positions. Both paths return raw (unprocessed) log-probabilities, so their numbers agree.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import Field

from ..errors import UserError
from .base import Backend, Capability, ItemError
from .lm_common import cut_at_stop, fit_window, split_continuation
from .load_safety import refuse_unsafe
from .model_files import GEMMA3_270M, hf_dir_from_gguf, resolve_gguf
from .options import TrustOptions


class VLLMOptions(TrustOptions):
    tensor_parallel_size: int = Field(1, ge=1)
    dtype: str = "auto"
    max_length: int | None = Field(None, ge=1)
    gpu_memory_utilization: float = Field(0.85, gt=0, le=1)
    top_logprobs: int = Field(20, ge=0)
    seed: int = 0


class VLLM(Backend, name="vllm", capabilities={Capability.LOGLIK, Capability.GENERATE}, options=VLLMOptions):
    """A vLLM engine in-process on the GPU(s)."""

    opt: VLLMOptions

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        target = self.required_target("a target: a Hub id or a local model directory", hint="e.g. vllm:Qwen/Qwen2.5-7B")
        opt = self.opt
        if target == GEMMA3_270M:  # the offline alias: the GGUF converted once to a transformers directory
            target = str(hf_dir_from_gguf(resolve_gguf(GEMMA3_270M)))
        trusted = opt.trust_remote_code
        refuse_unsafe(Path(target), "vllm", trusted)
        try:
            import torch
            import vllm
        except ImportError as exc:
            raise UserError(
                "backend 'vllm' needs vLLM, which is not installed",
                hint="on a machine with a CUDA GPU: pip install 'xling[vllm]'",
            ) from exc
        if not torch.cuda.is_available():
            raise UserError(
                "backend 'vllm' needs a CUDA GPU and none is visible",
                hint="run on a GPU machine, or use hf:<model> (CPU) or llamacpp:<file.gguf>",
            )
        self.top_k = opt.top_logprobs
        self.llm = vllm.LLM(
            model=target,
            tensor_parallel_size=opt.tensor_parallel_size,
            dtype=opt.dtype,
            seed=opt.seed,
            enable_prefix_caching=True,
            max_logprobs=max(self.top_k, 1),
            gpu_memory_utilization=opt.gpu_memory_utilization,
            max_model_len=opt.max_length,
            revision=opt.revision,
            trust_remote_code=trusted,
            load_format="auto" if trusted else "safetensors",  # never unpickle weights unless trusted
        )
        self._vllm = vllm
        self.tokenizer = self.llm.get_tokenizer()
        self._window = int(self.llm.llm_engine.model_config.max_model_len)
        self.truncated = 0

    def fingerprint(self) -> str:
        opts = ",".join(f"{k}={self.options[k]}" for k in ("dtype", "revision", "max_length") if k in self.options)
        cfg = self.llm.llm_engine.model_config
        ident = hashlib.sha256(f"{cfg.model}|{getattr(cfg, 'revision', None)}|{cfg.dtype}".encode()).hexdigest()[:16]
        return f"vllm|{ident}|{opts}|vllm-{self._vllm.__version__}|lm-v1"

    @property
    def max_length(self) -> int | None:
        return self._window

    @property
    def chat_template(self) -> str | None:
        return getattr(self.tokenizer, "chat_template", None)

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def token_count(self, text: str) -> int | None:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def generated_tokens(self, text: str) -> int | None:
        return self.token_count(text)

    def _encode(self, text: str, special: bool = True) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=special)

    # --- log-likelihood ----------------------------------------------------------------------------
    def loglik(self, requests: list[tuple[str, str]]) -> list[tuple[float, int, bool] | ItemError]:
        split = [split_continuation(self._encode, c, x, self.tokenizer.eos_token_id) for c, x in requests]
        out: list[Any] = [None] * len(requests)
        exact: list[int] = []
        by_context: dict[tuple[int, ...], list[int]] = {}
        for i, (ctx, cont) in enumerate(split):
            if not cont:
                out[i] = ItemError("empty continuation")
                continue
            by_context.setdefault(tuple(ctx), []).append(i)
        # cheap path: one-token continuations of a shared context, read from the top-K list
        cheap = [(ctx, idx) for ctx, idx in by_context.items() if all(len(split[i][1]) == 1 for i in idx)]
        if cheap:
            params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, logprobs=self.top_k)
            prompts = [{"prompt_token_ids": self._fit(list(ctx), 1)} for ctx, _ in cheap]
            for (_ctx, idx), res in zip(cheap, self.llm.generate(prompts, params, use_tqdm=False), strict=True):
                top = res.outputs[0].logprobs[0]  # {token_id: Logprob}
                best = max(top, key=lambda t: top[t].logprob)
                for i in idx:
                    tok = split[i][1][0]
                    if tok in top:
                        out[i] = (float(top[tok].logprob), 1, tok == best)
                    else:
                        exact.append(i)
        exact += [i for ctx, idx in by_context.items() if not all(len(split[j][1]) == 1 for j in idx) for i in idx]
        if exact:
            params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1)
            prompts, spans = [], []
            for i in exact:
                ctx, cont = split[i]
                fitted = self._fit(ctx, len(cont))
                if fitted is None:
                    out[i] = ItemError(
                        f"continuation of {len(cont)} tokens does not fit the {self._window}-token window"
                    )
                    continue
                prompts.append({"prompt_token_ids": fitted + cont})
                spans.append((i, len(fitted), cont))
            for (i, start, cont), res in zip(spans, self.llm.generate(prompts, params, use_tqdm=False), strict=True):
                total, greedy = 0.0, True
                for pos, tok in enumerate(cont, start):
                    entry = res.prompt_logprobs[pos]  # {token_id: Logprob}, the actual token included
                    total += float(entry[tok].logprob)
                    greedy &= all(lp.logprob <= entry[tok].logprob for lp in entry.values())
                out[i] = (total, len(cont), greedy)
        return out

    def _fit(self, ctx: list[int], n_after: int) -> list[int] | None:
        fitted = fit_window(ctx, n_after, self._window)
        if fitted is None:
            return None
        tokens, cut = fitted
        self.truncated += cut
        return tokens

    # --- generation ----------------------------------------------------------------------------------
    def generate(self, prompts: list[str], *, stop: list[str], max_tokens: int) -> list[str | ItemError]:
        params = self._vllm.SamplingParams(max_tokens=max_tokens, temperature=0.0, stop=list(stop or []) or None)
        inputs, slots = [], []
        out: list[Any] = [None] * len(prompts)
        for i, p in enumerate(prompts):
            fitted = self._fit(self._encode(p), max_tokens)
            if fitted is None:
                out[i] = ItemError(f"max_tokens={max_tokens} leaves no room in the {self._window}-token window")
                continue
            inputs.append({"prompt_token_ids": fitted})
            slots.append(i)
        for i, res in zip(slots, self.llm.generate(inputs, params, use_tqdm=False), strict=True):
            out[i] = cut_at_stop(res.outputs[0].text, stop)
        return out
