"""When xling loads a transformers tokenizer straight from tokenizer.json (no model needed here)."""

from __future__ import annotations

import json

from xling.models.hf_tokenizer import CONVERSION_MARKER, fast_tokenizer_kwargs


def _conversion(tmp_path, config: dict, marker: bool = True):
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    if marker:
        (tmp_path / CONVERSION_MARKER).write_text("{}")
    return tmp_path


GEMMA_CONFIG = {
    "backend": "tokenizers",
    "bos_token": "<bos>",
    "eos_token": "<eos>",
    "is_local": True,
    "local_files_only": False,
    "mask_token": "<mask>",
    "model_max_length": 10**30,
    "pad_token": "<pad>",
    "tokenizer_class": "GemmaTokenizer",
    "unk_token": "<unk>",
}


def test_a_gemma_conversion_takes_the_fast_path(tmp_path):
    kw = fast_tokenizer_kwargs(_conversion(tmp_path, GEMMA_CONFIG))
    assert kw == {
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "mask_token": "<mask>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "model_max_length": 10**30,
        "padding_side": "left",
        "tokenizer_file": str(tmp_path / "tokenizer.json"),
    }


def test_a_chat_template_file_is_passed_on(tmp_path):
    path = _conversion(tmp_path, GEMMA_CONFIG)
    (path / "chat_template.jinja").write_text("{{ messages[0]['content'] }}")
    assert fast_tokenizer_kwargs(path)["chat_template"] == "{{ messages[0]['content'] }}"


def test_anything_else_goes_through_autotokenizer(tmp_path):
    def conversion(name, config=GEMMA_CONFIG, marker=True, extra=None):
        (tmp_path / name).mkdir()
        path = _conversion(tmp_path / name, config, marker)
        for file, text in (extra or {}).items():
            (path / file).write_text(text)
        return path

    assert fast_tokenizer_kwargs(conversion("not-xlings", marker=False)) is None
    assert fast_tokenizer_kwargs(conversion("unknown-key", {**GEMMA_CONFIG, "add_bos_token": False})) is None
    odd = {**GEMMA_CONFIG, "bos_token": {"content": "<bos>", "lstrip": True}}
    assert fast_tokenizer_kwargs(conversion("added-token-dict", odd)) is None
    assert fast_tokenizer_kwargs(conversion("added-tokens-file", extra={"added_tokens.json": "{}"})) is None
    assert fast_tokenizer_kwargs(conversion("bad-config", extra={"tokenizer_config.json": "not json"})) is None
    assert fast_tokenizer_kwargs(conversion("no-tokenizer-json", extra={})) is not None
    (tmp_path / "no-tokenizer-json" / "tokenizer.json").unlink()
    assert fast_tokenizer_kwargs(tmp_path / "no-tokenizer-json") is None
