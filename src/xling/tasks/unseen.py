"""Gold labels a classifier never saw in training (MasakhaNEWS: English has six topics, Hausa
seven): the items that hold them cannot be predicted right by a head fitted on that training
data. They stay in the score, counted wrong; this module counts them and says so."""

from __future__ import annotations

from collections import Counter


def unseen_labels(trained: list[str | None], tested: list[str | None]) -> Counter:
    """Per gold label of ``tested`` that no item of ``trained`` holds: how many items hold it."""
    known = set(trained)
    return Counter(label for label in tested if label is not None and label not in known)


def unwinnable_record(
    setting: str, language: str, split: str, trained_on: tuple[str, str], tested: int, unseen: Counter
) -> dict:
    """What results.json records of one unit's unwinnable items (``trained_on``: the training
    items' language and split; ``tested``: how many test items the unit scores)."""
    n = sum(unseen.values())
    return {
        "setting": setting,
        "language": language,
        "split": split,
        "items": tested,
        "unwinnable": n,
        "labels": dict(unseen.most_common()),
        "trained_on": {"language": trained_on[0], "split": trained_on[1]},
        "ceiling": round(100.0 * (tested - n) / tested, 2),
    }


def describe(task: str, r: dict) -> str:
    """One unit's unwinnable items in words (the run's warning and the report's line)."""
    labels = ", ".join(f"{label} ({n})" for label, n in r["labels"].items())
    t = r["trained_on"]
    return (
        f"{task} ({r['setting']}): {r['language']}: {r['unwinnable']} of {r['items']} {r['split']} items have "
        f"labels the classifier never saw in training ({t['language']} {t['split']}): {labels}; they stay in "
        f"the score, counted wrong (best possible accuracy {r['ceiling']:.1f})"
    )
