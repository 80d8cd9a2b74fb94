"""The ``FILL-ME`` placeholder `xling init` writes where it cannot tell a value: a task file that
still holds one does not load."""

from __future__ import annotations

from typing import Any

FILL_ME = "FILL-ME"


def placeholders(raw: Any, loc: tuple = ()) -> list[tuple]:
    """The key paths (keys and list indices) of every ``FILL-ME`` value or key in ``raw``, in order."""
    if isinstance(raw, dict):
        found: list[tuple] = []
        for key, value in raw.items():
            if isinstance(key, str) and key.startswith(FILL_ME):
                found.append((*loc, key))
            found += placeholders(value, (*loc, key))
        return found
    if isinstance(raw, list):
        return [p for i, value in enumerate(raw) for p in placeholders(value, (*loc, i))]
    return [loc] if isinstance(raw, str) and FILL_ME in raw else []
