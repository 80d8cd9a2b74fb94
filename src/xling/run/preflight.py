"""Before the first model call: every item the run's units will read is read once, streaming.

A bad row anywhere (a duplicate id, a label outside ``labels``, a missing column) then stops the
run before any model call, not when its unit comes up after an hour of scoring the others (or is
counted under ``--skip-bad-rows``). The same pass counts, per unit with a fitted head, the test
items whose gold label the head's training items never hold: the head cannot predict them, so
they stay in the score, counted wrong, and the run says so before it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..kinds import RunConfig, WorkerKinds
from ..kinds.base import Read
from ..tasks import Task
from ..tasks.unseen import describe, unseen_labels, unwinnable_record
from ..types import Unit

log = logging.getLogger(__name__)


def read_labels(task: Task, read: Read, config: RunConfig) -> list[str | None]:
    """The gold label of every item ``read`` yields under the run's limits (None where the gold is
    not a label); a bad row raises (or is counted) as when the unit reads it."""
    limit = config.train_limit if read.training else config.limit
    if limit is None:
        items: Iterable = task.iter_items(read.language, read.split)
    else:
        items = task.limited_items(read.language, read.split, limit, config.limit_mode, config.seed)
    labels = [str(it.gold) if isinstance(it.gold, str | int) else None for it in items]
    if read.head is not None:
        labels = labels[: int(len(labels) * read.head)]
    return labels[: read.first] if read.first is not None else labels


def preflight(task_list: list[Task], kinds: WorkerKinds, units: list[tuple[Task, Unit]], config: RunConfig) -> dict:
    """Read every item the units will read; per task name, the units whose test items hold labels
    their head never saw in training (each also logged as a warning)."""
    out: dict[str, list[dict]] = {}
    for task in task_list:
        kind = kinds[task]
        mine = [u for t, u in units if t is task]
        trained = {u: kind.trained_on(task, u) for u in mine}
        labels = {read: read_labels(task, read, config) for read in dict.fromkeys(kind.reads(task, mine))}
        for unit in mine:
            if trained[unit] is None:
                continue
            tested = labels[Read(unit.language, task.spec.eval_split)]
            unseen = unseen_labels(labels[trained[unit]], tested)
            if unseen:
                split, where = task.spec.eval_split, (trained[unit].language, trained[unit].split)
                record = unwinnable_record(unit.setting, unit.language, split, where, len(tested), unseen)
                log.warning("xling: %s", describe(task.name, record))
                out.setdefault(task.name, []).append(record)
    return out
