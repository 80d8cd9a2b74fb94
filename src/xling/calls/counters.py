"""What a run asked of its models, counted by the cached clients."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CallStats:
    """What a run asked of its model, for the summary and results.json (numbers only: the
    executors add up the stats of several workers)."""

    requests: int = 0  # texts asked for, with repeats
    unique: int = 0  # distinct requests
    cache_hits: int = 0  # served from the response cache
    model_calls: int = 0  # sent to the model
    batches: int = 0
    over_long: int = 0  # distinct texts longer than the window (counted whether cached or not)
    truncated: int = 0  # of those, texts whose tail the model dropped (policy "truncate")
    empty: int = 0  # empty or blank texts (error rows, never sent); LM generations that came back empty
    invalid: int = 0  # NaN / all-zero outputs or vectors of the wrong size (not cached; the items get error rows)
    cache_damaged: int = 0  # cache entries that failed their checksum or size check (recomputed)
    probes: int = 0  # requests that learn a server's vector size (once per model and cache)
    failed: int = 0  # texts/requests that failed after the backend's retries (not cached; error rows)
    by_role: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}
