"""Generation metrics (scoring/mt.py, rouge.py, judge.py) against their reference implementations:
sacreBLEU's corpus scores, Google's rouge-score, scipy's correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sacrebleu
from rouge_score import rouge_scorer
from scipy import stats

from xling.scoring import mt
from xling.scoring.judge import Rating, pairwise_outcome, parse_preference, parse_rating, tally
from xling.scoring.metrics import METRICS
from xling.scoring.rouge import rouge_f1, tokenize
from xling.scoring.stats import bootstrap_statistic, seed_for
from xling.tasks.spec import known_metrics

# (language, hypotheses, references): FLORES-like sentences in scripts with and without spaces.
CORPORA = [
    (
        "eng_Latn",
        ["The cat sat on the mat.", "He reads a book every night.", "Rain is expected tomorrow.", "Hello"],
        ["The cat is sitting on the mat.", "Every night he reads a book.", "Tomorrow rain is expected.", "Hi there"],
    ),
    (
        "zho_Hans",
        ["猫坐在垫子上。", "他每天晚上读书。", "明天预计会下雨。", "你好"],
        ["猫正坐在垫子上。", "他每晚都读一本书。", "预计明天有雨。", "大家好"],
    ),
    (
        "jpn_Jpan",
        ["猫がマットの上に座った。", "彼は毎晩本を読みます。", "明日は雨が降るでしょう。", "こんにちは"],
        ["猫はマットの上に座っている。", "彼は毎晩本を読む。", "明日は雨の予報です。", "こんにちは、皆さん"],
    ),
    (
        "tha_Thai",
        ["แมวนั่งบนเสื่อ", "เขาอ่านหนังสือทุกคืน", "พรุ่งนี้ฝนจะตก", "สวัสดี"],
        ["แมวกำลังนั่งอยู่บนเสื่อ", "ทุกคืนเขาอ่านหนังสือ", "คาดว่าพรุ่งนี้ฝนจะตก", "สวัสดีครับ"],
    ),
    (
        "hin_Deva",
        ["बिल्ली चटाई पर बैठी।", "वह हर रात किताब पढ़ता है।", "कल बारिश की उम्मीद है।", "नमस्ते"],
        ["बिल्ली चटाई पर बैठी है।", "हर रात वह एक किताब पढ़ता है।", "कल बारिश होने की उम्मीद है।", "नमस्कार"],
    ),
    (
        "arb_Arab",
        ["جلست القطة على الحصيرة.", "يقرأ كتابا كل ليلة.", "من المتوقع هطول المطر غدا.", "مرحبا"],
        ["القطة تجلس على الحصيرة.", "كل ليلة يقرأ كتابا.", "يتوقع هطول المطر غدا.", "أهلا"],
    ),
]


def _rows(language: str, predictions: list, golds: list, errors: list | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "language": language,
            "prediction": predictions,
            "gold": golds,
            "score": np.nan,
            "error": errors or [None] * len(predictions),
        }
    )


@pytest.mark.parametrize(("language", "hyps", "refs"), CORPORA, ids=[c[0] for c in CORPORA])
def test_corpus_values_equal_sacrebleu_to_the_last_digit(language, hyps, refs):
    rows = _rows(language, hyps, refs)
    key = ("flores", "eng-x", language)
    expected = {
        "chrf++": sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score,
        "chrf": sacrebleu.corpus_chrf(hyps, [refs]).score,
        "bleu": sacrebleu.corpus_bleu(hyps, [refs], tokenize=mt.bleu_tokenizer(language)).score,
    }
    for name, value in expected.items():
        assert METRICS[name].estimate(rows, 0, key).value == value, name
    assert expected["bleu"] > 0


def test_the_bleu_tokenizer_follows_the_script(monkeypatch):
    assert {
        lang: mt.bleu_tokenizer(lang) for lang in ("eng_Latn", "hin_Deva", "arb_Arab", "kor_Hang")
    } == dict.fromkeys(("eng_Latn", "hin_Deva", "arb_Arab", "kor_Hang"), "13a")
    assert mt.bleu_tokenizer("zho_Hans") == mt.bleu_tokenizer("zho_Hant") == "zh"
    for lang in ("tha_Thai", "lao_Laoo", "khm_Khmr", "mya_Mymr", "bod_Tibt"):
        assert mt.bleu_tokenizer(lang) == "char", lang
    monkeypatch.setattr(mt, "_mecab_available", lambda: True)
    assert mt.bleu_tokenizer("jpn_Jpan") == "ja-mecab"
    monkeypatch.setattr(mt, "_mecab_available", lambda: False)
    assert mt.bleu_tokenizer("jpn_Jpan") == "char"


def test_thai_bleu_is_not_one_word_per_sentence():
    _, hyps, refs = CORPORA[3]
    assert (
        sacrebleu.corpus_bleu(hyps, [refs], tokenize="13a").score
        < METRICS["bleu"].estimate(_rows("tha_Thai", hyps, refs), 0, ("t",)).value
    )


def test_the_ci_recomputes_the_corpus_statistic_on_each_resample():
    _, hyps, refs = CORPORA[0]
    rows = _rows("eng_Latn", hyps, refs)
    got = METRICS["chrf++"].estimate(rows, 7, ("flores", "eng-x", "eng_Latn"))

    def corpus(idx):
        return sacrebleu.corpus_chrf([hyps[i] for i in idx], [[refs[i] for i in idx]], word_order=2).score

    want = bootstrap_statistic(len(hyps), corpus, seed_for(7, "flores", "eng-x", "eng_Latn"))
    assert (got.ci_low, got.ci_high) == pytest.approx((want.ci_low, want.ci_high), abs=1e-9)
    assert got.ci_low < got.value < got.ci_high


def test_the_bootstrap_is_determined_by_the_seed():
    rows = pd.concat([_rows(lang, hyps, refs) for lang, hyps, refs in CORPORA], ignore_index=True)
    bleu = METRICS["bleu"]
    assert bleu.estimate(rows, 3, ("a",)) == bleu.estimate(rows, 3, ("a",))
    assert bleu.estimate(rows, 3, ("a",)) != bleu.estimate(rows, 4, ("a",))


def test_an_error_row_counts_its_reference_with_an_empty_hypothesis():
    _, hyps, refs = CORPORA[0]
    rows = _rows("eng_Latn", [None, *hyps[1:]], refs, errors=["timeout", None, None, None])
    want = sacrebleu.corpus_bleu(["", *hyps[1:]], [refs]).score
    assert METRICS["bleu"].estimate(rows, 0, ("t",)).value == want
    assert want < sacrebleu.corpus_bleu(hyps[1:], [refs[1:]]).score


def test_several_references_and_a_gold_that_names_its_target_language():
    hyps = ["猫坐在垫子上。", "他每天晚上读书。"]
    golds = [
        mt.translation_gold(["猫正坐在垫子上。", "猫在垫子上。"], "zho_Hans"),
        mt.translation_gold("他每晚读书。", "zho_Hans"),
    ]
    rows = _rows("eng_Latn", hyps, golds)  # an X->zho direction stored under the source language
    ref_streams = [["猫正坐在垫子上。", "他每晚读书。"], ["猫在垫子上。", None]]
    want = sacrebleu.corpus_bleu(hyps, ref_streams, tokenize="zh").score
    assert METRICS["bleu"].estimate(rows, 0, ("t",)).value == want
    assert want != sacrebleu.corpus_bleu(hyps, ref_streams, tokenize="13a").score
    assert METRICS["bleu"].extras(rows) == {
        "signature": f"nrefs:var|case:mixed|eff:no|tok:zh|smooth:exp|version:{sacrebleu.__version__}"
    }


def test_signatures_name_the_settings_used():
    _, hyps, refs = CORPORA[3]
    rows = _rows("tha_Thai", hyps, refs)
    v = sacrebleu.__version__
    assert METRICS["chrf++"].extras(rows) == {"signature": f"nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:{v}"}
    assert METRICS["chrf"].extras(rows)["signature"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|")
    assert "|tok:char|" in METRICS["bleu"].extras(rows)["signature"]


def test_sentence_chrf_pp_equals_sacrebleu():
    for _, hyps, refs in CORPORA:
        for h, r in zip(hyps, refs):
            want = sacrebleu.sentence_chrf(h, [r], word_order=2).score
            assert mt.sentence_chrf_pp(h, r) == want
            assert METRICS["chrf++"].sentence_score(h, r, "eng_Latn") == want


def test_a_unit_without_rows_has_no_value():
    est = METRICS["chrf++"].estimate(_rows("eng_Latn", [], []), 0, ("t",))
    assert np.isnan(est.value) and est.n == 0


def test_an_item_without_references_is_an_error():
    with pytest.raises(ValueError, match="no reference"):
        METRICS["chrf++"].estimate(_rows("eng_Latn", ["x"], [[]]), 0, ("t",))


# --- ROUGE -----------------------------------------------------------------------------------

ENGLISH = [
    ("the cat was found under the bed", "the cat was under the bed"),
    ("Police killed the gunman", "The gunman was shot dead by police"),
    ("A storm hit the coast on Monday, 3 people died", "Three people died when a storm hit the coast"),
]


@pytest.mark.parametrize(("reference", "prediction"), ENGLISH)
def test_rouge_equals_rouge_score_on_english(reference, prediction):
    google = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"]).score(reference, prediction)
    for rouge_type, score in google.items():
        assert rouge_f1(prediction, reference, rouge_type) == pytest.approx(score.fmeasure, abs=1e-12)


def test_rouge_in_bengali_by_hand():
    reference, prediction = "আমি রোজ ভাত খাই।", "আমি ভাত খাই"
    # tokens: [আমি, রোজ, ভাত, খাই] and [আমি, ভাত, খাই]; 3 shared words, 1 shared bigram (ভাত খাই)
    assert rouge_f1(prediction, reference, "rouge1") == pytest.approx(6 / 7)
    assert rouge_f1(prediction, reference, "rouge2") == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert rouge_f1(prediction, reference, "rougeL") == pytest.approx(6 / 7)
    assert rouge_scorer.RougeScorer(["rouge1"]).score(reference, prediction)["rouge1"].fmeasure == 0  # why not Google's


def test_rouge_in_thai_by_hand():
    # graphemes: แ ม ว กิ น (5) against แ ม ว กิ น ป ล า (8): all 5 shared, in order
    assert tokenize("แมวกินปลา") == ["แ", "ม", "ว", "กิ", "น", "ป", "ล", "า"]
    assert rouge_f1("แมวกิน", "แมวกินปลา", "rouge1") == pytest.approx(10 / 13)
    assert rouge_f1("แมวกิน", "แมวกินปลา", "rougeL") == pytest.approx(10 / 13)
    assert rouge_f1("แมวกิน", "แมวกินปลา", "rouge2") == pytest.approx(2 * 1 * (4 / 7) / (1 + 4 / 7))


def test_tokens_in_every_script():
    assert tokenize("Hello, World! it's 3.5 km") == ["hello", "world", "it", "s", "3", "5", "km"]
    assert tokenize("東京2020年のオリンピック") == ["東", "京", "2020", "年", "の", "オ", "リ", "ン", "ピ", "ッ", "ク"]
    assert tokenize("می\u200cخواهم بروم.") == ["میخواهم", "بروم"]  # the zero-width non-joiner keeps one word
    assert tokenize("Привет, МИР — ١٢ «мир»") == ["привет", "мир", "١٢", "мир"]


def test_rouge_takes_the_best_reference_and_scores_a_missing_prediction_zero():
    assert rouge_f1("the cat sat", ["a dog ran", "the cat sat"], "rouge1") == 1.0
    assert rouge_f1(None, "the cat sat", "rouge1") == 0.0


def test_rouge_metric_is_the_mean_of_items_with_a_seeded_ci():
    rows = _rows("eng_Latn", [p for _, p in ENGLISH], [r for r, _ in ENGLISH])
    est = METRICS["rougeL"].estimate(rows, 1, ("xlsum", "zero-shot", "eng_Latn"))
    assert est.value == pytest.approx(100 * np.mean([rouge_f1(p, r, "rougeL") for r, p in ENGLISH]))
    assert est == METRICS["rougeL"].estimate(rows, 1, ("xlsum", "zero-shot", "eng_Latn"))
    assert est.ci_low < est.value < est.ci_high


# --- judge -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "rating"),
    [
        ("The answer is helpful. Rating: [[8]]", Rating(8.0)),
        ("Rating: 8", Rating(8.0)),
        ("**Score:** 4/5", Rating(4.0, 5.0)),
        ("Overall I would give it 8/10.", Rating(8.0, 10.0)),
        ("Grade: 6 out of 10", Rating(6.0, 10.0)),
        ("التقييم: [[٧]]", Rating(7.0)),  # Arabic-Indic digit
        ("रेटिंग: [[८]]", Rating(8.0)),  # Devanagari
        ("রেটিং: [[৯]]", Rating(9.0)),  # Bengali
        ("評価：［［８］］", Rating(8.0)),  # full-width
        ("Rating: [[7.5]]", Rating(7.5)),
        ("First [[3]], on reflection [[6]]", Rating(6.0)),  # the last verdict
        ("Score: 2/5 of the facts... Final: [[4]]", Rating(4.0)),  # brackets win over other forms
        ("Rating: 7\nAfter review, Rating: 9", Rating(9.0)),
    ],
)
def test_ratings_are_read(reply, rating):
    assert parse_rating(reply) == rating


@pytest.mark.parametrize("reply", ["I cannot rate this.", "Published on 12/05/2024.", "Rating: 12/10", "", "[[A]]"])
def test_replies_without_a_rating(reply):
    assert parse_rating(reply) is None


def test_rating_share():
    assert Rating(4.0, 5.0).share() == 0.8
    assert Rating(8.0).share(10) == 0.8
    with pytest.raises(ValueError, match="no scale"):
        Rating(8.0).share()


def test_pairwise_verdicts_and_both_orders():
    assert parse_preference("[[A]] ... no, on reflection [[B]]") == "B"
    assert parse_preference("It is a tie: [[C]]") == "tie"
    assert parse_preference("［［b］］") == "B"
    assert parse_preference("Assistant A is better.") is None
    # (as A, as B): the model wins only when both orders prefer its answer
    assert pairwise_outcome("A", "B") == "win"
    assert pairwise_outcome("B", "A") == "loss"
    assert pairwise_outcome("A", "A") == "tie"  # position bias: inconsistent
    assert pairwise_outcome("tie", "B") == "tie"
    assert pairwise_outcome(None, "B") is None
    t = tally([("A", "B"), ("A", "B"), ("A", "A"), ("B", "A"), ("tie", "tie"), (None, "A")])
    assert (t.wins, t.ties, t.losses, t.inconsistent, t.missing) == (2, 2, 1, 1, 1)
    assert t.win_rate == pytest.approx(3 / 5)


def test_win_rate_metric():
    rows = _rows("deu_Latn", [["A", "B"], ["A", "A"], ["B", "A"], ["A", "B"]], [None] * 4)
    assert METRICS["win_rate"].estimate(rows, 0, ("t",)).value == pytest.approx(100 * (1 + 0.5 + 0 + 1) / 4)


JUDGE = [7, 3, 9, 5, 5, 8, 2, 6, 9, 4]
GOLD = [6, 4, 9, 5, 3, 8, 1, 7, 8, 4]


@pytest.mark.parametrize(
    ("name", "reference"),
    [("pearson", stats.pearsonr), ("kendall", stats.kendalltau), ("spearman", stats.spearmanr)],
)
def test_judge_validity_correlations_equal_scipy(name, reference):
    rows = _rows("swh_Latn", JUDGE, GOLD)
    est = METRICS[name].estimate(rows, 5, ("mt-bench", "judge", "swh_Latn"))
    assert est.value == pytest.approx(100 * reference(JUDGE, GOLD).statistic, abs=1e-9)
    assert est.ci_low < est.value < est.ci_high
    assert est == METRICS[name].estimate(rows, 5, ("mt-bench", "judge", "swh_Latn"))


def test_kendall_is_tau_b_with_ties():
    judge, gold = [1, 1, 2, 3, 3], [1, 2, 2, 3, 3]
    est = METRICS["kendall"].estimate(_rows("eng_Latn", judge, gold), 0, ("t",))
    assert est.value == pytest.approx(100 * stats.kendalltau(judge, gold, variant="b").statistic)
    assert est.value != pytest.approx(100 * stats.kendalltau(judge, gold, variant="c").statistic)


def test_a_correlation_without_variation_is_undefined():
    assert np.isnan(METRICS["pearson"].estimate(_rows("eng_Latn", [5, 5, 5], [1, 2, 3]), 0, ("t",)).value)


def test_exact_agreement():
    rows = _rows("eng_Latn", [8.0, 3, 5, None], [8, 4, 5, 5], errors=[None, None, None, "no verdict"])
    assert METRICS["exact_agreement"].estimate(rows, 0, ("t",)).value == 50.0


def test_new_metric_names_are_registered_and_accepted_by_task_files():
    names = {"chrf++", "chrf", "bleu", "rouge1", "rouge2", "rougeL", "judge_score", "win_rate", "pearson", "kendall"}
    names |= {"exact_agreement"}
    assert names <= set(METRICS)
    assert names <= known_metrics()
    assert sum(m.name == "spearman" for m in METRICS.values()) == 1


@pytest.mark.parametrize("name", ["pearson", "kendall", "spearman"])
def test_a_correlation_of_two_items_is_not_reported(name):
    """Two points always correlate at +1 or -1: a judge that rated two items has no measured validity."""
    two = METRICS[name].estimate(_rows("eng_Latn", [5, 2], [2, 5]), 0, ("t",))
    assert np.isnan(two.value) and two.n == 2
    three = METRICS[name].estimate(_rows("eng_Latn", [5, 2, 4], [2, 5, 3]), 0, ("t",))
    assert three.value == pytest.approx(-100.0)
