"""``xling suites``: the named suites (tasks, languages, how the aggregate weights them)."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from .console import out
from .group import main


@main.command()
@click.argument("action", required=False, type=click.Choice(["show"]))
@click.argument("name", required=False)
def suites(action, name):
    """List the named suites, or `xling suites show NAME` for one suite's tasks and languages.

    \b
    Examples:
      xling suites
      xling suites show xtreme
      xling run --suite llm-core -m hf:gemma3-270m --languages swh_Latn --limit 50
    """
    from ..tasks.suite import WEIGHTING, get_suite, list_suites

    if action == "show":
        if not name:
            raise UserError("`xling suites show` needs a suite name", hint="e.g. xling suites show xtreme")
        show_suite(get_suite(name))
        return
    t = Table(caption=f"aggregate: {WEIGHTING}")
    for col in ("suite", "tasks", "languages", "not in the catalog"):
        t.add_column(col, overflow="fold")
    for s in list_suites():
        missing = s.missing_tasks()
        names = ", ".join(n + (" (missing)" if n in missing else "") for n in s.task_names())
        t.add_row(s.name, names, _languages_text(s), ", ".join(a.name for a in s.not_in_catalog) or "–")
    out.print(t)


def _languages_text(suite) -> str:
    if suite.languages:
        return f"{len(suite.languages)} (pool)"
    own = [e for e in suite.tasks if e.languages]
    return "each task's own" + (f"; {len(own)} task(s) restricted" if own else "")


def show_suite(suite) -> None:
    from ..tasks import get_task
    from ..tasks.suite import WEIGHTING

    out.print(f"[bold]{escape(suite.name)}[/] — {escape(' '.join(suite.description.split()))}")
    if suite.protocol:
        out.print(f"  protocol: {escape(' '.join(suite.protocol.split()))}")
    out.print(f"  aggregate: {escape(WEIGHTING)}")
    if suite.languages:
        out.print(f"  language pool ({len(suite.languages)}): {', '.join(suite.languages)}")
    if suite.citation:
        out.print(f"  citation: {escape(' '.join(suite.citation.split()))}")
    missing = suite.missing_tasks()
    t = Table(title="tasks")
    for col in ("task", "kind", "metric", "weight", "settings counted", "languages"):
        t.add_column(col, overflow="fold")
    for e in suite.tasks:
        if e.task in missing:
            t.add_row(e.task, "[red]not in the catalog[/]", "–", f"{e.weight:g}", "–", "–")
            continue
        task = get_task(e.task)
        langs = suite.requested(e.task, task.languages)
        shown = ", ".join(langs) if len(langs) <= 12 else f"{len(langs)}: {', '.join(langs[:12])}, ..."
        t.add_row(
            e.task,
            task.spec.kind,
            task.spec.metric,
            f"{e.weight:g}",
            ", ".join(e.settings) if e.settings else "all",
            shown,
        )
    out.print(t)
    for a in suite.not_in_catalog:
        out.print(f"  not in the catalog (not in the aggregate): {escape(a.name)}: {escape(' '.join(a.note.split()))}")
    if missing:
        out.print(
            f"[yellow]  {len(missing)} task(s) are not in this catalog yet: {', '.join(missing)}; "
            "`xling run --suite` stops until they are[/]"
        )
