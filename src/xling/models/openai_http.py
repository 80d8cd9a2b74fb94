"""The HTTP transport of the OpenAI-compatible backends: JSON posted to an endpoint with retries,
backoff, Retry-After and a deadline; the answer parsed, or one :class:`RequestFailed`.

The API key is read from the environment variable the backend names, sent as a Bearer token and
registered with :mod:`xling.redact`, so no message, fingerprint or result ever shows it. Server
text is redacted before it is cut (a cut key would no longer match).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from ..redact import add_secret, redact
from .http import parse_retry_after

RETRY_STATUS = frozenset({408, 409, 425, 429})  # and every 5xx


class Malformed(ValueError):
    """An answer without the expected content, worded by the ``parse`` function that found it:
    retried like a server error."""


class RequestFailed(Exception):
    """A request that did not succeed. ``status`` is set when the server refused it (a 4xx that
    retrying will not change; ``body`` holds its answer); otherwise it failed ``attempts`` times,
    the last time for ``reason``, and ``deadline_passed`` says whether the deadline cut it short."""

    def __init__(
        self,
        reason: str,
        *,
        attempts: int = 1,
        status: int | None = None,
        body: bytes = b"",
        deadline_passed: bool = False,
    ):
        self.reason = reason
        self.attempts = attempts
        self.status = status
        self.body = body
        self.deadline_passed = deadline_passed
        super().__init__(reason)


class _TooSlow(Exception):
    """The answer did not arrive whole before the attempt's deadline."""


class OpenAIHttp:
    """One connection pool to an OpenAI-compatible server.

    Each attempt has ``timeout`` seconds per phase (connect, read, ...). ``deadline`` bounds a
    request with all its retries; without one each attempt must arrive whole within ``timeout``
    (a server that drips bytes is cut off either way). Failed attempts are retried ``retries``
    times after ``backoff`` seconds doubled per attempt (at most ``max_backoff``, at least the
    server's Retry-After).
    """

    def __init__(
        self,
        *,
        api_key_env: str,
        timeout: float,
        concurrency: int,
        retries: int,
        backoff: float,
        max_backoff: float = 30.0,
        deadline: float | None = None,
    ):
        key = os.environ.get(api_key_env)
        add_secret(key)
        self.has_key = bool(key)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.deadline = deadline
        self.client = httpx.Client(
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency),
        )
        self.sleep: Callable[[float], Any] = time.sleep
        self.retried = 0  # retried attempts, for the summary
        self._lock = threading.Lock()

    def request(self, url: str, body: dict | None, parse: Callable[[bytes], Any], *, method: str = "POST") -> Any:
        """``parse(answer bytes)`` of the first successful answer; :class:`RequestFailed` otherwise."""
        start = time.monotonic()
        last = "no attempt"
        attempts = self.retries + 1
        for attempt in range(attempts):
            left = None if self.deadline is None else self.deadline - (time.monotonic() - start)
            if left is not None and left <= 0:
                raise RequestFailed(last, attempts=attempt, deadline_passed=True)
            wait = None
            try:
                status, headers, raw = self._fetch(method, url, body, left)
            except httpx.TimeoutException:
                last = f"timed out after {self.timeout:g} s"
            except _TooSlow:
                last = f"no complete answer within the deadline of {self.deadline or self.timeout:g} s"
            except httpx.TransportError as exc:
                last = f"connection error: {type(exc).__name__}"
            else:
                if status in RETRY_STATUS or status >= 500:
                    last = f"HTTP {status} from the server"
                    wait = parse_retry_after(headers.get("retry-after"))
                elif status >= 400:
                    raise RequestFailed(f"HTTP {status}", status=status, body=raw)
                else:
                    try:
                        return parse(raw)
                    except Malformed as exc:
                        last = redact(str(exc))
            if attempt == attempts - 1:
                break
            with self._lock:
                self.retried += 1
            pause = min(self.max_backoff, self.backoff * 2**attempt)
            if wait is not None:
                pause = min(self.max_backoff, max(pause, wait))
            if self.deadline is not None:
                pause = min(pause, max(0.0, self.deadline - (time.monotonic() - start)))
            self.sleep(pause)
        raise RequestFailed(last, attempts=attempts)

    def _fetch(self, method: str, url: str, body: dict | None, left: float | None):
        """(status, headers, body bytes) of one attempt; :class:`_TooSlow` past its deadline."""
        timeout = self.timeout if left is None else min(self.timeout, left)
        until = time.monotonic() + (self.timeout if left is None else left)
        kwargs = {"json": body} if body is not None else {}
        with self.client.stream(method, url, timeout=timeout, **kwargs) as r:
            chunks = []
            for chunk in r.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > until:
                    raise _TooSlow()
            if time.monotonic() > until:
                raise _TooSlow()
            return r.status_code, r.headers, b"".join(chunks)

    def close(self) -> None:
        self.client.close()
