"""The read policy is given when a task is made, and the task that trains a test-only one reads
under the same policy, into the same skipped-row log."""

from pathlib import Path

import pytest

from xling.errors import DataError
from xling.tasks import ReadPolicy, load_task_file, training_task

TASK = """\
name: {name}
description: test task
kind: classification
metric: accuracy
languages: [eng_Latn]
creation: written-for-xling
licence: CC0-1.0
fields: {{text: text}}
id: id
gold: label
local: {{root: task-file, format: tsv, path: '{{split}}.tsv'}}
"""


def write_tasks(tmp_path: Path) -> Path:
    """A test-only task trained by another task file whose train split has one bad row (no text)."""
    (tmp_path / "train.tsv").write_text("id\ttext\tlabel\nt1\tgood\tpos\nt2\t\tneg\nt3\tfine\tneg\n", "utf-8")
    (tmp_path / "test.tsv").write_text("id\ttext\tlabel\nx1\tok\tpos\n", "utf-8")
    (tmp_path / "trainer.yaml").write_text(TASK.format(name="trainer") + "train_split: train\n", "utf-8")
    path = tmp_path / "testonly.yaml"
    path.write_text(TASK.format(name="testonly") + "options: {train_task: trainer.yaml}\n", "utf-8")
    return path


def test_the_training_task_reads_under_the_policy_it_was_given(tmp_path):
    path = write_tasks(tmp_path)
    with pytest.raises(DataError, match="empty text"):
        training_task(load_task_file(path)).items("eng_Latn", "train")
    task = load_task_file(path, policy=ReadPolicy(skip_bad_rows=True))
    trainer = training_task(task)
    assert trainer.name == "trainer" and trainer.policy == task.policy
    assert [it.item_id for it in trainer.items("eng_Latn", "train")] == ["t1", "t3"]
    assert task.skipped.total == 1  # the trainer's bad row is counted in the task's log


def test_a_task_without_train_task_trains_itself(tmp_path):
    write_tasks(tmp_path)
    trainer = load_task_file(tmp_path / "trainer.yaml")
    assert training_task(trainer) is trainer
