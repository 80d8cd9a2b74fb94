"""Language pairs as a language axis (STS-17's en-ar beside ar-ar in one task), columns read from a
line-aligned file (STS-17's ``STS.gs.*`` beside ``STS.input.*``) and sparse variant grids, on
fixtures written here in STS-17's release layout."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest

from helpers.cli import ROOT, xling_in_process
from xling.errors import DataError, UserError
from xling.languages import codes, meta
from xling.results import schema
from xling.run.runner import language_changes, task_languages
from xling.tasks import load_task_file
from xling.types import Item

EXAMPLE = ROOT / "examples" / "sts17-pairs" / "task.yaml"

# SemEval-2017 Task 1's release: STS2017.eval.v1.1.zip (inputs) and STS2017.gs.zip (gold), unzipped.
TRACKS = (
    "track1.ar-ar",
    "track2.ar-en",
    "track3.es-es",
    "track4a.es-en",
    "track4b.es-en",
    "track5.en-en",
    "track6.tr-en",
)
WORDS = "cat dog house tree car sun moon river city road".split()


def sts17_release(root: Path, n: int = 8, gold_lines: dict[str, int] | None = None) -> Path:
    """The two release folders under ``root``: ``n`` tab-separated sentence pairs per track and
    one score a line (``gold_lines`` gives a track another number of gold lines)."""
    rnd = random.Random(0)
    (root / "STS2017.eval.v1.1").mkdir(parents=True, exist_ok=True)
    (root / "STS2017.gs").mkdir(parents=True, exist_ok=True)
    for track in TRACKS:
        pairs = [f"{' '.join(rnd.sample(WORDS, 4))}\t{' '.join(rnd.sample(WORDS, 4))}" for _ in range(n)]
        scores = [f"{rnd.uniform(0, 5):.2f}" for _ in range((gold_lines or {}).get(track, n))]
        (root / "STS2017.eval.v1.1" / f"STS.input.{track}.txt").write_text("\n".join(pairs) + "\n", "utf-8")
        (root / "STS2017.gs" / f"STS.gs.{track}.txt").write_text("\n".join(scores) + "\n", "utf-8")
    return root


PAIRS = {
    "arb_Arab-arb_Arab",
    "eng_Latn-arb_Arab",
    "spa_Latn-spa_Latn",
    "spa_Latn-eng_Latn",
    "eng_Latn-eng_Latn",
    "eng_Latn-tur_Latn",
}


# --- codes, names and groups of pairs -----------------------------------------------------------
def test_a_pair_is_canonical_named_by_both_sides_and_never_a_language_with_a_region():
    assert codes.canonical("eng_Latn-arb_Arab") == "eng_Latn-arb_Arab"
    assert codes.name("eng_Latn-tur_Latn") == "English–Turkish"
    assert codes.name("tur_Latn") == "Turkish"
    assert codes.language_key("en-ar", "-") == "eng_Latn-arb_Arab"
    assert codes.language_key("en-us") == "eng_Latn"  # "us" is no language: a region
    with pytest.raises(UserError, match="'en-ar' is ambiguous") as e:
        codes.language_key("en-ar")
    assert "eng_Latn-arb_Arab" in e.value.hint and "pair_separator" in e.value.hint
    with pytest.raises(UserError, match="into 3 parts"):
        codes.language_key("en-ar-tr", "-")
    assert Item("t", "test", "eng_Latn-arb_Arab", "1", "1").sides == ("eng_Latn", "arb_Arab")
    assert Item("t", "test", "arb_Arab", "1", "1").sides == ("arb_Arab", "arb_Arab")


def test_requested_languages_select_pairs_by_either_side_or_the_pair_itself():
    known = {"arb_Arab-arb_Arab", "eng_Latn-arb_Arab", "eng_Latn-eng_Latn"}
    assert codes.resolve("en-ar", known) == "eng_Latn-arb_Arab"
    assert codes.resolve("en-ar", {"eng_Latn"}) == "eng_Latn"  # no such pair: a language with a region
    assert codes.resolve("ar", known) == "arb_Arab"
    assert [k for k in sorted(known) if codes.covers("arb_Arab", k)] == ["arb_Arab-arb_Arab", "eng_Latn-arb_Arab"]
    assert not codes.covers("eng_Latn-arb_Arab", "arb_Arab-arb_Arab")


def test_pairs_group_with_their_sides_shared_group_or_in_the_group_of_their_direction():
    assert meta.group_of("arb_Arab-arb_Arab", "family") == meta.group_of("arb_Arab", "family") == "Afro-Asiatic"
    assert meta.group_of("eng_Latn-arb_Arab", "family") == "Indo-European → Afro-Asiatic"
    assert meta.group_of("arb_Arab-eng_Latn", "family") == "Afro-Asiatic → Indo-European"
    assert meta.group_of("eng_Latn-arb_Arab", "script") == "Latn → Arab (Latin → Arabic)"
    assert meta.group_of("spa_Latn-eng_Latn", "script") == "Latn (Latin)"
    assert meta.group_of("eng_Latn-tur_Latn", "tier") == f"{meta.group_of('eng_Latn', 'tier')} → class 4"
    info = meta.info("eng_Latn-tur_Latn")
    assert info.name == "English–Turkish" and info.family == "Indo-European → Turkic"


# --- declaring pairs ----------------------------------------------------------------------------
BASE = """\
name: pairs
description: test task
kind: sts
metric: spearman
{extra}
fields: {{text1: sentence1, text2: sentence2}}
gold: {{path: score, type: float}}
creation: native
licence: CC0-1.0
local:
  format: tsv
  header: false
  columns: [sentence1, sentence2]
  path: "STS2017.eval.v1.1/STS.input.{{lang}}.txt"
  aligned: {{path: "STS2017.gs/STS.gs.{{lang}}.txt", columns: [score]}}
"""


def task_file(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "task.yaml"
    p.write_text(BASE.format(extra=extra), "utf-8")
    return p


def test_pair_keys_in_the_short_form_need_a_declared_separator(tmp_path):
    p = task_file(tmp_path, "languages: [ar-ar, en-ar]")
    with pytest.raises(DataError, match="key 'languages': language code 'ar-ar' is ambiguous") as e:
        load_task_file(p)
    assert e.value.line == 5
    p = task_file(tmp_path, "pair_separator: '-'\nlanguages: [ar-ar, en-ar]\nsource_language: en-ar")
    spec = load_task_file(p).spec
    assert spec.languages == {"arb_Arab-arb_Arab": "ar-ar", "eng_Latn-arb_Arab": "en-ar"}
    assert spec.source_language == "eng_Latn-arb_Arab"
    p = task_file(tmp_path, "pair_separator: '_'\nlanguages: [ar-ar]")
    with pytest.raises(DataError, match="key 'pair_separator': .* must be a punctuation mark"):
        load_task_file(p)
    p = task_file(tmp_path, "languages: {eng_Latn-arb_Arab: track2.ar-en, en: x}")
    assert list(load_task_file(p).spec.languages) == ["eng_Latn-arb_Arab", "eng_Latn"]
    p.write_text(p.read_text().replace("format: tsv", "format: squad"))
    with pytest.raises(DataError, match="key 'local': 'aligned' needs a file of one record a line"):
        load_task_file(p)


def test_tasks_show_lists_pairs_by_name_and_the_line_aligned_file(tmp_path):
    sts17_release(tmp_path, n=3)
    r = xling_in_process("tasks", "show", str(EXAMPLE), "--data-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "STS2017.eval.v1.1/STS.input.{lang}.txt + STS2017.gs/STS.gs.{lang}.txt (line-aligned)" in out
    assert "eng_Latn-tur_Latn │ English–Turkish │ track6.tr-en │ 3" in out


def test_items_of_a_pair_read_the_gold_column_from_the_line_aligned_file(tmp_path):
    sts17_release(tmp_path / "data", n=3)
    task = load_task_file(EXAMPLE, tmp_path / "data")
    items = task.items("eng_Latn-arb_Arab", "test")
    gold = (tmp_path / "data" / "STS2017.gs" / "STS.gs.track2.ar-en.txt").read_text().split()
    assert [it.gold for it in items] == [float(g) for g in gold]
    assert {it.sides for it in items} == {("eng_Latn", "arb_Arab")}
    assert items[0].fields["text1"] and items[0].fields["text2"]
    files = [p.name for p in task.files_for("eng_Latn-arb_Arab", "test")]
    assert files == ["STS.input.track2.ar-en.txt", "STS.gs.track2.ar-en.txt"]


@pytest.mark.parametrize("gold_lines", [6, 10])
@pytest.mark.parametrize("limit", [None, 2])
def test_aligned_files_of_different_lengths_are_an_error_naming_both_whatever_the_limit(tmp_path, gold_lines, limit):
    sts17_release(tmp_path, n=8, gold_lines={"track6.tr-en": gold_lines})
    task = load_task_file(EXAMPLE, tmp_path)
    with pytest.raises(DataError, match="line-aligned files differ in length") as e:
        task.items("eng_Latn-tur_Latn", "test", limit)
    msg = str(e.value)
    assert "STS.input.track6.tr-en.txt" in msg and "STS.gs.track6.tr-en.txt" in msg
    assert len(task.items("eng_Latn-arb_Arab", "test", limit)) == (limit or 8)  # the other tracks read


def test_a_gold_line_with_too_many_columns_is_a_bad_row_and_a_missing_gold_file_is_named(tmp_path):
    sts17_release(tmp_path, n=3)
    gs = tmp_path / "STS2017.gs" / "STS.gs.track1.ar-ar.txt"
    gs.write_text("1.0\n2.0 3.0\n4.0\n", "utf-8")
    task = load_task_file(EXAMPLE, tmp_path)
    task.spec.local.aligned.columns = ["score", "other"]
    task.spec.local.aligned.delimiter = " "
    with pytest.raises(DataError, match=r"STS.gs.track1.ar-ar.txt:1: expected 2 columns \(score, other\), found 1"):
        task.items("arb_Arab-arb_Arab", "test")
    gs.write_bytes(b"1.0\n\xff\n4.0\n")
    task = load_task_file(EXAMPLE, tmp_path)
    with pytest.raises(DataError, match=r"STS.gs.track1.ar-ar.txt:2: not valid UTF-8") as e:
        task.items("arb_Arab-arb_Arab", "test")
    assert e.value.line == 2 and str(e.value.path).endswith("STS.input.track1.ar-ar.txt")
    gs.unlink()
    task = load_task_file(EXAMPLE, tmp_path)
    assert "arb_Arab-arb_Arab" not in task.available_languages()
    with pytest.raises(UserError, match=r"line-aligned file .*STS.gs.track1.ar-ar.txt \(local.aligned\) is missing"):
        task.items("arb_Arab-arb_Arab", "test")


def test_languages_filter_keeps_the_pairs_a_language_is_a_side_of(tmp_path):
    sts17_release(tmp_path)
    task = load_task_file(EXAMPLE, tmp_path)
    src = "eng_Latn-eng_Latn"  # the task's source: always run, the reference of the gaps
    assert task_languages([task], ["ar"]) == {"sts17-pairs": [src, "arb_Arab-arb_Arab", "eng_Latn-arb_Arab"]}
    assert task_languages([task], ["en-ar"]) == {"sts17-pairs": [src, "eng_Latn-arb_Arab"]}
    assert task_languages([task], ["tr"]) == {"sts17-pairs": [src, "eng_Latn-tur_Latn"]}
    assert language_changes([task], ["ar"], {"sts17-pairs": [src, "arb_Arab-arb_Arab", "eng_Latn-arb_Arab"]}) == {
        "sts17-pairs": {"absent": [], "added": [src]}
    }
    with pytest.raises(UserError, match="unknown language 'de'"):
        task_languages([task], ["de"])


# --- sparse variant grids -----------------------------------------------------------------------
SPARSE = """\
name: sparse
description: MLQA-like context x question grid with some cells missing
kind: sts
metric: spearman
languages: {eng_Latn: en, deu_Latn: de, arb_Arab: ar}
fields: {text1: a, text2: b}
gold: {path: score, type: float}
variant: {name: question, languages: same}
creation: native
licence: CC0-1.0
local:
  format: tsv
  path: "{split}-context-{lang}-question-{variant}.tsv"
"""


def test_a_sparse_variant_grid_runs_the_cells_it_has(tmp_path):
    cells = [("en", "en"), ("en", "de"), ("de", "de")]
    for c, q in cells:
        rows = [f"{c}{q} {i}\t{q} {i}\t{i}" for i in range(3)]
        (tmp_path / f"test-context-{c}-question-{q}.tsv").write_text("a\tb\tscore\n" + "\n".join(rows) + "\n")
    (tmp_path / "task.yaml").write_text(SPARSE, "utf-8")
    task = load_task_file(tmp_path / "task.yaml", tmp_path)
    # before: "no language has a 'test' file" although five files were there
    assert task.available_languages() == ["eng_Latn", "deu_Latn"]
    assert task.variants_of("eng_Latn", "test") == ["question=eng_Latn", "question=deu_Latn"]
    items = task.items("eng_Latn", "test")
    assert [it.fields["question_language"] for it in items] == ["eng_Latn"] * 3 + ["deu_Latn"] * 3
    assert task.count("deu_Latn", "test") == 3
    assert [p.name for p in task.files_for("deu_Latn", "test")] == ["test-context-de-question-de.tsv"]
    with pytest.raises(UserError, match="test-context-ar-question-en.tsv is missing"):
        task.files_for("arb_Arab", "test")
    (tmp_path / "none").mkdir()
    with pytest.raises(UserError, match="no language has a 'test' file"):  # said only where no file is
        load_task_file(tmp_path / "task.yaml", tmp_path / "none").available_languages()


# --- end to end -----------------------------------------------------------------------------------
def test_sts17_runs_end_to_end_with_every_pair_labelled_as_a_pair(tmp_path):
    data = sts17_release(tmp_path / "data")
    out = tmp_path / "run"
    args = ["run", "--task-file", str(EXAMPLE), "--data-dir", str(data), "--limit", "6", "--output", str(out)]
    r = xling_in_process(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    results = json.loads((out / "results.json").read_text())
    jsonschema.validate(results, schema())
    scores = {s["language"]: s for s in results["scores"]}
    assert set(scores) == set(PAIRS) and all(s["n"] == 6 for s in scores.values())
    names = {m["code"]: m["name"] for m in results["analyses"]["languages"]["metadata"]}
    assert names["eng_Latn-arb_Arab"] == "English–Standard Arabic" and names["eng_Latn-tur_Latn"] == "English–Turkish"
    gaps = {g["language"]: g for g in results["analyses"]["transfer_gap"]}
    assert {g["source"] for g in gaps.values()} == {"eng_Latn-eng_Latn"} and "eng_Latn-tur_Latn" in gaps
    family = {g["group"] for g in results["analyses"]["grouped_averages"] if g.get("by") == "family"}
    assert {"Indo-European → Turkic", "Indo-European → Afro-Asiatic", "Afro-Asiatic"} <= family
    report = (out / "report.md").read_text()
    assert "| eng_Latn-tur_Latn | English–Turkish |" in report
    assert "English–Turkish" in (out / "report.html").read_text()
    assert "English–Turkish" in r.stdout  # the score table the CLI prints
    read = {Path(d["path"]).name for d in results["run"]["data"]}
    assert {"STS.input.track6.tr-en.txt", "STS.gs.track6.tr-en.txt"} <= read and "STS.gs.track4b.es-en.txt" not in read


RETRIEVAL = """\
name: xretrieval
description: cross-lingual query -> passage retrieval (query language, then passage language)
kind: retrieval
metric: ndcg@10
languages: {deu_Latn-eng_Latn: de-en, eng_Latn-eng_Latn: en-en}
source_language: eng_Latn-eng_Latn
eval_split: test
fields: {query: q, passage: p}
creation: written-for-xling
licence: CC0-1.0
local:
  root: task-file
  format: jsonl
  path: "{lang}.jsonl"
"""


def test_cross_lingual_retrieval_declares_query_and_passage_languages_as_a_pair(tmp_path):
    topics = {
        "cat": ("Katze", "The cat sleeps."),
        "sun": ("Sonne", "The sun shines."),
        "car": ("Auto", "A car drives."),
    }
    for code, side in (("de-en", 0), ("en-en", None)):
        rows = [{"q": q if side == 0 else en, "p": p} for en, (q, p) in topics.items()]
        (tmp_path / f"{code}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    (tmp_path / "task.yaml").write_text(RETRIEVAL, "utf-8")
    task = load_task_file(tmp_path / "task.yaml")
    assert {it.sides for it in task.items("deu_Latn-eng_Latn", "test")} == {("deu_Latn", "eng_Latn")}
    out = tmp_path / "run"
    r = xling_in_process("run", "--task-file", str(tmp_path / "task.yaml"), "--output", str(out), "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    results = json.loads((out / "results.json").read_text())
    jsonschema.validate(results, schema())
    assert {(s["language"], s["metric"]) for s in results["scores"]} >= {("deu_Latn-eng_Latn", "ndcg@10")}
    assert "German–English" in (out / "report.md").read_text()


MLQA_PAIRS = """\
name: mlqa-pairs
description: MLQA's question x context languages as pairs (question language, then context language)
kind: extractive_qa
metric: f1
pair_separator: "-"
languages: [en-en, de-en, en-de]
source_language: en-en
eval_split: dev
fields: {{question: question, context: context}}
gold: {{path: answers, type: list}}
id: id
creation: human-translated
licence: CC-BY-SA-3.0
local:
  root: task-file
  format: squad
  path: "MLQA_V1/{{split}}/{{split}}-context-{{lang_2}}-question-{{lang_1}}.json"
"""


def test_question_and_context_languages_fill_the_path_of_each_side(tmp_path):
    folder = tmp_path / "MLQA_V1" / "dev"
    folder.mkdir(parents=True)
    for c, q in (("en", "en"), ("en", "de"), ("de", "en")):
        qa = {"id": f"{c}{q}", "question": f"question in {q}", "answers": [{"text": c, "answer_start": 0}]}
        data = {"data": [{"title": "t", "paragraphs": [{"context": f"{c} context", "qas": [qa]}]}]}
        (folder / f"dev-context-{c}-question-{q}.json").write_text(json.dumps(data), "utf-8")
    (tmp_path / "task.yaml").write_text(MLQA_PAIRS.format(), "utf-8")
    task = load_task_file(tmp_path / "task.yaml")
    assert task.spec.source_language == "eng_Latn-eng_Latn"
    [item] = task.items("deu_Latn-eng_Latn", "dev")
    assert item.sides == ("deu_Latn", "eng_Latn") and item.item_id == "ende"
    assert item.fields == {"question": "question in de", "context": "en context"}
    assert task.path_for("eng_Latn-deu_Latn", "dev").name == "dev-context-de-question-en.json"
    task.spec.local.path = "{split}-{lang_3}.json"
    with pytest.raises(DataError, match=r"unknown placeholder 'lang_3'") as e:
        task.items("deu_Latn-eng_Latn", "dev")
    assert "{lang_1}/{lang_2}" in e.value.hint
