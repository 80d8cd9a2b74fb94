"""Fine-tuning kinds (the XTREME zero-shot transfer protocol) for fit/predict encoders.

Fit a task head plus the encoder on the source language's train split, select the checkpoint
(epoch) on the source language's dev split (``selection=source-dev``, default) or on each
target's own dev split (``selection=target-dev``, the oracle), and predict every language's
eval split. Several seeds; each item's row holds every seed's prediction and score
(``{"seeds": [...], "scores": [...], "epochs": [...], "selection": ...}``), its score is the
mean over seeds, so a language's value is the mean over seeds, with a bootstrap CI over items.

Fine-tuned weights are cached on disk per (base model fingerprint, task, head, labels, train
data hash, seed, hyperparameters): a resumed or repeated run loads them instead of training.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import warnings
from abc import abstractmethod
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import DataError, UserError
from ..models.base import Capability
from ..models.training import TRAIN_KEYS
from ..tasks import Task, provenance, training_task
from ..tasks.spec import shared_splits
from ..types import Item, Prediction, Unit
from .base import Kind, RunContext

FINETUNE_DIR_ENV = "XLING_FINETUNE_DIR"


def finetune_root() -> Path:
    """``$XLING_FINETUNE_DIR``, else ``finetuned/`` next to the response cache."""
    if os.environ.get(FINETUNE_DIR_ENV):
        return Path(os.environ[FINETUNE_DIR_ENV])
    from ..calls.cache import default_cache_path

    return default_cache_path().parent / "finetuned"


def _items_digest(items: list[Item]) -> str:
    h = hashlib.sha256()
    for it in items:
        h.update(json.dumps([it.item_id, it.fields, it.gold], ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return h.hexdigest()


# ----------------------------------------------------------------------------- heads
def _head_module(encoder, head: str, n_out: int, pooling: str):
    import torch
    from torch import nn

    class Head(nn.Module):
        """Encoder + dropout + linear layer, the heads of transformers' *ForSequenceClassification /
        *ForTokenClassification / *ForQuestionAnswering; sentence heads pool the CLS token or
        the mean of the token states."""

        def __init__(self):
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            p = getattr(encoder.config, "hidden_dropout_prob", 0.1)
            self.dropout = nn.Dropout(p if isinstance(p, float) else 0.1)
            self.out = nn.Linear(hidden, n_out)

        def forward(self, input_ids, attention_mask, bottom=None, split=None):
            if bottom is not None:
                h = split.top(bottom, attention_mask)
            else:
                h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if head == "sequence":
                if pooling == "mean":
                    m = attention_mask.unsqueeze(-1).to(h.dtype)
                    h = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
                else:
                    h = h[:, 0]
            return self.out(self.dropout(h))

    torch.manual_seed(0)  # the head's initial weights are re-drawn per seed before training
    return Head()


class _Split:
    """Run a layer stack in two parts: the frozen bottom (embeddings + ``k`` layers), whose
    outputs are computed once per text and reused across epochs, seeds and checkpoints, and the
    trained top. Used only when it reproduces the whole model's output (checked on setup)."""

    def __init__(self, encoder, k: int):
        self.encoder, self.k = encoder, k
        self.stack = list(encoder.encoder.layer)

    def _mask(self, states, attention_mask):
        """The attention mask the model's layers expect, made by the function the model uses."""
        from transformers.masking_utils import create_bidirectional_mask

        # positional: the second parameter was renamed (input_embeds -> inputs_embeds) within 5.x
        return create_bidirectional_mask(self.encoder.config, states, attention_mask)

    def _layers(self, layers, h, attention_mask):
        mask = self._mask(h, attention_mask)
        for layer in layers:
            out = layer(h, attention_mask=mask)
            h = out[0] if isinstance(out, tuple) else out
        return h

    def bottom(self, input_ids, attention_mask):
        return self._layers(self.stack[: self.k], self.encoder.embeddings(input_ids=input_ids), attention_mask)

    def top(self, states, attention_mask):
        return self._layers(self.stack[self.k :], states, attention_mask)

    def works(self, torch, pad_id: int) -> bool:
        """True when bottom + top equals the model's own forward pass on a padded batch; otherwise
        a warning says why the frozen bottom is recomputed on every pass."""
        ids = torch.tensor([[5, 6, 7, 8, 9, 10], [5, 6, 7, pad_id, pad_id, pad_id]])
        ids = ids.clamp(max=self.encoder.config.vocab_size - 1)
        mask = (torch.arange(6)[None, :] < torch.tensor([[6], [3]])).long()
        was_training = self.encoder.training
        self.encoder.eval()
        try:
            with torch.inference_mode():
                full = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
                split = self.top(self.bottom(ids, mask), mask)
            gap = float((full[mask.bool()] - split[mask.bool()]).abs().max())
            why = None if gap <= 1e-4 else f"its output differs from the full forward pass by {gap:.2g}"
        except Exception as exc:  # noqa: BLE001 - any mismatch of internals: fall back to full passes
            why = f"it failed ({type(exc).__name__}: {exc})"
        finally:
            self.encoder.train(was_training)
        if why:
            warnings.warn(
                f"freeze_layers={self.k}: the frozen bottom layers of this "
                f"{type(self.encoder).__name__} cannot be computed once and reused, {why}; every "
                "pass runs all layers (slower, same results)",
                stacklevel=2,
            )
        return why is None


# ----------------------------------------------------------------------------- features
@dataclass
class Features:
    """Tokenised inputs of a list of items, with what is needed to map outputs back."""

    input_ids: list[list[int]]
    labels: list[Any]  # per feature: class id, per-token label ids, or (start, end) token positions
    item_index: list[int]  # feature -> item (QA windows: several features per item)
    extra: list[Any]  # tagging: word ids; QA: (offsets, context token mask)


class _FineTune(Kind):
    """Shared protocol; subclasses define the head, features, decoding and item scores."""

    needs = Capability.FIT_PREDICT
    head: ClassVar[str]

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        return [Unit(task.name, "zero-shot", lang) for lang in languages]

    # -- subclass interface
    def label_list(self, task: Task, train: list[Item]) -> list[str]:
        return []

    @abstractmethod
    def features(self, tok, items: list[Item], labels: list[str], hp: dict, train: bool) -> Features:
        """Tokenise ``items`` into model inputs (and, with ``train``, their training targets)."""

    @abstractmethod
    def loss(self, torch, logits, labels: list[Any], width: int):
        """The training loss of a batch (``width``: its padded length)."""

    @abstractmethod
    def decode(
        self, items: list[Item], feats: Features, outputs: list[np.ndarray], labels: list[str], hp: dict
    ) -> list[Any]:
        """One prediction per item (label, tag list, answer string) from the head's outputs."""

    @abstractmethod
    def item_score(self, pred: Any, item: Item, language: str, task: Task) -> float:
        """An item's score (0..1) under the task's metric."""

    def n_out(self, labels: list[str]) -> int:
        return len(labels)

    def dev_value(self, preds: list[Any], items: list[Item], language: str, task: Task) -> float:
        """The number that selects the checkpoint on a dev split (higher is better)."""
        return float(np.mean([self.item_score(p, it, language, task) for p, it in zip(preds, items, strict=True)]))

    # -- protocol
    def _state(self, task: Task, ctx: RunContext) -> _TaskState:
        return ctx.remember(("finetune", task.name), lambda: _TaskState(self, task, ctx))

    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        state = self._state(task, ctx)
        items = ctx.items(task, unit.language, task.spec.eval_split)
        per_seed, epochs = [], []
        for seed in state.seeds:
            epoch = state.select_epoch(seed, unit.language)
            epochs.append(epoch)
            per_seed.append(state.predict(seed, epoch, items))
            if ctx.on_progress:
                ctx.on_progress(len(items))
        state.bottoms.clear()
        out = []
        for i, it in enumerate(items):
            preds = [p[i] for p in per_seed]
            scores = [self.item_score(p, it, unit.language, task) for p in preds]
            payload = {
                "seeds": preds,
                "scores": scores,
                "epochs": epochs,
                "selection": state.selection_for(unit.language),
            }
            out.append(Prediction(it.split, it.item_id, it.parallel_id, payload, it.gold, float(np.mean(scores))))
        return out


class _TaskState:
    """One task's fine-tuning for one run: data, tokenizer, the model, cached checkpoints."""

    def __init__(self, kind: _FineTune, task: Task, ctx: RunContext):
        from ..models.encoder import HFEncoder
        from ..models.training import set_threads

        backend = ctx.backend
        if not isinstance(backend, HFEncoder):
            raise UserError(f"fine-tuning needs a transformers encoder backend, not {backend.name!r}")
        self.kind, self.task, self.ctx, self.backend = kind, task, ctx, backend
        self.hp = dict(backend.hparams)
        set_threads(self.hp["threads"])
        spec = task.spec
        self.src = spec.source_language
        trainer = training_task(task)
        if not trainer.spec.train_split:
            raise DataError(
                task.spec_path,
                None,
                f"task {task.name!r} has no 'train_split': fine-tuning needs source-language training data",
                hint="add train_split: <split> to the task file, or options.train_task: <a task that has one>",
            )
        self.train = _subset(trainer.items(self.src, trainer.spec.train_split), self.hp["train_limit"])
        if not self.train:
            raise DataError(
                trainer.spec_path, None, f"no training items for {self.src} split {trainer.spec.train_split!r}"
            )
        provenance.note_training(
            f"{trainer.name} {self.src} {trainer.spec.train_split}", len(self.train), 0, ctx.allow_partial_training
        )
        self.labels = kind.label_list(task, self.train)
        self.dev_split = spec.options.dev_split
        # epochs are chosen on a dev split that shares no part with what is trained or tested on
        self.dev_clash = shared_splits(self.dev_split, spec.eval_split) + (
            shared_splits(self.dev_split, trainer.spec.train_split) if trainer is task else []
        )
        self.seeds = [ctx.seed + i for i in range(self.hp["seeds"])]
        self.tok = _memo(ctx, ("tokenizer", backend.source), backend.load_tokenizer)
        self.model = None
        self.base_state = None
        # which (task, seed, epoch) the shared encoder's weights hold now (tasks share one encoder)
        self.loaded = _memo(ctx, ("encoder-loaded", backend.source), lambda: {"now": None})
        ident = {
            "base": backend.fingerprint(),
            "task": task.name,
            "head": kind.head,
            "labels": self.labels,
            "train": _items_digest(self.train),
            "hp": {k: self.hp[k] for k in TRAIN_KEYS},
        }
        self.ident = ident
        self.dev_cache: dict[tuple[int, str], list[float]] = {}
        self.split = None
        self.bottoms: dict[tuple[int, ...], Any] = {}  # frozen-bottom states per input, kept for the unit
        self.keep_bottoms: dict[tuple[int, ...], Any] = {}  # ... for train and dev inputs, kept for the run
        stats = ctx.stats.__dict__
        stats.setdefault("finetune_trained", 0)
        stats.setdefault("finetune_reused", 0)

    # -- model
    def _ensure_model(self):
        import torch

        if self.model is None:
            encoder = _memo(self.ctx, ("encoder", self.backend.source), self.backend.load_encoder)
            self.model = _head_module(encoder, self.kind.head, self.kind.n_out(self.labels), self.hp["pooling"])
            _freeze(encoder, self.hp["freeze_embeddings"], self.hp["freeze_layers"])
            self.split = None
            if self.hp["freeze_layers"] > 0:
                split = _Split(encoder, self.hp["freeze_layers"])
                self.split = split if split.works(torch, self.tok.pad_token_id) else None
            self.ctx.stats.__dict__["frozen_bottom_cached"] = self.split is not None
            # the pristine base weights every seed starts from (shared across the run's tasks)
            self.base_state = _memo(
                self.ctx,
                ("encoder-state", self.backend.source),
                lambda: {k: v.detach().clone() for k, v in encoder.state_dict().items()},
            )
        return torch

    def _bottoms(self, torch, seqs: list[list[int]], store: dict) -> None:
        """Compute (once) the frozen bottom's states of every sequence, in length-sorted batches."""
        todo = sorted({tuple(s) for s in seqs if tuple(s) not in store and tuple(s) not in self.keep_bottoms}, key=len)
        bs = max(1, self.ctx.batch_size)
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(todo), bs):
                chunk = todo[start : start + bs]
                ids, mask = _pad(torch, [list(c) for c in chunk], self.tok.pad_token_id)
                states = self.split.bottom(ids, mask)
                for j, c in enumerate(chunk):
                    store[c] = states[j, : len(c)].clone()
        self.model.train(was_training)

    def _forward(self, torch, seqs: list[list[int]]):
        """The head's output for a batch, from cached bottom states when the split is on."""
        ids, mask = _pad(torch, seqs, self.tok.pad_token_id)
        if self.split is None:
            return self.model(ids, mask)
        states = [
            self.keep_bottoms.get(tuple(s)) if tuple(s) in self.keep_bottoms else self.bottoms[tuple(s)] for s in seqs
        ]
        return self.model(ids, mask, bottom=_pad_states(torch, states, ids.shape[1]), split=self.split)

    def _trainable_state(self) -> dict:
        return {n: p.detach().contiguous().clone() for n, p in self.model.named_parameters() if p.requires_grad}

    def _dir(self, seed: int) -> Path:
        key = hashlib.sha256(json.dumps({**self.ident, "seed": seed}, sort_keys=True).encode()).hexdigest()[:24]
        return finetune_root() / f"{self.task.name}-{key}"

    def _checkpoints(self, seed: int) -> Path:
        """The directory holding this seed's epoch checkpoints, training them if absent."""
        d = self._dir(seed)
        if (d / "meta.json").is_file():
            self.ctx.stats.finetune_reused += 1
            return d
        self._train(seed, d)
        self.ctx.stats.finetune_trained += 1
        return d

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
        if self.split is not None:
            self._bottoms(torch, feats.input_ids, self.keep_bottoms)
        params = [p for p in self.model.parameters() if p.requires_grad]
        decay = [p for n, p in self.model.named_parameters() if p.requires_grad and not _no_decay(n)]
        no_decay = [p for n, p in self.model.named_parameters() if p.requires_grad and _no_decay(n)]
        head = [p for p in self.model.out.parameters()]
        decay = [p for p in decay if not any(p is h for h in head)]
        no_decay = [p for p in no_decay if not any(p is h for h in head)]
        opt = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": hp["weight_decay"]},
                {"params": no_decay, "weight_decay": 0.0},
                {"params": head, "weight_decay": 0.0, "lr": hp["head_lr"]},
            ],
            lr=hp["lr"],
        )
        bs = hp["train_batch_size"]
        steps = math.ceil(len(feats.input_ids) / bs) * hp["epochs"]
        sched = get_linear_schedule_with_warmup(opt, int(hp["warmup"] * steps), steps)
        rng = np.random.default_rng(seed)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=_mkdir(dest.parent)))
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
            (tmp / "meta.json").write_text(
                json.dumps(
                    {
                        **self.ident,
                        "seed": seed,
                        "epochs": hp["epochs"],
                        "train_items": len(self.train),
                        "train_features": len(feats.input_ids),
                    },
                    indent=1,
                    ensure_ascii=False,
                )
            )
            if dest.exists():
                shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _load(self, seed: int, epoch: int) -> None:
        if self.loaded["now"] == (self.task.name, seed, epoch):
            return
        d = self._checkpoints(seed)
        self._ensure_model()
        from safetensors.torch import load_file

        state = load_file(str(d / f"epoch-{epoch}.safetensors"))
        self.model.encoder.load_state_dict(self.base_state)
        missing = self.model.load_state_dict(state, strict=False)
        if missing.unexpected_keys:
            raise RuntimeError(f"checkpoint {d} does not fit the model: {missing.unexpected_keys[:3]}")
        self.loaded["now"] = (self.task.name, seed, epoch)

    def predict(self, seed: int, epoch: int, items: list[Item], keep: bool = False) -> list[Any]:
        """The model's predictions (labels, tag lists, answer strings) for ``items``; ``keep``
        holds their frozen-bottom states for the whole run (dev sets), else for the unit."""
        if not items:
            return []
        self._load(seed, epoch)
        import torch

        feats = self.kind.features(self.tok, items, self.labels, self.hp, train=False)
        if self.split is not None:
            self._bottoms(torch, feats.input_ids, self.keep_bottoms if keep else self.bottoms)
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

    # -- selection
    def selection_for(self, language: str) -> str:
        rule = self.hp["selection"]
        lang = language if rule == "target-dev" else self.src
        if not self._has_dev(lang):
            return f"last epoch (no '{self.dev_split}' split for {lang} distinct from the eval and train splits)"
        return f"{rule} ({lang}/{self.dev_split})"

    def _has_dev(self, language: str) -> bool:
        if self.dev_clash:
            return False
        try:
            self.task.files_for(language, self.dev_split)
        except UserError:
            return False
        return True

    def select_epoch(self, seed: int, language: str) -> int:
        """The epoch whose dev score is best (earliest on ties); the last epoch without a dev split."""
        lang = language if self.hp["selection"] == "target-dev" else self.src
        epochs = self.hp["epochs"]
        if not self._has_dev(lang):
            return epochs
        key = (seed, lang)
        dev = self.ctx.remember(
            ("finetune-dev", self.task.name, lang, self.dev_split, self.hp["dev_limit"]),
            lambda: self.task.items(lang, self.dev_split, self.hp["dev_limit"]),
        )
        if key not in self.dev_cache:
            d = self._checkpoints(seed)
            cache_file = d / f"dev-{lang}.json"
            digest = _items_digest(dev)
            values = None
            if cache_file.is_file():
                saved = json.loads(cache_file.read_text())
                values = saved["values"] if saved.get("dev") == digest else None
            if values is None:
                values = [
                    self.kind.dev_value(self.predict(seed, e, dev, keep=True), dev, lang, self.task)
                    for e in range(1, epochs + 1)
                ]
                _atomic_write(cache_file, json.dumps({"dev": digest, "values": values}))
            self.dev_cache[key] = values
        values = self.dev_cache[key]
        return int(np.argmax(values)) + 1


def _subset(items: list[Item], limit: int) -> list[Item]:
    """At most ``limit`` items: a fixed-seed random sample kept in file order (release files
    are often sorted by label, so the first N would miss classes)."""
    if len(items) <= limit:
        return items
    keep = np.sort(np.random.default_rng(0).permutation(len(items))[:limit])
    return [items[i] for i in keep]


def _freeze(encoder, embeddings: bool, layers: int) -> None:
    """Freeze the word embeddings, and with ``layers`` > 0 all embeddings and the bottom layers."""
    for name, p in encoder.named_parameters():
        if embeddings and "word_embeddings" in name:
            p.requires_grad_(False)
    if layers <= 0:
        return
    stack = getattr(getattr(encoder, "encoder", None), "layer", None)
    if stack is None:
        raise UserError(
            f"freeze_layers={layers}: cannot find the layer stack of a {type(encoder).__name__}",
            hint="pass -o freeze_layers=0 to train every layer",
        )
    for module in [getattr(encoder, "embeddings", None), *list(stack)[:layers]]:
        if module is not None:
            for p in module.parameters():
                p.requires_grad_(False)


def _no_decay(name: str) -> bool:
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _memo(ctx: RunContext, key: tuple, make):
    if key not in ctx.memo:
        ctx.memo[key] = make()
    return ctx.memo[key]


def _pad_states(torch, states: list, width: int):
    out = torch.zeros((len(states), width, states[0].shape[-1]), dtype=states[0].dtype)
    for i, st in enumerate(states):
        out[i, : st.shape[0]] = st
    return out


def _pad(torch, seqs: list[list[int]], pad_id: int):
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask


# ----------------------------------------------------------------------------- sentence classification
class FineTuneClassification(_FineTune):
    """Sentence (``{text}``) classification: SIB-200 and the like."""

    name = "classification"
    head = "sequence"
    description = "fine-tune the encoder on source-language train, test on every language (XTREME zero-shot)"
    text_fields: ClassVar[tuple[str, ...]] = ("text",)

    def label_list(self, task: Task, train: list[Item]) -> list[str]:
        labels = list(task.spec.labels or sorted({str(it.gold) for it in train}))
        unknown = sorted({str(it.gold) for it in train} - set(labels))
        if unknown:
            raise DataError(task.spec_path, None, f"training labels {unknown} are not in the task's labels {labels}")
        return labels

    def _texts(self, it: Item) -> list[str]:
        missing = [f for f in self.text_fields if f not in it.fields]
        if missing:
            raise DataError(
                f"{it.task}:{it.language}",
                None,
                f"item {it.item_id} has no field(s) {missing} (kind {self.name} needs {list(self.text_fields)})",
            )
        return [str(it.fields[f]) for f in self.text_fields]

    def features(self, tok, items, labels, hp, train):
        texts = [self._texts(it) for it in items]
        enc = tok(*zip(*texts), truncation=True, max_length=hp["max_seq_length"])
        index = {lab: i for i, lab in enumerate(labels)}
        golds = [index.get(str(it.gold), -100) for it in items]
        return Features(enc["input_ids"], golds, list(range(len(items))), [None] * len(items))

    def loss(self, torch, logits, labels, width):
        return torch.nn.functional.cross_entropy(logits, torch.tensor(labels, dtype=torch.long), ignore_index=-100)

    def decode(self, items, feats, outputs, labels, hp):
        return [labels[int(np.argmax(o))] for o in outputs]

    def item_score(self, pred, item, language, task):
        return float(pred == str(item.gold))


class FineTunePairClassification(FineTuneClassification):
    """Sentence-pair (``{text1, text2}``) classification: XNLI, PAWS-X."""

    name = "pair_classification"
    text_fields = ("text1", "text2")
    description = "fine-tune a pair classifier on source-language train, test on every language"


# ----------------------------------------------------------------------------- sequence labelling
class FineTuneSequenceLabelling(_FineTune):
    """Token tagging (``{tokens}``, gold = tags): WikiANN NER (entity F1), UD-POS (token accuracy).

    Each word is labelled through its first subword token (the XTREME convention); the other
    subwords are ignored in the loss. A word cut off by ``max_seq_length`` (or one the tokenizer
    maps to nothing) is predicted as the most frequent training tag and so counts against the
    model, never silently dropped.
    """

    name = "sequence_labelling"
    head = "token"
    description = "fine-tune a token tagger (first-subword labelling) on source-language train, test on every language"

    def label_list(self, task, train):
        """The tag set, most frequent training tag first (the fallback for unlabelled words)."""
        counts = Counter(t for it in train for t in it.gold)
        known = list(task.spec.labels or counts)
        unknown = sorted(set(counts) - set(known))
        if unknown:
            raise DataError(task.spec_path, None, f"training tags {unknown} are not in the task's labels {known}")
        return sorted(known, key=lambda t: (-counts[t], t))

    def features(self, tok, items, labels, hp, train):
        for it in items:
            toks = it.fields.get("tokens")
            if not isinstance(toks, list) or not isinstance(it.gold, list):
                raise DataError(
                    f"{it.task}:{it.language}",
                    None,
                    f"item {it.item_id}: a sequence-labelling item needs "
                    f"a list of 'tokens' and a list of gold tags; got {type(toks).__name__} tokens and a "
                    f"{type(it.gold).__name__} gold",
                    hint="declare the tags as gold: {path: tags, type: list}",
                )
            if len(toks) != len(it.gold):
                raise DataError(
                    f"{it.task}:{it.language}",
                    None,
                    f"item {it.item_id}: {len(toks)} tokens but "
                    f"{len(it.gold)} gold tags; a sequence-labelling item needs one tag per token",
                )
        enc = tok(
            [it.fields["tokens"] for it in items],
            is_split_into_words=True,
            truncation=True,
            max_length=hp["max_seq_length"],
        )
        index = {lab: i for i, lab in enumerate(labels)}
        out_labels, words = [], []
        for b, it in enumerate(items):
            wids = enc.word_ids(b)
            seen, lab = set(), []
            for w in wids:
                if w is None or w in seen:
                    lab.append(-100)
                else:
                    seen.add(w)
                    lab.append(index.get(it.gold[w], -100))
            out_labels.append(lab)
            words.append(wids)
        return Features(enc["input_ids"], out_labels, list(range(len(items))), words)

    def loss(self, torch, logits, labels, width):
        target = torch.full((len(labels), width), -100, dtype=torch.long)
        for i, lab in enumerate(labels):
            target[i, : len(lab)] = torch.tensor(lab, dtype=torch.long)
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100
        )

    def decode(self, items, feats, outputs, labels, hp):
        fallback = labels[0]  # the most frequent training tag
        preds = []
        for it, wids, logits in zip(items, feats.extra, outputs, strict=True):
            tags = [fallback] * len(it.fields["tokens"])
            seen = set()
            for pos, w in enumerate(wids):
                if w is not None and w not in seen:
                    seen.add(w)
                    tags[w] = labels[int(np.argmax(logits[pos]))]
            preds.append(tags)
        return preds

    def item_score(self, pred, item, language, task):
        if task.spec.metric == "entity_f1":
            from ..scoring.metrics import _entity_counts, _f1_from_counts

            c = _entity_counts(pred, item.gold)
            return 1.0 if c[1] + c[2] == 0 else _f1_from_counts(c)
        return float(np.mean([p == g for p, g in zip(pred, item.gold, strict=True)]))

    def dev_value(self, preds, items, language, task):
        from ..scoring.metrics import METRICS

        metric = METRICS.get(task.spec.metric)
        if metric is not None and hasattr(metric, "counts") and metric.counts is not None:
            total = sum(metric.counts(p, it.gold) for p, it in zip(preds, items, strict=True))
            return float(metric.combine(total))
        return super().dev_value(preds, items, language, task)


# ----------------------------------------------------------------------------- extractive QA
class FineTuneExtractiveQA(_FineTune):
    """Extractive QA (``{context, question}``, gold = answer strings): XQuAD, MLQA, TyDiQA-GoldP.

    Question and context are encoded together; a context longer than ``max_seq_length`` is cut
    into windows overlapping by ``doc_stride`` tokens. Training marks the answer's first and last
    token (the CLS token when a window does not contain the answer); prediction takes the best
    span (start + end logit) of at most ``max_answer_tokens`` tokens over all windows. Answer
    start offsets come from the item's ``answer_starts`` field, else the first occurrence of the
    answer in the context. Scores are EM/F1 after MLQA's language-aware normalisation.
    """

    name = "extractive_qa"
    head = "qa"
    description = (
        "fine-tune span extraction on source-language train, test on every language (EM/F1, MLQA normalisation)"
    )

    def n_out(self, labels):
        return 2

    def features(self, tok, items, labels, hp, train):
        for it in items:
            if "context" not in it.fields or "question" not in it.fields:
                raise DataError(
                    f"{it.task}:{it.language}", None, f"item {it.item_id}: extractive QA needs 'context' and 'question'"
                )
        enc = tok(
            [str(it.fields["question"]).lstrip() for it in items],
            [str(it.fields["context"]) for it in items],
            truncation="only_second",
            max_length=hp["max_seq_length"],
            stride=min(hp["doc_stride"], hp["max_seq_length"] // 4),  # overlap must fit in a window
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        mapping = enc["overflow_to_sample_mapping"]
        labels_out, extra = [], []
        for f, b in enumerate(mapping):
            seq = enc.sequence_ids(f)
            offsets = [o if s == 1 else None for o, s in zip(enc["offset_mapping"][f], seq, strict=True)]
            extra.append(offsets)
            if not train:
                labels_out.append(None)
                continue
            it = items[b]
            answer = str(it.gold[0]) if isinstance(it.gold, list) else str(it.gold)
            starts = it.fields.get("answer_starts")
            start_char = (
                int(starts[0])
                if isinstance(starts, list) and starts and int(starts[0]) >= 0
                else str(it.fields["context"]).find(answer)
            )
            end_char = start_char + len(answer)
            span = (0, 0)
            if start_char >= 0:
                toks = [i for i, o in enumerate(offsets) if o is not None and o[0] < end_char and o[1] > start_char]
                ctx_toks = [i for i, o in enumerate(offsets) if o is not None]
                if toks and ctx_toks and offsets[ctx_toks[0]][0] <= start_char and offsets[ctx_toks[-1]][1] >= end_char:
                    span = (toks[0], toks[-1])
            labels_out.append(span)
        return Features(enc["input_ids"], labels_out, list(mapping), extra)

    def loss(self, torch, logits, labels, width):
        start = torch.tensor([s for s, _ in labels], dtype=torch.long)
        end = torch.tensor([e for _, e in labels], dtype=torch.long)
        ce = torch.nn.functional.cross_entropy
        return (ce(logits[..., 0], start) + ce(logits[..., 1], end)) / 2

    def decode(self, items, feats, outputs, labels, hp):
        best: dict[int, tuple[float, str]] = {}
        max_len = int(hp.get("max_answer_tokens", 30))
        for f, logits in enumerate(outputs):
            b = feats.item_index[f]
            offsets = feats.extra[f]
            ctx = [i for i, o in enumerate(offsets) if o is not None and i < len(logits)]
            if not ctx:
                continue
            start_l, end_l = logits[:, 0], logits[:, 1]
            top_s = sorted(ctx, key=lambda i: -start_l[i])[:20]
            top_e = sorted(ctx, key=lambda i: -end_l[i])[:20]
            for s in top_s:
                for e in top_e:
                    if e < s or e - s + 1 > max_len:
                        continue
                    score = float(start_l[s] + end_l[e])
                    if b not in best or score > best[b][0]:
                        context = str(items[b].fields["context"])
                        best[b] = (score, context[offsets[s][0] : offsets[e][1]])
        return [best.get(b, (0.0, ""))[1] for b in range(len(items))]

    def item_score(self, pred, item, language, task):
        from ..scoring.qa import best_over_golds, scorer_of

        golds = item.gold if isinstance(item.gold, list) else [item.gold]
        em, f1 = best_over_golds(pred, [str(g) for g in golds], language, scorer_of(task.spec))
        return em if task.spec.metric == "em" else f1
