"""The catalog's listing for `xling tasks`: one row per task (name, kind, metric, languages, how
its items were made, licence), taken from the validated specs and kept in
``$XLING_CACHE_DIR/catalog.json`` under the size and mtime of every catalog file and of
the spec model, so listing an unchanged catalog reads one small file and imports no validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..calls.cache_dir import cache_dir
from ..replacing import replacing
from .catalog_files import catalog_files

SPEC_MODEL = Path(__file__).resolve().parent / "spec.py"  # its defaults fill the rows too
ROW_FIELDS = ("name", "kind", "metric", "languages", "creation", "licence")


def _stamps(files: list[Path]) -> dict[str, list[int]]:
    out = {}
    for p in files:
        st = p.stat()
        out[p.name] = [st.st_size, st.st_mtime_ns]
    return out


def _row(spec: Any) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "metric": spec.metric,
        "languages": list(spec.languages),
        "creation": spec.creation,
        "licence": spec.licence,
    }


def _well_formed(rows: object) -> bool:
    return isinstance(rows, list) and all(
        isinstance(r, dict)
        and set(r) == set(ROW_FIELDS)
        and all(isinstance(r[f], str) for f in ROW_FIELDS if f != "languages")
        and isinstance(r["languages"], list)
        and all(isinstance(code, str) for code in r["languages"])
        for r in rows
    )


def index_path() -> Path:
    return cache_dir() / "catalog.json"


def catalog_rows() -> list[dict[str, Any]]:
    """One listing row per catalog task, in file-name order; a kept listing whose stamps match,
    else one built from the specs (and kept; a cache that cannot be written only costs speed)."""
    stamps = _stamps([*catalog_files(), SPEC_MODEL])
    path = index_path()
    try:
        kept = json.loads(path.read_text("utf-8"))
        if isinstance(kept, dict) and kept.get("files") == stamps and _well_formed(kept.get("rows")):
            return kept["rows"]
    except (OSError, ValueError):
        pass
    from .lookup import list_tasks

    rows = [_row(task.spec) for task in list_tasks()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as tmp:
            tmp.write_text(json.dumps({"files": stamps, "rows": rows}, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass  # a cache that cannot be written only costs speed
    return rows
