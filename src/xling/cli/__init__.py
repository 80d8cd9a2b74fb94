"""The command line: ``xling run | tasks | suites | models | report | compare | diagnose``."""

from . import catalog, judge, report, run, suites  # noqa: F401  (each module adds its commands to the group)
from .console import err, out
from .diagnose import diagnose
from .group import main

main.add_command(diagnose)

__all__ = ["err", "main", "out"]
