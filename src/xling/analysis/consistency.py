"""Cross-lingual consistency on parallel items.

For each task, setting and pair of languages, over the items both languages have (same
``parallel_id``, no error in either): the rate at which the two answers agree, the rate at
which they agree and are both correct, and Cohen's kappa of the two answers (chance-corrected
agreement; the same numbers as ``sklearn.metrics.cohen_kappa_score``, computed here with numpy
so a run does not import scikit-learn for it). CIs: one percentile bootstrap
over the shared items, resampled jointly for the three statistics and for all the pairs of a
task setting that share the same number of items (one draw per setting, not per pair). An item is *correct* when its
per-item score is at least 0.5 (exact for 0/1 scores; for partial-credit scores such as token F1
it means "mostly right").

An answer is what the task's kind declares as one (:data:`ANSWERS`): the chosen label, option or
number, not the whole stored record (a log-likelihood record also holds per-choice scores that
never repeat across languages). An answer that could not be read agrees with nothing. Kinds whose
answers cannot be compared across languages (tags of differently tokenised sentences, spans of
each language's own text) get no rows; :func:`not_applicable` says why.

Generation kinds (:data:`CORRECTNESS_RULES`) write free text: a translation, summary or answer in
one language is never the same string as in another, so what two languages are compared on is
whether each got the item right. Agreement is then agreement on correctness (both right or both
wrong), agree-and-correct is both right, kappa is Cohen's kappa of the two correctness vectors,
and flips are items right in one language and wrong in the other; the rule that makes an item
right is the kind's (:data:`CORRECTNESS_RULES`). The paired tests between languages
(``analysis.significance``) use the per-item scores themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from json.encoder import encode_basestring

import numpy as np
import pandas as pd
from scipy import sparse

from ..results import PREDICTION_JSON
from ..scoring.base import decoded
from ..scoring.stats import CONFIDENCE, N_RESAMPLES, percentile_ci, resample_batch, seed_for

CORRECT_AT = 0.5


def _choice(prediction):
    """The answer in a stored prediction: a log-likelihood or generation record's ``answer``, the
    per-seed answers of a fine-tuned model (``{"seeds": [...]}``; agreement needs every seed to
    agree), a mining record's ``candidate`` (the nearest translation's id), else the prediction
    itself (a head's label, a retrieved sentence's id)."""
    if isinstance(prediction, dict):
        if "seeds" in prediction:
            seeds = [_choice(p) for p in prediction["seeds"]]
            return seeds[0] if len(seeds) == 1 else seeds
        return prediction["candidate"] if "candidate" in prediction else prediction.get("answer")
    return prediction


def _number(prediction):
    """A math answer as a number, so ``12`` and ``12.0`` agree."""
    answer = _choice(prediction)
    try:
        return float(answer)
    except (TypeError, ValueError):
        return answer


# What each kind declares as its answer (every kind is here, in NOT_APPLICABLE or in CORRECTNESS_RULES).
ANSWERS: dict[str, Callable[[object], object]] = {
    "classification": _choice,
    "pair_classification": _choice,
    "multiple_choice": _choice,
    "math": _number,
    "bitext_retrieval": _choice,
    "many_to_many_retrieval": _choice,
    "judge_validity": _number,  # the judge's rating of the same response, in each language
}
NOT_APPLICABLE: dict[str, str] = {
    "sequence_labelling": "a prediction is one tag per token, and parallel sentences have different tokens "
    "in different languages: tags do not align across languages",
    "extractive_qa": "an answer is a span of the language's own context: answers in two languages are "
    "different strings even when they mean the same",
    "sts": "a prediction is a similarity score, not a categorical answer two languages can agree on",
    "bitext_mining": "each language pair has its own two corpora: no item is parallel across languages",
    "retrieval": "a prediction is the rank of the relevant passage among the language's own passages, "
    "not an answer shared across languages",
}


# How an item of a generation kind counts as correct; ``score`` is the contract's per-item 0..1 value.
CORRECTNESS_RULES: dict[str, str] = {
    "translation": "sentence chrF++ against the reference(s) is at least 50 (per-item score chrF++/100 >= 0.5)",
    "summarization": "the item's score on the task's primary metric (ROUGE F-measure, 0..1) is at least 0.5",
    "generative_qa": "token F1 with the best gold answer or alias is at least 0.5, or the answer is an exact "
    "match (EM) of one",
    "open_ended": "the judge's rating rescaled to 0..1 is at least 0.5 (the upper half of the judge's scale)",
}


def _score_at_least_half(prediction, score: float) -> bool:
    return score >= CORRECT_AT


def _f1_or_exact(prediction, score: float) -> bool:
    """QA: F1 >= 0.5, or an exact match the kind recorded as ``em``."""
    return score >= CORRECT_AT or (isinstance(prediction, dict) and bool(prediction.get("em")))


CORRECT: dict[str, Callable[[object, float], bool]] = {"generative_qa": _f1_or_exact}


def is_correct(prediction, score: float, kind: str | None = None) -> bool:
    """Whether a scored item counts as right for the consistency and flip analyses."""
    return CORRECT.get(kind, _score_at_least_half)(prediction, score)


def _correct_rows(pred: pd.DataFrame, kinds: dict[str, str] | None) -> np.ndarray:
    """:func:`is_correct` of every row (False where the score is missing), the default rule as one
    comparison and a kind's own rule (:data:`CORRECT`) row by row."""
    score = pred["score"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        right = score >= CORRECT_AT
    kind_of = pred["task"].map(kinds or {})
    for kind in set(kind_of.dropna()) & set(CORRECT):
        for i in np.flatnonzero((kind_of == kind).to_numpy() & ~np.isnan(score)):
            right[i] = is_correct(pred["prediction"].iat[i], score[i], kind)
    return right


def not_applicable(pred: pd.DataFrame, kinds: dict[str, str] | None) -> list[dict]:
    """One row per task of ``pred`` whose kind has no cross-lingual consistency, with the reason."""
    tasks = sorted(set(pred["task"])) if not pred.empty else []
    return [
        {"task": t, "kind": kinds[t], "reason": NOT_APPLICABLE[kinds[t]]}
        for t in tasks
        if (kinds or {}).get(t) in NOT_APPLICABLE
    ]


def _key(value) -> str:
    """A hashable form of a prediction (numpy scalars, e.g. a predicted index, become numbers): its JSON."""
    if type(value) is int:  # a choice index, the usual answer: its JSON without the encoder
        return str(value)
    if type(value) is str:
        return encode_basestring(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_plain)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _local_codes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``a`` and ``b`` recoded to ``0..m+1`` where ``m`` codes occur in both: a code seen on one
    side only adds nothing to chance agreement, so each side's such codes share one code of its
    own (``m`` for a, ``m + 1`` for b; equality between the two sides is unchanged). Keeps the
    per-replicate counts at pair size when a setting has thousands of distinct predictions
    (retrieval: one per target sentence)."""
    shared = np.intersect1d(a, b)
    m = len(shared)
    return _recoded(a, shared, m), _recoded(b, shared, m + 1), m + 2


def _recoded(values: np.ndarray, shared: np.ndarray, own: int) -> np.ndarray:
    """``values`` as their index in the sorted ``shared`` codes, ``own`` where not shared."""
    return np.where(np.isin(values, shared), np.searchsorted(shared, values), own).astype(np.int64)


def _resample_weights(idx: np.ndarray) -> np.ndarray:
    """How often each item is drawn in each bootstrap replicate (rows of ``idx``): an
    items x replicates matrix of counts (item-major, so an item's weights are one contiguous row),
    counted one replicate at a time so that nothing larger than the result is made."""
    reps, n = idx.shape
    weights = np.empty((n, reps), dtype=np.float32)
    for r in range(reps):
        weights[:, r] = np.bincount(idx[r], minlength=n)
    return weights


@dataclass(frozen=True)
class Replicates:
    """Bootstrap replicates of ``n`` items as draw-count weight matrices (:func:`_resample_weights`),
    drawn from ``make_rng()`` in batches of :func:`resample_batch` replicates: one matrix for a
    usual task, flat memory for a language with 100,000 items; the same replicates either way, and
    on every pass."""

    n: int
    n_resamples: int
    make_rng: Callable[[], np.random.Generator]

    def __iter__(self) -> Iterator[np.ndarray]:
        rng = self.make_rng()
        batch = resample_batch(self.n, self.n_resamples) or self.n_resamples
        for start in range(0, self.n_resamples, batch):
            size = min(batch, self.n_resamples - start)
            yield _resample_weights(rng.integers(0, self.n, size=(size, self.n)))


def _weights(n: int, n_resamples: int, make_rng: Callable[[], np.random.Generator]) -> Iterable[np.ndarray]:
    """The replicates' weight matrices: drawn once and kept when they fit one batch, else a
    :class:`Replicates` that draws them batch by batch at each use."""
    replicates = Replicates(n, n_resamples, make_rng)
    return list(replicates) if resample_batch(n, n_resamples) is None else replicates


def _one_hot(codes: np.ndarray, k: int) -> sparse.csr_matrix:
    """A (codes x items) 0/1 matrix: row ``c`` marks the items coded ``c``."""
    n = len(codes)
    return sparse.csr_matrix((np.ones(n, dtype=np.float32), (codes, np.arange(n))), shape=(k, n))


def _kappa_of_counts(po: np.ndarray, count_a: np.ndarray, count_b: np.ndarray, n: int) -> np.ndarray:
    """Cohen's kappa per replicate from the observed agreement ``po`` and each side's per-code
    weighted counts (codes x replicates, whole numbers)."""
    if n * n >= 2**24:  # the sum of count products could pass float32's exact integers
        count_a, count_b = count_a.astype(np.float64), count_b.astype(np.float64)
    pe = np.einsum("ij,ij->j", count_a, count_b).astype(np.float64) / float(n * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


def _kappa_weighted(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cohen's kappa of integer-coded predictions for each column of item weights ``w`` (items x
    replicates draw counts; a column of ones is the sample itself). Per-code counts are a sparse
    one-hot matrix times ``w``: a few passes over ``w`` however many distinct predictions there
    are. Counts are whole numbers, exact in float32 up to 2**24."""
    a, b, k = _local_codes(np.asarray(a), np.asarray(b))
    n = len(a)
    po = ((a == b).astype(np.float32) @ w).astype(np.float64) / n
    return _kappa_of_counts(po, _one_hot(a, k) @ w, _one_hot(b, k) @ w, n)


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two integer-coded prediction vectors (NaN when only one value occurs)."""
    if not len(a) or ((a == a[0]).all() and (b == a[0]).all()):
        return float("nan")
    return float(_kappa_weighted(a, b, np.ones((len(a), 1), dtype=np.float32))[0])


Pair = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # codes a, codes b, correct a, correct b
REPLICATED = ("agreement", "agree_correct", "kappa")
PAIR_BYTES = 256 * 2**20  # prepared matrices of the pairs that share one pass over the replicates


def _code_map(values: np.ndarray, shared: np.ndarray, own: int) -> sparse.csr_matrix:
    """A (pair codes x ``values``) 0/1 matrix: which of the pair's local codes (see
    :func:`_local_codes`) each of one side's distinct codes ``values`` becomes."""
    local = _recoded(values, shared, own)
    ones = np.ones(len(values), dtype=np.float32)
    return sparse.csr_matrix((ones, (local, np.arange(len(values)))), shape=(len(shared) + 2, len(values)))


def _replicates(pairs: list[Pair], w: Iterable[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Per pair of the same items, the bootstrap replicates of agreement, agree-and-correct and
    kappa under the weight batches ``w`` (items x replicates draw counts), in one pass over ``w``
    for all of them: each batch is drawn once for a setting's pairs, not once per pair. The
    agreement counts of all pairs are one matrix product; the per-code counts are one sparse
    product per batch over each distinct side (a language's answers are one side of nine pairs
    of ten languages), summed into each pair's codes. Every count is a whole number, so the
    values are those of one pair at a time, to the bit."""
    n = len(pairs[0][0])
    agree = np.stack([a == b for a, b, _, _ in pairs])
    both = agree & np.stack([ca & cb for _, _, ca, cb in pairs])
    rows = np.concatenate([agree, both]).astype(np.float32)
    del agree, both
    sides: dict[bytes, int] = {}  # a side's codes (by content) -> its block of one-hot rows
    blocks: list[tuple[np.ndarray, np.ndarray]] = []  # its distinct codes, each item's index among them
    maps = []  # per pair: (block, code map) of side a, then of side b
    for a, b, _, _ in pairs:
        shared = np.intersect1d(a, b)
        for side, own in ((a, len(shared)), (b, len(shared) + 1)):
            key = hashlib.blake2b(side.tobytes(), digest_size=16).digest()
            if key not in sides:
                sides[key] = len(blocks)
                blocks.append(np.unique(side, return_inverse=True))
            block = sides[key]
            maps.append((block, _code_map(blocks[block][0], shared, own)))
    one_hot = sparse.vstack([_one_hot(inv, len(values)) for values, inv in blocks], format="csr")
    ends = np.cumsum([len(values) for values, _ in blocks])
    reps: list[dict[str, list[np.ndarray]]] = [{name: [] for name in REPLICATED} for _ in pairs]
    for batch in w:
        counts = (rows @ batch).astype(np.float64)
        per_value = one_hot @ batch
        for i, out in enumerate(reps):
            out["agreement"].append(counts[i] / n * 100)
            out["agree_correct"].append(counts[len(pairs) + i] / n * 100)
            per_code = [
                code_map @ per_value[(ends[block - 1] if block else 0) : ends[block]]
                for block, code_map in maps[2 * i : 2 * i + 2]
            ]
            out["kappa"].append(_kappa_of_counts(counts[i] / n, *per_code, n))
    return [{name: np.concatenate(parts) for name, parts in out.items()} for out in reps]


def _pair_bytes(n: int) -> int:
    """Memory of one pair's prepared matrices in :func:`_replicates` (float32 rows, sparse one-hots)."""
    return 2 * 4 * n + 2 * 12 * n


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _wide(group: pd.DataFrame, kind: str | None) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """A setting's (items x languages) tables: its languages, which cells hold a scored answer
    (``valid``), which are correct (a missing cell is not), and one code per cell (equal codes are
    equal answers; for free text, being correct). Each row's answer is read once, from its
    prediction or its stored JSON text, and only its key is kept."""
    # the first answered row of each (parallel_id, language): numbers, not copies of the strings
    answered = np.flatnonzero(group["error"].isna().to_numpy())
    ids = group[["parallel_id", "language"]].iloc[answered]
    item, ids_sorted = pd.factorize(ids["parallel_id"], sort=True)
    lang, langs = pd.factorize(ids["language"], sort=True)
    first = np.sort(np.unique(item.astype(np.int64) * len(langs) + lang, return_index=True)[1])
    rows, cols, positions = item[first], lang[first], answered[first]
    kept = np.zeros(len(group), dtype=bool)
    kept[positions] = True
    scores = group["score"].to_numpy(dtype=float)[positions]
    column = PREDICTION_JSON if PREDICTION_JSON in group else "prediction"
    values = (decoded(v) if column == PREDICTION_JSON else v for v, k in zip(group[column], kept) if k)
    answer, rule = ANSWERS.get(kind, _choice), CORRECT.get(kind)
    valid, correct, keys = [], [], []
    seen: dict[tuple[type, object], str] = {}
    for i, (value, score) in enumerate(zip(values, scores, strict=True)):
        present = not _missing(value) and not np.isnan(score)
        score = -1.0 if np.isnan(score) else score  # a missing score is never correct
        right = score >= CORRECT_AT if rule is None else bool(score >= 0 and rule(value, score))
        valid.append(present)
        correct.append(right)
        if kind not in CORRECTNESS_RULES:
            a = answer(value) if present else None
            if not present or a is None:
                keys.append("" if not present else f"\x00no answer {i}")
            elif type(a) is int or type(a) is str:  # the usual answers: one key object per distinct answer
                if (type(a), a) not in seen:
                    seen[type(a), a] = _key(a)
                keys.append(seen[type(a), a])
            else:
                keys.append(_key(a))
    # the pivot of (parallel_id x language), sorted both ways, built by indexing
    valid_t = np.zeros((len(ids_sorted), len(langs)), dtype=bool)
    valid_t[rows, cols] = valid
    correct_t = np.zeros_like(valid_t)
    correct_t[rows, cols] = correct
    if kind in CORRECTNESS_RULES:  # free text: languages are compared on being right
        codes = correct_t.astype(np.int64)
    else:
        table = np.full(valid_t.shape, "", dtype=object)  # a missing cell: no answer
        table[rows, cols] = keys
        codes = pd.factorize(table.ravel())[0].reshape(valid_t.shape).astype(np.int64)
    return [str(lang) for lang in langs], valid_t, correct_t, codes


def pair_consistency(
    pred_a,
    pred_b,
    score_a,
    score_b,
    rng: np.random.Generator,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> dict:
    """Agreement, agree-and-correct and kappa (x100, with CIs) for two aligned languages."""
    keys = [_key(v) for v in list(pred_a) + list(pred_b)]
    codes = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    n = len(pred_a)
    a = np.array([codes[k] for k in keys[:n]], dtype=np.int64)
    b = np.array([codes[k] for k in keys[n:]], dtype=np.int64)
    ca = np.asarray(score_a, dtype=float) >= CORRECT_AT
    cb = np.asarray(score_b, dtype=float) >= CORRECT_AT
    w = _weights(n, n_resamples, lambda: rng) if n >= 2 else None
    return _pair_stats(a, b, ca, cb, w, confidence)


def _pair_stats(
    a: np.ndarray, b: np.ndarray, ca: np.ndarray, cb: np.ndarray, w: Iterable[np.ndarray] | None, confidence: float
) -> dict:
    """The statistics of :func:`pair_consistency` from integer-coded predictions, per-item
    correctness and bootstrap weights ``w`` (batches of items x replicates draw counts; None: no CIs)."""
    out = _point_stats(a, b, ca, cb)
    return out | _cis(_replicates([(a, b, ca, cb)], w)[0] if w is not None else None, out, confidence)


def _point_stats(a: np.ndarray, b: np.ndarray, ca: np.ndarray, cb: np.ndarray) -> dict:
    agree, both = (a == b), (a == b) & ca & cb
    out = {
        "n": len(a),
        "agreement": agree.mean() * 100,
        "agree_correct": both.mean() * 100,
        "kappa": _kappa(a, b),
        "flips": int((ca != cb).sum()),
        "correct_only_first": int((ca & ~cb).sum()),
        "correct_only_second": int((~ca & cb).sum()),
    }
    return {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in out.items()}


def _cis(reps: dict[str, np.ndarray] | None, point: dict, confidence: float) -> dict:
    """Percentile CIs of the replicated statistics (no replicates: the point estimates)."""
    out = {}
    for name in REPLICATED:
        low, high = percentile_ci(reps[name], confidence) if reps is not None else (point[name], point[name])
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = float(low), float(high)
    return out


MAX_CI_LANGUAGES = 25  # above this, bootstrap CIs only for pairs with the task's source language


def _cells(table: np.ndarray, rows: np.ndarray, k: int, columns: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    """Column ``k`` of ``table`` at ``rows``; all of it is one copy in ``columns``, shared by the
    language's pairs."""
    if len(rows) < len(table):
        return table[rows, k]
    key = (id(table), k)
    if key not in columns:
        columns[key] = np.ascontiguousarray(table[:, k])
    return columns[key]


def consistency(
    pred: pd.DataFrame,
    seed: int,
    n_resamples: int = N_RESAMPLES,
    sources: dict[str, str] | None = None,
    max_ci_languages: int = MAX_CI_LANGUAGES,
    kinds: dict[str, str] | None = None,
) -> list[dict]:
    """One row per (task, setting, language pair) with at least one shared item.

    ``kinds`` (task -> kind name) picks how answers are read (:data:`ANSWERS`; a task without
    a known kind: :func:`_choice`); tasks of a kind in :data:`NOT_APPLICABLE` get no rows.
    Point estimates for every pair (vectorised over pairs). Bootstrap CIs for every pair when a
    task has at most ``max_ci_languages`` languages; above that (SIB-200 has 20,000+ pairs) only
    for pairs that include the task's source language — the others get null CIs.
    """
    out = []
    for (task, setting), group in pred.groupby(["task", "setting"], sort=True):
        kind = (kinds or {}).get(task)
        if kind in NOT_APPLICABLE:
            continue
        langs, valid, correct, codes = _wide(group, kind)
        src = (sources or {}).get(task)
        both = valid[:, :, None] & valid[:, None, :]
        same = (codes[:, :, None] == codes[:, None, :]) & both
        n_pair = both.sum(axis=0)
        agree = same.sum(axis=0)
        agree_correct = (same & correct[:, :, None] & correct[:, None, :]).sum(axis=0)
        only_first = (correct[:, :, None] & ~correct[:, None, :] & both).sum(axis=0)
        only_second = (~correct[:, :, None] & correct[:, None, :] & both).sum(axis=0)
        all_ci = len(langs) <= max_ci_languages
        rows_out, pairs = [], []
        columns: dict[tuple[int, int], np.ndarray] = {}

        for i, j in combinations(range(len(langs)), 2):
            n = int(n_pair[i, j])
            if n == 0:
                continue
            la, lb = langs[i], langs[j]
            rows = np.flatnonzero(both[:, i, j])
            # the setting's codes already identify equal predictions; kappa does not depend on
            # how they are numbered, so no re-encoding per pair
            a, b = _cells(codes, rows, i, columns), _cells(codes, rows, j, columns)
            row = {
                "task": task,
                "setting": setting,
                "language_a": la,
                "language_b": lb,
                "n": n,
                "agreement": agree[i, j] / n * 100,
                "agree_correct": agree_correct[i, j] / n * 100,
                "kappa": _kappa(a, b),
                "flips": int(only_first[i, j] + only_second[i, j]),
                "correct_only_first": int(only_first[i, j]),
                "correct_only_second": int(only_second[i, j]),
            }
            if kind in CORRECTNESS_RULES:
                row["compared"] = "correctness"
            rows_out.append(row)
            wanted = all_ci or src in (la, lb)
            pairs.append(
                (a, b, _cells(correct, rows, i, columns), _cells(correct, rows, j, columns)) if wanted else None
            )
        make_rng = partial(seed_for, seed, "consistency", task, setting)
        for row, cis in zip(rows_out, _setting_cis(pairs, n_resamples, make_rng), strict=True):
            row |= cis or {f"{m}_{e}": float("nan") for m in REPLICATED for e in ("ci_low", "ci_high")}
            out.append({key: (float(v) if isinstance(v, np.floating) else v) for key, v in row.items()})
    return out


def _setting_cis(
    pairs: list[Pair | None], n_resamples: int, make_rng: Callable[[str], np.random.Generator]
) -> list[dict | None]:
    """The CIs of a setting's language pairs (None: a pair without CIs). One set of bootstrap
    replicates per item count ``n`` (``make_rng(str(n))``), shared by the pairs with ``n`` items:
    pairs without errors resample the same parallel items jointly, and each batch of replicates
    is drawn once for as many pairs as :data:`PAIR_BYTES` holds, not once per pair."""
    out: list[dict | None] = [None] * len(pairs)
    by_n: dict[int, list[int]] = {}
    for i, pair in enumerate(pairs):
        if pair is not None:
            by_n.setdefault(len(pair[0]), []).append(i)
    for n, members in by_n.items():
        if n < 2:
            for i in members:
                out[i] = _cis(None, _point_stats(*pairs[i]), CONFIDENCE)
            continue
        weights = _weights(n, n_resamples, lambda n=n: make_rng(str(n)))
        step = max(1, PAIR_BYTES // _pair_bytes(n))
        for start in range(0, len(members), step):
            chunk = members[start : start + step]
            for i, reps in zip(chunk, _replicates([pairs[i] for i in chunk], weights), strict=True):
                out[i] = _cis(reps, {}, CONFIDENCE)
    return out


def flipped_items(pred: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """Items (per task, setting, parallel_id) correct in some languages and wrong in others
    (correct: :func:`is_correct` under the task's kind from ``kinds``).

    Columns: task, setting, parallel_id, correct (languages), wrong (languages), and
    ``per_language``: {language: {prediction, gold, score, correct, item_id}} (``correct`` None
    where the item has no score). Rows in (task, setting, parallel_id) order.
    """
    rows = []
    ok = pred[pred["error"].isna()]
    keys = ["task", "setting", "parallel_id"]
    right = _correct_rows(ok, kinds)
    scored = ok["score"].notna().to_numpy()
    # only items with a right and a wrong row can flip: the others are never looked at one by one
    number = ok.groupby(keys, sort=False).ngroup().to_numpy(dtype=float)  # NaN: a key is missing
    grouped = ~np.isnan(number)
    group = np.where(grouped, number, 0).astype(np.intp)
    n_groups = int(group.max()) + 1 if grouped.any() else 0
    has = [
        np.bincount(group[grouped], weights=w[grouped], minlength=n_groups) > 0
        for w in (right & scored, ~right & scored)
    ]
    keep = grouped & has[0][group] & has[1][group] if n_groups else np.zeros(len(ok), dtype=bool)
    candidates = ok.assign(right=right)[keep]
    cols = ["language", "prediction", "gold", "score", "item_id", "right"]
    for (task, setting, pid), g in candidates.groupby(keys, sort=True):
        records = list(zip(*(g[c].tolist() for c in cols), strict=True))
        right_of = {lang: bool(r) for lang, _, _, s, _, r in records if pd.notna(s)}
        correct = sorted(lang for lang, c in right_of.items() if c)
        wrong = sorted(lang for lang, c in right_of.items() if not c)
        if correct and wrong:
            per = {
                lang: {"prediction": p, "gold": gold, "score": float(s), "correct": right_of.get(lang), "item_id": iid}
                for lang, p, gold, s, iid, _ in records
            }
            rows.append(
                {
                    "task": task,
                    "setting": setting,
                    "parallel_id": pid,
                    "correct": correct,
                    "wrong": wrong,
                    "per_language": per,
                }
            )
    return pd.DataFrame(rows, columns=["task", "setting", "parallel_id", "correct", "wrong", "per_language"])
