"""The command line: ``xling run | tasks | models | report | compare | leaderboard | export | diagnose``."""

from . import catalog, judge, leaderboard, report, run  # noqa: F401  (each module adds its commands to the group)
from .console import err, out
from .diagnose import diagnose
from .group import main

main.add_command(diagnose)

__all__ = ["err", "main", "out"]
