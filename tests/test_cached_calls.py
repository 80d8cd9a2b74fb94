"""The cached call all clients share: one failure type (an ItemError, returned for one request or
raised for a whole batch), counted the same by every client; CallStats declares its counters."""

import numpy as np
import pytest

from xling.calls.cache import ResponseCache
from xling.calls.counters import CallStats
from xling.calls.embed import EmbedClient
from xling.calls.lm import LMClient
from xling.calls.translate import Translator
from xling.models.base import Backend, Capability, ItemError

DOWN = "HTTP 503 from the server (gave up after 3 attempts)"


class Down(Backend):
    """Every call fails as a whole: the backend raises the ItemError."""

    name = "down"
    capabilities = frozenset({Capability.EMBED, Capability.LOGLIK, Capability.GENERATE})

    def __init__(self):
        super().__init__("down", None, {})
        self.calls = 0

    def fingerprint(self) -> str:
        return "down-v1"

    def _fail(self, *args, **kwargs):
        self.calls += 1
        raise ItemError(DOWN)

    embed = loglik = generate = _fail


class HalfTranslator(Backend):
    """Translates by upper-casing; a text with "!" fails (returned as an ItemError)."""

    name = "half"
    capabilities = frozenset({Capability.TRANSLATE})

    def __init__(self):
        super().__init__("half", None, {})
        self.seen: list[list[str]] = []

    def fingerprint(self) -> str:
        return "half-v1"

    def translate(self, texts, source, target):
        self.seen.append(list(texts))
        return [ItemError("no translation") if "!" in t else t.upper() for t in texts]


def test_a_raised_item_error_fails_every_request_of_the_batch(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    down = Down()
    client = LMClient(down, cache, batch_size=2)
    assert client.loglik([("a", " x"), ("b", " y"), ("c", " z")]) == [ItemError(DOWN)] * 3
    assert client.generate(["p", "q"], stop=[], max_tokens=4) == [ItemError(DOWN)] * 2
    assert down.calls == 3 and client.stats.failed == 5 and client.stats.model_calls == 5
    assert cache.count() == 0


def test_an_embedding_batch_that_failed_as_a_whole_names_the_error_per_text(tmp_path):
    client = EmbedClient(Down(), ResponseCache(tmp_path / "c.sqlite"))
    vectors, errors = client.embed_checked(["a", "b", " "], "symmetric")
    assert errors == [f"embedding failed: {DOWN}"] * 2 + ["empty text: nothing to embed"]
    assert np.isnan(vectors).all() and client.stats.failed == 2 and client.stats.empty == 1


def test_translator_failures_are_counted_and_never_cached(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    backend, stats = HalfTranslator(), CallStats()
    translator = Translator(backend, cache, stats)
    out = translator.translate(["ok", "bad!", "ok"], "spa_Latn", "eng_Latn")
    assert out == ["OK", ItemError("no translation"), "OK"]
    assert (stats.requests, stats.unique, stats.model_calls, stats.batches, stats.failed) == (3, 2, 2, 1, 1)
    assert cache.count("half-v1") == 1
    translator.translate(["ok", "bad!"], "spa_Latn", "eng_Latn")
    assert backend.seen[-1] == ["bad!"] and stats.cache_hits == 1 and stats.failed == 2


def test_translator_counts_damaged_cache_entries(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    stats = CallStats()
    Translator(HalfTranslator(), cache, stats).translate(["ok"], "spa_Latn", "eng_Latn")
    cache._con.execute("UPDATE responses SET value = ?", (b"KO",))
    with pytest.warns(UserWarning, match="damaged"):
        assert Translator(HalfTranslator(), cache, stats).translate(["ok"], "spa_Latn", "eng_Latn") == ["OK"]
    assert stats.cache_damaged == 1 and stats.cache_hits == 0


def test_call_stats_as_dict_keeps_its_keys_and_their_order():
    assert list(CallStats().as_dict()) == [
        "requests",
        "unique",
        "cache_hits",
        "cache_hits_this_run",
        "model_calls",
        "batches",
        "over_long",
        "truncated",
        "empty",
        "invalid",
        "cache_damaged",
        "probes",
        "failed",
        "by_role",
    ]
    tuned = CallStats(finetune_trained=0, finetune_reused=0, frozen_bottom_cached=False).as_dict()
    assert list(tuned)[-4:] == ["by_role", "finetune_trained", "finetune_reused", "frozen_bottom_cached"]


def test_call_stats_add_sums_counters_and_roles_and_takes_flags():
    total = CallStats(requests=2, by_role={"query": 2})
    total.add(CallStats(requests=3, failed=1, by_role={"query": 1, "passage": 2}).as_dict())
    total.add({"finetune_trained": 1, "finetune_reused": 0, "frozen_bottom_cached": True, "retired_counter": 7})
    total.add({"finetune_trained": 2, "frozen_bottom_cached": False})
    assert (total.requests, total.failed, total.by_role) == (5, 1, {"query": 3, "passage": 2})
    assert (total.finetune_trained, total.finetune_reused, total.frozen_bottom_cached) == (3, 0, False)
    assert "retired_counter" not in total.as_dict()


class Echo(Backend):
    """Log-likelihood of a request is minus its length; a continuation "!" makes the batch raise
    (the shortest request: its batch comes last)."""

    name = "echo"
    capabilities = frozenset({Capability.LOGLIK})

    def __init__(self):
        super().__init__("echo", None, {})
        self.batches = 0

    def fingerprint(self) -> str:
        return "echo-v1"

    def loglik(self, requests):
        self.batches += 1
        if any(x == "!" for _, x in requests):
            raise RuntimeError("the backend fell over")
        return [(-float(len(c + x)), len(x), False) for c, x in requests]


def _writes(cache, monkeypatch) -> list[int]:
    """Record the size of every cache write."""
    sizes: list[int] = []
    put = cache.put_many
    monkeypatch.setattr(cache, "put_many", lambda model, entries: (sizes.append(len(entries)), put(model, entries)))
    return sizes


def test_a_fast_models_batches_share_one_cache_write_at_the_end_of_the_call(tmp_path, monkeypatch):
    cache = ResponseCache(tmp_path / "c.sqlite")
    sizes = _writes(cache, monkeypatch)
    client = LMClient(Echo(), cache, batch_size=2)
    requests = [(f"ctx {i}", f" x{i}") for i in range(7)]
    first = client.loglik(requests)
    assert client.backend.batches == 4 and sizes == [7] and cache.count("echo-v1") == 7
    assert LMClient(Echo(), cache, batch_size=2).loglik(requests) == first  # all read back


def test_answers_are_written_every_few_seconds_and_by_size(tmp_path, monkeypatch):
    from xling.calls import cached

    cache = ResponseCache(tmp_path / "c.sqlite")
    sizes = _writes(cache, monkeypatch)
    monkeypatch.setattr(cached, "WRITE_EVERY_S", 0.0)  # a slow model: every batch is written as it comes
    LMClient(Echo(), cache, batch_size=2).loglik([(f"ctx {i}", " x") for i in range(5)])
    assert sizes == [2, 2, 1]
    sizes.clear()
    monkeypatch.setattr(cached, "WRITE_EVERY_S", 3600.0)
    monkeypatch.setattr(cached, "WRITE_BYTES", 30)  # about two answers of 16-20 bytes
    LMClient(Echo(), cache, batch_size=1).loglik([(f"other {i}", " y") for i in range(5)])
    assert sizes == [2, 2, 1] and cache.count("echo-v1") == 10


def test_answers_before_a_failing_batch_are_kept(tmp_path, monkeypatch):
    cache = ResponseCache(tmp_path / "c.sqlite")
    client = LMClient(Echo(), cache, batch_size=1)
    with pytest.raises(RuntimeError, match="fell over"):
        client.loglik([("a", " x"), ("b", " y"), ("c", "!")])
    assert cache.count("echo-v1") == 2


def test_stored_keys_count_what_this_cache_stored_and_nothing_else(tmp_path):
    from xling.calls.cache import StoredKeys, request_key

    keys = [request_key(["r", str(i)]) for i in range(1000)]
    stored = StoredKeys()
    assert stored.count(keys) == 0
    stored.add(keys[500:700])
    stored.add(keys[600:800] + keys[:3])  # overlapping and out of order
    assert stored.count(keys) == 303 and stored.count(keys[:3] * 2) == 6 and stored.count([]) == 0
    stored.add([b"short"])  # any key, padded
    assert stored.count([b"short", b"shorter!!", b"other"]) == 1

    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put_many("m", {k: b"1" for k in keys[:10]})
    assert cache.stored_since_open("m", keys) == 10 and cache.stored_since_open("other", keys) == 0
    assert ResponseCache(tmp_path / "c.sqlite").stored_since_open("m", keys) == 0  # another open, another run
