"""An offline folder laid out like Hugging Face Hub repos, read through ``$XLING_HUB_MIRROR``."""

from __future__ import annotations

from pathlib import Path


def offline_mirror(tmp_path: Path, monkeypatch) -> Path:
    """The mirror's root (empty; tests write repos under it), with every network path of
    ``datasets`` and ``huggingface_hub`` switched off and no data directory set."""
    root = tmp_path / "hub"
    monkeypatch.setenv("XLING_HUB_MIRROR", str(root))
    monkeypatch.delenv("XLING_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return root
