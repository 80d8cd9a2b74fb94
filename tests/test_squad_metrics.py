"""MLQA's language-aware answer normalisation, EM and F1 (mlqa_evaluation_v1.py semantics)."""

import pytest

from xling.scoring.qa import answer_tokens, best_over_golds, exact_match, normalize_answer, token_f1


@pytest.mark.parametrize(
    "lang, text, expected",
    [
        ("eng_Latn", "The Eiffel Tower!", "eiffel tower"),
        ("eng_Latn", "an   apple, a pear", "apple pear"),
        ("spa_Latn", "La casa de los papeles", "casa de papeles"),
        ("deu_Latn", "Der Turm des Doms.", "turm doms"),
        ("vie_Latn", "cái bàn của tôi", "bàn tôi"),
        ("hin_Deva", "भारत का इतिहास।", "भारत का इतिहास"),  # Hindi: no articles; danda is punctuation
        ("arb_Arab", "الكتاب الجديد", "كتاب جديد"),  # MLQA strips every "ال"
        ("zho_Hans", "北京大学，位于中国。", "北 京 大 学 位 于 中 国"),  # mixed segmentation
        ("zho_Hans", "iPhone 手机", "iphone 手 机"),  # Latin runs stay whole words
        ("fra_Latn", "Le  château!", "le château"),  # not in MLQA: whitespace, no article removal
    ],
)
def test_normalize_answer(lang, text, expected):
    assert normalize_answer(text, lang) == expected


def test_english_articles_only_as_whole_words():
    assert normalize_answer("Theatre and Anthem", "eng_Latn") == "theatre and anthem"


def test_chinese_f1_gives_partial_credit_per_character():
    # whitespace tokenisation would make this 0 (one "word" each); MLQA scores characters
    assert token_f1("北京大学", "北京", "zho_Hans") == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert exact_match("北京。", "北京", "zho_Hans") == 1.0


def test_thai_is_scored_on_grapheme_clusters():
    tokens = answer_tokens("กรุงเทพ", "tha_Thai")
    assert tokens == ["ก", "รุ", "ง", "เ", "ท", "พ"]  # the vowel sign stays on its consonant
    f1 = token_f1("กรุงเทพ", "กรุงเทพมหานคร", "tha_Thai")
    assert 0.5 < f1 < 1.0
    assert token_f1("กรุงเทพ มหานคร", "กรุงเทพมหานคร", "tha_Thai") == 1.0  # spaces do not matter


def test_japanese_is_character_segmented():
    assert token_f1("東京都", "東京", "jpn_Jpan") == pytest.approx(0.8)


def test_best_over_golds_and_empty_prediction():
    assert best_over_golds("the cat", ["a dog", "Cat"], "eng_Latn") == (1.0, 1.0)
    assert best_over_golds("", ["cat"], "eng_Latn") == (0.0, 0.0)
    with pytest.raises(ValueError):
        best_over_golds("x", [], "eng_Latn")


def test_f1_counts_repeated_tokens_once_each():
    assert token_f1("paris paris", "paris", "eng_Latn") == pytest.approx(2 * 0.5 * 1 / 1.5)
