"""Bad data: property-based tests (hypothesis) over every reader format and over YAML task files,
and a seeded mutation fuzzer over the first lines of the real release files.

The property: any input either loads or fails with DataError naming the file (and the line where
there is one); nothing else escapes, and nothing is dropped silently: every record written comes
back as a Row or a BadRow (which --skip-bad-rows counts). Bounded: the ``xling-fuzz`` profile
(``XLING_FUZZ_EXAMPLES``, default 60 per property) keeps the whole file to about a minute."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xling.errors import DataError, UserError
from xling.tasks import ReadPolicy, Task
from xling.tasks.readers import READERS, BadRow, Row
from xling.tasks.spec import load_spec

settings.register_profile(
    "xling-fuzz",
    max_examples=int(os.environ.get("XLING_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
FUZZ = settings.get_profile("xling-fuzz")

# Characters that break naive readers: RTL scripts and marks, combining marks, joiners, BOM and
# other invisibles, quotes and delimiters, NUL, CR, Unicode line breaks, astral characters.
EDGE = [
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0645\u0631\u062d\u0628\u0627",
    "\u200f",
    "\u202e",
    "e\u0301",
    "\u0915\u094d\u200d",
    "\U0001f469\u200d\U0001f4bb",
    "\u200b",
    "\ufeff",
    '"',
    "'",
    "\t",
    ",",
    ";",
    "\x00",
    "\r",
    "\u2028",
    "\u0085",
    "\\",
    "{",
    "}",
    "[",
    "]",
    "#",
    "\U00010348",
    "\u00a0",
    "\u3000",
]
texts = st.lists(st.one_of(st.sampled_from(EDGE), st.text(max_size=8)), max_size=6).map("".join)
# bytes that are not UTF-8: a lone continuation byte, a cut sequence, an encoded surrogate, 0xff
BAD_BYTES = [b"\x80", b"\xc3", b"\xed\xa0\x80", b"\xff", b"\xe2\x82"]


def check(reader: str, path: Path, **kw) -> list[Row | BadRow] | None:
    """Everything the reader yields, or None when it stopped with a DataError naming the file."""
    try:
        out = list(READERS[reader](path, **kw))
    except DataError as exc:
        assert str(path) in str(exc) or (kw.get("pivot_path") and str(kw["pivot_path"]) in str(exc)), str(exc)
        return None
    assert all(isinstance(r, (Row, BadRow)) for r in out)
    for r in out:
        if isinstance(r, BadRow):
            assert r.line is not None or r.where, r  # every bad row says where it is
    return out


def spoil_bytes(data: bytes, rnd: random.Random, n: int) -> bytes:
    """``n`` random edits: a byte flipped, a bad byte inserted, a cut, a duplicated delimiter."""
    b = bytearray(data)
    for _ in range(n):
        op = rnd.randrange(5)
        i = rnd.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(i, len(b) - 1)] ^= 1 << rnd.randrange(8)
        elif op == 1:
            b[i:i] = rnd.choice(BAD_BYTES)
        elif op == 2:
            del b[i:]
        elif op == 3:
            b[i:i] = rnd.choice([b"\t\t", b",,", b'""', b"\r\n", b"\n\n", b"{", b"\x00"])
        else:
            b[i:i] = rnd.choice(EDGE).encode("utf-8")
    return bytes(b)


# --- raw garbage: every format, any bytes ---------------------------------------------------------
@FUZZ
@given(
    reader=st.sampled_from(sorted(READERS)),
    data=st.binary(max_size=400),
    chunks=st.lists(
        st.one_of(
            st.sampled_from(EDGE).map(str.encode),
            st.sampled_from(BAD_BYTES),
            st.sampled_from([b"\n", b"\r\n", b"\t", b",", b'"', b"{", b"}", b"[", b"]", b"#"]),
        ),
        max_size=30,
    ),
    quoting=st.sampled_from(["none", "minimal", "all"]),
    header=st.booleans(),
)
def test_any_bytes_load_or_fail_with_a_data_error(tmp_path_factory, reader, data, chunks, quoting, header):
    folder = tmp_path_factory.mktemp("raw")
    path, pivot = folder / "f", folder / "pivot"
    path.write_bytes(data + b"".join(chunks))
    pivot.write_bytes(b"".join(reversed(chunks)) + data)
    kw = {"quoting": quoting, "header": header, "columns": None if header else ["a", "b"], "pivot_path": pivot}
    check(reader, path, **kw)


# --- well-formed records with edge-case text: nothing lost, text comes back exactly -----------------
def field(text: str, quoting: str, delimiter: str) -> str:
    if quoting == "all" or (quoting == "minimal" and any(c in text for c in (delimiter, '"', "\n", "\r"))):
        return '"' + text.replace('"', '""') + '"'
    return text


@FUZZ
@given(
    rows=st.lists(st.tuples(texts, texts), min_size=1, max_size=8),
    quoting=st.sampled_from(["none", "minimal", "all"]),
    delimiter=st.sampled_from(["\t", ","]),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_delimited_rows_in_equal_rows_out(tmp_path_factory, rows, quoting, delimiter, crlf, bom):
    """Quoted fields come back exactly, whatever they hold; unquoted rows come back exactly (a
    trailing CR aside: it is part of the line end) or, with a delimiter in the text, as one BadRow."""
    if quoting == "none":
        rows = [(x.replace("\n", " "), y.replace("\n", " ")) for x, y in rows]  # a line is a row
    end = "\r\n" if crlf else "\n"
    lines = ["a" + delimiter + "b"] + [
        field(x, quoting, delimiter) + delimiter + field(y, quoting, delimiter) for x, y in rows
    ]
    path = tmp_path_factory.mktemp("dl") / "f.tsv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + end.join(lines).encode("utf-8") + end.encode())
    out = check("tsv", path, delimiter=delimiter, quoting=quoting)
    assert out is not None and len(out) == len(rows)  # one Row or BadRow per row written
    for got, (x, y) in zip(out, rows, strict=True):
        if quoting == "none" and delimiter in x + y:
            assert isinstance(got, BadRow) and "columns" in got.message
        else:
            assert isinstance(got, Row), got
            assert (got.record["a"], got.record["b"]) == ((x, y.rstrip("\r")) if quoting == "none" else (x, y))


@FUZZ
@given(
    records=st.lists(
        st.one_of(
            st.dictionaries(
                texts,
                st.one_of(texts, st.integers(), st.floats(allow_nan=False), st.lists(texts, max_size=3)),
                max_size=4,
            ),
            st.sampled_from(["garbage", "array", "bigint", "deep", "surrogate", "blank"]),
        ),
        max_size=10,
    ),
    crlf=st.booleans(),
)
def test_jsonl_records_in_equal_rows_plus_bad_rows_out(tmp_path_factory, records, crlf):
    spoiled = {
        "garbage": '{"a": 1',
        "array": "[1, 2]",
        "bigint": '{"n": ' + "9" * 5000 + "}",
        "deep": "[" * 50_000 + "]" * 50_000,
        "surrogate": '{"t": "x\\ud800y"}',
        "blank": "   ",
    }
    lines = [spoiled[r] if isinstance(r, str) else json.dumps(r, ensure_ascii=bool(len(r) % 2)) for r in records]
    path = tmp_path_factory.mktemp("jl") / "f.jsonl"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8"))
    out = check("jsonl", path)
    assert out is not None
    expected = [r for r in records if r != "blank"]
    assert len(out) == len(expected)  # one Row or BadRow per non-blank line
    for got, want in zip(out, expected, strict=True):
        if isinstance(want, dict):
            assert isinstance(got, Row) and got.record == want
        else:
            assert isinstance(got, BadRow)


@FUZZ
@given(
    articles=st.lists(
        st.one_of(
            st.builds(
                lambda ctx, qs: {"title": "t", "paragraphs": [{"context": ctx, "qas": qs}]},
                texts,
                st.lists(
                    st.builds(
                        lambda q, a, i: {"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": 0}]},
                        texts,
                        texts,
                        st.integers(0, 10**6),
                    ),
                    max_size=3,
                ),
            ),
            st.sampled_from(
                [
                    {"paragraphs": "x"},
                    {"title": "no paragraphs"},
                    7,
                    {"paragraphs": [{"context": "c", "qas": [{"id": "z"}]}]},
                    {"paragraphs": [{"context": "c", "qas": [{"id": "y", "question": "q", "answers": "a"}]}]},
                    {"paragraphs": [{"context": "\ud800", "qas": [{"id": "s", "question": "q", "answers": []}]}]},
                ]
            ),
        ),
        max_size=5,
    )
)
def test_squad_questions_in_equal_rows_plus_bad_rows_out(tmp_path_factory, articles):
    path = tmp_path_factory.mktemp("sq") / "f.json"
    path.write_text(json.dumps({"data": articles}), "utf-8")  # ensure_ascii: a lone surrogate is an escape
    out = check("squad", path)
    assert out is not None
    n_questions = sum(
        len(p["qas"])
        for a in articles
        if isinstance(a, dict) and isinstance(a.get("paragraphs"), list)
        for p in a["paragraphs"]
        if isinstance(p, dict) and isinstance(p.get("qas"), list)
    )
    n_broken = sum(1 for a in articles if not (isinstance(a, dict) and isinstance(a.get("paragraphs"), list)))
    assert len(out) == n_questions + n_broken
    ids = {r.record["id"] for r in out if isinstance(r, Row)}
    assert "z" not in ids and "y" not in ids and "s" not in ids


@FUZZ
@given(
    sentences=st.lists(st.lists(st.tuples(texts, texts), min_size=1, max_size=4), min_size=1, max_size=5),
    broken=st.sets(st.integers(0, 4)),
    crlf=st.booleans(),
)
def test_token_tags_and_conllu_sentences_in_equal_rows_out(tmp_path_factory, sentences, broken, crlf):
    """Sentences (blank-line separated) come back one record each, or one BadRow for a broken one."""
    end = "\r\n" if crlf else "\n"

    def clean(t):
        return "".join(c for c in t if c not in "\t\n\r\x85\u2028") or "x"

    conll, tags = [], []
    for i, sent in enumerate(sentences):
        words = [(clean(w), clean(t)) for w, t in sent]
        conll.append(
            end.join(
                [f"# sent_id = s{i}"]
                + [f"{j + 1}\t{w}\t{w}\t{t}\t_\t_\t0\troot\t_\t_" for j, (w, t) in enumerate(words)]
                + (["x\tonly two"] if i in broken else [])
            )
        )
        tags.append(end.join([f"{w}\t{t}" for w, t in words] + (["three\tcolumns\there"] if i in broken else [])))
    folder = tmp_path_factory.mktemp("tt")
    (folder / "c.conllu").write_text((end * 2).join(conll) + end, "utf-8")
    (folder / "t.txt").write_text((end * 2).join(tags) + end, "utf-8")
    for reader, name in (("conllu", "c.conllu"), ("token-tags", "t.txt")):
        out = check(reader, folder / name)
        assert out is not None and len(out) == len(sentences), reader
        for i, (r, sent) in enumerate(zip(out, sentences, strict=True)):
            assert isinstance(r, BadRow) == (i in broken), (reader, r)
            if isinstance(r, Row):
                assert r.record["tokens"] == [clean(w) for w, _ in sent]


@FUZZ
@given(left=st.lists(texts, max_size=6), right=st.lists(texts, max_size=6), bad=st.integers(-1, 5))
def test_bitext_aligned_or_a_data_error(tmp_path_factory, left, right, bad):
    def clean(t):
        return "".join(c for c in t if c not in "\n\r")

    folder = tmp_path_factory.mktemp("bt")
    a = [clean(t).encode("utf-8") for t in left]
    if 0 <= bad < len(a):
        a[bad] += b"\xff"
    (folder / "a.txt").write_bytes(b"".join(x + b"\n" for x in a))
    (folder / "b.txt").write_text("".join(clean(t) + "\n" for t in right), "utf-8")
    out = check("bitext", folder / "a.txt", pivot_path=folder / "b.txt")
    if len(left) != len(right):
        assert out is None or len(out) < max(len(left), len(right))  # stops with a DataError
        return
    assert out is not None and len(out) == len(left)
    assert [isinstance(r, BadRow) for r in out] == [i == bad for i in range(len(left))]


# --- special inputs -------------------------------------------------------------------------------
MB_TEXT = "\u05d0\u0301" * 250_000 + "x" * 24_000  # a 1 MB line with RTL and combining marks


@pytest.mark.parametrize("quoting", ["none", "minimal", "all"])
def test_a_1mb_line_loads(tmp_path, quoting):
    path = tmp_path / "big.tsv"
    cell = f'"{MB_TEXT}"' if quoting == "all" else MB_TEXT
    path.write_text(f"id\ttext\n1\t{cell}\n", "utf-8")
    (row,) = check("tsv", path, quoting=quoting)
    assert isinstance(row, Row) and row.record["text"] == MB_TEXT and len(row.record["text"].encode()) > 1_000_000
    (tmp_path / "big.jsonl").write_text(json.dumps({"text": MB_TEXT}) + "\n", "utf-8")
    (row,) = check("jsonl", tmp_path / "big.jsonl")
    assert row.record["text"] == MB_TEXT


def test_regressions_found_by_the_fuzzer(tmp_path):
    """Each of these used to escape as a bare exception, drop data, or misread the file."""
    cases = {
        "bigint.jsonl": ('{"n": ' + "1" * 5000 + "}\n", "not readable JSON"),  # ValueError from int()
        "deep.jsonl": ("[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),  # RecursionError
        "surrogate.jsonl": ('{"t": "a\\udc00b"}\n', "lone UTF-16 surrogate"),  # would crash later, on UTF-8 output
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_text(content, "utf-8")
        (bad,) = check("jsonl", tmp_path / name)
        assert isinstance(bad, BadRow) and message in bad.message and bad.line == 1
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    with pytest.raises(DataError, match="deep.json: not readable JSON: nested too deeply"):
        list(READERS["json"](tmp_path / "deep.json"))
    (tmp_path / "sur.json").write_text('[{"t": "ok"}, {"t": "\\ud800"}]', "utf-8")
    out = list(READERS["json"](tmp_path / "sur.json"))
    assert isinstance(out[0], Row) and isinstance(out[1], BadRow) and out[1].where == "[1]"
    # an unquoted TSV cell with a stray CR was a csv error (a bad row); it is text
    (tmp_path / "cr.tsv").write_bytes(b"a\tb\r\nx\ry\tz\r\n")
    (row,) = check("tsv", tmp_path / "cr.tsv")
    assert row.record == {"a": "x\ry", "b": "z"}
    # a cell over 131072 characters was a bad row (csv's field limit) in quoted modes
    (tmp_path / "long.csv").write_text('a,b\n"' + "y" * 200_000 + '",z\n', "utf-8")
    (row,) = check("csv", tmp_path / "long.csv", delimiter=",", quoting="minimal")
    assert len(row.record["a"]) == 200_000
    # an unreadable header was skipped and the first data row taken as the header
    (tmp_path / "hdr.tsv").write_bytes(b"id\ttext\xff\n1\tone\n2\ttwo\n")
    with pytest.raises(DataError, match=r"hdr.tsv:1: the header row is unreadable: not valid UTF-8"):
        list(READERS["tsv"](tmp_path / "hdr.tsv"))
    # duplicate column names silently dropped a column
    (tmp_path / "dup.tsv").write_text("id\ttext\ttext\n1\ta\tb\n", "utf-8")
    with pytest.raises(DataError, match=r"dup.tsv:1: duplicate column name\(s\) 'text'"):
        list(READERS["tsv"](tmp_path / "dup.tsv"))


# --- --skip-bad-rows: items out + skipped rows = rows in ----------------------------------------------
TSV_TASK = """\
name: fuzz-topics
description: Fuzzed rows (written by the test).
kind: classification
metric: accuracy
languages: [eng_Latn]
eval_split: test
fields: {{id: id, text: text, label: topic}}
labels: [a, b]
parallel_key: id
creation: written-for-xling
licence: CC0-1.0
local: {{root: task-file, format: {fmt}, path: "{{language}}.{fmt}"}}
"""


@FUZZ
@given(
    rows=st.lists(st.tuples(texts, st.sampled_from(["a", "b", "c", ""]), st.booleans()), max_size=12),
    fmt=st.sampled_from(["tsv", "jsonl"]),
)
def test_skip_bad_rows_counts_every_row(tmp_path_factory, rows, fmt):
    """Through a task (mapping, gold, ids): every data row is an item or a counted skipped row."""
    folder = tmp_path_factory.mktemp("task")
    (folder / "task.yaml").write_text(TSV_TASK.format(fmt=fmt), "utf-8")
    lines, n_rows = [], 0
    for i, (text, topic, corrupt) in enumerate(rows):
        text = "".join(c for c in text if c not in "\t\n\r\x85\u2028") or "t"
        if fmt == "tsv":
            line = f"{i}\t{topic}\t{text}".encode()
            lines.append(line + (b"\xff" if corrupt else b""))
        else:
            line = json.dumps({"id": str(i), "topic": topic, "text": text}).encode()
            lines.append(line[:-3] if corrupt else line)
        n_rows += 1
    head = [b"id\ttopic\ttext"] if fmt == "tsv" else []
    (folder / f"eng_Latn.{fmt}").write_bytes(b"\n".join(head + lines) + b"\n")
    task = Task(load_spec(folder / "task.yaml"), folder / "task.yaml", policy=ReadPolicy(skip_bad_rows=True))
    items = task.items("eng_Latn", "test")
    assert len(items) + task.skipped.total == n_rows
    assert all(it.gold in ("a", "b") for it in items)


# --- YAML task files ------------------------------------------------------------------------------
VALID_TASK = (Path(__file__).parent / "data" / "embed" / "sts.yaml").read_text("utf-8")
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), texts, st.sampled_from(["eng_Latn", "xx", "tsv", "[", "{"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "name",
                    "kind",
                    "metric",
                    "languages",
                    "fields",
                    "local",
                    "gold",
                    "labels",
                    "eval_split",
                    "creation",
                    "bogus",
                    "local.format",
                    "local.path",
                    "local.quoting",
                    "local.root",
                    "local.columns",
                    "hub",
                ]
            ),
            yaml_values,
        ),
        max_size=4,
    ),
    noise=st.lists(
        st.sampled_from(EDGE + ["\n", ":", "- ", "&a", "*a", "!!python/object:os.system", "%YAML 1.1\n", "---\n"]),
        max_size=6,
    ),
    seed=st.integers(0, 10**6),
)
def test_task_files_load_or_fail_with_a_data_error(tmp_path_factory, edits, noise, seed):
    import yaml

    spec = yaml.safe_load(VALID_TASK)
    for key, value in edits:
        *parents, last = key.split(".")
        node = spec
        for p in parents:
            node = node.setdefault(p, {}) if isinstance(node.get(p, {}), dict) else {}
        node[last] = value
    text = yaml.safe_dump(spec, allow_unicode=True)
    rnd = random.Random(seed)
    for piece in noise:
        i = rnd.randrange(len(text) + 1)
        text = text[:i] + piece + text[i:]
    path = tmp_path_factory.mktemp("yaml") / "task.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_spec(path, check_kind=True)
    except DataError as exc:
        assert str(path) in str(exc)
    except UserError as exc:  # the project's error type, but it must name the file
        pytest.fail(f"a UserError without the file: {exc}")


def test_task_file_regressions(tmp_path):
    path = tmp_path / "t.yaml"
    for content, message in [
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        (b"name: x\xff\n", "not UTF-8"),
        ("name: a\x00b\n", "not valid YAML"),
        (
            "name: x\ndescription: d\nkind: sts\nmetric: f1\nlanguages: [[]]\ncreation: native\nlicence: x\n"
            "local: {format: tsv, path: a}\n",
            "5: key 'languages': languages must be a non-empty list of codes",
        ),
    ]:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        with pytest.raises(DataError, match=message):
            load_spec(path)


# --- a seeded mutation fuzzer over the first lines of the real files ---------------------------------
def real_samples(root: Path, per_dataset: int = 2) -> list[tuple[str, Path]]:
    """(format, file) pairs: the first files of each dataset folder, by extension."""
    fmt_of = {".tsv": "tsv", ".jsonl": "jsonl", ".conllu": "conllu", ".json": "squad", ".csv": "csv"}
    out = []
    for ds in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in ds.rglob("*") if f.is_file() and f.suffix in fmt_of)[:per_dataset]
        out += [(fmt_of[f.suffix], f) for f in files]
    return out


def head_bytes(path: Path, n_lines: int = 40, max_bytes: int = 200_000) -> bytes:
    with open(path, "rb") as fh:
        if path.suffix == ".json":
            return fh.read(max_bytes)
        return b"".join(line for _, line in zip(range(n_lines), fh))


def test_mutation_fuzzer_over_the_real_files(shared_data, tmp_path):
    """Byte flips, bad bytes, cuts, doubled delimiters and edge characters in the first lines of
    each real release file (never copied into the repo: mutated in a temp folder)."""
    samples = real_samples(shared_data)
    assert samples
    rnd = random.Random(20261130)
    runs = int(os.environ.get("XLING_FUZZ_MUTATIONS", "12"))
    n = 0
    for fmt, f in samples:
        data = head_bytes(f)
        kw = {"quoting": "none", "header": True}
        for k in range(runs):
            mutant = tmp_path / f"m{n}{f.suffix}"
            mutant.write_bytes(spoil_bytes(data, rnd, 1 + k % 4))
            for quoting in ("none", "minimal") if fmt in ("tsv", "csv") else ("none",):
                check(fmt, mutant, **{**kw, "quoting": quoting, "delimiter": "," if fmt == "csv" else "\t"})
            n += 1
    assert n == len(samples) * runs
