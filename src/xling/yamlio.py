"""YAML text of the package's own data files to Python data with libyaml's parser when PyYAML was
built with it (several times faster than the pure-Python one, which matters for listing ~50 catalog
files). Users' files go through ``yaml.safe_load``: libyaml's C parser crashes the interpreter on
deeply nested input, where the pure-Python one raises ``RecursionError``."""

from __future__ import annotations

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_packaged(text: str):
    """``yaml.safe_load(text)`` through the fastest safe loader, for files shipped with xling."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a SafeLoader)
