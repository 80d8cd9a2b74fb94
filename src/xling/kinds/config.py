"""The run's configuration: resolved once, then handed as one object to executors, workers and kinds."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..calls.cached import DEFAULT_BATCH_SIZE

__all__ = ["DEFAULT_BATCH_SIZE", "RunConfig"]
from ..errors import UserError
from ..prompts.judging import JudgeOptions
from ..prompts.protocols import ProtocolOptions
from ..tasks.sampling import LIMIT_MODES


@dataclass(frozen=True)
class RunConfig:
    """How a run's units run: LLM protocol options, batch size, ``--limit`` (evaluation items per
    language and split) with ``--limit-mode`` (``sample``: a seeded sample, the default; ``first``),
    ``--train-limit`` (training items, same mode), seed, whether heads may be fitted on partial
    training outputs, and the LLM judge of judged kinds. Frozen and picklable (Ray workers get a copy)."""

    protocol: ProtocolOptions = field(default_factory=ProtocolOptions)
    batch_size: int | None = None  # None: each client's own default (see LMClient)
    limit: int | None = None
    seed: int = 0
    limit_mode: str = "sample"
    train_limit: int | None = None
    allow_partial_training: bool = False  # fit heads on the items that have model outputs when some failed
    judge: JudgeOptions = field(default_factory=JudgeOptions)

    def __post_init__(self):
        if self.limit is not None and self.limit < 1:
            raise UserError(f"--limit must be at least 1, not {self.limit}")
        if self.train_limit is not None and self.train_limit < 1:
            raise UserError(f"--train-limit must be at least 1, not {self.train_limit}")
        if self.limit_mode not in LIMIT_MODES:
            raise UserError(f"--limit-mode must be one of {', '.join(LIMIT_MODES)}, not {self.limit_mode!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise UserError(f"--batch-size must be at least 1, not {self.batch_size}")
