import sqlite3

import numpy as np
import pytest

from xling.calls.cache import ResponseCache, request_key
from xling.calls.embed import EmbedClient
from xling.models.base import Backend, Capability
from xling.run.store import PredictionStore
from xling.types import Prediction, Unit


class CountingEmbedder(Backend):
    """A deterministic fake embedder that counts what reaches it (for cache tests only)."""

    name = "counting"
    capabilities = frozenset({Capability.EMBED})

    def __init__(self):
        super().__init__("counting", None, {})
        self.seen: list[str] = []
        self.batches: list[int] = []

    def fingerprint(self) -> str:
        return "counting/1"

    def embed(self, texts, role):
        self.seen += texts
        self.batches.append(len(texts))
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = np.frombuffer(request_key([role, t])[:8], dtype=np.uint8) / 255.0 + 0.01
            if t == "NAN":
                out[i] = np.nan
        return out


def test_identical_texts_are_embedded_once_across_calls(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    model = CountingEmbedder()
    client = EmbedClient(model, cache, batch_size=2)
    a = client.embed(["x", "y", "x", "zz"], "symmetric")
    b = client.embed(["zz", "x", "new"], "symmetric")
    assert sorted(model.seen) == ["new", "x", "y", "zz"]
    assert np.array_equal(a[0], a[2]) and np.array_equal(a[3], b[0])
    assert client.stats.model_calls == 4 and client.stats.cache_hits == 2
    # a second client on the same file (another run) makes no model call
    model2 = CountingEmbedder()
    c = EmbedClient(model2, ResponseCache(tmp_path / "c.sqlite")).embed(["x", "new"], "symmetric")
    assert model2.seen == [] and np.array_equal(c[0], a[0])


def test_batches_are_length_sorted(tmp_path):
    model = CountingEmbedder()
    EmbedClient(model, ResponseCache(tmp_path / "c.sqlite"), batch_size=2).embed(["cccc", "a", "bbb", "dd"], "q")
    assert model.seen == ["a", "dd", "bbb", "cccc"]
    assert model.batches == [2, 2]


def test_roles_are_separate_cache_entries(tmp_path):
    model = CountingEmbedder()
    client = EmbedClient(model, ResponseCache(tmp_path / "c.sqlite"))
    q = client.embed(["t"], "query")
    p = client.embed(["t"], "passage")
    assert model.seen == ["t", "t"] and not np.array_equal(q, p)


def test_invalid_vectors_are_not_cached_and_come_back_as_nan(tmp_path):
    model = CountingEmbedder()
    client = EmbedClient(model, ResponseCache(tmp_path / "c.sqlite"))
    out = client.embed(["ok", "NAN"], "symmetric")
    assert np.isnan(out[1]).all() and np.isfinite(out[0]).all()
    assert client.stats.invalid == 1
    client.embed(["NAN"], "symmetric")
    assert model.seen.count("NAN") == 2


def _preds(n, offset=0):
    return [Prediction("test", f"i{k}", f"p{k}", "a", "a", 1.0 if k % 2 else 0.0) for k in range(offset, offset + n)]


def test_store_writes_units_atomically_and_replaces_on_rewrite(tmp_path):
    store = PredictionStore(tmp_path)
    store.start_run("r", {"x": 1})
    unit = Unit("t", "zero-shot", "swh_Latn")
    store.write_unit("r", "m", unit, _preds(5))
    store.write_unit("r", "m", unit, _preds(3))  # a re-run of a unit replaces, never duplicates
    df = store.frame("r")
    assert len(df) == 3 and store.done_units("r", "m") == {unit}


def test_a_unit_with_error_rows_is_not_done(tmp_path):
    store = PredictionStore(tmp_path)
    clean, failed = Unit("t", "s", "eng_Latn"), Unit("t", "s", "deu_Latn")
    store.write_unit("r", "m", clean, _preds(2))
    store.write_unit("r", "m", failed, _preds(2) + [Prediction("test", "i9", "p9", None, "a", None, "HTTP 503")])
    assert store.done_units("r", "m") == {clean}


def test_the_invocations_of_a_run_are_kept_apart(tmp_path):
    store = PredictionStore(tmp_path)
    store.record_invocation("r", "a", "2026-01-01T00:00:00", {"model_calls": 1})
    store.record_invocation("r", "a", "2026-01-01T00:00:00", {"model_calls": 5})  # the same invocation, later
    store.record_invocation("r", "b", "2026-01-02T00:00:00", {"model_calls": 2})
    assert store.invocations("r") == [{"model_calls": 5}, {"model_calls": 2}]


def test_a_failed_unit_write_leaves_nothing(tmp_path):
    store = PredictionStore(tmp_path)
    unit = Unit("t", "s", "eng_Latn")
    bad = _preds(2) + [Prediction("test", "i0", "p0", "a", "a", 1.0)]  # duplicate key
    with pytest.raises(sqlite3.IntegrityError):
        store.write_unit("r", "m", unit, bad)
    assert store.done_units("r", "m") == set() and store.frame("r").empty


def test_answers_are_written_in_key_order_and_read_back(tmp_path):
    """Digest keys land on random pages of the table; written in key order, consecutive inserts
    share pages (what keeps large caches' writes cheap)."""
    cache = ResponseCache(tmp_path / "c.sqlite")
    entries = {request_key(["q", str(i)]): f"answer {i}".encode() for i in range(500)}
    written: list[bytes] = []
    real = cache._con

    class Spy:
        def __getattr__(self, name):
            return getattr(real, name)

        def __enter__(self):
            return real.__enter__()

        def __exit__(self, *exc):
            return real.__exit__(*exc)

        def executemany(self, sql, rows):
            rows = list(rows)
            written.extend(r[1] for r in rows)
            return real.executemany(sql, rows)

    cache._con = Spy()
    cache.put_many("m", entries)
    cache._con = real
    assert written == sorted(entries) and written != list(entries)
    assert cache.get_many("m", list(entries)) == entries


def test_cache_file_passes_integrity_check(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put_many("m", {request_key(["e", str(i)]): b"\x00" * 16 for i in range(100)})
    assert cache.count("m") == 100
    con = sqlite3.connect(tmp_path / "c.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_locked_answer_to_the_wal_pragma_is_retried(tmp_path, monkeypatch):
    """SQLite can answer `PRAGMA journal_mode=WAL` with "database is locked" at once (no busy wait)
    while another process holds the file: the connection retries instead of failing its worker."""
    import sqlite3

    from xling.calls import cache

    real = sqlite3.connect
    refusals = {"left": 3}

    class Busy:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.startswith("PRAGMA journal_mode") and refusals["left"]:
                refusals["left"] -= 1
                raise sqlite3.OperationalError("database is locked")
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    monkeypatch.setattr(cache.sqlite3, "connect", lambda *a, **k: Busy(real(*a, **k)))
    con = cache.connect(tmp_path / "c.sqlite")
    assert refusals["left"] == 0 and con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    refusals["left"] = 10**6
    monkeypatch.setattr(cache, "LOCK_WAIT", 0.05)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        cache.connect(tmp_path / "d.sqlite")
