"""Data that would hang or crash a run stops it with a clear error instead: a symbolic-link loop
under the data directory, and a cell longer than --max-cell-chars (a bad row; never embedded)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers.cli import xling_cmd
from helpers.fake_embed_server import FakeEmbedServer
from xling.errors import DataError
from xling.run.runner import evaluate
from xling.tasks import ReadPolicy, load_task_file

TASK = """\
name: tiny-sts-local
description: STS pairs for the data-limit tests
kind: sts
metric: spearman
languages: [eng_Latn, deu_Latn]
eval_split: test
fields: {id: id, text1: s1, text2: s2, label: score}
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, format: tsv, path: "data/{language}/{split}.tsv"}
"""
PAIRS = [
    ("A man plays a guitar.", "A man is playing the guitar.", 4.8),
    ("A cat sleeps.", "The stock market fell.", 0.2),
    ("Kids play football.", "Children are playing soccer.", 4.1),
    ("It rains.", "The sun is out.", 1.0),
]
NO_MODEL = "openai:http://127.0.0.1:9/v1#none"  # loads without a connection: these errors come first


def write_task(tmp_path, long_text: str | None = None):
    for lang in ("eng_Latn", "deu_Latn"):
        rows = [(i, a, b, s) for i, (a, b, s) in enumerate(PAIRS, 1)]
        if long_text is not None and lang == "deu_Latn":
            rows[2] = (3, long_text, rows[2][2], rows[2][3])
        folder = tmp_path / "data" / lang
        folder.mkdir(parents=True)
        (folder / "test.tsv").write_text("id\ts1\ts2\tscore\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    (tmp_path / "task.yaml").write_text(TASK)
    return tmp_path / "task.yaml"


def make_loop(folder):
    (folder / "test.tsv").unlink()
    (folder / "test.tsv").symlink_to("other.tsv")
    (folder / "other.tsv").symlink_to("test.tsv")


@pytest.mark.parametrize("languages", [None, ["deu_Latn"]], ids=["all-languages", "one-language"])
@pytest.mark.parametrize("allow_outside", [False, True])
def test_a_symlink_loop_is_a_data_error_naming_the_path(tmp_path, languages, allow_outside):
    task = write_task(tmp_path)
    make_loop(tmp_path / "data" / "deu_Latn")
    with pytest.raises(DataError) as caught:
        evaluate(
            NO_MODEL,
            languages=languages,
            task_files=[task],
            output=tmp_path / "run",
            allow_outside_data_dir=allow_outside,
            model_options={"max_retries": 0},
        )
    assert caught.value.path == str(tmp_path / "data" / "deu_Latn" / "test.tsv")
    assert "symbolic link" in str(caught.value)


def test_a_long_cell_is_a_bad_row_with_its_line(tmp_path):
    path = write_task(tmp_path, "x" * 100_001)
    task = load_task_file(path)
    assert len(task.items("eng_Latn", "test")) == 4
    with pytest.raises(DataError) as caught:
        task.items("deu_Latn", "test")
    assert caught.value.path.endswith("test.tsv") and caught.value.line == 4  # header + 3 rows
    assert "'s1' holds 100,001 characters, over the limit of 100,000" in str(caught.value)
    assert "--max-cell-chars 100001" in str(caught.value)
    task = load_task_file(path, policy=ReadPolicy(skip_bad_rows=True))
    assert [it.item_id for it in task.items("deu_Latn", "test")] == ["1", "2", "4"]
    assert task.skipped.total == 1
    task = load_task_file(path, policy=ReadPolicy(max_cell_chars=100_001))
    assert [it.item_id for it in task.items("deu_Latn", "test")] == ["1", "2", "3", "4"]


def test_a_bad_row_without_a_hint_of_its_own_still_gets_a_whole_hint(tmp_path):
    task = write_task(tmp_path)
    path = tmp_path / "data" / "deu_Latn" / "test.tsv"
    path.write_text(path.read_text().replace("A cat sleeps.", ""))
    with pytest.raises(DataError) as caught:
        load_task_file(task).items("deu_Latn", "test")
    assert "empty text" in str(caught.value)
    assert caught.value.hint == "fix the row, or pass --skip-bad-rows to skip (and count) such rows"


def test_the_cli_limit_stops_or_skips_and_never_sends_the_cell(tmp_path):
    long_text = "a long cell " * 10  # 120 characters
    task = write_task(tmp_path, long_text)
    seen = []

    def record(texts, headers):
        seen.extend(texts)

    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    with FakeEmbedServer(record) as server:
        args = xling_cmd(
            "run", "-q", "-m", f"openai:{server.url}#fake", "--task-file", str(task), "--max-cell-chars", "100"
        )
        stop = subprocess.run(
            [*args, "--output", str(tmp_path / "a")], capture_output=True, text=True, env=env, timeout=300
        )
        skip = subprocess.run(
            [*args, "--output", str(tmp_path / "b"), "--skip-bad-rows"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    assert stop.returncode == 2 and f"{tmp_path / 'data' / 'deu_Latn' / 'test.tsv'}:4:" in stop.stderr, stop.stderr
    assert skip.returncode == 0, skip.stderr
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert [e["count"] for e in results["run"]["skipped_rows"]] == [1]
    assert results["run"]["config"]["max_cell_chars"] == 100
    assert seen and long_text not in seen
