"""Codes naming several languages (issue 21, point 11): macrolanguages resolved where the IANA
registry and Glottolog can, collective codes told once with what they are and how to name one
language; their metadata never become a silent ``unknown``."""

from __future__ import annotations

import json
import logging

import pytest

import xling.run.runner
from helpers.embed import TrigramBackend
from xling.languages import meta
from xling.languages.codes import canonical
from xling.languages.scope import scope
from xling.run.runner import evaluate

AMERICASNLI = ("aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar")


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Nothing told yet in this process."""
    monkeypatch.setattr(meta, "_told", set())


def test_americasnli_s_collective_codes_say_what_they_are_and_how_to_name_one_language():
    for code in ("nah", "oto"):
        info = meta.info(canonical(code))
        assert info.family == meta.UNKNOWN
        assert f"'{code}' is an ISO 639-5 collective code for a group of languages" in info.note
        assert "family, glottocode and resource class are unknown" in info.note
        assert f"`languages: {{xxx_Latn: {code}}}`" in info.note
    assert "(Nahuatl languages)" in meta.info("nah_Latn").note
    assert "(Otomian languages)" in meta.info("oto_Latn").note


@pytest.mark.parametrize("code", AMERICASNLI)
def test_no_americasnli_language_has_an_unknown_family_without_a_note(code):
    info = meta.info(canonical(code))
    assert info.family != meta.UNKNOWN or info.note
    assert (info.note is not None) == (code in ("nah", "oto"))


@pytest.mark.parametrize(
    ("code", "individual"),
    [("zh", "zho_Hans"), ("ar", "arb_Arab"), ("ms", "zsm_Latn"), ("qu", "quy_Latn"), ("gn", "gug_Latn")],
)
def test_macrolanguages_the_aliases_table_resolves_need_no_note(code, individual):
    assert canonical(code) == individual
    assert meta.info(individual).note is None and meta.info(individual).family != meta.UNKNOWN


def test_a_macrolanguage_glottolog_does_not_list_gets_its_members_family_and_a_note():
    info = meta.info("mlg_Latn")
    assert info.glottocode is None
    assert info.family == "Austronesian"  # every Malagasy individual language Glottolog lists is Austronesian
    assert "'mlg' is a macrolanguage code (Malagasy) for 11 individual languages (bhr, bmm, bzc, msh, plt, ...)" in (
        info.note
    )
    assert "glottocode and resource class are unknown" in info.note
    s = scope("kok_Deva")
    assert (s.kind, s.members) == ("macrolanguage", ("gom", "knn"))
    assert scope("deu_Latn") is None and scope("nah_Latn").kind == "collection"


def test_a_special_code_is_told_too():
    assert "a special code (Multiple languages), not a language" in meta.info("mul_Latn").note


def test_each_code_is_told_once(caplog):
    with caplog.at_level(logging.WARNING, logger="xling"):
        assert set(meta.tell_once(["nah_Latn", "deu_Latn", "oto_Latn"])) == {"nah_Latn", "oto_Latn"}
        assert set(meta.tell_once(["nah_Latn"])) == {"nah_Latn"}
    told = [r.getMessage() for r in caplog.records]
    assert len(told) == 2 and told[0].startswith("xling: language nah_Latn: 'nah' is an ISO 639-5 collective code")


TASK = """\
name: nahuatl-topics
description: a task keyed by a collective code
kind: classification
metric: accuracy
languages: {eng_Latn: eng, nah: nah}
source_language: eng_Latn
eval_split: test
train_split: train
fields: {text: text}
gold: label
creation: written-for-xling
licence: CC0-1.0
local: {root: task-file, format: tsv, path: "{lang}/{split}.tsv"}
"""


def test_a_run_tells_the_collective_code_before_the_model_loads_and_records_it(tmp_path, monkeypatch, caplog):
    for lang in ("eng", "nah"):
        (tmp_path / lang).mkdir()
        for split in ("train", "test"):
            rows = [f"{label}\t{lang} {label} {i}" for label in ("a", "b") for i in range(3)]
            (tmp_path / lang / f"{split}.tsv").write_text("label\ttext\n" + "\n".join(rows) + "\n", "utf-8")
    (tmp_path / "task.yaml").write_text(TASK, encoding="utf-8")
    loaded = []
    monkeypatch.setattr(
        xling.run.runner, "load_model", lambda spec, options=None: loaded.append(spec) or TrigramBackend()
    )
    told_before_load = []

    class Watch(logging.Handler):
        def emit(self, record):
            if "collective code" in record.getMessage():
                told_before_load.append(not loaded)

    watch = Watch()
    logging.getLogger("xling").addHandler(watch)
    try:
        res = evaluate("trigram", task_files=[tmp_path / "task.yaml"], output=tmp_path / "r")
    finally:
        logging.getLogger("xling").removeHandler(watch)
    assert told_before_load == [True]
    saved = json.loads((tmp_path / "r" / "results.json").read_text("utf-8"))
    (nah,) = [m for m in saved["analyses"]["languages"]["metadata"] if m["code"] == "nah_Latn"]
    assert nah["family"] == "unknown" and "collective code" in nah["note"]
    assert res.data["analyses"]["languages"]["metadata"][0]["note"] is None
    report = (tmp_path / "r" / "report.md").read_text("utf-8")
    assert "- nah_Latn: 'nah' is an ISO 639-5 collective code" in report
