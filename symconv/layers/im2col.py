"""im2col: a convolution written as linear in its kernel, ``y_o = X vec(k_o)``.

The Toeplitz matrix ``M`` of :func:`symconv.layers.matrix.convolution_matrix`
holds the weights and multiplies the input (``y = M x``); the patch matrix
``X`` holds the input and multiplies one filter. Row ``r`` of ``X`` is the
window of output position ``r`` unrolled in the order of the filter's weights,
which is what ``torch.nn.functional.unfold`` returns (transposed). Both come
from the same taps, so ``X`` costs O(its nonzeros).

>>> from symconv.layers.spec import ConvSpec
>>> patch_matrix(ConvSpec.build(5, 3, stride=2))
Matrix([
[x_1, x_2, x_3],
[x_3, x_4, x_5]])
"""

from __future__ import annotations

import math

from sympy import Expr, SparseMatrix

from symconv.errors import SpecError
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable
from symconv.layers.validators import as_int
from symconv.layers.windows import Connections, axis_windows

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
    connections = Connections(spec)
    # The first filter of the group; its weights number 0 .. filter size - 1 after the base.
    channel = number * spec.group_out_channels
    base = channel * spec.group_in_channels * spec.kernel_count
    inputs = symbols.inputs()
    windows = [axis_windows(spec, axis) for axis in range(spec.ndim)]
    entries: dict[tuple[int, int], Expr] = {}
    for row, position in enumerate(connections.positions()):
        spatial = connections.spatial_taps(
            tuple(w[p] for w, p in zip(windows, position, strict=True))
        )
        for weight, column in connections.taps(channel, position, spatial):
            entries[(row, weight - base)] = inputs[column]
    shape = (math.prod(spec.output_size), spec.group_in_channels * spec.kernel_count)
    return SparseMatrix(*shape, entries)
