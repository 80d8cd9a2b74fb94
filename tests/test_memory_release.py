"""While a model computes, freed blocks are kept for reuse; between the model phase and scoring,
the memory Python freed goes back to the operating system."""

import ctypes
import json
import platform
import resource
import sys

import pytest

from helpers.parallel_choice import TASK
from helpers.scripted_lm import ScriptedBothLM, register_both
from xling.run.memory import freed_blocks_reused, give_back_freed_memory

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


BLOCK_PAGES = 256 * 2**20 // 4096  # larger than any free chunk an earlier test leaves


def faults_of_a_fresh_block() -> int:
    """Minor page faults of filling a 256 MB block from malloc after one like it was freed: a block
    mapped on its own faults on every page, a reused one on none."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = BLOCK_PAGES * 4096
    libc.free(ctypes.memset(libc.malloc(size), 1, size))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    libc.free(ctypes.memset(libc.malloc(size), 1, size))
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def mapped_on_its_own() -> bool:
    """Whether malloc maps a 256 MB block on its own (glibc marks such a chunk's size field with
    IS_MMAPPED, bit 1, in the word before the pointer)."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    block = libc.malloc(BLOCK_PAGES * 4096)
    try:
        return bool(ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value & 2)
    finally:
        libc.free(block)


def test_large_blocks_are_reused_inside_and_mapped_again_after():
    assert faults_of_a_fresh_block() > BLOCK_PAGES / 2 and mapped_on_its_own()
    with freed_blocks_reused():
        assert faults_of_a_fresh_block() < BLOCK_PAGES / 8 and not mapped_on_its_own()
    assert faults_of_a_fresh_block() > BLOCK_PAGES / 2 and mapped_on_its_own()


def test_a_run_computes_its_units_with_freed_blocks_reused(tmp_path, monkeypatch):
    from xling.run.runner import evaluate

    for lang in ("eng_Latn", "deu_Latn"):
        (tmp_path / lang).mkdir()
        rows = [{"id": i, "premise": f"{lang} {i}", "a": "x", "b": "y", "c": "z", "label": 0} for i in range(3)]
        (tmp_path / lang / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "task.yaml").write_text(TASK.format(languages="eng_Latn, deu_Latn"), encoding="utf-8")
    register_both(monkeypatch)
    seen = []
    ScriptedBothLM.loglik_script = staticmethod(lambda c, x: seen.append(faults_of_a_fresh_block()) or -1.0)
    monkeypatch.setenv("XLING_DATA_DIR", str(tmp_path))
    evaluate("scripted-loglik", task_files=[tmp_path / "task.yaml"], output=tmp_path / "run", cache_path=tmp_path / "c")
    assert len(seen) == 2 * 3 * 3 and max(seen) < BLOCK_PAGES / 8
    assert faults_of_a_fresh_block() > BLOCK_PAGES / 2  # scoring and what follows: mapped again
