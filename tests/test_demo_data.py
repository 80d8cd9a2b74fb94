"""The built-in demo data (src/xling/demo/data, Unicode CLDR 41 emoji annotations): parallel
test files, balanced labels, training emoji apart from the test ones, and
scripts/build-demo-data.py, which rebuilds it byte for byte from Debian's unicode-cldr-core."""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from xling.tasks import get_task

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src/xling/demo/data"
SCRIPT = ROOT / "scripts/build-demo-data.py"
SYSTEM_CLDR = Path("/usr/share/unicode/cldr")
HEADER = ["id", "topic", "emoji", "text"]
TEST_PER_TOPIC = 24
TRAIN_PER_TOPIC = 40


def read(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and all(len(line.split("\t")) == 4 for line in lines[:-1]), path
    assert lines[0].split("\t") == HEADER, path
    return [line.split("\t") for line in lines[1:-1]]


def test_test_files_are_parallel_and_cover_the_tasks_languages():
    topics, bitext = get_task("demo-topics"), get_task("demo-bitext")
    assert topics.languages == bitext.languages
    files = {path.stem: read(path) for path in sorted((DATA / "test").glob("*.tsv"))}
    assert sorted(files) == sorted(topics.languages) and len(files) == 17
    english = files["eng_Latn"]
    for language, rows in files.items():
        # the same emoji, topics and order in every language: row i is one item everywhere
        assert [r[:3] for r in rows] == [r[:3] for r in english], language
        texts = [r[3] for r in rows]
        assert all(t and t == t.strip() and unicodedata.is_normalized("NFC", t) for t in texts), language
        assert len(set(texts)) == len(texts), f"{language}: two emoji share a text"
    assert len({r[3] for r in files["yor_Latn"]} & {r[3] for r in english}) < 5  # translated, not copied


def test_ids_name_their_emoji_and_labels_are_balanced():
    test, train = read(DATA / "test/eng_Latn.tsv"), read(DATA / "train/eng_Latn.tsv")
    labels = get_task("demo-topics").spec.labels
    for rows, per_topic in ((test, TEST_PER_TOPIC), (train, TRAIN_PER_TOPIC)):
        assert all(re.fullmatch(r"U\+[0-9A-F]{4,5}", i) and i == f"U+{ord(e):04X}" for i, _, e, _ in rows)
        assert collections.Counter(r[1] for r in rows) == dict.fromkeys(labels, per_topic)
        # the rows cycle through the topics: the first rows of a file are a balanced sample too
        assert all(len({r[1] for r in rows[k : k + 7]}) == 7 for k in range(0, len(rows) - 6, 7))
    assert not {r[0] for r in test} & {r[0] for r in train}  # the head never sees a test emoji


def test_the_tasks_read_every_item():
    topics, bitext = get_task("demo-topics"), get_task("demo-bitext")
    for language in ("eng_Latn", "yor_Latn", "zho_Hans"):
        items = topics.items(language, "test")
        assert len(items) == 7 * TEST_PER_TOPIC and len(bitext.items(language, "test")) == len(items)
        assert {i.gold for i in items} == set(topics.spec.labels)
    assert len(topics.items("eng_Latn", "train")) == 7 * TRAIN_PER_TOPIC


def build(cldr: Path, out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(SCRIPT), "--cldr", str(cldr), "--out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def cldr_version(cldr: Path) -> str | None:
    dtd = cldr / "common/dtd/ldml.dtd"
    found = dtd.is_file() and re.search(r'cldrVersion CDATA #FIXED "([^"]+)"', dtd.read_text(encoding="utf-8"))
    return found.group(1) if found else None


@pytest.mark.slow
@pytest.mark.skipif(
    cldr_version(SYSTEM_CLDR) != "41",
    reason="needs Debian's unicode-cldr-core 41 (scripts/install-system-deps.sh cldr)",
)
def test_the_script_rebuilds_the_shipped_files_from_cldr_41(tmp_path):
    res = build(SYSTEM_CLDR, tmp_path)
    assert res.returncode == 0, res.stderr
    shipped = sorted(p.relative_to(DATA) for p in DATA.rglob("*.tsv"))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.tsv")) == shipped
    for rel in shipped:
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), rel


LOCALES = ["en", "es", "fr", "de", "ru", "el", "ar", "he", "hi", "ne", "zh", "ja", "ko", "th", "sw", "yo", "am"]
GROUPS = ["Smileys & People", "Animals & Nature", "Food & Drink", "Travel & Places", "Activities", "Objects", "Symbols"]


def fake_cldr(root: Path, version: str = "41") -> Path:
    """A CLDR tree in the release layout: 7 groups of 70 emoji (a code-point range each) and a Flags
    group; every locale annotates the first 30 of each group, English all 70; Yoruba leaves one
    emoji inherited (↑↑↑) and Swahili gives another no keywords."""
    (root / "common/dtd").mkdir(parents=True)
    (root / "common/dtd/ldml.dtd").write_text(f'<!ATTLIST version cldrVersion CDATA #FIXED "{version}" >\n')
    (root / "common/properties").mkdir(parents=True)
    labels = ["# labels.txt"]
    base = 0x1F300
    for g, group in enumerate(GROUPS):
        first = base + 100 * g
        labels.append(f"[{chr(first)}-{chr(first + 69)}{{{chr(first)}\u200d{chr(first + 1)}}}]\t;\t{group}\t;\tsub")
    labels.append(f"[{chr(0x1F1E6)}]\t;\tFlags\t;\tflag")
    (root / "common/properties/labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    (root / "common/annotations").mkdir(parents=True)
    for locale in LOCALES:
        rows = []
        for g in range(len(GROUPS)):
            for k in range(70 if locale == "en" else 30):
                cp = chr(base + 100 * g + k)
                name = "↑↑↑" if (locale, g, k) == ("yo", 0, 0) else f"{locale} name {g} {k}"
                rows.append(f'<annotation cp="{cp}" type="tts">{name}</annotation>')
                if (locale, g, k) != ("sw", 1, 0):
                    rows.append(f'<annotation cp="{cp}">{locale} word {g} | {name}</annotation>')
        rows.append(f'<annotation cp="{chr(0x1F1E6)}" type="tts">{locale} flag</annotation>')
        rows.append(f'<annotation cp="{chr(0x1F1E6)}">{locale} flag</annotation>')
        xml = "<ldml><annotations>" + "\n".join(rows) + "</annotations></ldml>\n"
        (root / f"common/annotations/{locale}.xml").write_text(xml, encoding="utf-8")
    return root


def test_the_script_selects_balanced_parallel_emoji_from_a_cldr_tree(tmp_path):
    res = build(fake_cldr(tmp_path / "cldr"), tmp_path / "out")
    assert res.returncode == 0, res.stderr
    test = {p.stem: read(p) for p in (tmp_path / "out/test").glob("*.tsv")}
    train = read(tmp_path / "out/train/eng_Latn.tsv")
    assert len(test) == 17 and all(len(rows) == 7 * TEST_PER_TOPIC for rows in test.values())
    ids = {r[0] for r in test["eng_Latn"]}
    # the inherited Yoruba name and the Swahili name without keywords keep those emoji out of the test split
    assert "U+1F300" not in ids and "U+1F364" not in ids and "U+1F1E6" not in ids
    assert all((int(i[2:], 16) - 0x1F300) % 100 < 30 for i in ids)  # annotated in every language
    assert not ids & {r[0] for r in train} and len(train) == 7 * TRAIN_PER_TOPIC
    assert test["yor_Latn"][0][3].startswith("yo name ") and test["yor_Latn"][0][3].count(": yo word ") == 1
    topics = [g.lower().replace(" & ", "-") for g in GROUPS]
    assert collections.Counter(r[1] for r in test["eng_Latn"]) == dict.fromkeys(topics, TEST_PER_TOPIC)
    assert collections.Counter(r[1] for r in train) == dict.fromkeys(topics, TRAIN_PER_TOPIC)
    again = build(tmp_path / "cldr", tmp_path / "again")
    assert again.returncode == 0
    assert (tmp_path / "again/test/amh_Ethi.tsv").read_bytes() == (tmp_path / "out/test/amh_Ethi.tsv").read_bytes()


def test_the_script_refuses_another_cldr_version(tmp_path):
    res = build(fake_cldr(tmp_path / "cldr", version="42"), tmp_path / "out")
    assert res.returncode != 0 and "CLDR 42" in res.stderr and "CLDR 41" in res.stderr
    assert not (tmp_path / "out").exists()
