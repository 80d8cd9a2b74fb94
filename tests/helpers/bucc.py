"""TEST DOUBLE and fixtures for BUCC-style mining: an embedder that reads each sentence's vector from
the sentence itself (``text [0.8 0.2 0]``), and a writer of BUCC 2018's release layout
(``bucc2018/{xx}-en/{xx}-en.{split}.{xx|en|gold}``, ``id<TAB>sentence``) whose cosines a test sets.
``register(monkeypatch)`` installs the embedder as backend ``vectors``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from xling.models.base import Backend, Capability

DIM = 16
_VECTOR = re.compile(r"\[([^\]]*)\]\s*$")


class VectorBackend(Backend):
    name = "vectors"
    capabilities = frozenset({Capability.EMBED})

    def fingerprint(self) -> str:
        return "vectors-test-double/v1"

    def token_count(self, text: str) -> int:
        return len(text.split())

    def embed(self, texts, role):
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            values = [float(v) for v in _VECTOR.search(text).group(1).split()]
            out[i, : len(values)] = values
        return out


def register(monkeypatch) -> None:
    from xling.models import registry

    monkeypatch.setitem(
        registry.BACKENDS,
        "vectors",
        registry.BackendInfo("vectors", "helpers.bucc", "VectorBackend", ("embed",), "", "vectors", "test double"),
    )


def _text(words: str, vector) -> str:
    return f"{words} [{' '.join(f'{v:.6f}' for v in vector)}]"


def write_split(root: Path, lang: str, split: str, cos: list[list[float]], gold: list[tuple[int, int]] | None) -> None:
    """One split of one language pair whose source sentence i and English sentence j have cosine
    ``cos[i][j]`` (source i is the unit vector e_i; English j is column j plus a residual in a
    dimension of its own that makes it a unit vector); ``gold``: (source, English) index pairs,
    None for a split without gold (BUCC's test)."""
    c = np.asarray(cos, dtype=float)
    n_src, n_en = c.shape
    assert n_src + n_en <= DIM and (np.linalg.norm(c, axis=0) <= 1).all()
    folder = root / "bucc2018" / f"{lang}-en"
    folder.mkdir(parents=True, exist_ok=True)
    src_lines, en_lines = [], []
    for i in range(n_src):
        src_lines.append(f"{lang}-{i + 1:09d}\t{_text(f'{lang} Satz {i + 1}', np.eye(n_src)[i])}")
    for j in range(n_en):
        vec = np.zeros(n_src + n_en)
        vec[:n_src] = c[:, j]
        vec[n_src + j] = np.sqrt(max(0.0, 1 - float(c[:, j] @ c[:, j])))
        en_lines.append(f"en-{j + 1:09d}\t{_text(f'English sentence {j + 1}', vec)}")
    (folder / f"{lang}-en.{split}.{lang}").write_text("\n".join(src_lines) + "\n", "utf-8")
    (folder / f"{lang}-en.{split}.en").write_text("\n".join(en_lines) + "\n", "utf-8")
    if gold is not None:
        pairs = [f"{lang}-{i + 1:09d}\ten-{j + 1:09d}" for i, j in gold]
        (folder / f"{lang}-en.{split}.gold").write_text("\n".join(pairs) + "\n", "utf-8")


TASK_YAML = """\
name: bucc-fixture
description: BUCC 2018 layout, vectors set by the test
kind: bitext_mining
metric: mining_f1
extra_metrics: [mining_precision, mining_recall]
languages: {{deu_Latn: de}}
source_language: eng_Latn
eval_split: training
fields: {{text: text}}
id: id
creation: human-translated
licence: test-only
options: {{k: 2, {threshold}, pivot_path: "bucc2018/{{lang}}-en/{{lang}}-en.{{split}}.en",
          gold_path: "bucc2018/{{lang}}-en/{{lang}}-en.{{split}}.gold"}}
local:
  root: task-file
  format: tsv
  header: false
  columns: [id, text]
  path: "bucc2018/{{lang}}-en/{{lang}}-en.{{split}}.{{lang}}"
"""


def write_task(root: Path, threshold: str = "threshold_split: sample") -> Path:
    path = root / "bucc.yaml"
    path.write_text(TASK_YAML.format(threshold=threshold), "utf-8")
    return path
