"""Text <-> token conventions every LM backend shares, so backends score the same requests alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def split_continuation(
    encode: Callable[[str, bool], list[int]], context: str, continuation: str, fallback_context: int | None = None
) -> tuple[list[int], list[int]]:
    """(context tokens, continuation tokens), as lm-evaluation-harness does it.

    Trailing spaces of the context move to the continuation; the context is encoded alone (with
    the model's special prefix, e.g. BOS); the continuation is the rest of the encoding of
    context + continuation, so a word split across the boundary is tokenised as in running text
    (or, if that encoding does not start with the context's, the continuation encoded alone).
    ``encode(text, add_special)``; an empty context becomes ``[fallback_context]`` (EOS).
    """
    n_spaces = len(context) - len(context.rstrip(" "))
    if n_spaces:
        context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
    ctx = encode(context, True)
    if not ctx and fallback_context is not None:
        ctx = [fallback_context]
    whole = encode(context + continuation, True)
    if whole[: len(ctx)] == ctx:
        return ctx, whole[len(ctx) :]
    return ctx, encode(continuation, False)


def fit_window(ctx: list[int], n_after: int, window: int) -> tuple[list[int], bool] | None:
    """Cut a context from the left so that it and ``n_after`` more tokens fit ``window``.

    Policy: keep the first token (BOS) and the last tokens; returns (tokens, truncated?), or None
    when the ``n_after`` tokens alone leave no room.
    """
    room = window - n_after
    if room < 1:
        return None
    if len(ctx) <= room:
        return ctx, False
    return (ctx[:1] + ctx[len(ctx) - room + 1 :] if room > 1 else ctx[-1:]), True


def cut_at_stop(text: str, stop: Sequence[str] | None) -> str:
    """``text`` up to the first occurrence of any stop string."""
    cut = len(text)
    for s in stop or ():
        if s:
            j = text.find(s)
            if j != -1:
                cut = min(cut, j)
    return text[:cut]
