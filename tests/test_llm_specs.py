"""Model specs and options of the LLM backends: clear errors before anything heavy loads."""

from __future__ import annotations

import pytest

from xling.errors import UserError
from xling.models import load_model
from xling.models.lm_common import cut_at_stop, fit_window, split_continuation


@pytest.mark.parametrize(
    "spec, options, message",
    [
        ("hf", {}, "needs a target"),
        ("hf:gemma3-270m", {"temperature": 0.7}, "unknown option"),
        ("hf:/no/such/dir#model.gguf", {}, "does not exist"),
        ("hf:/tmp#model.bin", {}, "must name a .gguf file"),
        ("llamacpp", {}, "needs a GGUF file"),
        ("llamacpp:/no/such.gguf", {}, "does not exist"),
        ("llamacpp:gemma3-270m", {"n_gpu": 1}, "unknown option"),
    ],
)
def test_bad_specs_fail_with_a_hint(spec, options, message):
    pytest.importorskip("transformers")
    with pytest.raises(UserError, match=message):
        load_model(spec, options)


def test_split_continuation_follows_lm_eval():
    # a toy tokenizer: one token per character, BOS = 0
    def encode(text, special):
        return ([0] if special else []) + [ord(c) for c in text]

    assert split_continuation(encode, "ab ", "c") == ([0, 97, 98], [32, 99])
    assert split_continuation(encode, "", "c", fallback_context=1) == ([0], [99])


def test_fit_window_keeps_bos_and_the_end():
    assert fit_window([0, 1, 2, 3, 4, 5], 2, 5) == ([0, 4, 5], True)
    assert fit_window([0, 1, 2], 2, 5) == ([0, 1, 2], False)
    assert fit_window([0, 1, 2], 5, 5) is None


def test_cut_at_stop():
    assert cut_at_stop("a.b\nc", [".", "\n"]) == "a"
    assert cut_at_stop("abc", []) == "abc"
    assert cut_at_stop("abc", [""]) == "abc"
