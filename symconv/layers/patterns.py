"""The taps of every output at once, grouped by the shape of their window.

Away from the borders, every window of a convolution is the one before it
shifted by the stride (:func:`~symconv.layers.geometry.conv_interior`), so the
outputs of a layer fall into a few groups whose taps are the same up to a
shift of the input positions: on each axis one group for the interior and one
per border position, and in several dimensions the products of those. A
:class:`Pattern` holds one group's taps once, which lets the matrix and the
outputs of a large layer be built with a handful of Python operations per
nonzero instead of a window computation per output.

The gradients read the same taps the other way round: for each input
position, the outputs and taps that meet it (:func:`reaching_taps`), and for
each kernel tap, the outputs and inputs it meets (:func:`kernel_sweeps`), the
outputs listed in the order SymPy sorts their upstream symbols
(:func:`~symconv.layers.symbols.name_order`). That order is not kept by a shift (``g_9`` sorts after
``g_10``), so these are built per axis and combined, not per pattern.

>>> from symconv.layers.spec import ConvSpec
>>> for pattern in window_patterns(ConvSpec.build(5, 3, padding=1)):
...     print(pattern.kernel, pattern.inputs, list(pattern.outputs), list(pattern.shifts))
(0, 1, 2) (0, 1, 2) [1, 2, 3] [0, 1, 2]
(1, 2) (0, 1) [0] [0]
(0, 1) (3, 4) [4] [0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from symconv.layers.geometry import conv_interior
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import name_order
from symconv.layers.windows import Window, axis_window

__all__ = [
    "Pattern",
    "kernel_sweeps",
    "reaching_taps",
    "window_patterns",
]


@dataclass(frozen=True)
class Pattern:
    """Outputs whose windows are equal up to a shift of the input.

    Output ``outputs[n]`` (a flat spatial position) has one tap per entry of
    ``kernel`` and ``inputs``: weight ``kernel[t]`` of its filter (flat in
    ``(C_in per group, *kernel_size)``) meets input ``inputs[t] + shifts[n]``
    (flat in ``input_shape``, for the first group of input channels).
    """

    kernel: tuple[int, ...]
    inputs: tuple[int, ...]
    outputs: Sequence[int]
    shifts: Sequence[int]


@dataclass(frozen=True)
class _AxisGroup:
    positions: range
    window: Window  # (weight tap, input) of the first position
    step: int  # input shift from one position to the next


def _axis_groups(spec: ConvSpec, axis: int) -> list[_AxisGroup]:
    count = spec.output_size[axis]
    interior = conv_interior(
        count,
        spec.input_size[axis],
        spec.kernel_size[axis],
        stride=spec.stride[axis],
        before=spec.padding[axis][0],
        dilation=spec.dilation[axis],
    )
    groups = []
    border: Iterable[int] = range(count)
    if len(interior) > 1:
        groups.append(
            _AxisGroup(interior, axis_window(spec, axis, interior.start), spec.stride[axis])
        )
        border = itertools.chain(range(interior.start), range(interior.stop, count))
    groups.extend(_AxisGroup(range(p, p + 1), axis_window(spec, axis, p), 0) for p in border)
    return groups


def _row_major_strides(shape: Sequence[int]) -> list[int]:
    strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    return strides


def window_patterns(spec: ConvSpec) -> list[Pattern]:
    """Every output position's taps, as patterns; each spatial position appears once.

    The channels of a filter come in order, each with its spatial taps in
    row-major kernel order: the order of :meth:`Connections.taps
    <symconv.layers.windows.Connections.taps>`.
    """
    kernel_strides = _row_major_strides(spec.kernel_size)
    input_strides = _row_major_strides(spec.input_size)
    output_strides = _row_major_strides(spec.output_size)
    kernel_count = math.prod(spec.kernel_size)
    spatial_inputs = math.prod(spec.input_size)
    group_channels = spec.c_in // spec.groups
    patterns = []
    for combo in itertools.product(*(_axis_groups(spec, a) for a in range(spec.ndim))):
        taps = [(0, 0)]
        outputs: Sequence[int] = range(1)
        shifts: Sequence[int] = range(1)
        for group, k_step, x_step, o_step in zip(
            combo, kernel_strides, input_strides, output_strides, strict=True
        ):
            taps = [(k + t * k_step, x + i * x_step) for k, x in taps for t, i in group.window]
            positions = group.positions
            # Ranges while there is one axis: a long 1-D layer stores no list per output.
            axis_outputs = range(positions.start * o_step, positions.stop * o_step, o_step)
            increment = group.step * x_step
            axis_shifts = range(0, len(positions) * increment, increment) if increment else [0]
            if len(outputs) == 1 and outputs[0] == 0:
                outputs, shifts = axis_outputs, axis_shifts
            else:
                outputs = [o + a for o in outputs for a in axis_outputs]
                shifts = [s + a for s in shifts for a in axis_shifts]
        kernel = tuple(c * kernel_count + k for c in range(group_channels) for k, _ in taps)
        inputs = tuple(c * spatial_inputs + x for c in range(group_channels) for _, x in taps)
        patterns.append(Pattern(kernel, inputs, outputs, shifts))
    return patterns


# Gradients: the same taps seen from the input and from the kernel ---------------

#: ``(first, second)`` flat positions of the taps that meet one input or one weight.
TapPairs = list[tuple[int, int]]


def _combine(
    axes: Sequence[list[TapPairs]], strides: tuple[Sequence[int], Sequence[int]]
) -> list[TapPairs]:
    """Per-axis pairs combined into flat pairs, one list per row-major combination of entries."""
    if len(axes) == 1:
        return axes[0]
    firsts, seconds = strides
    combined = []
    for lists in itertools.product(*axes):
        pairs = [(0, 0)]
        for taps, first_step, second_step in zip(lists, firsts, seconds, strict=True):
            pairs = [(a + p * first_step, b + q * second_step) for a, b in pairs for p, q in taps]
        combined.append(pairs)
    return combined


def _shifted_windows(spec: ConvSpec, axis: int) -> list[Window]:
    """:func:`~symconv.layers.windows.axis_windows`, the interior's made by shifting one window.

    >>> from symconv.layers.windows import axis_windows
    >>> spec = ConvSpec.build(6, 3, padding=1, stride=2)
    >>> _shifted_windows(spec, 0) == list(axis_windows(spec, 0))
    True
    """
    windows: list[Window] = [()] * spec.output_size[axis]
    for group in _axis_groups(spec, axis):
        positions, step = group.positions, group.step
        if not step:
            windows[positions.start] = group.window
            continue
        stop = len(positions) * step
        columns = [
            zip(itertools.repeat(tap), range(index, index + stop, step), strict=False)
            for tap, index in group.window
        ]
        windows[positions.start : positions.stop] = zip(*columns, strict=True)
    return windows


def _axis_reach(spec: ConvSpec, axis: int) -> list[TapPairs]:
    windows = _shifted_windows(spec, axis)
    reach: list[TapPairs] = [[] for _ in range(spec.input_size[axis])]
    for output in name_order(spec.output_size[axis]):
        for tap, index in windows[output]:
            reach[index].append((output, tap))
    return reach


def reaching_taps(spec: ConvSpec) -> list[TapPairs] | None:
    """For each spatial input position, the ``(output, kernel tap)`` pairs whose tap meets it.

    Positions are flat and spatial (row-major in ``output_size`` and
    ``kernel_size``, one list per position of ``input_size``), outputs in the
    order of their names (:func:`~symconv.layers.symbols.spatial_name_order`):
    the order of the upstream symbols in a sum of ``dL/dx``. Built per axis, so
    the work beyond the pairs themselves is linear in the sizes of the axes.
    ``None`` when an output meets one input through two taps (a circular
    window that wraps onto itself), where that order is not the order of the
    pairs.

    >>> reaching_taps(ConvSpec.build(4, 2, stride=2))
    [[(0, 0)], [(0, 1)], [(1, 0)], [(1, 1)]]
    >>> reaching_taps(ConvSpec.build((2, 2), 2, padding=1))[0]
    [(0, 3), (1, 2), (3, 1), (4, 0)]
    """
    axes = [_axis_reach(spec, axis) for axis in range(spec.ndim)]
    for reach in axes:
        if any(len({output for output, _ in pairs}) < len(pairs) for pairs in reach):
            return None
    strides = (_row_major_strides(spec.output_size), _row_major_strides(spec.kernel_size))
    return _combine(axes, strides)


def _axis_sweep(spec: ConvSpec, axis: int) -> list[TapPairs]:
    windows = _shifted_windows(spec, axis)
    sweep: list[TapPairs] = [[] for _ in range(spec.kernel_size[axis])]
    for output in name_order(spec.output_size[axis]):
        for tap, index in windows[output]:
            sweep[tap].append((output, index))
    return sweep


def kernel_sweeps(spec: ConvSpec) -> list[TapPairs]:
    """For each spatial kernel tap, the ``(output, input)`` pairs it meets.

    Flat spatial positions, one list per tap of ``kernel_size`` (row-major),
    outputs in the order of their names: the order of the upstream symbols in
    a sum of ``dL/dk``. A tap meets each output at most once.

    >>> kernel_sweeps(ConvSpec.build(4, 2, stride=2))
    [[(0, 0), (1, 2)], [(0, 1), (1, 3)]]
    """
    axes = [_axis_sweep(spec, axis) for axis in range(spec.ndim)]
    strides = (_row_major_strides(spec.output_size), _row_major_strides(spec.input_size))
    return _combine(axes, strides)
