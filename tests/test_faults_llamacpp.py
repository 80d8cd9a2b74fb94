"""Faulty servers, generation and log-likelihood: the fault-injecting proxy (tests/helpers/fault_proxy.py)
in front of llama.cpp's real server (Gemma-3-270M through xllamacpp), through the ``oai-chat``
and ``oai-completions`` backends: retried faults leave the direct run's answers exactly;
persistent ones give error rows, exit 1 and a summary; a stalled or dripping answer ends in an
error within the deadline."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import xling
from helpers.cli import run_cli
from helpers.fault_proxy import EMBED_ONLY, RETRYABLE, FaultProxy
from xling.models import load_model
from xling.models.base import ItemError

pytest.importorskip("xllamacpp")

pytestmark = pytest.mark.slow  # real models end to end

LM_FAULTS = tuple(f for f in RETRYABLE if f not in EMBED_ONLY)
# generous per-attempt limits: on a loaded CI machine a generation can take minutes
RETRY = {"retries": 4, "backoff": 0.01, "timeout": 600, "deadline": 1800, "concurrency": 1}
TASK = """\
name: tiny-copa
description: Test fixture written for xling (not a benchmark) - cause/effect choices, English and German.
kind: multiple_choice
metric: accuracy
languages: [eng_Latn, deu_Latn]
eval_split: test
fields: {premise: premise, question: question, choices: [choice1, choice2]}
gold: {path: label, type: int}
id: idx
parallel_key: idx
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, format: jsonl, path: "{language}.jsonl"}
"""
ITEMS = {
    "eng_Latn": [
        ("The glass fell off the table.", "effect", "It broke.", "It sang."),
        ("The road was wet.", "cause", "It had rained.", "The sun was bright."),
        ("She was thirsty.", "effect", "She drank water.", "She sold her car."),
    ],
    "deu_Latn": [
        ("Das Glas fiel vom Tisch.", "effect", "Es zerbrach.", "Es sang."),
        ("Die Strasse war nass.", "cause", "Es hatte geregnet.", "Die Sonne schien hell."),
        ("Sie hatte Durst.", "effect", "Sie trank Wasser.", "Sie verkaufte ihr Auto."),
    ],
}


@pytest.fixture(scope="module")
def task_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-copa")
    for lang, rows in ITEMS.items():
        lines = [
            json.dumps({"idx": i, "premise": p, "question": q, "choice1": a, "choice2": b, "label": 0})
            for i, (p, q, a, b) in enumerate(rows)
        ]
        (folder / f"{lang}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (folder / "task.yaml").write_text(TASK, "utf-8")
    return folder / "task.yaml"


def run(spec, task_file, tmp_path, name, languages=None, limit=None, **opts):
    return xling.evaluate(
        spec,
        model_options={**RETRY, **opts},
        task_files=[task_file],
        output=tmp_path / name,
        cache_path=tmp_path / f"{name}.sqlite",
        languages=languages,
        limit=limit,
    )


def same_run(a, b, n):
    def key(s):
        return (s["task"], s["setting"], s["language"], s["metric"])

    assert {key(s): s["value"] for s in a.scores} == {key(s): s["value"] for s in b.scores}
    pa, pb = a.predictions(), b.predictions()
    assert list(pa["item_id"]) == list(pb["item_id"]) and len(pa) == n
    assert [json.dumps(p, sort_keys=True) for p in pa["prediction"]] == [
        json.dumps(p, sort_keys=True) for p in pb["prediction"]
    ]


@pytest.mark.parametrize("kind,opts,seed", [("oai-chat", {}, 11), ("oai-completions", {"loglik": "llamacpp"}, 2)])
def test_retried_faults_leave_the_direct_answers(gemma_server, task_file, tmp_path, kind, opts, seed):
    """Chat generation, and log-likelihood through llama.cpp's /tokenize, /props and /completions:
    up to 3 faults in a row per request, then it gets through."""
    direct = run(f"{kind}:{gemma_server}/v1#gemma", task_file, tmp_path, "direct", **opts)
    with FaultProxy(gemma_server + "/v1", seed=seed, rate=0.8, max_faults=3) as proxy:
        faulty = run(f"{kind}:{proxy.url}#gemma", task_file, tmp_path, "faulty", **opts)
    assert direct.errors == 0 and faulty.errors == 0
    same_run(direct, faulty, 6)
    assert set(proxy.injected) == set(LM_FAULTS), proxy.injected  # every kind of fault was met


def test_persistent_faults_are_error_rows_exit_1_and_a_summary(gemma_server, task_file, tmp_path):
    """Generation through /completions; the prompt of one item meets a 503 on every attempt, that of
    another an answer without its text: those two are error rows, the rest are the direct answers."""

    def persistent(body):
        prompt = str(body.get("prompt", ""))
        return "503" if "The road was wet." in prompt else "missing" if "Sie hatte Durst." in prompt else None

    opts = {"loglik": "none"}
    direct = run(f"oai-completions:{gemma_server}/v1#gemma", task_file, tmp_path, "direct", **opts)
    with FaultProxy(gemma_server + "/v1", seed=4, rate=0.5, max_faults=2, persistent=persistent) as proxy:
        res = run_cli(f"oai-completions:{proxy.url}#gemma", {**RETRY, **opts}, task_file, tmp_path / "faulty", 900)
    assert res.returncode == 1, res.stderr[-3000:]
    err = " ".join(res.stderr.split())
    assert "2 items ended with errors" in err
    assert "failed: tiny-copa eng_Latn item 1: " in err and "failed: tiny-copa deu_Latn item 2: " in err
    assert "HTTP 503" in err and "malformed response" in err
    got = xling.Results.load(tmp_path / "faulty").predictions().set_index(["language", "item_id"])
    want = direct.predictions().set_index(["language", "item_id"])
    assert sorted(got[got["error"].notna()].index) == [("deu_Latn", "2"), ("eng_Latn", "1")]
    ok = got[got["error"].isna()].index
    assert len(ok) == 4
    assert [json.dumps(p, sort_keys=True) for p in got.loc[ok, "prediction"]] == [
        json.dumps(p, sort_keys=True) for p in want.loc[ok, "prediction"]
    ]
    assert proxy.injected["503"] == 5 and proxy.injected["missing"] >= 5  # 5 attempts each


@pytest.mark.parametrize("fault", ["stall", "drip"])
def test_a_server_that_stalls_or_drips_ends_in_an_error(gemma_server, fault):
    """``timeout`` bounds each attempt and ``deadline`` the request: a server that never answers,
    or sends its (real) answer a byte every 0.3 s, gives an error row, never a hang. The real
    answer is generated first without a tight deadline and replayed by the proxy, so that the
    drip starts at once, however long the generation takes on a loaded machine."""
    armed = threading.Event()
    with FaultProxy(
        gemma_server + "/v1", drip_s=0.3, replay=True, persistent=lambda body: fault if armed.is_set() else None
    ) as proxy:
        spec = f"oai-chat:{proxy.url}#gemma"
        warm = load_model(spec, RETRY)
        (answer,) = warm.generate(["Say hello."], stop=[], max_tokens=4)
        warm.close()
        assert not isinstance(answer, ItemError), answer
        armed.set()
        lm = load_model(spec, {"retries": 5, "backoff": 0.01, "timeout": 2, "deadline": 6})
        (out,) = lm.generate(["Say hello."], stop=[], max_tokens=4)
        lm.close()
    assert isinstance(out, ItemError)
    assert ("timed out" if fault == "stall" else "within the deadline") in str(out)
    assert 1 <= proxy.injected[fault] <= 3  # the deadline (6 s) cut the retries short of 6 attempts
