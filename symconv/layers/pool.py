"""Max and average pooling, with PyTorch's conventions (``MaxPool``/``AvgPool``).

Output size per axis: ``floor((W + 2p - d(K - 1) - 1)/s) + 1``, or with
``ceil_mode`` the ceiling, dropping a last window that would start in the right
padding. The stride defaults to the kernel size. Max pooling ignores padding
(it pads with minus infinity) and is not linear: its elements are ``Max(...)``.
Average pooling divides by the window's size within the padded input
(``count_include_pad=True``, PyTorch's default) or by the inputs it covers, and
is linear, so it has a matrix.

>>> Pool(4, 2).output()
[Max(x_1, x_2), Max(x_3, x_4)]
>>> Pool(4, 2, mode="avg").matrix()
Matrix([
[1/2, 1/2,   0,   0],
[  0,   0, 1/2, 1/2]])
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

from sympy import Add, Array, Expr, Max, Rational, SparseMatrix

from symconv.errors import SpecError
from symconv.layers.base import SymbolicLayer
from symconv.layers.expressions import normalize_index
from symconv.layers.geometry import conv_taps, pool_output_size, span
from symconv.layers.spec import ChannelLayout
from symconv.layers.symbols import ravel, unravel
from symconv.layers.validators import as_int, choice, flag, letter, per_axis, spatial_sizes

__all__ = ["Pool", "PoolSpec"]

POOL_MODES = ("max", "avg")


@dataclass(frozen=True)
class PoolSpec(ChannelLayout):
    """The validated description of a pooling layer: channels are pooled one by one."""

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool
    mode: Literal["max", "avg"]
    in_channels: int | None
    count_include_pad: bool
    input_letter: str = "x"
    kernel_letter: str = "k"
    bias_letter: str = "b"
    bias: bool = False
    shared: bool = True

    @classmethod
    def build(
        cls,
        input_size: object,
        kernel_size: object,
        *,
        stride: object = None,
        padding: object = 0,
        dilation: object = 1,
        ceil_mode: object = False,
        mode: object = "max",
        channels: object = None,
        count_include_pad: object = True,
        input_letter: object = "x",
    ) -> PoolSpec:
        """Validate the arguments of :class:`Pool`."""
        sizes = spatial_sizes(input_size)
        ndim = len(sizes)
        kernel = per_axis("kernel_size", kernel_size, ndim, 1)
        strides = kernel if stride is None else per_axis("stride", stride, ndim, 1)
        pads = per_axis("padding", padding, ndim, 0)
        dilations = per_axis("dilation", dilation, ndim, 1)
        chosen_mode = choice("mode", mode, POOL_MODES)
        rounds_up = flag("ceil_mode", ceil_mode)
        includes_pad = flag("count_include_pad", count_include_pad)
        if chosen_mode == "avg" and set(dilations) != {1}:
            raise SpecError("dilation applies to max pooling only (PyTorch's AvgPool has none)")
        for axis in range(ndim):
            if 2 * pads[axis] > kernel[axis]:
                raise SpecError(
                    f"padding {pads[axis]} must be at most half the kernel size "
                    f"{kernel[axis]} on axis {axis}, as in PyTorch"
                )
            fits = span(kernel[axis], dilations[axis]) <= sizes[axis] + 2 * pads[axis]
            # With ceil_mode PyTorch keeps a window that overhangs the input's end.
            overhang = rounds_up and pool_output_size(
                sizes[axis], kernel[axis], stride=strides[axis], padding=pads[axis],
                dilation=dilations[axis], ceil_mode=True,
            ) >= 1  # fmt: skip
            if not (fits or overhang):
                raise SpecError(
                    f"kernel_size {kernel[axis]} is larger than the padded input "
                    f"{sizes[axis] + 2 * pads[axis]} on axis {axis}"
                )
        return cls(
            input_size=sizes,
            kernel_size=kernel,
            stride=strides,
            padding=pads,
            dilation=dilations,
            ceil_mode=rounds_up,
            mode="max" if chosen_mode == "max" else "avg",
            in_channels=None if channels is None else as_int("channels", channels, 1),
            count_include_pad=includes_pad,
            input_letter=letter("input_letter", input_letter),
        )

    @property
    def out_channels(self) -> int | None:  # type: ignore[override]
        """Pooling keeps the channels."""
        return self.in_channels

    @property
    def channels(self) -> int | None:
        """Channels pooled one by one, ``None`` without a channel axis."""
        return self.in_channels

    @property
    def output_size(self) -> tuple[int, ...]:
        """PyTorch's pooling size per axis (see the geometry core's ``pool_output_size``)."""
        return tuple(
            pool_output_size(w, k, stride=s, padding=p, dilation=d, ceil_mode=self.ceil_mode)
            for w, k, s, p, d in zip(
                self.input_size, self.kernel_size, self.stride, self.padding, self.dilation,
                strict=True,
            )
        )  # fmt: skip

    @property
    def filter_shape(self) -> tuple[int, ...]:
        """The window: the kernel sizes (pooling has no weights)."""
        return self.kernel_size

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Pooling has no weights."""
        return (0,)

    @property
    def bias_shape(self) -> tuple[int, ...]:
        """Pooling has no bias."""
        return (0,)


class Pool(SymbolicLayer[PoolSpec]):
    """A max or average pooling layer, derived symbolically.

    Args:
        input_size: Spatial size: an int (1-D) or a tuple.
        kernel_size: An int for every axis, or a tuple.
        stride: Defaults to the kernel size, as in PyTorch.
        padding: At most half the kernel on each side, as in PyTorch.
        dilation: Max pooling only.
        ceil_mode: Round the output size up instead of down.
        mode: ``"max"`` or ``"avg"``.
        channels: Channels pooled independently; ``None`` for no channel axis.
        count_include_pad: Average pooling: divide by the window size within the
            padded input (``True``, PyTorch's default) or by the inputs covered.
        input_letter: The letter of the input symbols.

    >>> Pool((4, 4), 2, channels=3).output_shape, Pool(4, 2).weight_count
    ((3, 2, 2), 0)
    """

    __slots__ = ()

    def __init__(
        self,
        input_size: int | tuple[int, ...],
        kernel_size: int | tuple[int, ...],
        *,
        stride: int | tuple[int, ...] | None = None,
        padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        ceil_mode: bool = False,
        mode: str = "max",
        channels: int | None = None,
        count_include_pad: bool = True,
        input_letter: str = "x",
    ) -> None:
        spec = PoolSpec.build(
            input_size, kernel_size, stride=stride, padding=padding, dilation=dilation,
            ceil_mode=ceil_mode, mode=mode, channels=channels,
            count_include_pad=count_include_pad, input_letter=input_letter,
        )  # fmt: skip
        self._init_from_spec(spec)

    def __repr__(self) -> str:
        spec = self.spec
        size = spec.input_size[0] if spec.ndim == 1 else spec.input_size
        kernel = spec.kernel_size[0] if len(set(spec.kernel_size)) == 1 else spec.kernel_size
        options = [f"mode={spec.mode!r}"]
        if spec.stride != spec.kernel_size:
            options.append(f"stride={spec.stride}")
        if any(spec.padding):
            options.append(f"padding={spec.padding}")
        if spec.ceil_mode:
            options.append("ceil_mode=True")
        return f"Pool({size}, {kernel}, {', '.join(options)})"

    def _window(self, index: tuple[int, ...]) -> tuple[list[int], int]:
        """Flat input positions under output ``index`` and the average's divisor."""
        spec = self.spec
        channel, position = (index[0], index[1:]) if spec.has_channels else (0, index)
        per_axis_positions = []
        divisor = 1
        covered = 1
        for axis, o in enumerate(position):
            size, kernel = spec.input_size[axis], spec.kernel_size[axis]
            stride, pad = spec.stride[axis], spec.padding[axis]
            taps = conv_taps(
                o, size, kernel, stride=stride, before=pad, dilation=spec.dilation[axis]
            )
            inside = [i for _, i in taps]
            # The window within the padded input: a ceil_mode window may overhang it.
            start = o * stride - pad
            divisor *= min(start + kernel, size + pad) - start
            covered *= len(inside)
            per_axis_positions.append(inside)
        offset = channel * math.prod(spec.input_size)
        positions = [
            offset + ravel(p, spec.input_size) for p in itertools.product(*per_axis_positions)
        ]
        return positions, divisor if spec.count_include_pad else covered

    def output_element(self, index: int | tuple[int, ...]) -> Expr:
        """One output: ``Max`` of its window, or the window's sum over the divisor."""
        positions, divisor = self._window(normalize_index(index, self.output_shape))
        inputs = [self._symbols.input(p) for p in positions]
        if self.spec.mode == "max":
            return Max(*inputs)
        return Add(*inputs) * Rational(1, divisor)

    def output(self) -> Array:
        """Every output element, shaped as ``output_shape``."""
        indices = itertools.product(*map(range, self.output_shape))
        return Array([self.output_element(i) for i in indices], self.output_shape)

    def matrix_row(self, row: int) -> dict[int, Expr]:
        """The nonzero entries of one row of :meth:`matrix`, by column, without building it.

        >>> Pool(4, 2, mode="avg").matrix_row(1)
        {2: 1/2, 3: 1/2}

        Raises:
            SymconvError: For max pooling.
        """
        if self.spec.mode == "max":
            raise SpecError("max pooling is not linear, so it has no matrix; use mode='avg'")
        rows = math.prod(self.output_shape)
        if not -rows <= row < rows:
            raise IndexError(f"row {row} is out of range for a matrix of {rows} rows")
        positions, divisor = self._window(unravel(row % rows, self.output_shape))
        return dict.fromkeys(positions, Rational(1, divisor))

    def matrix(self) -> SparseMatrix:
        """The matrix of average pooling (max pooling is not linear and has none).

        Raises:
            SymconvError: For max pooling.
        """
        if self.spec.mode == "max":
            raise SpecError("max pooling is not linear, so it has no matrix; use mode='avg'")
        entries: dict[tuple[int, int], Expr] = {}
        for row, index in enumerate(itertools.product(*map(range, self.output_shape))):
            positions, divisor = self._window(index)
            for column in positions:
                entries[(row, column)] = Rational(1, divisor)
        return SparseMatrix(math.prod(self.output_shape), math.prod(self.input_shape), entries)
