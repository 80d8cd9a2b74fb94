"""Which prompt words each language's LLM scores were computed with, and their review status."""

from __future__ import annotations

import re

from ..errors import UserError
from ..models.base import Capability
from ..prompts import lexicon
from ..prompts.review import PROMPT_KINDS, summary

_PROMPT_LANGUAGE = re.compile(r"prompt-(en|native)\b")


def prompt_words_used(units: list[tuple[str, str, str]], kinds: dict[str, object]) -> list[dict]:
    """One row per language and prompt language (``en``: the English file; ``native``: the
    language's own) among ``units`` (task, setting, language) of prompting kinds; ``kinds``: each
    task's kind object as run (only LLM implementations use prompt words)."""
    used: dict[tuple[str, str], set[str]] = {}
    for task, setting, language in units:
        kind = kinds.get(task)
        if kind is None or kind.name not in PROMPT_KINDS or kind.needs not in (Capability.GENERATE, Capability.LOGLIK):
            continue
        m = _PROMPT_LANGUAGE.search(setting)
        used.setdefault((language, m.group(1) if m else "en"), set()).add(task)
    out = []
    for (language, prompt_language), tasks in sorted(used.items()):
        row = {"language": language, "prompt_language": prompt_language, "tasks": sorted(tasks)}
        try:
            out.append(row | summary(lexicon("eng_Latn" if prompt_language == "en" else language)))
        except UserError:
            out.append(row | {"file": None, "status": "none", "sources": [], "option_letters": [], "words": {}})
    return out
