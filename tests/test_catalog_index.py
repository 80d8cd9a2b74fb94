"""`xling tasks` lists the catalog from a kept listing while no catalog file (nor the spec model)
changed, and from the validated specs otherwise; a damaged listing is rebuilt, never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from xling.tasks import list_tasks
from xling.tasks.catalog_index import catalog_rows, index_path


def _from_specs() -> list[dict]:
    return [
        {
            "name": t.spec.name,
            "kind": t.spec.kind,
            "metric": t.spec.metric,
            "languages": list(t.spec.languages),
            "creation": t.spec.creation,
            "licence": t.spec.licence,
        }
        for t in list_tasks()
    ]


def _doctored(kept: dict) -> dict:
    rows = [dict(r) for r in kept["rows"]]
    rows[0]["kind"] = "doctored"
    return {**kept, "rows": rows}


def test_rows_are_the_specs_and_are_kept():
    assert not index_path().exists()
    rows = catalog_rows()
    assert rows == _from_specs()
    assert len(rows) == len(list_tasks()) > 40
    kept = json.loads(index_path().read_text("utf-8"))
    assert kept["rows"] == rows and "spec.py" in kept["files"] and "xcopa.yaml" in kept["files"]
    index_path().write_text(json.dumps(_doctored(kept)), "utf-8")
    assert catalog_rows()[0]["kind"] == "doctored"  # read back, not rebuilt


@pytest.mark.parametrize(
    "damage",
    [
        lambda kept: {**_doctored(kept), "files": {**kept["files"], "xcopa.yaml": [1, 2]}},  # a file changed
        lambda kept: {**_doctored(kept), "files": {k: v for k, v in kept["files"].items() if k != "spec.py"}},
        lambda kept: {**kept, "rows": [{**kept["rows"][0], "languages": "eng_Latn"}, *kept["rows"][1:]]},
        lambda kept: {**kept, "rows": [{k: v for k, v in kept["rows"][0].items() if k != "licence"}]},
        lambda kept: {**kept, "rows": {"not": "a list"}},
        lambda kept: [kept],
    ],
)
def test_a_stale_or_damaged_listing_is_rebuilt(damage):
    catalog_rows()
    kept = json.loads(index_path().read_text("utf-8"))
    index_path().write_text(json.dumps(damage(kept)), "utf-8")
    assert catalog_rows() == _from_specs()
    assert json.loads(index_path().read_text("utf-8")) == kept


def test_unreadable_or_unwritable_listing_costs_only_speed(monkeypatch, tmp_path):
    catalog_rows()
    index_path().write_bytes(b"\x00{not json")
    assert catalog_rows() == _from_specs()
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.setenv("XLING_CACHE_DIR", str(blocked / "cache"))  # a folder under a file
    assert catalog_rows() == _from_specs()
    assert not list(tmp_path.glob("**/*.tmp"))


def test_listing_a_kept_catalog_imports_no_validator(tmp_path):
    code = (
        "import sys, json, contextlib, io\n"
        "from xling.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try: main(['tasks', '--kind', 'qa'], standalone_mode=False)\n"
        "    except SystemExit: pass\n"
        "print(json.dumps([sorted(sys.modules), out.getvalue()]))\n"
    )
    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path)}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            ).stdout.splitlines()[-1]
        )
        for _ in range(2)
    ]
    assert "pydantic" in runs[0][0] and "xling.tasks.spec" in runs[0][0]  # the first listing validates
    assert not {m for m in runs[1][0] if m.split(".")[0] == "pydantic" or m == "xling.tasks.spec"}
    assert runs[0][1] == runs[1][1] and "mlqa-gxlt" in runs[1][1] and "xnli" not in runs[1][1]
