"""Generation kinds end to end through ``evaluate`` on the real benchmark data, with a scripted
test double as the model (tests/helpers/scripted_lm.py): extraction in every prompt language, few-shot
selection, chat templates, unparseable/empty/failed answers, translate-test with Apertium,
self-translate and XLT."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpers import scripted_lm
from helpers.runs import preds, run
from xling.errors import UserError
from xling.models.base import ItemError
from xling.prompts import lexicon
from xling.tasks import get_task


@pytest.fixture
def lm(monkeypatch):
    return scripted_lm.register(monkeypatch)


def last_block(prompt: str) -> str:
    return prompt.split("\n\n")[-1]


def prompt_lexicon(prompt: str, langs, word="premise"):
    block = last_block(prompt)
    for lang in ["eng_Latn", *langs]:
        if block.startswith(lexicon(lang).word(word) + ":"):
            return lexicon(lang)
    raise AssertionError(f"no known {word} word in {block[:80]!r}")


def test_xnli_perfect_model_scores_100_in_every_prompt_language(tmp_path, shared_data, lm):
    langs = ["spa_Latn", "arb_Arab", "tha_Thai", "zho_Hans"]
    task = get_task("xnli", shared_data)
    gold = {
        (it.fields["text1"], it.fields["text2"]): it.gold
        for lang in ["eng_Latn", *langs]
        for it in task.items(lang, "dev", 5)
    }

    def oracle(prompt):
        lex = prompt_lexicon(prompt, langs)
        block = last_block(prompt)
        label = next(g for (t1, t2), g in gold.items() if t1 in block and t2 in block)
        return f" {lex.label(label)}."

    lm.script = staticmethod(oracle)
    res = run(tmp_path, ["xnli"], langs, 5, {"prompt_languages": "en,native"})
    df = res.to_pandas()
    assert set(df["setting"]) == {"direct/prompt-en/0-shot", "direct/prompt-native/0-shot"}
    assert set(df["language"]) == {"eng_Latn", *langs}
    assert (df["value"] == 100.0).all() and (df["n"] == 5).all()
    p = preds(res, language="tha_Thai", setting="direct/prompt-native/0-shot").iloc[0]["prediction"]
    assert p["status"] == "ok" and p["via"] == "label-word" and p["answer"] in task.spec.labels
    native_prompts = [s for s in lm.seen if "สมมติฐาน:" in s]
    assert native_prompts and all("ขัดแย้ง" in s for s in native_prompts)  # Thai label words in the instruction


def test_unparseable_empty_and_failed_answers(tmp_path, shared_data, lm):
    items = get_task("xnli", shared_data).items("eng_Latn", "dev", 5)
    replies = ["I am not sure what you mean", "", ItemError("HTTP 503 after 3 retries"), "neutral", "Entailment!"]
    by_text = {(it.fields["text1"], it.fields["text2"]): r for it, r in zip(items, replies)}
    lm.script = staticmethod(
        lambda p: next(r for (a, b), r in by_text.items() if a in last_block(p) and b in last_block(p))
    )
    res = run(tmp_path, ["xnli"], ["eng_Latn"], 5)
    df = preds(res).set_index("item_id").loc[[it.item_id for it in items]]
    status = [p["status"] if p else None for p in df["prediction"]]
    assert status == ["unparseable", "empty", None, "ok", "ok"]
    expected = [0.0, 0.0, -1, float(items[3].gold == "neutral"), float(items[4].gold == "entailment")]
    assert list(df["score"].fillna(-1)) == expected
    assert df.iloc[2]["error"].startswith("model call failed: HTTP 503")
    assert res.errors == 1
    assert df.iloc[0]["prediction"]["raw"] == "I am not sure what you mean"


def test_mgsm_native_digits_and_exemplar_shots(tmp_path, shared_data, lm):
    langs = ["ben_Beng", "tha_Thai", "tel_Telu", "zho_Hans"]
    task = get_task("mgsm", shared_data)
    gold = {it.fields["question"]: it.gold for lang in ["eng_Latn", *langs] for it in task.items(lang, "test", 3)}
    native = {
        "ben_Beng": "০১২৩৪৫৬৭৮৯",
        "tha_Thai": "๐๑๒๓๔๕๖๗๘๙",
        "tel_Telu": "౦౧౨౩౪౫౬౭౮౯",
        "zho_Hans": "0123456789",
        "eng_Latn": "0123456789",
    }

    def oracle(prompt):
        block = last_block(prompt)
        q = next(q for q in gold if q in block)
        lang = next(
            lg for lg in langs + ["eng_Latn"] if q in {it.fields["question"] for it in task.items(lg, "test", 3)}
        )
        digits = "".join(native[lang][int(c)] for c in gold[q])
        return f" 2 + 2 = 4. {lexicon(lang).answer_phrase} {digits}."

    lm.script = staticmethod(oracle)
    res = run(tmp_path, ["mgsm"], langs, 3, {"prompt_languages": "native", "shots": 2, "shot_language": "target"})
    df = res.to_pandas()
    assert set(df["setting"]) == {"direct/prompt-native/2-shot-target"}
    assert (df["value"] == 100.0).all(), df
    thai = [s for s in lm.seen if "คำตอบทีละขั้นตอน:" in s]
    assert thai and all(s.count("คำตอบทีละขั้นตอน:") == 3 for s in thai)  # 2 worked exemplars + the test item
    for s in lm.seen:  # the test question appears once: never among its own demonstrations
        q = next(q for q in gold if q in last_block(s))
        assert s.count(q) == 1


def test_demonstrations_seeded_and_never_the_test_item(tmp_path, shared_data, lm):
    lm.script = staticmethod(lambda p: "neutral")
    run(tmp_path, ["xnli"], ["spa_Latn"], 6, {"shots": 3, "shot_language": "target"}, name="a")
    first = list(lm.seen)
    task = get_task("xnli", shared_data)
    items = task.items("spa_Latn", "dev", 6)
    for it in items:
        mine = [p for p in first if it.fields["text2"] in last_block(p)]
        assert mine, "every item prompted"
        for p in mine:
            demos = p.split("\n\n")[1:-1]
            assert len(demos) == 3 and not any(it.fields["text2"] in d for d in demos)
    lm.seen.clear()
    run(
        tmp_path,
        ["xnli"],
        ["spa_Latn"],
        6,
        {"shots": 3, "shot_language": "target"},
        name="b",
        cache_path=tmp_path / "other.sqlite",
    )
    assert sorted(lm.seen) == sorted(first)  # same seed, same demonstrations
    lm.seen.clear()
    run(
        tmp_path,
        ["xnli"],
        ["spa_Latn"],
        6,
        {"shots": 3, "shot_language": "target"},
        name="c",
        seed=1,
        cache_path=tmp_path / "third.sqlite",
    )
    assert sorted(lm.seen) != sorted(first)


def test_xcopa_target_shots_come_from_the_target_eval_split(tmp_path, shared_data, lm):
    lm.script = staticmethod(lambda p: "A")
    res = run(tmp_path, ["xcopa"], ["ita_Latn"], 3, {"shots": 2, "shot_language": "target"})
    it = preds(res, language="ita_Latn")
    for _, row in it.iterrows():
        demos = row["prediction"]["demos"]
        assert len(demos) == 2 and all(d.startswith("ita_Latn/test/") for d in demos)
        assert f"ita_Latn/test/{row['item_id']}" not in demos
    en = preds(res, language="eng_Latn")
    assert all(d.startswith("eng_Latn/train/") for p in en["prediction"] for d in p["demos"])  # English COPA train


def test_source_shots_are_english_demonstrations(tmp_path, shared_data, lm):
    lm.script = staticmethod(lambda p: "neutral")
    run(tmp_path, ["xnli"], ["deu_Latn"], 2, {"shots": 2, "shot_language": "source", "prompt_languages": "native"})
    de = [p for p in lm.seen if last_block(p).startswith("Prämisse:")]
    assert de and all(p.split("\n\n")[1].startswith("Prämisse:") for p in de)
    eng = {it.fields["text1"] for it in get_task("xnli", shared_data).items("eng_Latn", "dev", 200)}
    assert all(any(t in p.split("\n\n")[1] for t in eng) for p in de)  # the demonstration is an English item


def test_xcopa_letters_and_chat_template(tmp_path, shared_data, lm):
    task = get_task("xcopa", shared_data)
    langs = ["ita_Latn", "tam_Taml"]
    gold = {it.fields["premise"]: it.gold for lang in langs for it in task.items(lang, "test", 4)}

    def oracle(prompt):
        premise = next(p for p in gold if p in prompt.split("<user>")[-1])
        return "\n\n" + ["A", "B"][gold[premise]] + ".\nBecause ... A is wrong"  # a chat model's turn

    lm.script = staticmethod(oracle)
    res = run(tmp_path, ["xcopa"], langs, 4, {"prompt_languages": "native"}, model_options={"chat": True})
    df = res.to_pandas()
    assert set(df["setting"]) == {"direct/prompt-native/0-shot/chat"}
    assert (df[df["language"] != "eng_Latn"]["value"] == 100.0).all()
    ends = tuple("<assistant>" + lexicon(lang).word("answer") + ":" for lang in [*langs, "eng_Latn"])
    assert lm.seen and all(p.startswith("<user>") and p.endswith(ends) for p in lm.seen)
    assert all(stop == [] for stop in lm.stops)  # a chat model ends its own turn
    lm.seen.clear()
    res = run(tmp_path, ["xcopa"], ["ita_Latn"], 2, {"chat": "off"}, model_options={"chat": True}, name="plain")
    assert set(res.to_pandas()["setting"]) == {"direct/prompt-en/0-shot"}
    assert not any("<user>" in p for p in lm.seen)
    assert lm.stops[-1] == ["\n"]


def test_xquad_generative_qa_em_f1(tmp_path, shared_data, lm):
    task = get_task("xquad", shared_data)
    gold = {it.fields["question"]: it.gold for lang in ("eng_Latn", "zho_Hans") for it in task.items(lang, "test", 3)}
    lm.script = staticmethod(lambda p: " " + gold[next(q for q in gold if q in last_block(p))][0] + "\nmore text")
    res = run(tmp_path, ["xquad"], ["zho_Hans"], 3)
    assert (res.to_pandas()["value"] == 100.0).all()
    p = preds(res).iloc[0]["prediction"]
    assert p["em"] == 1.0 and p["f1"] == 1.0
    with pytest.raises(UserError, match="translate-test is not available"):
        run(tmp_path, ["xquad"], ["spa_Latn"], 2, {"protocols": "translate-test", "translator": "scripted"}, name="tt")


def test_translate_test_with_apertium_beside_direct(tmp_path, shared_data, lm, apertium, monkeypatch):
    from xling.models.apertium import Apertium

    calls = []
    real = Apertium._run
    monkeypatch.setattr(Apertium, "_run", lambda self, texts: calls.append(len(texts)) or real(self, texts))
    lm.script = staticmethod(lambda p: "neutral")
    proto = {"protocols": "direct,translate-test", "translator": "apertium:spa-eng"}
    res = run(tmp_path, ["xnli"], ["spa_Latn"], 4, proto)
    df = res.to_pandas()
    assert set(df["setting"]) == {"direct/prompt-en/0-shot", "translate-test(apertium)/prompt-en/0-shot"}
    assert set(df["language"]) == {"eng_Latn", "spa_Latn"}
    tt = preds(res, setting="translate-test(apertium)/prompt-en/0-shot", language="spa_Latn")
    first = tt.sort_values("item_id").iloc[0]["prediction"]["input"]
    assert (
        first["text1"]
        and first["text1"] != get_task("xnli", shared_data).items("spa_Latn", "dev", 1)[0].fields["text1"]
    )
    assert any(first["text1"] in p and p.startswith("Read the premise") for p in lm.seen)
    es = get_task("xnli", shared_data).items("spa_Latn", "dev", 4)
    unique = {t for it in es for t in (it.fields["text1"], it.fields["text2"])}
    assert sum(calls) == len(unique)  # each distinct Spanish text once (premises repeat); English needs none
    gaps = {g["setting"]: g for g in res.data["analyses"]["transfer_gap"]}
    assert "translate-test(apertium)/prompt-en/0-shot" in gaps
    run(tmp_path, ["xnli"], ["spa_Latn"], 4, proto, name="again")
    assert sum(calls) == len(unique)  # translations came from the response cache
    with pytest.raises(UserError, match="cannot translate fra_Latn"):
        run(tmp_path, ["xnli"], ["fra_Latn"], 2, proto, name="fr")


def test_self_translate_and_xlt(tmp_path, shared_data, lm):
    def model(prompt):
        if prompt.startswith("Translate the following Spanish text into English"):
            return " TRANSLATED<" + str(len(prompt)) + ">\nextra"
        if prompt.startswith("I want you to act as an expert"):
            return " The request asks... it is not a contradiction.\nRespuesta: contradicción"
        return "neutral"

    lm.script = staticmethod(model)
    res = run(tmp_path, ["xnli"], ["spa_Latn"], 3, {"protocols": "self-translate,xlt"})
    settings = set(res.to_pandas()["setting"])
    assert settings == {"self-translate/prompt-en/0-shot", "xlt/prompt-en/0-shot"}
    task_prompts = [p for p in lm.seen if p.startswith("Read the premise") and "TRANSLATED<" in p]
    assert len(task_prompts) == 3
    x = preds(res, setting="xlt/prompt-en/0-shot", language="spa_Latn")
    assert all(p["answer"] == "contradiction" for p in x["prediction"])  # read after the final "Respuesta:"
    assert any("Spanish request:" in p and "Premisa:" in p for p in lm.seen)


def test_bad_protocol_options(tmp_path, shared_data, lm):
    with pytest.raises(UserError, match="unknown protocol 'translate'"):
        run(tmp_path, ["xnli"], ["spa_Latn"], 1, {"protocols": "translate"})
    with pytest.raises(UserError, match="needs a translator"):
        run(tmp_path, ["xnli"], ["spa_Latn"], 1, {"protocols": "translate-test"})
    with pytest.raises(UserError, match="prompt language must be one of"):
        run(tmp_path, ["xnli"], ["spa_Latn"], 1, {"prompt_languages": "fr"})
    with pytest.raises(UserError, match="must be one of loglik, generate"):
        run(tmp_path, ["xnli"], ["spa_Latn"], 1, {"answer_by": "guess"})


def test_cli_protocol_options(tmp_path, shared_data, lm):
    from xling.cli import main

    lm.script = staticmethod(lambda p: "Yes")
    r = CliRunner().invoke(
        main,
        [
            "run",
            "-m",
            "scripted",
            "-t",
            "pawsx",
            "-l",
            "kor_Hang",
            "--limit",
            "2",
            "-q",
            "--data-dir",
            str(shared_data),
            "--output",
            str(tmp_path / "cli"),
            "--prompt-language",
            "en,native",
            "--no-chat-template",
        ],
    )
    assert r.exit_code == 0, r.output
    cfg = json.loads((tmp_path / "cli" / "results.json").read_text())["run"]["config"]
    assert cfg["protocol"]["prompt_languages"] == ["en", "native"] and cfg["protocol"]["chat"] == "off"
    assert "direct/prompt-native/0-shot" in r.output
    r = CliRunner().invoke(
        main,
        [
            "run",
            "-m",
            "scripted",
            "-t",
            "pawsx",
            "--limit",
            "1",
            "-q",
            "--data-dir",
            str(shared_data),
            "--output",
            str(tmp_path / "bad"),
            "--protocol",
            "bogus",
        ],
    )
    assert r.exit_code == 2 and "unknown protocol 'bogus'" in r.output


def test_answer_by_picks_the_implementation(tmp_path, shared_data, monkeypatch):
    lm = scripted_lm.register_both(monkeypatch)
    lm.script = staticmethod(lambda p: "A")
    res = run(tmp_path, ["xcopa"], ["ita_Latn"], 2, model="scripted-both", name="loglik")
    assert set(res.to_pandas()["setting"]) == {"direct/prompt-en/0-shot"} and not lm.seen  # by log-likelihood
    with pytest.raises(UserError, match="cannot run --protocol xlt"):
        run(tmp_path, ["xcopa"], ["ita_Latn"], 2, {"protocols": "xlt"}, model="scripted-both", name="x")
    res = run(
        tmp_path,
        ["xcopa"],
        ["ita_Latn"],
        2,
        {"protocols": "direct,xlt", "answer_by": "generate"},
        model="scripted-both",
        name="gen",
    )
    assert set(res.to_pandas()["setting"]) == {"direct/prompt-en/0-shot", "xlt/prompt-en/0-shot"} and lm.seen


def test_failed_or_empty_translations_are_error_rows_and_not_prompted(tmp_path, shared_data, lm):
    items = get_task("xnli", shared_data).items("spa_Latn", "dev", 3)

    def model(prompt):
        if prompt.startswith("Translate the following"):
            if items[0].fields["text2"] in prompt:
                return ItemError("translator timed out")
            if items[1].fields["text2"] in prompt:
                return "   "
            return "SOMETHING"
        return "neutral"

    lm.script = staticmethod(model)
    res = run(tmp_path, ["xnli"], ["spa_Latn"], 3, {"protocols": "self-translate"})
    df = preds(res, language="spa_Latn").set_index("item_id").loc[[it.item_id for it in items]]
    assert df.iloc[0]["error"] == "translation failed: translator timed out"
    assert df.iloc[1]["error"] == "the translator returned nothing for field 'text2'"
    assert not isinstance(df.iloc[2]["error"], str) and df.iloc[2]["prediction"]["input"]["text2"] == "SOMETHING"
    assert len([p for p in lm.seen if p.startswith("Read the premise") and "SOMETHING" in p]) == 1


def test_the_output_record_of_one_generation():
    from xling.kinds.llm.outputs import record

    r = record("<think>hmm</think>\n\nHabari ya asubuhi, rafiki yangu mpendwa.\nmore text", "swh_Latn", first_line=True)
    assert r["output"] == "Habari ya asubuhi, rafiki yangu mpendwa."
    assert r["thinking_chars"] == len("<think>hmm</think>")
    assert r["output_language"]["wrong_language"] is False and "status" not in r
    assert r["raw"].startswith("<think>")
    empty = record("  \n ", "swh_Latn")
    assert empty["status"] == "empty" and empty["output"] == "" and "thinking_chars" not in empty
    assert "output_language" not in record("42", None)
