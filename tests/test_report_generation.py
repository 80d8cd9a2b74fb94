"""Generation tasks in report.html and report.md: every metric per language with CIs, the
wrong-language rate and max-tokens-hit count of the score rows, and a browser of sample outputs
beside their inputs and references, all text escaped. The run is written by hand in the shapes the
generation contract gives predictions and score rows (see kinds/llm/generation.py)."""

import json
import re

import pandas as pd
import pytest

from helpers.chromium import PAYLOAD, browse
from xling.analysis import run_analyses
from xling.report.generation import generation_tasks, references
from xling.report.html import context, html
from xling.report.markdown import markdown
from xling.results import Results, write_parquet, write_results

TASK, SETTING = "flores-mini", "eng_Latn->xx/prompt-en/0-shot"
LANGS = ["deu_Latn", "swh_Latn", "zho_Hans"]
SOURCES = ["The cat sleeps.", "It rains today.", PAYLOAD, "We eat rice."]
METRICS = [("chrf++", 41.0), ("bleu", 12.0), ("chrf", 39.0)]
WRONG = {"deu_Latn": 0.25, "swh_Latn": 0.5, "zho_Hans": 0.0}
HIT = {"deu_Latn": 0, "swh_Latn": 1, "zho_Hans": 2}


def lid(lang, wrong=False):
    detected = "eng" if wrong else lang[:3]
    return {"detected": detected, "probability": 0.97, "expected": lang[:3], "wrong_language": wrong}


def generation_row(lang, i):
    row = {
        "task": TASK,
        "setting": SETTING,
        "language": lang,
        "item_id": f"{lang}-{i}",
        "parallel_id": str(i),
        "gold": f"reference {i} in {lang}",
        "error": None,
    }
    output = f"output {i} in {lang}"
    pred = {"output": output, "raw": output, "output_language": lid(lang)}
    if (lang, i) == ("deu_Latn", 2):  # markup in an output and in a reference
        pred = pred | {"output": PAYLOAD, "raw": PAYLOAD}
        row["gold"] = {"references": [PAYLOAD, "second reference"], "language": lang}
    if (lang, i) == ("swh_Latn", 0):  # thinking removed, first line kept, answered in English
        pred = {
            "output": "The cat sleeps.",
            "raw": "<think>easy</think>The cat sleeps.\nTranslate the next one",
            "output_language": lid(lang, wrong=True),
            "thinking_chars": 4,
        }
    if (lang, i) == ("zho_Hans", 1):
        pred = pred | {"output": "", "raw": "   ", "status": "empty"}
    if (lang, i) == ("zho_Hans", 3):
        pred = pred | {"max_tokens_hit": True}
    if (lang, i) == ("swh_Latn", 3):
        return row | {"prediction": None, "score": None, "error": "model call failed: timeout"}
    score = 0.0 if pred.get("status") == "empty" else 0.2 + 0.15 * i + 0.05 * LANGS.index(lang)
    return row | {"prediction": pred, "score": score}


def classification_rows():
    return [
        {
            "task": "topics",
            "setting": "zero-shot",
            "language": lang,
            "item_id": f"t-{lang}-{i}",
            "parallel_id": str(i),
            # a label generated and extracted: the contract's output and raw text, but no free text
            "prediction": {"answer": "sport", "output": "sport", "status": "ok", "via": "label-word", "raw": " sport"},
            "gold": "sport" if i else "food",
            "score": 1.0 if i else 0.0,
            "error": None,
        }
        for lang in LANGS
        for i in range(3)
    ]


def score_rows(frame):
    rows = []
    for lang in LANGS:
        for metric, base in METRICS:
            value = base + 5 * LANGS.index(lang)
            row = {
                "task": TASK,
                "setting": SETTING,
                "language": lang,
                "metric": metric,
                "value": value,
                "ci_low": value - 4,
                "ci_high": value + 3,
                "n": 4,
                "errors": int(lang == "swh_Latn"),
                "wrong_language_rate": WRONG[lang],
                "max_tokens_hit": HIT[lang],
            }
            rows.append(row)
        rows.append(
            {
                "task": "topics",
                "setting": "zero-shot",
                "language": lang,
                "metric": "accuracy",
                "value": 66.7,
                "ci_low": 0.0,
                "ci_high": 100.0,
                "n": 3,
                "errors": 0,
            }
        )
    return rows


@pytest.fixture(scope="module")
def generation_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("generation-run")
    frame = pd.DataFrame([generation_row(lang, i) for lang in LANGS for i in range(4)] + classification_rows())
    scores = score_rows(frame)
    kinds = {TASK: "translation", "topics": "classification"}
    analyses = run_analyses(frame, scores, {TASK: "eng_Latn", "topics": "eng_Latn"}, 0, kinds=kinds)
    tasks = [
        {
            "name": TASK,
            "kind": "translation",
            "metric": "chrf++",
            "licence": "CC-BY-SA-4.0",
            "creation": "human",
            "split_note": None,
        },
        {
            "name": "topics",
            "kind": "classification",
            "metric": "accuracy",
            "licence": "CC0-1.0",
            "creation": "human",
            "split_note": None,
        },
    ]
    run = {
        "run_id": "gen-fixture",
        "command": None,
        "config": {},
        "seed": 0,
        "software": {},
        "model": {"spec": "scripted", "fingerprint": "f0"},
        "data": [],
        "started": "2026-01-01T00:00:00Z",
        "finished": "2026-01-01T00:01:00Z",
        "calls": {},
        "errors": 1,
        "statistics": {"ci": "95% percentile bootstrap"},
        "tasks": tasks,
    }
    write_results(run_dir, {"schema_version": "1.0", "run": run, "scores": scores, "analyses": analyses})
    write_parquet(frame, run_dir / "predictions.parquet")
    texts = {(TASK, lang, f"{lang}-{i}"): {"source": s} for lang in LANGS for i, s in enumerate(SOURCES)}
    return Results.load(run_dir), texts


def test_only_tasks_whose_predictions_follow_the_contract_are_generation(generation_run):
    results, _ = generation_run
    assert generation_tasks(results.predictions()) == {TASK}


def test_generation_section_shows_every_metric_rates_and_counts_per_language(generation_run):
    results, texts = generation_run
    (section,) = context(results, texts)["generation"]
    assert section["metrics"] == ["chrf++", "bleu", "chrf"]
    rows = {r["language"].split("(")[-1].rstrip(")"): r for r in section["languages"]}
    assert [r["language"] for r in section["languages"]][0].endswith("(zho_Hans)")  # best chrF++ first
    assert rows["swh_Latn"]["metrics"] == [("46.0", "[42.0, 49.0]"), ("17.0", "[13.0, 20.0]"), ("44.0", "[40.0, 47.0]")]
    assert rows["swh_Latn"]["wrong_language"] == "50.0%" and rows["deu_Latn"]["wrong_language"] == "25.0%"
    assert [rows[lang]["max_tokens_hit"] for lang in LANGS] == [0, 1, 2]
    assert rows["swh_Latn"]["errors"] == 1


def test_samples_show_one_item_across_languages_with_inputs_references_and_flags(generation_run):
    results, texts = generation_run
    (section,) = context(results, texts)["generation"]
    samples = {(s["parallel_id"], s["language"].split("(")[-1].rstrip(")")): s for s in section["samples"]}
    assert len(samples) == 12 and {pid for pid, _ in samples} == {"0", "1", "2", "3"}
    swh = samples[("0", "swh_Latn")]
    assert swh["fields"] == [("source", "The cat sleeps.")]
    assert swh["raw"].startswith("<think>") and swh["output"] == "The cat sleeps."
    assert swh["wrong_language"] and "wrong language: eng, expected swh" in swh["flags"]
    assert "thinking removed (4 chars)" in swh["flags"]
    assert samples[("0", "deu_Latn")]["raw"] is None  # raw equal to output is not repeated
    assert samples[("2", "deu_Latn")]["references"] == [PAYLOAD, "second reference"]
    assert "empty" in samples[("1", "zho_Hans")]["flags"] and samples[("1", "zho_Hans")]["score"] == "0.0"
    assert "max tokens hit" in samples[("3", "zho_Hans")]["flags"]
    assert samples[("3", "swh_Latn")]["flags"] == ["error: model call failed: timeout"]


def test_references_of_each_gold_shape():
    assert references("one") == ["one"]
    assert references(["a", "b"]) == ["a", "b"]
    assert references({"references": ["a"], "language": "eng_Latn"}) == ["a"]
    assert references({"turns": 2}) == ['{"turns": 2}']


def test_generic_bars_of_a_generation_task_hold_its_primary_metric_only(generation_run):
    results, texts = generation_run
    ctx = context(results, texts)
    bars = [json.loads(ctx["figs"][i].replace("\\u003c", "<")) for i in ctx["sections"]["bars"]]
    (flores,) = [b for b in bars if TASK in b["layout"]["title"]["text"]]
    assert "chrf++" in flores["layout"]["title"]["text"] and len(flores["data"][0]["x"]) == len(LANGS)
    (grouped,) = [json.loads(ctx["figs"][i]) for i in ctx["sections"]["generation"]]
    assert [t["name"] for t in grouped["data"]] == ["chrf++", "bleu", "chrf"]


def test_consistency_of_a_generation_task_is_labelled_as_correctness(generation_run):
    results, texts = generation_run
    page = html(results, texts)
    assert "agreement on correctness between languages" in page
    assert "sentence chrF++ against the reference(s) is at least 50" in page
    md = markdown(results)
    assert "flores-mini: an item is correct when sentence chrF++" in md


def test_markdown_tables_of_generation_tasks_carry_wrong_language_and_max_tokens(generation_run):
    results, _ = generation_run
    md = markdown(results)
    section = md[md.index(f"## {TASK} — {SETTING}\n") :]  # `->` as written, no HTML entity
    section = section[: section.index("\n## ")]
    assert "| n | errors | wrong language | max tokens hit |" in section
    assert re.search(r"\| swh_Latn \| Swahili \| 46\.0 \| .* \| 4 \| 1 \| 50\.0% \| 1 \|", section)
    topics = md[md.index("## topics — zero-shot") :]
    assert "wrong language" not in topics[: topics.index("\n## ")]
    assert PAYLOAD not in md


def test_generation_report_opens_offline_and_shows_markup_as_text(chromium, generation_run, tmp_path):
    results, texts = generation_run
    page = tmp_path / "report.html"
    text = html(results, texts)
    page.write_text(text, encoding="utf-8")
    assert PAYLOAD not in text
    res = browse(chromium, page, tmp_path, "--dump-dom")
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = res.stdout
    samples = dom[dom.index('id="generation"') : dom.index('id="gap"')]
    # the payload as an output, a reference and an input: shown as text three times, never as elements
    assert samples.count('&lt;script&gt;console.error("xss-script-ran")&lt;/script&gt;') >= 3
    assert "<img" not in dom
    assert "xss-script-ran" not in res.stderr and "xss-img-ran" not in res.stderr
