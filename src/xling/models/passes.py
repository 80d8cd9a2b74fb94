"""Forward passes whose shape does not depend on the batch: the basis of batch-independent vectors.

A CPU matrix product's per-row result can depend on the matrix's row count (MKL takes other
kernels below about 12 rows, and others again with two threads), and padding changes the length
a softmax or mean pooling reduces over. So texts are grouped by their exact token length and
each group runs in passes of exactly ``rows`` texts (the caller fills the last pass of a length
with copies of its last text): a text of length ``L`` is always computed inside a
``rows x L`` batch with no padding, and the rows of a product do not mix.
"""

from __future__ import annotations


def fixed_shape_passes(lengths: list[int], rows: int) -> list[list[int]]:
    """Indices into ``lengths``, grouped by equal length in passes of at most ``rows`` (first-come order)."""
    by_length: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        by_length.setdefault(n, []).append(i)
    return [idx[j : j + rows] for _, idx in sorted(by_length.items()) for j in range(0, len(idx), rows)]
