"""A local OpenAI-style ``/v1/embeddings`` server for tests (127.0.0.1, no model): trigram vectors
(tests/helpers/embed.py, TrigramBackend), or what ``answer(texts, headers)`` returns instead (the
``texts`` of a request to another endpoint are empty: ``answer`` scripts those alone).

``answer`` returns None (the normal answer) or ``(status, body)``. Requests whose texts include
one of ``hold`` wait until :meth:`release` (to stop a run mid-way, deterministically).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from helpers.embed import TrigramBackend

Answer = Callable[[list[str], dict], "tuple[int, object] | None"]


def vectors(texts: list[str]) -> dict:
    rows = TrigramBackend().embed(texts, "symmetric")
    return {"data": [{"index": i, "embedding": [float(v) for v in row]} for i, row in enumerate(rows)]}


class FakeEmbedServer:
    """``with FakeEmbedServer(answer) as s: s.url`` (ends in /v1)."""

    def __init__(self, answer: Answer | None = None, hold: set[str] = frozenset()):
        self.answer = answer or (lambda texts, headers: None)
        self.hold = set(hold)
        self.released = threading.Event()
        self.requests = 0

    def __enter__(self) -> FakeEmbedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                texts = json.loads(self.rfile.read(int(self.headers["Content-Length"]))).get("input", [])
                server.requests += 1
                if server.hold & set(texts):
                    server.released.wait()
                status, body = server.answer(texts, dict(self.headers)) or (200, vectors(texts))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()
