"""``xling prompt-words``: each language file's words against the native-written references,
every disagreement, and the languages of the catalog's LLM tasks that have no file."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from .console import out
from .group import main


def task_families(task) -> list[tuple[str, int]]:
    """The prompt families a task's items use, each with the option letters it needs."""
    from ..prompts.templates import family_of

    spec = task.spec
    family = family_of(spec.kind, spec.options, spec.labels)
    choices = spec.fields.get("choices")
    letters = len(choices) if isinstance(choices, list) else 4
    if family == "choice" and "premise" in spec.fields and not getattr(spec.options, "prompt_family", None):
        return [("copa", 2)]  # XCOPA-style items: the question line asks for the cause or the effect
    return [(family, letters if family in ("choice", "choice_cot") else 0)]


def prompt_word_gaps() -> dict[str, dict[str, list[str]]]:
    """Languages of the catalog's prompt-word tasks -> task -> the words its prompts need that the
    language's file lacks (``["no prompt file"]`` without a file); complete languages are left out."""
    from ..errors import UserError
    from ..prompts import available_languages, lexicon
    from ..prompts.review import PROMPT_KINDS, missing_words
    from ..tasks import list_tasks

    have = set(available_languages())
    gaps: dict[str, dict[str, list[str]]] = {}
    for task in list_tasks():
        if task.spec.kind not in PROMPT_KINDS:
            continue
        try:
            families = task_families(task)
        except UserError:
            continue  # a kind without a prompt template here
        for lang in task.spec.languages:
            lacks = ["no prompt file"] if lang not in have else []
            if not lacks:
                lex = lexicon(lang)
                lacks = [k for fam, n in families for k in missing_words(lex, fam, n)]
            if lacks:
                gaps.setdefault(lang, {})[task.name] = list(dict.fromkeys(lacks))
    return dict(sorted(gaps.items()))


def uncovered_languages() -> dict[str, list[str]]:
    """Languages of the catalog's prompt-word tasks without a prompt file -> those tasks."""
    return {
        lang: [t for t, lacks in tasks.items() if lacks == ["no prompt file"]]
        for lang, tasks in prompt_word_gaps().items()
        if any(lacks == ["no prompt file"] for lacks in tasks.values())
    }


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
        gaps = prompt_word_gaps()
        missing = uncovered_languages()
        out.print(f"\nLanguages of LLM tasks without a prompt file: {len(missing)}")
        for lang, tasks in missing.items():
            out.print(f"  {lang}: {', '.join(tasks)}")
        partial = {lang: t for lang, t in gaps.items() if lang not in missing}
        out.print(f"\nLanguages whose file lacks words a task's prompts need: {len(partial)}")
        for lang, tasks in partial.items():
            out.print("  " + lang + ": " + "; ".join(f"{t} ({', '.join(k)})" for t, k in tasks.items()))
    ctx.exit(1 if problems else 0)
