"""Results that travel: a run as Parquet files (``xling export``) and in experiment trackers."""

from .parquet import export_run
from .trackers import TRACKERS, log_run

__all__ = ["TRACKERS", "export_run", "log_run"]
