"""A head whose training items all failed at the embeddings server says what the server did
(the error text and how many items it hit), not "raise --limit"."""

from __future__ import annotations

import re

import pytest

from helpers.embed import EMBED_DATA
from helpers.fake_embed_server import FakeEmbedServer, vectors
from xling.errors import UserError
from xling.run.runner import evaluate


def nan_vectors(texts, headers):
    body = vectors(texts)
    for d in body["data"]:
        d["embedding"] = [float("nan")] * len(d["embedding"])
    return 200, body


def one_vector_short(texts, headers):
    body = vectors(texts)
    body["data"] = body["data"][:-1]
    return 200, body


SERVERS = {
    "401": (lambda texts, headers: (401, {"error": {"message": "invalid api key"}}), "HTTP 401"),
    "nan": (nan_vectors, "NaN or all-zero vector"),
    "wrong-count": (one_vector_short, "vectors for"),
}


@pytest.mark.parametrize("case", SERVERS)
def test_server_failures_are_reported_as_such(case, tmp_path):
    answer, said = SERVERS[case]
    with FakeEmbedServer(answer) as server, pytest.raises(UserError) as caught:
        evaluate(
            f"openai:{server.url}#fake",
            task_files=[EMBED_DATA / "pairs.yaml"],
            output=tmp_path / "run",
            cache_path=tmp_path / "c.sqlite",
            model_options={"max_retries": 0},
        )
    text = str(caught.value)
    assert said in text and re.search(r"the model failed on (\d+) of \1 items; \1 x ", text), text
    assert "--limit" not in text


def test_the_summary_counts_each_error_text():
    from xling.kinds.embedding.heads import model_failures

    summary = model_failures([None, "timeout", "HTTP 500", "HTTP 500", None])
    assert summary.startswith("the model failed on 3 of 5 items; 2 x 'HTTP 500'; first: 'timeout'")
    assert summary.endswith("(1 other error text(s))")
