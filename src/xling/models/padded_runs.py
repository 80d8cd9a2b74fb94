"""Splitting sequences, longest first, into padded passes through a model: each pass pads its
sequences to its first (longest) one, so consecutive lengths share a pass and a pass ends where
it would outgrow the token budget or waste too much on padding."""

from __future__ import annotations

WASTE = 0.125  # a pass ends once padding would pass this share of its tokens ...
MIN_TOKENS = 256  # ... and it holds this many: smaller passes make small, slow products


def padded_runs(lengths: list[int], budget: int, *, waste: float = WASTE, min_tokens: int = MIN_TOKENS) -> list[range]:
    """Consecutive runs of ``lengths`` (sorted longest first): every run's padded tokens (its size
    x its first length) within ``budget`` unless one sequence alone is longer; a run ends early
    where its padding would pass ``waste`` of its padded tokens, once it holds ``min_tokens``."""
    out: list[range] = []
    start, real = 0, 0
    for k, n in enumerate(lengths):
        if k > start:
            width = lengths[start]
            padded = (k - start + 1) * width
            wasteful = padded - (real + n) > waste * padded and (k - start) * width >= min_tokens
            if padded > budget or wasteful:
                out.append(range(start, k))
                start, real = k, 0
        real += n
    if lengths:
        out.append(range(start, len(lengths)))
    return out
