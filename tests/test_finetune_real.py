"""Zero-shot transfer with the offline encoder on the real SIB-200 release (small settings)."""

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from xling import evaluate  # noqa: E402

SPEC = """
name: sib200-ft-test
description: SIB-200 topic classification
kind: classification
metric: accuracy
languages: [eng_Latn, deu_Latn, zho_Hans]
source_language: eng_Latn
eval_split: test
train_split: train
fields: {text: text}
id: index_id
gold: category
labels: [science/technology, travel, politics, sports, health, entertainment, geography]
parallel_key: index_id
creation: human-translated
licence: CC-BY-SA-4.0
local: {subdir: sib200/annotated, format: tsv, path: "{language}/{split}.tsv"}
"""


@pytest.mark.slow
@pytest.mark.data
def test_sib200_zero_shot_with_the_offline_encoder(shared_data, e5_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XLING_MODEL_DIR", str(e5_model_dir))
    task = tmp_path / "sib200.yaml"
    task.write_text(SPEC)
    opts = {"seeds": 1, "epochs": 2, "train_limit": 250, "freeze_layers": 10}
    res = evaluate(
        model="e5-encoder", task_files=[task], data_dir=shared_data, output=tmp_path / "run", model_options=opts
    )
    scores = {s["language"]: s for s in res.data["scores"]}
    assert set(scores) == {"eng_Latn", "deu_Latn", "zho_Hans"} and all(s["n"] == 204 for s in scores.values())
    chance = 100 / 7
    assert scores["eng_Latn"]["ci_low"] > chance, scores["eng_Latn"]  # fine-tuning learnt the topics
    assert scores["deu_Latn"]["value"] > chance  # ... and it transfers
    gaps = {g["language"]: g for g in res.data["analyses"]["transfer_gap"]}
    assert set(gaps) == {"deu_Latn", "zho_Hans"} and all(g["paired"] for g in gaps.values())
    assert res.data["run"]["calls"]["frozen_bottom_cached"] is True
    pred = res.predictions()
    assert pred["prediction"].iloc[0]["selection"] == "source-dev (eng_Latn/dev)"
    # a second run with the same settings loads the fine-tuned weights instead of training
    again = evaluate(
        model="e5-encoder", task_files=[task], data_dir=shared_data, output=tmp_path / "run2", model_options=opts
    )
    assert again.data["run"]["calls"]["finetune_trained"] == 0
    assert [s["value"] for s in again.data["scores"]] == [s["value"] for s in res.data["scores"]]
