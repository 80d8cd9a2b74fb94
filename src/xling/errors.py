"""Errors that speak to the user: what was given, what exists, how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class XlingError(Exception):
    """Base class of every error xling raises on purpose."""

    exit_code = 1


class UserError(XlingError):
    """Bad input from the user (option, name, file). The CLI exits with code 2, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n  hint: {hint}")


class DataError(UserError):
    """A data or task file is malformed; names the file and line."""

    def __init__(self, path, line: int | None, message: str, *, hint: str | None = None):
        self.path = str(path)
        self.line = line
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}", hint=hint)


class CapabilityError(UserError):
    """A model lacks a capability that a task needs."""


def did_you_mean(given: str, options: Iterable[str], *, limit: int = 3) -> str:
    """A 'did you mean ...?' phrase for the closest options, or '' when none is close."""
    options = list(options)
    close = difflib.get_close_matches(given, options, n=limit, cutoff=0.5)
    if not close:
        low = given.lower()
        close = [o for o in options if low and low in o.lower()][:limit]
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def unknown(what: str, given: str, options: Iterable[str], *, hint: str | None = None) -> UserError:
    """The standard 'unknown X' error with suggestions and the list of what exists."""
    options = sorted(set(options))
    shown = ", ".join(options[:30]) + (f", ... ({len(options)} in all)" if len(options) > 30 else "")
    return UserError(f"unknown {what} {given!r}.{did_you_mean(given, options)} Known: {shown}.", hint=hint)
