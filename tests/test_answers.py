"""Answer extraction: MGSM numbers (native digits, separators, each language's answer phrase),
option letters and label words across scripts."""

import pytest

from xling.prompts import lexicon
from xling.scoring.answers import (
    ascii_digits,
    extract_choice,
    extract_label,
    extract_number,
    numbers_equal,
    separators,
    to_number,
)

MGSM = "ben_Beng deu_Latn eng_Latn spa_Latn fra_Latn jpn_Jpan rus_Cyrl swh_Latn tel_Telu tha_Thai zho_Hans".split()


def phrases(lang):
    return [lexicon(lang).answer_phrase, lexicon("eng_Latn").answer_phrase]


@pytest.mark.parametrize(
    "text,lang,value",
    [
        ("উত্তর হল ১৮।", "ben_Beng", 18),  # Bengali digits
        ("คำตอบคือ ๗๐๐๐๐", "tha_Thai", 70000),  # Thai digits
        ("الإجابة هي ٣٫٥", "arb_Arab", 3.5),  # Arabic-Indic digits and the Arabic decimal separator
        ("جواب ۱۲۳ ہے", "urd_Arab", 123),  # Eastern Arabic-Indic (Persian/Urdu) digits
        ("उत्तर है १२००", "hin_Deva", 1200),  # Devanagari digits
        ("సమాధానం ౪౨", "tel_Telu", 42),  # Telugu digits
        ("答えは１１です", "jpn_Jpan", 11),  # fullwidth digits
    ],
)
def test_native_digits(text, lang, value):
    ex = extract_number(text, lang, phrases(lang))
    assert ex.status == "ok" and ex.answer == value


def test_ascii_digits_covers_every_decimal_digit_script():
    assert ascii_digits("০১২৩৪৫৬৭৮৯ ๐๑๒ ٠١٢ ۰۱۲ ०१२ ౦౧౨ ௦௧௨ ០១២") == "0123456789 012 012 012 012 012 012 012"
    assert ascii_digits("²") == "²"  # a superscript is not a digit a model answers with


# Each MGSM language's own "the answer is" phrase, as its exemplars write it, after a worked
# solution full of other numbers: the number after the phrase wins over the last number.
@pytest.mark.parametrize("lang", MGSM)
def test_each_mgsm_answer_phrase(lang):
    phrase = lexicon(lang).answer_phrase
    text = f"16 - 3 - 4 = 9. 9 * 2 = 18. {phrase} 18. (7)"
    ex = extract_number(text, lang, phrases(lang))
    assert (ex.answer, ex.via) == (18, "answer-phrase"), phrase


@pytest.mark.parametrize(
    "lang,text",
    [
        ("rus_Cyrl", "Ответ — 11."),
        ("rus_Cyrl", "Ответ: 11"),
        ("fra_Latn", "La réponse est : 11"),
        ("deu_Latn", "die antwort ist **11**"),
        ("eng_Latn", "The answer is $11."),
        ("jpn_Jpan", "答えは11です。"),
        ("zho_Hans", "答案是：11。"),
        ("tha_Thai", "ดังนั้น คำตอบคือ 11 บาท"),
        ("swh_Latn", "Jibu ni 11."),
        ("ben_Beng", "উত্তর হল 11।"),
        ("tel_Telu", "సమాధానం 11."),
        ("spa_Latn", "La respuesta es 11 dólares."),
    ],
)
def test_answer_phrase_variants(lang, text):
    ex = extract_number("5 + 6 = 99 wrong start. " + text + " 3 more", lang, phrases(lang))
    assert ex.answer == 11 and ex.via == "answer-phrase"


@pytest.mark.parametrize(
    "token,lang,value",
    [
        ("1.234,5", "deu_Latn", 1234.5),
        ("1,234.5", "eng_Latn", 1234.5),
        ("1.500", "deu_Latn", 1500),
        ("1,5", "deu_Latn", 1.5),
        ("1,000", "eng_Latn", 1000),
        ("1,5", "eng_Latn", 1.5),
        ("1.000.000", "spa_Latn", 1e6),
        ("70 000", "fra_Latn", 70000),
        ("70\u202f000", "fra_Latn", 70000),
        ("70\u00a0000", "rus_Cyrl", 70000),
        ("-3", "eng_Latn", -3),
        ("1,2,3", "eng_Latn", None),
    ],
)
def test_locale_separators(token, lang, value):
    assert to_number(token, lang) == value


# Indian digit grouping (CLDR #,##,##0: the last three digits, then twos), in each script's digits.
@pytest.mark.parametrize(
    "text,lang,value",
    [
        ("The answer is 1,14,200.", "eng_Latn", 114200),
        ("উত্তর হল ১,১৪,২০০।", "ben_Beng", 114200),
        ("సమాధానం ౧,౧౪,౨౦౦.", "tel_Telu", 114200),
        ("उत्तर है १,१४,२०० रुपये", "hin_Deva", 114200),
        ("The answer is 12,34,56,789.", "eng_Latn", 123456789),
        ("The answer is 10,00,000.50", "eng_Latn", 1000000.5),
    ],
)
def test_indian_digit_grouping(text, lang, value):
    ex = extract_number(text, lang, phrases(lang) if lang in MGSM else [])
    assert ex.status == "ok" and ex.answer == value
    assert numbers_equal(ex.answer, str(value))


@pytest.mark.parametrize("token", ["1,14,20", "1,1,200", "123,45,678", "1,14,2000"])
def test_malformed_grouping_is_not_a_number(token):
    assert to_number(token, "hin_Deva") is None


def test_separators_come_from_cldr():
    assert separators("deu_Latn") == (",", ".")
    assert separators("eng_Latn") == (".", ",")
    assert separators("fra_Latn")[0] == ","
    assert separators("quy_Latn") in ((".", ","), (",", "\u00a0"))  # a language CLDR knows little about


def test_space_groups_only_where_the_language_writes_it():
    assert extract_number("The answer is 3 100", "eng_Latn", phrases("eng_Latn")).answer == 3
    assert extract_number("La réponse est 3 100", "fra_Latn", phrases("fra_Latn")).answer == 3100


def test_fallback_unparseable_and_empty():
    assert extract_number("so it is 5 + 6 = 11", "eng_Latn", phrases("eng_Latn")).via == "last-number"
    assert extract_number("I cannot tell.", "eng_Latn", phrases("eng_Latn")).status == "unparseable"
    assert extract_number("", "eng_Latn", []).status == "empty"
    assert extract_number(None, "eng_Latn", []).status == "empty"
    assert extract_number("The answer is", "eng_Latn", phrases("eng_Latn")).status == "unparseable"


def test_numbers_equal():
    assert numbers_equal(18, "18") and numbers_equal(18.0, "18") and numbers_equal(1500, "1,500")
    assert not numbers_equal(None, "18") and not numbers_equal(17, "18")
    assert numbers_equal(3.5, 3.5)


def test_choice_letters_numbers_and_text():
    letters = ["A", "B", "C", "D"]
    choices = ["red", "green", "blue", "yellow"]
    assert extract_choice("B", letters, choices).answer == 1
    assert extract_choice(" (C) blue", letters, choices).answer == 2
    assert extract_choice("Answer: D.", letters, choices).answer == 3
    assert extract_choice("a blue one", letters, choices).answer == 2  # the article 'a' is not option A
    assert extract_choice("2", letters, choices).answer == 1
    assert extract_choice("it is yellow", letters, choices).via == "option-text"
    assert extract_choice("9", letters, choices).status == "unparseable"
    assert extract_choice("  ", letters, choices).status == "empty"
    arabic = lexicon("arb_Arab").option_letters
    assert extract_choice("ب", arabic, choices).answer == 1
    assert extract_choice("الإجابة: ج", arabic, choices).answer == 2
    assert extract_choice("بالتأكيد", arabic, choices).status == "unparseable"  # ب inside a word is no answer


def vocab(*langs, keys=("yes", "no")):
    out = {}
    for lang in langs:
        for k in keys:
            out.setdefault(k, []).extend(lexicon(lang).label_words(k))
    return out


def test_labels_longest_match_wins_in_scripts_without_spaces():
    th = vocab("tha_Thai")
    assert extract_label("ไม่ใช่", th).answer == "no"  # contains ใช่ ("yes")
    assert extract_label("ใช่ค่ะ", th).answer == "yes"
    zh = vocab("zho_Hans")
    assert extract_label("不是。", zh).answer == "no"
    assert extract_label("是的", zh).answer == "yes"


def test_labels_stand_alone_in_spaced_scripts():
    es = vocab("spa_Latn", "eng_Latn")
    assert extract_label("No, no lo son.", es).answer == "no"
    assert extract_label("Sí.", es).answer == "yes"
    assert extract_label("Nosotros", es).status == "unparseable"
    nli = vocab("arb_Arab", "eng_Latn", keys=("entailment", "neutral", "contradiction"))
    assert extract_label("تناقض", nli).answer == "contradiction"
    assert extract_label("الجواب: محايد", nli).answer == "neutral"
    assert extract_label("Contradiction.", nli).answer == "contradiction"
    ru = vocab("rus_Cyrl", keys=("entailment", "neutral", "contradiction"))
    assert extract_label("Противоречие", ru).answer == "contradiction"  # case-insensitive in Cyrillic
    assert extract_label("", ru).status == "empty"


# A label word is the whole answer (its first clause), never a word that merely shares its letters
# or begins a longer phrase.
@pytest.mark.parametrize(
    "text,langs,expected",
    [
        ("Si la premisa es cierta, la hipótesis también.", ("spa_Latn", "eng_Latn"), None),  # "si" = "if"
        ("Si", ("spa_Latn", "eng_Latn"), None),
        ("No lo sé.", ("spa_Latn", "eng_Latn"), None),  # "I don't know"
        ("Sí, lo es.", ("spa_Latn", "eng_Latn"), "yes"),
        ("¡Sí!", ("spa_Latn", "eng_Latn"), "yes"),
        ("Respuesta: **No**", ("spa_Latn", "eng_Latn"), "no"),
        ("Si", ("ita_Latn", "eng_Latn"), None),  # the pronoun "si"
        ("Sì.", ("ita_Latn", "eng_Latn"), "yes"),
        ("لا أعرف", ("arb_Arab", "eng_Latn"), None),  # "I don't know" begins with لا ("no")
        ("لا.", ("arb_Arab", "eng_Latn"), "no"),
        ("الجواب: نعم", ("arb_Arab", "eng_Latn"), "yes"),
        ("Yes and no", ("eng_Latn",), None),
        ("ไม่ใช่ครับ", ("tha_Thai",), "no"),
    ],
)
def test_label_word_is_the_whole_answer(text, langs, expected):
    assert extract_label(text, vocab(*langs)).answer == expected


def test_a_word_two_labels_accept_is_no_answer():
    assert extract_label("Non", {"yes": ["Non"], "no": ["Non", "No"]}).status == "unparseable"
    assert extract_label("No", {"yes": ["Non"], "no": ["Non", "No"]}).answer == "no"


def test_strip_thinking_removes_every_span_and_counts_it():
    from xling.scoring.answers import strip_thinking

    assert strip_thinking("<think>2+2 is 4</think> Answer: 4") == ("Answer: 4", len("<think>2+2 is 4</think>"))
    # the chat template opened the span in the prompt: only its end is in the generation
    assert strip_thinking("so it is yes</think>\nyes") == ("yes", len("so it is yes"))
    # cut off while thinking: no answer at all
    assert strip_thinking("Sure. <think>let me see") == ("Sure.", len("<think>let me see"))
    assert strip_thinking("<think>a</think>x<think>b</think>y") == ("xy", 2 * len("<think>a</think>"))
    assert strip_thinking("plain answer") == ("plain answer", 0)
    assert strip_thinking("[R]why[/R] ok", (("[R]", "[/R]"),)) == ("ok", len("[R]why[/R]"))
