"""The output head over selected hidden states: the CPU path that computes the logits a block at
a time (running maximum and sum of exponentials) gives each token's log-probability within float
rounding of exact arithmetic, and the greedy token of ``argmax``; other heads take the plain
``log_softmax(head(hidden))`` path."""

from __future__ import annotations

import pytest

from xling.models import lm_head

torch = pytest.importorskip("torch")

VOCAB, WIDTH, ROWS = 3000, 24, 37


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(lm_head, "ROW_BLOCK", 16)  # three row blocks, the last one short
    monkeypatch.setattr(lm_head, "VOCAB_BLOCK", 512)  # six vocabulary blocks, the last one short
    monkeypatch.setattr(lm_head, "ROWS_PER_PASS", 16)


def inputs(bias: bool, scale: float = 4.0):
    torch.manual_seed(5)
    head = torch.nn.Linear(WIDTH, VOCAB, bias=bias)
    hidden = torch.randn(ROWS, WIDTH) * scale
    head_row = torch.randint(0, ROWS, (90,))
    targets = torch.randint(0, VOCAB, (90,))
    targets[:3] = torch.tensor([0, VOCAB - 1, 512])  # the first, last and a block's first entry
    return head, hidden, head_row, targets


def exact(head, softcap, hidden, head_row, targets):
    """float64 arithmetic over the float32 logits: what the head's log-probabilities are."""
    with torch.inference_mode():
        logits = head(hidden).float()
        if softcap:
            logits = softcap * torch.tanh(logits / softcap)
        return torch.log_softmax(logits.double(), -1)[head_row, targets], logits.argmax(-1)


@pytest.mark.parametrize("softcap", [None, 2.5])
def test_blocked_log_probabilities_are_exact_within_float_rounding(small_blocks, softcap):
    head, hidden, head_row, targets = inputs(bias=False)
    with torch.inference_mode():
        logp, best = lm_head.token_logprobs(head, softcap, hidden, head_row, targets)
    ref_logp, ref_best = exact(head, softcap, hidden, head_row, targets)
    assert logp.dtype == torch.float32 and logp.shape == targets.shape and best.shape == (ROWS,)
    assert torch.allclose(logp.double(), ref_logp, atol=2e-6, rtol=0)
    assert torch.equal(best, ref_best)


def test_blocked_path_is_more_exact_than_a_float32_log_softmax_over_a_large_vocabulary():
    torch.manual_seed(2)
    head = torch.nn.Linear(16, 200_000, bias=False)
    hidden = torch.randn(6, 16) * 3
    head_row = torch.arange(6).repeat(3)
    targets = torch.randint(0, 200_000, (18,))
    with torch.inference_mode():
        logp, _ = lm_head.token_logprobs(head, None, hidden, head_row, targets)
        logits = head(hidden)
    ref = torch.log_softmax(logits.double(), -1)[head_row, targets]
    plain = torch.log_softmax(logits, -1)[head_row, targets].double()
    ours = (logp.double() - ref).abs().max()
    assert ours < 1e-5
    assert ours <= (plain - ref).abs().max()


def test_a_tie_across_blocks_keeps_the_first_index_as_argmax(small_blocks):
    head = torch.nn.Linear(2, VOCAB, bias=False)
    with torch.no_grad():
        head.weight.zero_()
        head.weight[700] = torch.tensor([1.0, 0.0])  # second block
        head.weight[2900] = torch.tensor([1.0, 0.0])  # last block: the same logit
        head.weight[100] = torch.tensor([0.0, 1.0])  # first block, wins for the second row
        head.weight[1500] = torch.tensor([0.0, 1.0])
    hidden = torch.tensor([[3.0, 0.0], [0.0, 3.0], [0.0, 0.0]])
    with torch.inference_mode():
        _, best = lm_head.token_logprobs(head, None, hidden, torch.tensor([0]), torch.tensor([700]))
    assert best.tolist() == [700, 100, 0] == torch.argmax(head(hidden), -1).tolist()


def test_a_float32_linear_head_without_bias_is_computed_block_by_block(small_blocks, monkeypatch):
    head, hidden, head_row, targets = inputs(bias=False)
    called = []
    monkeypatch.setattr(head, "forward", lambda h: called.append(len(h)) or torch.nn.functional.linear(h, head.weight))
    with torch.inference_mode():
        lm_head.token_logprobs(head, None, hidden, head_row, targets)
    assert called == []  # products straight into the block buffer, not the module's own call
    head.bias = torch.nn.Parameter(torch.zeros(VOCAB))
    with torch.inference_mode():
        lm_head.token_logprobs(head, None, hidden, head_row, targets)
    assert called == [16, 16, 5]  # a head with bias goes through its module, a pass at a time


@pytest.mark.parametrize("softcap", [None, 2.5])
def test_other_heads_have_the_bits_of_the_plain_log_softmax(small_blocks, softcap):
    head, hidden, head_row, targets = inputs(bias=True)
    with torch.inference_mode():
        logp, best = lm_head.token_logprobs(head, softcap, hidden, head_row, targets)
        logits = lm_head.head_logits(head, softcap, hidden)
        ref = torch.log_softmax(logits, -1)[head_row, targets]
    assert torch.equal(logp, ref)
    assert torch.equal(best, logits.argmax(-1))


def test_no_rows_no_products():
    head, _, _, _ = inputs(bias=False)
    logp, best = lm_head.token_logprobs(
        head, None, torch.empty(0, WIDTH), torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.long)
    )
    assert logp.shape == (0,) and best.shape == (0,)
