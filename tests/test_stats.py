import numpy as np
import pytest

from xling.scoring.stats import bootstrap_mean, bootstrap_statistic, paired_difference, seed_for, unpaired_difference


def test_bernoulli_ci_matches_the_normal_approximation():
    # p = 0.5, n = 400: the sampling sd of the mean is 0.025, so the 95% CI is 0.5 +- 0.049.
    x = np.array([1.0] * 200 + [0.0] * 200)
    est = bootstrap_mean(x, seed_for(0, "t"), scale=100)
    assert est.value == 50.0
    assert est.ci_low == pytest.approx(45.1, abs=0.8)
    assert est.ci_high == pytest.approx(54.9, abs=0.8)
    assert est.n == 400


def test_constant_scores_have_a_degenerate_interval():
    est = bootstrap_mean(np.ones(50), seed_for(0, "t"))
    assert (est.value, est.ci_low, est.ci_high) == (1.0, 1.0, 1.0)


def test_same_seed_same_interval_other_key_other_draws():
    x = np.random.default_rng(1).random(100)
    a = bootstrap_mean(x, seed_for(7, "task", "swh_Latn"))
    b = bootstrap_mean(x, seed_for(7, "task", "swh_Latn"))
    c = bootstrap_mean(x, seed_for(7, "task", "yor_Latn"))
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)


def test_ci_covers_the_true_mean_at_about_the_nominal_rate():
    # 2000 intervals: coverage is known to about +-0.005, so a 90% (or 99%) interval fails
    rng = np.random.default_rng(123)
    trials = 2000
    hits = 0
    for i in range(trials):
        x = rng.binomial(1, 0.7, size=100).astype(float)
        est = bootstrap_mean(x, seed_for(i, "cov"), n_resamples=1000)
        hits += est.ci_low <= 0.7 <= est.ci_high
    assert 0.935 <= hits / trials <= 0.965


def test_generic_statistic_ci_matches_the_binomial_quantiles():
    # the share of 1s among 400 items, half of them 1s: a resampled share is Binomial(400, 1/2) / 400,
    # whose 2.5% and 97.5% quantiles are 180/400 and 220/400 (a 90% interval: 0.4575, 0.5425)
    x = np.array([1.0] * 200 + [0.0] * 200)
    est = bootstrap_statistic(len(x), lambda idx: x[idx].mean(), seed_for(1, "k"))
    assert (est.value, est.n) == (0.5, 400)
    assert est.ci_low == pytest.approx(0.45, abs=0.004)
    assert est.ci_high == pytest.approx(0.55, abs=0.004)


def test_paired_difference_is_tighter_than_unpaired_on_correlated_scores():
    rng = np.random.default_rng(5)
    base = rng.binomial(1, 0.6, 300).astype(float)
    flip = rng.random(300) < 0.1
    other = np.where(flip, 1 - base, base)
    p = paired_difference(base, other, seed_for(0, "p"))
    u = unpaired_difference(base, other, seed_for(0, "u"))
    assert p.value == pytest.approx(u.value)
    assert (p.ci_high - p.ci_low) < (u.ci_high - u.ci_low)


def test_many_items_are_resampled_in_batches_with_the_same_estimate(monkeypatch):
    """Past MAX_DRAWS indices the resamples come in batches (flat memory), and they are the very
    resamples one draw gives: the same estimate to the bit."""
    from xling.scoring import stats

    x = np.random.default_rng(3).random(4000)  # many distinct values: resampled by index
    whole = bootstrap_mean(x, seed_for(0, "t"), scale=100)
    seen = []
    real = stats._scipy_stats().bootstrap

    def spy(*args, **kwargs):
        seen.append(kwargs.get("batch"))
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "MAX_DRAWS", 4000 * 150)
    monkeypatch.setattr(stats._scipy_stats(), "bootstrap", spy)
    batched = bootstrap_mean(x, seed_for(0, "t"), scale=100)
    assert seen == [150]
    assert batched == whole
    assert stats.resample_batch(10, 2000) is None and stats.resample_batch(4000, 2000) == 150


def test_few_valued_scores_are_resampled_as_counts_with_index_resamplings_distribution(monkeypatch):
    """0/1 scores (or differences of them) are resampled as how many items of each value are
    drawn, without scipy's n indices per resample: the resampled mean of n = 400 items, half 1s,
    is Binomial(400, 1/2) / 400, whose 2.5% / 97.5% quantiles are 180/400 and 220/400; and over
    many seeds the bounds agree with index resampling's (scipy) within Monte Carlo error."""
    from scipy import stats as sps

    from xling.scoring import stats

    x = np.array([1.0] * 200 + [0.0] * 200)
    calls = []
    monkeypatch.setattr(stats._scipy_stats(), "bootstrap", lambda *a, **k: calls.append(1))
    est = bootstrap_mean(x, seed_for(1, "k"))
    assert calls == []
    assert (est.value, est.n) == (0.5, 400)
    assert est.ci_low == pytest.approx(0.45, abs=0.004) and est.ci_high == pytest.approx(0.55, abs=0.004)
    monkeypatch.undo()

    rng = np.random.default_rng(11)
    d = rng.choice([-1.0, 0.0, 0.0, 0.0, 1.0, 1.0], size=150)  # a paired difference of 0/1 scores, skewed
    ours = np.array([[e.ci_low, e.ci_high] for e in (bootstrap_mean(d, seed_for(i, "c")) for i in range(150))])
    ref = np.array(
        [
            [r.confidence_interval.low, r.confidence_interval.high]
            for r in (
                sps.bootstrap((d,), np.mean, n_resamples=2000, method="percentile", random_state=seed_for(i, "s"))
                for i in range(150)
            )
        ]
    )
    # a bound's seed-to-seed sd is ~0.004 here: the means of 150 agree to ~0.0005
    assert np.abs(ours.mean(axis=0) - ref.mean(axis=0)).max() < 0.002
    assert ours[:, 0].std() == pytest.approx(ref[:, 0].std(), rel=0.35)


def test_scores_with_many_values_still_go_through_scipy(monkeypatch):
    from xling.scoring import stats

    seen = []
    real = stats._scipy_stats().bootstrap
    monkeypatch.setattr(stats._scipy_stats(), "bootstrap", lambda *a, **k: seen.append(1) or real(*a, **k))
    bootstrap_mean(np.arange(stats.FEW_VALUES + 1, dtype=float), seed_for(0, "m"))
    assert seen == [1]
    bootstrap_mean(np.arange(stats.FEW_VALUES, dtype=float), seed_for(0, "m"))
    assert seen == [1]
