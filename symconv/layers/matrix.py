"""The matrix of a convolution: ``y = M x`` on row-major flattening.

The matrix is Toeplitz in 1-D, doubly block Toeplitz in 2-D, block-structured
over channels, circulant with circular padding, and has a fresh weight in every
nonzero when weights are not shared. It is built straight from the taps, so
the cost is linear in its nonzeros, and returned as a ``sympy.SparseMatrix``.
Outputs whose windows are the same up to a shift share their weights and
column offsets (:mod:`symconv.layers.patterns`), so each row costs little more
than storing it.

>>> from symconv.layers.spec import ConvSpec
>>> convolution_matrix(ConvSpec.build(4, 2))
Matrix([
[k_1, k_2,   0,   0],
[  0, k_1, k_2,   0],
[  0,   0, k_1, k_2]])
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sympy import Expr, SparseMatrix, Symbol

from symconv.layers.containers import Rows, empty_rows, gc_paused, sparse_matrix
from symconv.layers.patterns import Pattern, window_patterns
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable, unravel
from symconv.layers.windows import Connections, axis_windows

__all__ = ["convolution_entries", "convolution_matrix", "convolution_rows", "matrix_row"]


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


def convolution_rows(spec: ConvSpec, symbols: SymbolTable | None = None) -> Rows:
    """The nonzero entries as ``{row: {column: weight}}``, rows ascending, columns in tap order.

    The same entries as :func:`convolution_entries`, built per window pattern:
    one weight tuple per pattern and output channel (one per output when
    weights are not shared), and each row a ``dict`` of its columns and those
    weights.

    >>> convolution_rows(ConvSpec.build(4, 2, padding=((0, 1),)))
    {0: {0: k_1, 1: k_2}, 1: {1: k_1, 2: k_2}, 2: {2: k_1, 3: k_2}, 3: {3: k_1}}
    """
    rows: Rows = {}
    _fill_rows(rows, spec, symbols or SymbolTable(spec))
    return rows


def _fill_rows(rows: Rows, spec: ConvSpec, symbols: SymbolTable) -> None:
    """Put the nonzero rows of the matrix into the empty mapping ``rows``."""
    with gc_paused():
        weights = symbols.weights()
    c_out = spec.c_out
    spatial_outputs = math.prod(spec.output_size)
    groups = spec.groups
    group_outputs = c_out // groups
    group_inputs = spec.c_in // groups * math.prod(spec.input_size)
    filter_size = spec.c_in // groups * math.prod(spec.kernel_size)
    row_count = c_out * spatial_outputs
    slots = cast(dict[int, Any], rows)
    slots.update(zip(range(row_count), itertools.repeat(None)))  # rows in ascending order
    numbers = _Numbers(rows, row_count, math.prod(spec.input_shape))
    empty = False
    with gc_paused():
        for pattern in window_patterns(spec):
            kernel = pattern.kernel
            if not kernel:
                empty = True
                continue
            if len(set(pattern.inputs)) < len(pattern.inputs):
                _add_wrapped(rows, pattern, spec, weights)
                continue
            columns: Iterable[Sequence[int]] = ()
            for channel in range(c_out):
                first_row = channel * spatial_outputs
                offset = channel // group_outputs * group_inputs
                if offset or not channel:
                    columns = _columns(pattern, offset, numbers)
                    if group_outputs > 1:  # the next channels read the same columns
                        columns = list(columns)
                if spec.shared:
                    base = channel * filter_size
                    taps = tuple(weights[base + k] for k in kernel)
                    for output, row in zip(pattern.outputs, columns, strict=True):
                        rows[first_row + output] = dict(zip(row, taps, strict=True))
                else:
                    for output, row in zip(pattern.outputs, columns, strict=True):
                        base = (output * c_out + channel) * filter_size
                        taps_here = map(weights.__getitem__, map(base.__add__, kernel))
                        rows[first_row + output] = dict(zip(row, taps_here, strict=True))
        if empty:
            for number in [number for number, entries in rows.items() if not entries]:
                del rows[number]


class _Numbers:
    """The int objects of the row and column numbers, each made once.

    A number above 256 is an object of its own (32 bytes) unless the same
    object is reused, and the matrix holds each number as a row and in up to
    ``kernel`` rows as a column. The rows' own numbers (the keys of ``rows``,
    in ascending order) are reused for the columns and the numbers past the
    last row are made once per pattern, so that a large matrix stores almost
    no int twice (a border output makes its own few).
    """

    def __init__(self, rows: Rows, row_count: int, column_count: int) -> None:
        self._rows = rows
        self._row_count = row_count
        self._column_count = column_count
        self._table: list[int] | None = None

    def stream(self) -> Iterator[int]:
        """Every number, ascending, read from the rows without a list of them."""
        return itertools.chain(self._rows, range(self._row_count, self._column_count))

    def table(self) -> list[int]:
        """Every number as a list, for patterns whose rows are read out of order."""
        if self._table is None:
            self._table = list(self.stream())
        return self._table


def _columns(pattern: Pattern, offset: int, numbers: _Numbers) -> Iterator[Sequence[int]]:
    """The columns of each output of ``pattern``, its inputs moved by ``offset``."""
    inputs = pattern.inputs
    shifts = pattern.shifts
    step = inputs[1] - inputs[0] if len(inputs) > 1 else 1
    if step > 0 and all(b - a == step for a, b in itertools.pairwise(inputs)):
        first, stop = inputs[0] + offset, inputs[-1] + offset + 1
        if isinstance(shifts, range) and shifts.step > 0 and not offset:
            # Evenly spaced taps whose outputs shift by a steady step (every 1-D
            # layer; also N-D patterns of one column, such as 1x1 kernels): tap t
            # reads every shifts.step-th number from its own start. Readers of
            # one stream (tee keeps only the few numbers between the first reader
            # and the last) need no list as long as the layer, which would sit
            # beside the finished rows at the peak, 8 bytes a number. Not for a
            # later group: its stream would walk every row first.
            readers = itertools.tee(numbers.stream(), len(inputs))
            starts = range(shifts.start + first, shifts.start + stop, step)
            end = len(shifts) * shifts.step
            return zip(
                *(
                    itertools.islice(reader, start, start + end, shifts.step)
                    for reader, start in zip(readers, starts, strict=True)
                ),
                strict=True,
            )
        if len(shifts) == 1:  # a border output: its few numbers need not be shared
            return iter([range(shifts[0] + first, shifts[0] + stop, step)])
        positions = numbers.table()
        return (positions[shift + first : shift + stop : step] for shift in shifts)
    if offset:
        inputs = tuple(x + offset for x in inputs)
    return (list(map(shift.__add__, inputs)) for shift in shifts)


def _add_wrapped(
    rows: Rows,
    pattern: Pattern,
    spec: ConvSpec,
    weights: list[Symbol],
) -> None:
    """Rows of a circular window that meets an input twice: such entries sum their weights."""
    c_out = spec.c_out
    spatial_outputs = math.prod(spec.output_size)
    groups = spec.groups
    group_inputs = spec.c_in // groups * math.prod(spec.input_size)
    filter_size = spec.c_in // groups * math.prod(spec.kernel_size)
    for channel in range(c_out):
        offset = channel // (c_out // groups) * group_inputs
        for output, shift in zip(pattern.outputs, pattern.shifts, strict=True):
            filter_index = channel if spec.shared else output * c_out + channel
            base = filter_index * filter_size
            entries: dict[int, Expr] = {}
            for k, x in zip(pattern.kernel, pattern.inputs, strict=True):
                column, symbol = x + shift + offset, weights[base + k]
                entries[column] = entries[column] + symbol if column in entries else symbol
            rows[channel * spatial_outputs + output] = entries


def convolution_matrix(spec: ConvSpec, symbols: SymbolTable | None = None) -> SparseMatrix:
    """The sparse matrix of shape ``(prod(output_shape), prod(input_shape))``."""
    shape = (math.prod(spec.output_shape), math.prod(spec.input_shape))
    rows = empty_rows(shape)
    _fill_rows(rows, spec, symbols or SymbolTable(spec))
    with gc_paused():
        return sparse_matrix(rows, shape)


def matrix_row(spec: ConvSpec, row: int, symbols: SymbolTable | None = None) -> dict[int, Expr]:
    """The nonzero entries ``{column: weight}`` of one row, in O(kernel) without the matrix.

    >>> from symconv.layers.spec import ConvSpec
    >>> matrix_row(ConvSpec.build(9, 3, padding="same"), 8)
    {7: k_1, 8: k_2}
    """
    symbols = symbols or SymbolTable(spec)
    connections = _connections(spec)
    channel, *position = (
        unravel(row, connections.output_shape)
        if spec.has_channels
        else (
            0,
            *unravel(row, connections.output_shape),
        )
    )
    entries: dict[int, Expr] = {}
    for weight, column in connections.taps(channel, tuple(position)):
        symbol = symbols.weight(weight)
        entries[column] = entries[column] + symbol if column in entries else symbol
    return entries


class _RowConnections(Connections):
    """:class:`Connections` with the output shape read once, for row after row."""

    def __init__(self, spec: ConvSpec) -> None:
        super().__init__(spec)
        self.output_shape = spec.output_shape


@functools.lru_cache(maxsize=32)
def _connections(spec: ConvSpec) -> _RowConnections:
    """One :class:`Connections` per layer, when its rows are asked for one by one."""
    return _RowConnections(spec)
