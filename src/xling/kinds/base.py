"""The kind interface and the context a unit runs in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..models.base import Backend, Capability
from ..tasks import Task, provenance
from ..types import Item, Prediction, Unit
from .config import DEFAULT_BATCH_SIZE, RunConfig


@dataclass
class RunContext:
    """What a unit may use: the backend, cached clients, the run's configuration, shared memos.

    Kinds call models through cached clients (``client`` for embeddings) built on ``cache`` and
    report to the shared ``stats``; ``memo`` holds anything computed once per run (items, heads).
    """

    backend: Backend
    cache: Any  # ResponseCache
    client: Any  # EmbedClient: cached, deduplicated, length-sorted embedding calls
    stats: Any  # CallStats shared by every client of the run
    config: RunConfig = field(default_factory=RunConfig)
    on_progress: Callable[[int], None] | None = None
    memo: dict = field(default_factory=dict)
    _remembered: dict = field(default_factory=dict, repr=False)

    @property
    def limit(self) -> int | None:
        return self.config.limit

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def batch_size(self) -> int:
        return self.config.batch_size or DEFAULT_BATCH_SIZE

    @property
    def allow_partial_training(self) -> bool:
        return self.config.allow_partial_training

    def lm(self):
        """The run's cached language-model client (``LMClient``: ``loglik`` and ``generate``)."""
        if "lm_client" not in self.memo:
            from ..calls.lm import LMClient

            self.memo["lm_client"] = LMClient(
                self.backend, self.cache, self.stats, batch_size=self.config.batch_size, on_progress=self.on_progress
            )
        return self.memo["lm_client"]

    def items(self, task: Task, language: str, split: str) -> list[Item]:
        """Evaluation items of a task/language/split (``--limit`` of them, chosen as
        ``--limit-mode`` says), read once per run."""
        return self._items(task, language, split, self.limit)

    def train_items(self, task: Task, language: str, split: str) -> list[Item]:
        """Training items (for heads and fine-tuning): ``--train-limit`` of them, chosen as
        ``--limit-mode`` says (``--limit`` does not apply)."""
        return self._items(task, language, split, self.config.train_limit)

    def all_items(self, task: Task, language: str, split: str) -> list[Item]:
        """Every item of a task/language/split (e.g. the translations looked up by parallel id)."""
        return self._items(task, language, split, None)

    def _items(self, task: Task, language: str, split: str, limit: int | None) -> list[Item]:
        mode = self.config.limit_mode if limit is not None else None
        return self.remember(
            ("items", task.name, language, split, limit, mode),
            lambda: task.limited_items(language, split, limit, self.config.limit_mode, self.seed),
        )

    def release_items(self, task: str, language: str) -> None:
        """Forget the items of ``task`` in ``language`` read so far (every split and limit): the
        runner calls it after the language's last unit, so a run holds one language's items at a
        time. A later read reads the file again."""
        for key in [k for k in self._remembered if k[:3] == ("items", task, language)]:
            del self._remembered[key]

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


@dataclass(frozen=True)
class Read:
    """Items a unit reads: a language's split, limited by ``--train-limit`` when ``training`` (else
    ``--limit``); ``head``: only that leading fraction of them (a head held out of an eval split),
    ``first``: only the first N of those."""

    language: str
    split: str
    training: bool = False
    head: float | None = None
    first: int | None = None


class Kind(ABC):
    """A task kind. Subclasses register themselves in ``KINDS`` by ``name``."""

    name: ClassVar[str]
    needs: ClassVar[Capability]
    description: ClassVar[str] = ""

    #: The one setting of a kind that runs each language once; a kind with several plans its own units.
    setting: ClassVar[str | None] = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if getattr(cls, "name", None):
            if cls.units is Kind.units and cls.setting is None:
                raise TypeError(f"kind {cls.__name__} ({cls.name}) declares neither a setting nor its own units()")
            KINDS.setdefault(cls.name, []).append(cls)

    def units(self, task: Task, languages: list[str]) -> list[Unit]:
        """The units of work this task has for the requested languages (by default one per
        language, in the kind's ``setting``)."""
        return [Unit(task.name, self.setting, lang) for lang in languages]

    @abstractmethod
    def run(self, unit: Unit, task: Task, ctx: RunContext) -> list[Prediction]:
        """Score every item of one unit."""

    def texts_ahead(self, task: Task, units: list[Unit], ctx: RunContext) -> list[tuple[str, list[str]]]:
        """``(role, texts)`` that ``units`` will embed, for a backend that computes many texts
        together faster than in the units' own calls (see ``Backend.pass_rows``); none by default."""
        return []

    def metrics(self, task: Task) -> list[str]:
        """The metrics reported for this task: its spec's metric first (the one the per-item
        ``score`` column and the transfer gap use), then any others the kind computes; the runner
        adds the task's ``extra_metrics``."""
        return [task.spec.metric]

    def reads(self, task: Task, units: list[Unit]) -> list[Read]:
        """The items the units read, checked before the first model call: each unit's eval split
        (kinds that read more add theirs)."""
        return [Read(u.language, task.spec.eval_split) for u in units]

    def trained_on(self, task: Task, unit: Unit) -> Read | None:
        """The training items whose labels are the only ones the unit can predict (a fitted head), or None."""
        return None

    def source_setting(self, setting: str) -> str | None:
        """The setting whose source-language score is the reference for transfer gaps."""
        return setting

    def recorded(self, task: Task, languages: list[str]) -> dict:
        """What results.json records of how this kind ran the task, beside the task's entry
        (e.g. the judge and the hashes of its prompts); nothing by default."""
        return {}


# A kind name may have one implementation per capability: `classification` runs as a head on
# embeddings for an embedder, as fine-tuning for a fit/predict encoder, as verbalised multiple
# choice for an LLM. The backend's capabilities pick the implementation.
KINDS: dict[str, list[type[Kind]]] = {}
