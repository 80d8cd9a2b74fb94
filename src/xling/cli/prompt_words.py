"""``xling prompt-words``: each language file's words against the native-written references,
every disagreement, and the languages of the catalog's LLM tasks that have no file."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from .console import out
from .group import main


def uncovered_languages() -> dict[str, list[str]]:
    """Languages of the catalog's prompt-word tasks without a prompt file -> those tasks."""
    from ..prompts import available_languages
    from ..prompts.review import PROMPT_KINDS
    from ..tasks import list_tasks

    have = set(available_languages())
    out_: dict[str, list[str]] = {}
    for task in list_tasks():
        if task.spec.kind in PROMPT_KINDS:
            for lang in task.spec.languages:
                if lang not in have:
                    out_.setdefault(lang, []).append(task.name)
    return dict(sorted(out_.items()))


@main.command("prompt-words")
@click.option("--language", "-l", "languages", multiple=True, help="Only these languages (repeatable).")
@click.pass_context
def prompt_words(ctx, languages):
    """Check the prompt words of every language file against references written by native
    speakers (lighteval's translation literals, CLDR via babel) and list every disagreement.

    Exits 1 when a disagreement has no reason under the file's `review.differs`, or a file's
    `review.status` is not the one its comparisons earn (`checked`: question, answer and yes/no
    words confirmed by a reference).

    \b
    Examples:
      xling prompt-words
      xling prompt-words -l deu_Latn -l spa_Latn
    """
    from ..languages.codes import canonical
    from ..prompts import available_languages, lexicon
    from ..prompts.review import earned_status, findings, word_status

    wanted = [canonical(x) for x in languages] or available_languages()
    t = Table(title="Prompt words per language")
    for col in ("language", "status", "earned", "checked", "disagree", "draft"):
        t.add_column(col)
    problems, rows = 0, []
    for lang in wanted:
        lex = lexicon(lang)
        status = [w["status"] for w in word_status(lex).values()]
        earned = earned_status(lex)
        declared = lex.data.review.status
        mismatch = declared in ("draft", "checked") and declared != earned
        problems += mismatch
        t.add_row(
            lang,
            declared,
            earned + (" (differs from the file)" if mismatch else ""),
            *(str(status.count(s)) for s in ("checked", "disagrees", "draft")),
        )
        rows += [f for f in findings(lex) if not f.agrees]
    out.print(t)
    out.print(f"\nDisagreements with the references: {len(rows)}")
    for f in rows:
        why = f"explained: {f.explained}" if f.explained else "[red]no reason in review.differs[/red]"
        out.print(
            f"  {f.language} {f.key}: xling {escape(repr(f.word))}, {escape(f.source)} {escape(repr(f.reference))}"
            f" — {escape(why) if f.explained else why}"
        )
        problems += not f.explained
    if not languages:
        missing = uncovered_languages()
        out.print(f"\nLanguages of LLM tasks without a prompt file: {len(missing)}")
        for lang, tasks in missing.items():
            out.print(f"  {lang}: {', '.join(tasks)}")
    ctx.exit(1 if problems else 0)
