"""Between the model phase and scoring, the memory Python freed goes back to the operating system."""

import platform
import sys

import pytest

from xling.run.memory import give_back_freed_memory

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's"
)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def test_freed_heap_pages_are_returned():
    blocks = [bytes([i % 251]) * 2000 for i in range(100_000)]  # 200 MB in malloc's heap, not mmap'd
    keep = blocks[::50]  # a few survivors pin the top of the heap: free() alone returns nothing
    del blocks
    before = rss_mb()
    give_back_freed_memory()
    after = rss_mb()
    assert before - after > 100, (before, after)
    assert len(keep) == 2000
