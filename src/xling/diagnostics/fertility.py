"""Tokenizer fertility per language: tokens per word, per character and per UTF-8 byte, and
parity with the parallel English sentence (Petrov et al. 2023, "Language Model Tokenizers
Introduce Unfairness Between Languages").

Word policy: words are whitespace-separated units. Scripts written without spaces between
words (Han, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan) have no such units, so tokens per word
is not reported for them (None) rather than a misleading number; compare them by tokens per
byte/character and by parity, which needs no segmentation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import CapabilityError
from ..languages import codes as L

UNSEGMENTED = frozenset({"Hani", "Hans", "Hant", "Jpan", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
WORD_POLICY = (
    f"whitespace-separated words; not reported for scripts written without spaces ({', '.join(sorted(UNSEGMENTED))})"
)


def word_count(text: str, script: str) -> int | None:
    return None if script in UNSEGMENTED else len(text.split())


def fertility(
    count_tokens: Callable[[str], int | None], texts: dict[str, dict[str, str]], reference: str | None = "eng_Latn"
) -> list[dict]:
    """Per language, from {language: {parallel_id: text}}; ``count_tokens`` is the model's tokenizer
    (``Backend.token_count``); the count of the empty string (special tokens) is subtracted from each."""
    overhead = count_tokens("")  # special tokens every text gets (CLS/SEP, BOS...): not the text's
    if overhead is None:
        raise CapabilityError("this model does not expose its tokenizer (token_count), so fertility cannot be measured")
    counts: dict[str, dict[str, int]] = {}
    for lang, by_id in texts.items():
        c = {}
        for pid, t in by_id.items():
            c[pid] = max(0, int(count_tokens(t)) - int(overhead))
        counts[lang] = c
    ref = counts.get(reference) if reference else None
    out = []
    for lang, by_id in texts.items():
        script = L.script(lang)
        tok = sum(counts[lang].values())
        words = [word_count(t, script) for t in by_id.values()]
        n_words = None if any(w is None for w in words) else sum(words)
        n_bytes = sum(len(t.encode("utf-8")) for t in by_id.values())
        n_chars = sum(len(t) for t in by_id.values())
        row = {
            "language": lang,
            "texts": len(by_id),
            "tokens": tok,
            "words": n_words,
            "bytes": n_bytes,
            "chars": n_chars,
            "tokens_per_word": (tok / n_words) if n_words else None,
            "tokens_per_byte": tok / n_bytes if n_bytes else None,
            "tokens_per_char": tok / n_chars if n_chars else None,
            "word_policy": WORD_POLICY,
        }
        if ref is not None:
            shared = [p for p in by_id if p in ref and ref[p] > 0]
            row["parity_vs"] = reference
            row["parity"] = float(np.mean([counts[lang][p] / ref[p] for p in shared])) if shared else None
            row["parity_n"] = len(shared)
        out.append(row)
    return out
