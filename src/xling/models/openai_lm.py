"""OpenAI-compatible HTTP APIs: ``oai-completions:<base-url>#<model>`` (/v1/completions) and
``oai-chat:<base-url>#<model>`` (/v1/chat/completions).

* The API key is read from the environment variable named by ``-o api_key_env=NAME`` (default
  ``OPENAI_API_KEY``; none is sent when it is unset); it is never logged, stored in results or
  part of the fingerprint.
* At most ``concurrency`` requests are in flight (default 4). Each attempt has a ``timeout``
  (default 60 s) and each request a total ``deadline`` (default 300 s): nothing hangs.
* Timeouts, connection errors, HTTP 408/409/425/429/5xx and malformed JSON are retried up to
  ``retries`` times (default 4) with exponential backoff (``backoff`` s, doubled per attempt,
  capped at 30 s), honouring ``Retry-After``; then the request becomes an error row
  (:class:`~xling.models.base.ItemError`). HTTP 401/403/404 stop the run with a clear message
  (every request would fail alike).
* Generation is greedy: ``temperature=0``, ``seed=0``.
* Log-likelihood (completions only), ``-o loglik=``:
  ``echo`` (default): ``echo=true, logprobs=1, max_tokens=0``, the OpenAI legacy way that vLLM
  and others serve; the continuation's tokens are those starting at or after the context's end
  (character offsets);
  ``llamacpp``: llama.cpp's server, which has no prompt log-probs: the context is sent as token
  ids and the continuation's tokens are forced one by one with a token-id grammar; the reported
  log-probs are the model's raw (pre-sampling) ones, so the result is the exact log-likelihood
  (prefix caching is off for these requests, so a result does not depend on earlier requests);
  ``none``: the backend offers generation only.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import Field

from ..errors import UserError
from ..redact import add_url_secrets, redact
from .base import Backend, Capability, ItemError, StoppedAtLimit
from .lm_common import cut_at_stop, fit_window, split_continuation
from .openai_http import Malformed, OpenAIHttp, RequestFailed
from .options import HttpOptions

_FATAL_STATUS = {
    401: "the server refused the API key",
    403: "the API key may not use this model",
    404: "the server has no such endpoint or model",
}
_OUTPUT_OPTIONS = ("loglik", "max_length")


class LMOptions(HttpOptions):
    """``oai-completions`` and ``oai-chat`` options."""

    retries: int = Field(4, ge=0)
    deadline: float = Field(300.0, gt=0)
    loglik: Literal["echo", "llamacpp", "none"] = "echo"
    max_length: int | None = Field(None, ge=1)


class _Failed(Exception):
    """A helper request (tokenize) failed after its retries."""


class _OpenAIBase(Backend):
    Options = LMOptions
    opt: LMOptions

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        if "api_key" in options:
            raise UserError(
                "an API key is never given as an option (it would be recorded in the results)",
                hint="export it in an environment variable and pass -o api_key_env=NAME (default OPENAI_API_KEY)",
            )
        super().__init__(spec, target, options)
        base, sep, model = (target or "").partition("#")
        if not base or not sep or not model:
            raise UserError(
                f"model spec {spec!r} needs a base URL and a model: {self.name}:<base-url>#<model>",
                hint=f"e.g. {self.name}:http://127.0.0.1:8080/v1#gemma",
            )
        if not base.startswith(("http://", "https://")):
            raise UserError(f"base URL {base!r} must start with http:// or https://")
        self.base_url = base.rstrip("/")
        add_url_secrets(base)
        self.model_name = model
        self.concurrency = self.opt.concurrency
        self._http = OpenAIHttp(
            api_key_env=self.opt.api_key_env,
            timeout=self.opt.timeout,
            concurrency=self.opt.concurrency,
            retries=self.opt.retries,
            backoff=self.opt.backoff,
            deadline=self.opt.deadline,
        )
        self._window = self.opt.max_length
        self._lock = threading.Lock()
        self.truncated = 0

    @property
    def retried(self) -> int:
        """Retried requests, for the summary."""
        return self._http.retried

    def fingerprint(self) -> str:
        opts = ",".join(f"{k}={self.options[k]}" for k in _OUTPUT_OPTIONS if k in self.options)
        return f"{self.name}|{redact(self.base_url)}|{self.model_name}|{opts}|v1"

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "spec": redact(self.spec),
            "base_url": redact(self.base_url),
            "model": self.model_name,
        }

    @property
    def max_length(self) -> int | None:
        return self._window

    def _post(self, url: str, body: dict | None, parse: Callable[[Any], Any], method: str = "POST") -> Any:
        """``parse(json)`` of a successful answer, or an ItemError after retries; HTTP 401, 403
        and 404 stop the run (every request would fail alike)."""

        def parse_json(raw: bytes) -> Any:
            try:
                return parse(json.loads(raw))
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                raise Malformed(f"malformed response: {type(exc).__name__}: {redact(str(exc))[:120]}") from None

        try:
            return self._http.request(url, body, parse_json, method=method)
        except RequestFailed as exc:
            text = exc.body.decode("utf-8", "replace")
            if exc.status in _FATAL_STATUS:
                raise UserError(
                    redact(
                        f"{self.spec}: HTTP {exc.status} from {url}: {_FATAL_STATUS[exc.status]} ({_snippet(text)})"
                    ),
                    hint="check the base URL, the model name and the API key variable (-o api_key_env)",
                ) from None
            if exc.status is not None:
                return ItemError(f"HTTP {exc.status}: {_snippet(text)}")
            if exc.deadline_passed:
                return ItemError(f"deadline of {self.opt.deadline:g} s passed ({exc.reason})")
            return ItemError(f"failed after {exc.attempts} attempts: {exc.reason}")

    def _map(self, fn: Callable[[Any], Any], items: list) -> list:
        if len(items) <= 1 or self.concurrency == 1:
            return [fn(x) for x in items]
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(fn, items))

    def close(self) -> None:
        self._http.close()


def _snippet(text: str) -> str:
    text = redact(" ".join(text.split()))  # before cutting: a cut key would no longer match
    return text[:200] + ("..." if len(text) > 200 else "")


class OpenAICompletions(_OpenAIBase):
    """``/completions``: generation, and log-likelihood by echo or llama.cpp's token grammar."""

    name = "oai-completions"
    capabilities = frozenset({Capability.LOGLIK, Capability.GENERATE})

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        self.loglik_mode = self.opt.loglik
        if self.loglik_mode == "none":
            self.capabilities = frozenset({Capability.GENERATE})
        self._root = self.base_url.removesuffix("/v1")
        if self.loglik_mode == "llamacpp" and self._window is None:
            self._window = self._llamacpp_window()

    # --- generation ----------------------------------------------------------------------------
    def generate(self, prompts, *, stop, max_tokens):
        stop = [s for s in stop if s]

        def one(prompt: str):
            body = {
                "model": self.model_name,
                "prompt": prompt,
                "max_tokens": int(max_tokens),
                "temperature": 0,
                "seed": 0,
            }
            if stop:
                body["stop"] = stop[:4]  # OpenAI accepts at most 4; the rest are cut below
            return self._post(
                self.base_url + "/completions",
                body,
                lambda d: _generated(d["choices"][0], d["choices"][0]["text"], stop),
            )

        return self._map(one, list(prompts))

    # --- log-likelihood ------------------------------------------------------------------------
    def loglik(self, requests):
        if self.loglik_mode == "none":
            return super().loglik(requests)
        fn = self._loglik_echo if self.loglik_mode == "echo" else self._loglik_llamacpp
        return self._map(fn, list(requests))

    def _loglik_echo(self, req: tuple[str, str]):
        context, continuation = req
        if not continuation:
            return (0.0, 0, True)
        body = {
            "model": self.model_name,
            "prompt": context + continuation,
            "max_tokens": 0,
            "echo": True,
            "logprobs": 1,
            "temperature": 0,
        }

        def parse(d: dict):
            lp = d["choices"][0].get("logprobs") or {}
            offsets, tokens, logps = lp.get("text_offset"), lp.get("tokens"), lp.get("token_logprobs")
            if not offsets or not tokens or logps is None:
                raise UserError(
                    f"{self.spec}: the server does not return prompt log-probs (echo=true, logprobs=1)",
                    hint="for a llama.cpp server use -o loglik=llamacpp; otherwise -o loglik=none and a "
                    "task answered by generation",
                )
            tops = lp.get("top_logprobs") or [None] * len(tokens)
            idx = [i for i, off in enumerate(offsets) if off >= len(context)]
            if not idx:
                raise Malformed("no token starts inside the continuation")
            total = sum(float(logps[i]) for i in idx)
            greedy = all(t is None or max(t, key=t.get) == tokens[i] for i, t in ((i, tops[i]) for i in idx))
            if not math.isfinite(total):
                raise Malformed("non-finite log-prob")
            return (total, len(idx), bool(greedy))

        return self._post(self.base_url + "/completions", body, parse)

    # llama.cpp server: no prompt log-probs, so the continuation is forced token by token.
    def _tokenize(self, text: str, special: bool) -> list[int]:
        body = {"content": text, "add_special": special, "parse_special": True}
        out = self._post(f"{self._root}/tokenize", body, lambda d: [int(t) for t in d["tokens"]])
        if isinstance(out, ItemError):
            raise _Failed(f"tokenize failed: {out}")
        return out

    def _llamacpp_window(self) -> int | None:
        """The server's context size (llama.cpp's /props), retried like any request; None when
        the server has no /props (the window is then unknown: -o max_length sets it)."""
        try:
            out = self._post(
                f"{self._root}/props", None, lambda d: int(d["default_generation_settings"]["n_ctx"]), method="GET"
            )
        except UserError:  # 404: not a llama.cpp server
            return None
        if isinstance(out, ItemError):
            raise UserError(
                f"{self.spec}: could not read the context size from {self._root}/props ({out})",
                hint="check that the server is up, or give the window with -o max_length=N",
            )
        return out

    def _loglik_llamacpp(self, req: tuple[str, str]):
        context, continuation = req
        try:
            ctx, cont = split_continuation(self._tokenize, context, continuation)
        except _Failed as exc:
            return ItemError(str(exc))
        if not cont:
            return (0.0, 0, True)
        if self._window:
            fitted = fit_window(ctx, len(cont), self._window)
            if fitted is None:
                return ItemError(f"continuation of {len(cont)} tokens does not fit the window of {self._window}")
            ctx, cut = fitted
            if cut:
                with self._lock:
                    self.truncated += 1
        body = {
            "model": self.model_name,
            "prompt": ctx,
            "max_tokens": len(cont),
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": 1,
            # no prefix reuse: llama.cpp's numbers depend on how a prompt was split into
            # batches (measured: 0.2 nats), so each request is computed whole, alike every time
            "cache_prompt": False,
            "grammar": "root ::= " + " ".join(f"<[{t}]>" for t in cont),
        }

        def parse(d: dict):
            content = d["choices"][0]["logprobs"]["content"]
            ids = [int(c["id"]) for c in content]
            if ids != cont:
                raise Malformed(f"forced tokens came back as {ids[:8]}..., expected {cont[:8]}...")
            total = sum(float(c["logprob"]) for c in content)
            greedy = all(int(c["top_logprobs"][0]["id"]) == int(c["id"]) for c in content)
            return (total, len(cont), greedy)

        return self._post(self.base_url + "/completions", body, parse)


class OpenAIChat(_OpenAIBase):
    """``/chat/completions``: each prompt is sent as one user message (the server applies the
    model's chat template); generation only."""

    name = "oai-chat"
    capabilities = frozenset({Capability.GENERATE})

    def generate(self, prompts, *, stop, max_tokens):
        stop = [s for s in stop if s]

        def one(prompt: str):
            body = {
                "model": self.model_name,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": int(max_tokens),
                "temperature": 0,
                "seed": 0,
            }
            if stop:
                body["stop"] = stop[:4]
            return self._post(
                self.base_url + "/chat/completions",
                body,
                lambda d: _generated(d["choices"][0], d["choices"][0]["message"]["content"], stop),
            )

        return self._map(one, list(prompts))


def _generated(choice: dict, value: Any, stop: list[str]) -> str:
    """A choice's text cut at the stop strings the server was not sent; a :class:`StoppedAtLimit`
    when the server stopped it at ``max_tokens`` (``finish_reason: "length"``) and no stop cut it."""
    text = _text(value)
    cut = cut_at_stop(text, stop)
    return StoppedAtLimit(cut) if choice.get("finish_reason") == "length" and cut == text else cut


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"expected text, got {type(value).__name__}")
    return value
