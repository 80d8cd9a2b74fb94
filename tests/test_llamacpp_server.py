"""A real OpenAI-compatible server: llama.cpp's, started in-process through xllamacpp on 127.0.0.1
serving the offline Gemma-3-270M GGUF; generation and log-likelihood through the oai backends and
the llamacpp backend."""

from __future__ import annotations

import pytest

from xling.errors import UserError
from xling.models import load_model

pytest.importorskip("xllamacpp")

pytestmark = pytest.mark.slow  # real models end to end


def test_generation_through_completions_api(gemma_server):
    lm = load_model(f"oai-completions:{gemma_server}/v1#gemma", {"loglik": "none"})
    first = lm.generate(["The capital of France is", "1, 2, 3, 4,"], stop=["\n", "."], max_tokens=8)
    again = lm.generate(["The capital of France is"], stop=["\n", "."], max_tokens=8)
    assert all(isinstance(t, str) and t.strip() for t in first)
    assert first[0] == again[0]  # greedy: deterministic
    assert "." not in first[0] and "\n" not in first[0]


def test_generation_through_chat_api(gemma_server):
    lm = load_model(f"oai-chat:{gemma_server}/v1#gemma", {})
    (text,) = lm.generate(["Say hello."], stop=[], max_tokens=6)
    assert isinstance(text, str)


def test_loglik_through_the_real_server(gemma_server):
    reqs = [
        ("The capital of France is", " Paris"),
        ("The capital of France is", " a banana"),
        ("Die Hauptstadt von Frankreich ist", " Paris"),
    ]
    lm = load_model(f"oai-completions:{gemma_server}/v1#gemma", {"loglik": "llamacpp"})
    out = lm.loglik(reqs)
    assert [n for _, n, _ in out] == [1, 2, 1]
    assert all(lp < 0 for lp, _, _ in out)
    assert out[0][0] > out[1][0]  # "Paris" is likelier than "a banana"
    assert lm.loglik(reqs) == out  # deterministic
    echo = load_model(f"oai-completions:{gemma_server}/v1#gemma", {"loglik": "echo", "retries": 0})
    with pytest.raises(UserError, match="prompt log-probs"):  # llama.cpp ignores echo
        echo.loglik(reqs[:1])


def test_llamacpp_backend_matches_its_server(gemma_server):
    reqs = [
        ("The man turned on the faucet therefore", " water flowed from the spout."),
        ("The man turned on the faucet therefore", " the toilet filled with water."),
    ]
    via_http = load_model(f"oai-completions:{gemma_server}/v1#gemma", {"loglik": "llamacpp"}).loglik(reqs)
    inproc = load_model("llamacpp:gemma3-270m", {"threads": 2, "n_ctx": 1024})
    got = inproc.loglik(reqs)
    for (a, na, ga), (b, nb, gb) in zip(got, via_http, strict=True):
        assert (a, na, ga) == (b, nb, gb)  # one slot: deterministic
    assert inproc.fingerprint().startswith("llamacpp|a5fd3b62") and inproc.chat_template is None
    assert inproc.max_length == 1024
