"""Output-language fidelity of a run: is each generation in the language it should be in?

Language ID by :mod:`xling.languages.identify` (CLD3). A generation counts when it has at least
``min_chars`` letters; shorter ones (numbers, single words, empty answers) are reported as too
short to judge, not as wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..languages.identify import MIN_CHARS, base_language, detect, letters
from ..scoring.stats import bootstrap_mean, seed_for


def output_language_fidelity(
    pred: pd.DataFrame, seed: int = 0, min_chars: int = MIN_CHARS, expected: Callable[[str, str], str] | None = None
) -> list[dict]:
    """Per (task, setting, language): share of judged generations detected in the expected language
    (x100, bootstrap CI). ``expected(setting, language)`` gives the language an answer should be in
    (default: the item's language)."""
    out = []
    for (task, setting, lang), g in pred.groupby(["task", "setting", "language"], sort=True):
        texts = [p for p in g["prediction"] if isinstance(p, str)]
        if not texts:
            continue
        want = base_language(expected(setting, lang) if expected else lang)
        judged = [t for t in texts if letters(t) >= min_chars]
        found = detect(judged)
        hits = np.array([lang3 == want for lang3, _, _ in found], dtype=float)
        est = bootstrap_mean(hits, seed_for(seed, "fidelity", task, setting, lang), scale=100.0)
        others = Counter(lang3 or "?" for lang3, _, _ in found if lang3 != want).most_common(3)
        out.append(
            {
                "task": task,
                "setting": setting,
                "language": lang,
                "expected": want,
                "generations": len(texts),
                "judged": len(judged),
                "too_short": len(texts) - len(judged),
                "fidelity": est.value,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "other_languages": dict(others),
            }
        )
    return out
