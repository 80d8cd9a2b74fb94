"""Handing memory a phase freed back to the operating system before the next phase."""

from __future__ import annotations

import ctypes
import gc


def give_back_freed_memory() -> None:
    """Collect garbage and ask the C library to return its free heap pages (glibc's
    ``malloc_trim``): Python frees the model phase's objects, but glibc keeps their pages for
    reuse, so a million items' scoring would start above the memory it needs. Without glibc,
    nothing happens."""
    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
