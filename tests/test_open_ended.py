"""``open_ended`` (MT-Bench-X) and ``judge_validity`` (CIA/Recon) end to end through ``evaluate``, with the
scripted test double as model and judge, on small files written in each release's layout."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import scripted_lm
from xling import evaluate
from xling.errors import CapabilityError, UserError
from xling.models.base import ItemError
from xling.prompts.judging import JudgeOptions, rubric_text
from xling.results import schema

QUESTIONS = {
    "EN": [
        ("1_EN", "writing", ["Write a poem about rain.", "Now make it rhyme."]),
        ("2_EN", "math", ["What is 2+3?", "And times 4?"]),
    ],
    "DE": [
        ("1_DE", "writing", ["Schreibe ein Gedicht über Regen.", "Jetzt mit Reimen."]),
        ("2_DE", "math", ["Was ist 2+3?", "Und mal 4?"]),
    ],
}
REFERENCES = {"EN": ["five", "twenty"], "DE": ["fünf", "zwanzig"]}
SYSTEM = {"EN": "Judge (en).", "DE": "Richter (de)."}


def _prompts(lang: str) -> list[dict]:
    def one(name, template):
        return {"name": name, "type": "single", "system_prompt": f"{SYSTEM[lang]} {name}", "prompt_template": template}

    return [
        one("pair-v2", "Q: {question}\nA: {answer_a}\nB: {answer_b}"),
        one("pair-math-v1", "Q: {question}\nREF: {ref_answer_1}\nA: {answer_a}\nB: {answer_b}"),
        one("pair-v2-multi-turn", "A1: {answer_a_1}\nA2: {answer_a_2}\nB1: {answer_b_1}\nB2: {answer_b_2}"),
        one(
            "pair-math-v1-multi-turn",
            "REF2: {ref_answer_2}\nA1: {answer_a_1}\nA2: {answer_a_2}\nB1: {answer_b_1}\nB2: {answer_b_2}",
        ),
        one("single-v1", "Q: {question}\nA: {answer}"),
        one("single-math-v1", "Q: {question}\nREF: {ref_answer_1}\nA: {answer}"),
        one("single-v1-multi-turn", "Q1: {question_1}\nA1: {answer_1}\nQ2: {question_2}\nA2: {answer_2}"),
        one(
            "single-math-v1-multi-turn",
            "Q1: {question_1}\nREF1: {ref_answer_1}\nREF2: {ref_answer_2}\n"
            "A1: {answer_1}\nQ2: {question_2}\nA2: {answer_2}",
        ),
    ]


@pytest.fixture
def mt_bench(tmp_path):
    """A two-question MT-Bench-X release in English and German (its folder layout and file formats)."""
    root = tmp_path / "data"
    for lang, questions in QUESTIONS.items():
        folder = root / "mt_bench_x" / "data" / f"mt_bench_{lang}"
        (folder / "reference_answer").mkdir(parents=True)
        lines = [json.dumps({"question_id": q, "category": c, "turns": t, "reference": []}) for q, c, t in questions]
        (folder / "question.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        (folder / "judge_prompts.jsonl").write_text("\n".join(json.dumps(p) for p in _prompts(lang)) + "\n", "utf-8")
        ref = {"question_id": f"2_{lang}", "choices": [{"index": 0, "turns": REFERENCES[lang]}]}
        (folder / "reference_answer" / "gpt-4.jsonl").write_text(json.dumps(ref) + "\n", "utf-8")
    return root


@pytest.fixture
def lm(monkeypatch):
    scripted_lm.register_both(monkeypatch)  # scripted-loglik: a judge that cannot generate
    return scripted_lm.ScriptedLM


def is_judge(prompt: str) -> bool:
    return prompt.startswith((SYSTEM["EN"], SYSTEM["DE"], "You are a fair judge"))


def script(answer=lambda p: "An answer.", verdict=lambda p: "Fine. Rating: [[8]]"):
    return staticmethod(lambda p: verdict(p) if is_judge(p) else answer(p))


def run(tmp_path, data, languages=("eng_Latn",), judge="scripted", name="run", model_options=None, **judge_kw):
    return evaluate(
        "scripted",
        tasks=["mt_bench_x"],
        languages=list(languages),
        data_dir=data,
        output=tmp_path / name,
        model_options=model_options,
        judge={"spec": judge, **judge_kw} if judge else None,
    )


def by_id(res):
    return res.predictions().set_index("item_id")


def test_turn_two_sees_the_models_own_turn_one_answer(tmp_path, mt_bench, lm):
    lm.script = script(answer=lambda p: "ANSWER-2" if "Now make it rhyme." in p else "ANSWER-1")
    res = run(tmp_path, mt_bench)
    second = [p for p in lm.seen if not is_judge(p) and "Now make it rhyme." in p]
    assert second == [
        "### User:\nWrite a poem about rain.\n\n### Assistant:\nANSWER-1\n\n"
        "### User:\nNow make it rhyme.\n\n### Assistant:\n"
    ]
    assert lm.stops[0] == ["### User:"]  # a plain model's answer ends where it would write the next user turn
    pred = by_id(res).loc["1_EN", "prediction"]
    assert [t["output"] for t in pred["turns"]] == ["ANSWER-1", "ANSWER-2"]
    assert pred["output"] == "ANSWER-1\n\nANSWER-2" and pred["raw"] == "ANSWER-1\n\nANSWER-2"


def test_a_chat_model_gets_both_turns_through_its_template(tmp_path, mt_bench, lm):
    lm.script = script(answer=lambda p: "A2" if "rhyme" in p else "A1")
    run(tmp_path, mt_bench, model_options={"chat": True})
    assert lm.stops[0] == []
    assert (
        "<user>Write a poem about rain.</user><assistant>A1</assistant><user>Now make it rhyme.</user><assistant>"
        in lm.seen
    )


def test_the_system_prompt_opens_the_conversation_not_the_judge_prompt(tmp_path, mt_bench, lm):
    lm.script = script(answer=lambda p: "A2" if "rhyme" in p else "A1")
    for name, options in (("plain", None), ("chat", {"chat": True})):
        lm.seen.clear()
        evaluate(
            "scripted",
            tasks=["mt_bench_x"],
            languages=["eng_Latn"],
            data_dir=mt_bench,
            output=tmp_path / name,
            model_options=options,
            judge={"spec": "scripted"},
            protocol={"system_prompt": "Be brief."},
        )
        answers = [p for p in lm.seen if not is_judge(p)]
        want = "<system>Be brief.</system><user>" if options else "Be brief.\n\n### User:\n"
        assert answers and all(p.startswith(want) for p in answers), (name, answers[:1])
        assert not any("Be brief." in p for p in lm.seen if is_judge(p))


def test_judge_prompt_by_category_and_turn_with_the_reference_answers(tmp_path, mt_bench, lm):
    lm.script = script(answer=lambda p: "B" if "times 4" in p else "A")
    run(tmp_path, mt_bench)
    asked = sorted(p for p in lm.seen if is_judge(p))
    assert asked == sorted(
        [
            "Judge (en). single-v1\n\nQ: Write a poem about rain.\nA: A",
            "Judge (en). single-v1-multi-turn\n\nQ1: Write a poem about rain.\nA1: A\nQ2: Now make it rhyme.\nA2: A",
            "Judge (en). single-math-v1\n\nQ: What is 2+3?\nREF: five\nA: A",
            "Judge (en). single-math-v1-multi-turn\n\nQ1: What is 2+3?\nREF1: five\nREF2: twenty\nA1: A\n"
            "Q2: And times 4?\nA2: B",
        ]
    )


def test_judge_language_native_uses_the_items_language_prompts_en_the_english_ones(tmp_path, mt_bench, lm):
    lm.script = script()
    run(tmp_path, mt_bench, ["deu_Latn"], language="native", name="native")
    native = [p for p in lm.seen if is_judge(p) and ("Regen" in p or "2+3" in p and "fünf" in p)]
    assert len(native) == 4 and all(p.startswith("Richter (de).") for p in native)
    assert any("REF: fünf" in p for p in native)
    lm.seen.clear()
    res = run(tmp_path, mt_bench, ["deu_Latn"], name="en")
    english = [p for p in lm.seen if is_judge(p)]
    assert any("Regen" in p for p in english) and all(p.startswith("Judge (en).") for p in english)
    assert set(res.predictions()["setting"]) == {"judge-single/prompt-en"}


def test_output_language_is_identified_over_both_turns(tmp_path, mt_bench, lm):
    english = "The rain falls softly on the quiet town and the children watch it from the window."
    german = "Der Regen fällt leise auf die ruhige Stadt und die Kinder sehen ihm vom Fenster aus zu."
    lm.script = script(answer=lambda p: german if "rhyme" in p or "Reimen" in p else english)
    df = by_id(run(tmp_path, mt_bench, ["deu_Latn"]))
    en, de = df.loc["1_EN", "prediction"], df.loc["1_DE", "prediction"]
    assert en["output_language"]["expected"] == "eng" and de["output_language"]["expected"] == "deu"
    assert [t["output_language"]["detected"] for t in de["turns"]] == ["eng", "deu"]
    assert de["output_language"]["wrong_language"] is not None


def test_wrong_language_zero_scores_an_answer_in_another_language_as_zero(tmp_path, mt_bench, lm):
    english = "The rain falls softly on the quiet town and the children watch it from the window."
    lm.script = script(answer=lambda p: english, verdict=lambda p: "Rating: [[8]]")
    kept = by_id(run(tmp_path, mt_bench, ["deu_Latn"]))
    assert kept.loc["1_DE", "score"] == pytest.approx(0.8)  # off by default: the judge's rating stands
    res = evaluate(
        "scripted",
        tasks=["mt_bench_x"],
        languages=["deu_Latn"],
        data_dir=mt_bench,
        output=tmp_path / "zeroed",
        judge={"spec": "scripted"},
        protocol={"wrong_language_zero": True},
    )
    df = by_id(res)
    assert df.loc["1_DE", "score"] == 0.0 and df.loc["1_DE", "prediction"]["zeroed"] == "wrong language"
    assert df.loc["1_EN", "score"] == pytest.approx(0.8)  # English answers to English questions keep theirs


def test_score_is_the_mean_turn_rating_over_ten(tmp_path, mt_bench, lm):
    lm.script = script(verdict=lambda p: "[[9]]" if "Now make it rhyme" in p else "Rating: 6/10")
    df = by_id(run(tmp_path, mt_bench))
    assert df.loc["1_EN", "prediction"]["ratings"] == [6.0, 9.0]
    assert df.loc["1_EN", "score"] == pytest.approx(0.75)
    assert df.loc["2_EN", "score"] == pytest.approx(0.6)


def test_unparseable_and_out_of_range_verdicts_and_failed_calls_are_error_rows(tmp_path, mt_bench, lm):
    def verdict(p):
        if "What is 2+3?" in p and "Q1:" not in p:
            return ItemError("judge HTTP 503")
        return "I cannot decide." if "rain" in p else "Rating: [[12]]"

    lm.script = script(verdict=verdict)
    res = run(tmp_path, mt_bench)
    df = by_id(res)
    assert res.errors == 2
    assert "the judge gave no rating: 'I cannot decide.'" in df.loc["1_EN", "error"]
    assert df.loc["1_EN", "prediction"]["judge"]["replies"] == ["I cannot decide.", "I cannot decide."]
    assert "judge call failed (turn 1): judge HTTP 503" in df.loc["2_EN", "error"]
    assert "rating 12 is outside 1-10" in df.loc["2_EN", "error"]


def test_a_failed_model_call_is_an_error_row_and_turn_two_is_not_asked(tmp_path, mt_bench, lm):
    lm.script = script(answer=lambda p: ItemError("model HTTP 500") if "rain" in p else "ok")
    df = by_id(run(tmp_path, mt_bench))
    assert df.loc["1_EN", "error"] == "model call failed (turn 1): model HTTP 500"
    assert not any("Now make it rhyme" in p for p in lm.seen)
    assert pd.isna(df.loc["2_EN", "error"])


def test_an_empty_answer_is_not_judged_and_rates_zero(tmp_path, mt_bench, lm):
    lm.script = script(answer=lambda p: "  \n" if "rhyme" in p else "words", verdict=lambda p: "[[10]]")
    df = by_id(run(tmp_path, mt_bench))
    pred = df.loc["1_EN", "prediction"]
    assert pred["turns"][1]["status"] == "empty" and pred["ratings"] == [10.0, 0.0]
    assert df.loc["1_EN", "score"] == pytest.approx(0.5)
    assert not any(is_judge(p) and "Now make it rhyme" in p for p in lm.seen)


def test_rubric_mode_grades_one_to_five_against_the_reference(tmp_path, mt_bench, lm):
    lm.script = script(verdict=lambda p: "Feedback: good. Rating: [[4]]")
    df = by_id(run(tmp_path, mt_bench, mode="rubric"))
    asked = [p for p in lm.seen if is_judge(p)]
    assert len(asked) == 4 and all("###Score Rubrics:" in p for p in asked)
    assert any("###Reference Answer (Score 5):\nfive\n" in p for p in asked)
    assert df.loc["2_EN", "score"] == pytest.approx(0.8)


def test_a_judge_that_cannot_generate_stops_the_run_before_any_call(tmp_path, mt_bench, lm):
    lm.script = script()
    with pytest.raises(CapabilityError, match="judge 'scripted-loglik' cannot generate text"):
        run(tmp_path, mt_bench, judge="scripted-loglik")
    assert lm.seen == []


def test_protocol_options_that_do_not_apply_are_an_error(tmp_path, mt_bench, lm):
    with pytest.raises(UserError, match="open-ended tasks take no --protocol"):
        evaluate("scripted", tasks=["mt_bench_x"], data_dir=mt_bench, protocol={"shots": 2}, judge={"spec": "scripted"})
    assert lm.seen == []


def test_no_judge_is_a_clear_error(tmp_path, mt_bench, lm):
    with pytest.raises(UserError, match="graded by an LLM judge and the run names none"):
        run(tmp_path, mt_bench, judge=None)


def test_judge_calls_are_cached_a_new_run_asks_nothing_again(tmp_path, mt_bench, lm):
    lm.script = script()
    first = run(tmp_path, mt_bench, name="a")
    asked = len(lm.seen)
    assert asked == 8  # 2 items x 2 turns, answers and verdicts
    second = run(tmp_path, mt_bench, name="b")
    assert len(lm.seen) == asked
    assert list(second.predictions()["score"]) == list(first.predictions()["score"])


def test_results_record_the_judge_its_language_and_prompt_hashes(tmp_path, mt_bench, lm):
    lm.script = script()
    res = run(tmp_path, mt_bench, ["eng_Latn", "deu_Latn"], language="native")
    data = json.loads((res.run_dir / "results.json").read_text())
    jsonschema.validate(data, schema())
    assert data["run"]["config"]["judge"] == {"spec": "scripted", "options": {}, "language": "native", "mode": "single"}
    judge = next(t for t in data["run"]["tasks"] if t["name"] == "mt_bench_x")["judge"]
    assert judge["spec"] == "scripted" and judge["language"] == "native"
    assert set(judge["prompts_sha256"]) == {"eng_Latn", "deu_Latn"}
    en, de = judge["prompts_sha256"]["eng_Latn"], judge["prompts_sha256"]["deu_Latn"]
    assert en["single-v1"] != de["single-v1"] and len(en["single-v1"]) == 64
    score = next(s for s in data["scores"] if s["language"] == "eng_Latn")
    assert score["metric"] == "judge_score" and score["value"] == pytest.approx(80.0)


def test_judge_options_reject_a_misspelt_key_or_value():
    assert JudgeOptions.from_dict({"spec": "x", "language": None}).language == "en"
    with pytest.raises(UserError, match="judge option 'langauge'"):
        JudgeOptions.from_dict({"spec": "x", "langauge": "native"})
    with pytest.raises(UserError, match="judge option 'mode'"):
        JudgeOptions.from_dict({"spec": "x", "mode": "pairwise-ish"})


# --- judge validity (CIA/Recon) ----------------------------------------------------------------
RUBRIC = {"criteria": "Is it right?", **{f"score{n}_description": f"level {n}" for n in range(1, 6)}}
COLUMNS = ["source", "id", "system_prompt", "input", "reference_answer", "specific_rubric"] + [
    f"score_{n}_{k}" for n in range(1, 6) for k in ("response", "feedback")
]


@pytest.fixture
def recon(tmp_path):
    """Three prompts x five responses in CIA's scored_responses layout (one response left empty)."""
    folder = tmp_path / "data" / "cia_recon" / "artifacts" / "test_set"
    folder.mkdir(parents=True)
    for part, ids in {"biggen": ["p1", "p2"], "remaining": ["p3"]}.items():
        rows = ["\t".join(COLUMNS)]
        for pid in ids:
            cells = ["src", pid, "" if pid == "p3" else "Be brief.", f"Task {pid}", f"Ref {pid}", repr(RUBRIC)]
            for n in range(1, 6):
                cells += ["" if (pid, n) == ("p2", 3) else f"resp-{pid}-{n}", f"fb {n}"]
            rows.append("\t".join(cells))
        (folder / f"scored_responses_testset_{part}.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    return tmp_path / "data"


def test_judge_validity_correlations_match_scipy(tmp_path, recon, lm):
    ratings = {"p1": [1, 2, 2, 4, 5], "p2": [2, 1, None, 5, 4], "p3": [3, 3, 4, 4, 1]}
    lm.script = staticmethod(
        lambda p: next(
            f"Feedback: ok. Rating: [[{ratings[pid][n - 1]}]]"
            for pid in ratings
            for n in range(1, 6)
            if f"###Response to evaluate:\nresp-{pid}-{n}\n" in p
        )
    )
    res = evaluate("scripted", tasks=["cia_recon"], data_dir=recon, output=tmp_path / "run")
    df = res.predictions()
    assert len(df) == 14 and res.errors == 0  # the empty response has no row
    gold = df["gold"].astype(float).to_numpy()
    pred = df["prediction"].astype(float).to_numpy()
    got = {s["metric"]: s["value"] for s in json.loads((res.run_dir / "results.json").read_text())["scores"]}
    assert got["pearson"] == pytest.approx(100 * stats.pearsonr(pred, gold).statistic)
    assert got["spearman"] == pytest.approx(100 * stats.spearmanr(pred, gold).statistic)
    assert got["kendall"] == pytest.approx(100 * stats.kendalltau(pred, gold).statistic)
    assert got["exact_agreement"] == pytest.approx(100 * np.mean(pred == gold))
    row = df.set_index("item_id").loc["p1#4"]
    assert row["gold"] == 4.0 and row["score"] == pytest.approx(1.0)
    asked = next(p for p in lm.seen if "resp-p1-1" in p)
    assert "Be brief.\n\nTask p1" in asked and "###Reference Answer (Score 5):\nRef p1" in asked
    assert "[Is it right?]\nScore 1: level 1" in asked
    assert not any("Be brief" in p for p in lm.seen if "resp-p3" in p)


def test_judge_validity_reply_without_rating_is_an_error_row_with_the_text(tmp_path, recon, lm):
    lm.script = staticmethod(lambda p: "Looks fine to me." if "resp-p1-2" in p else "[[3]]")
    res = evaluate("scripted", tasks=["cia_recon"], data_dir=recon, output=tmp_path / "run")
    row = res.predictions().set_index("item_id").loc["p1#2"]
    assert row["error"] == "the judge gave no rating: 'Looks fine to me.'"
    assert res.errors == 1


def test_rubric_text_reads_json_and_python_literals():
    as_json = json.dumps(RUBRIC)
    assert rubric_text(as_json) == rubric_text(repr(RUBRIC)) == rubric_text(RUBRIC)
    assert rubric_text(RUBRIC).splitlines()[:2] == ["[Is it right?]", "Score 1: level 1"]
    assert rubric_text("just text") == "just text"


# --- the real releases ---------------------------------------------------------------------------
@pytest.mark.data
def test_mt_bench_x_reader_on_the_release(shared_data):
    from xling.tasks import get_task

    task = get_task("mt_bench_x", shared_data)
    parallel = None
    for lang in task.spec.languages:
        items = task.items(lang, "test")
        assert len(items) == 80 and all(len(it.fields["turns"]) == 2 for it in items)
        ids = [it.parallel_id for it in items]
        assert parallel is None or ids == parallel
        parallel = ids
        assert items[0].item_id == f"81_{task.code(lang)}"
    from xling.kinds.llm.open_ended import read_references

    refs = read_references(task.data_file("data/mt_bench_DE/reference_answer/gpt-4.jsonl"))
    assert len(refs) == 30 and all(len(r) == 2 for r in refs.values())


@pytest.mark.data
def test_cia_recon_reader_on_the_release(shared_data):
    from xling.tasks import get_task

    task = get_task("cia_recon", shared_data)
    items = task.items("eng_Latn", "biggen+remaining")
    assert len(items) == task.count("eng_Latn", "biggen+remaining") == 2500
    assert sum("response" in it.fields for it in items) == 2473  # the release leaves 27 cells empty
    assert {it.gold for it in items} == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert {it.split for it in items} == {"biggen", "remaining"}


# --- pairwise between two runs -------------------------------------------------------------------
def test_pairwise_judges_both_orders_and_counts_inconsistent_verdicts(tmp_path, mt_bench, lm):
    from click.testing import CliRunner

    from xling.cli import main

    lm.script = script(answer=lambda p: "GOOD answer")
    run(tmp_path, mt_bench, name="a")
    lm.script = script(answer=lambda p: "poor answer")
    run(tmp_path, mt_bench, name="b", model_options={"variant": "b"})  # another fingerprint: no cached answers

    def verdict(p):
        if "pair-math" in p:
            return "Both fine. [[A]]"  # always the first answer: position bias
        first = p.split("A: ", 1)[1] if "A: " in p else p.split("A1: ", 1)[1]
        return "[[A]]" if first.startswith("GOOD") else "[[B]]"

    lm.script = script(verdict=verdict)
    lm.seen.clear()
    got = CliRunner().invoke(
        main,
        ["judge", "--pairwise", str(tmp_path / "a"), str(tmp_path / "b"), "--judge", "scripted"]
        + ["--data-dir", str(mt_bench)],
    )
    assert got.exit_code == 0, got.output
    result = json.loads((tmp_path / "a" / "pairwise.json").read_text())
    assert [(t["turn"], t["wins"], t["ties"], t["losses"], t["inconsistent"]) for t in result["tallies"]] == [
        (1, 1, 1, 0, 1),
        (2, 1, 1, 0, 1),
    ]
    assert result["tallies"][0]["win_rate"] == pytest.approx(0.75)
    judged = [p for p in lm.seen if p.startswith("Judge (en). pair-v2\n")]
    assert sorted(judged) == [
        "Judge (en). pair-v2\n\nQ: Write a poem about rain.\nA: GOOD answer\nB: poor answer",
        "Judge (en). pair-v2\n\nQ: Write a poem about rain.\nA: poor answer\nB: GOOD answer",
    ]
    assert any("REF: five" in p for p in lm.seen)
    math = next(d for d in result["details"] if d["item_id"] == "2_EN" and d["turn"] == 1)
    assert (math["a_first"], math["a_second"]) == ("A", "A")
