"""Reports read results, never models. Markdown here; the HTML report builds on the same tables."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd

from ..analysis.consistency import CORRECTNESS_RULES
from ..languages import codes as L
from ..results import Results
from ..tasks.unseen import describe

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
        df = df.merge(
            gaps[["task", "setting", "language", "metric", "gap", "gap_ci_low", "gap_ci_high"]],
            on=["task", "setting", "language", "metric"],
            how="left",
        )
    else:
        df["gap"] = df["gap_ci_low"] = df["gap_ci_high"] = float("nan")
    df.insert(3, "name", [L.name(c) for c in df["language"]])
    return df


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def fmt_ci(low: float | None, high: float | None) -> str:
    return "–" if low is None or pd.isna(low) else f"[{low:.1f}, {high:.1f}]"


def _md_escape(text: str) -> str:
    """Text for a Markdown line or table cell: ``|`` and ``<`` (which could open a table cell or
    an HTML tag) backslash-escaped, everything else as written (``eng->xx`` stays readable)."""
    return str(text).replace("|", "\\|").replace("<", "\\<")


def when(iso: str | None) -> str:
    """An ISO timestamp as ``2026-12-06 14:45:02 UTC``."""
    if not iso:
        return "?"
    t = datetime.fromisoformat(iso)
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if t.tzinfo else t.strftime("%Y-%m-%d %H:%M:%S")


def duration(started: str | None, finished: str | None) -> str:
    """The time from ``started`` to ``finished`` as ``1 h 2 min 3 s`` (``?`` when either is missing)."""
    if not started or not finished:
        return "?"
    seconds = int(round((datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()))
    h, rest = divmod(max(seconds, 0), 3600)
    parts = [f"{h} h"] if h else []
    if h or rest >= 60:
        parts.append(f"{rest // 60} min")
    return " ".join([*parts, f"{rest % 60} s"])


SOURCE_MARK = "source"


def gap_cell(language: str, gap: float | None, source: str | None) -> str:
    """The gap-to-source cell: the gap, ``source`` on the source language's own row."""
    return SOURCE_MARK if language == source else fmt(gap)


def gap_note(rows: pd.DataFrame, source: str | None) -> str | None:
    """Why a table's gap cells are empty (``–``), or None when every target has a gap."""
    targets = rows[rows["language"] != source]
    if source is None or targets.empty or targets["gap"].notna().all():
        return None
    name = f"{L.name(source)} ({source})"
    if not (rows["language"] == source).any() and targets["gap"].isna().all():
        return (
            f"Gap to source is `–`: the source language {name} has no score of its own in this setting or in a "
            "reference setting (e.g. bitext and retrieval score each language by matching it against the source), "
            "so there is no source score to subtract from."
        )
    return f"Gap to source is `–` where a language shares no score with the source language {name}."


# Columns the score rows of generation tasks carry: (column, header, how a value is shown)
GENERATION_COLUMNS = (
    ("wrong_language_rate", "wrong language", lambda v: f"{100 * v:.1f}%"),
    ("max_tokens_hit", "max tokens hit", lambda v: str(int(v))),
)


# ... and those of mining metrics: the threshold of the mined pairs and where it was chosen
MINING_COLUMNS = (
    ("threshold", "threshold", lambda v: f"{v:.4f}"),
    ("threshold_from", "threshold from", str),
)


def extra_columns(rows: pd.DataFrame) -> list[tuple]:
    """The generation and mining columns some score row of ``rows`` fills."""
    return [c for c in GENERATION_COLUMNS + MINING_COLUMNS if c[0] in rows and rows[c[0]].notna().any()]


def metric_label(row) -> str:
    """A score row's metric, with the threshold of a mining metric and where it was chosen."""
    where = getattr(row, "threshold_from", None)
    if not isinstance(where, str):
        return row.metric
    threshold = getattr(row, "threshold", None)
    value = "none" if threshold is None or pd.isna(threshold) else f"{threshold:.4f}"
    return f"{row.metric} (threshold {value}, {where})"


def extra_cell(row, column: str, show) -> str:
    value = getattr(row, column)
    return "–" if value is None or (isinstance(value, float) and pd.isna(value)) else show(value)


def markdown(results: Results) -> str:
    """The run as Markdown: per task and setting, a per-language table with CIs and the gap."""
    run = results.data["run"]
    lines = [
        f"# xling run `{run['run_id']}`",
        "",
        f"- model: `{run['model']['spec']}` (fingerprint `{run['model']['fingerprint']}`)",
        f"- ran {when(run['started'])} to {when(run['finished'])} ({duration(run['started'], run['finished'])})",
        f"- seed {run['seed']}; {run['statistics']['ci']}; scores on a 0-100 scale",
        f"- items with errors: {run['errors']}",
        "- gap to source: the source language's score minus the language's (points); the source language's "
        f"row is marked `{SOURCE_MARK}`",
        "",
    ]
    lines += suite_section(results.data.get("suite"))
    tasks = {t["name"]: t for t in run["tasks"]}
    table = score_table(results)
    for (task, setting, metric), g in table.groupby(["task", "setting", "metric"], sort=True):
        t = tasks.get(task, {})
        extra = extra_columns(g)
        lines += [
            f"## {_md_escape(task)} — {_md_escape(setting)}"
            + (f" — {metric}" if metric != t.get("metric", metric) else ""),
            "",
            f"{t.get('kind', '')}, metric {metric}, licence {t.get('licence', '?')}, "
            f"items {t.get('creation', '?')}" + (f"; {t['split_note']}" if t.get("split_note") else ""),
            "",
            "| language | name | score | 95% CI | gap to source | gap CI | n | errors |"
            + "".join(f" {header} |" for _, header, _ in extra),
            "|---|---|---:|---|---:|---|---:|---:|" + "---:|" * len(extra),
        ]
        source = t.get("source_language")
        for r in g.sort_values("value", ascending=False).itertuples():
            lines.append(
                f"| {r.language} | {_md_escape(r.name)} | {fmt(r.value)} | {fmt_ci(r.ci_low, r.ci_high)} | "
                f"{gap_cell(r.language, r.gap, source)} | {fmt_ci(r.gap_ci_low, r.gap_ci_high)} | {r.n} | {r.errors} |"
                + "".join(f" {_md_escape(extra_cell(r, col, show))} |" for col, _, show in extra)
            )
        note = gap_note(g, source)
        lines += ["", note] if note else []
        lines.append("")
    lines += unseen_labels_section(run["tasks"])
    summary, appendix = _markdown_analyses(results)
    prompt_words = _markdown_prompt_words(results.data["run"].get("prompt_words", []))
    return "\n".join(lines + summary + prompt_words + appendix)


def unseen_labels_section(tasks: list[dict]) -> list[str]:
    """The test items whose gold label the head's training items never hold, per task and unit."""
    rows = [(t["name"], r) for t in tasks for r in t.get("unseen_labels", [])]
    if not rows:
        return []
    return [
        "## Labels the classifier never saw in training",
        "",
        *(f"- {_md_escape(describe(name, r))}" for name, r in rows),
        "",
    ]


def suite_section(suite: dict | None) -> list[str]:
    """The suite's aggregate, how it was weighted, and per task the languages requested and covered."""
    if not suite:
        return []
    lines = [
        f"## Suite {_md_escape(suite['name'])}: {fmt(suite['aggregate'])}"
        + ("" if suite.get("complete") else f" (partial: {suite['coverage']})"),
        "",
        f"Model `{suite['model']}`. Aggregate: {suite['weighting']}.",
        "",
    ]
    if suite.get("protocol"):
        lines += [f"Protocol: {_md_escape(suite['protocol'])}", ""]
    lines += [
        "| task | metric | weight | score | languages present / requested | missing |",
        "|---|---|---:|---:|---|---|",
    ]
    for t in suite["tasks"]:
        missing = ", ".join(t["missing"]) if t["missing"] else "–"
        lines.append(
            f"| {_md_escape(t['task'])} | {t['metric'] or '?'} | {t['weight']:g} | {fmt(t['score'])} | "
            f"{len(t['present'])} / {len(t['requested'])} | {missing} |"
        )
    lines.append("")
    for a in suite["not_in_catalog"]:
        lines += [f"Not in the catalog, so not in the aggregate: {_md_escape(a['name'])}: {_md_escape(a['note'])}", ""]
    return lines


def _markdown_analyses(results: Results) -> tuple[list[str], list[str]]:
    """Grouped averages, consistency and language metadata (present in runs written by xling >= 0.1);
    and the appendix: cross-lingual consistency per language pair."""
    a = results.data["analyses"]
    lines, appendix = [], []
    grouped = pd.DataFrame(a.get("grouped_averages", []))
    if not grouped.empty:
        lines += [
            "## Grouped averages",
            "",
            "Each group's value is the uniform mean over its languages; the `(all, per …)` row is the uniform "
            "mean over groups.",
            "",
        ]
        for by, g in grouped.groupby("by", sort=False):
            lines += [f"### by {by}", "", "| task | setting | group | mean | languages |", "|---|---|---|---:|---|"]
            for r in g.itertuples():
                lines.append(
                    f"| {_md_escape(r.task)} | {_md_escape(r.setting)} | {_md_escape(r.group)} | {fmt(r.value)} | "
                    f"{', '.join(r.languages)} |"
                )
            lines.append("")
    lines += _markdown_slices(a)
    cons = pd.DataFrame(a.get("consistency", []))
    if not cons.empty:
        lines += [
            "## Cross-lingual consistency",
            "",
            "How often two languages get the same prediction on the same parallel item, summed up over every "
            "language pair (each pair with CIs: [Appendix: language pairs](#appendix-language-pairs), and "
            "report.html). Flips: items correct in one language of a pair and wrong in the other.",
            "",
            "| task | setting | pairs | mean agreement | lowest agreement (pair) | mean kappa | flips |",
            "|---|---|---:|---:|---|---:|---:|",
        ]
        for (task, setting), g in cons.groupby(["task", "setting"], sort=True):
            scored = g.dropna(subset=["agreement"])
            low = scored.loc[scored["agreement"].idxmin()] if not scored.empty else None
            lowest = "–" if low is None else f"{fmt(low['agreement'])} ({low['language_a']} – {low['language_b']})"
            lines.append(
                f"| {_md_escape(task)} | {_md_escape(setting)} | {len(g)} | {fmt(g['agreement'].mean())} | {lowest} | "
                f"{fmt(g['kappa'].mean(), 2)} | {int(g['flips'].sum())} |"
            )
        lines.append("")
        appendix += [
            "## Appendix: language pairs",
            "",
            "Cross-lingual consistency per language pair on shared parallel items: agreement of predictions, "
            "agree-and-correct, Cohen's kappa (95% bootstrap CIs), and flips.",
            "",
            "| task | setting | pair | n | agreement | agree & correct | kappa | flips |",
            "|---|---|---|---:|---|---|---|---:|",
        ]
        for r in cons.itertuples():
            kappa = (
                "–"
                if pd.isna(r.kappa)
                else f"{r.kappa:.2f}"
                + ("" if pd.isna(r.kappa_ci_low) else f" [{r.kappa_ci_low:.2f}, {r.kappa_ci_high:.2f}]")
            )
            appendix.append(
                f"| {_md_escape(r.task)} | {_md_escape(r.setting)} | {r.language_a} – {r.language_b} | {r.n} | "
                f"{fmt(r.agreement)} {fmt_ci(r.agreement_ci_low, r.agreement_ci_high)} | "
                f"{fmt(r.agree_correct)} {fmt_ci(r.agree_correct_ci_low, r.agree_correct_ci_high)} | "
                f"{kappa} | {r.flips} |"
            )
        appendix.append("")
        kinds = {t["name"]: t.get("kind") for t in results.data["run"].get("tasks", [])}
        rules = {t: CORRECTNESS_RULES[k] for t, k in sorted(kinds.items()) if k in CORRECTNESS_RULES}
        if "compared" in cons and rules:
            lines += [
                "Generation tasks are compared on correctness (agreement: both right or both wrong), since free "
                "text in two languages is never the same string:",
                "",
                *(f"- {_md_escape(t)}: an item is correct when {rule}" for t, rule in rules.items()),
                "",
            ]
    for r in a.get("consistency_not_applicable", []):
        lines += [
            f"Cross-lingual consistency does not apply to {_md_escape(r['task'])} ({r['kind']}): "
            f"{_md_escape(r['reason'])}.",
            "",
        ]
    meta = a.get("languages", {})
    if meta.get("metadata"):
        lines += [
            "## Languages",
            "",
            "| code | name | script | family | resource tier (source) |",
            "|---|---|---|---|---|",
        ]
        for m in meta["metadata"]:
            tier = m.get("resource_group", m["tier"]) + (
                f" ({m['resource_source']})" if m.get("resource_source") else ""
            )
            lines.append(
                f"| {m['code']} | {_md_escape(m['name'])} | {m['script']} | {_md_escape(m['family'])} | {tier} |"
            )
        lines += ["", "Sources: " + "; ".join(f"{k}: {v}" for k, v in meta.get("sources", {}).items()), ""]
        lines += [f"- {m['code']}: {_md_escape(m['note'])}" for m in meta["metadata"] if m.get("note")]
        lines += [""] if any(m.get("note") for m in meta["metadata"]) else []
    return lines, appendix


def _markdown_slices(a: dict) -> list[str]:
    """Scores per slice value of item metadata with the gap to the source language, and the mean
    over tasks by how their items were made (when the run has tasks made in more than one way)."""
    lines = []
    gaps = {(g["task"], g["setting"], g["slice"], g["value"], g["language"]): g for g in a.get("slice_gaps", [])}
    if a.get("slices"):
        lines += [
            "## Slices",
            "",
            "Scores on the items of each value of a task's `slices` fields (95% bootstrap CIs) and the gap to the "
            "source language on the same slice, paired over parallel items.",
            "",
            "| task | setting | slice | language | score | n | gap to source |",
            "|---|---|---|---|---|---:|---|",
        ]
        for r in a["slices"]:
            g = gaps.get((r["task"], r["setting"], r["slice"], r["value"], r["language"]))
            gap = "–" if g is None else f"{fmt(g['gap'])} {fmt_ci(g['ci_low'], g['ci_high'])} (n={g['n']})"
            lines.append(
                f"| {_md_escape(r['task'])} | {_md_escape(r['setting'])} | "
                f"{_md_escape(r['slice'])} = {_md_escape(r['value'])} | {r['language']} | "
                f"{fmt(r['score'])} {fmt_ci(r['ci_low'], r['ci_high'])} | {r['n']} | {gap} |"
            )
        lines.append("")
    creation = a.get("by_creation", [])
    if len({r["creation"] for r in creation}) > 1:
        lines += [
            "## By how the items were made",
            "",
            "Uniform mean of each language's task scores over the tasks whose items were made that way.",
            "",
            "| setting | language | creation | mean | tasks |",
            "|---|---|---|---:|---|",
            *(
                f"| {_md_escape(r['setting'])} | {r['language']} | {r['creation']} | {fmt(r['value'])} | "
                f"{', '.join(r['tasks'])} |"
                for r in creation
            ),
            "",
        ]
    return lines


def _word(words: dict, key: str) -> str:
    return f"{_md_escape(words[key]['word'])} ({words[key]['status']})" if key in words else "–"


def _markdown_prompt_words(rows: list[dict]) -> list[str]:
    """The prompt words each language's LLM scores were computed with, and their review status."""
    if not rows:
        return []
    lines = [
        "## Prompt words",
        "",
        "The words each language's prompts were built with (`--prompt-language`: en or native), from "
        "`xling/prompts/data/<file>`, with the file's status and each word's: checked against a reference written "
        "by native speakers (lighteval's translation literals, CLDR), disagrees with one, or draft.",
        "",
        "| language | prompt language | file (status) | question | answer | yes / no | option letters | "
        "words checked / disagree / draft | tasks |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        words = r.get("words", {})
        w = partial(_word, words)
        counts = [sum(v["status"] == s for v in words.values()) for s in ("checked", "disagrees", "draft")]
        lines.append(
            f"| {r['language']} | {r['prompt_language']} | {r['file'] or 'no file'} ({r['status']}) | "
            f"{w('words.question')} | {w('words.answer')} | {w('labels.yes')} / {w('labels.no')} | "
            f"{' '.join(r['option_letters'])} | {' / '.join(map(str, counts))} | {', '.join(r['tasks'])} |"
        )
    return [*lines, ""]


def write_markdown(results: Results, path: Path | None = None) -> Path:
    path = Path(path) if path else results.run_dir / REPORT_MD
    path.write_text(markdown(results), encoding="utf-8")
    return path
