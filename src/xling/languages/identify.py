"""Language identification of generated text, offline: CLD3 through ``cld3-py`` (the maintained
wheel of Google's Compact Language Detector v3; no model download, ~1 ms a text).

Texts with fewer than ``MIN_CHARS`` letters (numbers, one word, empty answers) are too short to
judge: they are never counted as being in the wrong language.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ..errors import UserError
from . import codes as L

MIN_CHARS = 20


@lru_cache(maxsize=1)
def _detector():
    try:
        import gcld3
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise UserError("output-language fidelity needs cld3-py", hint="pip install cld3-py") from exc
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


def output_language(text: str, expected: str, min_chars: int = MIN_CHARS) -> dict:
    """Where one generation stands: ``{"detected": "swh", "probability": 0.98, "expected": "swh",
    "wrong_language": False}``; ``wrong_language`` is None when the text is too short to judge."""
    want = base_language(expected)
    if letters(text) < min_chars:
        return {"detected": None, "probability": None, "expected": want, "wrong_language": None}
    ((found, prob, _reliable),) = detect([text])
    return {"detected": found, "probability": round(prob, 4), "expected": want, "wrong_language": found != want}
