"""TEST DOUBLE, not a model: the trigram embedder behind a server that fails some texts.

``FlakyEmbedder.fail_once`` texts fail the first time they are sent (a transient server error),
``fail_always`` texts every time; ``sent`` lists every text the model was asked to embed.
``register(monkeypatch)`` installs it as backend ``flaky``.
"""

from __future__ import annotations

from helpers.embed import TrigramBackend
from xling.models.base import ItemError

SERVER_ERROR = "HTTP 503 from the server: upstream overloaded"


class FlakyEmbedder(TrigramBackend):
    name = "flaky"
    fail_once: set[str] = set()
    fail_always: set[str] = set()
    sent: list[str] = []

    def __init__(self, spec: str, target: str | None, options: dict):
        super().__init__()

    def embed(self, texts, role):
        FlakyEmbedder.sent.extend(texts)
        out = super().embed(texts, role)
        failing = FlakyEmbedder.fail_once | FlakyEmbedder.fail_always
        FlakyEmbedder.fail_once -= set(texts)
        return [ItemError(SERVER_ERROR) if t in failing else row for t, row in zip(texts, out)]


def register(monkeypatch) -> type[FlakyEmbedder]:
    from xling.models import registry

    monkeypatch.setitem(
        registry.BACKENDS,
        "flaky",
        registry.BackendInfo(
            "flaky", "helpers.flaky_embedder", "FlakyEmbedder", ("embed",), "", "flaky", "test double"
        ),
    )
    FlakyEmbedder.fail_once, FlakyEmbedder.fail_always, FlakyEmbedder.sent = set(), set(), []
    return FlakyEmbedder
