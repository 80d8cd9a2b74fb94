"""Forward passes whose rows do not depend on the batch: the basis of batch-independent vectors.

Padding changes the length a softmax or mean pooling reduces over, so a pass holds texts of one
exact token length and no padding. The row count of a pass does not change a row's bits as long
as every matrix product has at least ``MIN_PASS_TOKENS`` rows: a CPU product's per-row result
depends on its row count only below that (MKL takes other kernels below about 12 rows, others
again with two threads; measured on e5-small's shapes up to 3,000 rows and checked by the
batching tests on every machine they run on). A text's products have ``rows x length`` rows, so
a pass of short texts gets copies of its last text until it reaches ``MIN_PASS_TOKENS``.
"""

from __future__ import annotations

MIN_PASS_TOKENS = 12


def equal_length_passes(lengths: list[int], rows: int) -> list[list[int]]:
    """Indices into ``lengths``, grouped by equal length in passes of at most ``rows`` (first-come order)."""
    by_length: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        by_length.setdefault(n, []).append(i)
    return [idx[j : j + rows] for _, idx in sorted(by_length.items()) for j in range(0, len(idx), rows)]


def pass_size(count: int, length: int) -> int:
    """Rows a pass of ``count`` texts of ``length`` tokens runs: ``count``, or more (copies) so
    that its products have at least ``MIN_PASS_TOKENS`` rows."""
    return max(count, -(-MIN_PASS_TOKENS // max(1, length)))
