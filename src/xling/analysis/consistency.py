"""Cross-lingual consistency on parallel items.

For each task, setting and pair of languages, over the items both languages have (same
``parallel_id``, no error in either): the rate at which the two predictions agree, the rate at
which they agree and are both correct, and Cohen's kappa of the two predictions (chance-corrected
agreement; the same numbers as ``sklearn.metrics.cohen_kappa_score``, computed here with numpy
so a run does not import scikit-learn for it). CIs: one percentile bootstrap
over the shared items, resampled jointly for the three statistics. An item is *correct* when its
per-item score is at least 0.5 (exact for 0/1 scores; for partial-credit scores such as token F1
it means "mostly right").
"""
from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd

from ..stats import CONFIDENCE, N_RESAMPLES, percentile_ci, seed_for

CORRECT_AT = 0.5


def _key(value) -> str:
    """A hashable form of a prediction (numpy scalars, e.g. a predicted index, become numbers)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _kappa_replicates(a: np.ndarray, b: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Cohen's kappa for each bootstrap replicate (rows of ``idx``), vectorised."""
    reps, n = idx.shape
    ra, rb = a[idx], b[idx]
    po = (ra == rb).mean(axis=1)
    offs = (np.arange(reps) * k)[:, None]
    ca = np.bincount((ra + offs).ravel(), minlength=reps * k).reshape(reps, k)
    cb = np.bincount((rb + offs).ravel(), minlength=reps * k).reshape(reps, k)
    pe = (ca * cb).sum(axis=1) / float(n * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


def _wide(group: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    ok = group[group["error"].isna()]
    ok = ok.drop_duplicates(["language", "parallel_id"])
    pred = ok.pivot(index="parallel_id", columns="language", values="prediction")
    score = ok.pivot(index="parallel_id", columns="language", values="score")
    return pred, score


def pair_consistency(pred_a, pred_b, score_a, score_b, rng: np.random.Generator,
                     n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> dict:
    """Agreement, agree-and-correct and kappa (x100, with CIs) for two aligned languages."""
    keys = [_key(v) for v in list(pred_a) + list(pred_b)]
    codes = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    n = len(pred_a)
    a = np.array([codes[k] for k in keys[:n]], dtype=np.int64)
    b = np.array([codes[k] for k in keys[n:]], dtype=np.int64)
    ca = np.asarray(score_a, dtype=float) >= CORRECT_AT
    cb = np.asarray(score_b, dtype=float) >= CORRECT_AT
    return _pair_stats(a, b, ca, cb, len(codes), rng, n_resamples, confidence)


def _pair_stats(a: np.ndarray, b: np.ndarray, ca: np.ndarray, cb: np.ndarray, k: int, rng: np.random.Generator,
                n_resamples: int, confidence: float) -> dict:
    """The statistics of :func:`pair_consistency` from integer-coded predictions (codes < ``k``)
    and per-item correctness."""
    n = len(a)
    agree, both = (a == b), (a == b) & ca & cb
    one = len(set(a) | set(b)) == 1
    kappa = float("nan") if one else float(_kappa_replicates(a, b, np.arange(n)[None, :], k)[0])
    out = {"n": n, "agreement": agree.mean() * 100, "agree_correct": both.mean() * 100, "kappa": kappa,
           "flips": int((ca != cb).sum()), "correct_only_first": int((ca & ~cb).sum()),
           "correct_only_second": int((~ca & cb).sum())}
    if n >= 2:
        idx = rng.integers(0, n, size=(n_resamples, n))
        for name, reps in (("agreement", agree[idx].mean(axis=1) * 100),
                           ("agree_correct", both[idx].mean(axis=1) * 100),
                           ("kappa", _kappa_replicates(a, b, idx, k))):
            out[f"{name}_ci_low"], out[f"{name}_ci_high"] = percentile_ci(reps, confidence)
    else:
        for name in ("agreement", "agree_correct", "kappa"):
            out[f"{name}_ci_low"] = out[f"{name}_ci_high"] = out[name]
    return {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in out.items()}


MAX_CI_LANGUAGES = 25  # above this, bootstrap CIs only for pairs with the task's source language


def consistency(pred: pd.DataFrame, seed: int, n_resamples: int = N_RESAMPLES,
                sources: dict[str, str] | None = None, max_ci_languages: int = MAX_CI_LANGUAGES) -> list[dict]:
    """One row per (task, setting, language pair) with at least one shared item.

    Point estimates for every pair (vectorised over pairs). Bootstrap CIs for every pair when a
    task has at most ``max_ci_languages`` languages; above that (SIB-200 has 20,000+ pairs) only
    for pairs that include the task's source language — the others get null CIs.
    """
    out = []
    for (task, setting), group in pred.groupby(["task", "setting"], sort=True):
        p, s = _wide(group)
        langs = list(p.columns)
        src = (sources or {}).get(task)
        valid = p.notna().to_numpy(dtype=bool) & s.notna().to_numpy(dtype=bool)
        flat = [_key(v) if ok else "" for v, ok in zip(p.to_numpy().ravel(), valid.ravel())]
        codes, uniques = pd.factorize(pd.Series(flat))
        codes = codes.reshape(p.shape).astype(np.int64)
        correct = np.nan_to_num(s.to_numpy(dtype=float), nan=-1.0) >= CORRECT_AT
        both = valid[:, :, None] & valid[:, None, :]
        same = (codes[:, :, None] == codes[:, None, :]) & both
        n_pair = both.sum(axis=0)
        agree = same.sum(axis=0)
        agree_correct = (same & correct[:, :, None] & correct[:, None, :]).sum(axis=0)
        only_first = (correct[:, :, None] & ~correct[:, None, :] & both).sum(axis=0)
        only_second = (~correct[:, :, None] & correct[:, None, :] & both).sum(axis=0)
        all_ci = len(langs) <= max_ci_languages
        k = len(uniques)
        for i, j in combinations(range(len(langs)), 2):
            n = int(n_pair[i, j])
            if n == 0:
                continue
            la, lb = langs[i], langs[j]
            rows = np.flatnonzero(both[:, i, j])
            a, b = codes[rows, i], codes[rows, j]
            kappa = float(_kappa_replicates(a, b, np.arange(n)[None, :], k)[0]) if len(set(a) | set(b)) > 1 else float("nan")
            row = {"task": task, "setting": setting, "language_a": la, "language_b": lb, "n": n,
                   "agreement": agree[i, j] / n * 100, "agree_correct": agree_correct[i, j] / n * 100, "kappa": kappa,
                   "flips": int(only_first[i, j] + only_second[i, j]), "correct_only_first": int(only_first[i, j]),
                   "correct_only_second": int(only_second[i, j])}
            if all_ci or src in (la, lb):
                # the setting's codes already identify equal predictions; kappa does not depend on
                # how they are numbered, so no re-encoding per pair
                cis = _pair_stats(a, b, correct[rows, i], correct[rows, j], k,
                                  seed_for(seed, "consistency", task, setting, la, lb), n_resamples, CONFIDENCE)
                row |= {key: v for key, v in cis.items() if key.endswith(("_ci_low", "_ci_high"))}
            else:
                row |= {f"{m}_{e}": float("nan") for m in ("agreement", "agree_correct", "kappa") for e in ("ci_low", "ci_high")}
            out.append({key: (float(v) if isinstance(v, np.floating) else v) for key, v in row.items()})
    return out


def flipped_items(pred: pd.DataFrame) -> pd.DataFrame:
    """Items (per task, setting, parallel_id) correct in some languages and wrong in others.

    Columns: task, setting, parallel_id, correct (languages), wrong (languages), and
    ``per_language``: {language: {prediction, gold, score, item_id}}.
    """
    rows = []
    ok = pred[pred["error"].isna()]
    for (task, setting, pid), g in ok.groupby(["task", "setting", "parallel_id"], sort=True):
        correct = sorted(g.loc[g["score"] >= CORRECT_AT, "language"])
        wrong = sorted(g.loc[g["score"] < CORRECT_AT, "language"])
        if correct and wrong:
            per = {r.language: {"prediction": r.prediction, "gold": r.gold, "score": float(r.score), "item_id": r.item_id}
                   for r in g.itertuples()}
            rows.append({"task": task, "setting": setting, "parallel_id": pid, "correct": correct,
                         "wrong": wrong, "per_language": per})
    return pd.DataFrame(rows, columns=["task", "setting", "parallel_id", "correct", "wrong", "per_language"])
