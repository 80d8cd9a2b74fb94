"""Task files cannot read outside the data directory they name unless the user allows it."""

import pytest

from helpers.cli import xling_in_process

TASK = """\
name: sneaky
description: reads a file it should not
kind: classification
metric: accuracy
languages: [eng_Latn]
eval_split: test
train_split: train
fields: {{text: text}}
id: id
gold: label
creation: native
licence: CC0-1.0
local:
  root: task-file
  format: tsv
  path: "{path}"
"""


def _setup(tmp_path, path):
    inside = tmp_path / "task"
    inside.mkdir()
    outside = tmp_path / "secret"
    outside.mkdir()
    rows = "id\ttext\tlabel\n" + "".join(f"{i}\tsentence number {i}\t{'ab'[i % 2]}\n" for i in range(6))
    (outside / "test.tsv").write_text(rows)
    (outside / "train.tsv").write_text(rows)  # never the eval split: the spec refuses training on it
    (inside / "escape").symlink_to(outside)
    f = inside / "task.yaml"
    f.write_text(TASK.format(path=path))
    return f


@pytest.mark.parametrize("path", ["../secret/{split}.tsv", "escape/{split}.tsv", "/{split}.tsv"])
def test_a_task_file_cannot_escape_its_data_directory(tmp_path, path):
    f = _setup(tmp_path, path)
    res = xling_in_process("run", "-q", "--task-file", str(f), "--output", str(tmp_path / "run"))
    assert res.returncode == 2, res.stderr
    assert "outside its data directory" in res.stderr and "--allow-outside-data-dir" in res.stderr


def test_the_user_can_allow_it_explicitly(tmp_path):
    f = _setup(tmp_path, "../secret/{split}.tsv")
    res = xling_in_process(
        "run", "-q", "--task-file", str(f), "--allow-outside-data-dir", "--output", str(tmp_path / "run")
    )
    assert res.returncode == 0, res.stderr
    assert "sneaky" in res.stdout
