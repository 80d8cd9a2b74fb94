"""MEXA-style alignment (Kargaran et al. 2024, "MEXA: Multilingual Evaluation of English-Centric
LLMs via Cross-Lingual Alignment"): how well a model's representation of each language lines up
with English on parallel sentences, and how well that predicts the model's task scores.

Alignment of language L: over n parallel sentences, the share i for which the embedding of L's
sentence i is more similar (cosine) to English sentence i than to any other English sentence,
AND English sentence i is closer to L's sentence i than to any other L sentence. MEXA computes
this per layer of a decoder's hidden states; here it uses the model's sentence embedding (the
``embed`` capability) — one representation, not a layer sweep.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n == 0, 1, n)


def alignment(x: np.ndarray, y: np.ndarray) -> float:
    """Share of rows i with sim[i, i] strictly the largest in its row and in its column."""
    sim = _unit(x) @ _unit(y).T
    diag = np.diag(sim)
    off = sim - np.diag(np.full(len(diag), np.inf))
    return float(np.mean((diag > off.max(axis=1)) & (diag > off.max(axis=0))))


def mexa(
    embed: Callable[[list[str]], np.ndarray],
    texts: dict[str, dict[str, str]],
    pivot: str = "eng_Latn",
    scores: dict[str, float] | None = None,
) -> dict:
    """Per-language alignment with ``pivot`` (x100) and, given task ``scores`` per language, the
    Pearson and Spearman correlation between alignment and score across languages."""
    if pivot not in texts:
        raise ValueError(f"the pivot language {pivot} has no texts")
    rows = []
    for lang, by_id in sorted(texts.items()):
        if lang == pivot:
            continue
        ids = [p for p in by_id if p in texts[pivot]]
        if len(ids) < 2:
            continue
        x = embed([by_id[p] for p in ids])
        y = embed([texts[pivot][p] for p in ids])
        rows.append(
            {
                "language": lang,
                "n": len(ids),
                "alignment": alignment(x, y) * 100,
                "score": None if scores is None else scores.get(lang),
            }
        )
    out = {"pivot": pivot, "languages": rows, "representation": "sentence embedding (embed capability)"}
    paired = [(r["alignment"], r["score"]) for r in rows if r["score"] is not None]
    if len(paired) >= 3:
        a, s = np.array(paired).T
        if np.ptp(a) > 0 and np.ptp(s) > 0:
            pr, sr = stats.pearsonr(a, s), stats.spearmanr(a, s)
            out["correlation"] = {
                "languages": len(paired),
                "pearson": float(pr.statistic),
                "pearson_p": float(pr.pvalue),
                "spearman": float(sr.statistic),
                "spearman_p": float(sr.pvalue),
            }
        else:
            out["correlation"] = {"languages": len(paired), "note": "alignment or score is constant across languages"}
    return out
