"""A causal LM's output head over selected hidden states: each row's log-probability of a token
and its greedy token, the two things a log-likelihood request needs."""

from __future__ import annotations

from typing import Any

ROWS_PER_PASS = 256  # bounds the (rows x vocabulary) logits held at once: 268 MB for 262k tokens
VOCAB_BLOCK = 8192  # vocabulary rows per product on CPU


def head_logits(head: Any, softcap: float | None, hidden: Any) -> Any:
    """The head applied to ``hidden`` (rows x hidden) -> float32 logits, soft-capped where the
    model caps them."""
    import torch

    logits = head(hidden).float()
    if softcap:
        logits = softcap * torch.tanh(logits / softcap)
    return logits


def _blocked(head: Any) -> bool:
    """A float32 CPU linear head without bias: its products can fill one reused buffer block by
    block (the same bits as one product: each logit is the same dot product either way)."""
    import torch

    w = getattr(head, "weight", None)
    return (
        isinstance(head, torch.nn.Linear)
        and head.bias is None
        and w is not None
        and w.dtype == torch.float32
        and w.device.type == "cpu"
    )


def token_logprobs(head: Any, softcap: float | None, hidden: Any, head_row: Any, targets: Any) -> tuple[Any, Any]:
    """Log-probability of ``targets[k]`` at hidden row ``head_row[k]``, and each hidden row's
    greedy token: (float32 tensor like ``targets``, long tensor of one per hidden row).

    On CPU a float32 head writes its logits into one buffer reused for every pass, a vocabulary
    block at a time, and the log-softmax overwrites them in place: a 262k-token vocabulary's logits
    are 268 MB a pass, and fresh ones each pass cost page faults and memory traffic, not products.
    Both paths give the same bits as ``log_softmax(head(hidden))`` (tested)."""
    import torch

    n = len(hidden)
    best = torch.empty(n, dtype=torch.long)
    logp = torch.empty(len(targets), dtype=torch.float32)
    blocked = _blocked(head)
    buffer = None
    if blocked and n:
        weight = head.weight
        buffer = torch.empty((min(n, ROWS_PER_PASS), weight.shape[0]), dtype=torch.float32)
    for s in range(0, n, ROWS_PER_PASS):
        rows = hidden[s : s + ROWS_PER_PASS]
        if buffer is not None:
            logits = buffer[: len(rows)]
            for v in range(0, weight.shape[0], VOCAB_BLOCK):
                torch.mm(rows, weight[v : v + VOCAB_BLOCK].t(), out=logits[:, v : v + VOCAB_BLOCK])
            if softcap:
                logits.div_(softcap).tanh_().mul_(softcap)
        else:
            logits = head_logits(head, softcap, rows)
        mine = ((head_row >= s) & (head_row < s + ROWS_PER_PASS)).nonzero()[:, 0]
        best[s : s + len(rows)] = logits.argmax(-1).cpu()
        # log_softmax, not logits - logsumexp: torch's float32 logsumexp over 262k entries is off
        # by ~1e-4 per token
        lsm = torch.log_softmax(logits, dim=-1, out=logits) if buffer is not None else torch.log_softmax(logits, -1)
        logp[mine] = lsm[(head_row[mine] - s).to(lsm.device), targets[mine].to(lsm.device)].cpu()
    return logp, best
