"""Where xling keeps what it can recompute: ``$XLING_CACHE_DIR``, else ``~/.cache/xling``."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "XLING_CACHE_DIR"


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    return Path(os.environ.get(CACHE_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "xling"))
