"""The output head over selected hidden states: the CPU path that fills one reused buffer a
vocabulary block at a time gives the bits of ``log_softmax(head(hidden))``, as the plain path does."""

from __future__ import annotations

import pytest

from xling.models import lm_head

torch = pytest.importorskip("torch")

VOCAB, WIDTH, ROWS = 3000, 24, 37


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(lm_head, "ROWS_PER_PASS", 16)  # three passes, the last one short
    monkeypatch.setattr(lm_head, "VOCAB_BLOCK", 512)  # six blocks, the last one short


def inputs(bias: bool):
    torch.manual_seed(5)
    head = torch.nn.Linear(WIDTH, VOCAB, bias=bias)
    hidden = torch.randn(ROWS, WIDTH) * 4
    head_row = torch.randint(0, ROWS, (90,))
    targets = torch.randint(0, VOCAB, (90,))
    return head, hidden, head_row, targets


def reference(head, softcap, hidden, head_row, targets):
    with torch.inference_mode():
        logits = head(hidden).float()
        if softcap:
            logits = softcap * torch.tanh(logits / softcap)
        return torch.log_softmax(logits, -1)[head_row, targets], logits.argmax(-1)


@pytest.mark.parametrize("softcap", [None, 2.5])
@pytest.mark.parametrize("bias", [False, True])
def test_token_logprobs_have_the_bits_of_the_plain_log_softmax(small_blocks, softcap, bias):
    head, hidden, head_row, targets = inputs(bias)
    with torch.inference_mode():
        logp, best = lm_head.token_logprobs(head, softcap, hidden, head_row, targets)
    ref_logp, ref_best = reference(head, softcap, hidden, head_row, targets)
    assert logp.dtype == torch.float32 and best.shape == (ROWS,)
    assert torch.equal(logp, ref_logp)
    assert torch.equal(best, ref_best)


def test_a_float32_linear_head_without_bias_is_filled_block_by_block(small_blocks, monkeypatch):
    head, hidden, head_row, targets = inputs(bias=False)
    called = []
    monkeypatch.setattr(head, "forward", lambda h: called.append(len(h)) or torch.nn.functional.linear(h, head.weight))
    with torch.inference_mode():
        lm_head.token_logprobs(head, None, hidden, head_row, targets)
    assert called == []  # products straight into the buffer, not the module's own call
    head.bias = torch.nn.Parameter(torch.zeros(VOCAB))
    with torch.inference_mode():
        lm_head.token_logprobs(head, None, hidden, head_row, targets)
    assert called == [16, 16, 5]  # a head with bias goes through its module, a pass at a time


def test_no_rows_no_products():
    head, _, _, _ = inputs(bias=False)
    logp, best = lm_head.token_logprobs(
        head, None, torch.empty(0, WIDTH), torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.long)
    )
    assert logp.shape == (0,) and best.shape == (0,)
