"""The per-language prompt files: coverage, label words distinct and in the right script,
known mistranslations absent, and pointed errors for broken files."""

from pathlib import Path

import pytest
import regex

from xling.errors import DataError, UserError
from xling.prompts import available_languages, lexicon
from xling.prompts.lexicon import load_file

XNLI = (
    "arb_Arab bul_Cyrl deu_Latn ell_Grek eng_Latn spa_Latn fra_Latn hin_Deva rus_Cyrl swh_Latn tha_Thai tur_Latn"
    " urd_Arab vie_Latn zho_Hans"
).split()
XCOPA = "est_Latn hat_Latn ind_Latn ita_Latn quy_Latn swh_Latn tam_Taml tha_Thai tur_Latn vie_Latn zho_Hans".split()
PAWSX = "deu_Latn eng_Latn spa_Latn fra_Latn jpn_Jpan kor_Hang zho_Hans".split()
MGSM = "ben_Beng deu_Latn eng_Latn spa_Latn fra_Latn jpn_Jpan rus_Cyrl swh_Latn tel_Telu tha_Thai zho_Hans".split()
ALL = sorted(set(XNLI + XCOPA + PAWSX + MGSM))

# ISO 15924 code of the language -> Unicode scripts its words may use.
SCRIPTS = {
    "Jpan": ("Han", "Hiragana", "Katakana"),
    "Hans": ("Han",),
    "Hant": ("Han",),
    "Hang": ("Hangul",),
    "Kore": ("Hangul", "Han"),
}
# Words a careless translation produced in other harnesses; each means something else.
KNOWN_BAD = {
    "arb_Arab": {"رقم"},  # lm-eval XNLI "contradiction"/"No": means "number"
    "hat_Latn": {"poukisa"},  # lm-eval XCOPA "because": means "why"
    "quy_Latn": {"imataq"},  # lm-eval XCOPA "because": an interrogative
}


def in_script(word: str, language: str) -> bool:
    script = language.split("_")[1]
    allowed = SCRIPTS.get(script, (script,))
    letters = [ch for ch in word if regex.match(r"[\p{L}\p{M}]", ch)]
    ok = regex.compile(
        "".join(["[", *[rf"\p{{Script={s}}}" for s in allowed], r"\p{Script=Inherited}\p{Script=Common}]"])
    )
    return bool(letters) and all(ok.match(ch) for ch in letters)


def test_every_benchmark_language_has_a_file_with_what_it_needs():
    assert set(ALL) <= set(available_languages())
    for lang in XNLI:
        lex = lexicon(lang)
        assert [lex.label(k) for k in ("entailment", "neutral", "contradiction")]
        assert lex.instruction("nli") and lex.word("premise") and lex.word("hypothesis")
    for lang in XCOPA:
        lex = lexicon(lang)
        assert lex.connector("cause") and lex.connector("effect")
        assert lex.instruction("copa_cause") and lex.instruction("copa_effect")
    for lang in PAWSX:
        assert lexicon(lang).instruction("paraphrase") and lexicon(lang).word("sentence")
    for lang in MGSM:
        assert lexicon(lang).answer_phrase and lexicon(lang).instruction("math")


@pytest.mark.parametrize("lang", available_languages())
def test_label_words_distinct_nonempty_in_script(lang):
    lex = lexicon(lang)
    assert lex.data.review.by.strip() and lex.data.review.status in ("draft", "checked", "native-reviewed")
    groups = [("yes", "no"), ("entailment", "neutral", "contradiction")]
    for group in groups:
        present = [k for k in group if k in lex.data.labels]
        if not present:
            continue
        assert present == list(group), f"{lang}: a partial label set {present}"
        words = {k: [w.casefold() for w in lex.label_words(k)] for k in group}
        for a in group:
            for b in group:
                if a < b:
                    assert not set(words[a]) & set(words[b]), f"{lang}: {a} and {b} share a word"
        for k in group:
            for w in lex.label_words(k):
                assert w.strip() and in_script(w, lang), f"{lang}: label {k} word {w!r} is not in script {lang[-4:]}"
    if lex.data.connectors:
        c = lex.data.connectors
        assert c.cause.casefold() != c.effect.casefold()
        assert in_script(c.cause, lang) and in_script(c.effect, lang)
    if lex.data.math:
        assert in_script(lex.answer_phrase, lang)
    for key in ("question", "answer"):
        assert in_script(lex.word(key), lang)
    bad = KNOWN_BAD.get(lang, set())
    every_word = [w for ws in lex.data.labels.values() for w in ws]
    if lex.data.connectors:
        every_word += [lex.data.connectors.cause, lex.data.connectors.effect]
    assert not bad & {w.casefold() for w in every_word}, f"{lang}: a known mistranslation is back"


@pytest.mark.parametrize("lang", ALL)
def test_instructions_fill_every_placeholder(lang):
    lex = lexicon(lang)
    for key in ("choice", "qa", "nli", "paraphrase", "copa_cause", "copa_effect", "math"):
        text = getattr(lex.data.instructions, key)
        if text:
            filled = lex.instruction(key)
            assert "{" not in filled and "}" not in filled
            if key == "nli":
                assert all(lex.label(k) in filled for k in ("entailment", "neutral", "contradiction"))
            if key == "paraphrase":
                assert lex.label("yes") in filled and lex.label("no") in filled
            if key == "math":
                assert lex.answer_phrase in filled


def test_arabic_contradiction_is_not_number():
    lex = lexicon("ar")
    assert lex.label("contradiction") == "تناقض" and lex.label("no") == "لا"


def test_missing_section_names_file_and_key():
    with pytest.raises(DataError) as exc:
        lexicon("kor_Hang").label("entailment")
    assert "kor_Hang.yaml" in str(exc.value) and "labels.entailment" in str(exc.value)
    with pytest.raises(UserError, match="no prompt words for language 'nav_Latn'"):
        lexicon("nav_Latn")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


BASE = """language: spa_Latn
review: {status: draft, by: someone}
words: {question: Pregunta, answer: Respuesta}
option_letters: [A, B]
instructions: {choice: Elige.}
"""
LABELS = 'labels: {"yes": [Sí], "no": ["No"]}\n'


def test_unquoted_yes_and_no_are_caught(tmp_path):
    p = _write(tmp_path, "spa_Latn.yaml", BASE + 'labels:\n  yes: [Sí]\n  "no": ["No"]\n')
    with pytest.raises(DataError, match="read as a boolean: quote it"):
        load_file(p)
    p = _write(tmp_path, "spa_Latn.yaml", BASE + 'labels:\n  "yes": [Sí]\n  "no": [No]\n')
    with pytest.raises(DataError, match="read as a boolean: quote it"):
        load_file(p)


def test_unknown_key_and_bad_review_point_at_the_line(tmp_path):
    p = _write(tmp_path, "spa_Latn.yaml", BASE + LABELS + "labelz: {}\n")
    with pytest.raises(DataError) as exc:
        load_file(p)
    assert exc.value.line == 7 and "labelz" in str(exc.value)
    p = _write(tmp_path, "spa_Latn.yaml", BASE.replace("status: draft", "status: fine") + LABELS)
    with pytest.raises(DataError, match="review.status"):
        load_file(p)


def test_file_name_must_match_language(tmp_path):
    p = _write(tmp_path, "deu_Latn.yaml", BASE + LABELS)
    with pytest.raises(DataError, match="does not match the file name"):
        load_file(p)


def test_verbaliser_and_connectors_for_loglik_kinds():
    from xling.prompts import copa_connector, verbaliser

    nli = ["entailment", "neutral", "contradiction"]
    assert verbaliser("pair_classification", {}, nli, "arb_Arab", "native") == {
        "entailment": "استلزام",
        "neutral": "محايد",
        "contradiction": "تناقض",
    }
    assert verbaliser("pair_classification", {}, nli, "arb_Arab") == {k: k for k in nli}
    assert verbaliser("pair_classification", {}, ["not_paraphrase", "paraphrase"], "kor_Hang", "native") == {
        "paraphrase": "예",
        "not_paraphrase": "아니요",
    }
    assert verbaliser(
        "pair_classification", {"prompt_labels": {"a": "yes", "b": "no"}}, ["a", "b"], "deu_Latn", "native"
    ) == {"a": "Ja", "b": "Nein"}
    assert copa_connector("cause", "hat_Latn") == "paske" and copa_connector("effect", "tam_Taml") == "எனவே"
    with pytest.raises(UserError, match="cannot tell which labels mean yes and no"):
        verbaliser("pair_classification", {}, ["x", "y"], "eng_Latn")


def test_german_cause_connector_keeps_main_clause_order():
    # XCOPA prompts append the choice as written (verb second): "weil" would need it verb-final
    from xling.prompts import copa_connector

    assert copa_connector("cause", "deu_Latn") == "denn"


@pytest.mark.parametrize("lang", available_languages())
def test_every_label_word_reads_back_as_its_label(lang):
    from xling.scoring.answers import extract_label

    labels = lexicon(lang).data.labels
    for group in (("yes", "no"), ("entailment", "neutral", "contradiction")):
        vocab = {k: labels[k] for k in group if k in labels}
        for key, words in vocab.items():
            for w in words:
                assert extract_label(f"{w}.", vocab).answer == key, w
