"""``evaluate`` on the real benchmark data, and the predictions of one setting/language."""

from __future__ import annotations

from helpers.cli import SHARED_DATA
from xling import evaluate


def run(tmp_path, tasks, languages, limit, protocol=None, model="scripted", name="run", limit_mode="first", **kw):
    """``evaluate`` of the first ``limit`` items of each file (the tests script answers per item in file order)."""
    return evaluate(
        model,
        tasks=tasks,
        languages=languages,
        limit=limit,
        data_dir=SHARED_DATA,
        output=tmp_path / name,
        protocol=protocol,
        limit_mode=limit_mode,
        **kw,
    )


def preds(res, **where):
    df = res.predictions()
    for k, v in where.items():
        df = df[df[k] == v]
    return df
