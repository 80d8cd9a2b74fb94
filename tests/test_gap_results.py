"""The transfer gap in results.json is the difference of the scores results.json reports, for a
corpus-level metric (entity F1) of a real fine-tuning run on the tiny synthetic model."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from test_finetune import SRC, TGT, _run, _score, _task, data_dir, tiny_model  # noqa: E402, F401  (fixtures)


def test_entity_f1_gap_is_the_difference_of_the_reported_scores(tiny_model, data_dir, tmp_path):  # noqa: F811
    task = _task(tmp_path, "syn-tags", "sequence_labelling", "entity_f1", {"tokens": "tokens"},
                 {"format": "token-tags", "path": "{split}-{language}.tsv", "subdir": "tags", "columns": ["tokens", "tags"]},
                 gold={"path": "tags", "type": "list"})
    res = _run(tiny_model, task, data_dir, tmp_path / "run", seeds=1, epochs=1)
    (gap,) = res.data["analyses"]["transfer_gap"]
    assert gap["language"] == TGT
    assert gap["gap"] == pytest.approx(_score(res, SRC)["value"] - _score(res, TGT)["value"])
    assert gap["ci_low"] <= gap["gap"] <= gap["ci_high"]
