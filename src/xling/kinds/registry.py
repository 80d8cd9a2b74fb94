"""Which implementation of a kind runs for a model: the kind modules register in ``KINDS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import CapabilityError, unknown
from ..models.base import Backend, Capability
from ..prompts.protocols import ProtocolOptions
from ..tasks import Task
from .base import KINDS, Kind
from .config import RunConfig

if TYPE_CHECKING:
    from .llm.translation import InputTranslation

# Where a model could run a kind several ways, the default (without --answer-by) is the first of
# these it offers: trained heads and fine-tuning before log-likelihood, log-likelihood before
# generation.
DEFAULT_ORDER = (
    Capability.EMBED,
    Capability.FIT_PREDICT,
    Capability.LOGLIK,
    Capability.GENERATE,
    Capability.TRANSLATE,
)


def _load_kind_modules() -> None:
    from .embedding import bitext, heads, mining, pairs, retrieval  # noqa: F401  (each module registers its kinds on import)
    from .finetune import qa, sentence, tagging  # noqa: F401
    from .llm import generation, judge_validity, loglik, mt, open_ended, open_qa, summarization  # noqa: F401


def get_kind(
    name: str,
    capabilities: frozenset[Capability] | None = None,
    *,
    model: str = "",
    task: str = "",
    prefer: str | None = None,
) -> Kind:
    """The implementation of kind ``name`` for a model with ``capabilities`` (any, when None);
    ``prefer`` (a capability, e.g. ``generate``) picks among several the model could run."""
    _load_kind_modules()
    if name not in KINDS:
        raise unknown("task kind", name, KINDS)
    impls = sorted(KINDS[name], key=lambda cls: DEFAULT_ORDER.index(cls.needs))
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


class WorkerKinds:
    """The kinds one worker runs: each task's kind built once, for the worker's ``backend`` and the
    run's configuration. The LLM kinds share one input translation, so a ``--translator`` model
    loads once per worker."""

    def __init__(self, backend: Backend, config: RunConfig, *, model: str = ""):
        self.backend = backend
        self.config = config
        self.model = model
        self._by_task: dict[str, Kind] = {}
        self._translation: InputTranslation | None = None

    def __getitem__(self, task: Task) -> Kind:
        if task.name not in self._by_task:
            self._by_task[task.name] = self._make(task.spec.kind, task.name)
        return self._by_task[task.name]

    def _make(self, name: str, task: str) -> Kind:
        """``answer_by`` picks between a log-likelihood and a generation implementation; kinds that
        take protocol options get them, and a kind that cannot honour options it was given is an error."""
        options = self.config.protocol
        kind = get_kind(name, self.backend.capabilities, model=self.model, task=task, prefer=options.answer_by)
        if hasattr(kind, "configure"):
            kind.configure(self.config, self.backend, self.translation())
        elif options != ProtocolOptions(answer_by=options.answer_by):
            raise CapabilityError(
                f"task {task!r} runs as {type(kind).__name__} ({kind.needs}),"
                " which takes no protocol, prompt or shots options",
                hint="add --answer-by generate to run it by generation, or drop --protocol/--prompt-language/--shots",
            )
        return kind

    def translation(self) -> InputTranslation:
        """The input translation of translate-test and self-translate, one per worker."""
        if self._translation is None:
            from .llm.translation import InputTranslation

            self._translation = InputTranslation(self.config.protocol, self.backend)
        return self._translation
