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

from sympy import Add, Array, Expr, Max, Rational, SparseMatrix, Symbol

from symconv.errors import SpecError
from symconv.layers.expressions import normalize_index
from symconv.layers.symbols import ravel, symbol_name
from symconv.layers.validators import as_int, per_axis, spatial_sizes

__all__ = ["Pool", "pool_output_size"]


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling output length along one axis.

    >>> pool_output_size(5, 2, 2, 0, 1, False), pool_output_size(5, 2, 2, 0, 1, True)
    (2, 3)
    """
    span = dilation * (kernel - 1) + 1
    reach = size + 2 * padding - span
    count = (-(-reach // stride) if ceil_mode else reach // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1  # the last window may not start in the right padding
    return count


@dataclass(frozen=True)
class PoolSpec:
    """The validated description of a pooling layer."""

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool
    mode: Literal["max", "avg"]
    channels: int | None
    count_include_pad: bool
    input_letter: str = "x"

    @property
    def ndim(self) -> int:
        return len(self.input_size)

    @property
    def output_size(self) -> tuple[int, ...]:
        return tuple(
            pool_output_size(w, k, s, p, d, self.ceil_mode)
            for w, k, s, p, d in zip(
                self.input_size, self.kernel_size, self.stride, self.padding, self.dilation,
                strict=True,
            )
        )  # fmt: skip

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, *self.input_size) if self.channels else self.input_size

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, *self.output_size) if self.channels else self.output_size


class Pool:
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
    """

    __slots__ = ("spec",)

    spec: PoolSpec

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
        sizes = spatial_sizes(input_size)
        ndim = len(sizes)
        kernel = per_axis("kernel_size", kernel_size, ndim, 1)
        strides = kernel if stride is None else per_axis("stride", stride, ndim, 1)
        pads = per_axis("padding", padding, ndim, 0)
        dilations = per_axis("dilation", dilation, ndim, 1)
        if mode not in ("max", "avg"):
            raise SpecError(f"mode must be 'max' or 'avg', got {mode!r}")
        if mode == "avg" and set(dilations) != {1}:
            raise SpecError("dilation applies to max pooling only (PyTorch's AvgPool has none)")
        for axis in range(ndim):
            if 2 * pads[axis] > kernel[axis]:
                raise SpecError(
                    f"padding {pads[axis]} must be at most half the kernel size "
                    f"{kernel[axis]} on axis {axis}, as in PyTorch"
                )
            fits = dilations[axis] * (kernel[axis] - 1) + 1 <= sizes[axis] + 2 * pads[axis]
            # With ceil_mode PyTorch keeps a window that overhangs the input's end.
            overhang = (
                ceil_mode
                and pool_output_size(
                    sizes[axis], kernel[axis], strides[axis], pads[axis], dilations[axis], True
                )
                >= 1
            )
            if not (fits or overhang):
                raise SpecError(
                    f"kernel_size {kernel[axis]} is larger than the padded input "
                    f"{sizes[axis] + 2 * pads[axis]} on axis {axis}"
                )
        for name, flag in (("ceil_mode", ceil_mode), ("count_include_pad", count_include_pad)):
            if not isinstance(flag, bool):
                raise SpecError(f"{name} must be True or False, got {flag!r}")
        chosen = None if channels is None else as_int("channels", channels, 1)
        self.spec = PoolSpec(
            sizes, kernel, strides, pads, dilations, ceil_mode,
            "max" if mode == "max" else "avg", chosen, count_include_pad, input_letter,
        )  # fmt: skip

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

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(C, *spatial)`` with channels, else the spatial sizes."""
        return self.spec.input_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        """``(C, *spatial_out)`` with channels, else the spatial output sizes."""
        return self.spec.output_shape

    @property
    def weight_count(self) -> int:
        """Pooling has no weights."""
        return 0

    def _input(self, index: tuple[int, ...]) -> Symbol:
        return Symbol(symbol_name(self.spec.input_letter, index))

    def _window(self, index: tuple[int, ...]) -> tuple[list[tuple[int, ...]], int]:
        """The input positions under output ``index`` and the average's divisor."""
        spec = self.spec
        channel, position = ((index[0],), index[1:]) if spec.channels else ((), index)
        per_axis_positions = []
        divisor = 1
        covered = 1
        for axis, o in enumerate(position):
            start = o * spec.stride[axis] - spec.padding[axis]
            taps = [start + t * spec.dilation[axis] for t in range(spec.kernel_size[axis])]
            inside = [i for i in taps if 0 <= i < spec.input_size[axis]]
            end = min(start + spec.kernel_size[axis], spec.input_size[axis] + spec.padding[axis])
            divisor *= end - start
            covered *= len(inside)
            per_axis_positions.append(inside)
        positions = [(*channel, *p) for p in itertools.product(*per_axis_positions)]
        return positions, divisor if spec.count_include_pad else covered

    def output_element(self, index: int | tuple[int, ...]) -> Expr:
        """One output: ``Max`` of its window, or the window's sum over the divisor."""
        positions, divisor = self._window(normalize_index(index, self.output_shape))
        inputs = [self._input(p) for p in positions]
        if self.spec.mode == "max":
            return Max(*inputs)
        return Add(*inputs) * Rational(1, divisor)

    def output(self) -> Array:
        """Every output element, shaped as ``output_shape``."""
        indices = itertools.product(*map(range, self.output_shape))
        return Array([self.output_element(i) for i in indices], self.output_shape)

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
            for position in positions:
                column = ravel(position, self.input_shape)
                entries[(row, column)] = Rational(1, divisor)
        return SparseMatrix(math.prod(self.output_shape), math.prod(self.input_shape), entries)

    def _repr_latex_(self) -> str:
        from sympy import latex

        return f"$\\displaystyle {latex(self.output())}$"
