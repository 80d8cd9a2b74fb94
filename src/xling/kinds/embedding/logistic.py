"""A logistic-regression classification head, fitted on embedding features.

Why not scikit-learn: importing ``sklearn.linear_model`` costs about 160 MB of resident memory
(it pulls in pandas, pyarrow, scipy.stats, joblib ...), more than the rest of an embedding
run; ``scipy.optimize`` alone costs about 50 MB and is imported only when a head is fitted.

The objective, start point and solver options are scikit-learn's for
``LogisticRegression(C=C, max_iter=2000)`` (l2 penalty, lbfgs, intercept fitted), so the two
give the same head up to the optimiser's tolerance (``tests/test_heads.py`` checks it):

* K > 2 classes: a full softmax over K weight rows (multinomial cross-entropy);
  with 2 classes one weight vector for the second class (binomial log-loss), as scikit-learn does;
* loss = mean over samples + ||W||^2 / (2 C n): the penalty is on the weights, never the
  intercepts (scikit-learn's mean-scaled form of ``sum(loss) + ||W||^2 / (2 C)``);
* zero start; ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with gtol 1e-4,
  maxiter 2000, maxls 50, ftol 64 eps.
"""

from __future__ import annotations

import warnings

import numpy as np


class HeadConvergenceWarning(UserWarning):
    """L-BFGS stopped before the gradient reached the tolerance."""


def _loss_grad(w: np.ndarray, x: np.ndarray, y: np.ndarray, n_out: int, alpha: float) -> tuple[float, np.ndarray]:
    """Mean log-loss + alpha/2 ||W||^2 and its gradient; ``w`` is (n_out, d + 1) raveled, intercept last.

    ``n_out`` is 1 for the binomial case (``y`` in {0, 1}) and K for the multinomial one
    (``y`` the class index of each row).
    """
    n, d = x.shape
    w = w.reshape(n_out, d + 1)
    coef, bias = w[:, :d], w[:, d]
    raw = x @ coef.T + bias  # (n, n_out)
    if n_out == 1:
        z = raw[:, 0]
        loss = np.logaddexp(0.0, z) - y * z
        resid = (np.exp(-np.logaddexp(0.0, -z)) - y)[:, None]  # sigmoid(z) - y, stable both ways
    else:
        top = raw.max(axis=1, keepdims=True)
        shifted = raw - top
        lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = (lse - shifted)[np.arange(n), y]
        resid = np.exp(shifted - lse)  # softmax
        resid[np.arange(n), y] -= 1.0
    resid /= n
    grad = np.empty_like(w)
    grad[:, :d] = resid.T @ x + alpha * coef
    grad[:, d] = resid.sum(axis=0)
    value = float(loss.mean()) + 0.5 * alpha * float(np.sum(coef * coef))
    return value, grad.ravel()


class LogisticHead:
    """Multinomial (binomial for 2 classes) L2 logistic regression; ``C`` is scikit-learn's."""

    def __init__(self, C: float = 1.0, max_iter: int = 2000, tol: float = 1e-4):
        if not C > 0:
            raise ValueError(f"C must be positive, not {C!r}")
        self.C, self.max_iter, self.tol = float(C), int(max_iter), float(tol)

    def fit(self, x, labels) -> LogisticHead:
        """Fit on feature rows ``x`` (n, d) and one label per row (strings or any sortable values)."""
        from scipy.optimize import minimize  # lazy: ~50 MB, only when a head is fitted

        x = np.asarray(x, dtype=np.float64)
        labels = np.asarray(labels)
        if x.ndim != 2 or len(x) != len(labels):
            raise ValueError(
                f"need a 2-d feature array with one row per label, got shape {x.shape} and {len(labels)} labels"
            )
        if not np.isfinite(x).all():
            raise ValueError("the features contain NaN or infinite values")
        self.classes_, y = np.unique(labels, return_inverse=True)
        k = len(self.classes_)
        if k < 2:
            raise ValueError(f"need at least two classes, got {k}")
        n, d = x.shape
        n_out = 1 if k == 2 else k
        y = y.astype(np.float64) if n_out == 1 else y
        res = minimize(
            _loss_grad,
            np.zeros(n_out * (d + 1)),
            method="L-BFGS-B",
            jac=True,
            args=(x, y, n_out, 1.0 / (self.C * n)),
            options={"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps},
        )
        if res.status != 0:
            warnings.warn(
                f"the logistic head did not converge in {res.nit} iterations ({res.message}); "
                "scale the features or raise max_iter",
                HeadConvergenceWarning,
                stacklevel=2,
            )
        w = res.x.reshape(n_out, d + 1)
        self.coef_, self.intercept_ = w[:, :d].copy(), w[:, d].copy()
        self.n_iter_ = int(res.nit)
        return self

    def decision_function(self, x) -> np.ndarray:
        """Scores: (n,) for two classes (positive means ``classes_[1]``), else (n, K)."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("the head is not fitted yet: call fit first")
        scores = np.asarray(x, dtype=np.float64) @ self.coef_.T + self.intercept_
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, x) -> np.ndarray:
        """The most likely label of each row."""
        scores = self.decision_function(x)
        idx = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[idx]
