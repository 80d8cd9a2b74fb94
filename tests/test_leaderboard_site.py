"""The leaderboard site in headless Chromium: tables built, text escaped, no network request."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from helpers import planted_lm
from helpers.chromium import PAYLOAD, browse, external_references
from helpers.cli import ROOT
from xling import evaluate
from xling.leaderboards import build, write_all


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    planted_lm.register(mp)
    base = tmp_path_factory.mktemp("site")
    spec = planted_lm.write_planted_task(base / "task", items=60)
    runs = [
        evaluate(m, task_files=[spec], output=base / m.replace(":", "-"), cache_path=base / "cache.sqlite")
        for m in ("planted:80-0", "planted:80-5", "planted:30-0")
    ]
    # markup in a model label (its options) and in the metadata reaches the page only as text
    runs.append(
        evaluate(
            "planted:50-0",
            task_files=[spec],
            model_options={"note": PAYLOAD},
            output=base / "payload",
            cache_path=base / "cache.sqlite",
        )
    )
    meta = base / "models.yaml"
    meta.write_text(
        yaml.safe_dump({"models": {"planted:80-0": {"licence": PAYLOAD, "training_datasets": ["planted-qa"]}}}), "utf-8"
    )
    board = build(runs, metadata=meta)
    write_all(board, base / "board")
    yield base / "board" / "index.html", board
    mp.undo()


def test_site_builds_its_tables_offline_and_shows_markup_as_text(chromium, site, tmp_path):
    page, board = site
    html = page.read_text("utf-8")
    assert PAYLOAD not in html and "<img" not in html
    # the page may load nothing: no reference in its markup, and a Content-Security-Policy under
    # which any request it tried would be refused with a console message (there is none)
    assert external_references(html) == [] and "default-src 'none'" in html
    res = browse(chromium, page, tmp_path, "--dump-dom")
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = res.stdout
    # the overall table: one row per model, in rank order, with rank intervals and tie groups
    board_table = dom[dom.index('id="board"') : dom.index('id="pairwise"')]
    models = re.findall(r'<tr(?: class="[^"]*")? data-model="([^"]+)"', board_table)
    assert models[:2] == sorted(["planted:80-0", "planted:80-5"]) and models[-1] == "planted:30-0"
    assert len(models) == 4
    assert "1–2" in board_table and "† trained on planted-qa" in board_table
    # tabs for every dimension, the pairwise matrix with shaded significant cells, the models table
    tabs = re.findall(r'<button data-dim="[^"]+"[^>]*>([^<]+)</button>', dom)
    assert tabs == ["Overall", "Languages (2)", "Tasks (1)", "Families (2)", "Scripts (1)", "Resource classes (2)"]
    assert dom.count('class="sig"') >= 2 and "Holm-Bonferroni" in dom
    assert '&lt;script&gt;console.error("xss-script-ran")&lt;/script&gt;&lt;img src=x onerror=' in dom
    assert "<img" not in dom
    assert "xss-script-ran" not in res.stderr and "xss-img-ran" not in res.stderr


def test_site_screenshot(chromium, site, tmp_path):
    page, _ = site
    shot = tmp_path / "leaderboard.png"
    res = browse(chromium, page, tmp_path, "--window-size=1300,1000", f"--screenshot={shot}")
    assert shot.is_file(), res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 40_000  # a rendered page, not a blank one
    keep = ROOT / "tests" / "_artifacts"
    keep.mkdir(exist_ok=True)
    shutil.copy(shot, keep / "leaderboard.png")
