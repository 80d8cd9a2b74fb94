"""A causal LM's output head over selected hidden states: each row's log-probability of a token
and its greedy token, the two things a log-likelihood request needs."""

from __future__ import annotations

from typing import Any

ROWS_PER_PASS = 256  # plain path: bounds the (rows x vocabulary) logits held at once (268 MB for 262k tokens)
ROW_BLOCK = 2048  # blocked path: hidden rows per product
VOCAB_BLOCK = 1024  # blocked path: vocabulary rows per product (logits block: 8 MB)


def head_logits(head: Any, softcap: float | None, hidden: Any) -> Any:
    """The head applied to ``hidden`` (rows x hidden) -> float32 logits, soft-capped where the
    model caps them."""
    import torch

    logits = head(hidden).float()
    if softcap:
        logits = softcap * torch.tanh(logits / softcap)
    return logits


def _blocked(head: Any) -> bool:
    """A float32 CPU linear head without bias: its logits can be computed a block at a time."""
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

    A float32 CPU head never holds a row's whole vocabulary: its logits are computed a
    (``ROW_BLOCK`` x ``VOCAB_BLOCK``) block at a time into one small buffer, and the normaliser
    is kept as a running maximum and sum of exponentials, the blocks' sums combined in float64.
    Large products run faster than the plain path's passes over 268 MB of logits, and the
    normaliser is more exact than a float32 ``log_softmax`` over 262k entries (about 5e-6 from
    float64 arithmetic against 1e-4; tested). Other heads take the plain path."""
    import torch

    if not _blocked(head):
        return _plain(head, softcap, hidden, head_row, targets)
    n = len(hidden)
    best = torch.empty(n, dtype=torch.long)
    logp = torch.empty(len(targets), dtype=torch.float32)
    weight = head.weight
    vocab = weight.shape[0]
    buffer = torch.empty((min(n, ROW_BLOCK), min(vocab, VOCAB_BLOCK)), dtype=torch.float32)
    for s in range(0, n, ROW_BLOCK):
        rows = hidden[s : s + ROW_BLOCK]
        r = len(rows)
        mine = ((head_row >= s) & (head_row < s + r)).nonzero()[:, 0]
        wanted, order = targets[mine].sort()  # targets by vocabulary block
        mine = mine[order]
        row_of = head_row[mine] - s
        picked = torch.empty(len(mine), dtype=torch.float32)
        top = torch.full((r,), float("-inf"), dtype=torch.float64)
        arg = torch.zeros(r, dtype=torch.long)
        total = torch.zeros(r, dtype=torch.float64)
        done = 0
        for v in range(0, vocab, VOCAB_BLOCK):
            part = weight[v : v + VOCAB_BLOCK]
            block = buffer[:r, : len(part)]
            torch.mm(rows, part.t(), out=block)
            if softcap:
                block.div_(softcap).tanh_().mul_(softcap)
            upto = int(torch.searchsorted(wanted, v + len(part)))
            if upto > done:
                picked[done:upto] = block[row_of[done:upto], wanted[done:upto] - v]
                done = upto
            block_max, block_arg = block.max(-1)  # the first index of a tie, as argmax
            block_top = block_max.double()
            arg = torch.where(block_top > top, block_arg + v, arg)  # strictly: an earlier block keeps a tie
            new_top = torch.maximum(top, block_top)
            sums = block.sub_(block_max[:, None]).exp_().sum(-1).double()
            total = total * torch.exp(top - new_top) + sums * torch.exp(block_top - new_top)
            top = new_top
        norm = top + total.log()
        logp[mine] = (picked.double() - norm[row_of]).float()
        best[s : s + r] = arg
    return logp, best


def _plain(head: Any, softcap: float | None, hidden: Any, head_row: Any, targets: Any) -> tuple[Any, Any]:
    """``log_softmax(head(hidden))`` a pass of rows at a time (any head, dtype or device)."""
    import torch

    n = len(hidden)
    best = torch.empty(n, dtype=torch.long)
    logp = torch.empty(len(targets), dtype=torch.float32)
    for s in range(0, n, ROWS_PER_PASS):
        logits = head_logits(head, softcap, hidden[s : s + ROWS_PER_PASS])
        mine = ((head_row >= s) & (head_row < s + ROWS_PER_PASS)).nonzero()[:, 0]
        best[s : s + len(logits)] = logits.argmax(-1).cpu()
        # log_softmax, not logits - logsumexp: torch's float32 logsumexp over 262k entries is off
        # by ~1e-4 per token
        lsm = torch.log_softmax(logits, -1)
        logp[mine] = lsm[(head_row[mine] - s).to(lsm.device), targets[mine].to(lsm.device)].cpu()
    return logp, best
