"""Output-language fidelity: is a generation in the language it should be in?

Language ID by CLD3 (``cld3-py``, the maintained wheel of Google's Compact Language Detector v3,
offline). A generation counts when it has at least ``min_chars`` letters; shorter ones (numbers,
single words, empty answers) are reported as too short to judge, not as wrong.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import UserError
from ..languages import codes as L
from ..scoring.stats import bootstrap_mean, seed_for

MIN_CHARS = 20


def _detector():
    try:
        import gcld3
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise UserError("output-language fidelity needs cld3-py", hint="pip install 'xling[diagnostics]'") from exc
    return gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=2000)


def letters(text: str) -> int:
    return sum(unicodedata.category(ch).startswith("L") for ch in text)


def base_language(code: str | None) -> str | None:
    """ISO 639-3 individual language of any code (``'sw'`` -> ``'swh'``, ``'iw'`` -> ``'heb'``)."""
    if not code:
        return None
    c = L.try_canonical(code.split("-")[0])
    return c.split("_")[0] if c else None


def detect(texts: list[str]) -> list[tuple[str | None, float, bool]]:
    """(ISO 639-3 language, probability, reliable) per text."""
    det = _detector()
    out = []
    for t in texts:
        r = det.FindLanguage(text=t)
        out.append((base_language(r.language), float(r.probability), bool(r.is_reliable)))
    return out


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
