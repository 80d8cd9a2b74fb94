"""Compare runs (models, options, protocols) on the same items, with paired tests.

For every pair of runs and every (task, setting, language) both scored, over the items both
have (same item id): the two scores, their difference with a paired bootstrap CI, and a paired
test — McNemar (mid-p) for 0/1 scores, a paired permutation test otherwise. A metric that is not
a mean of per-item scores (entity F1, token accuracy, Spearman) is recomputed on the shared items
of each run, and on every bootstrap resample and permutation. Holm-Bonferroni runs over every
comparison in the table (one family), and the decision is taken on the adjusted p-value.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..results import Results, _clean
from ..scoring.metrics import METRICS, Metric
from ..scoring.stats import seed_for
from .significance import ALPHA, compare_by_items, compare_by_metric, correct

KEY = ["task", "setting", "language"]
ROW = ("prediction", "gold", "score", "error")  # what a metric reads from an item's row
COMPARE_JSON = "compare.json"
COMPARE_MD = "compare.md"


def run_label(results: Results, taken: set[str]) -> str:
    """A run's model spec with its options, numbered when two runs would share it."""
    model = results.data["run"]["model"]
    opts = model.get("options") or {}
    base = model["spec"] + "".join(f" -o {k}={v}" for k, v in sorted(opts.items()))
    label, i = base, 2
    while label in taken:
        label, i = f"{base}#{i}", i + 1
    taken.add(label)
    return label


def _metrics(results: Results) -> dict[str, Metric]:
    """Task -> the metric its scores and gaps use (a name this version does not know: None)."""
    return {t["name"]: METRICS.get(t.get("metric")) for t in results.data["run"].get("tasks", [])}


def _side(g: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """One run's rows of the merged table under the column names metrics read; the item id pairs
    the two runs' rows as a parallel id pairs two languages'."""
    return g[["item_id", *(f"{c}{suffix}" for c in ROW)]].set_axis(["parallel_id", *ROW], axis=1).reset_index(drop=True)


def compare(runs: list[Results], seed: int = 0, alpha: float = ALPHA, scale: float = 100.0) -> dict:
    """Paired comparison of every pair of runs; ``rows`` carry p, Holm-adjusted p and decision."""
    if len(runs) < 2:
        raise UserError("compare needs at least two run directories", hint="xling compare RUN_A RUN_B [RUN_C ...]")
    taken: set[str] = set()
    labels = [run_label(r, taken) for r in runs]
    frames = []
    for r in runs:
        f = r.predictions()
        frames.append(f.assign(score=f["score"].fillna(0.0)).drop_duplicates(KEY + ["item_id"]))
    metrics = _metrics(runs[0])
    rows = []
    for (i, a), (j, b) in combinations(enumerate(frames), 2):
        merged = a[KEY + ["item_id", *ROW]].merge(
            b[KEY + ["item_id", *ROW]], on=KEY + ["item_id"], suffixes=("_a", "_b")
        )
        for (task, setting, lang), g in merged.groupby(KEY, sort=True):
            if len(g) < 2:
                continue
            rng = seed_for(seed, "compare", labels[i], labels[j], task, setting, lang)
            metric = metrics.get(task)
            row = (
                compare_by_items(g["score_a"].to_numpy(), g["score_b"].to_numpy(), rng, scale)
                if metric is None or metric.mean_of_items
                else compare_by_metric(metric, _side(g, "_a"), _side(g, "_b"), rng)
            )
            rows.append(
                {
                    "run_a": labels[i],
                    "run_b": labels[j],
                    "task": task,
                    "setting": setting,
                    "language": lang,
                    "metric": metric.name if metric else None,
                    "n": len(g),
                    **row,
                }
            )
    if not rows:
        raise UserError(
            "the runs share no scored items (same task, setting, language and item id)",
            hint="compare runs over the same tasks and languages",
        )
    correct(rows, alpha)
    for r in rows:
        r["decision"] = (
            "no significant difference"
            if not r["significant"]
            else f"{r['run_a']} better"
            if r["difference"] > 0
            else f"{r['run_b']} better"
        )
    return {
        "runs": [
            {
                "label": lab,
                "run_dir": str(r.run_dir),
                "run_id": r.data["run"]["run_id"],
                "model": r.data["run"]["model"],
            }
            for lab, r in zip(labels, runs, strict=True)
        ],
        "alpha": alpha,
        "correction": f"Holm-Bonferroni over all {len(rows)} comparisons",
        "tests": "McNemar mid-p for 0/1 per-item scores; paired permutation (9999 resamples) otherwise, "
        "recomputing a metric that is not a mean of per-item scores on each permutation",
        "rows": rows,
    }


def _fmt(v: float) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:.1f}"


def markdown(cmp: dict) -> str:
    lines = ["# xling compare", ""]
    for r in cmp["runs"]:
        lines.append(
            f"- `{r['label']}`: {r['run_dir']} (run `{r['run_id']}`, fingerprint `{r['model']['fingerprint']}`)"
        )
    lines += [
        "",
        f"{cmp['tests']}; {cmp['correction']}; alpha {cmp['alpha']}. Scores 0-100; difference = A − B "
        "with a 95% paired bootstrap CI.",
        "",
        "| A | B | task | setting | language | n | A | B | A − B | 95% CI | test | p | p (Holm) | decision |",
        "|---|---|---|---|---|---:|---:|---:|---:|---|---|---:|---:|---|",
    ]
    for r in cmp["rows"]:
        lines.append(
            f"| {r['run_a']} | {r['run_b']} | {r['task']} | {r['setting'].replace('|', '/')} | {r['language']} | "
            f"{r['n']} | {_fmt(r['score_a'])} | {_fmt(r['score_b'])} | {_fmt(r['difference'])} | "
            f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] | {r['test']} | {r['p_value']:.3g} | "
            f"{r['p_holm']:.3g} | {r['decision']} |"
        )
    return "\n".join(lines) + "\n"


def write(cmp: dict, output: Path) -> tuple[Path, Path]:
    output.mkdir(parents=True, exist_ok=True)
    j = output / COMPARE_JSON
    j.write_text(json.dumps(_clean(cmp), indent=2, ensure_ascii=False), encoding="utf-8")
    m = output / COMPARE_MD
    m.write_text(markdown(cmp), encoding="utf-8")
    return j, m
