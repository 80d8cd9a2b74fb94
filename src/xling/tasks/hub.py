"""Loading a task from the Hugging Face Hub through ``datasets`` (pinned revision, streamed).

Used when a task has a ``hub`` source and no local data directory is given. ``$XLING_HUB_MIRROR``
points at a folder laid out like the Hub (``<mirror>/<owner>/<name>/`` holding the repo's files):
then ``datasets`` reads that folder instead of the network, through the same code path. Tests
use it; so can users behind a firewall with a copy of the repos.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import UserError
from .mapping import MappingError, Path_
from .readers import Row

HUB_MIRROR_ENV = "XLING_HUB_MIRROR"


def hub_location(hub) -> tuple[str, str | None]:
    """``(path for datasets.load_dataset, revision)``: the Hub id, or its folder in the mirror."""
    mirror = os.environ.get(HUB_MIRROR_ENV)
    if mirror:
        local = Path(mirror) / hub.id
        if not local.is_dir():
            raise UserError(f"{HUB_MIRROR_ENV}={mirror} has no folder {hub.id}", hint=f"expected {local}")
        return str(local), None  # a local folder has no revisions
    return hub.id, hub.revision


def _holds_label(feat) -> bool:
    """Whether a feature is, or holds at any depth, a ClassLabel."""
    from datasets import ClassLabel

    if isinstance(feat, ClassLabel):
        return True
    if isinstance(feat, dict):
        return any(_holds_label(f) for f in feat.values())
    inner = feat[0] if isinstance(feat, list) and feat else getattr(feat, "feature", None)
    return inner is not None and _holds_label(inner)


def _decode_labels(value: Any, feat) -> Any:
    """``value`` with the ClassLabel ints of ``feat`` (at any depth: TyDi QA's
    ``annotations.yes_no_answer``) turned into their names; negative ints (no label) stay."""
    from datasets import ClassLabel

    if value is None:
        return None
    if isinstance(feat, ClassLabel):
        if isinstance(value, list):
            return [_decode_labels(v, feat) for v in value]
        return feat.int2str(value) if isinstance(value, int) and value >= 0 else value
    if isinstance(feat, dict):
        if isinstance(value, list):
            return [_decode_labels(v, feat) for v in value]
        if isinstance(value, dict):
            return {k: _decode_labels(v, feat[k]) if k in feat else v for k, v in value.items()}
        return value
    inner = feat[0] if isinstance(feat, list) and feat else getattr(feat, "feature", None)
    if inner is None:
        return value
    if isinstance(value, list):
        return [_decode_labels(v, inner) for v in value]
    return _decode_labels(value, inner)  # a sequence of records, stored as a record of lists


def iter_hub_rows(
    hub, language: str, code: str, split: str, *, limit: int | None = None, variant: str | None = None
) -> Iterator[Row]:
    """Rows of one language and split (or union of splits) from the Hub, streamed (reading stops
    at ``limit``)."""
    try:
        import datasets
    except ImportError as exc:
        raise UserError(
            "loading from the Hugging Face Hub needs the 'datasets' package",
            hint="pip install 'xling[hub]', or give --data-dir with a local copy of the release",
        ) from exc
    hub_code = hub.languages.get(language, code)
    pattern = hub.split_configs.get(split, hub.config)
    config = pattern.format(lang=hub_code, language=language, variant=variant or "") if pattern else None
    folder = {}
    if hub.data_dir:
        folder["data_dir"] = hub.data_dir.format(lang=hub_code, language=language, variant=variant or "")
    # a union (train+dev+test) maps part by part; `datasets` concatenates `a+b` splits itself
    hub_split = "+".join(hub.split_map.get(part, part) for part in split.split("+"))
    path, revision = hub_location(hub)
    try:
        ds = datasets.load_dataset(path, config, split=hub_split, revision=revision, streaming=True, **folder)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as exc:
        where = f"folder {folder['data_dir']!r}" if folder else f"config {config!r}"
        raise UserError(
            f"cannot load {hub.id} ({where}, split {hub_split!r}) from the Hugging Face Hub: {exc}",
            hint="offline? pass --data-dir with a local copy of the release (`xling tasks show NAME` shows its layout)",
        ) from exc
    features = getattr(ds, "features", None) or {}
    labels = {name: feat for name, feat in features.items() if _holds_label(feat)}
    flt = None
    if hub.filter:
        start = hub.filter["startswith"].format(lang=hub_code, language=language, code=code)
        flt = (Path_(hub.filter["path"]), start)
    n = 0
    for i, rec in enumerate(ds):
        if flt and not _value(flt[0], rec).startswith(flt[1]):
            continue
        if limit is not None and n >= limit:
            return
        for col, feat in labels.items():
            if col in rec:
                rec[col] = _decode_labels(rec[col], feat)
        n += 1
        yield Row(i + 1, rec)  # line = Hub row number (1-based)


def _value(path: Path_, rec: dict) -> str:
    """The text at ``path`` (nested keys allowed: ``info.language``), empty where the record has none."""
    try:
        return str(path.get(rec))
    except MappingError:
        return ""
