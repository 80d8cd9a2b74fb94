"""Which implementation of a kind runs for a model: the kind modules register in ``KINDS``."""

from __future__ import annotations

from ..errors import CapabilityError, unknown
from ..models.base import Backend, Capability
from .base import KINDS, Kind

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
    from .embedding import bitext, heads, pairs, retrieval  # noqa: F401  (each module registers its kinds on import)
    from .finetune import qa, sentence, tagging  # noqa: F401
    from .llm import generation, loglik  # noqa: F401


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


def make_kind(name: str, backend: Backend, *, model: str = "", task: str = "", protocol=None) -> Kind:
    """The implementation of kind ``name`` for ``backend``, configured with the run's LLM protocol
    options (:class:`xling.prompts.protocols.ProtocolOptions` or its dict): ``answer_by`` picks between a
    log-likelihood and a generation implementation; kinds that take options get them, and a kind
    that cannot honour options it was given is an error."""
    from ..prompts.protocols import ProtocolOptions

    options = protocol if isinstance(protocol, ProtocolOptions) else ProtocolOptions.from_dict(protocol)
    kind = get_kind(name, backend.capabilities, model=model, task=task, prefer=options.answer_by)
    if hasattr(kind, "configure"):
        kind.configure(options, backend)
    elif not options.is_default() and options != ProtocolOptions(answer_by=options.answer_by):
        raise CapabilityError(
            f"task {task!r} runs as {type(kind).__name__} ({kind.needs}),"
            " which takes no protocol, prompt or shots options",
            hint="add --answer-by generate to run it by generation, or drop --protocol/--prompt-language/--shots",
        )
    return kind
