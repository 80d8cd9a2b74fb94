"""``xling judge --pairwise RUN_A RUN_B``: an LLM judge compares two runs' open-ended answers."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from .console import out
from .group import main
from .judge_options import JUDGE_LANGUAGE, JUDGE_OPTION


@main.command()
@click.option(
    "--pairwise",
    "runs",
    nargs=2,
    required=True,
    type=click.Path(file_okay=False, exists=True),
    metavar="RUN_A RUN_B",
    help="The two run directories whose open-ended answers are compared.",
)
@click.option("--judge", "judge_spec", required=True, metavar="SPEC", help="The judge: a generate-capable model spec.")
@JUDGE_OPTION
@JUDGE_LANGUAGE
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="XLING_DATA_DIR",
    help="Folder with the benchmark releases (questions and judge prompts).",
)
@click.option("--max-tokens", type=click.IntRange(min=1), default=512, show_default=True, help="Per verdict.")
@click.option(
    "--output", type=click.Path(dir_okay=False), help="Where to write the JSON (default RUN_A/pairwise.json)."
)
def judge(runs, judge_spec, judge_option, judge_language, data_dir, max_tokens, output):
    """Judge run A against run B on the items both answered, in both answer orders.

    \b
    Example:
      xling judge --pairwise runs/a runs/b --judge oai-chat:http://127.0.0.1:8080/v1#gemma
    """
    from ..calls.cache import ResponseCache
    from ..diagnostics.pairwise import pairwise
    from ..kinds.llm.judge import Judge
    from ..models.registry import parse_options
    from ..prompts.judging import JudgeOptions
    from ..results import Results, _clean
    from ..tasks import get_task

    run_a, run_b = (Results.load(r) for r in runs)
    names = [t["name"] for t in run_a.data["run"]["tasks"] if t["kind"] == "open_ended"]
    if not names:
        raise UserError(f"run {runs[0]} has no open-ended task")
    tasks = {n: get_task(n, Path(data_dir) if data_dir else None) for n in names}
    options = JudgeOptions.from_dict(
        {"spec": judge_spec, "options": parse_options(judge_option), "language": judge_language}
    )
    cache = ResponseCache()
    try:
        result = pairwise(run_a.predictions(), run_b.predictions(), tasks, Judge(options), cache, max_tokens=max_tokens)
    finally:
        cache.close()
    result["runs"] = {"a": str(runs[0]), "b": str(runs[1])}
    result["judge"] = options.as_config()
    table = Table(title=f"{runs[0]} vs {runs[1]} (judge {judge_spec})", title_justify="left")
    columns = ["task", "language", "turn", "wins", "ties", "losses", "inconsistent", "missing", "win_rate"]
    for c in columns:
        table.add_column(c)
    for row in result["tallies"]:
        table.add_row(*(f"{row[c]:.3f}" if c == "win_rate" else escape(str(row[c])) for c in columns))
    out.print(table)
    path = Path(output) if output else Path(runs[0]) / "pairwise.json"
    path.write_text(json.dumps(_clean(result), indent=2, ensure_ascii=False), encoding="utf-8")
    out.print(f"wrote {path}")
