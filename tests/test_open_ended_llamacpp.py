"""MT-Bench-X end to end with a real judge: llama.cpp's server (started by the project's own
``python -m xling.models.serve_llamacpp``) serving Gemma-3-270M, as both the answering model and
the judge, through ``oai-chat:``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from helpers.servers import free_port, wait_until_healthy
from xling import evaluate
from xling.tasks import get_task

pytest.importorskip("xllamacpp")
pytestmark = [pytest.mark.slow, pytest.mark.data]


@pytest.fixture(scope="module")
def judge_server(gemma_gguf):
    """``scripts/serve-llamacpp.sh``'s server on a free port; its ``/v1`` URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xling.models.serve_llamacpp", str(gemma_gguf), "--port", str(port)]
        + ["--n-ctx", "2048", "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_healthy(proc, f"http://127.0.0.1:{port}/health", "the llama.cpp server", timeout=180)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=30)


def test_mt_bench_x_judged_by_a_real_llamacpp_server(tmp_path, shared_data, judge_server):
    spec = yaml.safe_load(get_task("mt_bench_x").spec_path.read_text("utf-8"))
    spec["options"] |= {"max_tokens": 24, "judge_max_tokens": 48}  # short answers and verdicts: CPU time
    task_file = tmp_path / "mt_bench_x.yaml"
    task_file.write_text(yaml.safe_dump(spec), "utf-8")
    model = f"oai-chat:{judge_server}#gemma"

    def once(name):
        return evaluate(
            model,
            task_files=[task_file],
            languages=["deu_Latn"],
            limit=1,
            data_dir=shared_data,
            output=tmp_path / name,
            judge={"spec": model, "language": "native"},
        )

    res = once("a")
    df = res.predictions()
    assert set(df["language"]) == {"eng_Latn", "deu_Latn"} and len(df) == 2
    for row in df.itertuples():
        turns = row.prediction["turns"]
        assert len(turns) == 2 and all(isinstance(t["raw"], str) for t in turns)
        replies = row.prediction["judge"]["replies"]
        # an empty answer is not judged (no reply) and rates 0; every other turn has the judge's text
        assert [r is None for r in replies] == [t.get("status") == "empty" for t in turns]
        if row.error is None or row.error != row.error:  # scored: each turn rated 1-10, or 0 when empty
            assert all(r == 0 or 1 <= r <= 10 for r in row.prediction["ratings"]) and 0 <= row.score <= 1
        else:
            assert "the judge gave no rating" in row.error or "outside 1-10" in row.error
    data = json.loads((res.run_dir / "results.json").read_text())
    judge = data["run"]["tasks"][0]["judge"]
    assert judge["spec"] == model and set(judge["prompts_sha256"]) == {"eng_Latn", "deu_Latn"}
    again = json.loads((once("b").run_dir / "results.json").read_text())["run"]["calls"]
    assert again["model_calls"] == 0 and again["cache_hits"] == again["unique"]  # answers and verdicts cached
