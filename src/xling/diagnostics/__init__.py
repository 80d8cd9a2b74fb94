"""Diagnostics: checks that need a model (tokenizer, embeddings, log-likelihoods) or compare
runs. Methods and limits: docs/diagnostics.md. Each is runnable as ``xling diagnose NAME``."""

from .artefacts import translation_artefacts
from .contamination import contamination_check
from .fertility import fertility
from .fidelity import output_language_fidelity
from .mexa import mexa
from .texts import parallel_texts

__all__ = [
    "translation_artefacts",
    "contamination_check",
    "fertility",
    "output_language_fidelity",
    "mexa",
    "parallel_texts",
]
