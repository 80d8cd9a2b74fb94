"""LMClient: cache, dedupe, grouping by context, failed requests never cached."""

from xling.calls.cache import ResponseCache
from xling.calls.lm import LMClient, LoglikResult
from xling.models.base import Backend, Capability, ItemError


class CountingLM(Backend):
    """A deterministic stand-in that records what reaches the model (the client is under test)."""

    name = "counting"
    capabilities = frozenset({Capability.LOGLIK, Capability.GENERATE})

    def __init__(self, fail_on: str = "\x00"):
        super().__init__("counting", None, {})
        self.seen: list[list] = []
        self.fail_on = fail_on

    def fingerprint(self) -> str:
        return "counting-v1"

    def loglik(self, requests):
        self.seen.append(list(requests))
        return [
            ItemError("boom") if self.fail_on in c else (-float(len(x)), len(x.split()), False) for c, x in requests
        ]

    def generate(self, prompts, *, stop, max_tokens):
        self.seen.append(list(prompts))
        return [
            ItemError("boom") if self.fail_on in p else "" if p == "empty" else p[::-1][:max_tokens] for p in prompts
        ]


def test_loglik_dedupes_caches_and_groups_by_context(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    lm = CountingLM()
    client = LMClient(lm, cache, batch_size=4)
    reqs = [
        ("short", " a"),
        ("a much longer context", " x"),
        ("short", " bb"),
        ("a much longer context", " yy"),
        ("short", " a"),
    ]
    out = client.loglik(reqs)
    assert out[0] == LoglikResult(-2.0, 1, False) and out[0] == out[4]
    assert out[3] == (-3.0, 1, False)
    # one batch of 4 unique requests, longest context first, a context's requests adjacent
    assert lm.seen == [
        [("a much longer context", " x"), ("a much longer context", " yy"), ("short", " a"), ("short", " bb")]
    ]
    assert client.stats.requests == 5 and client.stats.unique == 4 and client.stats.model_calls == 4
    again = LMClient(lm, cache, batch_size=1).loglik(reqs)
    assert again == out and len(lm.seen) == 1  # all from the cache


def test_context_groups_not_split_across_batches(tmp_path):
    lm = CountingLM()
    client = LMClient(lm, ResponseCache(tmp_path / "c.sqlite"), batch_size=3)
    client.loglik([("ccc", " 1"), ("ccc", " 2"), ("bb", " 1"), ("bb", " 2")])
    assert [len(b) for b in lm.seen] == [2, 2]


def test_failures_are_returned_not_cached(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    lm = CountingLM(fail_on="!")
    client = LMClient(lm, cache)
    out = client.loglik([("ok", " a"), ("bad!", " a")])
    assert isinstance(out[1], ItemError) and not isinstance(out[0], ItemError)
    assert client.stats.failed == 1
    client.loglik([("ok", " a"), ("bad!", " a")])
    assert lm.seen[-1] == [("bad!", " a")]  # the failure is retried, the success is cached


def test_generate_keys_include_stop_and_max_tokens(tmp_path):
    lm = CountingLM(fail_on="!")
    client = LMClient(lm, ResponseCache(tmp_path / "c.sqlite"))
    assert client.generate(["abc", "empty", "x!"], stop=["\n"], max_tokens=2)[:2] == ["cb", ""]
    assert client.stats.empty == 1 and client.stats.failed == 1
    assert client.generate(["abc"], stop=["\n"], max_tokens=3) == ["cba"]  # another request
    assert client.generate(["abc"], stop=["."], max_tokens=2) == ["cb"]
    assert len(lm.seen) == 3


class CharTokenLM(CountingLM):
    """Generates the reversed prompt, cut at ``max_tokens`` characters; one token a character."""

    def generated_tokens(self, text):
        return len(text)


def test_generations_flag_texts_that_reach_the_token_limit_and_leave_the_cache_as_text(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    client = LMClient(CharTokenLM(), cache)
    out = client.generations(["abcdef", "abc", "empty", "x\x00"], max_tokens=4)
    assert [(g.text, g.max_tokens_hit) for g in out[:3]] == [("fedc", True), ("cba", False), ("", False)]
    assert out[3] == ItemError("boom") and client.stats.max_tokens_hit == 1
    plain = LMClient(CountingLM(), cache)  # the same fingerprint: the cached entries are the texts
    assert plain.generate(["abcdef", "abc"], max_tokens=4) == ["fedc", "cba"] and plain.stats.model_calls == 0
    unknown = LMClient(CountingLM(), cache).generations(["abcdef"], max_tokens=4)
    assert unknown[0].max_tokens_hit is False  # a backend that cannot count its tokens flags nothing
    assert LMClient(CountingLM(), cache).stats.as_dict().get("max_tokens_hit") is None


def test_a_run_without_batch_size_calls_with_the_backends_loglik_call_size(tmp_path):
    class LargeCalls(CountingLM):
        LOGLIK_CALL_SIZE = 6

    reqs = [(f"context {i}", f" choice {j}") for i in range(7) for j in range(2)]  # 14 requests, 7 contexts
    lm = LargeCalls()
    LMClient(lm, ResponseCache(tmp_path / "a.sqlite")).loglik(reqs)
    assert [len(b) for b in lm.seen] == [6, 6, 2]  # contexts whole, up to the backend's size
    lm.seen.clear()
    LMClient(lm, ResponseCache(tmp_path / "b.sqlite"), batch_size=4).loglik(reqs)
    assert [len(b) for b in lm.seen] == [4, 4, 4, 2]  # the run's --batch-size wins
    lm.seen.clear()
    LMClient(lm, ResponseCache(tmp_path / "c.sqlite")).generate(["p"] * 3 + [f"q{i}" for i in range(40)])
    assert [len(b) for b in lm.seen] == [32, 9]  # generation keeps the client's default
    plain = CountingLM()
    LMClient(plain, ResponseCache(tmp_path / "d.sqlite")).loglik(reqs)
    assert [len(b) for b in plain.seen] == [14]  # no size of its own: the default of 32
