"""im2col: a convolution written as linear in its kernel, ``y_o = X vec(k_o)``.

The Toeplitz matrix ``M`` of :func:`symconv.layers.matrix.convolution_matrix`
holds the weights and multiplies the input (``y = M x``); the patch matrix
``X`` holds the input and multiplies one filter. Row ``r`` of ``X`` is the
window of output position ``r`` unrolled in the order of the filter's weights,
which is what ``torch.nn.functional.unfold`` returns (transposed). Both come
from the same window patterns, so ``X`` costs O(its nonzeros).

>>> from symconv.layers.spec import ConvSpec
>>> patch_matrix(ConvSpec.build(5, 3, stride=2))
Matrix([
[x_1, x_2, x_3],
[x_3, x_4, x_5]])
"""

from __future__ import annotations

import itertools
import math
from typing import Any, cast

from sympy import SparseMatrix

from symconv.errors import SpecError
from symconv.layers.containers import empty_rows, gc_paused, sparse_matrix
from symconv.layers.patterns import window_patterns
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable
from symconv.layers.validators import as_int

__all__ = ["patch_matrix"]


def _group(spec: ConvSpec, group: object) -> int:
    if group is None:
        if spec.groups > 1:
            raise SpecError(
                f"group must name one of the {spec.groups} groups (0 to {spec.groups - 1}): "
                "each group reads its own input channels"
            )
        return 0
    number = as_int("group", group, 0)
    if number >= spec.groups:
        raise SpecError(
            f"group must be at most {spec.groups - 1} (groups={spec.groups}), got {number}"
        )
    return number


def patch_matrix(
    spec: ConvSpec, symbols: SymbolTable | None = None, group: object = None
) -> SparseMatrix:
    """The patch matrix of ``group``: output positions by the weights of one filter.

    Entries where two taps wrap onto one input (circular padding) are distinct
    columns, so nothing is summed: each entry is one input symbol.
    """
    if not spec.shared:
        raise SpecError(
            "patch_matrix needs shared weights (shared=True): with a separate kernel per "
            "output position no single filter multiplies every row"
        )
    number = _group(spec, group)
    symbols = symbols or SymbolTable(spec)
    # The group's first input channel; each row holds the inputs under one window.
    offset = number * spec.group_in_channels * math.prod(spec.input_size)
    shape = (math.prod(spec.output_size), spec.group_in_channels * spec.kernel_count)
    rows = empty_rows(shape)
    with gc_paused():
        inputs = symbols.inputs()
        slots = cast(dict[int, Any], rows)
        slots.update(zip(range(shape[0]), itertools.repeat(None)))  # rows in ascending order
        for pattern in window_patterns(spec):
            columns = pattern.kernel
            taps = [x + offset for x in pattern.inputs]
            for output, shift in zip(pattern.outputs, pattern.shifts, strict=True):
                under = map(inputs.__getitem__, map(shift.__add__, taps))
                rows[output] = dict(zip(columns, under, strict=True))
        for row in [row for row, entries in rows.items() if not entries]:
            del rows[row]
        return sparse_matrix(rows, shape)
