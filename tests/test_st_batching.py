"""Batched ``st:`` encoding that never changes a vector: texts of equal token length share
forward passes of a fixed row count, so each text's vector is bit-identical whatever the call
size, the order of the texts and the thread count."""

import csv
import random

import numpy as np
import pytest

from helpers.embed import EMBED_DATA, TrigramBackend
from helpers.tiny_st import build_tiny_st
from xling.calls.cache import ResponseCache
from xling.calls.embed import EmbedClient
from xling.models import load_model
from xling.models.passes import fixed_shape_passes

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


def test_passes_group_equal_lengths_in_fixed_row_counts():
    assert fixed_shape_passes([5, 3, 5, 5, 3, 9], 2) == [[1, 4], [0, 2], [3], [5]]
    assert fixed_shape_passes([], 8) == []


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


def test_padded_batches_change_the_vectors_which_is_why_passes_have_one_length(st_dir):
    model = load_model(f"st:{st_dir}")._model
    texts = sts_texts()
    together = model.encode(texts, batch_size=len(texts), convert_to_numpy=True)
    alone = np.stack([model.encode([t], convert_to_numpy=True)[0] for t in texts])
    assert not np.array_equal(together, alone)


def test_texts_of_a_length_share_passes_of_exactly_pass_rows(st_dir, monkeypatch):
    texts = sts_texts()
    for options, rows in (({}, 8), ({"pass_rows": 3}, 3), ({"per_text": True}, 1)):
        backend = load_model(f"st:{st_dir}", options)
        sizes: list[int] = []
        encode = backend._model.encode
        monkeypatch.setattr(
            backend._model, "encode", lambda t, _e=encode, _s=sizes, **kw: _s.append(len(t)) or _e(t, **kw)
        )
        backend.embed(texts, "symmetric")
        assert set(sizes) == {rows}
        expected = len(texts) if rows == 1 else len(fixed_shape_passes(backend.batch_lengths(texts, "symmetric"), rows))
        assert len(sizes) == expected and (rows == 1 or expected < len(texts))


def test_the_fingerprint_names_the_pass_shape(st_dir):
    prints = {load_model(f"st:{st_dir}", o).fingerprint() for o in ({}, {"pass_rows": 4}, {"per_text": True})}
    assert len(prints) == 3 and any("pass:length8" in p for p in prints)


class LengthBackend(TrigramBackend):
    """Says its batching length is the number of words."""

    def batch_lengths(self, texts, role):
        return [len(t.split()) for t in texts]


def test_the_client_sends_texts_sorted_by_the_backend_s_batching_length(tmp_path):
    texts = ["a b c", "abcdefghij", "x y", "p q r s", "klmnopqrs tu", "v w x"]
    backend = LengthBackend()
    EmbedClient(backend, ResponseCache(tmp_path / "c.sqlite"), batch_size=2).embed(texts, "symmetric")
    assert backend.calls == [["abcdefghij", "x y"], ["klmnopqrs tu", "a b c"], ["v w x", "p q r s"]]
