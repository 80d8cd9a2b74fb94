"""Before the first model call: every file a run reads is checked (ids, labels, columns), and the
test labels a head never saw in training are counted per language (issue 21, points 8-10).

Fixtures are written in MasakhaNEWS's release layout: ``data/{lang}/{train,dev,test}.tsv`` with
the header ``category headline text url``, read through the catalog's ``masakhanews`` task."""

from __future__ import annotations

import json
import logging
import re

import pytest

import xling.run.runner
from helpers.embed import TrigramBackend
from xling.errors import DataError
from xling.run.runner import evaluate
from xling.tasks import get_task, load_task_file

TOPICS = {
    "business": "market price bank trade",
    "entertainment": "film music star show",
    "health": "doctor hospital disease",
    "politics": "election vote minister",
    "religion": "church mosque prayer",
    "sports": "football match goal",
    "technology": "phone internet computer",
}
ENGLISH = [t for t in TOPICS if t != "politics"]  # MasakhaNEWS: English has six topics, Hausa seven


def write_split(folder, lang: str, split: str, topics, per_topic: int, url=lambda lang, split, i: None):
    """One MasakhaNEWS file, sorted by topic as the release's are."""
    rows, i = [], 0
    for topic in topics:
        for k in range(per_topic):
            link = url(lang, split, i) or f"https://news.example/{lang}/{split}/{i}"
            rows.append(f"{topic}\t{lang} headline {k}\t{lang} {TOPICS[topic]} story {k}\t{link}")
            i += 1
    path = folder / "data" / lang / f"{split}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("category\theadline\ttext\turl\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_release(root, per_topic: int = 3, **url):
    """``root/masakhane-news``: English (six topics) and Hausa and Yoruba (seven)."""
    folder = root / "masakhane-news"
    for lang in ("eng", "hau", "yor"):
        topics = ENGLISH if lang == "eng" else list(TOPICS)
        for split in ("train", "dev", "test"):
            write_split(folder, lang, split, topics, per_topic, **url)
    return folder


@pytest.fixture
def trigram(monkeypatch) -> TrigramBackend:
    """The run's model: a trigram embedder that records every call."""
    backend = TrigramBackend()
    monkeypatch.setattr(xling.run.runner, "load_model", lambda spec, options=None: backend)
    return backend


def test_labels_the_head_never_saw_are_told_before_any_model_call_recorded_and_scored_wrong(tmp_path, trigram, caplog):
    write_release(tmp_path)
    calls_when_told = []

    class Watch(logging.Handler):
        def emit(self, record):
            if "never saw in training" in record.getMessage():
                calls_when_told.append(len(trigram.calls))

    watch = Watch()
    logging.getLogger("xling").addHandler(watch)
    try:
        res = evaluate(
            "trigram",
            tasks=["masakhanews"],
            languages=["hau_Latn", "yor_Latn"],
            data_dir=tmp_path,
            output=tmp_path / "r",
        )
    finally:
        logging.getLogger("xling").removeHandler(watch)
    assert calls_when_told == [0, 0]  # one warning per language, both before the first embedding call
    told = [r.getMessage() for r in caplog.records if "never saw in training" in r.getMessage()]
    assert (
        "masakhanews (zero-shot): hau_Latn: 3 of 21 test items have labels the classifier never saw in training "
        "(eng_Latn train): politics (3); they stay in the score, counted wrong (best possible accuracy 85.7)"
    ) in told[0]
    entry = json.loads((tmp_path / "r" / "results.json").read_text("utf-8"))["run"]["tasks"][0]
    assert [(u["language"], u["unwinnable"], u["items"], u["labels"]) for u in entry["unseen_labels"]] == [
        ("hau_Latn", 3, 21, {"politics": 3}),
        ("yor_Latn", 3, 21, {"politics": 3}),
    ]
    assert entry["unseen_labels"][0]["trained_on"] == {"language": "eng_Latn", "split": "train"}
    assert entry["unseen_labels"][0]["ceiling"] == 85.71
    preds = res.predictions()
    hausa = preds[preds.language == "hau_Latn"]
    assert len(hausa) == 21  # the unwinnable items stay in the score
    assert (hausa[hausa.gold == "politics"].score == 0).all()
    assert "politics" not in set(preds.prediction)
    report = (tmp_path / "r" / "report.md").read_text("utf-8")
    assert "## Labels the classifier never saw in training" in report
    assert "hau_Latn: 3 of 21 test items" in report


def test_a_run_whose_training_labels_cover_every_test_label_says_nothing(tmp_path, trigram, caplog):
    write_release(tmp_path)
    res = evaluate("trigram", tasks=["masakhanews"], languages=["eng_Latn"], data_dir=tmp_path, output=tmp_path / "r")
    assert not [r for r in caplog.records if "never saw in training" in r.getMessage()]
    assert res.data["run"]["tasks"][0]["unseen_labels"] == []


def test_the_in_language_head_is_checked_against_its_own_training_labels(tmp_path, trigram):
    folder = write_release(tmp_path)
    write_split(folder, "hau", "train", [t for t in TOPICS if t != "religion"], 3)
    task = tmp_path / "task.yaml"
    text = get_task("masakhanews").spec_path.read_text("utf-8")
    task.write_text(text.replace("\nlocal:\n", "\noptions: {in_language: true}\nlocal:\n"), encoding="utf-8")
    res = evaluate("trigram", task_files=[task], languages=["hau_Latn"], data_dir=tmp_path, output=tmp_path / "r")
    unseen = {(u["setting"], u["language"]): u["labels"] for u in res.data["run"]["tasks"][0]["unseen_labels"]}
    assert unseen == {("zero-shot", "hau_Latn"): {"politics": 3}, ("in-language", "hau_Latn"): {"religion": 3}}


PER_LANGUAGE = """\
name: news-labels
description: MasakhaNEWS-style topics, English without politics
kind: classification
metric: accuracy
languages: {eng_Latn: eng, hau_Latn: hau, yor_Latn: yor}
source_language: eng_Latn
eval_split: test
train_split: train
fields: {text: text}
gold: category
labels: [business, entertainment, health, politics, religion, sports, technology]
labels_by_language:
  eng: [business, entertainment, health, religion, sports, technology]
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, subdir: masakhane-news, format: tsv, path: "data/{lang}/{split}.tsv"}
"""


def test_a_language_s_own_label_set_checks_its_files(tmp_path):
    folder = write_release(tmp_path)
    (tmp_path / "task.yaml").write_text(PER_LANGUAGE, encoding="utf-8")
    task = load_task_file(tmp_path / "task.yaml")
    assert task.spec.labels_by_language == {"eng_Latn": ENGLISH}
    assert task.spec.labels_of("eng_Latn") == ENGLISH and task.spec.labels_of("hau_Latn") == list(TOPICS)
    assert {it.gold for it in task.items("hau_Latn", "test")} == set(TOPICS)
    write_split(folder, "eng", "test", ENGLISH + ["politics"], 2)
    with pytest.raises(DataError, match=r"eng/test.tsv:14: unknown label 'politics'"):
        load_task_file(tmp_path / "task.yaml").items("eng_Latn", "test")


def test_a_language_s_labels_must_be_among_the_task_s(tmp_path):
    (tmp_path / "task.yaml").write_text(PER_LANGUAGE.replace("technology]\ncreation", "tech]\ncreation"), "utf-8")
    with pytest.raises(DataError, match=r"labels_by_language.*'tech' not in 'labels'"):
        load_task_file(tmp_path / "task.yaml")


def with_id(tmp_path, id_line: str = "id: url") -> object:
    (tmp_path / "task.yaml").write_text(
        PER_LANGUAGE.replace("gold: category\n", f"gold: category\n{id_line}\n"), "utf-8"
    )
    return tmp_path / "task.yaml"


def repeated_url(lang, split, i):
    """Yoruba's test file links rows 2 and 9 to one article (as a release's urls can)."""
    return f"https://news.example/{lang}/same" if (lang, split, i) in (("yor", "test", 2), ("yor", "test", 9)) else None


def test_a_duplicate_id_in_the_last_language_stops_the_run_before_the_first_model_call(tmp_path, trigram):
    write_release(tmp_path, url=repeated_url)
    languages = ["eng_Latn", "hau_Latn", "yor_Latn"]
    with pytest.raises(DataError) as err:
        evaluate("trigram", task_files=[with_id(tmp_path)], languages=languages, output=tmp_path / "r")
    assert trigram.calls == []
    text = str(err.value)
    assert re.search(r"yor/test\.tsv:11: duplicate item id 'https://news\.example/yor/same' \(first on line 4\)", text)
    assert "`id: url` gives the same id twice" in text
    assert '`id: "{url}#{_line}"`' in text and "drop `id:`" in text and "--skip-bad-rows" in text


def test_the_hint_s_id_template_makes_the_ids_unique(tmp_path, trigram):
    write_release(tmp_path, url=repeated_url)
    task = with_id(tmp_path, 'id: "{url}#{_line}"')
    res = evaluate("trigram", task_files=[task], languages=["yor_Latn"], output=tmp_path / "r")
    assert len(res.predictions().query("language == 'yor_Latn'")) == 21


def test_under_skip_bad_rows_the_duplicate_is_counted_once(tmp_path, trigram):
    write_release(tmp_path, url=repeated_url)
    res = evaluate(
        "trigram", task_files=[with_id(tmp_path)], languages=["yor_Latn"], output=tmp_path / "r", skip_bad_rows=True
    )
    (skipped,) = res.data["run"]["skipped_rows"]
    assert skipped["count"] == 1 and skipped["path"].endswith("yor/test.tsv")
    assert len(res.predictions().query("language == 'yor_Latn'")) == 20


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text.replace("religion\t", "sport-news\t", 1), r"yor/test\.tsv:\d+: unknown label 'sport-news'"),
        (lambda text: text.replace("\turl\n", "\tlink\n", 1), r"yor/test\.tsv:2: no field 'url'"),
    ],
    ids=["unknown label", "missing column"],
)
def test_a_bad_label_or_column_in_the_last_file_stops_the_run_before_the_first_model_call(
    tmp_path, trigram, damage, message
):
    folder = write_release(tmp_path)
    path = folder / "data" / "yor" / "test.tsv"
    path.write_text(damage(path.read_text("utf-8")), encoding="utf-8")
    languages = ["eng_Latn", "hau_Latn", "yor_Latn"]
    with pytest.raises(DataError, match=message):
        evaluate("trigram", task_files=[with_id(tmp_path)], languages=languages, output=tmp_path / "r")
    assert trigram.calls == []


def test_the_head_s_training_file_is_checked_before_the_first_model_call(tmp_path, trigram):
    folder = write_release(tmp_path)
    path = folder / "data" / "eng" / "train.tsv"
    path.write_text(path.read_text("utf-8").replace("health\t", "politics\t", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"eng/train\.tsv:\d+: unknown label 'politics'"):
        evaluate("trigram", task_files=[with_id(tmp_path)], languages=["hau_Latn"], output=tmp_path / "r")
    assert trigram.calls == []


def test_limit_samples_every_label_of_a_label_sorted_file_without_a_labels_key(tmp_path):
    """MasakhaNEWS declares no `labels:`: a classification task's gold is a label all the same, so
    ``--limit`` stratifies by it (a file sorted by topic still yields every topic)."""
    write_release(tmp_path, per_topic=5)
    task = get_task("masakhanews", tmp_path)
    assert task.spec.labels is None
    picked = task.limited_items("hau_Latn", "test", 7, "sample", 0)
    assert sorted(it.gold for it in picked) == sorted(TOPICS)
    first = task.limited_items("hau_Latn", "test", 7, "first", 0)
    assert {it.gold for it in first} == {"business", "entertainment"}


def test_fine_tuning_s_own_training_split_is_among_what_the_run_checks_first(tmp_path):
    from xling.kinds.base import Read
    from xling.kinds.finetune.sentence import FineTuneClassification
    from xling.run.preflight import read_labels
    from xling.types import Unit

    folder = write_release(tmp_path)
    task = load_task_file(with_id(tmp_path))
    units = [Unit(task.name, "zero-shot", lang) for lang in ("hau_Latn", "yor_Latn")]
    reads = FineTuneClassification().reads(task, units)
    training = Read("eng_Latn", "train", training=True)
    assert reads == [Read("hau_Latn", "test"), Read("yor_Latn", "test"), training]
    path = folder / "data" / "eng" / "train.tsv"
    path.write_text(path.read_text("utf-8").replace("health\t", "politics\t", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"eng/train\.tsv:\d+: unknown label 'politics'"):
        read_labels(task, training, xling.run.runner.RunConfig())
