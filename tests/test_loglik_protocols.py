"""Translate-test and self-translate for the log-likelihood kinds (XNLI, XCOPA, Belebele), end to
end through ``evaluate`` on the real benchmark data, with scripted test doubles as the models
(tests/helpers/scripted_lm.py) and real Apertium: the translated input changes the answer, the protocols
sit side by side in the results, failed translations are error rows, unsupported options raise."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from helpers import scripted_lm
from helpers.runs import preds, run
from xling.errors import CapabilityError, UserError
from xling.models.base import ItemError
from xling.tasks import get_task

TT = "translate-test(scripted)/prompt-en/0-shot"
DIRECT = "direct/prompt-en/0-shot"
_TRANSLATE = re.compile(r"^Translate the following (\w+) text into English\..*\n\1: (?P<text>.*)\nEnglish:$", re.S)


@pytest.fixture
def lm(monkeypatch):
    """``scripted`` (a generator, here the translator), ``scripted-both`` (generates and scores)
    and ``scripted-loglik`` (only scores). Generations come from ``ScriptedLM.script`` (all
    three), log-likelihoods from ``ScriptedBothLM.loglik_script`` (this fixture's value)."""
    return scripted_lm.register_both(monkeypatch)


def translator_script(prompt: str):
    """A scripted translator: ``EN[<the text>]`` marks a translation into English."""
    m = _TRANSLATE.match(prompt)
    assert m, f"not a translation prompt: {prompt[:80]!r}"
    return f" EN[{m['text']}]"


def norm(text: str) -> str:
    return " ".join(text.split())


def english_reader(task, languages, n):
    """A log-likelihood script that understands English only: on English (the source items, or
    a translation marked EN[...]) it prefers the gold label, on anything else the next label."""
    labels = task.spec.labels
    gold = {}
    for lang in languages:
        for it in task.items(lang, task.spec.eval_split, n):
            gold[(norm(it.fields["text1"]), norm(it.fields["text2"]), lang == "eng_Latn")] = it.gold

    def script(context, continuation):
        text1, rest = context.split("\nQuestion: ", 1)
        text2 = rest.rsplit(" " + ", ".join(labels) + "?", 1)[0]
        m1, m2 = re.fullmatch(r"EN\[(.*)\]", text1), re.fullmatch(r"EN\[(.*)\]", text2)
        if m1 and m2:
            key = (norm(m1[1]), norm(m2[1]), True)  # a translation: understood
        else:
            key = (norm(text1), norm(text2), (norm(text1), norm(text2), True) in gold)
        g = gold[key] if key in gold else gold[(key[0], key[1], False)]
        chosen = g if key[2] else labels[(labels.index(g) + 1) % len(labels)]
        return 0.0 if continuation.strip() == chosen else -20.0

    return script


def test_translate_test_changes_the_loglik_answer_beside_direct(tmp_path, shared_data, lm):
    task = get_task("xnli", shared_data)
    scripted_lm.ScriptedLM.script = staticmethod(translator_script)
    lm.loglik_script = staticmethod(english_reader(task, ["eng_Latn", "spa_Latn"], 5))
    proto = {"protocols": "direct,translate-test", "translator": "scripted"}
    res = run(tmp_path, ["xnli"], ["spa_Latn"], 5, proto, model="scripted-both")
    df = res.to_pandas().set_index(["setting", "language"])["value"]
    assert set(df.index) == {(s, lang) for s in (DIRECT, TT) for lang in ("eng_Latn", "spa_Latn")}
    assert df[(DIRECT, "spa_Latn")] == 0.0 and df[(TT, "spa_Latn")] == 100.0  # translating changed every answer
    assert df[(DIRECT, "eng_Latn")] == 100.0 and df[(TT, "eng_Latn")] == 100.0
    es = task.items("spa_Latn", "dev", 5)
    sent = [_TRANSLATE.match(p)["text"] for p in lm.seen]
    assert sorted(set(sent)) == sorted({norm(t) for it in es for t in (it.fields["text1"], it.fields["text2"])})
    assert len(sent) == len(set(sent))  # each distinct text translated once; English never
    tt = preds(res, setting=TT, language="spa_Latn").set_index("item_id").loc[[it.item_id for it in es]]
    first = tt.iloc[0]["prediction"]
    assert first["input"]["text1"] == f"EN[{norm(es[0].fields['text1'])}]"  # the reply, stripped
    assert first["answer"] == es[0].gold and set(first) >= {"raw", "token", "byte", "by"}
    contexts = {c for c, _ in lm.loglik_seen}
    assert (
        f"{first['input']['text1']}\nQuestion: {first['input']['text2']} entailment, neutral, contradiction?\nAnswer:"
        in contexts
    )
    assert "input" not in preds(res, setting=DIRECT, language="spa_Latn").iloc[0]["prediction"]
    cfg = json.loads((tmp_path / "run" / "results.json").read_text())["run"]["config"]["protocol"]
    assert cfg["protocols"] == ["direct", "translate-test"] and cfg["translator"] == "scripted"
    gaps = {g["setting"]: g for g in res.data["analyses"]["transfer_gap"]}
    assert set(gaps) == {DIRECT, TT}


def test_every_text_field_of_xcopa_and_belebele_is_translated(tmp_path, shared_data, lm):
    scripted_lm.ScriptedLM.script = staticmethod(translator_script)
    res = run(
        tmp_path,
        ["xcopa"],
        ["ita_Latn"],
        3,
        {"protocols": "translate-test", "translator": "scripted"},
        model="scripted-both",
    )
    it_items = get_task("xcopa", shared_data).items("ita_Latn", "test", 3)
    sent = {_TRANSLATE.match(p)["text"] for p in lm.seen}
    assert sent == {
        norm(t) for it in it_items for t in [it.fields["premise"], *it.fields["choices"]]
    }  # not cause/effect
    ita = [(c, x) for c, x in lm.loglik_seen if c.startswith("EN[")]
    assert len(ita) == 6 and all(c.endswith((" because", " therefore")) and x.startswith(" eN[") for c, x in ita)
    assert len(preds(res, language="ita_Latn")) == 3 and not preds(res)["error"].map(lambda e: isinstance(e, str)).any()
    lm.seen.clear()
    bb = get_task("belebele", shared_data).items("deu_Latn", "test", 2)
    run(
        tmp_path,
        ["belebele"],
        ["deu_Latn"],
        2,
        {"protocols": "translate-test", "translator": "scripted"},
        model="scripted-both",
        name="bb",
    )
    sent = {_TRANSLATE.match(p)["text"] for p in lm.seen}
    assert sent == {norm(t) for it in bb for t in [it.fields["passage"], it.fields["question"], *it.fields["choices"]]}


def test_translate_test_with_real_apertium_on_spanish_xnli(tmp_path, shared_data, lm, apertium, monkeypatch):
    from xling.models.apertium import Apertium

    calls = []
    real = Apertium._run
    monkeypatch.setattr(Apertium, "_run", lambda self, texts: calls.append(len(texts)) or real(self, texts))
    proto = {"protocols": "direct,translate-test", "translator": "apertium:spa-eng"}
    res = run(tmp_path, ["xnli"], ["spa_Latn"], 3, proto, model="scripted-loglik")
    setting = "translate-test(apertium)/prompt-en/0-shot"
    assert set(res.to_pandas()["setting"]) == {DIRECT, setting}
    es = get_task("xnli", shared_data).items("spa_Latn", "dev", 3)
    tt = preds(res, setting=setting, language="spa_Latn").set_index("item_id").loc[[it.item_id for it in es]]
    for it, p in zip(es, tt["prediction"]):
        english = p["input"]["text1"]
        assert english and english != it.fields["text1"] and "*" not in english  # Apertium's unknown-word marks off
        assert any(c.startswith(english + "\nQuestion: " + p["input"]["text2"]) for c, _ in lm.loglik_seen)
    assert sum(calls) == len({t for it in es for t in (it.fields["text1"], it.fields["text2"])})
    run(tmp_path, ["xnli"], ["spa_Latn"], 3, proto, model="scripted-loglik", name="again")
    assert sum(calls) == len({t for it in es for t in (it.fields["text1"], it.fields["text2"])})  # from the cache
    with pytest.raises(UserError, match="cannot translate fra_Latn"):
        run(tmp_path, ["xnli"], ["fra_Latn"], 2, proto, model="scripted-loglik", name="fr")


def test_failed_or_empty_translations_are_error_rows_and_not_scored(tmp_path, shared_data, lm):
    items = get_task("xnli", shared_data).items("spa_Latn", "dev", 3)

    def model(prompt):
        if items[0].fields["text2"] in prompt:
            return ItemError("translator timed out")
        if items[1].fields["text2"] in prompt:
            return "   "
        return "SOMETHING"

    scripted_lm.ScriptedLM.script = staticmethod(model)
    res = run(
        tmp_path,
        ["xnli"],
        ["spa_Latn"],
        3,
        {"protocols": "translate-test", "translator": "scripted"},
        model="scripted-loglik",
    )
    df = preds(res, language="spa_Latn").set_index("item_id").loc[[it.item_id for it in items]]
    assert df.iloc[0]["error"] == "translation failed: translator timed out"
    assert df.iloc[1]["error"] == "the translator returned nothing for field 'text2'"
    assert list(df["gold"][:2]) == [it.gold for it in items[:2]] and df["score"][:2].isna().all()
    assert not isinstance(df.iloc[2]["error"], str) and df.iloc[2]["prediction"]["input"]["text2"] == "SOMETHING"
    translated = [c for c, _ in lm.loglik_seen if c.startswith("SOMETHING")]
    assert len(translated) == 3  # only the third item is scored: one context per label
    assert res.errors == 2


def test_self_translate_by_the_scored_model(tmp_path, shared_data, lm):
    task = get_task("xnli", shared_data)
    scripted_lm.ScriptedLM.script = staticmethod(translator_script)
    lm.loglik_script = staticmethod(english_reader(task, ["eng_Latn", "spa_Latn"], 3))
    res = run(tmp_path, ["xnli"], ["spa_Latn"], 3, {"protocols": "direct,self-translate"}, model="scripted-both")
    df = res.to_pandas().set_index(["setting", "language"])["value"]
    st = "self-translate/prompt-en/0-shot"
    assert df[(st, "spa_Latn")] == 100.0 and df[(DIRECT, "spa_Latn")] == 0.0
    es = task.items("spa_Latn", "dev", 3)
    assert sorted(_TRANSLATE.match(p)["text"] for p in lm.seen) == sorted(
        {norm(t) for it in es for t in (it.fields["text1"], it.fields["text2"])}
    )
    with pytest.raises(CapabilityError, match="self-translate needs a model that generates"):
        run(tmp_path, ["xnli"], ["spa_Latn"], 3, {"protocols": "self-translate"}, model="scripted-loglik", name="ll")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"protocols": "direct,xlt"}, "cannot run --protocol xlt"),
        ({"prompt_languages": "en,native"}, "cannot take --prompt-language en,native"),
        ({"shots": 3}, "cannot take --shots 3"),
    ],
)
def test_options_the_loglik_kinds_cannot_honour(tmp_path, shared_data, lm, options, message):
    with pytest.raises(CapabilityError, match=message):
        run(tmp_path, ["xnli"], ["spa_Latn"], 2, options, model="scripted-loglik")


def test_cli_translate_test_by_loglik(tmp_path, shared_data, lm):
    from xling.cli import main

    scripted_lm.ScriptedLM.script = staticmethod(translator_script)
    r = CliRunner().invoke(
        main,
        [
            "run",
            "-m",
            "scripted-loglik",
            "-t",
            "xnli",
            "-l",
            "spa_Latn",
            "--limit",
            "2",
            "-q",
            "--data-dir",
            str(shared_data),
            "--output",
            str(tmp_path / "cli"),
            "--protocol",
            "direct,translate-test",
            "--translator",
            "scripted",
        ],
    )
    assert r.exit_code == 0, r.output
    assert DIRECT in r.output and TT in r.output
    r = CliRunner().invoke(
        main,
        [
            "run",
            "-m",
            "scripted-loglik",
            "-t",
            "xnli",
            "-l",
            "spa_Latn",
            "--limit",
            "2",
            "-q",
            "--data-dir",
            str(shared_data),
            "--output",
            str(tmp_path / "bad"),
            "--protocol",
            "xlt",
        ],
    )
    assert r.exit_code != 0 and "cannot run --protocol xlt" in r.output
