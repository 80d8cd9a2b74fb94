"""The model that is fine-tuned (the encoder under a dropout + linear head) and its padded inputs."""

from __future__ import annotations


def head_module(encoder, head: str, n_out: int, pooling: str):
    """``encoder`` under a head of ``n_out`` outputs: per text (``head="sequence"``, pooled by
    ``pooling``) or per token (``"token"``, ``"qa"``)."""
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


def pad_batch(torch, seqs: list[list[int]], pad_id: int):
    """The token ids of ``seqs`` padded to the longest, and their attention mask."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask
