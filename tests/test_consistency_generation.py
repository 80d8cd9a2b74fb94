"""Cross-lingual consistency and flips for generation kinds: free text in two languages is never
the same string, so languages are compared on whether each got the item right, under the kind's
rule (analysis.consistency.CORRECTNESS_RULES)."""

import pandas as pd
import pytest
import sacrebleu
from sklearn.metrics import cohen_kappa_score

from xling.analysis import consistency, flipped_items, language_pairs
from xling.analysis.consistency import ANSWERS, CORRECTNESS_RULES, NOT_APPLICABLE, is_correct
from xling.scoring.metrics import METRICS
from xling.scoring.mt import sentence_chrf_pp

# per-item scores (0..1, the contract's ``score``) of two languages on eight parallel items
ENG = [0.62, 0.10, 0.55, 0.49, 0.80, 0.30, 0.51, 0.05]
SWH = [0.70, 0.20, 0.12, 0.50, 0.90, 0.65, 0.20, 0.00]
ENG_OK = [s >= 0.5 for s in ENG]
SWH_OK = [s >= 0.5 for s in SWH]


def generated(text, lang, **extra):
    """A prediction in the generation contract's shape."""
    return {
        "output": text,
        "raw": text + "\nmore text",
        "output_language": {"detected": lang[:3], "probability": 0.9, "expected": lang[:3], "wrong_language": False},
        **extra,
    }


def frame(scores_by_language, predictions=None):
    rows = []
    for lang, scores in scores_by_language.items():
        for i, score in enumerate(scores):
            pred = (predictions or {}).get((lang, i)) or generated(f"output {i} in {lang}", lang)
            rows.append(
                {
                    "task": "t",
                    "setting": "eng_Latn->xx/prompt-en/0-shot",
                    "language": lang,
                    "item_id": f"{lang}-{i}",
                    "parallel_id": str(i),
                    "prediction": pred,
                    "gold": f"reference {i} in {lang}",
                    "score": score,
                    "error": None,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kind", sorted(CORRECTNESS_RULES))
def test_generation_languages_are_compared_on_correctness(kind):
    (row,) = consistency(frame({"eng_Latn": ENG, "swh_Latn": SWH}), seed=0, kinds={"t": kind})
    same = [a == b for a, b in zip(ENG_OK, SWH_OK)]
    assert row["compared"] == "correctness"
    assert row["n"] == 8
    assert row["agreement"] == pytest.approx(100 * sum(same) / 8)  # 4 of 8: outputs differ, correctness agrees
    assert row["agree_correct"] == pytest.approx(100 * sum(a and b for a, b in zip(ENG_OK, SWH_OK)) / 8)
    assert row["kappa"] == pytest.approx(cohen_kappa_score(ENG_OK, SWH_OK))
    assert row["flips"] == 4 and row["correct_only_first"] == 2 and row["correct_only_second"] == 2
    assert row["agreement_ci_low"] <= row["agreement"] <= row["agreement_ci_high"]


def test_categorical_kinds_keep_comparing_answers_and_carry_no_compared_field():
    pred = frame({"eng_Latn": ENG, "swh_Latn": SWH})
    pred["prediction"] = [{"answer": "pos"} for _ in range(len(pred))]
    (row,) = consistency(pred, seed=0, kinds={"t": "classification"})
    assert row["agreement"] == 100.0 and "compared" not in row


def test_qa_counts_an_exact_match_as_correct_even_below_half_f1():
    assert is_correct({"output": "1998", "em": 1}, 0.4, "generative_qa")
    assert not is_correct({"output": "in 1998 or so"}, 0.4, "generative_qa")
    assert is_correct({"output": "x", "em": 1}, 0.4, "translation") is False  # EM is QA's rule only
    scores = {"eng_Latn": [0.4, 0.4], "ara_Arab": [0.4, 0.4]}
    preds = {("eng_Latn", 0): generated("1998", "eng_Latn", em=1), ("ara_Arab", 0): generated("١٩٩٨", "ara_Arab")}
    (row,) = consistency(frame(scores, preds), seed=0, kinds={"t": "generative_qa"})
    assert row["flips"] == 1 and row["correct_only_second"] == 1  # row order: ara_Arab, eng_Latn


def test_flipped_items_follow_the_kinds_rule_and_say_which_language_was_right():
    scores = {"eng_Latn": [0.4, 0.9], "deu_Latn": [0.4, 0.2]}
    preds = {("eng_Latn", 0): generated("Berlin", "eng_Latn", em=True)}
    pred = frame(scores, preds)
    plain = flipped_items(pred)
    assert list(plain["parallel_id"]) == ["1"]  # without the kind, item 0 is wrong in both (F1 0.4)
    qa = flipped_items(pred, kinds={"t": "generative_qa"}).set_index("parallel_id")
    assert list(qa.index) == ["0", "1"]
    assert qa.loc["0", "correct"] == ["eng_Latn"] and qa.loc["0", "wrong"] == ["deu_Latn"]
    per = qa.loc["1", "per_language"]
    assert per["eng_Latn"]["correct"] is True and per["deu_Latn"]["correct"] is False
    assert per["deu_Latn"]["prediction"]["output"] == "output 1 in deu_Latn"


def test_error_rows_and_unscored_items_are_left_out():
    pred = frame({"eng_Latn": [0.9, 0.9, 0.9], "fra_Latn": [0.1, None, 0.1]})
    pred.loc[(pred["language"] == "fra_Latn") & (pred["parallel_id"] == "2"), "error"] = "model call failed: timeout"
    (row,) = consistency(pred, seed=0, kinds={"t": "translation"})
    assert row["n"] == 1 and row["flips"] == 1
    flips = flipped_items(pred, kinds={"t": "translation"})
    assert list(flips["parallel_id"]) == ["0"]
    assert flips.iloc[0]["per_language"].keys() == {"eng_Latn", "fra_Latn"}


def test_every_generation_rule_is_documented_and_no_kind_is_declared_twice():
    assert all(len(rule) > 20 for rule in CORRECTNESS_RULES.values())
    assert not set(CORRECTNESS_RULES) & (set(ANSWERS) | set(NOT_APPLICABLE))


def test_paired_tests_between_languages_recompute_corpus_chrf_on_translations():
    refs = ["the cat sleeps on the mat", "it rains all day", "we eat rice at noon", "the bus is late again"]
    hyps = {
        "deu_Latn": ["the cat sleeps on a mat", "it rains all day", "we eat rice at noon", "the bus is late"],
        "zho_Hans": ["a cat", "rain", "we eat", "bus late"],
    }
    rows = [
        {
            "task": "t",
            "setting": "xx->eng_Latn",
            "language": lang,
            "item_id": f"{lang}-{i}",
            "parallel_id": str(i),
            "prediction": hyp,
            "gold": {"references": [refs[i]], "language": "eng_Latn"},
            "score": sentence_chrf_pp(hyp, refs[i]) / 100,
            "error": None,
        }
        for lang, hs in hyps.items()
        for i, hyp in enumerate(hs)
    ]
    (row,) = language_pairs(pd.DataFrame(rows), seed=0, metrics={"t": METRICS["chrf++"]})
    corpus = {lang: sacrebleu.corpus_chrf(hs, [refs], word_order=2).score for lang, hs in hyps.items()}
    assert row["score_a"] == pytest.approx(corpus["deu_Latn"]) and row["score_b"] == pytest.approx(corpus["zho_Hans"])
    assert row["difference"] == pytest.approx(corpus["deu_Latn"] - corpus["zho_Hans"])
    assert row["test"] == "paired-permutation"
