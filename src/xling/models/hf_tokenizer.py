"""The tokenizer of a transformers directory, loaded the cheap way where that is known to be exact.

``AutoTokenizer`` rebuilds a model-specific tokenizer class (``GemmaTokenizer`` for Gemma) from the
vocabulary and merges it parses out of ``tokenizer.json`` in Python: about 6 CPU seconds for
Gemma's 262k-entry vocabulary. For the directories xling converts from a GGUF file,
``tokenizer.json`` is the serialisation of that very tokenizer (written by ``save_pretrained``),
so ``PreTrainedTokenizerFast(tokenizer_file=...)`` - the ``tokenizers`` library reading the file
in Rust - gives the same pipeline and the same token ids in under half the time (checked against
``AutoTokenizer`` in tests/test_hf_lm.py). Any other directory, or a conversion whose tokenizer
configuration holds a setting this loader does not pass on, goes through ``AutoTokenizer`` as
before: for tokenizers written elsewhere, the class-specific rebuild can differ from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONVERSION_MARKER = "xling-conversion.json"  # written by model_files.hf_dir_from_gguf
_SPECIAL = ("bos_token", "eos_token", "unk_token", "pad_token", "mask_token")
# tokenizer_config.json keys the fast path reproduces (special tokens, padding side, length limit,
# chat template); keys that only say where the tokenizer came from are ignored.
_PASSED = {*_SPECIAL, "padding_side", "model_max_length", "chat_template"}
_IGNORED = {"backend", "tokenizer_class", "is_local", "local_files_only"}


def fast_tokenizer_kwargs(path: Path) -> dict[str, Any] | None:
    """Constructor arguments for ``PreTrainedTokenizerFast`` when the fast path is exact, else None."""
    if not (path / CONVERSION_MARKER).is_file() or not (path / "tokenizer.json").is_file():
        return None
    if any((path / name).exists() for name in ("special_tokens_map.json", "added_tokens.json")):
        return None
    try:
        config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or set(config) - _PASSED - _IGNORED:
        return None
    if any(not isinstance(config.get(k, ""), str) for k in _SPECIAL):
        return None  # an AddedToken dict with its own flags: leave it to AutoTokenizer
    kwargs: dict[str, Any] = {k: config[k] for k in _PASSED if k in config}
    template = path / "chat_template.jinja"
    if template.is_file():
        kwargs["chat_template"] = template.read_text(encoding="utf-8")
    kwargs.setdefault("padding_side", "left")  # what GemmaTokenizer sets; xling pads by hand anyway
    kwargs["tokenizer_file"] = str(path / "tokenizer.json")
    return kwargs


def load_tokenizer(path: str, **load_kw: Any):
    """The tokenizer for ``path`` (a local directory or a Hub id), with the same token ids as
    ``AutoTokenizer.from_pretrained(path, **load_kw)``."""
    local = Path(path)
    kwargs = fast_tokenizer_kwargs(local) if local.is_dir() and not load_kw.get("trust_remote_code") else None
    if kwargs is not None:
        from transformers import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast(**kwargs)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, **load_kw)
