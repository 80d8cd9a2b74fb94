"""Slicing by item metadata: a task's ``slices:`` fields group the scores and the transfer gap
(paired over parallel items), the report shows them, and ``creation`` groups tasks."""

from __future__ import annotations

import json
import re

import jsonschema
import pandas as pd
import pytest

from helpers import scripted_lm
from xling import evaluate
from xling.analysis import by_creation, sliced_gaps, sliced_scores
from xling.errors import UserError
from xling.report.html import html
from xling.results import schema
from xling.scoring.metrics import METRICS
from xling.tasks import load_task_file

LABELS = ["CS", "CA", "CS", "CA", "CS", "CA", "CS", "CA"]
# which items the scripted model gets right, per language: English all; German one culturally
# sensitive item of four and three culturally agnostic ones
RIGHT = {"eng_Latn": set(range(8)), "deu_Latn": {0, 1, 3, 5}}

TASK = """\
name: sliced
description: multiple choice with a cultural label per item
kind: multiple_choice
metric: accuracy
languages: [eng_Latn, deu_Latn]
fields: {{question: question, choices: choices, cultural_label: cultural}}
gold: {{path: answer, type: int}}
id: id
parallel_key: id
creation: human-translated
licence: CC0-1.0
{slices}
local: {{format: jsonl, path: "{{language}}.jsonl"}}
"""


def write_task(tmp_path, slices="slices: [cultural_label]"):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for lang in RIGHT:
        rows = [
            {"id": f"i{i}", "question": f"Q{i}-{lang}?", "choices": ["x", "y", "z", "w"], "answer": 0, "cultural": c}
            for i, c in enumerate(LABELS)
        ]
        (data / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    path = tmp_path / "sliced.yaml"
    path.write_text(TASK.format(slices=slices), encoding="utf-8")
    return path, data


def answer(prompt: str) -> str:
    i, lang = re.findall(r"Q(\d)-(\w+_\w+)\?", prompt)[-1]
    return "A" if int(i) in RIGHT[lang] else "B"


def test_slices_score_each_label_and_pair_the_gap_within_it(tmp_path, monkeypatch):
    lm = scripted_lm.register(monkeypatch)
    lm.script = staticmethod(answer)
    path, data = write_task(tmp_path)
    res = evaluate(
        "scripted", task_files=[path], data_dir=data, output=tmp_path / "run", cache_path=tmp_path / "c.sqlite"
    )
    jsonschema.validate(res.data, schema())
    a = res.data["analyses"]
    got = {(r["language"], r["value"]): (r["score"], r["n"]) for r in a["slices"]}
    assert got == {
        ("eng_Latn", "CS"): (100.0, 4),
        ("eng_Latn", "CA"): (100.0, 4),
        ("deu_Latn", "CS"): (25.0, 4),
        ("deu_Latn", "CA"): (75.0, 4),
    }
    assert {r["slice"] for r in a["slices"]} == {"cultural_label"}
    gaps = {r["value"]: r for r in a["slice_gaps"]}
    assert set(gaps) == {"CA", "CS"}
    assert gaps["CS"]["gap"] == pytest.approx(75.0) and gaps["CA"]["gap"] == pytest.approx(25.0)
    assert gaps["CS"]["paired"] and gaps["CS"]["n"] == 4 and gaps["CS"]["language"] == "deu_Latn"
    assert gaps["CS"]["ci_low"] <= 75.0 <= gaps["CS"]["ci_high"]
    assert a["by_creation"] == [
        {
            "setting": s["setting"],
            "language": s["language"],
            "creation": "human-translated",
            "value": s["value"],
            "tasks": ["sliced"],
            "weighting": "uniform over tasks",
        }
        for s in sorted(res.scores, key=lambda s: s["language"])
    ]
    report = (tmp_path / "run" / "report.md").read_text("utf-8")
    assert "## Slices" in report
    assert re.search(r"\| sliced \| [^|]+ \| cultural_label = CS \| deu_Latn \| 25\.0 .*\| 75\.0 ", report)
    page = html(res)
    assert re.search(r"<td>cultural_label = CA</td><td>[^<]*deu_Latn[^<]*</td><td class=\"num\">75\.0</td>", page)


def test_a_slice_that_is_no_item_field_is_refused(tmp_path):
    path, _ = write_task(tmp_path, "slices: [region]")
    with pytest.raises(UserError, match=r"slice 'region' is not an item field: declare it in fields"):
        load_task_file(path)


def test_a_task_without_slices_has_no_slice_rows(tmp_path, monkeypatch):
    lm = scripted_lm.register(monkeypatch)
    lm.script = staticmethod(answer)
    path, data = write_task(tmp_path, "")
    res = evaluate(
        "scripted", task_files=[path], data_dir=data, output=tmp_path / "run", cache_path=tmp_path / "c.sqlite"
    )
    assert res.data["analyses"]["slices"] == [] and res.data["analyses"]["slice_gaps"] == []


def frame(rows):
    return pd.DataFrame(
        [
            {
                "task": t,
                "setting": "s",
                "language": lang,
                "item_id": pid,
                "parallel_id": pid,
                "score": sc,
                "error": None,
            }
            for t, lang, pid, sc in rows
        ]
    )


def test_items_without_a_counterpart_in_the_slice_are_not_paired():
    """An item labelled differently in the two languages sits in different slices: the gap within a
    slice pairs only the items both languages put there."""
    pred = frame(
        [
            ("t", "eng_Latn", "1", 1.0),
            ("t", "eng_Latn", "2", 1.0),
            ("t", "deu_Latn", "1", 0.0),
            ("t", "deu_Latn", "2", 1.0),
        ]
    )
    slices = pd.DataFrame(
        [
            {"task": "t", "language": "eng_Latn", "item_id": "1", "slice": "region", "value": "EU"},
            {"task": "t", "language": "eng_Latn", "item_id": "2", "slice": "region", "value": "EU"},
            {"task": "t", "language": "deu_Latn", "item_id": "1", "slice": "region", "value": "EU"},
            {"task": "t", "language": "deu_Latn", "item_id": "2", "slice": "region", "value": "AF"},
        ]
    )
    metrics = {"t": METRICS["accuracy"]}
    (gap,) = sliced_gaps(pred, slices, {"t": "eng_Latn"}, 0, metrics=metrics)
    assert (gap["value"], gap["n"], gap["gap"]) == ("EU", 1, 100.0)
    scores = {(r["language"], r["value"]): r["score"] for r in sliced_scores(pred, slices, 0, metrics)}
    assert scores == {("eng_Latn", "EU"): 100.0, ("deu_Latn", "EU"): 0.0, ("deu_Latn", "AF"): 100.0}


def test_creation_averages_each_languages_tasks_by_how_their_items_were_made():
    scores = [
        {"task": "a", "setting": "s", "language": "deu_Latn", "metric": "accuracy", "value": 80.0},
        {"task": "b", "setting": "s", "language": "deu_Latn", "metric": "accuracy", "value": 60.0},
        {"task": "b", "setting": "s", "language": "deu_Latn", "metric": "f1", "value": 10.0},
        {"task": "c", "setting": "s", "language": "deu_Latn", "metric": "accuracy", "value": 30.0},
    ]
    creations = {"a": "native", "b": "native", "c": "machine-translated"}
    metrics = {t: METRICS["accuracy"] for t in creations}
    rows = {r["creation"]: (r["value"], r["tasks"]) for r in by_creation(scores, creations, metrics)}
    assert rows == {"native": (70.0, ["a", "b"]), "machine-translated": (30.0, ["c"])}


def test_a_slice_must_also_be_a_field_of_the_hub_mapping(tmp_path):
    hub = "hub:\n  id: org/data\n  mapping:\n    fields: {question: q, choices: c}\n"
    path, _ = write_task(tmp_path, "slices: [cultural_label]")
    path.write_text(path.read_text("utf-8") + hub, encoding="utf-8")
    with pytest.raises(
        UserError, match=r"slice 'cultural_label' is not an item field: declare it in hub.mapping.fields"
    ):
        load_task_file(path)


def test_slice_values_as_labels():
    from xling.tasks.slices import MISSING, slice_value

    assert [slice_value(v) for v in ("CS", None, "", [], ["a", "b"], 3)] == [
        "CS",
        MISSING,
        MISSING,
        MISSING,
        "a|b",
        "3",
    ]
