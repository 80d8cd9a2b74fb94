"""The OpenAI-compatible client against a local fault-injecting HTTP server (127.0.0.1): retries
with backoff and Retry-After, timeouts, 5xx, malformed JSON, fatal 4xx, the echo log-prob format,
and the API key kept out of results. (The real llama.cpp server is in test_llamacpp_server.py.)"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from xling.calls.cache import ResponseCache
from xling.calls.lm import LMClient
from xling.errors import UserError
from xling.models import load_model
from xling.models.base import ItemError


class Script:
    """Responses to hand out in order (the last one repeats); requests and headers seen."""

    def __init__(self):
        self.responses: list[tuple] = []
        self.seen: list[tuple[dict, dict]] = []
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.seen.append((body, dict(self.headers)))
            reply = script.next()
            status, payload, headers, delay = reply + ({}, 0)[len(reply) - 2 :]  # headers and delay optional
            time.sleep(delay)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield script
    httpd.shutdown()
    httpd.server_close()


def completion(text):
    return {"choices": [{"text": text, "index": 0}]}


def make(server, kind="oai-completions", **opts):
    base = {"retries": 3, "backoff": 0.01, "timeout": 5, "concurrency": 2}
    return load_model(f"{kind}:{server.url}#test-model", {**base, **opts})


def test_retries_429_with_retry_after_then_succeeds(server):
    server.responses = [
        (429, {"error": "slow down"}, {"Retry-After": "0"}),
        (503, b"busy"),
        (200, completion(" Paris. More")),
    ]
    lm = make(server)
    assert lm.generate(["The capital of France is"], stop=["."], max_tokens=5) == [" Paris"]
    assert lm.retried == 2 and len(server.seen) == 3
    body = server.seen[-1][0]
    assert (
        body["temperature"] == 0 and body["max_tokens"] == 5 and body["stop"] == ["."] and body["model"] == "test-model"
    )


def test_persistent_5xx_and_malformed_json_become_item_errors(server, tmp_path):
    server.responses = [(500, b"oops")]
    lm = make(server, retries=2)
    client = LMClient(lm, ResponseCache(tmp_path / "c.sqlite"))
    out = client.generate(["a", "b"], max_tokens=3)
    assert all(isinstance(o, ItemError) and "HTTP 500" in str(o) for o in out)
    assert client.stats.failed == 2 and len(server.seen) == 6  # 3 attempts each
    server.responses = [(200, b"{not json")]
    (err,) = lm.generate(["c"], stop=[], max_tokens=3)
    assert isinstance(err, ItemError) and "malformed" in str(err)
    server.responses = [(200, {"choices": []})]
    assert isinstance(lm.generate(["d"], stop=[], max_tokens=3)[0], ItemError)


def test_timeouts_end_in_an_error_not_a_hang(server):
    server.responses = [(200, completion("late"), {}, 1.5)]
    lm = make(server, timeout=0.2, retries=1, deadline=10)
    (err,) = lm.generate(["x"], stop=[], max_tokens=1)
    assert isinstance(err, ItemError) and "timed out" in str(err)
    lm = make(server, timeout=0.2, retries=50, deadline=0.5)  # the deadline bounds all retries
    (err,) = lm.generate(["x"], stop=[], max_tokens=1)
    assert isinstance(err, ItemError) and ("deadline" in str(err) or "attempts" in str(err))


def test_fatal_status_stops_with_a_user_error(server):
    server.responses = [(401, {"error": {"message": "bad key"}})]
    with pytest.raises(UserError, match="refused the API key"):
        make(server).generate(["x"], stop=[], max_tokens=1)


def test_empty_generation_is_counted(server, tmp_path):
    server.responses = [(200, completion(""))]
    client = LMClient(make(server), ResponseCache(tmp_path / "c.sqlite"))
    assert client.generate(["x"], max_tokens=4) == [""]
    assert client.stats.empty == 1


def test_finish_reason_length_flags_max_tokens_hit_and_the_cache_keeps_it(server, tmp_path):
    """``finish_reason: "length"`` flags the generation (completions and chat), through the cache;
    a stop string cut client-side, or any other finish reason, flags nothing."""
    chat = {"choices": [{"message": {"content": "Bonjour le monde"}, "finish_reason": "length"}]}
    for kind, reply in (
        ("oai-completions", {"choices": [{"text": " a b c", "finish_reason": "length"}]}),
        ("oai-chat", chat),
    ):
        server.responses = [(200, reply)]
        cache = ResponseCache(tmp_path / f"{kind}.sqlite")
        client = LMClient(make(server, kind), cache)
        (got,) = client.generations(["p"], max_tokens=3)
        assert got.max_tokens_hit and got.text == reply["choices"][0].get("text", "Bonjour le monde")
        assert client.stats.max_tokens_hit == 1
        sent = len(server.seen)
        again = LMClient(make(server, kind), cache)  # a fresh client: the answer comes from the cache
        assert again.generations(["p"], max_tokens=3) == [got] and len(server.seen) == sent
        assert again.stats.cache_hits == 1 and again.stats.max_tokens_hit == 1
    server.responses = [(200, {"choices": [{"text": "x. y z", "finish_reason": "length"}]})]
    client = LMClient(make(server), ResponseCache(tmp_path / "cut.sqlite"))
    (cut,) = client.generations(["q"], stop=["a", "b", "c", "d", "."], max_tokens=3)  # "." is cut here
    assert cut.text == "x" and not cut.max_tokens_hit
    server.responses = [(200, {"choices": [{"text": "done", "finish_reason": "stop"}]})]
    assert not client.generations(["r"], max_tokens=3)[0].max_tokens_hit


def test_a_cache_entry_written_before_the_flag_reads_back_unflagged(server, tmp_path):
    from xling.calls.cache import request_key

    cache = ResponseCache(tmp_path / "c.sqlite")
    client = LMClient(make(server), cache)
    key = request_key(["generate", "old prompt", [], 3])
    cache.put_many(client.fingerprint, {key: b"an old answer"})  # the plain UTF-8 of older versions
    (got,) = client.generations(["old prompt"], max_tokens=3)
    assert got.text == "an old answer" and not got.max_tokens_hit and server.seen == []


def test_api_key_sent_from_env_but_never_recorded(server, monkeypatch):
    monkeypatch.setenv("MY_TEST_KEY", "sk-secret-123")
    server.responses = [(200, {"choices": [{"message": {"role": "assistant", "content": "hi"}}]})]
    lm = make(server, kind="oai-chat", api_key_env="MY_TEST_KEY")
    assert lm.generate(["hello"], stop=[], max_tokens=2) == ["hi"]
    body, headers = server.seen[-1]
    assert headers["Authorization"] == "Bearer sk-secret-123"
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert "sk-secret" not in lm.fingerprint() + json.dumps(lm.info())
    with pytest.raises(UserError, match="never given as an option"):
        load_model(f"oai-chat:{server.url}#m", {"api_key": "sk-x"})


def test_echo_logprobs_are_summed_over_the_continuation(server):
    context, continuation = "The sky is", " blue today"
    lp = {
        "tokens": ["The", " sky", " is", " blue", " today"],
        "text_offset": [0, 3, 7, 10, 15],
        "token_logprobs": [None, -2.0, -1.0, -0.5, -1.5],
        "top_logprobs": [None, {" sky": -2.0}, {" is": -1.0}, {" blue": -0.5}, {" now": -0.2, " today": -1.5}],
    }
    server.responses = [(200, {"choices": [{"text": context + continuation, "logprobs": lp}]})]
    lm = make(server, loglik="echo")
    ((total, n, greedy),) = lm.loglik([(context, continuation)])
    assert (total, n, greedy) == (-2.0, 2, False)
    assert server.seen[-1][0]["echo"] is True and server.seen[-1][0]["max_tokens"] == 0
    server.responses = [(200, {"choices": [{"text": "x", "logprobs": None}]})]
    with pytest.raises(UserError, match="does not return prompt log-probs"):
        lm.loglik([(context, continuation)])


def test_bad_specs_and_options(server):
    with pytest.raises(UserError, match="base URL and a model"):
        load_model("oai-completions:http://127.0.0.1:1/v1", {})
    with pytest.raises(UserError, match="http"):
        load_model("oai-chat:localhost:8080#m", {})
    with pytest.raises(UserError, match="unknown option"):
        load_model(f"oai-chat:{server.url}#m", {"temperature": 1})
    lm = make(server, loglik="none")
    assert "loglik" not in lm.capabilities


def test_an_http_date_retry_after_is_honoured(server, monkeypatch):
    from email.utils import format_datetime
    from types import SimpleNamespace

    from xling.models import openai_http

    pauses = []
    monkeypatch.setattr(openai_http, "time", SimpleNamespace(monotonic=time.monotonic, sleep=pauses.append))
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.responses = [(429, {"error": "slow down"}, {"Retry-After": when}), (200, completion(" Paris."))]
    lm = make(server, timeout=60)
    assert lm.generate(["The capital of France is"], stop=["."], max_tokens=5) == [" Paris"]
    (pause,) = pauses
    assert 10 < pause <= 20  # the date's distance, not the 0.01 s backoff


def test_retry_after_is_read_as_seconds_or_an_http_date():
    from email.utils import format_datetime

    from xling.models.http import parse_retry_after

    assert parse_retry_after("7") == 7.0 and parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
    later = parse_retry_after(format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True))
    assert 20 < later <= 30
