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
