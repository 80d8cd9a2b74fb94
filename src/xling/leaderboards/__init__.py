"""Many models compared on the items they share: standings with CIs, rank intervals, tie groups,
pairwise tests, coverage, a static site and its data files (``xling leaderboard``)."""

from .build import LEADERBOARD_JSON, LEADERBOARD_PARQUET, SCHEMA_VERSION, build, leaderboard, write_data
from .site import SITE_HTML, write_site

__all__ = [
    "LEADERBOARD_JSON",
    "LEADERBOARD_PARQUET",
    "SCHEMA_VERSION",
    "SITE_HTML",
    "build",
    "leaderboard",
    "write_all",
    "write_data",
    "write_site",
]


def write_all(board: dict, output) -> list:
    """The site, ``leaderboard.json`` and ``leaderboard.parquet`` in the folder ``output``."""
    from pathlib import Path

    output = Path(output)
    return [write_site(board, output), *write_data(board, output)]
