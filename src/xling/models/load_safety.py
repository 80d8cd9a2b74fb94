"""What a model directory may make us run: by default nothing but tensors.

Loading never unpickles (``pytorch_model.bin``, ``*.pt``, ``*.pkl``: a pickle can run any code
when read) and never imports code shipped with the model (``auto_map`` in ``config.json``,
custom sentence-transformers modules), unless the user passes ``-o trust_remote_code=true``: the
one opt-in, meaning "I trust this model repository, its code and its pickles".
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

OPT_IN = "trust_remote_code"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
SAFE_SUFFIXES = (".safetensors", ".gguf", ".onnx")


def pickled_weights(root: Path) -> list[Path]:
    """Pickle files under ``root`` in folders that hold no safe weight file to load instead."""
    out = []
    for folder in sorted({p.parent for p in root.rglob("*") if p.is_file() and p.suffix in PICKLE_SUFFIXES}):
        if ".cache" in folder.parts or any(p.suffix in SAFE_SUFFIXES for p in folder.iterdir()):
            continue
        out += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in PICKLE_SUFFIXES)
    return out


def refuse_pickles(root: Path, backend: str, trusted: bool) -> None:
    """A clear error if a local model directory has only pickled weights and the user did not opt in."""
    if trusted or not root.is_dir():
        return
    found = pickled_weights(root)
    if found:
        names = ", ".join(str(p.relative_to(root)) for p in found[:3])
        raise UserError(
            f"{root} holds pickled weights ({names}) and no safetensors file: loading a pickle can run "
            "arbitrary code, so xling does not open it by default",
            hint=f"convert the weights to safetensors, or pass --model-option {OPT_IN}=true "
            f"(-o {OPT_IN}=true) if you trust this model ({backend})",
        )


def custom_code(root: Path) -> list[str]:
    """What in a local model directory would import the model's own code: ``auto_map`` entries in
    its config files, sentence-transformers modules outside the library's namespace."""
    found = []
    for name in ("config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json"):
        path = root / name
        try:
            data = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        except (OSError, ValueError):
            continue  # the loader reports a broken file itself
        if isinstance(data, dict) and data.get("auto_map"):
            found.append(f"{name}: auto_map")
    path = root / "modules.json"
    try:
        modules = json.loads(path.read_text("utf-8")) if path.is_file() else []
    except (OSError, ValueError):
        modules = []
    for m in modules if isinstance(modules, list) else []:
        kind = m.get("type", "") if isinstance(m, dict) else ""
        if kind and not kind.startswith("sentence_transformers."):
            found.append(f"modules.json: {kind}")
    return found


def refuse_custom_code(root: Path, backend: str, trusted: bool) -> None:
    """A clear error if a local model directory would run its own code and the user did not opt in."""
    if trusted or not root.is_dir():
        return
    found = custom_code(root)
    if found:
        raise UserError(
            f"{root} ships its own Python code ({'; '.join(found[:3])}), which xling does not run by default",
            hint=f"pass -o {OPT_IN}=true if you have read that code and trust it ({backend})",
        )


def refuse_unsafe(root: Path, backend: str, trusted: bool) -> None:
    """Both checks for a local model directory (a Hub id is left to the loader's own switches)."""
    refuse_custom_code(root, backend, trusted)
    refuse_pickles(root, backend, trusted)


def remote_code_error(source: str, exc: Exception) -> UserError:
    """The error for a model that needs its own code, which is off by default."""
    return UserError(
        f"cannot load {source!r}: it ships its own Python code, which xling does not run by default "
        f"({str(exc).splitlines()[0][:200]})",
        hint=f"pass -o {OPT_IN}=true if you have read that code and trust it",
    )


def needs_remote_code(exc: Exception) -> bool:
    return OPT_IN in str(exc)
