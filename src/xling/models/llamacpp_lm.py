"""llama.cpp for GGUF files in-process: ``llamacpp:<file.gguf>`` or ``llamacpp:gemma3-270m``.

Runs llama.cpp's own server inside this process through ``xllamacpp`` (a maintained binding with
prebuilt CPU wheels), listening on 127.0.0.1 only, and talks to it with the ``oai-completions``
client in its ``loglik=llamacpp`` mode: contexts are sent as token ids, continuations forced with
a token-id grammar, and the model's raw log-probs read back. ``parallel`` server slots decode
that many requests together (continuous batching).

Determinism: llama.cpp's quantised kernels give numbers that depend on how tokens were grouped
into batches. With one slot (``parallel=1``, the default) and no prefix reuse (each log-likelihood
request computed whole) the same request gives the same numbers whatever came before; with several
slots llama.cpp decodes whichever requests are in flight together, and log-probs then move with
the batch's make-up (measured: up to ~0.1 nats on Gemma-3-270M) - faster, but opt-in.

Options: ``n_ctx`` (window per slot, default 4096), ``threads`` (default: ``threads.default_threads``),
``parallel`` (slots and concurrent requests, default 1), ``n_batch`` (default 512),
``timeout``/``deadline``/``retries`` as for ``oai-completions``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..errors import UserError
from .base import Backend, Capability
from .model_files import file_sha256, resolve_gguf
from .openai_lm import OpenAICompletions, _Failed
from .options import BackendOptions
from .threads import default_threads, passive_openmp_waits


class LlamaCppOptions(BackendOptions):
    n_ctx: int = Field(4096, ge=1)
    threads: int | None = Field(None, ge=1)
    parallel: int = Field(1, ge=1)
    n_batch: int = Field(512, ge=1)
    # for the oai-completions client (its defaults when not given)
    timeout: float | None = None
    deadline: float | None = None
    retries: int | None = None


def start_server(
    gguf: str, *, n_ctx: int = 4096, threads: int | None = None, parallel: int = 1, n_batch: int = 512, port: int = 0
):
    """An in-process llama.cpp server for ``gguf`` on 127.0.0.1 (``port``; 0: a random free one).

    Returns the ``xllamacpp.Server`` (keep a reference: it stops when collected) and its base URL.
    """
    passive_openmp_waits()  # the wheel is an OpenMP build: `poll` below does not reach its threads
    try:
        import xllamacpp
    except ImportError as exc:
        raise UserError("backend 'llamacpp' needs the xllamacpp package", hint="pip install 'xling[llm]'") from exc
    threads = int(threads or default_threads())
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf)
    params.n_parallel = int(parallel)
    params.n_ctx = int(n_ctx) * int(parallel)  # llama.cpp splits the context between its slots
    params.n_batch = int(n_batch)
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    # no busy-waiting in a build with llama.cpp's own threadpool (non-OpenMP)
    params.cpuparams.poll = 0
    params.cpuparams_batch.poll = 0
    params.hostnames = ["127.0.0.1"]  # loopback only
    params.port = int(port)
    params.verbosity = -1
    params.warmup = False
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # the binding raises RuntimeError/ValueError with llama.cpp's message
        raise UserError(f"llama.cpp could not load {gguf}: {exc}") from exc
    return server, server.listening_address.rstrip("/")


class LlamaCpp(
    Backend, name="llamacpp", capabilities={Capability.LOGLIK, Capability.GENERATE}, options=LlamaCppOptions
):
    """A GGUF model served by llama.cpp inside this process."""

    opt: LlamaCppOptions

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        self.gguf = resolve_gguf(self.required_target("a GGUF file: llamacpp:<file.gguf> or llamacpp:gemma3-270m"))
        opt = self.opt
        self.n_ctx = opt.n_ctx
        self._server, self.base_url = start_server(
            str(self.gguf), n_ctx=self.n_ctx, threads=opt.threads, parallel=opt.parallel, n_batch=opt.n_batch
        )
        api_opts = {
            "loglik": "llamacpp",
            "concurrency": opt.parallel,
            "max_length": self.n_ctx,
            **opt.model_dump(include={"timeout", "deadline", "retries"}, exclude_none=True),
        }
        self._api = OpenAICompletions(f"oai-completions:{self.base_url}/v1#gguf", f"{self.base_url}/v1#gguf", api_opts)
        self._fingerprint: str | None = None

    @property
    def truncated(self) -> int:  # type: ignore[override]
        return self._api.truncated

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            import xllamacpp

            self._fingerprint = (
                f"llamacpp|{file_sha256(self.gguf)}|n_ctx={self.n_ctx}|xllamacpp-{xllamacpp.__version__}|v1"
            )
        return self._fingerprint

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "gguf": str(self.gguf),
            "n_ctx": self.n_ctx,
            "chat_template": self.chat_template is not None,
        }

    @property
    def max_length(self) -> int | None:
        return self.n_ctx

    def loglik(self, requests):
        return self._api.loglik(requests)

    def generate(self, prompts, *, stop, max_tokens):
        return self._api.generate(prompts, stop=stop, max_tokens=max_tokens)

    def token_count(self, text: str) -> int | None:
        return len(self._api._tokenize(text, True))

    def generated_tokens(self, text: str) -> int | None:
        try:
            return len(self._api._tokenize(text, False))
        except _Failed:  # the server could not tokenise it: whether it hit the limit is not known
            return None

    @property
    def chat_template(self) -> str | None:
        if not hasattr(self, "_template"):
            try:
                props = self._api._http.client.get(f"{self.base_url}/props").json()
                self._template = props.get("chat_template") or None
            except Exception:  # noqa: BLE001 - a server without /props has no known template
                self._template = None
            if self._template is not None and not self._has_template_metadata():
                self._template = None  # llama.cpp substitutes a default (chatml) template
        return self._template

    def _has_template_metadata(self) -> bool:
        """Whether the GGUF itself carries ``tokenizer.chat_template``."""
        with open(self.gguf, "rb") as fh:
            head = fh.read(1 << 26)  # metadata precedes the tensors; key names are plain ASCII
        return b"tokenizer.chat_template" in head

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        if self.chat_template is None:
            return super().apply_chat_template(messages)
        r = self._api._http.client.post(f"{self.base_url}/apply-template", json={"messages": messages})
        r.raise_for_status()
        return r.json()["prompt"]
