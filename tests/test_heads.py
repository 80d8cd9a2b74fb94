"""xling.kinds.embedding.logistic.LogisticHead against scikit-learn's LogisticRegression (a test-only dependency)."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from xling.kinds.embedding.logistic import LogisticHead


def embedding_like(k: int, n: int, d: int = 384, seed: int = 0, sep: float = 0.12):
    """Unit rows around k random class directions (like sentence embeddings); string labels.

    ``sep`` keeps the classes overlapping (held-out accuracy about 0.5 for 7 classes, 0.9 for
    2), so the head's decision boundaries matter."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(k, d))
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    y = rng.integers(0, k, size=n)
    x = sep * means[y] + rng.normal(size=(n, d)) / np.sqrt(d)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    names = np.array([f"topic_{chr(ord('a') + i)}" for i in range(k)])
    return x, names[y]


def assert_same_predictions(sk: LogisticRegression, head: LogisticHead, x: np.ndarray) -> None:
    """Same labels on every row, except where sklearn's top two scores tie (within 1e-6)."""
    ps, ph = sk.predict(x), head.predict(x)
    scores = sk.decision_function(x)
    if scores.ndim == 1:
        margin = np.abs(scores)
    else:
        top2 = np.sort(scores, axis=1)[:, -2:]
        margin = top2[:, 1] - top2[:, 0]
    differ = ps != ph
    assert differ.sum() <= 1 and (margin[differ] < 1e-6).all(), (ps[differ], ph[differ], margin[differ])


def rel(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


@pytest.mark.parametrize("k", [7, 2])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_matches_sklearn_on_float64_features(k, C):
    # Same objective, zero start, same L-BFGS-B options: both follow the same iterates, so the
    # coefficients agree to rounding (observed relative difference 1e-16 .. 3e-15, same n_iter).
    # 1e-6 leaves room for another BLAS's summation order. Deviations are caught: penalising
    # the intercepts is off by 1.5e-3 (coef) / 5e-3 (intercept), gtol applied to the summed
    # instead of the mean loss by 1e-3, C not scaled by n by 5 (measured on k=7, C=1).
    x, y = embedding_like(k, 500, seed=k)
    train, test = slice(0, 350), slice(350, None)
    sk = LogisticRegression(C=C, max_iter=2000).fit(x[train], y[train])
    head = LogisticHead(C=C, max_iter=2000).fit(x[train], y[train])
    assert list(head.classes_) == list(sk.classes_)
    assert head.coef_.shape == sk.coef_.shape and head.intercept_.shape == sk.intercept_.shape
    assert rel(head.coef_, sk.coef_) < 1e-6
    assert np.allclose(head.intercept_, sk.intercept_, rtol=0, atol=1e-6)
    assert_same_predictions(sk, head, x[test])
    assert (head.predict(x[test]) == y[test]).mean() > 1.5 / k  # better than chance: a real fit
    assert np.allclose(head.decision_function(x[test]), sk.decision_function(x[test]), atol=1e-6)


@pytest.mark.parametrize("k,C", [(7, 0.1), (7, 10.0), (2, 1.0)])
def test_matches_sklearn_on_float32_features(k, C):
    # Embeddings arrive as float32. sklearn then computes its loss in float32, LogisticHead in
    # float64, so the two stop at slightly different points (observed relative difference on
    # the coefficients 1e-7 .. 4e-6 here, up to 9e-4 on real SIB-200 e5 features; on the same
    # features cast to float64 the two agree to 1e-13); the predictions still agree.
    x, y = embedding_like(k, 500, seed=10 + k)
    x = x.astype(np.float32)
    sk = LogisticRegression(C=C, max_iter=2000).fit(x[:350], y[:350])
    head = LogisticHead(C=C).fit(x[:350], y[:350])
    assert rel(head.coef_, sk.coef_) < 1e-3
    assert np.allclose(head.intercept_, sk.intercept_, rtol=0, atol=1e-3)
    assert_same_predictions(sk, head, x[350:])


def test_sib200_sized_problem_with_unbalanced_classes():
    # SIB-200: 7 topics, 701 train sentences, 384-dim e5-small embeddings, unequal class sizes.
    rng = np.random.default_rng(3)
    x, y = embedding_like(7, 1000, seed=3)
    keep = (y != "topic_g") | (rng.random(len(y)) < 0.3)  # one rare class
    x, y = x[keep], y[keep]
    sk = LogisticRegression(C=1.0, max_iter=2000).fit(x[:701], y[:701])
    head = LogisticHead(C=1.0).fit(x[:701], y[:701])
    assert rel(head.coef_, sk.coef_) < 1e-6
    assert_same_predictions(sk, head, x[701:])


def test_labels_need_not_be_strings_and_come_back_as_given():
    x, y = embedding_like(3, 200, seed=5)
    ints = np.searchsorted(np.unique(y), y) * 10
    head = LogisticHead().fit(x, ints)
    assert set(head.predict(x)) <= {0, 10, 20}
    assert (head.predict(x) == LogisticRegression(max_iter=2000).fit(x, ints).predict(x)).mean() >= 0.99


def test_deterministic():
    x, y = embedding_like(7, 300, seed=8)
    a, b = LogisticHead().fit(x, y), LogisticHead().fit(x, y)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


def test_bad_input_is_a_clear_error():
    x, y = embedding_like(2, 20, d=8)
    with pytest.raises(ValueError, match="at least two classes"):
        LogisticHead().fit(x, ["same"] * 20)
    with pytest.raises(ValueError, match="one row per label"):
        LogisticHead().fit(x, y[:-1])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticHead().fit(bad, y)
    with pytest.raises(ValueError, match="C must be positive"):
        LogisticHead(C=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        LogisticHead().predict(x)


def test_convergence_warning_when_max_iter_is_too_small():
    from xling.kinds.embedding.logistic import HeadConvergenceWarning

    x, y = embedding_like(7, 300, seed=9)
    with pytest.warns(HeadConvergenceWarning, match="did not converge"):
        LogisticHead(C=100.0, max_iter=2).fit(x, y)


def test_embedding_kinds_do_not_import_sklearn():
    # scikit-learn costs ~160 MB resident; the run path must not load it (issue 9).
    code = (
        "import sys, xling.kinds.embedding.heads, xling.kinds.embedding.pairs, xling.kinds.embedding.logistic; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
