"""Where the built-in catalog's task files are (one YAML per benchmark)."""

from __future__ import annotations

from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"


def catalog_files() -> list[Path]:
    """The catalog's task files, by name."""
    return sorted(CATALOG_DIR.glob("*.yaml"))
