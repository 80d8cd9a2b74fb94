"""The (task, setting, language, item) cells every model shares, and each model's score on them.

Coverage honesty: a leaderboard compares models only on the items all of them have. A cell
(task, setting, language) whose items a model's run covers exactly keeps the score and CI of that
run's ``results.json``; where a model has more items than the others (another ``--limit``), its
score is recomputed on the shared items and marked ``recomputed``. Rows outside the shared set are
counted in the model's coverage and named in a warning, never averaged in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.compare import run_label
from ..errors import UserError
from ..results import Results
from ..scoring.metrics import METRICS, Metric

KEY = ["task", "setting", "language"]
ITEM = [*KEY, "item_id"]
ROW = ["prediction", "gold", "score", "error"]  # what a metric reads from an item's row


@dataclass
class Entry:
    """One model's finished run on the leaderboard."""

    label: str
    results: Results
    frame: pd.DataFrame  # its prediction rows, one per (task, setting, language, item)
    metrics: dict[str, str]  # task -> the metric its scores use

    @property
    def run(self) -> dict:
        return self.results.data["run"]

    def score(self, task: str, setting: str, language: str) -> dict | None:
        metric = self.metrics.get(task)
        for s in self.results.scores:
            if (s["task"], s["setting"], s["language"], s["metric"]) == (task, setting, language, metric):
                return s
        return None


@dataclass
class Cell:
    task: str
    setting: str
    language: str
    metric: str
    item_ids: list[str]


@dataclass
class Shared:
    """The cells every model has, each model's rows there, and what each model has beyond them."""

    entries: list[Entry]
    cells: list[Cell]
    rows: dict[tuple[str, tuple[str, str, str]], pd.DataFrame]  # (label, cell key) -> rows in item order
    coverage: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_entries(runs: list[Results | str | Path], tasks: list[str] | None = None) -> list[Entry]:
    """The runs with their prediction rows (only those of ``tasks`` when given)."""
    if len(runs) < 1:
        raise UserError("a leaderboard needs at least one run directory", hint="xling leaderboard RUN_A RUN_B ...")
    taken: set[str] = set()
    entries = []
    for r in runs:
        res = r if isinstance(r, Results) else Results.load(r)
        frame = res.predictions()
        frame = frame.assign(score=frame["score"].fillna(0.0)).drop_duplicates(ITEM)
        if tasks is not None:
            missing = sorted(set(tasks) - set(frame["task"]))
            if missing:
                raise UserError(
                    f"{res.run_dir} has no scores of {', '.join(missing)}", hint="rank on tasks every run has"
                )
            frame = frame[frame["task"].isin(tasks)]
        metrics = {t["name"]: t.get("metric") for t in res.data["run"].get("tasks", [])}
        entries.append(Entry(run_label(res, taken), res, frame.sort_values(ITEM).reset_index(drop=True), metrics))
    _check_metrics(entries)
    return entries


def _check_metrics(entries: list[Entry]) -> None:
    for task in set().union(*(e.metrics for e in entries)):
        used = {e.metrics[task] for e in entries if task in e.metrics}
        if len(used) > 1:
            raise UserError(
                f"task {task!r} is scored with different metrics in these runs ({', '.join(sorted(map(str, used)))})",
                hint="compare runs made with the same task definition",
            )


def metric_of(name: str | None) -> Metric:
    """The metric of a task (a name this version does not know: the mean of per-item scores)."""
    return METRICS.get(name) or Metric(name or "score", "mean of per-item scores")


def shared_cells(entries: list[Entry]) -> Shared:
    keys = None
    for e in entries:
        mine = e.frame[ITEM]
        keys = mine if keys is None else keys.merge(mine, on=ITEM)
    keys = keys.sort_values(ITEM).reset_index(drop=True)
    if keys.empty:
        raise UserError(
            "these runs share no scored items (same task, setting, language and item id)",
            hint="run the models over the same tasks and languages (xling run --model A --model B ...)",
        )
    shared = Shared(entries, [], {})
    metrics = {t: m for e in entries for t, m in e.metrics.items()}
    for (task, setting, language), g in keys.groupby(KEY, sort=True):
        cell = Cell(task, setting, language, metrics.get(task) or "score", g["item_id"].tolist())
        shared.cells.append(cell)
        for e in entries:
            rows = e.frame.merge(g, on=ITEM)  # the shared items, in the shared order
            shared.rows[(e.label, (task, setting, language))] = rows
    _coverage(shared, keys)
    return shared


def _coverage(shared: Shared, keys: pd.DataFrame) -> None:
    total = len(keys)
    for e in shared.entries:
        extra = e.frame.merge(keys, on=ITEM, how="left", indicator=True)
        extra = extra[extra["_merge"] == "left_only"]
        outside = sorted({(t, s, lang) for t, s, lang in extra[KEY].itertuples(index=False)})
        config = e.run.get("config", {})
        row = {
            "model": e.label,
            "rows": len(e.frame),
            "shared_rows": total,
            "fraction": total / len(e.frame) if len(e.frame) else 0.0,
            "limit": config.get("limit"),
            "languages": sorted(set(e.frame["language"])),
            "cells_beyond_shared": [" · ".join(k) for k in outside],
        }
        shared.coverage.append(row)
        if len(extra):
            langs = sorted({lang for _, _, lang in outside})
            shared.warnings.append(
                f"{e.label}: {len(extra)} of its {len(e.frame)} scored items are not shared by every model "
                f"(run with --limit {config.get('limit') or 'none'}; in {len(outside)} cells, languages "
                f"{', '.join(langs[:12])}{' ...' if len(langs) > 12 else ''}); "
                f"the leaderboard compares only the {total} shared items"
            )


def cell_scores(shared: Shared, seed: int) -> pd.DataFrame:
    """One row per (model, cell): value and CI, from results.json where the model's cell holds
    exactly the shared items, else recomputed on the shared items (``recomputed``)."""
    out = []
    for e in shared.entries:
        sizes = e.frame.groupby(KEY).size()  # the model's items per cell
        for c in shared.cells:
            key = (c.task, c.setting, c.language)
            rows = shared.rows[(e.label, key)]
            stored = e.score(*key)
            if stored is not None and sizes[key] == len(rows):
                value, low, high, recomputed = stored["value"], stored["ci_low"], stored["ci_high"], False
            else:
                est = metric_of(c.metric).estimate(rows, seed, ("leaderboard", *key))
                value, low, high, recomputed = est.value, est.ci_low, est.ci_high, True
            out.append(
                {
                    "model": e.label,
                    "task": c.task,
                    "setting": c.setting,
                    "language": c.language,
                    "metric": c.metric,
                    "n": len(rows),
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "recomputed": recomputed,
                }
            )
    return pd.DataFrame(out)
