"""``xling init``: a first task YAML from a release's data files."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from ..errors import UserError, unknown
from .console import out
from .group import main


@main.command()
@click.argument("data_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--output", "-o", default="task.yaml", show_default=True, type=click.Path(dir_okay=False), help="The task file."
)
@click.option("--kind", "-k", help="The task's kind, when the columns do not tell it (e.g. sts, classification).")
@click.option("--name", help="The task's name (default: from the output file or the paths).")
@click.option("--force", is_flag=True, help="Overwrite the output file when it exists.")
def init(data_files, output, kind, name, force):
    """Write a first task YAML from a release's data files, to check with `xling tasks show`.

    Reads each file's format (by extension and first lines, compressed too), header and columns,
    the language code in its path (`{lang}`) and the split in its name (`{split}`), then guesses
    the kind from the columns (text/label: classification; premise/hypothesis: pair_classification;
    question/context/answers: extractive_qa; token/tag lines: sequence_labelling). What only a
    person can say is written FILL-ME; the task does not load until none is left.

    \b
    Examples:
      xling init masakhane-news/data/*/test.tsv -o masakhanews.yaml
      xling init nusax/datasets/sentiment/*/test.csv --name nusax
      xling init xnli.en.jsonl xnli.sw.jsonl --kind pair_classification
    """
    from ..tasks.draft import draft
    from ..tasks.spec import KINDS_VOCABULARY

    if kind is not None and kind not in KINDS_VOCABULARY:
        raise unknown("kind", kind, KINDS_VOCABULARY)
    target = Path(output)
    if target.exists() and not force:
        raise UserError(f"{target} exists; it is left as it is", hint="pass --force to overwrite it, or -o OTHER.yaml")
    result = draft([Path(f) for f in data_files], target, kind=kind, name=name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(result.text, encoding="utf-8")
    data_dir = f" --data-dir {result.data_dir}" if result.data_dir else ""
    out.print(f"wrote {escape(str(target))}")
    if result.fill_me:
        out.print(
            f"  fill in: {escape(', '.join(result.fill_me))} (each marked FILL-ME), and review the 'check:' comments"
        )
    else:
        out.print("  review the 'check:' comments")
    out.print(f"  then: xling tasks show {escape(str(target))}{escape(data_dir)}")
