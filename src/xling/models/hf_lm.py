"""transformers causal language models: ``hf:<hub-id-or-dir>``, ``hf:<dir>#<file.gguf>``,
``hf:gemma3-270m``.

Log-likelihoods are computed the cheap way, with the same numbers as the plain way:

* each distinct context is run once and its key/value cache shared by all its continuations
  (multiple choice: the premise/passage is not recomputed per choice);
* the model body runs on every token, but the output head (the vocabulary projection: 262k
  rows for Gemma) only at the positions that predict continuation tokens;
* contexts (left-padded) and then their continuations (right-padded) go through the body in
  length-sorted passes of at most ``token_budget`` padded tokens that end where padding would
  pass an eighth of a pass (``padded_runs``), with explicit position ids and attention masks, so
  a request's score does not depend on what it is batched with (up to float rounding, ~1e-5);
* the output head's normaliser is computed a block of logits at a time (``lm_head``).

Tokenisation follows lm-evaluation-harness: the context is encoded alone (with the model's BOS),
the continuation is the rest of the encoding of context + continuation (so a word split across
the boundary is tokenised as in running text); trailing spaces of the context move to the
continuation. Truncation policy: a context that does not fit the window with its continuation
keeps its first token (BOS) and its last tokens; the continuation is never cut (an error row if it
alone does not fit).
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any

from pydantic import Field

from ..errors import UserError
from .base import Backend, Capability, ItemError
from .hf_tokenizer import load_tokenizer
from .hub_access import check_hub_model
from .lm_common import cut_at_stop, fit_window, split_continuation
from .lm_head import head_logits, token_logprobs
from .load_safety import needs_remote_code, refuse_unsafe, remote_code_error
from .model_files import ALIASES, GEMMA3_270M, dir_fingerprint, hf_dir_from_gguf, resolve_gguf
from .options import TrustOptions
from .padded_runs import padded_runs
from .threads import default_threads, passive_openmp_waits

_OUTPUT_OPTIONS = ("dtype", "max_length", "revision")  # options that change outputs (fingerprint)
_NUMERICS = "lm-v2"  # changes whenever this backend computes its numbers differently: no cache mixes them


class HFOptions(TrustOptions):
    dtype: str = "float32"
    max_length: int | None = Field(None, ge=1)
    threads: int | None = Field(None, ge=1)
    token_budget: int = Field(4096, ge=16)
    device: str = "cpu"


def _torch():
    import torch

    return torch


class HFCausalLM(Backend, name="hf", capabilities={Capability.LOGLIK, Capability.GENERATE}, options=HFOptions):
    """A transformers causal LM in-process (CPU, or CUDA when ``device=cuda``)."""

    opt: HFOptions
    LOGLIK_CALL_SIZE = 256  # XCOPA, 600 requests on 2 cores: 49 s in calls of 32, 34 s in calls of 200 or more

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        target = self.required_target(
            "a target: a Hub id, a local directory, DIR#FILE.gguf or 'gemma3-270m'",
            hint="e.g. hf:gemma3-270m or hf:/models/qwen2.5-0.5b",
        )
        self.source, self.path = self._resolve(target)  # before importing torch: bad paths fail fast
        self._local_only = False
        self._check_source()
        opt = self.opt
        passive_openmp_waits()
        torch = _torch()
        torch.set_num_threads(opt.threads or default_threads())
        self.token_budget = opt.token_budget
        self.device = opt.device
        dtype_name = opt.dtype
        dtype = getattr(torch, dtype_name, None)
        if not isinstance(dtype, torch.dtype):
            raise UserError(f"option dtype={dtype_name!r} is not a torch dtype", hint="float32, bfloat16 or float16")
        from transformers import AutoModelForCausalLM

        trusted = opt.trust_remote_code
        load_kw: dict[str, Any] = {"trust_remote_code": trusted}
        if opt.revision:
            load_kw["revision"] = opt.revision
        if self._local_only:
            load_kw["local_files_only"] = True
        refuse_unsafe(Path(self.path), "hf", trusted)
        try:
            self.tokenizer = load_tokenizer(self.path, **load_kw)
            # never unpickle weights unless the user trusts the model
            self.model = AutoModelForCausalLM.from_pretrained(
                self.path, dtype=dtype, use_safetensors=not trusted or None, **load_kw
            )
        except OSError as exc:
            raise UserError(
                f"cannot load transformers model {target!r}: {exc}",
                hint="give a local directory with config.json + *.safetensors, a Hub id that is in the "
                "local Hugging Face cache, or DIR#FILE.gguf",
            ) from exc
        except ValueError as exc:
            if needs_remote_code(exc):
                raise remote_code_error(target, exc) from exc
            raise UserError(f"cannot load transformers model {target!r}: {exc}") from exc
        self.model.to(self.device).eval()
        self._dtype_name = dtype_name
        self._fingerprint: str | None = None
        cfg = (
            self.model.config.get_text_config() if hasattr(self.model.config, "get_text_config") else self.model.config
        )
        self._softcap = getattr(cfg, "final_logit_softcapping", None)
        self._window = int(opt.max_length or getattr(cfg, "max_position_embeddings", 0) or 2048)
        self._body = self.model.base_model
        self._head = self.model.get_output_embeddings()
        self.truncated = 0
        # transformers 5 renamed the body's `past_key_values` argument to `cache`
        params = inspect.signature(self._body.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        self._check_head()

    # --- loading -----------------------------------------------------------------------------------
    @staticmethod
    def _resolve(target: str) -> tuple[str, str]:
        """(what the user named, the directory or Hub id transformers loads)."""
        if target == GEMMA3_270M:
            return target, str(hf_dir_from_gguf(resolve_gguf(GEMMA3_270M)))
        if "#" in target:
            base, _, name = target.partition("#")
            if not name.lower().endswith(".gguf"):
                raise UserError(
                    f"in {target!r} the part after '#' must name a .gguf file",
                    hint="hf:DIR#FILE.gguf loads DIR/FILE.gguf (converted once to a float32 directory)",
                )
            return target, str(hf_dir_from_gguf(resolve_gguf(str(Path(base) / name))))
        if target.lower().endswith(".gguf"):
            return target, str(hf_dir_from_gguf(resolve_gguf(target)))
        return target, target

    def _check_source(self) -> None:
        """A Hub id fails now when it cannot load (offline, not cached) or looks like a mistyped alias;
        with the Hub out of reach and the model cached, loading reads the cache only."""
        if self.source == self.path:
            if check_hub_model(self.path, aliases=tuple(ALIASES), revision=self.opt.revision):
                self._local_only = True

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            path = Path(self.path)
            weights = (
                dir_fingerprint(path) if path.is_dir() else f"hub:{self.path}@{self.options.get('revision', 'main')}"
            )
            import transformers

            opts = ",".join(f"{k}={self.options[k]}" for k in _OUTPUT_OPTIONS if k in self.options)
            self._fingerprint = f"hf|{weights}|{opts}|transformers-{transformers.__version__}|{_NUMERICS}"
        return self._fingerprint

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "path": self.path,
            "dtype": self._dtype_name,
            "max_length": self._window,
            "chat_template": self.chat_template is not None,
        }

    @property
    def max_length(self) -> int | None:
        return self._window

    @property
    def chat_template(self) -> str | None:
        return getattr(self.tokenizer, "chat_template", None) or None

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        if self.chat_template is None:
            return super().apply_chat_template(messages)
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def token_count(self, text: str) -> int | None:
        return len(self._encode(text))

    def generated_tokens(self, text: str) -> int | None:
        return len(self._encode(text, False))

    def _encode(self, text: str, special: bool = True) -> list[int]:
        """Token ids; ``special`` adds the model's prefix (BOS) unless the text already has it."""
        bos = self.tokenizer.bos_token
        if special and bos and text.startswith(bos):
            special = False  # a rendered chat template already carries BOS
        return self.tokenizer(text, add_special_tokens=special)["input_ids"]

    def _logits(self, hidden):
        """The output head applied to selected hidden states (rows x hidden) -> float32 logits."""
        return head_logits(self._head, self._softcap, hidden)

    def _check_head(self) -> None:
        """The body + head path must reproduce the model's own logits (some architectures scale
        logits in ways this code does not know): checked once on a short input."""
        torch = _torch()
        ids = torch.tensor([self._encode("One two three four.")], device=self.device)
        with torch.inference_mode():
            ref = self.model(input_ids=ids).logits[0, -1].float()
            ours = self._logits(self._body(input_ids=ids).last_hidden_state[0, -1:])[0]
        if not torch.allclose(torch.log_softmax(ref, -1), torch.log_softmax(ours, -1), atol=1e-3, rtol=0):
            raise UserError(
                f"model {self.spec!r}: its logits are not the output head applied to the last hidden "
                "state; xling's fast log-likelihood path cannot serve this architecture"
            )

    # --- log-likelihood ------------------------------------------------------------------------
    def _split(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        return split_continuation(self._encode, context, continuation, self.tokenizer.eos_token_id)

    def loglik(self, requests):
        results: list[Any] = [None] * len(requests)
        groups: dict[tuple[int, ...], list[tuple[int, list[int]]]] = {}
        for i, (context, continuation) in enumerate(requests):
            ctx, cont = self._split(context, continuation)
            if not cont:
                results[i] = (0.0, 0, True)
                continue
            fitted = fit_window(ctx, len(cont), self._window)
            if fitted is None:
                results[i] = ItemError(f"continuation of {len(cont)} tokens does not fit the window of {self._window}")
                continue
            ctx, cut = fitted
            self.truncated += cut
            groups.setdefault(tuple(ctx), []).append((i, cont))
        order = sorted(groups, key=lambda c: (-len(c), c))
        for run in padded_runs([len(c) for c in order], self.token_budget):
            self._score_batch([order[k] for k in run], groups, results)
        return results

    def _score_batch(self, batch, groups, results) -> None:
        """One pass over the contexts of ``batch`` (left-padded), then passes over their
        continuations, longest first, each on a copy of the key/value cache of its contexts."""
        torch = _torch()
        dev = self.device
        pad = self._pad_id()
        ctx_ids, ctx_mask = _left_padded(batch, pad)
        ctx_pos = (ctx_mask.cumsum(-1) - 1).clamp(min=0)
        rows = [(g, i, x) for g, c in enumerate(batch) for i, x in groups[c]]
        # The hidden state that predicts continuation token j of a request depends only on its
        # context and its tokens before j: requests that share both (every choice's first
        # token; choices that start alike) share one row of the output head.
        row_of: dict[tuple[int, int], int] = {}  # (previous state, its token) -> head row
        picks: list[tuple[int, int]] = []  # head row -> (request row, j): where its hidden state is
        owner, head_row, targets = [], [], []
        for r, (g, _, x) in enumerate(rows):
            key = (-1, g)  # the state at the end of context g
            for j, tok in enumerate(x):
                p = row_of.get(key)
                if p is None:
                    p = row_of[key] = len(picks)
                    picks.append((r, j))
                owner.append(r)
                head_row.append(p)
                targets.append(tok)
                key = (p, tok)
        with torch.inference_mode():
            out = self._body(
                input_ids=ctx_ids.to(dev), attention_mask=ctx_mask.to(dev), position_ids=ctx_pos.to(dev), use_cache=True
            )
            last = out.last_hidden_state[:, -1]  # predicts each continuation's first token
            hidden = last.new_empty((len(picks), last.shape[-1]))
            first = [p for p, (_, j) in enumerate(picks) if j == 0]
            hidden[first] = last[[rows[picks[p][0]][0] for p in first]]
            later: dict[int, list[int]] = {}  # request row -> its head rows that need its own tokens
            for p, (r, j) in enumerate(picks):
                if j > 0:
                    later.setdefault(r, []).append(p)
            if later:
                cache = getattr(out, "cache", None) or out.past_key_values
                fed = sorted(later, key=lambda r: (-len(rows[r][2]), r))
                passes = padded_runs([len(rows[r][2]) - 1 for r in fed], self.token_budget)
                for n, run in enumerate(passes):
                    sub = [fed[k] for k in run]
                    own = cache if n == len(passes) - 1 else _cache_copy(cache)
                    hx = self._continue(own, [rows[r] for r in sub], batch, ctx_mask, pad)
                    for local, r in enumerate(sub):
                        ps = later[r]
                        hidden[ps] = hx[local, [picks[p][1] - 1 for p in ps]]
            tgt = torch.tensor(targets)
            hrow = torch.tensor(head_row)
            logp, best = token_logprobs(self._head, self._softcap, hidden, hrow, tgt)
        greedy = best[hrow] == tgt
        own_rows = torch.tensor(owner)
        sums = torch.zeros(len(rows), dtype=torch.float64).index_add_(0, own_rows, logp.double())
        misses = torch.zeros(len(rows), dtype=torch.long).index_add_(0, own_rows, (~greedy).long())
        for r, (_, i, x) in enumerate(rows):
            results[i] = (float(sums[r]), len(x), bool(misses[r] == 0))

    def _continue(self, cache, rows, batch, ctx_mask, pad):
        """The body over continuations (all tokens but the last, right-padded) after their
        contexts' cached keys and values -> hidden states (rows x tokens x width)."""
        torch = _torch()
        dev = self.device
        idx = torch.tensor([g for g, _, _ in rows])
        cache.batch_select_indices(idx.to(dev))
        lx = max(len(x) for _, _, x in rows) - 1
        x_ids = torch.full((len(rows), lx), pad, dtype=torch.long)
        x_mask = torch.zeros((len(rows), lx), dtype=torch.long)
        for r, (_, _, x) in enumerate(rows):
            x_ids[r, : len(x) - 1] = torch.tensor(x[:-1], dtype=torch.long)
            x_mask[r, : len(x) - 1] = 1
        lengths = torch.tensor([len(batch[g]) for g, _, _ in rows])
        x_pos = lengths[:, None] + torch.arange(lx)[None, :]
        mask = torch.cat([ctx_mask[idx], x_mask], dim=1)
        return self._body(
            input_ids=x_ids.to(dev),
            attention_mask=mask.to(dev),
            position_ids=x_pos.to(dev),
            **{self._cache_arg: cache},
            use_cache=True,
        ).last_hidden_state

    # --- generation ----------------------------------------------------------------------------
    def generate(self, prompts, *, stop, max_tokens):
        out: list[Any] = [None] * len(prompts)
        if max_tokens < 1:
            return [""] * len(prompts)
        if self._window - max_tokens < 1:
            return [
                ItemError(f"max_tokens={max_tokens} leaves no room for the prompt in the window of {self._window}")
            ] * len(prompts)
        encoded = []
        for i, p in enumerate(prompts):
            ids, cut = fit_window(self._encode(p) or [self.tokenizer.eos_token_id], max_tokens, self._window)
            self.truncated += cut
            encoded.append((i, ids))
        encoded.sort(key=lambda e: -len(e[1]))
        decode = self._greedy if self._plain_greedy() else self._hf_generate
        start = 0
        while start < len(encoded):
            n = max(1, self.token_budget // (len(encoded[start][1]) + max_tokens))
            chunk = encoded[start : start + n]
            start += n
            for (i, _), text in zip(chunk, decode([ids for _, ids in chunk], stop, max_tokens)):
                out[i] = cut_at_stop(text, stop)
        return out

    def _plain_greedy(self) -> bool:
        """Whether greedy decoding is the argmax of the logits alone: the model's generation config
        sets no logits processor (repetition penalty, banned or forced tokens, minimum length...)."""
        cfg = self.model.generation_config
        return not any(getattr(cfg, key, None) for key in _PROCESSOR_KEYS) and (
            getattr(cfg, "repetition_penalty", None) in (None, 1.0)
        )

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        return set(eos if isinstance(eos, list) else [] if eos is None else [eos])

    def _pad_id(self) -> int:
        for token in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id):
            if token is not None:
                return token
        return 0

    def _greedy(self, prompts: list[list[int]], stop, max_tokens: int) -> list[str]:
        """Greedy decoding of one left-padded batch with the key/value cache; a row leaves the batch
        as soon as it ends (end-of-sequence token, a stop string, ``max_tokens``), so the rows still
        running do not pay for the finished ones."""
        torch = _torch()
        dev = self.device
        eos = self._eos_ids()
        ids_t, mask = _left_padded(prompts, self._pad_id())
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        generated: list[list[int]] = [[] for _ in prompts]
        active = list(range(len(prompts)))  # the prompt each batch row holds
        mask = mask.to(dev)
        with torch.inference_mode():
            out = self._body(input_ids=ids_t.to(dev), attention_mask=mask, position_ids=pos.to(dev), use_cache=True)
            nxt = pos[:, -1:].to(dev) + 1
            for step in range(max_tokens):
                cache = getattr(out, "cache", None) or out.past_key_values
                tokens = self._logits(out.last_hidden_state[:, -1]).argmax(-1)
                keep = []
                for r, tok in enumerate(tokens.tolist()):
                    if tok in eos:
                        continue
                    row = generated[active[r]]
                    row.append(tok)
                    if step + 1 < max_tokens and not (stop and _has_stop(self.tokenizer.decode(row), stop)):
                        keep.append(r)
                if not keep:
                    break
                if len(keep) < len(active):
                    idx = torch.tensor(keep, device=dev)
                    cache.batch_select_indices(idx)
                    mask, nxt, tokens = mask[idx], nxt[idx], tokens[idx]
                    active = [active[r] for r in keep]
                mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
                out = self._body(
                    input_ids=tokens[:, None],
                    attention_mask=mask,
                    position_ids=nxt,
                    **{self._cache_arg: cache},
                    use_cache=True,
                )
                nxt = nxt + 1
        return [self.tokenizer.decode(row, skip_special_tokens=True) for row in generated]

    def _hf_generate(self, prompts: list[list[int]], stop, max_tokens: int) -> list[str]:
        """transformers' own ``generate`` (greedy): for models whose generation config adds logits
        processors to greedy decoding."""
        torch = _torch()
        pad = self._pad_id()
        ids_t, mask = _left_padded(prompts, pad)
        kw: dict[str, Any] = {"max_new_tokens": max_tokens, "do_sample": False, "pad_token_id": pad}
        if stop:
            kw.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        with torch.inference_mode():
            gen = self.model.generate(input_ids=ids_t.to(self.device), attention_mask=mask.to(self.device), **kw)
        lp = ids_t.shape[1]
        return [self.tokenizer.decode(gen[r, lp:], skip_special_tokens=True) for r in range(len(prompts))]


# generation-config keys that make transformers' greedy decoding more than the argmax of the logits
_PROCESSOR_KEYS = (
    "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size",
    "bad_words_ids",
    "min_length",
    "min_new_tokens",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "suppress_tokens",
    "begin_suppress_tokens",
    "sequence_bias",
    "exponential_decay_length_penalty",
    "renormalize_logits",
)


def _cache_copy(cache):
    """A key/value cache whose rows can be selected without touching ``cache`` (selection and
    updates replace a layer's tensors, never write into them)."""
    layers = getattr(cache, "layers", None)
    if layers is None:
        return copy.deepcopy(cache)
    twin = copy.copy(cache)
    twin.layers = [copy.copy(layer) for layer in layers]
    return twin


def _left_padded(rows, pad: int):
    """(ids, attention mask) of token sequences left-padded to the longest."""
    torch = _torch()
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r) :] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r) :] = 1
    return ids, mask


def _has_stop(text: str, stop) -> bool:
    return any(s and s in text for s in stop)
