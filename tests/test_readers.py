"""Each format's reader on small hand-written files, well-formed and malformed (file:line errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xling.errors import DataError
from xling.tasks.readers import (
    READERS,
    BadRow,
    Row,
    read_bitext,
    read_conllu,
    read_delimited,
    read_json,
    read_jsonl,
    read_squad,
    read_token_tags,
)


def rows(it):
    return [r for r in it if isinstance(r, Row)]


def bad(it):
    return [r for r in it if isinstance(r, BadRow)]


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


# --- TSV / CSV --------------------------------------------------------------------------------
def test_tsv_header_bom_crlf(tmp_path):
    p = write(tmp_path, "a.tsv", "\ufeffid\ttext\tlabel\r\n1\tHabari ya asubuhi\tgreet\r\n2\tKwaheri\tbye\r\n")
    out = rows(read_delimited(p))
    assert [r.record for r in out] == [
        {"id": "1", "text": "Habari ya asubuhi", "label": "greet"},
        {"id": "2", "text": "Kwaheri", "label": "bye"},
    ]
    assert [r.line for r in out] == [2, 3]


def test_tsv_no_header_quotes_are_text(tmp_path):
    p = write(tmp_path, "a.tsv", 'He said "hi\tthere\nplain\t"x\n')
    out = list(read_delimited(p, header=False, columns=["a", "b"]))
    assert [r.record for r in out] == [{"a": 'He said "hi', "b": "there"}, {"a": "plain", "b": '"x'}]


def test_tsv_wrong_column_count_names_line(tmp_path):
    p = write(tmp_path, "a.tsv", "id\ttext\n1\tok\n2\ttoo\tmany\n3\tfine\n")
    out = list(read_delimited(p))
    assert [r.line for r in bad(out)] == [3]
    assert "expected 2 columns (id, text), found 3" in bad(out)[0].message
    assert [r.record["id"] for r in rows(out)] == ["1", "3"]


def test_csv_minimal_quoting_commas_and_newlines(tmp_path):
    p = write(tmp_path, "s.csv", 'a,b,score\r\n"One, two",Three,1.5\r\n"multi\r\nline",x,2\r\nlast,y,3\r\n')
    out = rows(read_delimited(p, delimiter=",", quoting="minimal", header=False, columns=["s1", "s2", "score"]))
    assert out[1].record == {"s1": "One, two", "s2": "Three", "score": "1.5"}
    assert out[2].record["s1"] == "multi\r\nline"
    assert [r.line for r in out] == [1, 2, 3, 5]


def test_bad_encoding_is_reported_at_its_line_and_reading_goes_on(tmp_path):
    p = write(tmp_path, "a.tsv", b"id\ttext\n1\tgood\n2\tbad \xff byte\n3\talso good\n")
    out = list(read_delimited(p))
    assert [(b.line, "UTF-8" in b.message) for b in bad(out)] == [(3, True)]
    assert [r.record["id"] for r in rows(out)] == ["1", "3"]


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot open"):
        list(read_delimited(tmp_path / "nope.tsv"))


# --- JSONL / JSON -----------------------------------------------------------------------------
def test_jsonl_bad_json_and_non_object(tmp_path):
    p = write(tmp_path, "a.jsonl", '{"q": "a"}\r\n\n{"q": oops}\n[1, 2]\n{"q": "b"}\n')
    out = list(read_jsonl(p))
    assert [(r.line, r.record["q"]) for r in rows(out)] == [(1, "a"), (5, "b")]
    assert [b.line for b in bad(out)] == [3, 4]
    assert "not valid JSON" in bad(out)[0].message and "expected a JSON object" in bad(out)[1].message


def test_json_records_path(tmp_path):
    p = write(tmp_path, "a.json", json.dumps({"meta": {}, "data": {"items": [{"x": 1}, 5, {"x": 2}]}}))
    out = list(read_json(p, records="data.items"))
    assert [r.record for r in rows(out)] == [{"x": 1}, {"x": 2}]
    assert bad(out)[0].where == "data.items[1]"
    with pytest.raises(DataError, match="no key 'rows'"):
        list(read_json(p, records="rows"))


def test_json_syntax_error_has_line(tmp_path):
    p = write(tmp_path, "a.json", '[\n {"x": 1},\n {"x": 2,,}\n]\n')
    with pytest.raises(DataError) as e:
        list(read_json(p))
    assert e.value.line == 3


# --- SQuAD ------------------------------------------------------------------------------------
SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "T",
            "paragraphs": [
                {
                    "context": "Nairobi ni mji mkuu wa Kenya.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Mji mkuu wa Kenya ni upi?",
                            "answers": [{"answer_start": 0, "text": "Nairobi"}],
                        },
                        {
                            "id": "q2",
                            "question": "Ni nchi gani?",
                            "answers": [{"answer_start": 23, "text": "Kenya"}, {"answer_start": 23, "text": "Kenya."}],
                        },
                    ],
                },
                {"context": "Pili.", "qas": [{"id": "q3", "question": "broken", "answers": "not a list"}]},
            ],
        }
    ],
}


def test_squad_flattens_one_record_per_question_with_lines(tmp_path):
    p = write(tmp_path, "s.json", json.dumps(SQUAD, indent=1, ensure_ascii=False))
    out = list(read_squad(p))
    good = rows(out)
    assert [r.record["id"] for r in good] == ["q1", "q2"]
    assert good[1].record["answers"] == ["Kenya", "Kenya."]
    assert good[0].record["context"].startswith("Nairobi")
    text = p.read_text("utf-8").splitlines()
    assert '"q1"' in text[good[0].line - 1] and '"q2"' in text[good[1].line - 1]
    assert bad(out)[0].where == "data[0].paragraphs[1].qas[0]"


def test_squad_not_squad(tmp_path):
    p = write(tmp_path, "s.json", '{"rows": []}')
    with pytest.raises(DataError, match="not SQuAD JSON"):
        list(read_squad(p))


# --- CoNLL-U ----------------------------------------------------------------------------------
CONLLU = """# sent_id = s1
# text = Vámonos al mar.
1-2\tVámonos\t_\t_\t_\t_\t_\t_\t_\t_
1\tVamos\tir\tVERB\t_\t_\t0\troot\t_\t_
2\tnos\tnosotros\tPRON\t_\t_\t1\tobj\t_\t_
3-4\tal\t_\t_\t_\t_\t_\t_\t_\t_
3\ta\ta\tADP\t_\t_\t5\tcase\t_\t_
4\tel\tel\tDET\t_\t_\t5\tdet\t_\t_
5\tmar\tmar\tNOUN\t_\t_\t1\tobl\t_\t_
5.1\tvan\tir\tVERB\t_\t_\t_\t_\t1:conj\t_
6\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_

# sent_id = s2
1\tbad\tline\tNOUN
2\tok\tok\tADJ\t_\t_\t0\troot\t_\t_

# sent_id = s3
1\tFin\tfin\tNOUN\t_\t_\t0\troot\t_\t_
"""


def test_conllu_skips_multiword_ranges_and_empty_nodes(tmp_path):
    p = write(tmp_path, "x.conllu", CONLLU)
    out = list(read_conllu(p))
    good = rows(out)
    assert good[0].record["sent_id"] == "s1" and good[0].line == 1
    assert good[0].record["tokens"] == ["Vamos", "nos", "a", "el", "mar", "."]
    assert good[0].record["upos"] == ["VERB", "PRON", "ADP", "DET", "NOUN", "PUNCT"]
    assert good[1].record["sent_id"] == "s3"
    assert [(b.line, "expected 10" in b.message) for b in bad(out)] == [(14, True)]


# --- token-tag columns ------------------------------------------------------------------------
def test_token_tags_sentences_and_bad_line(tmp_path):
    p = write(tmp_path, "dev-xx.tsv", "Ada\tB-PER\nalikuja\tO\n\n\nWatu\tO\nwengi O\n\nMwisho\tO\n")
    out = list(read_token_tags(p))
    assert [r.record for r in rows(out)] == [
        {"tokens": ["Ada", "alikuja"], "tags": ["B-PER", "O"]},
        {"tokens": ["Mwisho"], "tags": ["O"]},
    ]
    assert [r.line for r in rows(out)] == [1, 8]
    assert bad(out)[0].line == 6 and "expected 2 columns" in bad(out)[0].message


# --- line-aligned bitext ----------------------------------------------------------------------
def test_bitext_aligned_and_length_mismatch(tmp_path):
    a = write(tmp_path, "x.yor", "Ẹ káàárọ̀\nÓ dàbọ̀\n")
    b = write(tmp_path, "x.eng", "Good morning\r\nGoodbye\r\n")
    assert [r.record for r in rows(read_bitext(a, pivot_path=b))] == [
        {"text": "Ẹ káàárọ̀", "pivot_text": "Good morning"},
        {"text": "Ó dàbọ̀", "pivot_text": "Goodbye"},
    ]
    c = write(tmp_path, "y.eng", "Good morning\nGoodbye\nExtra\n")
    with pytest.raises(DataError) as e:
        list(read_bitext(a, pivot_path=c))
    assert e.value.path == str(c) and e.value.line == 3 and "differ in length" in e.value.message


def test_every_declared_format_has_a_reader():
    assert set(READERS) == {"tsv", "csv", "jsonl", "json", "squad", "conllu", "token-tags", "bitext", "parquet"}


def test_parquet_rows_keep_nested_columns_and_number_the_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xling.tasks.readers import read_parquet

    path = tmp_path / "test-00000-of-00001.parquet"
    rows = [
        {"q": "Swali?", "choices": [{"text": "a", "label": "A"}], "info": {"grade": 7}},
        {"q": "Pili?", "choices": [], "info": None},
    ]
    pq.write_table(pa.Table.from_pylist(rows), path)
    got = list(read_parquet(path))
    assert [(r.line, r.record) for r in got] == [(1, rows[0]), (2, rows[1])]
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        list(read_parquet(tmp_path / "bad.parquet"))


def test_skip_log_counts_each_bad_row_once_per_file():
    from xling.tasks.readers import SkipLog

    log = SkipLog(keep=2)
    for _ in range(2):  # the same file read twice in one run
        for line in (3, 7, 9):
            log.add("/d/a.tsv", line, "expected 3 columns")
    log.add("/d/b.tsv", None, "bad record")
    assert log.files["/d/a.tsv"]["count"] == 3 and log.total == 4
    assert log.files["/d/a.tsv"]["examples"] == ["/d/a.tsv:3: expected 3 columns", "/d/a.tsv:7: expected 3 columns"]
    assert log.files["/d/b.tsv"]["examples"] == ["/d/b.tsv: bad record"]


# --- compressed files ---------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_a_compressed_file_is_read_in_any_format(tmp_path, suffix):
    import bz2
    import gzip
    import lzma

    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix]
    tsv = tmp_path / f"dev.tsv{suffix}"
    tsv.write_bytes(compress(b"id\ttext\n1\thallo\n2\tbad\tcolumn\n"))
    got = list(read_delimited(tsv))
    assert [r.record for r in rows(got)] == [{"id": "1", "text": "hallo"}]
    assert [b.line for b in bad(got)] == [3]  # line numbers of the decompressed text
    js = tmp_path / f"items.json{suffix}"
    js.write_bytes(compress(json.dumps([{"a": "ä"}]).encode()))
    assert [r.record for r in read_json(js)] == [{"a": "ä"}]


def test_a_damaged_or_fake_compressed_file_is_a_data_error(tmp_path):
    fake = tmp_path / "dev.jsonl.gz"
    fake.write_text('{"a": 1}\n', "utf-8")  # not gzip at all
    with pytest.raises(DataError, match=r"dev.jsonl.gz:1: the compressed file is damaged"):
        list(read_jsonl(fake))
    with pytest.raises(DataError, match="the compressed file is damaged"):
        list(read_json(tmp_path / "dev.jsonl.gz"))
    plain = tmp_path / "dev.jsonl"  # an uncompressed name is read as it is
    plain.write_text('{"a": 1}\n', "utf-8")
    assert [r.record for r in read_jsonl(plain)] == [{"a": 1}]
