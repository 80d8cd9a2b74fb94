"""How the C library's heap serves each phase: freed blocks kept for reuse while a model computes,
handed back to the operating system before the next phase."""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# glibc's mallopt parameters
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
_KEEP_FREED_BYTES = 2**31 - 1  # mallopt takes an int
_MAP_ABOVE_BYTES, _TRIM_ABOVE_BYTES, _DEFAULT_MMAP_MAX = 32 * 2**20, 64 * 2**20, 65536


def _libc():
    try:
        lib = ctypes.CDLL(None)
        return lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else None
    except OSError:
        return None


def keep_freed_blocks() -> bool:
    """From now on the C library keeps freed blocks for reuse (see :func:`freed_blocks_reused`);
    for a process that only runs a model. False without glibc."""
    lib = _libc()
    if lib is None:
        return False
    lib.mallopt(_M_MMAP_MAX, 0)
    lib.mallopt(_M_TRIM_THRESHOLD, _KEEP_FREED_BYTES)
    return True


@contextmanager
def freed_blocks_reused() -> Iterator[None]:
    """While a model computes, the C library keeps the blocks freed for reuse.

    glibc maps each block above a threshold (128 KB, rising to at most 32 MB) on its own and
    unmaps it when freed, so each forward pass's large activations and logits (a 262k-token
    vocabulary's logits for 256 rows are 268 MB) start from fresh pages, every one a page fault
    the kernel must zero. Inside this block nothing is mapped on its own and freed memory is not
    trimmed, so a pass reuses the previous pass's pages; on leaving, large blocks are mapped again
    (above 32 MB, trimmed above 64 MB: where glibc's own adaptive thresholds end) and the kept
    pages are handed back (:func:`give_back_freed_memory`).
    Without glibc this does nothing."""
    if not keep_freed_blocks():
        yield
        return
    lib = _libc()
    try:
        yield
    finally:
        lib.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        lib.mallopt(_M_MMAP_THRESHOLD, _MAP_ABOVE_BYTES)
        lib.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE_BYTES)
        give_back_freed_memory()


def give_back_freed_memory() -> None:
    """Collect garbage and ask the allocators to return their free pages: Arrow's pool (where
    pandas keeps text) and the C library's heap (glibc's ``malloc_trim``; without glibc, that
    step does nothing). Python frees the model phase's objects, but the allocators keep their
    pages for reuse, so a million items' scoring would start above the memory it needs."""
    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)
