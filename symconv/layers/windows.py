"""Which input position each kernel tap meets: the sliding window, one axis at a time.

On one spatial axis, output position ``o`` reads padded position
``o*s + j*d`` with tap ``j`` of the kernel, which is input position
``o*s + j*d - before``. A tap that lands in zero padding contributes nothing; with
circular padding it wraps around. A convolution with ``flip=True`` uses the
kernel reversed, so tap ``j`` carries weight ``K - 1 - j``.

>>> from symconv.layers.spec import ConvSpec
>>> axis_window(ConvSpec.build(9, 3, padding="same"), 0, 0)
((1, 0), (2, 1))
"""

from __future__ import annotations

import itertools
import math

from symconv.layers.geometry import conv_taps
from symconv.layers.spec import ConvSpec

__all__ = ["Connections", "Taps", "Window", "axis_window", "axis_windows"]

#: ``(weight index, input index)`` pairs of one output position on one axis, 0-based.
Window = tuple[tuple[int, int], ...]


def axis_window(spec: ConvSpec, axis: int, position: int) -> Window:
    """The taps of output ``position`` on ``axis`` that meet the input, with their weight index."""
    kernel = spec.kernel_size[axis]
    taps = conv_taps(
        position,
        spec.input_size[axis],
        kernel,
        stride=spec.stride[axis],
        before=spec.padding[axis][0],
        dilation=spec.dilation[axis],
        circular=spec.padding_mode == "circular",
    )
    if spec.flip:
        return tuple((kernel - 1 - tap, index) for tap, index in taps)
    return taps


def axis_windows(spec: ConvSpec, axis: int) -> tuple[Window, ...]:
    """:func:`axis_window` for every output position on ``axis``."""
    return tuple(axis_window(spec, axis, position) for position in range(spec.output_size[axis]))


#: ``(weight, input)`` flat positions of the taps of one output element.
Taps = list[tuple[int, int]]


def _row_major_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


class Connections:
    """The taps of every output element as flat (row-major) positions.

    Weights are numbered in ``spec.weight_shape`` and inputs in
    ``spec.input_shape``, so one element's taps cost O(kernel) and all of them
    cost O(nonzeros of the matrix).

    >>> from symconv.layers.spec import ConvSpec
    >>> Connections(ConvSpec.build(9, 3)).taps(0, (6,))
    [(0, 6), (1, 7), (2, 8)]
    """

    def __init__(self, spec: ConvSpec) -> None:
        self.spec = spec
        self._kernel_strides = _row_major_strides(spec.kernel_size)
        self._input_strides = _row_major_strides(spec.input_size)
        self._output_strides = _row_major_strides(spec.output_size)
        self._spatial_inputs = math.prod(spec.input_size)
        self._spatial_outputs = math.prod(spec.output_size)

    def spatial_taps(self, windows: tuple[Window, ...]) -> Taps:
        """Combine one window per axis into flat (kernel tap, spatial input) positions."""
        combos = [(0, 0)]
        for window, kernel_step, input_step in zip(
            windows, self._kernel_strides, self._input_strides, strict=True
        ):
            combos = [
                (k + tap * kernel_step, x + index * input_step)
                for k, x in combos
                for tap, index in window
            ]
        return combos

    def output_flat(self, channel: int, position: tuple[int, ...]) -> int:
        """Row-major position of output ``(channel, *position)`` in ``output_shape``."""
        spatial = sum(p * step for p, step in zip(position, self._output_strides, strict=True))
        return channel * self._spatial_outputs + spatial

    def taps(
        self,
        channel: int,
        position: tuple[int, ...],
        spatial: Taps | None = None,
    ) -> Taps:
        """``(weight, input)`` flat positions feeding output ``(channel, *position)``."""
        spec = self.spec
        if spatial is None:
            spatial = self.spatial_taps(
                tuple(axis_window(spec, axis, p) for axis, p in enumerate(position))
            )
        kernel_count = spec.kernel_count
        # With groups, output channel o reads only the input channels of its group.
        reads = spec.group_in_channels
        first_channel = channel // spec.group_out_channels * reads
        if spec.shared:
            first_filter = channel * reads
        else:
            spatial_flat = self.output_flat(0, position)
            first_filter = (spatial_flat * spec.c_out + channel) * reads
        taps: Taps = []
        for c in range(reads):
            weight_base = (first_filter + c) * kernel_count
            input_base = (first_channel + c) * self._spatial_inputs
            taps.extend((weight_base + k, input_base + x) for k, x in spatial)
        return taps

    def bias(self, channel: int, position: tuple[int, ...]) -> int:
        """Flat position in ``bias_shape`` of the bias of output ``(channel, *position)``."""
        return channel if self.spec.shared else self.output_flat(channel, position)

    def positions(self) -> itertools.product[tuple[int, ...]]:
        """Every spatial output position, in row-major order."""
        return itertools.product(*(range(n) for n in self.spec.output_size))
