"""Translation artefacts: where the same items exist human- and machine-translated (two tasks,
or two runs, over the same parallel ids), the per-language score gap human − machine, paired
over shared items, with a paired test and Holm's correction over languages.
"""

from __future__ import annotations

import pandas as pd

from ..analysis.significance import correct
from ..scoring.stats import paired_difference, paired_test, seed_for


def translation_artefacts(human: pd.DataFrame, machine: pd.DataFrame, seed: int = 0, alpha: float = 0.05) -> list[dict]:
    """``human`` and ``machine``: prediction tables of one task and setting each (same parallel ids)."""
    out = []
    h = human.assign(score=human["score"].fillna(0.0)).drop_duplicates(["language", "parallel_id"])
    m = machine.assign(score=machine["score"].fillna(0.0)).drop_duplicates(["language", "parallel_id"])
    for lang in sorted(set(h["language"]) & set(m["language"])):
        a = h[h["language"] == lang].set_index("parallel_id")["score"]
        b = m[m["language"] == lang].set_index("parallel_id")["score"]
        shared = a.index.intersection(b.index)
        if len(shared) < 2:
            continue
        x, y = a.loc[shared].to_numpy(), b.loc[shared].to_numpy()
        rng = seed_for(seed, "artefacts", lang)
        diff = paired_difference(x, y, rng, scale=100.0)
        test = paired_test(x, y, rng)
        out.append(
            {
                "language": lang,
                "n": len(shared),
                "human": float(x.mean() * 100),
                "machine": float(y.mean() * 100),
                "gap": diff.value,
                "ci_low": diff.ci_low,
                "ci_high": diff.ci_high,
                "test": test.test,
                "p_value": test.p_value,
            }
        )
    return correct(out, alpha) if out else out
