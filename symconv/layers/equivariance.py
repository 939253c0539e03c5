"""Translation equivariance, derived: does a layer commute with shifting its input?

With the cyclic shift ``S`` (``(S x)_i = x_{i-1}``, wrapping around), a layer
``M`` is equivariant when shifting the input by the stride shifts the output by
one: ``M S_in^s = S_out M``. A circular convolution commutes exactly; a
zero-padded one does away from the border, and :func:`translation_equivariance`
says which rows differ; an unshared or dense layer does not, and it gives a
concrete input and weights where the two sides differ.

>>> from symconv import Conv
>>> translation_equivariance(Conv(6, 3, padding=1, padding_mode="circular")).commutes
True
>>> print(translation_equivariance(Conv(6, 3, padding=1)).message)
M S and S M differ in rows 1, 2 and 6 (the border); every other row commutes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from sympy import Expr, Matrix, MatrixBase, SparseMatrix, Symbol, expand, flatten

from symconv.errors import SymconvError
from symconv.layers.symbols import ravel, unravel

__all__ = [
    "Equivariance",
    "RowComparison",
    "ShiftRule",
    "compare_rows",
    "shift_matrix",
    "shift_rule",
    "translation_equivariance",
]


def shift_matrix(shape: tuple[int, ...], shift: int = 1, axis: int = -1) -> SparseMatrix:
    """The cyclic shift by ``shift`` along ``axis`` of a row-major flattened tensor.

    >>> shift_matrix((3,))
    Matrix([
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 0]])
    """
    size = math.prod(shape)
    axis %= len(shape)
    entries = {}
    for row in range(size):
        index = list(unravel(row, shape))
        index[axis] = (index[axis] - shift) % shape[axis]
        entries[(row, ravel(index, shape))] = 1
    return SparseMatrix(size, size, entries)


@dataclass(frozen=True)
class ShiftRule:
    """What :func:`shift_matrix` does, as a formula: ``(S v)_i = v_(i - shift)``, wrapping.

    Along ``axis`` (of a tensor of ``shape``), entry ``i`` (1-based) takes entry
    ``i - shift`` for ``i > shift``; the first ``shift`` entries take
    ``i - shift + size``, the last ones brought round.
    """

    shape: tuple[int, ...]
    axis: int
    shift: int

    @property
    def size(self) -> int:
        """How many entries the shifted axis has."""
        return self.shape[self.axis]


def shift_rule(shape: tuple[int, ...], shift: int = 1, axis: int = -1) -> ShiftRule:
    """The formula of ``shift_matrix(shape, shift, axis)``.

    >>> rule = shift_rule((8,))
    >>> rule.shift, rule.size
    (1, 8)
    """
    return ShiftRule(tuple(shape), axis % len(shape), shift % shape[axis % len(shape)])


@dataclass(frozen=True)
class RowComparison:
    """Row ``row`` of ``M S_in x`` beside the same row of ``S_out M x``.

    Attributes:
        row: The row, 1-based.
        source: The output ``S_out`` moves into this row (1-based): row ``row``
            of ``S_out M x`` is ``(M x)_source``.
        shifted_input: ``(M S_in x)_row``: this output's window on the shifted input.
        shifted_output: ``(S_out M x)_row``.
        padding: The weights of this output's window that meet padding (no input).
        source_padding: The same for the window of output ``source``.
    """

    row: int
    source: int
    shifted_input: Expr
    shifted_output: Expr
    padding: tuple[Symbol, ...]
    source_padding: tuple[Symbol, ...]

    @property
    def differs(self) -> bool:
        """The two sides are not the same expression."""
        return bool(expand(self.shifted_input - self.shifted_output) != 0)


def _filter_weights(layer: Any, row: int) -> list[Symbol]:
    """The weights one output's window holds when no padding hides any (shared layers)."""
    spec = layer.spec
    if not spec.shared:
        return []
    if spec.has_channels:
        channel = row // math.prod(layer.output_shape[1:])
        return list(flatten(layer.kernel_symbols[channel]))
    return list(flatten(layer.kernel_symbols))


def _on_padding(layer: Any, matrix: SparseMatrix, row: int) -> tuple[Symbol, ...]:
    present = set().union(*(matrix[row, c].free_symbols for c in range(matrix.cols)))
    return tuple(w for w in _filter_weights(layer, row) if w not in present)


def compare_rows(layer: Any, shift: int = 1, axis: int = -1) -> tuple[RowComparison, ...]:
    """Every row of ``M S_in x`` beside ``S_out M x`` for a :class:`~symconv.Conv`, shifted
    as :func:`translation_equivariance` shifts it.

    >>> from symconv import Conv
    >>> first = compare_rows(Conv(8, 3, padding=1))[0]
    >>> first.source, first.shifted_input, first.shifted_output, first.padding
    (8, k_2*x_8 + k_3*x_1, k_1*x_7 + k_2*x_8, (k_1,))
    """
    spec = layer.spec
    matrix = layer.matrix()
    spatial_axis = axis % spec.ndim
    tensor_axis = spatial_axis + (1 if spec.has_channels else 0)
    s_in = shift_matrix(layer.input_shape, shift * spec.stride[spatial_axis], tensor_axis)
    s_out = shift_matrix(layer.output_shape, shift, tensor_axis)
    x = Matrix(flatten(layer.input_symbols))
    shifted_input = (matrix * (s_in * x)).applyfunc(expand)
    outputs = (matrix * x).applyfunc(expand)
    found = []
    for row in range(matrix.rows):
        source = next(c for (r, c), _ in s_out.todok().items() if r == row)
        found.append(
            RowComparison(
                row + 1,
                source + 1,
                shifted_input[row],
                outputs[source],
                _on_padding(layer, matrix, row),
                _on_padding(layer, matrix, source),
            )
        )
    return tuple(found)


@dataclass(frozen=True)
class Equivariance:
    """Whether ``M S_in = S_out M``, and where not.

    Attributes:
        commutes: The layer commutes with the shift.
        differing_rows: 1-based rows of ``M S_in - S_out M`` that are not zero.
        message: The finding in words.
        counterexample: For a layer that does not commute: values of the input
            and weight symbols where the two sides differ; else ``None``.
        commutator: ``M S_in - S_out M``.
    """

    commutes: bool
    differing_rows: tuple[int, ...]
    message: str
    counterexample: dict[str, int] | None
    commutator: SparseMatrix

    def __bool__(self) -> bool:
        return self.commutes


def _rows(rows: tuple[int, ...]) -> str:
    if len(rows) == 1:
        return f"row {rows[0]}"
    return f"rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"


def translation_equivariance(layer: Any, shift: int = 1, axis: int = -1) -> Equivariance:
    """Compare ``M S_in`` with ``S_out M`` for a :class:`~symconv.Conv` or a square matrix.

    For a convolution, the input is shifted by ``shift * stride`` and the output
    by ``shift`` along the spatial ``axis``. A matrix (a dense layer) is shifted
    by ``shift`` on both sides.

    Raises:
        SymconvError: The layer is neither a Conv nor a matrix, or the sizes do not allow it.
    """
    from symconv.layers.conv import Conv

    if isinstance(layer, Conv):
        spec = layer.spec
        matrix = layer.matrix()
        spatial_axis = axis % spec.ndim
        stride = spec.stride[spatial_axis]
        tensor_axis = spatial_axis + (1 if spec.has_channels else 0)
        s_in = shift_matrix(layer.input_shape, shift * stride, tensor_axis)
        s_out = shift_matrix(layer.output_shape, shift, tensor_axis)
        border_possible = spec.padding_mode != "circular"
        shared = spec.shared
    elif isinstance(layer, MatrixBase):
        matrix = SparseMatrix(layer)
        s_in = shift_matrix((matrix.cols,), shift)
        s_out = shift_matrix((matrix.rows,), shift)
        border_possible, shared = True, False
    else:
        raise SymconvError(
            f"translation_equivariance takes a Conv or a matrix, got {type(layer).__name__}"
        )
    commutator = (matrix * s_in - s_out * matrix).applyfunc(expand)
    rows = tuple(sorted({r + 1 for (r, _c), v in commutator.todok().items() if v != 0}))
    if not rows:
        return Equivariance(True, (), "M S = S M: the layer commutes with the shift.", None,
                            commutator)  # fmt: skip
    total = matrix.rows
    counterexample = _counterexample(commutator, rows)
    if shared and border_possible and len(rows) < total:
        message = f"M S and S M differ in {_rows(rows)} (the border); every other row commutes."
    else:
        message = (
            f"M S and S M differ in {len(rows)} of {total} rows: the layer is not "
            "translation equivariant (its weights depend on the position)."
        )
    return Equivariance(False, rows, message, counterexample, commutator)


def _counterexample(commutator: SparseMatrix, rows: tuple[int, ...]) -> dict[str, int]:
    """Integer values of the weights and inputs where ``(M S - S M) x`` is not zero."""
    row = rows[0] - 1
    rng = random.Random(0)
    entries = {c: v for (r, c), v in commutator.todok().items() if r == row}
    weights = sorted(set().union(*(v.free_symbols for v in entries.values())), key=lambda s: s.name)
    for _ in range(100):
        values: dict[Symbol, int] = {w: rng.randint(1, 9) for w in weights}
        inputs = {c: rng.randint(1, 9) for c in entries}
        total = sum(v.xreplace(values) * inputs[c] for c, v in entries.items())
        if total != 0:
            named = {w.name: n for w, n in values.items()}
            named.update({f"x[{c + 1}]": n for c, n in sorted(inputs.items())})
            return named
    return {}
