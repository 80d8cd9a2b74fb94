"""Named points where the kill -9 tests cut the power.

``XLING_CRASH_AT=NAME:N[,NAME:N...]`` makes the process SIGKILL itself the Nth time it passes
``crash_point(NAME)`` (no cleanup, no flush: the same as a power cut at that instant). Without the
variable, which is how every real run works, a crash point costs one comparison.

The points sit where a crash is most dangerous: inside the store's and the cache's transactions
before they commit, just after they commit, mid-batch after the model answered but before the
answer is cached, and between the last unit and the result files.
"""

from __future__ import annotations

import os
import signal

ENV = "XLING_CRASH_AT"
POINTS = (
    "cache.in_transaction",  # a batch of responses inserted, not committed
    "cache.committed",  # a batch of responses committed
    "client.mid_batch",  # the model answered a batch; nothing of it cached yet
    "store.in_transaction",  # a unit's rows inserted, its done-mark not yet, not committed
    "store.committed",  # a unit committed with its done-mark
    "run.units_done",  # every unit stored; no result file written yet
    "results.parquet_written",  # predictions.parquet written; results.json not yet
)

_plan: dict[str, int] | None = None
_seen: dict[str, int] = {}


def _parse(text: str) -> dict[str, int]:
    plan = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.rpartition(":")
        if name not in POINTS or not count.isdigit() or int(count) < 1:
            raise ValueError(f"{ENV}={text!r}: expected NAME:N[,NAME:N...] with NAME one of {', '.join(POINTS)}")
        plan[name] = int(count)
    return plan


def crash_point(name: str) -> None:
    """SIGKILL this process if ``$XLING_CRASH_AT`` asks for it at this pass of ``name``."""
    global _plan
    if _plan is None:
        _plan = _parse(os.environ.get(ENV, ""))
    if not _plan or name not in _plan:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == _plan[name]:
        os.kill(os.getpid(), signal.SIGKILL)
