"""The command line's output and error consoles."""

from __future__ import annotations

import sys

from rich.console import Console

# Piped output gets a wide console so tables are not folded into 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)
