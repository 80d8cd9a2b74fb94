"""One task's fine-tuning in a run: its training data, the model, the on-disk checkpoint cache
(one checkpoint per seed and epoch) and predictions from a checkpoint."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import DataError, UserError
from ...models.training import TRAIN_KEYS
from ...tasks import provenance, training_task
from ...types import Item
from .frozen_bottom import BottomStates, FrozenBottom, freeze
from .heads import head_module, pad_batch
from .task_head import TaskHead

if TYPE_CHECKING:
    from ...tasks import Task
    from ..base import RunContext

FINETUNE_DIR_ENV = "XLING_FINETUNE_DIR"


def finetune_root() -> Path:
    """``$XLING_FINETUNE_DIR``, else ``finetuned/`` next to the response cache."""
    if os.environ.get(FINETUNE_DIR_ENV):
        return Path(os.environ[FINETUNE_DIR_ENV])
    from ...calls.cache import default_cache_path

    return default_cache_path().parent / "finetuned"


def items_digest(items: list[Item]) -> str:
    """The sha256 of the items' ids, fields and golds."""
    h = hashlib.sha256()
    for it in items:
        h.update(json.dumps([it.item_id, it.fields, it.gold], ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return h.hexdigest()


class TaskTrainer:
    """One task's fine-tuning for one run: data, tokenizer, the model, cached checkpoints."""

    def __init__(self, kind: TaskHead, task: Task, ctx: RunContext):
        from ...models.encoder import HFEncoder
        from ...models.training import set_threads

        backend = ctx.backend
        if not isinstance(backend, HFEncoder):
            raise UserError(f"fine-tuning needs a transformers encoder backend, not {backend.name!r}")
        self.kind, self.task, self.ctx, self.backend = kind, task, ctx, backend
        self.hp = dict(backend.hparams)
        set_threads(self.hp["threads"])
        self.src = task.spec.source_language
        self.training_task = trainer = training_task(task)
        if not trainer.spec.train_split:
            raise DataError(
                task.spec_path,
                None,
                f"task {task.name!r} has no 'train_split': fine-tuning needs source-language training data",
                hint="add train_split: <split> to the task file, or options.train_task: <a task that has one>",
            )
        self.train = _subset(ctx.train_items(trainer, self.src, trainer.spec.train_split), self.hp["train_limit"])
        if not self.train:
            raise DataError(
                trainer.spec_path, None, f"no training items for {self.src} split {trainer.spec.train_split!r}"
            )
        provenance.note_training(
            f"{trainer.name} {self.src} {trainer.spec.train_split}", len(self.train), 0, ctx.allow_partial_training
        )
        self.labels = kind.label_list(task, self.train)
        self.seeds = [ctx.seed + i for i in range(self.hp["seeds"])]
        self.tok = _memo(ctx, ("tokenizer", backend.source), backend.load_tokenizer)
        self.model = None
        self.base_state = None
        # which (task, seed, epoch) the shared encoder's weights hold now (tasks share one encoder)
        self.loaded = _memo(ctx, ("encoder-loaded", backend.source), lambda: {"now": None})
        self.ident = {
            "base": backend.fingerprint(),
            "task": task.name,
            "head": kind.head,
            "labels": self.labels,
            "train": items_digest(self.train),
            "hp": {k: self.hp[k] for k in TRAIN_KEYS},
        }
        self.bottoms: BottomStates | None = None  # set when the frozen bottom can run apart
        ctx.stats.finetune_trained = ctx.stats.finetune_trained or 0
        ctx.stats.finetune_reused = ctx.stats.finetune_reused or 0

    # -- model
    def _ensure_model(self):
        import torch

        if self.model is None:
            encoder = _memo(self.ctx, ("encoder", self.backend.source), self.backend.load_encoder)
            self.model = head_module(encoder, self.kind.head, self.kind.n_out(self.labels), self.hp["pooling"])
            freeze(encoder, self.hp["freeze_embeddings"], self.hp["freeze_layers"])
            self.bottoms = None
            if self.hp["freeze_layers"] > 0:
                split = FrozenBottom(encoder, self.hp["freeze_layers"])
                if split.works(torch, self.tok.pad_token_id):
                    self.bottoms = BottomStates(split, self.tok.pad_token_id, self.ctx.batch_size)
            self.ctx.stats.frozen_bottom_cached = self.bottoms is not None
            # the pristine base weights every seed starts from (shared across the run's tasks)
            self.base_state = _memo(
                self.ctx,
                ("encoder-state", self.backend.source),
                lambda: {k: v.detach().clone() for k, v in encoder.state_dict().items()},
            )
        return torch

    def _forward(self, torch, seqs: list[list[int]]):
        """The head's output for a batch, from cached bottom states when the split is on."""
        ids, mask = pad_batch(torch, seqs, self.tok.pad_token_id)
        if self.bottoms is None:
            return self.model(ids, mask)
        bottom = self.bottoms.padded(torch, seqs, ids.shape[1])
        return self.model(ids, mask, bottom=bottom, split=self.bottoms.split)

    def end_unit(self) -> None:
        """Drop what was kept for the unit's eval items."""
        if self.bottoms is not None:
            self.bottoms.end_unit()

    # -- checkpoints
    def _dir(self, seed: int) -> Path:
        key = hashlib.sha256(json.dumps({**self.ident, "seed": seed}, sort_keys=True).encode()).hexdigest()[:24]
        return finetune_root() / f"{self.task.name}-{key}"

    def checkpoints(self, seed: int) -> Path:
        """The directory holding this seed's epoch checkpoints, training them if absent."""
        d = self._dir(seed)
        if (d / "meta.json").is_file():
            self.ctx.stats.finetune_reused += 1
            return d
        self._train(seed, d)
        self.ctx.stats.finetune_trained += 1
        return d

    def _trainable_state(self) -> dict:
        return {n: p.detach().contiguous().clone() for n, p in self.model.named_parameters() if p.requires_grad}

    def _optimizer(self, torch):
        """AdamW with weight decay on the encoder's weights (not biases and norms) and the head's own rate."""
        hp = self.hp
        decay = [p for n, p in self.model.named_parameters() if p.requires_grad and not _no_decay(n)]
        no_decay = [p for n, p in self.model.named_parameters() if p.requires_grad and _no_decay(n)]
        head = [p for p in self.model.out.parameters()]
        decay = [p for p in decay if not any(p is h for h in head)]
        no_decay = [p for p in no_decay if not any(p is h for h in head)]
        return torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": hp["weight_decay"]},
                {"params": no_decay, "weight_decay": 0.0},
                {"params": head, "weight_decay": 0.0, "lr": hp["head_lr"]},
            ],
            lr=hp["lr"],
        )

    def _train(self, seed: int, dest: Path) -> None:
        torch = self._ensure_model()
        from safetensors.torch import save_file
        from transformers import get_linear_schedule_with_warmup

        hp = self.hp
        # every seed starts from the base encoder and a freshly drawn head
        self.model.encoder.load_state_dict(self.base_state)
        torch.manual_seed(seed)
        self.model.out.reset_parameters()
        self.loaded["now"] = None
        feats = self.kind.features(self.tok, self.train, self.labels, hp, train=True)
        if self.bottoms is not None:
            self.bottoms.compute(torch, self.model, feats.input_ids, keep=True)
        params = [p for p in self.model.parameters() if p.requires_grad]
        opt = self._optimizer(torch)
        bs = hp["train_batch_size"]
        steps = math.ceil(len(feats.input_ids) / bs) * hp["epochs"]
        sched = get_linear_schedule_with_warmup(opt, int(hp["warmup"] * steps), steps)
        rng = np.random.default_rng(seed)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
        try:
            for epoch in range(hp["epochs"]):
                self.model.train()
                order = rng.permutation(len(feats.input_ids))
                for start in range(0, len(order), bs):
                    idx = order[start : start + bs]
                    seqs = [feats.input_ids[i] for i in idx]
                    out = self._forward(torch, seqs)
                    loss = self.kind.loss(torch, out, [feats.labels[i] for i in idx], max(len(q) for q in seqs))
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(params, 1.0)
                    opt.step()
                    sched.step()
                    opt.zero_grad(set_to_none=True)
                save_file(self._trainable_state(), str(tmp / f"epoch-{epoch + 1}.safetensors"))
            meta = {
                **self.ident,
                "seed": seed,
                "epochs": hp["epochs"],
                "train_items": len(self.train),
                "train_features": len(feats.input_ids),
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
            if dest.exists():
                shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _load(self, seed: int, epoch: int) -> None:
        if self.loaded["now"] == (self.task.name, seed, epoch):
            return
        d = self.checkpoints(seed)
        self._ensure_model()
        from safetensors.torch import load_file

        state = load_file(str(d / f"epoch-{epoch}.safetensors"))
        self.model.encoder.load_state_dict(self.base_state)
        missing = self.model.load_state_dict(state, strict=False)
        if missing.unexpected_keys:
            raise RuntimeError(f"checkpoint {d} does not fit the model: {missing.unexpected_keys[:3]}")
        self.loaded["now"] = (self.task.name, seed, epoch)

    # -- prediction
    def predict(self, seed: int, epoch: int, items: list[Item], keep: bool = False) -> list[Any]:
        """The model's predictions (labels, tag lists, answer strings) for ``items``; ``keep``
        holds their frozen-bottom states for the whole run (dev sets), else for the unit."""
        if not items:
            return []
        self._load(seed, epoch)
        import torch

        feats = self.kind.features(self.tok, items, self.labels, self.hp, train=False)
        if self.bottoms is not None:
            self.bottoms.compute(torch, self.model, feats.input_ids, keep=keep)
        self.model.eval()
        outputs: list[np.ndarray] = [None] * len(feats.input_ids)  # type: ignore[list-item]
        order = sorted(range(len(feats.input_ids)), key=lambda i: len(feats.input_ids[i]))  # length-sorted batches
        bs = max(1, self.ctx.batch_size)
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start : start + bs]
                logits = self._forward(torch, [feats.input_ids[i] for i in idx]).float().numpy()
                for j, i in enumerate(idx):
                    outputs[i] = logits[j, : len(feats.input_ids[i])] if logits.ndim == 3 else logits[j]
        return self.kind.decode(items, feats, outputs, self.labels, self.hp)


def _subset(items: list[Item], limit: int) -> list[Item]:
    """At most ``limit`` items: a fixed-seed random sample kept in file order (release files
    are often sorted by label, so the first N would miss classes)."""
    if len(items) <= limit:
        return items
    keep = np.sort(np.random.default_rng(0).permutation(len(items))[:limit])
    return [items[i] for i in keep]


def _no_decay(name: str) -> bool:
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name


def _memo(ctx: RunContext, key: tuple, make):
    if key not in ctx.memo:
        ctx.memo[key] = make()
    return ctx.memo[key]
