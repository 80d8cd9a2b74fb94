"""Fine-tuning units are tied to every file they read: the source train split (also another
task's, ``options.train_task``) and the dev split that selects the epoch."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import finetune as ft

pytest.importorskip("torch")
pytest.importorskip("transformers")


def test_fine_tuning_units_are_tied_to_the_train_and_dev_files(tiny_model, finetune_data, tmp_path):
    """Both units select their epoch on the English dev split and train on the English train split."""
    task = ft.write_task(
        tmp_path,
        "syn-cls",
        "classification",
        "accuracy",
        {"id": "id", "text": "text", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"},
        labels=["pos", "neg"],
    )
    out = tmp_path / "run"
    first = ft.run_finetune(tiny_model, task, finetune_data, out, seeds=1, epochs=2)
    read = {
        Path(d["path"]).relative_to(finetune_data).as_posix(): sorted(d["units"]) for d in first.data["run"]["data"]
    }
    both = [["zero-shot", "deu_Latn"], ["zero-shot", "eng_Latn"]]
    assert read == {
        "cls/eng_Latn/train.tsv": both,
        "cls/eng_Latn/dev.tsv": both,
        "cls/eng_Latn/test.tsv": [both[1]],
        "cls/deu_Latn/test.tsv": [both[0]],
    }
    assert [(t["items"], t["failed"]) for t in first.data["run"]["training"]] == [(80, 0)]
    dev = finetune_data / "cls" / "eng_Latn" / "dev.tsv"
    dev.write_text(dev.read_text() + "extra\tpos\talpha beta\n")
    again = ft.run_finetune(tiny_model, task, finetune_data, out, seeds=1, epochs=2)
    assert again.data["run"]["calls"]["units_resumed"] == 0


def test_a_change_in_the_training_task_of_a_test_only_task_reruns_its_units(tiny_model, finetune_data, tmp_path):
    local = {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"}
    fields = {"id": "id", "text": "text", "label": "label"}
    ft.write_task(tmp_path, "syn-cls", "classification", "accuracy", fields, local, labels=["pos", "neg"])
    test_only = ft.write_yaml(
        tmp_path / "syn-test-only.yaml",
        name="syn-test-only",
        description="synthetic",
        kind="classification",
        metric="accuracy",
        languages=[ft.SRC, ft.TGT],
        source_language=ft.SRC,
        eval_split="test",
        fields={"text": "text"},
        id="id",
        gold="label",
        labels=["pos", "neg"],
        creation="written-for-xling",
        licence="CC0-1.0",
        local=local,
        options={"train_task": "syn-cls.yaml"},
    )
    out = tmp_path / "run"
    first = ft.run_finetune(tiny_model, test_only, finetune_data, out, seeds=1, epochs=1)
    train = finetune_data / "cls" / "eng_Latn" / "train.tsv"
    assert {(d["task"], d["path"]) for d in first.data["run"]["data"]} >= {("syn-cls", str(train))}
    train.write_text(train.read_text() + "extra\tpos\talpha beta\n")
    again = ft.run_finetune(tiny_model, test_only, finetune_data, out, seeds=1, epochs=1)
    assert again.data["run"]["calls"]["units_resumed"] == 0
