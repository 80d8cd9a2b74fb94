"""A suite's aggregate over a run's scores, and the languages each task actually covered."""

from __future__ import annotations

from collections import defaultdict

from ..tasks.suite import WEIGHTING, Suite


def suite_summary(
    suite: Suite, scores: list[dict], requested: dict[str, list[str]], primary: dict[str, str], model: str
) -> dict:
    """What results.json records under ``suite``: per task its score (mean over the covered
    languages of the per-language mean over counted settings, on ``primary[task]``), the languages
    requested, present (with a score) and missing; the weighted aggregate over covered tasks."""
    by_lang: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for s in scores:
        task = s["task"]
        if task not in requested or s["metric"] != primary.get(task) or s.get("value") is None:
            continue
        if s["language"] in requested[task] and suite.entry(task).counts(s["setting"]):
            by_lang[task][s["language"]].append(float(s["value"]))
    rows, total, weights = [], 0.0, 0.0
    for entry in suite.tasks:
        asked = requested.get(entry.task, [])
        present = [lang for lang in asked if by_lang[entry.task].get(lang)]
        score = None
        if present:
            per_lang = [sum(v) / len(v) for v in (by_lang[entry.task][lang] for lang in present)]
            score = sum(per_lang) / len(per_lang)
            total += entry.weight * score
            weights += entry.weight
        rows.append(
            {
                "task": entry.task,
                "metric": primary.get(entry.task),
                "weight": entry.weight,
                "settings": entry.settings,
                "score": score,
                "requested": asked,
                "present": present,
                "missing": [lang for lang in asked if lang not in present],
            }
        )
    covered = [r for r in rows if r["score"] is not None]
    gaps = sum(len(r["missing"]) for r in rows)
    coverage = f"{len(covered)} of {len(rows)} tasks covered"
    coverage += f", {gaps} requested language(s) without a score" if gaps else ""
    coverage += f", {len(suite.not_in_catalog)} task(s) not in the catalog" if suite.not_in_catalog else ""
    return {
        "name": suite.name,
        "model": model,
        "weighting": WEIGHTING,
        "protocol": " ".join(suite.protocol.split()),
        "aggregate": total / weights if weights else None,
        "tasks_covered": len(covered),
        "tasks_total": len(rows),
        "complete": len(covered) == len(rows) and not gaps and not suite.not_in_catalog,
        "coverage": coverage,
        "tasks": rows,
        "not_in_catalog": [{"name": a.name, "note": " ".join(a.note.split())} for a in suite.not_in_catalog],
    }
