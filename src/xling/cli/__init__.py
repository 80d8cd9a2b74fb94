"""The command line: ``xling run | tasks | suites | models | report | compare | judge | diagnose |
prompt-words | leaderboard | export``.

Each command's module is imported when the command is used (``group.COMMANDS``).
"""

from .console import err, out
from .group import main

__all__ = ["err", "main", "out"]
