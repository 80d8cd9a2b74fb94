"""``xling run`` options for LLM protocols and prompts (kept apart so cli/run.py stays small)."""

from __future__ import annotations

import click

from ..prompts.protocols import ANSWER_BY, PROTOCOLS

PROTOCOL_OPTIONS = (
    "protocol",
    "prompt_language",
    "shots",
    "shot_language",
    "no_chat_template",
    "translator",
    "translator_option",
    "answer_by",
    "system_prompt",
    "thinking_markers",
    "wrong_language_zero",
    "directions",
)


def protocol_options(f):
    """Decorate a click command with the protocol options (read back with :func:`protocol_from_cli`)."""
    opts = [
        click.option(
            "--protocol",
            "-p",
            metavar="NAME[,NAME]",
            help=f"LLM protocols, side by side: {', '.join(PROTOCOLS)} (default direct).",
        ),
        click.option(
            "--prompt-language",
            metavar="en|native[,..]",
            help="Instructions and label words in English or in each item's language (default en; both: en,native).",
        ),
        click.option(
            "--shots", type=int, help="Demonstrations per prompt (default 0); never the test item or its translations."
        ),
        click.option(
            "--shot-language",
            type=click.Choice(["source", "target"]),
            help="Demonstrations from the source language or the item's own (default source).",
        ),
        click.option(
            "--no-chat-template",
            is_flag=True,
            default=None,
            help="Send plain prompts even when the model has a chat template.",
        ),
        click.option(
            "--translator",
            metavar="SPEC",
            help="Translator for translate-test: apertium:spa-eng, any generative model spec, or 'given' (only "
            "the releases' own translations, e.g. IrokoBench's; a task with them reads them whatever the translator).",
        ),
        click.option(
            "--translator-option", multiple=True, metavar="KEY=VALUE", help="Translator backend option (repeatable)."
        ),
        click.option(
            "--answer-by",
            type=click.Choice(list(ANSWER_BY)),
            help="For a model that can do both: multiple choice / classification by log-likelihood or by generation.",
        ),
        click.option(
            "--system-prompt",
            metavar="TEXT",
            help="Generation: the system turn of a chat model (a plain model gets it as the prompt's first "
            "paragraph); recorded in the run config.",
        ),
        click.option(
            "--thinking-markers",
            multiple=True,
            metavar="OPEN,CLOSE",
            help="Generation: remove OPEN...CLOSE spans (a reasoning model's thinking) before scoring, besides "
            "<think>...</think> and the other default markers; their length is stored (repeatable).",
        ),
        click.option(
            "--wrong-language-zero",
            is_flag=True,
            default=None,
            help="Generation: score an output whose identified language is not the expected one as 0 "
            "(default: scored as it is; each score row carries wrong_language_rate either way).",
        ),
        click.option(
            "--directions",
            metavar="SRC->TGT[,..]",
            help="Translation tasks: run these directions instead of the task's, xx standing for each language "
            "(e.g. 'xx->eng_Latn' or 'fra_Latn->xx'; default eng_Latn->xx,xx->eng_Latn).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def protocol_from_cli(kwargs: dict) -> dict | None:
    """Pop the protocol options out of a command's kwargs -> ``evaluate(protocol=...)`` (None if none given)."""
    from ..models.registry import parse_options

    values = {k: kwargs.pop(k, None) for k in PROTOCOL_OPTIONS}
    out = {
        "protocols": values["protocol"],
        "prompt_languages": values["prompt_language"],
        "shots": values["shots"],
        "shot_language": values["shot_language"],
        "chat": "off" if values["no_chat_template"] else None,
        "translator": values["translator"],
        "translator_options": parse_options(values["translator_option"]) if values["translator_option"] else None,
        "answer_by": values["answer_by"],
        "system_prompt": values["system_prompt"],
        "thinking_markers": values["thinking_markers"] or None,
        "wrong_language_zero": values["wrong_language_zero"],
        "directions": values["directions"],
    }
    out = {k: v for k, v in out.items() if v is not None}
    return out or None
