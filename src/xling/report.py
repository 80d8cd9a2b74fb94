"""Reports read results, never models. Markdown here; the HTML report builds on the same tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import languages as L
from .results import Results

REPORT_MD = "report.md"


def score_table(results: Results) -> pd.DataFrame:
    """Scores joined with the transfer gap, one row per (task, setting, language)."""
    df = results.to_pandas()
    if df.empty:
        return df
    gaps = pd.DataFrame(results.data["analyses"]["transfer_gap"])
    if not gaps.empty:
        gaps = gaps.rename(columns={"ci_low": "gap_ci_low", "ci_high": "gap_ci_high", "n": "gap_n"})
        # the gap is computed on a task's primary metric (its spec's), so it joins only those rows
        primary = {t["name"]: t.get("metric") for t in results.data["run"].get("tasks", [])}
        gaps = gaps.assign(metric=[primary.get(t) for t in gaps["task"]])
        df = df.merge(gaps[["task", "setting", "language", "metric", "gap", "gap_ci_low", "gap_ci_high"]],
                      on=["task", "setting", "language", "metric"], how="left")
    else:
        df["gap"] = df["gap_ci_low"] = df["gap_ci_high"] = float("nan")
    df.insert(3, "name", [L.name(c) for c in df["language"]])
    return df


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def fmt_ci(low: float | None, high: float | None) -> str:
    return "–" if low is None or pd.isna(low) else f"[{low:.1f}, {high:.1f}]"


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def markdown(results: Results) -> str:
    """The run as Markdown: per task and setting, a per-language table with CIs and the gap."""
    run = results.data["run"]
    lines = [f"# xling run `{run['run_id']}`", "",
             f"- model: `{run['model']['spec']}` (fingerprint `{run['model']['fingerprint']}`)",
             f"- started {run['started']}, finished {run['finished']}",
             f"- seed {run['seed']}; {run['statistics']['ci']}; scores on a 0-100 scale",
             f"- items with errors: {run['errors']}", ""]
    tasks = {t["name"]: t for t in run["tasks"]}
    table = score_table(results)
    for (task, setting, metric), g in table.groupby(["task", "setting", "metric"], sort=True):
        t = tasks.get(task, {})
        lines += [f"## {_md_escape(task)} — {_md_escape(setting)}" + (f" — {metric}" if metric != t.get("metric", metric) else ""), "",
                  f"{t.get('kind', '')}, metric {metric}, licence {t.get('licence', '?')}, "
                  f"items {t.get('creation', '?')}" + (f"; {t['split_note']}" if t.get("split_note") else ""), "",
                  "| language | name | score | 95% CI | gap to source | gap CI | n | errors |",
                  "|---|---|---:|---|---:|---|---:|---:|"]
        for r in g.sort_values("value", ascending=False).itertuples():
            lines.append(f"| {r.language} | {_md_escape(r.name)} | {fmt(r.value)} | {fmt_ci(r.ci_low, r.ci_high)} | "
                         f"{fmt(r.gap)} | {fmt_ci(r.gap_ci_low, r.gap_ci_high)} | {r.n} | {r.errors} |")
        lines.append("")
    return "\n".join(lines)


def write_markdown(results: Results, path: Path | None = None) -> Path:
    path = Path(path) if path else results.run_dir / REPORT_MD
    path.write_text(markdown(results), encoding="utf-8")
    return path
