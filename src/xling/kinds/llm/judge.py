"""The LLM judge of judged kinds: a generate-capable model, asked through the response cache.

The judge is loaded once per worker from the run's :class:`~xling.prompts.judging.JudgeOptions`;
its requests go through an :class:`~xling.calls.lm.LMClient` on its own backend, so they are
cached under the judge's fingerprint and a resumed run asks only what it has not asked yet. A
request is one user message (system prompt and template joined), rendered with the judge's chat
template when it has one.
"""

from __future__ import annotations

from ...calls.lm import LMClient
from ...errors import CapabilityError
from ...models.base import Backend, Capability, ItemError
from ...prompts.judging import JudgeOptions, check_judge_given
from ...scoring.judge import parse_rating
from ..base import RunContext

VERDICT_CHARS = 2000  # of a judge's reply kept in an error row's message


class Judge:
    """The run's judge (``--judge``): loaded on first use, checked to generate before any call."""

    def __init__(self, options: JudgeOptions):
        self.options = options
        self._backend: Backend | None = None

    def check(self, task: str) -> None:
        """A UserError when the run names no judge, a CapabilityError when its backend cannot
        generate text: before any model is loaded or called."""
        from ...models.registry import BACKENDS, parse_model_spec

        spec = check_judge_given(self.options, task)
        offers = BACKENDS[parse_model_spec(spec)[0]].capabilities
        _require_generate(spec, offers)

    def backend(self, task: str) -> Backend:
        """The judge model, loaded on first use."""
        if self._backend is None:
            from ...models.registry import load_model

            spec = check_judge_given(self.options, task)
            backend = load_model(spec, self.options.options)
            _require_generate(spec, backend.capabilities)
            self._backend = backend
        return self._backend

    def ask(self, requests: list[str], ctx: RunContext, task: str, *, max_tokens: int) -> list[str | ItemError]:
        """The judge's replies to ``requests``, in order (a failed call: its ItemError)."""
        backend = self.backend(task)
        key = ("judge-client", self.options.spec)
        if key not in ctx.memo:
            ctx.memo[key] = LMClient(backend, ctx.cache, ctx.stats, batch_size=ctx.config.batch_size)
        prompts = [render(backend, r) for r in requests]
        return ctx.memo[key].generate(prompts, stop=[], max_tokens=max_tokens)

    def info(self, task: str) -> dict:
        """What a prediction records of the judge."""
        backend = self.backend(task)
        return {"spec": backend.spec, "fingerprint": backend.fingerprint(), "language": self.options.language}


def _require_generate(spec: str, offers) -> None:
    if Capability.GENERATE not in offers:
        have = ", ".join(sorted(offers)) or "nothing"
        raise CapabilityError(
            f"judge {spec!r} cannot generate text (it offers {have}); a judge writes its verdict",
            hint="name a generate-capable model as --judge (oai-chat:, hf:, llamacpp:)",
        )


def render(backend: Backend, request: str) -> str:
    """A request as the model sees it: through its chat template when it has one."""
    if getattr(backend, "chat_template", None):
        return backend.apply_chat_template([{"role": "user", "content": request}])
    return request


def read_verdict(reply: str, scale: int) -> tuple[float | None, str | None]:
    """``(rating on 1..scale, None)``, or ``(None, why)`` when the reply holds no rating in range.

    A rating written on another scale (``4/5`` where 1-10 was asked) is converted to ``scale``."""
    rating = parse_rating(reply)
    if rating is None:
        return None, f"the judge gave no rating: {reply[:VERDICT_CHARS]!r}"
    value = rating.value if rating.out_of in (None, scale) else rating.share() * scale
    if not 1 <= value <= scale:
        return None, f"the judge's rating {value:g} is outside 1-{scale}: {reply[:VERDICT_CHARS]!r}"
    return value, None
