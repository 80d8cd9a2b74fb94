"""Fine-tuning hyperparameters: the ``-o KEY=VALUE`` options of a trainable encoder backend,
checked when the backend loads and read by the fine-tuning kinds (``backend.hparams``)."""

from __future__ import annotations

import os
from typing import Any

from ..errors import UserError

# Training knobs (``--model-option KEY=VALUE``) and their CPU-friendly defaults: a run on two
# cores finishes in minutes. Real studies raise train_limit/epochs (XTREME: full train set,
# 2-5 epochs, lr 2e-5..5e-5, batch 32, max_seq_length 128, QA 384, all layers trained).
# Freezing the embeddings and lower layers costs little zero-shot accuracy (Wu & Dredze 2019
# found it can help transfer) and removes most of the backward pass.
DEFAULTS: dict[str, Any] = {
    "seeds": 3,  # fine-tuning runs per task; scores are their mean
    "epochs": 3,
    "lr": 1e-4,  # encoder layers
    "head_lr": 2e-2,  # the new head: E5-style (anisotropic) features need a large step to separate
    "train_batch_size": 16,
    "max_seq_length": 128,
    "doc_stride": 64,  # extractive QA: overlap of the windows of a long context
    "max_answer_tokens": 30,
    "train_limit": 1000,  # first N source-language training examples
    "dev_limit": 200,  # first N dev examples used to select the checkpoint
    "selection": "source-dev",  # or target-dev (oracle: each target's own dev split)
    "warmup": 0.1,
    "weight_decay": 0.01,
    "freeze_embeddings": True,  # keep the (large, multilingual) word embeddings fixed
    "freeze_layers": 8,  # keep the bottom N transformer layers (and all embeddings) fixed; 0 = train all
    "threads": 2,
}
CHOICES = {"selection": ("source-dev", "target-dev"), "pooling": ("mean", "cls")}
# Hyperparameters that change the trained weights (part of the checkpoint cache key).
TRAIN_KEYS = (
    "epochs",
    "lr",
    "head_lr",
    "train_batch_size",
    "max_seq_length",
    "doc_stride",
    "train_limit",
    "warmup",
    "weight_decay",
    "freeze_embeddings",
    "freeze_layers",
    "pooling",
)


def hyperparameters(options: dict[str, Any], pooling: str) -> dict[str, Any]:
    """The defaults overridden by ``options`` (other keys are ignored), each value checked."""
    hp = {**DEFAULTS, "pooling": pooling, **{k: v for k, v in options.items() if k in DEFAULTS or k == "pooling"}}
    for key, allowed in CHOICES.items():
        if hp[key] not in allowed:
            raise UserError(f"option {key}={hp[key]!r}: expected one of {', '.join(allowed)}")
    for key in ("seeds", "epochs", "train_batch_size", "max_seq_length", "train_limit", "dev_limit", "threads"):
        if not isinstance(hp[key], int) or hp[key] < 1:
            raise UserError(f"option {key}={hp[key]!r}: expected a positive integer")
    if not isinstance(hp["freeze_layers"], int) or hp["freeze_layers"] < 0:
        raise UserError(f"option freeze_layers={hp['freeze_layers']!r}: expected 0 or a positive integer")
    return hp


def set_threads(n: int) -> None:
    """Torch intra-op threads (the machine is shared; also the default for reproducibility)."""
    import torch

    torch.set_num_threads(int(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
