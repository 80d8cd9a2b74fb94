import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Subprocesses (`python -m xling`) import this checkout's code, not another installed copy.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own response cache unless it passes one explicitly."""
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


def xling_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "xling", *args]


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory):
    """Where the dequantised e5 model is built once per session ($XLING_MODEL_DIR if set)."""
    return Path(os.environ.get("XLING_MODEL_DIR") or tmp_path_factory.mktemp("models"))
