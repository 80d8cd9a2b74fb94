"""What every generation kind records of one model output (the per-item prediction contract).

``record(raw, expected_language)`` -> ``{"output": scored text, "raw": model text,
"output_language": {...}, "thinking_chars": n, "status": "empty"}``: thinking spans removed
(:func:`xling.scoring.answers.strip_thinking`), the language of free text identified
(:func:`xling.languages.identify.output_language`), an empty or whitespace output marked, a
generation that reached its token limit flagged (``max_tokens_hit``). :class:`OutputOptions`
holds the run's options for generations (``--system-prompt``, ``--thinking-markers``,
``--wrong-language-zero``: a zeroed record says ``"zeroed": "wrong language"``). Kinds add their
own fields (the extracted answer, the references, the demonstrations used).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...languages.identify import output_language
from ...scoring.answers import THINKING_MARKERS, strip_thinking
from ..config import RunConfig


@dataclass(frozen=True)
class OutputOptions:
    """The run's options for every generation: the system prompt, the thinking-span markers
    (the defaults and the user's) and whether a wrong-language output scores 0."""

    system_prompt: str | None = None
    markers: tuple[tuple[str, str], ...] = THINKING_MARKERS
    wrong_language_zero: bool = False

    @classmethod
    def of(cls, config: RunConfig) -> OutputOptions:
        p = config.protocol
        return cls(p.system_prompt, THINKING_MARKERS + p.thinking_markers, p.wrong_language_zero)

    def zeroes(self, record: dict) -> bool:
        """Whether ``record`` scores 0 for its language (then it says so: ``zeroed``)."""
        if self.wrong_language_zero and wrong_language(record):
            record["zeroed"] = "wrong language"
            return True
        return False


def record(
    raw: str,
    expected_language: str | None,
    *,
    markers: tuple[tuple[str, str], ...] = THINKING_MARKERS,
    first_line: bool = False,
    max_tokens_hit: bool = False,
) -> dict:
    """The contract fields of one generation; ``expected_language`` None: not free text (no LID);
    ``first_line``: only the first non-empty line is the answer (plain models run on);
    ``max_tokens_hit``: the generation reached its token limit (flagged in the record)."""
    text, thinking = strip_thinking(raw, markers)
    if first_line:
        text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    out: dict = {"output": text, "raw": raw}
    if expected_language is not None:
        out["output_language"] = output_language(text, expected_language)
    if thinking:
        out["thinking_chars"] = thinking
    if max_tokens_hit:
        out["max_tokens_hit"] = True
    if not text.strip():
        out["status"] = "empty"
    return out


def wrong_language(record: dict) -> bool:
    """Whether a record's output was identified as another language than the expected one."""
    return bool((record.get("output_language") or {}).get("wrong_language"))
