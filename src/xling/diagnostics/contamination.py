"""Cross-language contamination check: does the model's likelihood reveal that it has seen the
benchmark's translations?

For a parallel item (source sentence s in one language, its benchmark translation t in
another), the model scores t after s (``Backend.loglik``) and scores k perturbed versions of t
(its words — characters for scripts without spaces — shuffled; same bytes, same vocabulary).
The per-item statistic is (loglik(t) − mean loglik(perturbed)) / bytes(t). A fluent model prefers
the real translation anyway, so the number means little alone: the check compares it with the
same statistic on a control set of parallel sentences the model cannot have memorised as
benchmark data (another corpus, or fresh translations). Benchmark items with a reliably larger
preference than control items (one-sided permutation test, Holm over languages) are flagged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats as sstats

from ..analysis.significance import correct
from ..languages import codes as L
from ..scoring.stats import bootstrap_mean, seed_for
from .fertility import UNSEGMENTED

Loglik = Callable[[list[tuple[str, str]]], list[tuple[float, int, bool]]]
TEMPLATE = "{source}\n"


def perturb(text: str, script: str, rng: np.random.Generator) -> str:
    """Shuffle words (or characters for unsegmented scripts); never returns the text itself when
    it has at least two distinct units."""
    units = list(text) if script in UNSEGMENTED else text.split()
    sep = "" if script in UNSEGMENTED else " "
    if len(set(units)) < 2:
        return text
    for _ in range(20):
        order = rng.permutation(len(units))
        shuffled = sep.join(units[i] for i in order)
        if shuffled != text:
            return shuffled
    return sep.join(units[::-1])


def preferences(
    loglik: Loglik, pairs: list[tuple[str, str]], script: str, rng: np.random.Generator, n_perturb: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: (loglik(true) − mean loglik(perturbed)) per UTF-8 byte of the translation, and
    whether the true translation beats every perturbation."""
    requests, spans = [], []
    for source, target in pairs:
        ctx = TEMPLATE.format(source=source)
        variants = [target] + [perturb(target, script, rng) for _ in range(n_perturb)]
        spans.append((len(requests), len(variants), max(1, len(target.encode("utf-8")))))
        requests += [(ctx, v) for v in variants]
    ll = [r[0] for r in loglik(requests)]
    delta, beats = [], []
    for start, k, nbytes in spans:
        true, rest = ll[start], ll[start + 1 : start + k]
        delta.append((true - float(np.mean(rest))) / nbytes)
        beats.append(true > max(rest))
    return np.array(delta), np.array(beats, dtype=float)


def contamination_check(
    loglik: Loglik,
    benchmark: dict[str, list[tuple[str, str]]],
    control: dict[str, list[tuple[str, str]]] | None = None,
    *,
    seed: int = 0,
    n_perturb: int = 3,
    alpha: float = 0.05,
) -> list[dict]:
    """Per target language: mean preference for the true translation (benchmark, and control when
    given), the share of items whose true translation beats every perturbation, and — with a
    control — a one-sided permutation p-value (benchmark > control), Holm-corrected, and a flag."""
    rows = []
    for lang, pairs in sorted(benchmark.items()):
        script = L.script(lang)
        rng = seed_for(seed, "contamination", lang)
        bench, beats = preferences(loglik, pairs, script, rng, n_perturb)
        est = bootstrap_mean(bench, seed_for(seed, "contamination-ci", lang))
        row = {
            "language": lang,
            "n": len(bench),
            "preference": est.value,
            "ci_low": est.ci_low,
            "ci_high": est.ci_high,
            "true_beats_all": float(beats.mean() * 100),
        }
        if control and control.get(lang):
            ctrl, _ = preferences(loglik, control[lang], script, rng, n_perturb)
            res = sstats.permutation_test(
                (bench, ctrl),
                lambda a, b, axis=-1: a.mean(axis=axis) - b.mean(axis=axis),
                permutation_type="independent",
                alternative="greater",
                n_resamples=9999,
                vectorized=True,
                random_state=seed_for(seed, "perm", lang),
            )
            row |= {
                "control_n": len(ctrl),
                "control_preference": float(ctrl.mean()),
                "excess": float(bench.mean() - ctrl.mean()),
                "p_value": float(res.pvalue),
            }
        rows.append(row)
    tested = [r for r in rows if "p_value" in r]
    if tested:
        correct(tested, alpha)
        for r in tested:
            r["flag"] = (
                "suspect: the benchmark's translations are preferred more than control translations"
                if r["significant"]
                else "no evidence"
            )
    for r in rows:
        r.setdefault("flag", "not tested (no control set)")
    return rows
