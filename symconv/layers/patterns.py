"""The taps of every output at once, grouped by the shape of their window.

Away from the borders, every window of a convolution is the one before it
shifted by the stride (:func:`~symconv.layers.geometry.conv_interior`), so the
outputs of a layer fall into a few groups whose taps are the same up to a
shift of the input positions: on each axis one group for the interior and one
per border position, and in several dimensions the products of those. A
:class:`Pattern` holds one group's taps once, which lets the matrix and the
outputs of a large layer be built with a handful of Python operations per
nonzero instead of a window computation per output.

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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from symconv.layers.geometry import conv_interior
from symconv.layers.spec import ConvSpec
from symconv.layers.windows import Window, axis_window

__all__ = ["Pattern", "window_patterns"]


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

    def columns(self) -> Iterator[list[int]]:
        """The input positions of each output's taps, in the order of ``outputs``."""
        inputs = self.inputs
        return (list(map(shift.__add__, inputs)) for shift in self.shifts)


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
    group_channels = spec.c_in // getattr(spec, "groups", 1)
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
