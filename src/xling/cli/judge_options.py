"""``xling run`` options for the LLM judge of judged tasks (``mt_bench_x``)."""

from __future__ import annotations

import click

JUDGE_OPTIONS = ("judge", "judge_option", "judge_language", "judge_mode")


JUDGE_OPTION = click.option(
    "--judge-option", multiple=True, metavar="KEY=VALUE", help="Judge backend option (repeatable)."
)
JUDGE_LANGUAGE = click.option(
    "--judge-language",
    type=click.Choice(["en", "native"]),
    help="Judge prompts in English or in each item's language (default en).",
)


def judge_options(f):
    """Decorate a click command with the judge options (read back with :func:`judge_from_cli`)."""
    opts = [
        click.option(
            "--judge",
            metavar="SPEC",
            help="LLM judge of judged tasks: any generate-capable model, e.g. oai-chat:http://127.0.0.1:8080/v1#gemma.",
        ),
        JUDGE_OPTION,
        JUDGE_LANGUAGE,
        click.option(
            "--judge-mode",
            type=click.Choice(["single", "rubric"]),
            help="single: answers rated 1-10 (MT-Bench, default); rubric: 1-5 against a rubric and a reference.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def judge_from_cli(kwargs: dict) -> dict | None:
    """Pop the judge options out of a command's kwargs -> ``evaluate(judge=...)`` (None if none given)."""
    from ..models.registry import parse_options

    values = {k: kwargs.pop(k, None) for k in JUDGE_OPTIONS}
    out = {
        "spec": values["judge"],
        "options": parse_options(values["judge_option"]) if values["judge_option"] else None,
        "language": values["judge_language"],
        "mode": values["judge_mode"],
    }
    out = {k: v for k, v in out.items() if v is not None}
    return out or None
