"""The matrix of a convolution: ``y = M x`` on row-major flattening.

The matrix is Toeplitz in 1-D, doubly block Toeplitz in 2-D, block-structured
over channels, circulant with circular padding, and has a fresh weight in every
nonzero when weights are not shared. It is built straight from the taps, so
the cost is linear in its nonzeros, and returned as a ``sympy.SparseMatrix``.

>>> from symconv.layers.spec import ConvSpec
>>> convolution_matrix(ConvSpec.build(4, 2))
Matrix([
[k_1, k_2,   0,   0],
[  0, k_1, k_2,   0],
[  0,   0, k_1, k_2]])
"""

from __future__ import annotations

import math

from sympy import Expr, SparseMatrix

from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable, unravel
from symconv.layers.windows import Connections, axis_windows

__all__ = ["convolution_entries", "convolution_matrix", "matrix_row"]


def convolution_entries(
    spec: ConvSpec, symbols: SymbolTable | None = None
) -> dict[tuple[int, int], Expr]:
    """The nonzero entries ``{(row, column): weight}`` of the convolution matrix.

    With circular padding a weight can wrap onto an input that another weight
    already reads; such entries hold the sum of both weights.
    """
    symbols = symbols or SymbolTable(spec)
    connections = Connections(spec)
    weights = symbols.weights() if spec.shared else None
    weight_of = weights.__getitem__ if weights is not None else symbols.weight
    windows = [axis_windows(spec, axis) for axis in range(spec.ndim)]
    entries: dict[tuple[int, int], Expr] = {}
    for position in connections.positions():
        spatial = connections.spatial_taps(
            tuple(w[p] for w, p in zip(windows, position, strict=True))
        )
        for channel in range(spec.c_out):
            row = connections.output_flat(channel, position)
            for weight, column in connections.taps(channel, position, spatial):
                key = (row, column)
                symbol = weight_of(weight)
                entries[key] = entries[key] + symbol if key in entries else symbol
    return entries


def convolution_matrix(spec: ConvSpec, symbols: SymbolTable | None = None) -> SparseMatrix:
    """The sparse matrix of shape ``(prod(output_shape), prod(input_shape))``."""
    shape = (math.prod(spec.output_shape), math.prod(spec.input_shape))
    return SparseMatrix(*shape, convolution_entries(spec, symbols))


def matrix_row(spec: ConvSpec, row: int, symbols: SymbolTable | None = None) -> dict[int, Expr]:
    """The nonzero entries ``{column: weight}`` of one row, in O(kernel) without the matrix.

    >>> from symconv.layers.spec import ConvSpec
    >>> matrix_row(ConvSpec.build(9, 3, padding="same"), 8)
    {7: k_1, 8: k_2}
    """
    symbols = symbols or SymbolTable(spec)
    channel, *position = (
        unravel(row, spec.output_shape)
        if spec.has_channels
        else (
            0,
            *unravel(row, spec.output_shape),
        )
    )
    entries: dict[int, Expr] = {}
    for weight, column in Connections(spec).taps(channel, tuple(position)):
        symbol = symbols.weight(weight)
        entries[column] = entries[column] + symbol if column in entries else symbol
    return entries
