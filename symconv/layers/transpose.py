"""Transposed convolution, with PyTorch's conventions (``ConvTranspose1d/2d/3d``).

A transposed convolution spreads every input over a window of the output:
input position ``i`` reaches output ``i*s + j*d - p`` through tap ``j``. Its
matrix is the transpose of the matrix of the convolution that maps the
transposed convolution's output shape back to its input shape, built from the
same weight symbols. The output size along an axis is
``(W - 1)s - 2p + d(K - 1) + a + 1`` with ``a`` the output padding (added after,
at the bottom or right). With ``groups`` the channels split as in PyTorch: an
input channel spreads onto the output channels of its own group only, through
a weight of shape ``(C_in, C_out // groups, *kernel)``.

>>> up = ConvTranspose(3, 2, stride=2)
>>> up.output_shape
(6,)
>>> up.output()
[k_1*x_1, k_2*x_1, k_1*x_2, k_2*x_2, k_1*x_3, k_2*x_3]
>>> up.matrix() == up.forward_conv().matrix().T
True
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from sympy import Array, Expr, SparseMatrix

from symconv.errors import SpecError
from symconv.layers.base import SymbolicLayer
from symconv.layers.containers import empty_rows, gc_paused, sparse_matrix
from symconv.layers.conv import Conv
from symconv.layers.cost import transpose_macs_count
from symconv.layers.expressions import linear_form, normalize_index
from symconv.layers.geometry import transpose_output_size, transpose_taps
from symconv.layers.spec import ChannelLayout, channel_groups
from symconv.layers.symbols import ravel, unravel
from symconv.layers.validators import channel_counts, flag, letters, per_axis, spatial_sizes

__all__ = ["ConvTranspose", "TransposeSpec"]


@dataclass(frozen=True)
class TransposeSpec(ChannelLayout):
    """The validated description of a transposed convolution."""

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    output_padding: tuple[int, ...]
    in_channels: int | None
    out_channels: int | None
    bias: bool
    input_letter: str = "x"
    kernel_letter: str = "k"
    bias_letter: str = "b"
    shared: bool = True  # what SymbolTable asks; a transposed convolution always shares
    groups: int = 1

    @classmethod
    def build(
        cls,
        input_size: object,
        kernel_size: object,
        *,
        stride: object = 1,
        padding: object = 0,
        dilation: object = 1,
        output_padding: object = 0,
        in_channels: object = None,
        out_channels: object = None,
        bias: object = False,
        input_letter: object = "x",
        kernel_letter: object = "k",
        bias_letter: object = "b",
        groups: object = 1,
    ) -> TransposeSpec:
        """Validate the arguments of :class:`ConvTranspose`."""
        sizes = spatial_sizes(input_size)
        ndim = len(sizes)
        if isinstance(padding, str):
            raise SpecError(
                f"padding of a transposed convolution must be an int or one per axis, got "
                f"{padding!r} (PyTorch has no named padding for it)"
            )
        kernel = per_axis("kernel_size", kernel_size, ndim, 1)
        strides = per_axis("stride", stride, ndim, 1)
        pads = per_axis("padding", padding, ndim, 0)
        dilations = per_axis("dilation", dilation, ndim, 1)
        extra = per_axis("output_padding", output_padding, ndim, 0)
        for axis in range(ndim):
            limit = max(strides[axis], dilations[axis])
            if extra[axis] >= limit:
                raise SpecError(
                    f"output_padding {extra[axis]} must be smaller than stride or dilation "
                    f"(here {limit}) on axis {axis}, as in PyTorch"
                )
        c_in, c_out = channel_counts(in_channels, out_channels)
        group_count = channel_groups(groups, c_in, c_out)
        names = letters(input_letter, kernel_letter, bias_letter)
        spec = cls(
            input_size=sizes,
            kernel_size=kernel,
            stride=strides,
            padding=pads,
            dilation=dilations,
            output_padding=extra,
            in_channels=c_in,
            out_channels=c_out,
            bias=flag("bias", bias),
            input_letter=names["input_letter"],
            kernel_letter=names["kernel_letter"],
            bias_letter=names["bias_letter"],
            groups=group_count,
        )
        for axis, size in enumerate(spec.output_size):
            if size < 1:
                raise SpecError(
                    f"padding {pads[axis]} leaves no output on axis {axis}: "
                    f"(W - 1)s - 2p + d(K - 1) + output_padding + 1 = {size}; use less padding"
                )
        return spec

    @property
    def output_size(self) -> tuple[int, ...]:
        """``(W - 1)s - 2p + d(K - 1) + output_padding + 1`` per axis."""
        return tuple(
            transpose_output_size(w, k, stride=s, padding=p, dilation=d, output_padding=a)
            for w, k, s, p, d, a in zip(
                self.input_size, self.kernel_size, self.stride, self.padding,
                self.dilation, self.output_padding, strict=True,
            )
        )  # fmt: skip

    @property
    def filter_shape(self) -> tuple[int, ...]:
        """What one input channel spreads onto the output: ``(C_out // groups, *kernel)``."""
        if not self.has_channels:
            return self.kernel_size
        return (self.group_out_channels, *self.kernel_size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """PyTorch's transposed weight: ``(C_in, C_out // groups, *kernel)``."""
        return (self.c_in, *self.filter_shape) if self.has_channels else self.kernel_size

    @property
    def bias_shape(self) -> tuple[int, ...]:
        if not self.bias:
            return (0,)
        return (self.c_out,)


class ConvTranspose(SymbolicLayer[TransposeSpec]):
    """A transposed convolution (PyTorch's ``ConvTranspose``), derived symbolically.

    Args:
        input_size: Spatial size: an int (1-D) or a tuple.
        kernel_size: An int for every spatial axis, or a tuple.
        stride: An int or one per axis.
        padding: ``dilation*(kernel_size-1) - padding`` zeros are conceptually added to
            both sides of the input, as in PyTorch; an int or one per axis.
        dilation: An int or one per axis.
        output_padding: Extra size added after (bottom/right) on each axis;
            smaller than the stride or the dilation.
        in_channels: Input channels; with ``out_channels`` ``None`` both, no channel axes.
        out_channels: Output channels.
        bias: One bias per output channel.
        input_letter: Letter of the input symbols (``x``).
        kernel_letter: Letter of the kernel symbols (``k``).
        bias_letter: Letter of the bias symbols (``b``).
        groups: PyTorch's ``groups``: both channel counts split into this many
            groups, each input channel spreading onto the output channels of its
            own group only; the weight is ``(C_in, C_out // groups, *kernel)``.

    Raises:
        SymconvError: An argument is not allowed; the message names it.

    >>> t = ConvTranspose((2, 2), 3, stride=2, padding=1, output_padding=1,
    ...                   in_channels=4, out_channels=2)
    >>> t.input_shape, t.output_shape, t.kernel_symbols.shape, t.weight_count
    ((4, 2, 2), (2, 4, 4), (4, 2, 3, 3), 72)
    >>> grouped = ConvTranspose(4, 3, in_channels=4, out_channels=6, groups=2)
    >>> grouped.kernel_symbols.shape, grouped.weight_count, grouped.macs
    ((4, 3, 3), 36, 144)
    """

    __slots__ = ()

    def __init__(
        self,
        input_size: int | tuple[int, ...],
        kernel_size: int | tuple[int, ...],
        *,
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        output_padding: int | tuple[int, ...] = 0,
        in_channels: int | None = None,
        out_channels: int | None = None,
        bias: bool = False,
        input_letter: str = "x",
        kernel_letter: str = "k",
        bias_letter: str = "b",
        groups: int = 1,
    ) -> None:
        spec = TransposeSpec.build(
            input_size, kernel_size, stride=stride, padding=padding, dilation=dilation,
            output_padding=output_padding, in_channels=in_channels, out_channels=out_channels,
            bias=bias, input_letter=input_letter, kernel_letter=kernel_letter,
            bias_letter=bias_letter, groups=groups,
        )  # fmt: skip
        self._init_from_spec(spec)

    def __repr__(self) -> str:
        spec = self.spec
        size = spec.input_size[0] if spec.ndim == 1 else spec.input_size
        kernel = spec.kernel_size[0] if len(set(spec.kernel_size)) == 1 else spec.kernel_size
        options = [
            f"{name}={value[0] if len(set(value)) == 1 else value}"
            for name, value, default in (
                ("stride", spec.stride, 1),
                ("padding", spec.padding, 0),
                ("dilation", spec.dilation, 1),
                ("output_padding", spec.output_padding, 0),
            )
            if set(value) != {default}
        ]
        if spec.has_channels:
            options.append(f"in_channels={spec.in_channels}, out_channels={spec.out_channels}")
        if spec.groups != 1:
            options.append(f"groups={spec.groups}")
        if spec.bias:
            options.append("bias=True")
        return f"ConvTranspose({', '.join([str(size), str(kernel), *options])})"

    @property
    def filter_shape(self) -> tuple[int, ...]:
        """What one input channel spreads onto the output: ``(C_out // groups, *kernel)``
        with channels, else the kernel sizes."""
        return self.spec.filter_shape

    @property
    def groups(self) -> int:
        """PyTorch's ``groups``: 1 unless the channels are split into groups."""
        return self.spec.groups

    @property
    def macs(self) -> int:
        """Multiply-accumulates: ``prod(input_shape) * (C_out // groups) * prod(kernel)``.

        Every input scatters into one window per output channel of its group,
        as PyTorch's flop counter counts it.

        >>> ConvTranspose(3, 2, stride=2).macs
        6
        """
        spec = self.spec
        count: int = transpose_macs_count(
            spec.input_shape, spec.group_out_channels, spec.kernel_count
        )
        return count

    @property
    def flops(self) -> int:
        """Floating-point operations of one forward pass: ``2 * macs``."""
        return 2 * self.macs

    @property
    def kernel_symbols(self) -> Array:
        """The ``k`` symbols, shaped as PyTorch's weight: ``(C_in, C_out // groups, *kernel)``."""
        return self._cached("kernel_symbols", self._symbols.weight_array)

    # Derivations -------------------------------------------------------------

    def forward_conv(self) -> Conv:
        """The convolution from this layer's output shape back to its input shape.

        Same kernel, stride, dilation and groups, the padding before as given,
        channels swapped, same weight symbols (PyTorch's transposed weight
        ``(C_in, C_out // groups, *kernel)`` is the convolution's
        ``(C_out', C_in' // groups, *kernel)``), so that
        ``self.matrix() == self.forward_conv().matrix().T``. The output padding is
        absorbed by less padding after (``padding - output_padding``, up to
        ``stride - 1`` more).

        Raises:
            SymconvError: No convolution with padding of at least 0 maps this
                output shape back (``output_padding >= padding + stride``).
        """
        spec = self.spec
        after = []
        for axis, (p, a, s) in enumerate(
            zip(spec.padding, spec.output_padding, spec.stride, strict=True)
        ):
            if p - a + s - 1 < 0:
                raise SpecError(
                    f"no convolution maps this output back on axis {axis}: output_padding {a} "
                    f"exceeds padding {p} + stride {s} - 1"
                )
            after.append(max(p - a, 0))
        return Conv(
            spec.output_size if spec.ndim > 1 else spec.output_size[0],
            spec.kernel_size,
            stride=spec.stride,
            padding=tuple((p, q) for p, q in zip(spec.padding, after, strict=True)),
            dilation=spec.dilation,
            in_channels=spec.out_channels,
            out_channels=spec.in_channels,
            groups=spec.groups,
            kernel_letter=spec.kernel_letter,
            input_letter="y" if spec.input_letter != "y" else "z",
        )

    def _axis_taps(self, axis: int, position: int) -> tuple[tuple[int, int], ...]:
        """``(tap, input index)`` pairs reaching output ``position`` on ``axis``."""
        spec = self.spec
        return transpose_taps(
            position,
            spec.input_size[axis],
            spec.kernel_size[axis],
            stride=spec.stride[axis],
            padding=spec.padding[axis],
            dilation=spec.dilation[axis],
        )

    def _taps(self, index: tuple[int, ...]) -> list[tuple[int, int]]:
        spec = self.spec
        channel, position = (index[0], index[1:]) if spec.has_channels else (0, index)
        combos: list[tuple[tuple[int, ...], tuple[int, ...]]] = [((), ())]
        for axis, p in enumerate(position):
            combos = [
                ((*ks, k), (*xs, x)) for ks, xs in combos for k, x in self._axis_taps(axis, p)
            ]
        kernel_count = math.prod(spec.kernel_size)
        # Output channel ``channel`` is the ``filter_channel``-th of its group and
        # hears only the input channels of that group.
        group, filter_channel = divmod(channel, spec.group_out_channels)
        first = group * spec.group_in_channels
        taps = []
        for c in range(first, first + spec.group_in_channels):
            for ks, xs in combos:
                weight = (c * spec.group_out_channels + filter_channel) * kernel_count + ravel(
                    ks, spec.kernel_size
                )
                value = c * math.prod(spec.input_size) + ravel(xs, spec.input_size)
                taps.append((weight, value))
        return taps

    def output_element(self, index: int | tuple[int, ...]) -> Expr:
        """One output element, from the inputs that reach it (O(kernel))."""
        normalized = normalize_index(index, self.output_shape)
        symbols = self._symbols
        bias = (
            symbols.bias(normalized[0] if self.spec.has_channels else 0) if self.spec.bias else None
        )
        return linear_form(
            ((symbols.weight(w), symbols.input(x)) for w, x in self._taps(normalized)), bias
        )

    def output(self) -> Array:
        """Every output element, shaped as ``output_shape``."""
        return self._cached(
            "output",
            lambda: Array(
                [self.output_element(i) for i in itertools.product(*map(range, self.output_shape))],
                self.output_shape,
            ),
        )

    def matrix_row(self, row: int) -> dict[int, Expr]:
        """The nonzero entries of one row of :meth:`matrix`, by column, without building it.

        >>> ConvTranspose(3, 2).matrix_row(1)
        {0: k_2, 1: k_1}
        """
        rows = math.prod(self.output_shape)
        if not -rows <= row < rows:
            raise IndexError(f"row {row} is out of range for a matrix of {rows} rows")
        entries: dict[int, Expr] = {}
        for weight, column in self._taps(unravel(row % rows, self.output_shape)):
            symbol = self._symbols.weight(weight)
            entries[column] = entries[column] + symbol if column in entries else symbol
        return dict(sorted(entries.items()))

    def matrix(self) -> SparseMatrix:
        """The matrix ``M`` with ``y = M x`` on row-major flattening (bias left out)."""
        shape = (math.prod(self.output_shape), math.prod(self.input_shape))
        rows = empty_rows(shape)
        symbols = self._symbols
        # One int object per number (a number above 256 is 32 bytes of its own),
        # shared by its row and every row that holds it as a column. A tuple:
        # ``product`` takes a whole one as it is, where it copies a range.
        numbers = tuple(range(max(shape)))
        number = numbers.__getitem__
        axes = [numbers[:size] for size in self.output_shape]
        with gc_paused():
            for row, index in enumerate(itertools.product(*axes)):
                entries: dict[int, Expr] = {}
                for weight, column in self._taps(index):
                    symbol = symbols.weight(weight)
                    if column in entries:
                        entries[column] = entries[column] + symbol
                    else:
                        entries[number(column)] = symbol
                if entries:  # an output no input reaches is a row of zeros
                    rows[number(row)] = entries
        return sparse_matrix(rows, shape)
