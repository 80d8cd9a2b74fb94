"""Generation tasks in the reports: every metric per language with its CI, the wrong-language rate
and the max-tokens-hit count of the score rows, and sample outputs beside their references and
inputs.

A task counts as generation when its predictions follow the generation contract for free text: a
dict holding the scored ``output``, the model's ``raw`` text and the ``output_language`` found in
it (see kinds/llm/generation.py); a label or number extracted from a generation is not free text.
"""

from __future__ import annotations

import json

import pandas as pd

SAMPLES_PER_LANGUAGE = 5  # parallel items shown per language in the sample browser
MAX_SAMPLES = 600  # sample rows in the whole report


def _is_free_text(prediction) -> bool:
    return isinstance(prediction, dict) and {"output", "raw", "output_language"} <= prediction.keys()


def generation_tasks(pred: pd.DataFrame) -> set[str]:
    """Tasks whose scored predictions all follow the generation contract for free text."""
    if pred.empty:
        return set()
    ok = pred[pred["error"].isna()]
    return {task for task, g in ok.groupby("task") if all(_is_free_text(p) for p in g["prediction"])}


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _first(rows: pd.DataFrame, column: str) -> float | None:
    """A column the score rows of one language carry (each metric's row holds the same value)."""
    if column not in rows:
        return None
    values = [v for v in rows[column] if _number(v) is not None]
    return float(values[0]) if values else None


def language_rows(scores: pd.DataFrame) -> list[dict]:
    """One row per language of a (task, setting)'s score rows: ``metrics`` {name: (value, low,
    high)} in the order the run reported them, ``wrong_language_rate`` (0..1 share of judged
    outputs), ``max_tokens_hit`` (generations cut by the token limit), ``n`` and ``errors``;
    the languages sorted by the primary metric, best first."""
    order = list(dict.fromkeys(scores["metric"]))
    rows = []
    for lang, g in scores.groupby("language", sort=False):
        by_metric = {r.metric: (_number(r.value), _number(r.ci_low), _number(r.ci_high)) for r in g.itertuples()}
        hit = _first(g, "max_tokens_hit")
        rows.append(
            {
                "language": lang,
                "metrics": {m: by_metric.get(m, (None, None, None)) for m in order},
                "wrong_language_rate": _first(g, "wrong_language_rate"),
                "max_tokens_hit": None if hit is None else int(hit),
                "n": int(g["n"].iloc[0]),
                "errors": int(g["errors"].iloc[0]),
            }
        )
    primary = order[0]

    def best_first(row: dict) -> tuple[bool, float]:
        value = row["metrics"][primary][0]
        return value is None, -(value or 0.0)

    return sorted(rows, key=best_first)


def references(gold) -> list[str]:
    """The reference texts of a gold: one string, a list, or ``{"references": [...], ...}``."""
    if isinstance(gold, dict) and "references" in gold:
        gold = gold["references"]
    if isinstance(gold, str):
        return [gold]
    if isinstance(gold, list | tuple) and all(isinstance(g, str) for g in gold):
        return list(gold)
    return [json.dumps(gold, ensure_ascii=False)]


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def sample(row, fields: dict) -> dict:
    """What the browser shows of one item: its inputs, output (and the raw generation where it
    differs), references, score and flags."""
    p = row.prediction if isinstance(row.prediction, dict) else {}
    lid = p.get("output_language") or {}
    flags = []
    if row.error is not None and not pd.isna(row.error):
        flags.append(f"error: {row.error}")
    if p.get("status") and p["status"] != "ok":
        flags.append(str(p["status"]))
    if p.get("max_tokens_hit"):
        flags.append("max tokens hit")
    if p.get("thinking_chars"):
        flags.append(f"thinking removed ({p['thinking_chars']} chars)")
    if lid.get("wrong_language"):
        flags.append(f"wrong language: {lid.get('detected')}, expected {lid.get('expected')}")
    output = _text(p.get("output", ""))
    raw = _text(p.get("raw", ""))
    return {
        "language": row.language,
        "item_id": str(row.item_id),
        "parallel_id": str(row.parallel_id),
        "score": None if row.score is None or pd.isna(row.score) else f"{100 * float(row.score):.1f}",
        "detected": lid.get("detected"),
        "wrong_language": bool(lid.get("wrong_language")),
        "flags": flags,
        "fields": [(k, _text(v)) for k, v in fields.items()],
        "output": output,
        "raw": raw if raw != output else None,
        "references": references(row.gold),
    }


def samples(pred: pd.DataFrame, texts: dict, per_language: int = SAMPLES_PER_LANGUAGE) -> list[dict]:
    """The first ``per_language`` parallel items of a (task, setting) in every language, so one
    item can be read across languages; inputs from ``texts`` {(task, language, item_id): fields}."""
    if pred.empty:
        return []
    ids = sorted(set(pred["parallel_id"]), key=str)[:per_language]
    chosen = pred[pred["parallel_id"].isin(ids)].sort_values(["parallel_id", "language"], key=lambda c: c.astype(str))
    return [sample(r, texts.get((r.task, r.language, r.item_id), {})) for r in chosen.itertuples()]


def sections(scores: pd.DataFrame, pred: pd.DataFrame, texts: dict | None = None) -> list[dict]:
    """Per generation (task, setting): ``task``, ``setting``, ``metrics`` (names), ``languages``
    (:func:`language_rows`) and ``samples`` (:func:`samples`, at most :data:`MAX_SAMPLES` in all)."""
    tasks = generation_tasks(pred)
    if scores.empty or not tasks:
        return []
    out, budget = [], MAX_SAMPLES
    for (task, setting), g in scores[scores["task"].isin(tasks)].groupby(["task", "setting"], sort=True):
        unit = pred[(pred["task"] == task) & (pred["setting"] == setting)]
        shown = samples(unit, texts or {})[:budget]
        budget -= len(shown)
        out.append(
            {
                "task": task,
                "setting": setting,
                "metrics": list(dict.fromkeys(g["metric"])),
                "languages": language_rows(g),
                "samples": shown,
            }
        )
    return out
