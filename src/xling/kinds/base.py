"""The kind interface and the context a unit runs in."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, ClassVar

from ..errors import CapabilityError, unknown
from ..items import Item
from ..models.base import Backend, Capability
from ..store import Prediction, Unit
from ..tasks.registry import Task


@dataclass
class RunContext:
    """What a unit may use: the backend, cached clients, the run's limit and seed, shared memos.

    Kinds call models through cached clients (``client`` for embeddings) built on ``cache`` and
    report to the shared ``stats``; ``memo`` holds anything computed once per run (items, heads).
    """

    backend: Backend
    cache: Any  # ResponseCache
    client: Any  # EmbedClient: cached, deduplicated, length-sorted embedding calls
    stats: Any  # CallStats shared by every client of the run
    limit: int | None
    seed: int
    batch_size: int = 32
    on_progress: Callable[[int], None] | None = None
    memo: dict = field(default_factory=dict)

    def lm(self):
        """The run's cached language-model client (``LMClient``: ``loglik`` and ``generate``)."""
        if "lm_client" not in self.memo:
            from ..client_lm import LMClient

            self.memo["lm_client"] = LMClient(self.backend, self.cache, self.stats,
                                              batch_size=self.batch_size, on_progress=self.on_progress)
        return self.memo["lm_client"]

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
            KINDS.setdefault(cls.name, []).append(cls)

    @abstractmethod
    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        """The units of work this task has for the requested languages."""

    @abstractmethod
    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        """Score every item of one unit."""

    def source_setting(self, setting: str) -> str | None:
        """The setting whose source-language score is the reference for transfer gaps."""
        return setting


# A kind name may have one implementation per capability: `classification` runs as a head on
# embeddings for an embedder, as fine-tuning for a fit/predict encoder, as verbalised multiple
# choice for an LLM. The backend's capabilities pick the implementation.
KINDS: dict[str, list[type[Kind]]] = {}


def _load_kind_modules() -> None:
    from . import embedding  # noqa: F401  (each module registers its kinds)
    from . import loglik_choice  # noqa: F401
    from . import generation  # noqa: F401


def get_kind(name: str, capabilities: frozenset[Capability] | None = None, *, model: str = "", task: str = "",
             prefer: str | None = None) -> Kind:
    """The implementation of kind ``name`` for a model with ``capabilities`` (any, when None);
    ``prefer`` (a capability, e.g. ``generate``) picks among several the model could run."""
    _load_kind_modules()
    if name not in KINDS:
        raise unknown("task kind", name, KINDS)
    impls = KINDS[name]
    if capabilities is None:
        return impls[0]()
    if prefer:
        for cls in impls:
            if cls.needs == prefer and cls.needs in capabilities:
                return cls()
    for cls in impls:
        if cls.needs in capabilities:
            return cls()
    needs = " or ".join(sorted({c.needs for c in impls}))
    have = ", ".join(sorted(capabilities)) or "nothing"
    raise CapabilityError(
        f"model {model!r} cannot run task {task!r} (kind {name}): it needs {needs}; the model offers {have}",
        hint="`xling models` shows which backend offers which capability",
    )
