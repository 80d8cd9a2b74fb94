"""A limited read of a task's items: the first N, or a seeded sample of N (the default of ``--limit``).

The sample picks the N items whose parallel keys hash lowest under the seed, so the translations
of one item are picked together in every language (consistency and paired tests still pair
items); where the task declares labels, each label gets its share of N (largest remainders), so a
file sorted by label still yields every label. Reading streams: memory holds at most N items per
label, and the items come out in file order.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable

from ..types import Item

LIMIT_MODES: tuple[str, ...] = ("sample", "first")


def sample_key(seed: int, parallel_id: str) -> int:
    """The rank of an item in the seeded sample: the same in every language for one parallel id."""
    digest = hashlib.blake2b(f"{seed}\x1f{parallel_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def quotas(counts: dict, n: int) -> dict:
    """Each stratum's share of ``n`` items, proportional to its count (largest remainders; ties by
    the stratum's first appearance), never more than it holds."""
    total = sum(counts.values())
    if n >= total:
        return dict(counts)
    exact = {k: n * c / total for k, c in counts.items()}
    out = {k: int(v) for k, v in exact.items()}
    order = sorted(counts, key=lambda k: -(exact[k] - out[k]))
    for k in order[: n - sum(out.values())]:
        out[k] += 1
    return out


def seeded_sample(items: Iterable[Item], n: int, seed: int, *, stratify: bool) -> list[Item]:
    """``n`` items of ``items`` (all of them when there are fewer), chosen by :func:`sample_key`,
    per gold label when ``stratify``; in the order they came."""
    heaps: dict = {}  # stratum -> max-heap (negated keys) of its n lowest-ranked items
    counts: Counter = Counter()
    for pos, it in enumerate(items):
        stratum = _stratum(it) if stratify else None
        counts[stratum] += 1
        entry = (-sample_key(seed, it.parallel_id), -pos, it)
        heap = heaps.setdefault(stratum, [])
        if len(heap) < n:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)
    chosen = []
    for stratum, k in quotas(dict(counts), n).items():
        chosen += heapq.nlargest(k, heaps[stratum])
    return [it for _, _, it in sorted(chosen, key=lambda e: -e[1])]


def _stratum(item: Item) -> str | None:
    gold = item.gold
    return gold if isinstance(gold, str) else (str(gold) if isinstance(gold, int) else None)
