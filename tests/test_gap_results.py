"""The transfer gap in results.json is the difference of the scores results.json reports, for a
corpus-level metric (entity F1) of a real fine-tuning run on the tiny synthetic model."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from helpers.finetune import SRC, TGT, run_finetune, score_of, write_task  # noqa: E402


def test_entity_f1_gap_is_the_difference_of_the_reported_scores(tiny_model, finetune_data, tmp_path):
    task = write_task(
        tmp_path,
        "syn-tags",
        "sequence_labelling",
        "entity_f1",
        {"tokens": "tokens"},
        {"format": "token-tags", "path": "{split}-{language}.tsv", "subdir": "tags", "columns": ["tokens", "tags"]},
        gold={"path": "tags", "type": "list"},
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run", seeds=1, epochs=1)
    (gap,) = res.data["analyses"]["transfer_gap"]
    assert gap["language"] == TGT
    assert gap["gap"] == pytest.approx(score_of(res, SRC)["value"] - score_of(res, TGT)["value"])
    assert gap["ci_low"] <= gap["gap"] <= gap["ci_high"]
