"""A tiny sentence-transformers model directory built offline: a BERT with a character-and-word
vocabulary (from the in-repo STS files), random weights (meaningless but spread-out vectors) and
mean pooling."""

from __future__ import annotations

import re
import string
from pathlib import Path

from helpers.embed import EMBED_DATA


def build_tiny_st(raw: Path, out: Path, *, max_seq_length: int = 16, hidden: int = 32, layers: int = 2) -> Path:
    """Write the BERT to ``raw`` and the sentence-transformers model over it to ``out``; return ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = sorted(
        {
            w
            for f in (EMBED_DATA / "sts" / "test").glob("*.tsv")
            for w in re.findall(r"\w+", f.read_text("utf-8").lower())
        }
    )
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *string.ascii_lowercase,
        *("##" + c for c in string.ascii_lowercase),
        *".,?!",
        *(w for w in words if len(w) > 1),
    ]
    wp = Tokenizer(WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=wp,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=max(64, max_seq_length),
        initializer_range=1.0,
    )
    BertModel(cfg).save_pretrained(raw)
    tok.save_pretrained(raw)
    bert = Transformer(str(raw), max_seq_length=max_seq_length)
    SentenceTransformer(modules=[bert, Pooling(bert.get_embedding_dimension(), "mean")], device="cpu").save(str(out))
    return out
