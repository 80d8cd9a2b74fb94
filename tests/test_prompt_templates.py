"""Prompt templates: exact rendering, chat turns, demonstrations, XLT, settings round trip."""

import pytest

from xling.prompts import lexicon
from xling.prompts import templates as T
from xling.prompts.protocols import ProtocolOptions, Setting, settings
from xling.types import Item


def item(i, text1="Un gato duerme.", text2="Un animal descansa.", gold="entailment", pid=None, lang="spa_Latn"):
    return Item("t", "dev", lang, str(i), pid or str(i), {"text1": text1, "text2": text2}, gold)


def test_nli_prompt_native_spanish_exact():
    lex = lexicon("spa_Latn")
    demo = item(1, "Llueve.", "Hace sol.", "contradiction")
    p = T.build("nli", item(2), item(2).fields, lex, [(demo, demo.fields)], T.label_keys("nli", {}, T.NLI_LABELS))
    assert p.text() == (
        "Lee la premisa y la hipótesis. ¿La premisa implica la hipótesis, la contradice o ninguna de las dos cosas? "
        "Responde con una palabra: implicación, neutral o contradicción.\n\n"
        "Premisa: Llueve.\nHipótesis: Hace sol.\nRespuesta: contradicción\n\n"
        "Premisa: Un gato duerme.\nHipótesis: Un animal descansa.\nRespuesta:"
    )
    msgs = p.messages()
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"]
    assert msgs[0]["content"].startswith("Lee la premisa") and msgs[1]["content"] == "Respuesta: contradicción"


def test_copa_and_choice_use_the_language_letters():
    lex = lexicon("arb_Arab")
    copa = Item("x", "test", "arb_Arab", "1", "1", {"premise": "P", "question": "effect", "choices": ["c1", "c2"]}, 1)
    assert T.family_of("multiple_choice", {}, None, copa) == "copa"
    with pytest.raises(Exception, match="copa_effect"):
        T.body("copa", copa.fields, lex)  # Arabic is not an XCOPA language: no native COPA question
    en = lexicon("eng_Latn")
    assert (
        T.body("copa", copa.fields, en)
        == "P\nWhat happened as a result? Answer with the letter of the correct option.\nA. c1\nB. c2"
    )
    mc = {"passage": "Texto", "question": "¿Qué?", "choices": ["x", "y", "z"]}
    assert T.body("choice", mc, lex).endswith("أ. x\nب. y\nج. z")
    assert T.gold_answer("choice", Item("x", "t", "arb_Arab", "1", "1", mc, 2), lex, {}) == "ج"


def test_math_demo_answers():
    lex = lexicon("deu_Latn")
    worked = Item(
        "m", "ex", "deu_Latn", "e1", "e1", {"question": "Q", "solution": "5 + 6 = 11. Die Antwort ist 11."}, "11"
    )
    bare = Item("m", "test", "deu_Latn", "2", "2", {"question": "Q2"}, "7")
    p = T.build("math", bare, bare.fields, lex, [(worked, worked.fields)], {})
    assert p.text().endswith(
        "Frage: Q\nSchritt-für-Schritt-Antwort: 5 + 6 = 11. Die Antwort ist 11.\n\n"
        "Frage: Q2\nSchritt-für-Schritt-Antwort:"
    )
    assert T.gold_answer("math", bare, lex, {}) == "Die Antwort ist 7."


def test_pick_demos_excludes_the_item_and_its_translations():
    pool = [item(i, pid=f"p{i}") for i in range(10)]
    test = item(99, pid="p3", lang="deu_Latn")  # a German item whose Spanish translation is p3
    for seed in range(20):
        demos = T.pick_demos(pool, 4, test, seed, ("t", "spa_Latn"))
        assert len(demos) == 4 and all(d.parallel_id != "p3" for d in demos)
    assert T.pick_demos(pool, 4, test, 0, ("t",)) == T.pick_demos(pool, 4, test, 0, ("t",))
    assert len({tuple(d.item_id for d in T.pick_demos(pool, 4, test, s, ("t",))) for s in range(10)}) > 1
    assert T.pick_demos(pool[:2], 5, item(0), 0, ("t",)) == [pool[1]]  # a small pool gives what it has
    assert T.pick_demos(pool, 0, test, 0, ("t",)) == []


def test_xlt_prompt():
    p = T.xlt("nli", item(1).fields, "spa_Latn", lexicon("spa_Latn"), lexicon("eng_Latn"))
    text = p.text()
    assert text.startswith("I want you to act as an expert in natural language inference for Spanish.")
    assert "Spanish request:\nLee la premisa" in text and "Premisa: Un gato duerme." in text
    assert 'in the format "Respuesta: ..."' in text and p.meta["final_marker"] == "Respuesta:"


def test_settings_grid():
    opts = ProtocolOptions(
        protocols=("direct", "translate-test", "xlt"),
        prompt_languages=("en", "native"),
        shots=3,
        shot_language="target",
        translator="apertium:spa-eng",
    )
    got = [str(s) for s in settings(opts, chat=True)]
    assert got == [
        "direct/prompt-en/3-shot-target/chat",
        "direct/prompt-native/3-shot-target/chat",
        "translate-test(apertium)/prompt-en/3-shot-source/chat",
        "xlt/prompt-en/0-shot/chat",
    ]
    assert str(Setting("direct", T.PromptConfig("native", 0, "source", "off"))) == "direct/prompt-native/0-shot"
