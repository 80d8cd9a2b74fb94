"""Fine-tuning on a tiny random-weights BertModel and synthetic data: made-up words in two
"languages" whose labels follow simple rules a two-layer model learns in a few steps."""

from __future__ import annotations

import json
import random
from pathlib import Path

from xling import evaluate

SRC, TGT = "eng_Latn", "deu_Latn"
WORDS = {
    SRC: ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"],
    TGT: ["alfa", "beta", "gama", "delta", "omega", "sigma", "kapa", "teta"],
}
FILLER = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]


def build_tiny_bert(d: Path) -> Path:
    """A 2-layer, hidden-32 BertModel with random weights and a word-level fast tokenizer, in ``d``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + sorted(
        set(sum(WORDS.values(), [])) | set(FILLER) | {"?", "where", "is", "the"}
    )
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]"
    ).save_pretrained(d)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(d, safe_serialization=True)
    return d


def write_yaml(path, **kw):
    path.write_text(json.dumps(kw))  # JSON is YAML
    return path


def _sentences(lang, n, rng):
    """Label 'pos' when the sentence holds the language's first keyword, else 'neg'."""
    rows = []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        key = WORDS[lang][0] if label == "pos" else WORDS[lang][1]
        words = rng.sample(FILLER, 3) + [key]
        rng.shuffle(words)
        rows.append((str(i), label, " ".join(words)))
    return rows


def write_synthetic_data(root: Path) -> Path:
    """Classification, pair, tagging and QA splits of both languages under ``root``."""
    rng = random.Random(1)
    for lang in (SRC, TGT):
        for split, n in (("train", 80), ("dev", 20), ("test", 30)):
            rows = _sentences(lang, n, rng)
            cls = root / "cls" / lang
            cls.mkdir(parents=True, exist_ok=True)
            (cls / f"{split}.tsv").write_text("id\tlabel\ttext\n" + "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows))
            pair = root / "pair" / lang
            pair.mkdir(parents=True, exist_ok=True)
            (pair / f"{split}.tsv").write_text(
                "id\tlabel\ts1\ts2\n"
                + "".join(f"{a}\t{b}\t{c}\t{c if b == 'pos' else ' '.join(reversed(c.split()))}\n" for a, b, c in rows)
            )
            # tagging: keywords are entities (B-LOC for the first keyword, B-PER for the second)
            tags = root / "tags"
            tags.mkdir(parents=True, exist_ok=True)
            lines = []
            for _, _, text in rows:
                for w in text.split():
                    tag = "B-LOC" if w == WORDS[lang][0] else "B-PER" if w == WORDS[lang][1] else "O"
                    lines.append(f"{w}\t{tag}\n")
                lines.append("\n")
            (tags / f"{split}-{lang}.tsv").write_text("".join(lines))
            # QA: "where is the <kw>" ; the answer is the keyword's right neighbour
            articles = []
            for a, _, text in rows:
                words = text.split()
                kw = next(w for w in words if w in WORDS[lang])
                context = " ".join(words + ["the", kw, "is", WORDS[lang][2 + int(a) % 6]])
                answer = WORDS[lang][2 + int(a) % 6]
                articles.append(
                    {
                        "title": a,
                        "paragraphs": [
                            {
                                "context": context,
                                "qas": [
                                    {
                                        "id": f"q{a}",
                                        "question": f"where is the {kw} ?",
                                        "answers": [{"text": answer, "answer_start": context.rindex(answer)}],
                                    }
                                ],
                            }
                        ],
                    }
                )
            qa = root / "qa"
            qa.mkdir(parents=True, exist_ok=True)
            (qa / f"{split}-{lang}.json").write_text(json.dumps({"data": articles}))
    return root


def write_task(tmp_path, name, kind, metric, fields, local, **extra):
    """A task file; ``fields`` may name the id and label (``{"id": ..., "label": ...}``): they are
    written as the top-level ``id:`` and ``gold:``."""
    fields = dict(fields)
    top = {k: v for k, v in (("id", fields.pop("id", None)), ("gold", fields.pop("label", None))) if v is not None}
    spec = {
        "name": name,
        "description": "synthetic",
        "kind": kind,
        "metric": metric,
        "languages": [SRC, TGT],
        "source_language": SRC,
        "eval_split": "test",
        "train_split": "train",
        "fields": fields,
        **top,
        "creation": "written-for-xling",
        "licence": "CC0-1.0",
        "local": local,
        **extra,
    }
    return write_yaml(tmp_path / f"{name}.yaml", **spec)


OPTS = {
    "seeds": 2,
    "epochs": 3,
    "lr": 0.003,
    "train_batch_size": 8,
    "freeze_layers": 0,
    "freeze_embeddings": False,
    "max_seq_length": 32,
    "threads": 1,
}


def run_finetune(model_dir, task_file, data_dir, out, **opts):
    return evaluate(
        model=f"encoder:{model_dir}",
        task_files=[task_file],
        data_dir=data_dir,
        output=out,
        model_options={**OPTS, **opts},
    )


def score_of(res, lang):
    return next(s for s in res.data["scores"] if s["language"] == lang)
