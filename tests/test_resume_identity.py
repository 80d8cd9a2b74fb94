"""A resumed run never serves results computed from something else: a unit is reused only when
every data file it read is unchanged and it has no error rows; failed training items stop the
fit unless a partial fit is allowed; call counts cover every invocation."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from helpers import flaky_embedder
from xling import evaluate
from xling.errors import UserError
from xling.hashing import file_sha256

LANGS = ("eng_Latn", "deu_Latn", "fra_Latn")
TRAIN = [
    ("t1", "sport", "football match goal"),
    ("t2", "sport", "tennis racket serve"),
    ("t3", "sport", "football goal keeper"),
    ("t4", "food", "bread butter cheese"),
    ("t5", "food", "soup with bread"),
    ("t6", "food", "cheese and butter"),
]
TEST = [
    ("1", "sport", "football goal"),
    ("2", "food", "bread and cheese"),
    ("3", "sport", "tennis serve"),
    ("4", "food", "butter soup"),
]


def _write(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id\tlabel\ttext\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")


def _task(root: Path, data_root: str = "task-file") -> Path:
    spec = {
        "name": "tiny-topics",
        "description": "test fixture",
        "kind": "classification",
        "metric": "accuracy",
        "languages": list(LANGS),
        "source_language": "eng_Latn",
        "eval_split": "test",
        "train_split": "train",
        "fields": {"text": "text"},
        "id": "id",
        "gold": "label",
        "labels": ["sport", "food"],
        "parallel_key": "id",
        "creation": "written-for-xling",
        "licence": "CC0-1.0",
        "local": {"root": data_root, "format": "tsv", "path": "data/{split}/{language}.tsv"},
    }
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _data(root: Path) -> None:
    _write(root / "data" / "train" / "eng_Latn.tsv", TRAIN)
    for lang in LANGS:
        _write(root / "data" / "test" / f"{lang}.tsv", TEST)


@pytest.fixture
def flaky(monkeypatch):
    return flaky_embedder.register(monkeypatch)


@pytest.fixture
def task_file(tmp_path):
    _data(tmp_path)
    return _task(tmp_path)


def _run(task_file, out, **kw):
    return evaluate("flaky", task_files=[task_file], output=out, **kw)


def _values(res) -> dict[str, float]:
    return {s["language"]: s["value"] for s in res.scores}


def _finished(out: Path) -> dict[str, str]:
    con = sqlite3.connect(out / "predictions.sqlite")
    try:
        return dict(con.execute("SELECT language, finished FROM units"))
    finally:
        con.close()


def test_an_edited_eval_file_reruns_exactly_the_unit_that_read_it(flaky, task_file, tmp_path):
    out = tmp_path / "run"
    first = _run(task_file, out)
    assert _values(first) == {lang: 100.0 for lang in LANGS}
    before = _finished(out)
    edited = tmp_path / "data" / "test" / "deu_Latn.tsv"
    _write(edited, [(i, "food" if lab == "sport" else "sport", text) for i, lab, text in TEST])  # every gold flipped
    again = _run(task_file, out)
    assert _values(again)["deu_Latn"] == _values(_run(task_file, tmp_path / "fresh"))["deu_Latn"] == 0.0
    after = _finished(out)
    assert [lang for lang in LANGS if after[lang] != before[lang]] == ["deu_Latn"]
    assert again.data["run"]["calls"]["units_resumed"] == 2
    entry = next(d for d in again.data["run"]["data"] if d["path"] == str(edited))
    assert entry["sha256"] == file_sha256(edited) and entry["units"] == [["zero-shot", "deu_Latn"]]


def test_an_edited_training_file_reruns_every_unit_of_its_head(flaky, task_file, tmp_path):
    out = tmp_path / "run"
    _run(task_file, out)
    before = _finished(out)
    _write(
        tmp_path / "data" / "train" / "eng_Latn.tsv",
        [(i, "food" if lab == "sport" else "sport", text) for i, lab, text in TRAIN],
    )  # the head learns it backwards
    again = _run(task_file, out)
    assert _values(again) == {lang: 0.0 for lang in LANGS}
    assert all(_finished(out)[lang] != before[lang] for lang in LANGS)
    train = next(d for d in again.data["run"]["data"] if d["path"].endswith("train/eng_Latn.tsv"))
    assert sorted(train["units"]) == [["zero-shot", lang] for lang in sorted(LANGS)]


def test_another_data_directory_with_other_content_is_not_served_from_the_store(flaky, tmp_path):
    task_file = _task(tmp_path, "data-dir")
    _data(tmp_path / "a")
    _data(tmp_path / "b")
    _write(tmp_path / "b" / "data" / "test" / "fra_Latn.tsv", TEST[:2])
    out = tmp_path / "run"
    _run(task_file, out, data_dir=tmp_path / "a")
    again = _run(task_file, out, data_dir=tmp_path / "b")
    assert {s["language"]: s["n"] for s in again.scores} == {"eng_Latn": 4, "deu_Latn": 4, "fra_Latn": 2}
    assert again.data["run"]["calls"]["units_resumed"] == 2


def test_a_store_without_file_records_is_recomputed_not_trusted(flaky, task_file, tmp_path):
    out = tmp_path / "run"
    _run(task_file, out)
    con = sqlite3.connect(out / "predictions.sqlite")
    if "provenance" in {r[1] for r in con.execute("PRAGMA table_info(units)")}:
        con.execute("ALTER TABLE units DROP COLUMN provenance")  # as an older xling wrote it
    con.commit()
    con.close()
    again = _run(task_file, out)
    assert again.data["run"]["calls"]["units_resumed"] == 0
    assert _values(again) == {lang: 100.0 for lang in LANGS}


def test_error_rows_are_retried_from_the_cache_and_calls_cover_every_invocation(flaky, task_file, tmp_path):
    out = tmp_path / "run"
    _write(tmp_path / "data" / "test" / "fra_Latn.tsv", [(i, lab, f"{text} fr") for i, lab, text in TEST])
    flaky.fail_once = {"football goal fr", "butter soup fr"}  # two French texts fail once (a transient error)
    first = _run(task_file, out)
    assert first.errors == 2 and _values(first) == {"eng_Latn": 100.0, "deu_Latn": 100.0, "fra_Latn": 50.0}
    first_calls = first.data["run"]["calls"]["model_calls"]
    flaky.sent = []
    again = _run(task_file, out)
    assert sorted(flaky.sent) == ["butter soup fr", "football goal fr"]  # only the failed items; the rest is cached
    assert again.errors == 0 and _values(again) == {lang: 100.0 for lang in LANGS}
    calls = again.data["run"]["calls"]
    assert calls["last_invocation"]["model_calls"] == 2
    assert calls["model_calls"] == first_calls + 2 and calls["invocations"] == 2
    assert calls["units_resumed"] == 2
    third = _run(task_file, out)
    assert third.data["run"]["calls"]["units_resumed"] == 3 and third.data["run"]["calls"]["invocations"] == 3


def test_failed_training_items_stop_the_unit_with_the_server_error(flaky, task_file, tmp_path):
    out = tmp_path / "run"
    flaky.fail_once = {"tennis racket serve"}
    with pytest.raises(UserError, match="training items of the head") as exc:
        _run(task_file, out)
    assert "1 of 6 training items" in str(exc.value) and flaky_embedder.SERVER_ERROR in str(exc.value)
    again = _run(task_file, out)  # the same command retries the failed item
    assert again.data["run"]["training"][0] | {"units": None} == {
        "data": "tiny-topics eng_Latn train",
        "items": 6,
        "failed": 0,
        "partial_allowed": False,
        "units": None,
    }


def test_a_partial_fit_is_explicit_counted_and_never_reused_silently(flaky, task_file, tmp_path):
    out = tmp_path / "run"
    flaky.fail_always = {"tennis racket serve"}
    res = _run(task_file, out, allow_partial_training=True)
    (training,) = res.data["run"]["training"]
    assert (training["items"], training["failed"], training["partial_allowed"]) == (6, 1, True)
    assert res.data["run"]["allow_partial_training"] is True
    with pytest.raises(UserError, match="training items of the head"):  # without the option: not kept
        _run(task_file, out)


def test_a_hub_unit_is_tied_to_the_pinned_revision():
    from xling.tasks.provenance import Hasher

    def task(revision):
        return SimpleNamespace(uses_hub=lambda: True, spec=SimpleNamespace(hub=SimpleNamespace(revision=revision)))

    record = {"files": [{"task": "t", "path": "hub:org/data", "config": None, "revision": "abc123"}], "training": []}
    assert Hasher({"t": task("abc123")}).current(record)
    assert not Hasher({"t": task("def456")}).current(record)
