"""Cache integrity: checksummed values, pinned vector sizes, old-format caches."""

import sqlite3

import numpy as np
import pytest

from xling.calls.cache import CacheWarning, ResponseCache, request_key
from xling.calls.embed import EmbedClient
from xling.calls.lm import LMClient
from xling.models.base import Backend, Capability, ItemError


class Embedder(Backend):
    """Deterministic 8-dim vectors; ``sizes`` gives the width of successive answers (then 8)."""

    name = "fake"
    capabilities = frozenset({Capability.EMBED})

    def __init__(self, sizes=(), *, remote=False, bad_text=None):
        super().__init__("fake", None, {})
        self.sizes = list(sizes)
        self.PROBE_VECTOR_SIZE = remote
        self.bad_text = bad_text
        self.seen: list[str] = []

    def fingerprint(self) -> str:
        return "fake/1"

    def embed(self, texts, role):
        self.seen += texts
        width = self.sizes.pop(0) if self.sizes else 8
        if self.bad_text in texts:
            width = 5
        out = np.zeros((len(texts), width), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = np.resize(np.frombuffer(request_key([t]), dtype=np.uint8)[:8] / 255.0 + 0.01, width)
        return out


def _overwrite_in_file(path, needle: bytes, junk: bytes) -> None:
    """Write ``junk`` over the first place ``needle`` sits in the file (as a disk fault would)."""
    raw = path.read_bytes()
    at = raw.find(needle)
    assert at >= 0
    path.write_bytes(raw[:at] + junk + raw[at + len(junk) :])


def test_a_damaged_vector_is_a_miss_recomputed_and_overwritten(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    first = EmbedClient(Embedder(), cache).embed(["alpha", "beta"], "symmetric")
    cache.close()  # the last connection moves the WAL into the file
    _overwrite_in_file(path, first[0].tobytes(), np.random.default_rng(0).bytes(16))
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)

    model = Embedder()
    client = EmbedClient(model, ResponseCache(path))
    with pytest.warns(CacheWarning, match=str(path)):
        again = client.embed(["alpha", "beta"], "symmetric")
    assert model.seen == ["alpha"]  # the damaged entry is refetched, the good one served
    assert np.array_equal(again, first) and client.stats.cache_damaged == 1

    model = Embedder()
    EmbedClient(model, ResponseCache(path)).embed(["alpha"], "symmetric")
    assert model.seen == []  # the entry was overwritten with the good vector


def test_a_wrong_first_answer_of_a_server_is_outvoted_and_never_cached(tmp_path):
    model = Embedder(sizes=[7], remote=True)  # the first answer has another size
    cache = ResponseCache(tmp_path / "c.sqlite")
    client = EmbedClient(model, cache, batch_size=1)
    vectors, errors = client.embed_checked(["one", "two", "three"], "symmetric")
    assert errors == [None, None, None] and vectors.shape == (3, 8)
    assert cache.vector_size("fake/1") == 8 and client.stats.probes == 3
    sizes = {r[0] for r in cache._con.execute("SELECT length(value) FROM responses")}
    assert sizes == {8 * 4}


class NanEmbedder(Embedder):
    def embed(self, texts, role):
        return np.full((len(texts), 8), np.nan, dtype=np.float32)


def test_a_server_answering_nan_vectors_to_the_probe_is_blamed_for_them(tmp_path):
    client = EmbedClient(NanEmbedder(remote=True), ResponseCache(tmp_path / "c.sqlite"))
    _, errors = client.embed_checked(["one", "two"], "symmetric")
    assert errors == ["embedding failed: the model returned a NaN or all-zero vector (to 3 probes)"] * 2


class DownEmbedder(Embedder):
    def embed(self, texts, role):
        self.seen += texts
        raise ItemError("HTTP 503 from the server (gave up after 6 attempts)")


def test_a_failed_probe_is_not_repeated_for_every_batch(tmp_path):
    model = DownEmbedder(remote=True)
    client = EmbedClient(model, ResponseCache(tmp_path / "c.sqlite"), batch_size=2)
    _, errors = client.embed_checked(["a", "b", "c", "d", "e", "f"], "symmetric")
    assert model.seen == ["xling vector size probe"] and client.stats.probes == 1
    assert errors == ["embedding failed: HTTP 503 from the server (gave up after 6 attempts)"] * 6


def test_an_answer_of_another_size_is_an_error_row_and_not_cached(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    client = EmbedClient(Embedder(bad_text="odd", remote=True), cache, batch_size=1)
    vectors, errors = client.embed_checked(["fine", "odd", "good"], "symmetric")
    assert errors[0] is None and errors[2] is None
    assert "size 5" in errors[1] and "8" in errors[1] and str(cache.path) in errors[1]
    assert np.isnan(vectors[1]).all() and client.stats.invalid == 1
    assert cache.count("fake/1") == 2
    model = Embedder()
    EmbedClient(model, cache).embed(["odd"], "symmetric")
    assert model.seen == ["odd"]  # retried on the next run


def test_a_cached_vector_of_another_size_is_refetched(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.pin_vector_size("fake/1", 8, "test")
    key = request_key(["embed", "symmetric", "word"])
    cache.put_many("fake/1", {key: np.ones(3, dtype=np.float32)})  # intact, but of another size
    model = Embedder()
    with pytest.warns(CacheWarning, match="not <f4 \\[8\\]"):
        out = EmbedClient(model, cache).embed(["word"], "symmetric")
    assert model.seen == ["word"] and out.shape == (1, 8)
    assert cache.get_many("fake/1", [key], dtype="<f4", shape=(8,))[key].shape == (8,)


def test_the_declared_dimensions_option_pins_the_size(tmp_path):
    model = Embedder(remote=True)
    model.options = {"dimensions": 5}
    cache = ResponseCache(tmp_path / "c.sqlite")
    _, errors = EmbedClient(model, cache).embed_checked(["x"], "symmetric")
    assert "size 8, not the 5" in errors[0]
    assert cache.vector_size("fake/1") == 5 and cache.count() == 0 and model.seen == ["x"]  # no probe


def test_a_cache_of_the_old_format_is_a_miss_not_a_crash(tmp_path):
    path = tmp_path / "c.sqlite"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE responses (model TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
        " PRIMARY KEY (model, key)) WITHOUT ROWID"
    )
    key = request_key(["embed", "symmetric", "old"])
    con.execute("INSERT INTO responses VALUES (?, ?, ?)", ("fake/1", key, b"\x00" * 32))
    con.commit()
    con.close()
    with pytest.warns(CacheWarning, match="older format"):
        cache = ResponseCache(path)
    model = Embedder()
    out = EmbedClient(model, cache).embed(["old"], "symmetric")
    assert model.seen == ["old"] and np.any(out) and cache.count() == 1


class EchoLM(Backend):
    name = "echo"
    capabilities = frozenset({Capability.GENERATE})

    def __init__(self):
        super().__init__("echo", None, {})
        self.seen = []

    def fingerprint(self) -> str:
        return "echo/1"

    def generate(self, prompts, *, stop, max_tokens):
        self.seen += prompts
        return [f"answer to {p}" for p in prompts]


def test_a_damaged_generation_is_regenerated(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    LMClient(EchoLM(), cache).generate(["q1", "q2"])
    cache._con.execute(
        "UPDATE responses SET value = CAST('answer to qX' AS BLOB) WHERE length(value) = 12"
        " AND value = CAST('answer to q1' AS BLOB)"
    )
    lm = EchoLM()
    with pytest.warns(CacheWarning, match="1 damaged entry"):
        out = LMClient(lm, cache).generate(["q1", "q2"])
    assert out == ["answer to q1", "answer to q2"] and lm.seen == ["q1"]
