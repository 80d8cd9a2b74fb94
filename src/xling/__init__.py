"""xling: measure how a model's abilities carry across languages.

``xling.evaluate(model=..., tasks=[...], languages=[...])`` returns a :class:`Results`;
``xling.leaderboard([run_dir, ...])`` ranks finished runs (a DataFrame of standings).
"""

from __future__ import annotations

__all__ = ["Results", "evaluate", "leaderboard"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Imported on first use, so `xling --help` and `xling models` start fast.
    if name == "evaluate":
        from .run.runner import evaluate

        return evaluate
    if name == "leaderboard":
        from .leaderboards import leaderboard

        return leaderboard
    if name == "Results":
        from .results import Results

        return Results
    raise AttributeError(name)
