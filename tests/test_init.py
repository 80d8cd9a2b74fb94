"""``xling init``: a first task YAML from release files in their own layouts (MasakhaNEWS'
``data/{lang}/{split}.tsv``, NusaX's ``datasets/sentiment/{language}/{split}.csv``, XNLI-style
JSON lines, headerless TSV, token-tag lines, SQuAD JSON, compressed files), its FILL-ME
placeholders that stop the task from loading until edited, and its errors."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
import yaml

from helpers.cli import xling_in_process
from xling.errors import DataError, UserError
from xling.tasks import load_task_file
from xling.tasks.draft import draft
from xling.tasks.layout import find_layout
from xling.tasks.placeholder import FILL_ME

TOPICS = ["business", "entertainment", "health", "politics", "religion", "sports", "technology"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def masakhanews(root: Path) -> None:
    """MasakhaNEWS' layout: ``data/<code>/{train,dev,test}.tsv``, header ``category headline text
    url``, rows sorted by label; English has six topics, Hausa seven."""
    for code, topics in (("eng", TOPICS[:6]), ("hau", TOPICS)):
        for split, n in (("train", 21), ("dev", 7), ("test", 14)):
            rows = sorted(
                (topics[i % len(topics)], f"Head {i}", f'{code} "story" {i} on {topics[i % len(topics)]}', f"u/{i}")
                for i in range(n)
            )
            body = "".join("\t".join(r) + "\n" for r in rows)
            write(root / "masakhane-news" / "data" / code / f"{split}.tsv", "category\theadline\ttext\turl\n" + body)


def nusax(root: Path) -> None:
    """NusaX-senti's layout: ``datasets/sentiment/<language name>/{train,valid,test}.csv``, header
    ``id,text,label``, quoted texts holding commas, ids parallel across languages."""
    for language in ("english", "acehnese", "toba_batak"):
        for split, n in (("train", 12), ("valid", 3), ("test", 9)):
            labels = ["negative", "neutral", "positive"]
            body = "".join(f'{i},"{language} comment {i}, with a comma",{labels[i % 3]}\n' for i in range(n))
            write(root / "nusax" / "datasets" / "sentiment" / language / f"{split}.csv", "id,text,label\n" + body)


def filled(path: Path, **values: str) -> Path:
    """The task file with its FILL-ME values replaced (``description``, ``creation``, ``licence``)."""
    text = path.read_text()
    for key, value in {"description": "a test task", "creation": "native", "licence": "CC0-1.0", **values}.items():
        text = re.sub(rf"^{key}: {FILL_ME}.*$", f"{key}: {value}", text, flags=re.M)
    path.write_text(text)
    return path


def test_masakhanews_layout_is_drafted_refused_until_filled_in_then_runs_end_to_end(tmp_path):
    masakhanews(tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("masakhane-news/data/*/test.tsv"))
    r = xling_in_process("init", *files, "-o", "masakhanews.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "fill in: description, creation, licence" in r.stdout
    out = tmp_path / "masakhanews.yaml"
    spec = yaml.safe_load(out.read_text())
    assert spec["kind"] == "classification" and spec["metric"] == "accuracy"
    assert spec["languages"] == {"eng_Latn": "eng", "hau_Latn": "hau"}
    assert spec["local"] == {
        "root": "task-file",
        "format": "tsv",
        "path": "masakhane-news/data/{lang}/{split}.tsv",
        "header": True,
    }
    assert (spec["eval_split"], spec["train_split"], spec["source_language"]) == ("test", "train", "eng_Latn")
    assert spec["fields"] == {"text": "text"} and spec["gold"] == "category"
    assert spec["labels"] == TOPICS
    assert "not every file has every label ({'eng': 6, 'hau': 7})" in out.read_text()

    shown = xling_in_process("tasks", "show", "masakhanews.yaml", cwd=tmp_path)
    assert shown.returncode == 2
    assert "masakhanews.yaml:5: key 'description' still holds FILL-ME" in shown.stderr
    assert "(3 left: description, creation, licence)" in shown.stderr

    filled(out)
    shown = xling_in_process("tasks", "show", "masakhanews.yaml", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "hau_Latn" in shown.stdout and "train split 'train' (eng_Latn): 21 items" in shown.stdout
    run = xling_in_process("run", "--task-file", "masakhanews.yaml", "-q", "--output", "run", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    scores = json.loads((tmp_path / "run" / "results.json").read_text())["scores"]
    assert {(s["language"], s["n"]) for s in scores} == {("eng_Latn", 14), ("hau_Latn", 14)}


def test_nusax_layout_names_languages_in_words_and_links_items_by_id(tmp_path):
    nusax(tmp_path)
    files = sorted(tmp_path.glob("nusax/datasets/sentiment/*/test.csv"))
    d = draft(files, tmp_path / "nusax.yaml")
    spec = yaml.safe_load(d.text)
    assert spec["languages"] == {"ace_Latn": "acehnese", "eng_Latn": "english", "bbc_Latn": "toba_batak"}
    assert spec["local"]["path"] == "nusax/datasets/sentiment/{lang}/{split}.csv"
    assert spec["local"]["quoting"] == "minimal" and spec["local"]["format"] == "csv"
    assert (spec["id"], spec["parallel_key"], spec["labels"]) == ("id", "id", ["negative", "neutral", "positive"])
    assert d.fill_me == ["description", "creation", "licence"] and d.data_dir is None
    task = load_task_file(filled(write(tmp_path / "nusax.yaml", d.text)))
    items = task.items("bbc_Latn", "test")
    assert len(items) == 9 and items[1].fields["text"] == "toba_batak comment 1, with a comma"
    assert items[1].parallel_id == task.items("ace_Latn", "test")[1].parallel_id
    assert len(task.items("eng_Latn", "train")) == 12


def test_xnli_style_json_lines_give_a_pair_task_with_its_integer_labels(tmp_path):
    for code in ("en", "sw"):
        rows = [{"premise": f"{code} p{i}", "hypothesis": f"{code} h{i}", "label": i % 3} for i in range(6)]
        write(tmp_path / f"xnli.{code}.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    d = draft([tmp_path / "xnli.en.jsonl", tmp_path / "xnli.sw.jsonl"], tmp_path / "task.yaml")
    spec = yaml.safe_load(d.text)
    assert spec["kind"] == "pair_classification" and spec["fields"] == {"text1": "premise", "text2": "hypothesis"}
    assert spec["languages"] == {"eng_Latn": "en", "swh_Latn": "sw"} and spec["local"]["path"] == "xnli.{lang}.jsonl"
    assert spec["labels"] == ["0", "1", "2"] and "label_map" in d.text
    assert "parallel_key: _line" in d.text  # offered as a check, not set
    task = load_task_file(filled(write(tmp_path / "task.yaml", d.text)))
    assert [it.gold for it in task.items("swh_Latn", "test")] == ["0", "1", "2", "0", "1", "2"]


def test_one_file_reads_its_language_from_the_path(tmp_path):
    write(tmp_path / "sw.test.tsv", "sentence\tlabel\nHabari\tgreeting\nKwaheri\tfarewell\n")
    spec = yaml.safe_load(draft([tmp_path / "sw.test.tsv"], tmp_path / "t.yaml").text)
    assert spec["languages"] == {"swh_Latn": "sw"} and spec["local"]["path"] == "{lang}.{split}.tsv"
    assert spec["fields"] == {"text": "sentence"} and spec["source_language"] == "swh_Latn"
    assert find_layout(["data/hau/test.tsv"]).pattern == "data/{lang}/{split}.tsv"
    assert find_layout(["dev-de.tsv", "dev-en.tsv", "test-de.tsv"]).pattern == "{split}-{lang}.tsv"


def test_headerless_tsv_gets_column_names_from_its_values(tmp_path):
    for code in ("de", "en"):
        rows = [
            f"Satz {i} in {code}, lang.\tNoch ein Satz {i}.\t{['entailment', 'neutral'][i % 2]}\n" for i in range(8)
        ]
        write(tmp_path / "xnli" / f"dev-{code}.tsv", "".join(rows))
    d = draft(sorted((tmp_path / "xnli").glob("*.tsv")), tmp_path / "t.yaml")
    spec = yaml.safe_load(d.text)
    assert spec["local"]["header"] is False and spec["local"]["columns"] == ["text1", "text2", "label"]
    assert "names are guessed from the values" in d.text
    assert spec["kind"] == "pair_classification" and spec["eval_split"] == "dev"
    assert spec["local"]["path"] == "xnli/{split}-{lang}.tsv"
    task = load_task_file(filled(write(tmp_path / "t.yaml", d.text)))
    assert len(task.items("deu_Latn", "dev")) == 8


def test_space_separated_token_tag_lines_give_a_tagging_task_with_its_delimiter(tmp_path):
    for code in ("hau", "yor"):
        text = "Ali B-PER\nya O\nje O\nKano B-LOC\n\nYau O\nne O\n\n"
        write(tmp_path / "data" / code / "test.txt", text)
    d = draft(sorted(tmp_path.glob("data/*/test.txt")), tmp_path / "ner.yaml")
    spec = yaml.safe_load(d.text)
    assert spec["kind"] == "sequence_labelling" and spec["metric"] == "entity_f1"
    assert spec["local"] == {
        "root": "task-file",
        "format": "token-tags",
        "path": "data/{lang}/{split}.txt",
        "delimiter": " ",
        "columns": ["tokens", "tags"],
    }
    assert spec["gold"] == {"path": "tags", "type": "list"}
    task = load_task_file(filled(write(tmp_path / "ner.yaml", d.text)))
    assert [it.gold for it in task.items("yor_Latn", "test")] == [["B-PER", "O", "O", "B-LOC"], ["O", "O"]]


def test_squad_json_a_compressed_sts_csv_and_parquet(tmp_path):
    squad = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "Nairobi is big.",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "What is big?",
                                "answers": [{"text": "Nairobi", "answer_start": 0}],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    write(tmp_path / "xquad.sw.json", json.dumps(squad))
    spec = yaml.safe_load(draft([tmp_path / "xquad.sw.json"], tmp_path / "qa.yaml").text)
    assert (spec["kind"], spec["metric"], spec["local"]["format"]) == ("extractive_qa", "f1", "squad")
    assert spec["fields"] == {"context": "context", "question": "question"}
    assert spec["gold"] == {"path": "answers", "type": "list"} and spec["id"] == "id"

    with gzip.open(tmp_path / "sts.en.csv.gz", "wt") as fh:
        fh.write("sentence1,sentence2,score\n" + "".join(f"a {i},b {i},{i / 2 + 0.25}\n" for i in range(6)))
    d = draft([tmp_path / "sts.en.csv.gz"], tmp_path / "sts.yaml")
    spec = yaml.safe_load(d.text)
    assert (spec["kind"], spec["metric"]) == ("sts", "spearman")
    assert spec["gold"] == {"path": "score", "type": "float"} and spec["local"]["path"] == "sts.{lang}.csv.gz"
    task = load_task_file(filled(write(tmp_path / "sts.yaml", d.text)))
    assert [it.gold for it in task.items("eng_Latn", "test")][:2] == [0.25, 0.75]

    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "yo").mkdir()
    table = pa.table({"meta": [{"uid": "a"}, {"uid": "b"}], "topic": ["x", "y"], "text": ["one", "two"]})
    pq.write_table(table, tmp_path / "yo" / "test-00000-of-00001.parquet")
    d = draft([tmp_path / "yo" / "test-00000-of-00001.parquet"], tmp_path / "pq.yaml")
    spec = yaml.safe_load(d.text)
    assert (spec["kind"], spec["local"]["format"], spec["labels"]) == ("classification", "parquet", ["x", "y"])
    assert spec["local"]["path"] == "{lang}/{split}-00000-of-00001.parquet" and "meta.uid" in d.text


def test_kind_given_and_columns_that_name_no_role(tmp_path):
    write(tmp_path / "en.jsonl", '{"s1": "a", "s2": "b", "label": "1"}\n{"s1": "c", "s2": "d", "label": "0"}\n')
    spec = yaml.safe_load(draft([tmp_path / "en.jsonl"], tmp_path / "a.yaml", kind="pair_classification").text)
    assert spec["kind"] == "pair_classification" and spec["fields"] == {"text1": "s1", "text2": "s2"}

    write(tmp_path / "fr.jsonl", '{"alpha": "a", "beta": "b"}\n')
    d = draft([tmp_path / "fr.jsonl"], tmp_path / "b.yaml")
    assert d.fill_me == ["description", "kind", "metric", "fields", "gold", "creation", "licence"]
    assert "the columns (alpha, beta) name no role" in d.text
    p = filled(write(tmp_path / "b.yaml", d.text))
    left = r"b.yaml:6: key 'kind' still holds FILL-ME.*4 left: kind, metric, fields, gold\)"
    with pytest.raises(DataError, match=left):
        load_task_file(p)


def test_a_path_part_that_names_no_language_is_a_fill_me_key(tmp_path):
    for code in ("en", "nowhere"):
        write(tmp_path / f"{code}.csv", "text,label\na,x\nb,y\n")
    d = draft([tmp_path / "en.csv", tmp_path / "nowhere.csv"], tmp_path / "t.yaml")
    assert "languages: {eng_Latn: en, FILL-ME-nowhere: nowhere}  # check: nowhere: write the canonical code" in d.text
    assert "languages" in d.fill_me
    p = filled(write(tmp_path / "t.yaml", d.text))
    with pytest.raises(DataError, match=r"t.yaml:8: key 'languages.FILL-ME-nowhere' still holds FILL-ME"):
        load_task_file(p)


def test_files_outside_the_task_folder_are_read_from_a_data_dir(tmp_path):
    masakhanews(tmp_path / "releases")
    d = draft([tmp_path / "releases/masakhane-news/data/hau/test.tsv"], tmp_path / "tasks" / "mn.yaml")
    spec = yaml.safe_load(d.text)
    assert d.data_dir == tmp_path / "releases/masakhane-news/data"
    assert spec["local"]["root"] == "data-dir" and spec["local"]["path"] == "{lang}/{split}.tsv"
    assert f"--data-dir {d.data_dir}" in d.text
    task = load_task_file(filled(write(tmp_path / "tasks" / "mn.yaml", d.text)), d.data_dir)
    assert len(task.items("hau_Latn", "test")) == 14


def test_init_never_overwrites_without_force_and_errors_name_the_file(tmp_path):
    write(tmp_path / "en.tsv", "text\tlabel\na\tx\n")
    write(tmp_path / "task.yaml", "mine\n")
    r = xling_in_process("init", "en.tsv", cwd=tmp_path)
    assert r.returncode == 2 and "task.yaml exists" in r.stderr and "--force" in r.stderr
    assert (tmp_path / "task.yaml").read_text() == "mine\n"
    r = xling_in_process("init", "en.tsv", "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "kind: classification" in (tmp_path / "task.yaml").read_text()

    write(tmp_path / "empty.tsv", "")
    write(tmp_path / "odd.dat", "just words here\nand more\n")
    write(tmp_path / "de.csv", "text,label\na,x\n")
    for args, words in [
        (["empty.tsv"], "empty.tsv: the file is empty"),
        (["odd.dat"], "odd.dat:1: cannot tell the format of a '.dat' file"),
        (["missing.tsv"], "missing.tsv: no such file"),
        (["en.tsv", "de.csv"], "different formats (en.tsv: tsv, de.csv: csv)"),
        (["en.tsv", "--kind", "clasification"], "unknown kind 'clasification'. Did you mean 'classification'"),
    ]:
        r = xling_in_process("init", *args, "-o", "new.yaml", cwd=tmp_path)
        assert r.returncode == 2 and words in r.stderr, (args, r.stderr)
    assert not (tmp_path / "new.yaml").exists()
    with pytest.raises(UserError, match="at least one data file"):
        draft([], tmp_path / "x.yaml")
