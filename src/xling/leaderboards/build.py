"""The leaderboard of finished runs: views, standings, pairwise tests, coverage, metadata flags."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..languages import codes as L
from ..languages import meta as langmeta
from ..results import Results, _clean
from . import ranking
from .cells import cell_scores, load_entries, shared_cells
from .metadata import ModelMeta, load_metadata

SCHEMA = "xling-leaderboard"
SCHEMA_VERSION = "1.0"
LEADERBOARD_JSON = "leaderboard.json"
LEADERBOARD_PARQUET = "leaderboard.parquet"
# (dimension, how a cell's group is named); "overall" holds every cell
DIMENSIONS = (
    ("language", lambda c: c.language),
    ("task", lambda c: c.task),
    ("family", lambda c: langmeta.group_of(c.language, "family")),
    ("script", lambda c: langmeta.group_of(c.language, "script")),
    ("resource class", lambda c: langmeta.group_of(c.language, "tier")),
)
STANDING_COLUMNS = [
    "dimension",
    "group",
    "model",
    "score",
    "ci_low",
    "ci_high",
    "rank",
    "rank_low",
    "rank_high",
    "tie_group",
    "seen",
    "n_cells",
    "n_items",
]


def build(
    runs: list[Results | str | Path],
    *,
    metadata: str | Path | dict[str, ModelMeta] | None = None,
    seed: int = 0,
    alpha: float = ranking.ALPHA,
    n_resamples: int = ranking.N_RESAMPLES,
    tasks: list[str] | None = None,
) -> dict:
    """The leaderboard as the JSON document ``leaderboard.json`` holds (schema ``SCHEMA_VERSION``);
    ``tasks``: rank on these tasks only."""
    meta = metadata if isinstance(metadata, dict) else load_metadata(metadata)
    entries = load_entries(runs, tasks)
    shared = shared_cells(entries)
    seen = {e.label: set(meta[e.label].training_datasets) if e.label in meta else set() for e in entries}
    cells = cell_scores(shared, seed)
    cells["seen"] = [t in seen[m] for m, t in zip(cells["model"], cells["task"])]
    rep = ranking.replicates(shared, seed, n_resamples)
    groups = [("overall", "all", list(range(len(shared.cells))))]
    for dim, group_of in DIMENSIONS:
        found: dict[str, list[int]] = {}
        for j, c in enumerate(shared.cells):
            found.setdefault(group_of(c), []).append(j)
        groups += [(dim, g, found[g]) for g in sorted(found)]
    views = []
    with ranking.frozen_heap():
        ranked = [ranking.standings(rep, ranking.view_weights(shared, m), alpha) for _, _, m in groups]
    for (dim, group, members), (rows, pairs) in zip(groups, ranked):
        tasks = sorted({shared.cells[j].task for j in members})
        for r in rows:
            r["seen"] = sorted(seen[r["model"]] & set(tasks))
        views.append(
            {
                "dimension": dim,
                "group": group,
                "title": L.name(group) + f" ({group})" if dim == "language" else group,
                "tasks": tasks,
                "languages": sorted({shared.cells[j].language for j in members}),
                "n_cells": len(members),
                "n_items": sum(len(shared.cells[j].item_ids) for j in members),
                "rows": rows,
                "pairwise": pairs,
            }
        )
    unknown = sorted(set(meta) - {e.label for e in entries})
    warnings = list(shared.warnings)
    if unknown:
        warnings.append(f"model metadata names models not on this leaderboard: {', '.join(unknown)}")
    flagged = sorted({(m, t) for m, t, s in zip(cells["model"], cells["task"], cells["seen"]) if s})
    warnings += [f"{m}: trained on data of {t} (model metadata); its {t} scores are not zero-shot" for m, t in flagged]
    return _clean(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "xling": package_metadata.version("xling"),
            "method": {
                "cells": "only the (task, setting, language, item) rows every model has are compared",
                "aggregate": "A view's score is the mean over its tasks of the mean over each task's cells",
                "bootstrap": f"paired: {n_resamples} resamples of every cell's shared items, the same for "
                "every model; seed " + str(seed),
                "rank_interval": f"{int(100 * ranking.CONFIDENCE)}% percentile interval of a model's rank",
                "test": "two-sided paired bootstrap p-value of each pair's difference",
                "correction": ranking.CORRECTION,
                "alpha": alpha,
                "tie_groups": "in score order, a model starts a new group when it is significantly worse "
                "than the first model of the current group",
            },
            "models": [
                {
                    "label": e.label,
                    "run_dir": str(e.results.run_dir),
                    "run_id": e.run["run_id"],
                    "spec": e.run["model"]["spec"],
                    "fingerprint": e.run["model"].get("fingerprint"),
                    "metadata": meta[e.label].model_dump() if e.label in meta else None,
                    "coverage": cov,
                }
                for e, cov in zip(entries, shared.coverage)
            ],
            "cells": cells.to_dict(orient="records"),
            "views": views,
            "warnings": warnings,
        }
    )


def standings_frame(board: dict) -> pd.DataFrame:
    """One row per (view, model), then one per (cell, model) with dimension ``cell``."""
    rows = [
        {"dimension": v["dimension"], "group": v["group"], "n_cells": v["n_cells"], "n_items": v["n_items"], **r}
        for v in board["views"]
        for r in v["rows"]
    ]
    for c in board["cells"]:
        rows.append(
            {
                "dimension": "cell",
                "group": f"{c['task']} · {c['setting']} · {c['language']}",
                "model": c["model"],
                "score": c["value"],
                "ci_low": c["ci_low"],
                "ci_high": c["ci_high"],
                "seen": [c["task"]] if c["seen"] else [],
                "n_cells": 1,
                "n_items": c["n"],
            }
        )
    frame = pd.DataFrame(rows, columns=STANDING_COLUMNS)
    for col in ("rank", "rank_low", "rank_high", "tie_group"):
        frame[col] = frame[col].astype("Int64")
    return frame


def leaderboard(runs: list[Results | str | Path], **kw) -> pd.DataFrame:
    """The standings of finished runs (paths or :class:`Results`) as a DataFrame; the whole
    leaderboard document is in ``.attrs["leaderboard"]``. Options as :func:`build`."""
    board = build(runs, **kw)
    frame = standings_frame(board)
    frame.attrs["leaderboard"] = board
    return frame


def write_data(board: dict, output: Path) -> list[Path]:
    """``leaderboard.json`` and ``leaderboard.parquet`` (the schema and its version in the file's metadata)."""
    output.mkdir(parents=True, exist_ok=True)
    j = output / LEADERBOARD_JSON
    j.write_text(json.dumps(board, indent=2, ensure_ascii=False), encoding="utf-8")
    table = pa.Table.from_pandas(standings_frame(board), preserve_index=False)
    table = table.replace_schema_metadata(
        {
            **(table.schema.metadata or {}),
            b"xling.schema": SCHEMA.encode(),
            b"xling.schema_version": SCHEMA_VERSION.encode(),
        }
    )
    p = output / LEADERBOARD_PARQUET
    pq.write_table(table, p)
    return [j, p]
