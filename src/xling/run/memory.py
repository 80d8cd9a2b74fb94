"""Handing memory a phase freed back to the operating system before the next phase."""

from __future__ import annotations

import ctypes
import gc
import sys


def give_back_freed_memory() -> None:
    """Collect garbage and ask the allocators to return their free pages: Arrow's pool (where
    pandas keeps text) and the C library's heap (glibc's ``malloc_trim``; without glibc, that
    step does nothing). Python frees the model phase's objects, but the allocators keep their
    pages for reuse, so a million items' scoring would start above the memory it needs."""
    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
