"""TEST DOUBLE, not a model: a generation backend whose answers a test scripts.

Tests install ``ScriptedLM.script`` (prompt -> answer text, or an ItemError) to play a perfect,
a wrong, a silent or a failing model, and read ``ScriptedLM.seen`` to check what was sent.
``register(monkeypatch)`` installs it as backend ``scripted`` (``register_both`` adds the log-likelihood ones).
"""

from __future__ import annotations

from xling.models.base import Backend, Capability, ItemError


class ScriptedLM(Backend):
    name = "scripted"
    capabilities = frozenset({Capability.GENERATE})
    script = staticmethod(lambda prompt: "")
    seen: list[str] = []
    stops: list[list[str]] = []

    def fingerprint(self) -> str:
        return f"scripted-test-double:{sorted(self.options.items())}"

    def generate(self, prompts, *, stop, max_tokens):
        ScriptedLM.seen.extend(prompts)
        ScriptedLM.stops.append(list(stop))
        return [ScriptedLM.script(p) for p in prompts]

    def generated_tokens(self, text):
        return len(text.split())  # one token a word

    @property
    def chat_template(self):
        return "<test chat template>" if self.options.get("chat") else None

    def apply_chat_template(self, messages):
        return "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages) + "<assistant>"


def register(monkeypatch) -> type[ScriptedLM]:
    from xling.models import registry

    monkeypatch.setitem(
        registry.BACKENDS,
        "scripted",
        registry.BackendInfo(
            "scripted", "helpers.scripted_lm", "ScriptedLM", ("generate",), "", "scripted", "test double"
        ),
    )
    ScriptedLM.seen = []
    ScriptedLM.stops = []
    ScriptedLM.script = staticmethod(lambda prompt: "")
    return ScriptedLM


class ScriptedBothLM(ScriptedLM):
    """TEST DOUBLE that can also score log-likelihoods: ``loglik_script(context, continuation)``
    gives the log-prob (or an ItemError); by default the longest continuation wins."""

    name = "scripted-both"
    capabilities = frozenset({Capability.GENERATE, Capability.LOGLIK})
    loglik_script = staticmethod(lambda context, continuation: float(len(continuation)))
    loglik_seen: list[tuple[str, str]] = []

    def loglik(self, requests):
        ScriptedBothLM.loglik_seen.extend(requests)
        out = [ScriptedBothLM.loglik_script(c, x) for c, x in requests]
        return [
            o if isinstance(o, ItemError) else (float(o), max(1, len(x.split())), False)
            for o, (_c, x) in zip(out, requests)
        ]


class ScriptedLoglikLM(ScriptedBothLM):
    """TEST DOUBLE that only scores log-likelihoods (``ScriptedBothLM.loglik_script``)."""

    name = "scripted-loglik"
    capabilities = frozenset({Capability.LOGLIK})


def register_both(monkeypatch) -> type[ScriptedBothLM]:
    from xling.models import registry

    register(monkeypatch)
    monkeypatch.setitem(
        registry.BACKENDS,
        "scripted-both",
        registry.BackendInfo(
            "scripted-both",
            "helpers.scripted_lm",
            "ScriptedBothLM",
            ("generate", "loglik"),
            "",
            "scripted-both",
            "test double",
        ),
    )
    monkeypatch.setitem(
        registry.BACKENDS,
        "scripted-loglik",
        registry.BackendInfo(
            "scripted-loglik",
            "helpers.scripted_lm",
            "ScriptedLoglikLM",
            ("loglik",),
            "",
            "scripted-loglik",
            "test double",
        ),
    )
    ScriptedBothLM.loglik_seen = []
    ScriptedBothLM.loglik_script = staticmethod(lambda context, continuation: float(len(continuation)))
    return ScriptedBothLM
