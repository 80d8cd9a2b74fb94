"""Build xling's demo data (src/xling/demo/data) from Unicode CLDR's emoji annotations.

Source: Unicode CLDR 41 as packaged by Debian (`unicode-cldr-core` 41-0.1, installed to
/usr/share/unicode/cldr by `scripts/install-system-deps.sh cldr`): `common/annotations/<locale>.xml`
(each emoji's short name and keywords, localised per language) and `common/properties/labels.txt`
(each emoji's group: Food & Drink, Travel & Places, ...). Licence: Unicode-DFS-2016.

An item is one single-code-point emoji of a group other than Flags: its text is the locale's
short name, a colon and its other keywords (``cricket game: ball, bat, game``). The test split
holds emoji annotated in every demo language, the same number per group; the English training
split holds other emoji, at most a fixed number per group. Both are chosen by the SHA-256 of the
emoji's code point, so a rebuild from the same CLDR writes byte-identical files, and the rows
cycle through the groups, so that the first rows of a file (``--limit-mode first``) are balanced.

    python scripts/build-demo-data.py [--cldr /usr/share/unicode/cldr] [--out src/xling/demo/data]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

CLDR_VERSION = "41"
DEFAULT_CLDR = Path("/usr/share/unicode/cldr")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src/xling/demo/data"
TEST_PER_GROUP = 24
TRAIN_PER_GROUP = 40
SOURCE = "eng_Latn"
# CLDR locale -> xling language tag, in the demo tasks' order.
LOCALES = {
    "en": "eng_Latn",
    "es": "spa_Latn",
    "fr": "fra_Latn",
    "de": "deu_Latn",
    "ru": "rus_Cyrl",
    "el": "ell_Grek",
    "ar": "arb_Arab",
    "he": "heb_Hebr",
    "hi": "hin_Deva",
    "ne": "npi_Deva",
    "zh": "zho_Hans",
    "ja": "jpn_Jpan",
    "ko": "kor_Hang",
    "th": "tha_Thai",
    "sw": "swh_Latn",
    "yo": "yor_Latn",
    "am": "amh_Ethi",
}
# CLDR emoji group -> topic label (Flags are left out: their names are territory names).
GROUPS = {
    "Smileys & People": "smileys-people",
    "Animals & Nature": "animals-nature",
    "Food & Drink": "food-drink",
    "Travel & Places": "travel-places",
    "Activities": "activities",
    "Objects": "objects",
    "Symbols": "symbols",
}
INHERITED = "↑↑↑"


def cldr_version(cldr: Path) -> str:
    dtd = (cldr / "common/dtd/ldml.dtd").read_text(encoding="utf-8")
    found = re.search(r'cldrVersion CDATA #FIXED "([^"]+)"', dtd)
    if not found:
        raise SystemExit(f"{cldr}/common/dtd/ldml.dtd names no cldrVersion: is {cldr} a CLDR tree?")
    return found.group(1)


def unicode_set(text: str) -> list[str]:
    """The single code points of a UnicodeSet such as ``[😸-🙀☺{👨‍🎓}]`` (strings in braces skipped)."""
    body = re.sub(r"\{[^}]*\}", "", text.strip()[1:-1])
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars += [chr(cp) for cp in range(ord(body[i]), ord(body[i + 2]) + 1)]
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return chars


def emoji_groups(cldr: Path) -> dict[str, str]:
    """Each single-code-point emoji's topic (its first group in labels.txt)."""
    topics: dict[str, str] = {}
    for line in (cldr / "common/properties/labels.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("["):
            continue
        chars, group = (field.strip() for field in line.split(";")[:2])
        if group in GROUPS:
            for char in unicode_set(chars):
                topics.setdefault(char, GROUPS[group])
    return topics


def annotations(cldr: Path, locale: str) -> dict[str, str]:
    """Emoji -> ``name: keyword, keyword`` for the emoji the locale names and gives keywords."""
    names: dict[str, str] = {}
    keywords: dict[str, list[str]] = {}
    for node in ET.parse(cldr / f"common/annotations/{locale}.xml").getroot().iter("annotation"):
        text = " ".join((node.text or "").split())
        if not text or text == INHERITED:
            continue
        if node.get("type") == "tts":
            names[node.get("cp", "")] = text
        else:
            keywords[node.get("cp", "")] = [word.strip() for word in text.split("|") if word.strip()]
    texts = {}
    for char, name in names.items():
        if char in keywords:
            others = [word for word in keywords[char] if word != name]
            texts[char] = unicodedata.normalize("NFC", f"{name}: {', '.join(others)}" if others else name)
    return texts


def order(char: str) -> str:
    return hashlib.sha256(f"U+{ord(char):04X}".encode()).hexdigest()


def interleave(groups: list[list[str]]) -> list[str]:
    """The first of every group, then the second of every group, ...: any first rows are balanced."""
    return [group[i] for i in range(max(map(len, groups))) for group in groups if i < len(group)]


def select(topics: dict[str, str], texts: dict[str, dict[str, str]]) -> tuple[list[str], list[str]]:
    """(test emoji, training emoji): each group's emoji in hash order, the groups interleaved."""
    everywhere = set.intersection(*(set(t) for t in texts.values())) & set(topics)
    test: list[list[str]] = []
    train: list[list[str]] = []
    for topic in GROUPS.values():
        candidates = sorted((c for c in everywhere if topics[c] == topic), key=order)
        if len(candidates) < TEST_PER_GROUP:
            raise SystemExit(f"only {len(candidates)} '{topic}' emoji are annotated in every language")
        test.append(candidates[:TEST_PER_GROUP])
        chosen = set(test[-1])
        english = sorted((c for c in texts["en"] if topics.get(c) == topic and c not in chosen), key=order)
        train.append(english[:TRAIN_PER_GROUP])
    return interleave(test), interleave(train)


def tsv(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["id\ttopic\temoji\ttext"] + ["\t".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def rows(chars: list[str], topics: dict[str, str], texts: dict[str, str]) -> list[tuple[str, str, str, str]]:
    return [(f"U+{ord(c):04X}", topics[c], c, texts[c]) for c in chars]


def build(cldr: Path, out: Path) -> list[Path]:
    version = cldr_version(cldr)
    if version != CLDR_VERSION:
        raise SystemExit(
            f"{cldr} is CLDR {version}; the demo data is built from CLDR {CLDR_VERSION} "
            "(Debian unicode-cldr-core 41-0.1: scripts/install-system-deps.sh cldr)"
        )
    topics = emoji_groups(cldr)
    texts = {locale: annotations(cldr, locale) for locale in LOCALES}
    test, train = select(topics, texts)
    files = {out / "train" / f"{SOURCE}.tsv": tsv(rows(train, topics, texts["en"]))}
    for locale, language in LOCALES.items():
        files[out / "test" / f"{language}.tsv"] = tsv(rows(test, topics, texts[locale]))
    for path, content in files.items():  # texts are whitespace-collapsed: no tab or line break inside
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cldr", type=Path, default=DEFAULT_CLDR, help="CLDR tree (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    written = build(args.cldr, args.out)
    print(f"wrote {len(written)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
