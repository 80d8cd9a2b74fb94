"""The harness's scale work changes no result: consistency statistics and CIs, scores, analyses and
stored predictions of a small run are pinned by digests taken from the code before it (per-pair
bootstrap passes, one cache transaction per batch, decoded predictions held in memory), and must
stay bit-identical."""

import hashlib
import importlib
import json

import numpy as np
import pandas as pd
import pytest

from helpers.parallel_choice import TASK
from helpers.scripted_lm import ScriptedBothLM, register_both
from xling.analysis import consistency
from xling.scoring import stats

LANGS = ["eng_Latn", "deu_Latn", "swh_Latn", "yor_Latn", "hin_Deva"]

# sha256 of the outputs below, as computed before the change (RUN_DIGEST: since log-likelihood
# score rows no longer carry a generation's ``max_tokens_hit: 0``; since 0/1 scores are resampled
# as counts per value, 3 score and 2 gap CIs moved by their Monte Carlo error; every other byte as before)
CONSISTENCY_DIGEST = "b086b015a91722ed61b3f766b4622d9451095b8be79de5dbd9d05016a2d1503c"
RUN_DIGEST = "d6c82acbedfb7a05a90dc218a3431453b11249da69080b2a61b7473615259d5a"
STORE_DIGEST = "ce375d0fa33d730e8a479e50e746f0933f53aba9d0db31329b73a8bfb6ef9057"


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()


def frame() -> pd.DataFrame:
    """Two tasks (a choice kind and a generation kind) x two settings x 5 languages x 700 items,
    with error rows and missing items, so the pairs of a setting have several item counts."""
    rng = np.random.default_rng(11)
    rows = []
    for task in ("mc", "mt"):
        for setting in ("direct", "translate-test"):
            for k, lang in enumerate(LANGS):
                for i in range(700):
                    if k == 3 and i < 40 or k == 4 and i % 50 == 0:
                        continue
                    gold = i % 4
                    answer = gold if rng.random() < 0.6 + 0.05 * k else int(rng.integers(0, 4))
                    score = float(answer == gold) if task == "mc" else float(rng.random())
                    error = "failed" if k == 2 and i % 97 == 0 else None
                    rows.append(
                        {
                            "task": task,
                            "setting": setting,
                            "language": lang,
                            "item_id": f"{lang}-{i}",
                            "parallel_id": str(i),
                            "prediction": {"answer": answer, "raw": [float(rng.random())]},
                            "gold": gold,
                            "score": None if error else score,
                            "error": error,
                        }
                    )
    return pd.DataFrame(rows)


def consistency_rows() -> list[dict]:
    kinds = {"mc": "multiple_choice", "mt": "translation"}
    return consistency(frame(), seed=3, n_resamples=500, sources={"mc": "eng_Latn", "mt": "eng_Latn"}, kinds=kinds)


def test_consistency_is_bit_identical_to_before_batched_or_not(monkeypatch):
    whole = consistency_rows()
    assert len(whole) == 2 * 2 * 10
    monkeypatch.setattr(stats, "MAX_DRAWS", 650 * 60)  # every pair's replicates in batches of 60
    cons = importlib.import_module("xling.analysis.consistency")
    assert cons.resample_batch(650, 500) == 60
    batched = consistency_rows()
    assert batched == whole
    assert digest(whole) == CONSISTENCY_DIGEST


def small_run(tmp_path, monkeypatch, name: str):
    from xling.run.runner import evaluate

    data = tmp_path / "data"
    if not data.exists():
        for k, lang in enumerate(LANGS):
            (data / lang).mkdir(parents=True)
            with open(data / lang / "test.jsonl", "w", encoding="utf-8") as f:
                for i in range(300):
                    row = {"id": i, "premise": f"{lang} premise {i}", "a": f"x{i % 7}", "b": f"yy{i % 5}"}
                    f.write(json.dumps(row | {"c": f"zzz{(i + k) % 3}", "label": i % 3}) + "\n")
        (tmp_path / "task.yaml").write_text(TASK.format(languages=", ".join(LANGS)), encoding="utf-8")
    register_both(monkeypatch)
    ScriptedBothLM.loglik_script = staticmethod(lambda c, x: -float(hashlib.md5((c + x).encode()).digest()[0]))
    monkeypatch.setenv("XLING_DATA_DIR", str(data))
    res = evaluate(
        "scripted-loglik",
        task_files=[tmp_path / "task.yaml"],
        output=tmp_path / name,
        cache_path=tmp_path / "cache.sqlite",
        batch_size=16,
    )
    stored = pd.read_parquet(tmp_path / name / "predictions.parquet")
    stored = stored.drop(columns=["run_id"]).sort_values(["language", "item_id"]).reset_index(drop=True)
    return {"scores": res.data["scores"], "analyses": res.data["analyses"]}, stored


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_small_run_is_bit_identical_to_before_and_from_the_cache(tmp_path, monkeypatch):
    first, stored = small_run(tmp_path, monkeypatch, "a")
    assert len(stored) == 5 * 300 and stored["error"].isna().all()
    assert all(stored[c].dtype == "str" for c in ("model", "task", "setting", "language", "split", "prediction"))
    assert digest(first) == RUN_DIGEST
    assert digest(stored.to_dict("records")) == STORE_DIGEST
    assert len(ScriptedBothLM.loglik_seen) == 5 * 300 * 3
    again, stored_again = small_run(tmp_path, monkeypatch, "b")  # every answer from the response cache
    assert ScriptedBothLM.loglik_seen == []
    assert again == first
    pd.testing.assert_frame_equal(stored_again, stored)


def test_each_batch_of_replicates_is_drawn_once_for_all_pairs_of_a_setting(monkeypatch):
    cons = importlib.import_module("xling.analysis.consistency")
    monkeypatch.setattr(stats, "MAX_DRAWS", 650 * 60)
    drawn = []
    draw = cons._resample_weights
    monkeypatch.setattr(cons, "_resample_weights", lambda idx: drawn.append(idx.shape) or draw(idx))
    mc = frame()[lambda f: f["task"] == "mc"]
    rows = consistency(mc, seed=3, n_resamples=500, kinds={"mc": "multiple_choice"})

    def batches(n):
        return -(-500 // cons.resample_batch(n, 500))

    counts = {(r["setting"], r["n"]) for r in rows}
    assert len(counts) == 2 * 7  # pairs of a setting share 7 item counts (missing items, errors)
    assert len(drawn) == sum(batches(n) for _, n in counts)  # one pass per item count, not per pair
    monkeypatch.setattr(cons, "PAIR_BYTES", 1)  # one pair per pass: as many passes as pairs
    drawn.clear()
    assert consistency(mc, seed=3, n_resamples=500, kinds={"mc": "multiple_choice"}) == rows
    assert len(drawn) == sum(batches(r["n"]) for r in rows) > sum(batches(n) for _, n in counts)


def test_sqlite_files_keep_their_pages_in_memory_and_checkpoint_seldom(tmp_path):
    from xling.calls.cache import CACHE_KIB, WAL_PAGES, connect

    con = connect(tmp_path / "x.sqlite")
    try:
        assert con.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_PAGES > 1000
    finally:
        con.close()


def test_replicate_weights_are_counted_without_temporaries_larger_than_the_result():
    import tracemalloc

    cons = importlib.import_module("xling.analysis.consistency")
    idx = np.random.default_rng(0).integers(0, 20_000, size=(50, 20_000))
    tracemalloc.start()
    try:
        weights = cons._resample_weights(idx)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert weights.shape == (20_000, 50) and weights.dtype == np.float32
    assert [weights[:, r].sum() for r in (0, 49)] == [20_000, 20_000]
    assert weights[idx[3, 0], 3] == (idx[3] == idx[3, 0]).sum()
    assert peak < 1.5 * weights.nbytes  # the draw-count matrix itself, not items x replicates int64 copies


def test_cache_keys_checksums_and_loglik_values_are_the_bytes_json_wrote():
    import random

    from xling.calls.cache import checksum, request_key
    from xling.calls.lm import LOGLIK, LoglikResult

    def old_key(request) -> bytes:
        blob = json.dumps(request, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return hashlib.blake2b(blob, digest_size=16).digest()

    def old_checksum(*parts) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        for part in parts:
            part = part.encode("utf-8") if isinstance(part, str) else part
            h.update(len(part).to_bytes(8, "little") + part)
        return h.digest()

    texts = ['a "quoted" \\ path\n\t\x01\x7f', "ünïcödé 中文 \u2028 😀", "", " leading space"]
    requests = [["loglik", a, b] for a in texts for b in texts] + [[], ["generate", "p", ["\n"], 5], {"b": 1, "a": "x"}]
    assert [request_key(r) for r in requests] == [old_key(r) for r in requests]
    for model, dtype, shape, value in [("m", "bytes", "[3]", b"abc"), ("ünï", "<f4", "[2, 2]", bytes(range(16)))]:
        key = request_key(["embed", "query", model])
        assert checksum(model, key, dtype, shape, value) == old_checksum(model, key, dtype, shape, value)
    rng = random.Random(0)
    values = [rng.uniform(-1e4, 0) for _ in range(200)] + [-0.0, 0.0, -1e-300, -5e300, float("-inf"), float("nan")]
    for v in values:
        res = LoglikResult(v, rng.randint(1, 40), rng.random() < 0.5)
        assert LOGLIK.encode(res) == json.dumps([res.logprob, res.n_tokens, res.greedy]).encode()


def test_consistency_keys_are_the_answers_json():
    from xling.analysis.consistency import _key

    for answer in [0, 3, -1, 10**20, "a", 'quo"te\\ ünï\n', "", True, None, 1.5, ["x", 2], {"b": 1, "a": np.int64(2)}]:
        assert _key(answer) == json.dumps(answer, sort_keys=True, ensure_ascii=False, default=lambda v: v.item())
