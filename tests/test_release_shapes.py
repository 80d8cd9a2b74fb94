"""Releases declared in one YAML with no preprocessing (examples/releases/): XWinograd's original
dataset.tsv (every language in one headerless TSV, JSON in its cells), MasakhaNER 2.0 (space-separated
CoNLL, read from the repository's zip) and Universal NER (.iob2 with comment lines and five
columns), each on fixtures written in the release's exact layout."""

from __future__ import annotations

import json
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from helpers.cli import ROOT
from xling.errors import DataError
from xling.tasks import ReadPolicy, load_task_file

RELEASES = ROOT / "examples" / "releases"


# --- XWinograd: Tikhonov and Ryabinin's dataset.tsv ---------------------------------------------
def _schema(lang: str, sentence: str, pronoun: str, a: str, b: str, right: int) -> str:
    tokens = sentence.rstrip(".").split() + ["."]
    at = tokens.index(pronoun)
    options = [[c, [0, 1], c.split(), i == right] for i, c in enumerate((a, b))]
    cells = [
        lang,
        "original" if lang == "en" else "translation",
        "?",
        sentence,
        tokens,
        [pronoun, [at, at + 1], [pronoun]],
        options,
    ]
    return "\t".join(c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in cells) + "\n"


XWINO_ROWS = [
    _schema(
        "en", "The trophy doesn't fit into the suitcase because it is too large.", "it", "The trophy", "the suitcase", 0
    ),
    _schema(
        "en", "The trophy doesn't fit into the suitcase because it is too small.", "it", "The trophy", "the suitcase", 1
    ),
    _schema("fr", "Le trophée ne rentre pas dans la valise car il est trop grand.", "il", "Le trophée", "la valise", 0),
    _schema(
        "jp", "トロフィーはスーツケースに入らない 。 それは 大きすぎる.", "それは", "トロフィー", "スーツケース", 0
    ),
    _schema("en", "Paul tried to call George on the phone, but he wasn't successful.", "he", "Paul", "George", 0),
]


def test_xwinograd_original_release(tmp_path):
    (tmp_path / "dataset.tsv").write_text("".join(XWINO_ROWS), encoding="utf-8")
    task = load_task_file(RELEASES / "xwinograd-original.yaml", tmp_path)
    en = task.items("eng_Latn", "test")
    assert [it.item_id for it in en] == ["1", "2", "5"]  # the filter keeps English rows, ids are their lines
    assert en[0].fields == {
        "passage": "The trophy doesn't fit into the suitcase because it is too large.",
        "question": "it",
        "choices": ["The trophy", "the suitcase"],
    }
    assert [it.gold for it in en] == [0, 1, 0]  # the candidate flagged true in the JSON cell
    (fr,) = task.items("fra_Latn", "test")
    assert fr.fields["choices"] == ["Le trophée", "la valise"] and fr.gold == 0 and fr.item_id == "3"
    assert task.items("jpn_Jpan", "test")[0].fields["question"] == "それは"
    assert task.available_languages() == ["eng_Latn", "fra_Latn", "jpn_Jpan", "por_Latn", "rus_Cyrl", "zho_Hans"]
    assert task.with_items(["eng_Latn", "fra_Latn"]) == ["eng_Latn", "fra_Latn"]
    with pytest.raises(DataError, match="no items for por_Latn"):
        task.with_items(["por_Latn"])


def test_xwinograd_a_broken_json_cell_names_its_line_and_column(tmp_path):
    broken = XWINO_ROWS[1].replace('"the suitcase", [0, 1], ["the", "suitcase"], true]]', '"the suitcase", [0, 1]')
    (tmp_path / "dataset.tsv").write_text(XWINO_ROWS[0] + broken, encoding="utf-8")
    task = load_task_file(RELEASES / "xwinograd-original.yaml", tmp_path)
    with pytest.raises(DataError) as exc:
        task.items("eng_Latn", "test")
    assert exc.value.line == 2 and "column 'options': not valid JSON" in str(exc.value)
    skipping = load_task_file(RELEASES / "xwinograd-original.yaml", tmp_path, ReadPolicy(skip_bad_rows=True))
    assert [it.item_id for it in skipping.items("eng_Latn", "test")] == ["1"] and skipping.skipped.total == 1


def test_without_json_cells_the_options_are_text_and_paths_cannot_reach_into_them(tmp_path):
    (tmp_path / "dataset.tsv").write_text("".join(XWINO_ROWS), encoding="utf-8")
    spec = (RELEASES / "xwinograd-original.yaml").read_text().replace("  json_cells: [tokens, pronoun, options]\n", "")
    (tmp_path / "x.yaml").write_text(spec)
    with pytest.raises(DataError, match="no element \\[0\\]"):
        load_task_file(tmp_path / "x.yaml", tmp_path).items("eng_Latn", "test")


# --- MasakhaNER 2.0: data/<lang>/{train,dev,test}.txt, "token tag", in the repository zip -------
WORDS = {"hau": ["alpha", "beta"], "yor": ["alfa", "beta"]}
FILLER = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]


def conll_sentences(lang: str, n: int, rng: random.Random, sep: str) -> str:
    """Sentences of filler words around one keyword: the first is a place, the second a person;
    a ``#`` token (as in MasakhaNER's hashtags) is a word, not a comment."""
    out = []
    for i in range(n):
        key = WORDS[lang][i % 2]
        words = rng.sample(FILLER, 3) + [key]
        rng.shuffle(words)
        lines = [
            f"{w}{sep}{'B-LOC' if w == WORDS[lang][0] else 'B-PER' if w == WORDS[lang][1] else 'O'}" for w in words
        ]
        if i % 5 == 0:
            lines.append(f"#{sep}O")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def masakhaner_zip(root: Path, sizes=(("train", 60), ("dev", 10), ("test", 12))) -> Path:
    rng = random.Random(3)
    root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(root / "masakhane-ner-main.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("masakhane-ner-main/README.md", "MasakhaNER\n")
        for lang in WORDS:
            for split, n in sizes:
                zf.writestr(
                    f"masakhane-ner-main/MasakhaNER2.0/data/{lang}/{split}.txt", conll_sentences(lang, n, rng, " ")
                )
    return root


def test_masakhaner2_is_read_from_the_release_zip(tmp_path):
    data = masakhaner_zip(tmp_path / "data")
    task = load_task_file(RELEASES / "masakhaner2.yaml", data)
    assert task.available_languages() == ["hau_Latn", "yor_Latn"]
    assert task.splits_of("hau_Latn") == ["train", "test"]
    test = task.items("hau_Latn", "test")
    assert len(test) == 12 and task.count("yor_Latn", "train") == 60
    first = test[0]
    assert first.fields["tokens"][-1] == "#" and first.gold[-1] == "O"  # the hashtag token is kept
    assert {t for it in test for t in it.gold} == {"O", "B-LOC", "B-PER"}
    assert all(len(it.gold) == len(it.fields["tokens"]) for it in test)
    assert [p.name for p in data.iterdir()] == ["masakhane-ner-main.zip"]


def test_masakhaner2_a_language_missing_from_the_zip(tmp_path):
    data = masakhaner_zip(tmp_path / "data")
    task = load_task_file(RELEASES / "masakhaner2.yaml", data)
    with pytest.raises(Exception) as exc:
        task.path_for("swh_Latn", "test")
    assert "has no member 'masakhane-ner-main/MasakhaNER2.0/data/swa/test.txt'" in str(exc.value)
    assert "closest: masakhane-ner-main/MasakhaNER2.0/data/" in str(exc.value)


# --- Universal NER: UNER_<Language>-<Treebank>/<code>_<tb>-ud-<split>.iob2 ------------------------
def iob2(sentences: list[list[tuple[str, str]]], prefix: str) -> str:
    out = []
    for i, sent in enumerate(sentences):
        lines = [f"# sent_id = {prefix}-{i}", f"# text = {' '.join(w for w, _ in sent)}"]
        lines += [f"{n}\t{w}\t{t}\t{t if t == 'O' else t + '#O'}\ts" for n, (w, t) in enumerate(sent, 1)]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


UNER_SENTENCES = [
    [("Kelds", "B-PER"), ("oplæg", "O"), ("blev", "O"), ("fulgt", "O"), (".", "O")],
    [("Susan", "B-PER"), ("Mackensie", "I-PER"), ("bor", "O"), ("i", "O"), ("Løgstør", "B-LOC")],
    [("De", "B-OTH"), ("Grå", "I-OTH"), ("Sider", "I-OTH"), ("#", "O")],
]


def write_uner(root: Path) -> Path:
    for folder, stem, splits in (
        ("UNER_Danish-DDT", "da_ddt", ("train", "dev", "test")),
        ("UNER_Tagalog-TRG", "tl_trg", ("test",)),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for split in splits:
            (root / folder / f"{stem}-ud-{split}.iob2").write_text(iob2(UNER_SENTENCES, split), encoding="utf-8")
    return root


def check_uner(task) -> None:
    assert task.available_languages() == ["dan_Latn", "tgl_Latn"]
    assert task.splits_of("tgl_Latn") == ["test"] and task.splits_of("dan_Latn") == ["train", "test"]
    items = task.items("dan_Latn", "test")
    assert [it.fields["tokens"] for it in items] == [[w for w, _ in s] for s in UNER_SENTENCES]
    assert [it.gold for it in items] == [[t for _, t in s] for s in UNER_SENTENCES]
    assert [it.item_id for it in items] == ["3", "11", "19"]  # the lines of their first words


def test_universal_ner_release(tmp_path):
    check_uner(load_task_file(RELEASES / "uner.yaml", write_uner(tmp_path / "data")))


def test_universal_ner_zipped(tmp_path):
    tree = write_uner(tmp_path / "tree")
    data = tmp_path / "data"
    data.mkdir()
    shutil.make_archive(str(data / "uner"), "zip", tree)
    spec = (RELEASES / "uner.yaml").read_text().replace('path: "UNER_', 'path: "uner.zip!UNER_')
    (tmp_path / "uner.yaml").write_text(spec)
    check_uner(load_task_file(tmp_path / "uner.yaml", data))


def test_universal_ner_needs_its_comment_lines_declared(tmp_path):
    spec = (RELEASES / "uner.yaml").read_text().replace('  comments: "#"\n', "")
    (tmp_path / "uner.yaml").write_text(spec)
    task = load_task_file(tmp_path / "uner.yaml", write_uner(tmp_path / "data"))
    with pytest.raises(DataError, match="expected 5 columns"):
        task.items("dan_Latn", "test")


@pytest.mark.slow
def test_masakhaner2_zip_end_to_end_with_a_tiny_encoder(tiny_model, tmp_path):
    """The sequence_labelling kind fine-tunes on Hausa's train split read from the zip and tags
    Yoruba's test split: the keyword rule is learnt through the archive path."""
    from helpers.finetune import run_finetune, score_of

    data = masakhaner_zip(tmp_path / "data", sizes=(("train", 80), ("dev", 20), ("test", 30)))
    res = run_finetune(tiny_model, RELEASES / "masakhaner2.yaml", data, tmp_path / "run", seeds=1)
    hau = score_of(res, "hau_Latn")
    assert hau["metric"] == "entity_f1" and hau["value"] >= 90, hau
    assert {s["language"] for s in res.data["scores"]} == {"hau_Latn", "yor_Latn"}
