"""The kind interface and the context a unit runs in."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, ClassVar

from .. import provenance
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
    allow_partial_training: bool = False  # fit heads on the items that have model outputs when some failed
    _remembered: dict = field(default_factory=dict, repr=False)

    def lm(self):
        """The run's cached language-model client (``LMClient``: ``loglik`` and ``generate``)."""
        if "lm_client" not in self.memo:
            from ..client_lm import LMClient

            self.memo["lm_client"] = LMClient(self.backend, self.cache, self.stats,
                                              batch_size=self.batch_size, on_progress=self.on_progress)
        return self.memo["lm_client"]

    def items(self, task: Task, language: str, split: str) -> list[Item]:
        """Evaluation items of a task/language/split (the first ``limit``), read once per run."""
        return self._items(task, language, split, self.limit)

    def train_items(self, task: Task, language: str, split: str) -> list[Item]:
        """Training items (for heads and fine-tuning): ``--limit`` does not apply, since the
        first N rows of a file sorted by label would train a one-class model."""
        return self._items(task, language, split, None)

    def _items(self, task: Task, language: str, split: str, limit: int | None) -> list[Item]:
        return self.remember(("items", task.name, language, split, limit), lambda: task.items(language, split, limit))

    def remember(self, key: tuple, make: Callable[[], Any]) -> Any:
        """``make()``, computed once per run; every unit that uses the value is noted as having
        read the data files it was computed from (a resumed run reruns it when they change)."""
        if key not in self._remembered:
            with provenance.recording() as reads:
                value = make()
            self._remembered[key] = (value, reads)
        value, reads = self._remembered[key]
        provenance.replay(reads)
        return value


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

    def metrics(self, task: Task) -> list[str]:
        """The metrics reported for this task: its spec's metric first (the one the per-item
        ``score`` column and the transfer gap use), then any others the kind computes."""
        return [task.spec.metric]

    def source_setting(self, setting: str) -> str | None:
        """The setting whose source-language score is the reference for transfer gaps."""
        return setting


# A kind name may have one implementation per capability: `classification` runs as a head on
# embeddings for an embedder, as fine-tuning for a fit/predict encoder, as verbalised multiple
# choice for an LLM. The backend's capabilities pick the implementation.
KINDS: dict[str, list[type[Kind]]] = {}


def _load_kind_modules() -> None:
    from . import embedding  # noqa: F401  (each module registers its kinds)
    from . import embedding_pairs, embedding_retrieval  # noqa: F401
    from . import finetune  # noqa: F401
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


def make_kind(name: str, backend: Backend, *, model: str = "", task: str = "", protocol=None) -> Kind:
    """The implementation of kind ``name`` for ``backend``, configured with the run's LLM protocol
    options (:class:`xling.protocols.ProtocolOptions` or its dict): ``answer_by`` picks between a
    log-likelihood and a generation implementation; kinds that take options get them, and a kind
    that cannot honour options it was given is an error."""
    from ..protocols import ProtocolOptions

    options = protocol if isinstance(protocol, ProtocolOptions) else ProtocolOptions.from_dict(protocol)
    kind = get_kind(name, backend.capabilities, model=model, task=task, prefer=options.answer_by)
    if hasattr(kind, "configure"):
        kind.configure(options, backend)
    elif not options.is_default() and options != ProtocolOptions(answer_by=options.answer_by):
        raise CapabilityError(
            f"task {task!r} runs as {type(kind).__name__} ({kind.needs}), which takes no protocol, prompt or shots options",
            hint="add --answer-by generate to run it by generation, or drop --protocol/--prompt-language/--shots",
        )
    return kind
