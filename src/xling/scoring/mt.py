"""Machine-translation metrics through sacreBLEU: chrF++ (the primary one), chrF and BLEU.

What a translation kind stores: the prediction is the hypothesis string or a generation record
whose ``output`` is the hypothesis (``None`` on an error row; :func:`.base.generated_text`), the
gold the reference string or a list of references. The target language is the row's
``language`` unless the gold names it (for a direction into another language than the unit's):
``{"references": [...], "language": "eng_Latn"}`` (:func:`translation_gold` builds it).

Each metric is a corpus statistic built from additive per-sentence statistics, exactly as
sacreBLEU's own paired bootstrap does: per item the sentence's sufficient statistics (n-gram
matches and totals, lengths) against its references, summed over the items (or a bootstrap
resample of them) and turned into the corpus score by sacreBLEU. The unit's value therefore
equals ``sacrebleu.corpus_chrf``/``corpus_bleu`` on the same sentences, and the CI recomputes
the corpus statistic per resample. An error row counts its references with an empty hypothesis.
sacreBLEU's scores are already 0-100 (``scale`` 1).

BLEU's tokenizer follows the target's script (:func:`bleu_tokenizer`); each score records the
sacreBLEU signature it was computed with (``signature`` in ``results.json``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from typing import TYPE_CHECKING

import numpy as np

from ..languages.codes import script
from .base import CountMetric, generated_text, with_predictions
from .scripts import HAN, JAPANESE, WITHOUT_SPACES

if TYPE_CHECKING:
    import pandas as pd
    from sacrebleu.metrics.base import Metric as SacreMetric

CHRF_PP_WORD_ORDER = 2


def _mecab_available() -> bool:
    """sacreBLEU's ``ja-mecab`` tokenizer needs MeCab and its IPA dictionary (``sacrebleu[ja]``)."""
    return find_spec("MeCab") is not None and find_spec("ipadic") is not None


def bleu_tokenizer(language: str) -> str:
    """The sacreBLEU tokenizer for BLEU on text in ``language`` (``tha_Thai``, ``zho_Hans``).

    BLEU counts word n-grams, so the tokenizer must find words: ``13a`` (the WMT standard) splits
    on spaces and punctuation, which finds nothing in a script written without spaces, where a
    whole sentence would be one "word". Han (Chinese) gets ``zh`` (each ideograph a token, as WMT
    scores Chinese), Japanese ``ja-mecab`` (MeCab words, WMT's choice) when MeCab is installed and
    else ``char``; Thai, Lao, Khmer, Myanmar, Tibetan and other scripts without spaces get ``char``
    (every character a token). FLORES-200's ``flores200`` SentencePiece tokenizer would treat all
    scripts alike but downloads its model on first use, which a run cannot rely on.
    """
    code = script(language)
    if code in HAN:
        return "zh"
    if code in JAPANESE:
        return "ja-mecab" if _mecab_available() else "char"
    return "char" if code in WITHOUT_SPACES else "13a"


def translation_gold(references: str | list[str], language: str) -> dict:
    """A gold that names its target language (for a direction out of the unit's language)."""
    return {"references": [references] if isinstance(references, str) else list(references), "language": language}


def references_of(gold) -> list[str]:
    """The reference translations of a gold (a string, a list, or :func:`translation_gold`'s dict)."""
    if isinstance(gold, dict):
        gold = gold["references"]
    return [gold] if isinstance(gold, str) else list(gold)


def target_language(gold, row_language: str) -> str:
    """The language the references are in: the gold's own, else the row's."""
    return gold.get("language", row_language) if isinstance(gold, dict) else row_language


@cache
def _chrf(word_order: int) -> SacreMetric:
    from sacrebleu.metrics import CHRF as SacreChrF

    return SacreChrF(word_order=word_order)


@cache
def _bleu(tokenize: str) -> SacreMetric:
    from sacrebleu.metrics import BLEU as SacreBleu

    return SacreBleu(tokenize=tokenize)


@dataclass(frozen=True)
class SacreBleuMetric(CountMetric):
    """A sacreBLEU corpus metric from summed per-sentence statistics (see the module docstring).

    ``word_order``: chrF's word n-gram order (2 is chrF++, 0 plain chrF); ``None`` is BLEU.
    """

    scale: float = 1.0
    word_order: int | None = None

    def scorer(self, language: str | None) -> SacreMetric:
        """The sacreBLEU metric for text in ``language``; ``None``: one that only combines
        statistics (BLEU's tokenizer plays no part there)."""
        if self.word_order is not None:
            return _chrf(self.word_order)
        return _bleu("none" if language is None else bleu_tokenizer(language))

    def statistics(self, hypothesis, gold, language: str) -> np.ndarray:
        """One sentence's sufficient statistics against its references (an error row: no hypothesis)."""
        hyp = generated_text(hypothesis) or ""
        refs = references_of(gold)
        if not refs:
            raise ValueError(f"{self.name}: an item has no reference translation")
        stats = self.scorer(language)._extract_corpus_statistics([hyp], [[r] for r in refs])
        return np.asarray(stats[0], dtype=np.int64)

    def score_of(self, statistics: np.ndarray) -> float:
        """The score (0-100) of summed statistics."""
        return float(self.scorer(None)._compute_score_from_stats(statistics.tolist()).score)

    def sentence_score(self, hypothesis, gold, language: str) -> float:
        """One sentence's score, 0-100 (chrF++ per item, e.g. for consistency across languages)."""
        return self.score_of(self.statistics(hypothesis, gold, language))

    def signature(self, language: str, n_refs: int) -> str:
        """sacreBLEU's signature of this metric on text in ``language`` with ``n_refs`` references
        per sentence (-1: a varying number)."""
        metric = copy.copy(self.scorer(language))
        metric.num_refs = n_refs
        return metric.get_signature().format()

    def _rows(self, rows: pd.DataFrame):
        for pred, gold, lang in zip(with_predictions(rows)["prediction"], rows["gold"], rows["language"]):
            yield pred, gold, target_language(gold, lang)

    def _count_matrix(self, rows: pd.DataFrame) -> np.ndarray:
        stats = [self.statistics(p, g, lang) for p, g, lang in self._rows(rows)]
        return np.stack(stats)[:, None, :] if stats else np.zeros((0, 1, 0), dtype=np.int64)  # one "seed"

    def _statistic(self, counts: np.ndarray) -> Callable[[np.ndarray], float]:
        return lambda idx: self.score_of(counts[idx, 0].sum(axis=0))

    def extras(self, rows: pd.DataFrame) -> dict:
        """The sacreBLEU signature (several, joined by "; ", when the rows' targets need several)."""
        n_refs: dict[str, set[int]] = {}
        for _, gold, lang in self._rows(rows):
            n_refs.setdefault(lang, set()).add(len(references_of(gold)))
        signatures = {self.signature(lang, min(n) if len(n) == 1 else -1) for lang, n in n_refs.items()}
        return {"signature": "; ".join(sorted(signatures))} if signatures else {}


CHRF_PP = SacreBleuMetric(
    "chrf++",
    "corpus chrF++ (sacreBLEU: character 6-grams and word bigrams, beta 2), 0-100",
    word_order=CHRF_PP_WORD_ORDER,
)
CHRF = SacreBleuMetric("chrf", "corpus chrF (sacreBLEU: character 6-grams, beta 2), 0-100", word_order=0)
BLEU = SacreBleuMetric(
    "bleu", "corpus BLEU (sacreBLEU; tokenizer by the target's script: 13a, zh, ja-mecab, char), 0-100"
)
MT_METRICS = (CHRF_PP, CHRF, BLEU)


def sentence_chrf_pp(hypothesis: str, references: str | list[str]) -> float:
    """Sentence chrF++ (0-100) of one hypothesis; the same as ``sacrebleu.sentence_chrf(..., word_order=2)``."""
    return float(_chrf(CHRF_PP_WORD_ORDER).sentence_score(hypothesis, references_of(references)).score)
