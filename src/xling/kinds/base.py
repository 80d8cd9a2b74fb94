"""The kind interface and the context a unit runs in."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import unknown
from ..items import Item
from ..models.base import Capability
from ..store import Prediction, Unit
from ..tasks.registry import Task


@dataclass
class RunContext:
    """What a unit may use: the model client, the run's limit and seed, and shared memos."""

    client: Any  # EmbedClient (and later LLM clients): cached, batched model calls
    limit: int | None
    seed: int
    memo: dict = field(default_factory=dict)

    def items(self, task: Task, language: str, split: str) -> list[Item]:
        """Items of a task/language/split (first ``limit``), read once per run."""
        key = ("items", task.name, language, split)
        if key not in self.memo:
            self.memo[key] = task.items(language, split, self.limit)
        return self.memo[key]


class Kind(ABC):
    """A task kind. Subclasses register themselves in ``KINDS`` by ``name``."""

    name: ClassVar[str]
    needs: ClassVar[Capability]
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if getattr(cls, "name", None):
            KINDS[cls.name] = cls

    @abstractmethod
    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        """The units of work this task has for the requested languages."""

    @abstractmethod
    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        """Score every item of one unit."""

    def source_setting(self, setting: str) -> str | None:
        """The setting whose source-language score is the reference for transfer gaps."""
        return setting


KINDS: dict[str, type[Kind]] = {}


def get_kind(name: str) -> Kind:
    from . import embedding  # noqa: F401  (registers the embedding kinds)

    if name not in KINDS:
        raise unknown("task kind", name, KINDS)
    return KINDS[name]()
