"""Padded passes: consecutive lengths, the budget kept, padding bounded once a pass is large."""

from __future__ import annotations

import random

import pytest

from xling.models.padded_runs import padded_runs


def check(lengths, runs, budget):
    assert [i for r in runs for i in r] == list(range(len(lengths)))  # every item once, in order
    for r in runs:
        assert len(r) == 1 or len(r) * lengths[r.start] <= budget


def test_equal_lengths_fill_the_budget():
    runs = padded_runs([10] * 25, budget=100)
    assert [len(r) for r in runs] == [10, 10, 5]


def test_a_sequence_longer_than_the_budget_runs_alone():
    lengths = [500, 40, 30]
    runs = padded_runs(lengths, budget=100)
    check(lengths, runs, 100)
    assert runs[0] == range(0, 1)


def test_padding_ends_a_large_pass_but_not_a_small_one():
    lengths = [20] * 20 + [10] * 20  # a pass of 20 x 20 tokens, then half-length ones
    runs = padded_runs(lengths, budget=10_000, waste=0.125, min_tokens=256)
    assert runs == [range(0, 26), range(26, 40)]  # six short ones ride along: padding 60 of 520 tokens
    small = padded_runs([20, 10, 10], budget=10_000, min_tokens=256)
    assert small == [range(0, 3)]  # too small to be worth a pass of its own


def test_no_sequences_no_passes():
    assert padded_runs([], budget=64) == []


@pytest.mark.parametrize("seed", range(5))
def test_random_lengths_keep_the_budget_and_bound_the_padding(seed):
    rng = random.Random(seed)
    lengths = sorted((rng.randint(1, 60) for _ in range(400)), reverse=True)
    runs = padded_runs(lengths, budget=2048, waste=0.125, min_tokens=256)
    check(lengths, runs, 2048)
    padded = sum(len(r) * lengths[r.start] for r in runs)
    assert padded <= 1.2 * sum(lengths)
    assert padded_runs(lengths, budget=2048) == runs  # deterministic
