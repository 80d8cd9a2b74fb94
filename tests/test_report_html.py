"""The HTML report: a real run over >= 5 languages, opened in headless Chromium (offline flags)."""

import json
import re
import shutil
from pathlib import Path

import pytest

from helpers.chromium import PAYLOAD, browse, external_references
from helpers.cli import ROOT, xling_in_process

LANGS = "eng_Latn,deu_Latn,swh_Latn,yor_Latn,amh_Ethi,zho_Hans"

INJECT_TASK = """\
name: inject-topics
description: Items whose text holds markup, to check that reports show dataset text as text.
kind: classification
metric: accuracy
languages: [eng_Latn, deu_Latn, swh_Latn]
source_language: eng_Latn
eval_split: test
train_split: train
fields: {text: text}
id: id
gold: topic
labels: [sport, food]
parallel_key: id
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, format: tsv, path: "{split}/{language}.tsv"}
"""
TRAIN = [
    "The match ended with a late goal.",
    "He trains at the stadium every day.",
    "The runners crossed the finish line.",
    "Bake the bread for forty minutes.",
    "This soup needs more salt and pepper.",
    "We ate rice with beans for dinner.",
]


def write_inject_task(folder: Path) -> Path:
    (folder / "train").mkdir(parents=True)
    (folder / "test").mkdir()
    (folder / "train" / "eng_Latn.tsv").write_text(
        "id\ttopic\ttext\n" + "".join(f"t{i}\t{'sport' if i < 3 else 'food'}\t{s}\n" for i, s in enumerate(TRAIN)),
        "utf-8",
    )
    for lang in ("eng_Latn", "deu_Latn", "swh_Latn"):
        # The same text under two golds: the item is right in English or wrong there, never both -> it flips.
        gold = "sport" if lang == "eng_Latn" else "food"
        (folder / "test" / f"{lang}.tsv").write_text(
            f"id\ttopic\ttext\nx1\t{gold}\t{PAYLOAD}\nx2\tfood\tThe cake tastes of lemon and honey.\n", "utf-8"
        )
    spec = folder / "inject.yaml"
    spec.write_text(INJECT_TASK, "utf-8")
    return spec


@pytest.fixture(scope="module")
def report_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report")
    spec = write_inject_task(base / "inject")
    run_dir = base / "run"
    res = xling_in_process(
        "run",
        "--tasks",
        "demo-topics,demo-bitext",
        "--task-file",
        str(spec),
        "--languages",
        LANGS,
        "--limit",  # the demo's flipped items stay below the browser's MAX_FLIPS, so the injected one is listed
        "20",
        "--output",
        str(run_dir),
        "-q",
    )
    assert res.returncode == 0, res.stderr
    res = xling_in_process("report", str(run_dir), "--task-file", str(spec))
    assert res.returncode == 0 and "report.html" in res.stdout, res.stderr
    return run_dir


def test_report_opens_offline_with_no_console_messages_and_escapes_dataset_text(chromium, report_run, tmp_path):
    page = report_run / "report.html"
    html = page.read_text("utf-8")
    assert external_references(html) == []  # everything inline: opens with no network
    assert PAYLOAD not in html
    res = browse(chromium, page, tmp_path, "--dump-dom")
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = res.stdout
    # plotly ran: every figure div got its SVG, the first (the heatmap) holds a heatmap layer
    figs = re.findall(r'<div class="fig[^"]*" id="fig-(\d+)"', dom)
    assert len(figs) >= 8
    heat = dom[dom.index('id="fig-0"') :]
    assert 'class="main-svg"' in heat[:20000] and 'class="hm"' in heat[:200000]
    # the injected markup is shown as text in the flipped-items browser, never as elements
    assert '&lt;script&gt;console.error("xss-script-ran")&lt;/script&gt;&lt;img src=x onerror=' in dom
    assert "<img" not in dom
    assert "xss-script-ran" not in res.stderr and "xss-img-ran" not in res.stderr


def test_report_screenshot_shows_the_heatmap(chromium, report_run, tmp_path):
    shot = tmp_path / "report.png"
    res = browse(chromium, report_run / "report.html", tmp_path, "--window-size=1300,1100", f"--screenshot={shot}")
    assert shot.is_file(), res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 40_000  # a rendered page, not a blank one
    keep = ROOT / "tests" / "_artifacts"
    keep.mkdir(exist_ok=True)
    shutil.copy(shot, keep / "report.png")  # for a human to look at (git-ignored)


def test_report_md_and_results_carry_the_new_analyses(report_run):
    md = (report_run / "report.md").read_text("utf-8")
    assert "Cross-lingual consistency" in md and "by family" in md
    assert PAYLOAD not in md
    data = json.loads((report_run / "results.json").read_text("utf-8"))
    a = data["analyses"]
    assert {"consistency", "grouped_averages", "languages"} <= set(a)
    assert len({s["language"] for s in data["scores"] if s["task"] == "demo-topics"}) >= 5
    inject = [
        c
        for c in a["consistency"]
        if c["task"] == "inject-topics" and c["language_a"] == "deu_Latn" and c["language_b"] == "eng_Latn"
    ]
    assert inject and inject[0]["flips"] >= 1
