"""What a first-time user sees around a run: progress off a terminal, closing lines that point to
report.html, counters that say where cache hits came from, a readable report.md, no empty run
folder after an early failure, fast and clear errors offline, the one-time GGUF conversion."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from helpers.cli import ROOT, xling_in_process
from helpers.embed import TrigramBackend
from xling.calls.cache import ResponseCache
from xling.calls.embed import EmbedClient
from xling.errors import UserError
from xling.run.progress import LogReporter, RichReporter, reporter_for
from xling.types import Unit

UNIT = Unit("sib200", "zero-shot", "swh_Latn")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_carry_units_rates_and_an_eta_every_n_seconds():
    clock, stream = Clock(), io.StringIO()
    rep = LogReporter(4, stream, every=10, clock=clock)
    rep.advance_unit(None, skipped=True)  # resumed from an earlier invocation
    rep.start_unit(UNIT)
    clock.now += 5
    rep.advance_texts(50)  # under 10 s since the last line: no line
    assert stream.getvalue().splitlines() == ["progress: 4 units to run"]
    clock.now += 5
    rep.advance_texts(50)
    rep.advance_unit(UNIT)
    clock.now += 10
    rep.advance_texts(0)
    lines = stream.getvalue().splitlines()
    assert lines[1] == (
        "progress: 1/4 units (25%), 1 resumed, 100 model calls (10.0/s), elapsed 0:10, ETA –; "
        "now sib200 zero-shot swh_Latn"
    )
    # one unit done in 20 s, two left: 40 s
    assert lines[2] == (
        "progress: 2/4 units (50%), 1 resumed, 100 model calls (5.0/s), elapsed 0:20, ETA 0:40; "
        "now sib200 zero-shot swh_Latn"
    )
    rep.close()
    assert (
        stream.getvalue().splitlines()[-1] == "done: 2/4 units (50%), 1 resumed, 100 model calls (5.0/s), elapsed 0:20"
    )


def test_a_terminal_gets_the_bar_anything_else_log_lines():
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(reporter_for(piped, 1)(3), LogReporter)
    tty = Console(file=io.StringIO(), force_terminal=True)
    bar = reporter_for(tty, 1)(3)
    assert isinstance(bar, RichReporter)
    bar.close()


@pytest.mark.slow  # a fresh interpreter and a real model
def test_xling_run_in_a_pipe_logs_progress_to_stderr(tmp_path):
    """A subprocess with stdout and stderr piped (CI, nohup): progress lines, not silence."""
    res = subprocess.run(
        [sys.executable, "-m", "xling", "run", "-l", "swh_Latn", "--limit", "3", "--progress-seconds", "0"]
        + ["--output", str(tmp_path / "run"), "--cache", str(tmp_path / "cache.sqlite"), "--no-html"],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert res.returncode == 0, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.startswith(("progress:", "done:"))]
    assert lines[0] == "progress: 4 units to run"
    assert any(re.match(r"progress: \d/4 units .* model calls \(\d+\.\d/s\), elapsed \d+:\d\d, ETA ", x) for x in lines)
    assert re.match(r"done: 4/4 units \(100%\), \d+ model calls", lines[-1])
    assert "demo-bitext: adds eng_Latn" in res.stderr.split("progress: 4 units to run")[0]  # said before the run
    assert "progress" not in res.stdout


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("first")
    res = xling_in_process(
        "run", "-q", "-l", "swh_Latn,yor_Latn", "--limit", "4", "--output", str(work / "run"),
        "--cache", str(work / "cache.sqlite"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return work / "run", res


def test_the_closing_lines_name_report_html_report_md_results_json_and_the_run_directory(small_run):
    run_dir, res = small_run
    assert (run_dir / "report.html").is_file()  # written by `xling run` itself
    tail = res.stdout[res.stdout.index("run directory:") :]
    assert f"run directory: {run_dir.resolve()}" in tail
    assert (run_dir / "report.html").resolve().as_uri() in tail
    assert "report.md" in tail and "results.json" in tail


def test_no_html_says_which_command_writes_it(tmp_path):
    res = xling_in_process("run", "-q", "-t", "demo-topics", "-l", "swh_Latn", "--limit", "2", "--no-html")
    assert res.returncode == 0, res.stderr
    assert "report.html" in res.stdout and "`xling report " in res.stdout


def test_cache_hits_say_whether_they_came_from_this_run_or_an_earlier_one(small_run):
    run_dir, res = small_run
    calls = json.loads((run_dir / "results.json").read_text())["run"]["calls"]
    # an empty cache: every hit is an answer another unit of this run computed (English sentences)
    assert calls["cache_hits"] > 0 and calls["cache_hits_this_run"] == calls["cache_hits"]
    assert f"0 saved by earlier runs, {calls['cache_hits']} computed earlier in this run" in res.stdout


def test_hits_from_an_earlier_run_and_from_this_one_are_counted_apart(tmp_path):
    earlier = ResponseCache(tmp_path / "c.sqlite")
    EmbedClient(TrigramBackend(), earlier).embed(["a cat", "a dog"], "query")
    earlier.close()
    client = EmbedClient(TrigramBackend(), ResponseCache(tmp_path / "c.sqlite"))
    client.embed(["a cat", "a bird", "a bird"], "query")  # 1 earlier hit, 1 sent; the repeat merged
    client.embed(["a dog", "a bird"], "query")  # 1 earlier hit, 1 hit from this run
    s = client.stats
    assert (s.cache_hits, s.cache_hits_this_run, s.model_calls, s.requests - s.unique) == (3, 1, 1, 1)


def test_report_md_is_a_summary_with_the_pairs_in_an_appendix(small_run):
    run_dir, _ = small_run
    md = (run_dir / "report.md").read_text("utf-8")
    assert "&gt;" not in md and "&lt;" not in md and "## demo-bitext — eng->xx" in md
    assert re.search(r"- ran \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC to .* UTC \((\d+ min )?\d+ s\)", md)
    assert "| eng_Latn | English | " in md and re.search(
        r"\| eng_Latn \| English \| [\d.]+ \| \S+ \S+ \| source \|", md
    )
    bitext = md[md.index("## demo-bitext — eng->xx") : md.index("## demo-bitext — xx->eng")]
    assert "has no score of its own" in bitext  # why its gap cells are dashes
    appendix = md.index("## Appendix: language pairs")
    assert md.index("## Languages") < appendix and "swh_Latn – yor_Latn" in md[appendix:]
    summary = md[md.index("## Cross-lingual consistency") : md.index("## Languages")]
    assert "| task | setting | pairs | mean agreement |" in summary and "swh_Latn – yor_Latn |" not in summary


def test_markdown_escapes_pipes_and_tags_but_not_arrows():
    from xling.report.markdown import _md_escape

    assert _md_escape("eng->xx | <b>") == "eng->xx \\| \\<b>"


def test_report_html_holds_plotly_once_packed_and_one_shared_template(small_run):
    from plotly.offline import get_plotlyjs

    from xling.report.html import PLOTLY_TEMPLATE, _fig_json, heatmap
    from xling.results import Results

    page = (small_run[0] / "report.html").read_text("utf-8")
    assert page.count('id="plotly-gz"') == 1 and page.count('id="fig-template"') == 1
    assert len(page) < len(get_plotlyjs()) / 2
    assert '"template"' not in page.split('id="fig-template"')[1]
    fig = heatmap(Results.load(small_run[0]).to_pandas())
    assert fig.layout.template is not None and PLOTLY_TEMPLATE
    assert "template" not in json.loads(_fig_json(fig))["layout"]


def test_consistency_heatmap_rows_run_in_the_order_of_its_columns():
    import pandas as pd

    from xling.report.html import consistency_matrix

    rows = pd.DataFrame(
        [
            {
                "language_a": a,
                "language_b": b,
                "agreement": 80.0,
                "agree_correct": 70.0,
                "kappa": 0.5,
                "flips": 1,
                "n": 9,
            }
            for a, b in [("deu_Latn", "eng_Latn"), ("deu_Latn", "swh_Latn"), ("eng_Latn", "swh_Latn")]
        ]
    )
    fig = consistency_matrix(rows, "t", "s")
    assert list(fig.data[0].x) == list(fig.data[0].y)
    assert fig.layout.yaxis.autorange == "reversed"  # first row at the top, as the first column at the left


class Boom(Exception):
    pass


def _fail_on(event: str, after: int = 0):
    """A progress factory whose reporter raises at the ``after``-th ``event`` (start or done)."""
    seen = {"start": 0, "done": 0}

    class Failing:
        def __init__(self, n):
            pass

        def start_unit(self, unit):
            seen["start"] += 1
            if event == "start" and seen["start"] > after:
                raise Boom

        def advance_unit(self, unit, skipped=False):
            seen["done"] += 1
            if event == "done" and seen["done"] > after:
                raise Boom

        def advance_texts(self, n):
            pass

        def close(self):
            pass

    return Failing


@pytest.mark.parametrize("output", ["given", "default"])
def test_a_run_that_fails_before_any_unit_leaves_no_run_folder(tmp_path, monkeypatch, output):
    import xling

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "new" / "run" if output == "given" else None
    with pytest.raises(Boom):
        xling.evaluate(
            tasks=["demo-topics"], languages=["swh_Latn"], limit=2, output=out,
            cache_path=tmp_path / "c.sqlite", progress=_fail_on("start"),
        )  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite"]


def test_a_failed_run_removes_only_what_it_made(tmp_path, monkeypatch):
    """Another run's folder that appeared beside it, inside the folders this run created, stays."""
    import xling

    out = tmp_path / "new" / "runs" / "mine"

    class Failing(_fail_on("start")):
        def __init__(self, *args):
            super().__init__(*args)
            (tmp_path / "new" / "runs" / "theirs").mkdir()  # another run, started meanwhile
            (tmp_path / "new" / "runs" / "theirs" / "results.json").write_text("{}")

    with pytest.raises(Boom):
        xling.evaluate(
            tasks=["demo-topics"], languages=["swh_Latn"], limit=2, output=out,
            cache_path=tmp_path / "c.sqlite", progress=Failing,
        )  # fmt: skip
    assert not out.exists() and (tmp_path / "new" / "runs" / "theirs" / "results.json").is_file()


def test_a_run_that_stored_a_unit_keeps_its_folder_for_resume(tmp_path):
    import xling

    out = tmp_path / "run"
    with pytest.raises(Boom):
        xling.evaluate(
            tasks=["demo-topics"], languages=["swh_Latn"], limit=2, output=out,
            cache_path=tmp_path / "c.sqlite", progress=_fail_on("done"),
        )  # fmt: skip
    from xling.run.rundir import has_units

    assert has_units(out)
    res = xling.evaluate(
        tasks=["demo-topics"], languages=["swh_Latn"], limit=2, output=out, cache_path=tmp_path / "c.sqlite"
    )
    assert res.data["run"]["calls"]["units_resumed"] == 1


def test_an_existing_output_folder_is_never_removed(tmp_path):
    import xling

    out = tmp_path / "mine"
    out.mkdir()
    with pytest.raises(Boom):
        xling.evaluate(
            tasks=["demo-topics"], languages=["swh_Latn"], limit=2, output=out,
            cache_path=tmp_path / "c.sqlite", progress=_fail_on("start"),
        )  # fmt: skip
    assert out.is_dir()


def test_the_python_api_says_where_it_writes_the_run(tmp_path, monkeypatch, caplog):
    import xling

    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="xling"):
        res = xling.evaluate(tasks=["demo-topics"], languages=["swh_Latn"], limit=2, cache_path=tmp_path / "c.sqlite")
    (start,) = [r for r in caplog.records if "writing the run to" in r.getMessage()]
    assert start.levelno == logging.WARNING  # no output= given: shown even with logging not set up
    assert str(res.run_dir.resolve()) in start.getMessage() and str(tmp_path / "runs") in start.getMessage()


def test_a_mistyped_model_alias_suggests_the_alias():
    from xling.models import load_model
    from xling.models.model_files import resolve_gguf

    with pytest.raises(UserError, match="Did you mean 'gemma3-270m'"):
        load_model("hf:gemma3-27b")
    with pytest.raises(UserError, match="Did you mean 'gemma3-270m'"):
        resolve_gguf("gemma3-27b")  # llamacpp:gemma3-27b


def _no_download(monkeypatch):
    import transformers

    def refuse(*a, **k):
        raise AssertionError("tried to load from the Hub")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", refuse)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", refuse)


def test_an_uncached_hub_model_offline_fails_before_any_download(monkeypatch, tmp_path):
    import huggingface_hub.constants

    from xling.models import load_model

    _no_download(monkeypatch)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match=r"not in the local Hugging Face cache.*HF_HUB_OFFLINE is set"):
        load_model("hf:someorg/some-model")


def test_an_unreachable_hub_fails_at_the_first_connection_failure(monkeypatch, tmp_path):
    import huggingface_hub.constants

    from xling.models import load_model

    _no_download(monkeypatch)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: connection refused
    with pytest.raises(UserError, match="out of reach here"):
        load_model("hf:someorg/some-model")


def test_a_cached_hub_model_loads_from_the_cache_only_when_the_hub_is_out_of_reach(monkeypatch, tmp_path):
    import huggingface_hub.constants

    from xling.models.hub_access import check_hub_model

    snap = tmp_path / "hub" / "models--someorg--some-model" / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (snap.parents[1] / "refs").mkdir()
    (snap.parents[1] / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert check_hub_model("someorg/some-model") is True
    with pytest.raises(UserError):
        check_hub_model("someorg/other-model")
    assert check_hub_model(str(snap)) is False  # a local directory needs no Hub
    with pytest.raises(UserError, match="model directory '/no/such/model' does not exist"):
        check_hub_model("/no/such/model")  # a path, never taken for a Hub id


def test_the_one_time_gguf_conversion_says_so_step_by_step(caplog, tmp_path):
    from xling.models.model_files import ConversionSteps

    with caplog.at_level(logging.WARNING, logger="xling"):
        step = ConversionSteps(Path("gemma.gguf"), tmp_path / "out")
        step("reading the tokenizer")
        step.done()
    text = [r.getMessage() for r in caplog.records]
    assert "converting gemma.gguf to a transformers model once" in text[0] and "11 minutes" in text[0]
    assert re.match(r"xling: conversion step 1/4 \(0 min \d+ s elapsed\): reading the tokenizer", text[1])
    assert text[2].startswith("xling: conversion done in")
