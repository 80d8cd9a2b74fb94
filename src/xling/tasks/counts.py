"""Item counts per language and split for `xling tasks show`, cached by file identity.

Counting streams records without building items; the result is kept in
``$XLING_CACHE_DIR/counts.json`` (default ``~/.cache/xling``) under the task spec's and the data
file's size and mtime, so a second `show` of a 205-language task answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..calls.cache_dir import cache_dir
from ..errors import UserError
from ..replacing import replacing


def _cache_file() -> Path:
    return cache_dir() / "counts.json"


def _stamp(p: Path) -> str:
    st = p.stat()
    return f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def count_items(task, languages: list[str], split: str) -> dict[str, int | str]:
    """``{language: count}``, or a short reason (``'no file'``) where the split is absent."""
    path = _cache_file()
    try:
        cache = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        cache = {}
    out: dict[str, int | str] = {}
    changed = False
    for lang in languages:
        try:
            if task.uses_hub():
                out[lang] = "on the Hub"
                continue
            files = task.files_for(lang, split)
            key = "|".join([task.name, split, lang, _stamp(task.spec_path), *map(_stamp, files)])
            if key not in cache:
                cache[key] = task.count(lang, split)
                changed = True
            out[lang] = cache[key]
        except UserError:
            out[lang] = "no file"
    if changed:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with replacing(path) as tmp:
                tmp.write_text(json.dumps(cache), encoding="utf-8")
        except OSError:
            pass  # a read-only cache only costs speed
    return out
