"""The backend interface, by capability."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

from ..errors import CapabilityError, UserError
from .options import BackendOptions, parse_backend_options


class Capability(StrEnum):
    EMBED = "embed"
    LOGLIK = "loglik"
    GENERATE = "generate"
    FIT_PREDICT = "fit/predict"
    TRANSLATE = "translate"


class ItemError(Exception):
    """How a backend reports a failed request (after its own retries); ``str(err)`` says what
    went wrong. Returned in place of one request's answer, that request failed; raised by a
    backend call, every request of the call failed. Failed requests are never cached: the
    kind writes an error row for each, and a rerun retries them."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ItemError) and self.args == other.args

    def __hash__(self) -> int:
        return hash(self.args)


class StoppedAtLimit(str):
    """A generated text that the server says stopped at the ``max_tokens`` limit (an OpenAI
    ``finish_reason: "length"``): a backend that cannot count the tokens it generated returns
    it in place of a plain ``str``, and the response cache keeps the flag."""


class Backend(ABC):
    """A loaded model. Subclasses set ``capabilities`` and implement the matching methods.

    Embedding roles: ``query`` and ``passage`` for asymmetric retrieval, ``symmetric`` for
    bitext, STS and classification features; a backend maps roles to its own prefixes.
    """

    name: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # Long inputs: ``MAX_TOKENS`` is the model's window (None: no limit / unknown) and
    # ``LONG_TEXT_POLICY`` says what happens beyond it: "truncate" (the tail is dropped),
    # "window" (split into windows whose vectors are averaged), "none" (no limit) or "server"
    # (a remote server applies its own, unknown policy).
    MAX_TOKENS: ClassVar[int | None] = None
    LONG_TEXT_POLICY: ClassVar[str] = "none"
    # Whether the embedding client learns the vector size from probe answers (a server's first
    # answer may be wrong) rather than from the model's first answer (a local model).
    PROBE_VECTOR_SIZE: ClassVar[bool] = False
    # Log-likelihood requests per call when the run sets no ``--batch-size`` (None: the client's
    # default): a backend that batches by tokens itself wants large calls.
    LOGLIK_CALL_SIZE: ClassVar[int | None] = None
    # The ``-o KEY=VALUE`` options the backend accepts, checked into ``opt`` (None: the backend
    # checks them itself). ``options`` keeps them as given: fingerprints and results read them.
    Options: ClassVar[type[BackendOptions] | None] = None
    opt: Any = None

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        capabilities: frozenset[Capability] | set[Capability] | None = None,
        options: type[BackendOptions] | None = None,
        **kw,
    ):
        """``class X(Backend, name="x", capabilities={Capability.EMBED}, options=XOptions)``."""
        super().__init_subclass__(**kw)
        if name is not None:
            cls.name = name
        if capabilities is not None:
            cls.capabilities = frozenset(capabilities)
        if options is not None:
            cls.Options = options

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        self.spec = spec
        self.target = target
        self.options = options
        if self.Options is not None:
            self.opt = parse_backend_options(self.Options, self.name, options)

    def required_target(self, what: str, hint: str | None = None) -> str:
        """The spec's target; an error saying the backend needs ``what`` when there is none."""
        if not self.target:
            raise UserError(f"backend {self.name!r} needs {what}", hint=hint)
        return self.target

    def close(self) -> None:  # noqa: B027 (an optional hook: doing nothing is the default, not abstract)
        """Free what the model holds (memory, connections) once a run is done with it; the
        runner calls it before scoring, so scoring does not share memory with the model."""

    @abstractmethod
    def fingerprint(self) -> str:
        """Identifies the model's behaviour: weights, version and every option that changes outputs."""

    def require(self, capability: Capability, task: str) -> None:
        """Raise a clear error when this model cannot do what ``task`` needs."""
        if capability not in self.capabilities:
            have = ", ".join(sorted(self.capabilities)) or "nothing"
            raise CapabilityError(
                f"model {self.spec!r} cannot run task {task!r}: the task needs '{capability}', the model offers {have}",
                hint="`xling models` shows which backend offers which capability",
            )

    def embed(self, texts: list[str], role: str) -> np.ndarray | list[np.ndarray | ItemError]:
        """Unit-normalised or raw float32 vectors, one row per text: an array, or a list with an
        :class:`ItemError` in place of each text that failed. A NaN row marks an invalid vector."""
        raise CapabilityError(f"model {self.spec!r} cannot embed")

    def batch_lengths(self, texts: list[str], role: str) -> list[int] | None:
        """Per text, the length the model batches by (texts of equal length best share a call), or
        None: the caller sorts by characters."""
        return None

    def pass_rows(self) -> int | None:
        """The most texts this backend computes in one pass of a single exact token length (its
        ``batch_lengths`` are then exact), or None. A caller that cuts calls keeps a length's texts
        together in passes of it, and may embed texts ahead in larger calls: bigger passes, same vectors."""
        return None

    def expect_vector_size(self, size: int) -> None:  # noqa: B027 (an optional hook, no-op by default)
        """The vector size pinned for this model: an answer of another size is wrong."""

    def token_count(self, text: str) -> int | None:
        """Tokens the model would see for ``text`` (for truncation accounting), or None if unknown."""
        return None

    # --- language models (capabilities ``loglik`` and ``generate``) ---------------------------
    #: Requests truncated to fit the window so far (the LM client reads the delta per batch).
    truncated: int = 0

    def loglik(self, requests: list[tuple[str, str]]) -> list[tuple[float, int, bool] | ItemError]:
        """Per ``(context, continuation)``: (sum of log-probs of the continuation's tokens given
        the context, number of continuation tokens, whether greedy decoding would produce it).

        A context too long for the window is cut from the LEFT (the continuation is kept whole)
        and counted in ``truncated``. A request that failed (an API error after retries) gets an
        :class:`ItemError` in its place; anything else raises.
        """
        raise CapabilityError(f"model {self.spec!r} cannot score log-likelihoods")

    def generate(self, prompts: list[str], *, stop: list[str], max_tokens: int) -> list[str | ItemError]:
        """Greedy (deterministic) continuations, cut before the first ``stop`` string; a prompt
        that failed gets an :class:`ItemError` in its place."""
        raise CapabilityError(f"model {self.spec!r} cannot generate text")

    def generated_tokens(self, text: str) -> int | None:
        """How many tokens the model generated to write ``text`` (re-tokenised without the
        model's prefix), or None when the backend cannot tell; a generation that reaches the
        ``max_tokens`` it was given hit the limit (see :meth:`xling.calls.lm.LMClient.generations`)."""
        return None

    def translates(self, source: str, target: str) -> bool:
        """Whether a translator (capability ``translate``) translates ``source`` into ``target``."""
        return Capability.TRANSLATE in self.capabilities

    @property
    def max_length(self) -> int | None:
        """The context window in tokens (prompt plus continuation), or None if unknown."""
        return None

    @property
    def chat_template(self) -> str | None:
        """The model's chat template (Jinja source), or None when it has none."""
        return None

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        """``[{"role": "user", "content": ...}, ...]`` rendered as the prompt text the model sees,
        ending with the assistant turn's opening; an error when the model has no chat template."""
        raise CapabilityError(f"model {self.spec!r} has no chat template")

    def is_over_long(self, text: str) -> bool:
        """Whether ``text`` exceeds the model's window (then ``LONG_TEXT_POLICY`` applies)."""
        if not self.MAX_TOKENS:
            return False
        return (self.token_count(text) or 0) > self.MAX_TOKENS

    def request_role(self, role: str) -> str:
        """The role as the model sees it; roles that share a prefix share cache entries."""
        return role

    def info(self) -> dict[str, Any]:
        """What results.json records about the model."""
        return {"spec": self.spec, "backend": self.name, "options": self.options}
