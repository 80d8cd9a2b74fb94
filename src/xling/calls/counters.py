"""What a run asked of its models, counted by the cached clients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields


@dataclass
class CallStats:
    """What a run asked of its model, for the summary and results.json (numbers only: the
    executors add up the stats of several workers)."""

    requests: int = 0  # texts asked for, with repeats
    unique: int = 0  # distinct requests
    cache_hits: int = 0  # served from the response cache
    cache_hits_this_run: int = 0  # of those, answers computed earlier in this invocation (another unit asked too)
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
    # Fine-tuning kinds only (None, and left out of as_dict, when nothing was fine-tuned):
    finetune_trained: int | None = None  # models trained
    finetune_reused: int | None = None  # trained models found in the checkpoint cache
    frozen_bottom_cached: bool | None = None  # whether the frozen bottom layers' outputs were reused
    # Generation kinds only (None when nothing was generated):
    max_tokens_hit: int | None = None  # generations that reached their token limit (perhaps cut off)

    def as_dict(self) -> dict:
        """The counters in declaration order, without those of work that did not run."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def add(self, counts: Mapping[str, object]) -> None:
        """Add the counters of a worker or an invocation (an :meth:`as_dict`) to these; a flag
        (``frozen_bottom_cached``) takes the value it has there. Names this version does not
        count are ignored."""
        known = {f.name for f in fields(self)}
        for name, value in counts.items():
            if name not in known:
                continue
            if isinstance(value, dict):
                bucket = getattr(self, name)
                for k, v in value.items():
                    bucket[k] = bucket.get(k, 0) + v
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                setattr(self, name, (getattr(self, name) or 0) + value)
            else:
                setattr(self, name, value)
