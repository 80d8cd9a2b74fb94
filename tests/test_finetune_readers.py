"""The token-tag, CoNLL-U and SQuAD JSON readers: records, multiword tokens, errors."""
import json

import pytest

from xling.errors import DataError
from xling.tasks.finetune_readers import read_conllu, read_squad_json, read_token_tags


def test_token_tags(tmp_path):
    p = tmp_path / "dev-xx.tsv"
    p.write_text("Alpha\tB-PER\nbeta\tO\n\n\ngamma\tB-LOC\r\n")
    recs = list(read_token_tags(p))
    assert recs == [(1, {"id": "1", "tokens": ["Alpha", "beta"], "tags": ["B-PER", "O"]}),
                    (5, {"id": "2", "tokens": ["gamma"], "tags": ["B-LOC"]})]


def test_token_tags_bad_line_names_file_and_line(tmp_path):
    p = tmp_path / "dev-xx.tsv"
    p.write_text("Alpha\tB-PER\nbeta O\n")
    with pytest.raises(DataError, match=r"dev-xx.tsv:2: expected 'token"):
        list(read_token_tags(p))


def test_conllu_skips_multiword_tokens_and_empty_nodes(tmp_path):
    p = tmp_path / "x.conllu"
    rows = [
        "# sent_id = n01",
        "# text = Er geht zum Haus",
        "1\tEr\ter\tPRON\t_\t_\t2\tnsubj\t_\t_",
        "2\tgeht\tgehen\tVERB\t_\t_\t0\troot\t_\t_",
        "3-4\tzum\t_\t_\t_\t_\t_\t_\t_\t_",
        "3\tzu\tzu\tADP\t_\t_\t5\tcase\t_\t_",
        "4\tdem\tder\tDET\t_\t_\t5\tdet\t_\t_",
        "4.1\t_\t_\t_\t_\t_\t_\t_\t_\t_",
        "5\tHaus\tHaus\tNOUN\t_\t_\t2\tobl\t_\t_",
        "",
    ]
    p.write_text("\n".join(rows) + "\n")
    [(line, rec)] = list(read_conllu(p))
    assert rec["id"] == "n01" and line == 3
    assert rec["tokens"] == ["Er", "geht", "zu", "dem", "Haus"]
    assert rec["tags"] == ["PRON", "VERB", "ADP", "DET", "NOUN"]


def test_squad_json(tmp_path):
    p = tmp_path / "q.json"
    p.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "Paris is in France.", "qas": [
        {"id": "a1", "question": "Where?", "answers": [{"text": "France", "answer_start": 12}, {"text": "in France", "answer_start": 9}]}]}]}]}))
    [(n, rec)] = list(read_squad_json(p))
    assert n == 1 and rec["answers"] == ["France", "in France"] and rec["answer_starts"] == [12, 9]


def test_squad_json_question_without_answer_is_an_error(tmp_path):
    p = tmp_path / "q.json"
    p.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": "a1", "question": "Where?", "answers": []}]}]}]}))
    with pytest.raises(DataError, match="has no answer text"):
        list(read_squad_json(p))
