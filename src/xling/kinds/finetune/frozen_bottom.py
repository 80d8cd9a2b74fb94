"""The frozen bottom of the encoder: which parameters stay fixed, and the states of the layers
under the trained top, computed once per input and reused across epochs, seeds and checkpoints."""

from __future__ import annotations

import warnings
from typing import Any

from ...errors import UserError
from .heads import pad_batch


def freeze(encoder, embeddings: bool, layers: int) -> None:
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


class FrozenBottom:
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


class BottomStates:
    """The frozen bottom's states per input sequence: those of train and dev inputs kept for the
    run, those of a unit's eval inputs until :meth:`end_unit`."""

    def __init__(self, split: FrozenBottom, pad_id: int, batch_size: int):
        self.split, self.pad_id, self.batch_size = split, pad_id, max(1, batch_size)
        self.kept: dict[tuple[int, ...], Any] = {}
        self.unit: dict[tuple[int, ...], Any] = {}

    def compute(self, torch, model, seqs: list[list[int]], keep: bool) -> None:
        """Compute (once) the states of every sequence, in length-sorted batches; ``keep`` holds
        them for the run."""
        store = self.kept if keep else self.unit
        todo = sorted({tuple(s) for s in seqs if tuple(s) not in store and tuple(s) not in self.kept}, key=len)
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            for start in range(0, len(todo), self.batch_size):
                chunk = todo[start : start + self.batch_size]
                ids, mask = pad_batch(torch, [list(c) for c in chunk], self.pad_id)
                states = self.split.bottom(ids, mask)
                for j, c in enumerate(chunk):
                    store[c] = states[j, : len(c)].clone()
        model.train(was_training)

    def padded(self, torch, seqs: list[list[int]], width: int):
        """The states of ``seqs`` (computed before) as one zero-padded batch ``width`` tokens wide."""
        states = [self.kept.get(tuple(s)) if tuple(s) in self.kept else self.unit[tuple(s)] for s in seqs]
        out = torch.zeros((len(states), width, states[0].shape[-1]), dtype=states[0].dtype)
        for i, st in enumerate(states):
            out[i, : st.shape[0]] = st
        return out

    def end_unit(self) -> None:
        self.unit.clear()
