"""The layers of a stack, before they know their input: convolutions, transposed
convolutions, pooling, batch norm, activations, flatten and dense, and the
builders ``conv()``, ``pool()``, ... that check their arguments.

With whole numbers each layer is built as the real :class:`~symconv.Conv`,
:class:`~symconv.ConvTranspose` or :class:`~symconv.pooling.Pool` of the shape
it receives; with symbols the geometry core gives its sizes as formulas.

>>> conv(3, out_channels=16, stride=2).name
'conv 3 stride 2, 16 filters'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sympy import Basic, Integer

from symconv.errors import SpecError
from symconv.layers.conv import Conv
from symconv.layers.cost import convolution_macs_count, transpose_macs_count
from symconv.layers.geometry import (
    Field,
    conv_output_size,
    field_after_conv,
    field_after_transpose,
    transpose_output_size,
)
from symconv.layers.pool import POOL_MODES, Pool
from symconv.layers.transpose import ConvTranspose
from symconv.layers.validators import choice, flag, size_or_symbol

__all__ = [
    "BatchNorm",
    "ConvLayer",
    "Dense",
    "Flatten",
    "Layer",
    "PoolLayer",
    "ReLU",
    "Shape",
    "TransposeLayer",
    "WindowedLayer",
    "batchnorm",
    "conv",
    "conv_transpose",
    "dense",
    "flatten",
    "plain_number",
    "pool",
    "relu",
]

#: A shape whose entries are whole numbers or SymPy expressions.
Shape = tuple[Any, ...]


def plain_number(value: Any) -> Any:
    """SymPy integers as ``int``; anything else unchanged."""
    return int(value) if isinstance(value, Basic) and value.is_Integer else value


def _numeric(*values: Any) -> bool:
    return all(isinstance(v, int) for v in values)


@dataclass(frozen=True)
class WindowedLayer:
    """What convolutions, transposed convolutions and pooling share in a stack."""

    kernel: Any
    stride: Any
    padding: Any
    dilation: Any

    def output_sizes(self, sizes: Shape) -> Shape:
        raise NotImplementedError

    def build(self, shape: Shape, kernel_letter: str = "k") -> Conv | ConvTranspose | Pool:
        """The real layer for an input of ``shape`` ``(C, *spatial)`` of whole numbers."""
        raise NotImplementedError

    def field(self, field: Field) -> Field:
        raise NotImplementedError

    def weights_of(self, channels: Any, ndim: int) -> Any:
        raise NotImplementedError

    def out_channels_for(self, channels: Any) -> Any:
        return channels

    def _params(self) -> tuple[Any, ...]:
        return (self.kernel, self.stride, self.padding, self.dilation)

    def macs_of(self, shape: Shape, result: Shape) -> Any:
        """Multiply-accumulates from ``shape`` to ``result`` (see :mod:`symconv.layers.cost`)."""
        return 0

    def apply(self, shape: Shape) -> tuple[Shape, Any, Any]:
        """The output shape, the weights and the MACs of this layer on an input of ``shape``."""
        channels, sizes = shape[0], shape[1:]
        if _numeric(*shape, *self._params(), self.out_channels_for(channels)):
            layer = self.build(shape)
            return layer.output_shape, layer.weight_count, getattr(layer, "macs", 0)
        out = tuple(plain_number(n) for n in self.output_sizes(sizes))
        if any(isinstance(n, int) and n < 1 for n in out):
            raise SpecError(f"no output left (sizes {out})")
        result = (self.out_channels_for(channels), *out)
        return (
            result,
            plain_number(self.weights_of(channels, len(sizes))),
            plain_number(self.macs_of(shape, result)),
        )


@dataclass(frozen=True)
class _Weighted(WindowedLayer):
    """Convolutions, plain or transposed: weights, channels chosen, a bias."""

    out_channels: Any = None
    bias: bool = False

    @property
    def _label(self) -> str:
        filters = self.out_channels
        channels = "" if filters is None else f", {filters} filter{'' if filters == 1 else 's'}"
        stride = f" stride {self.stride}" if self.stride != 1 else ""
        return f"{self.kernel}{stride}{channels}"

    def out_channels_for(self, channels: Any) -> Any:
        return channels if self.out_channels is None else self.out_channels

    def weights_of(self, channels: Any, ndim: int) -> Any:
        out = self.out_channels_for(channels)
        return channels * out * self.kernel**ndim + (out if self.bias else 0)


@dataclass(frozen=True)
class ConvLayer(_Weighted):
    """A convolution in a stack (``out_channels`` ``None``: as many as it receives)."""

    groups: Any = 1

    @property
    def name(self) -> str:
        groups = f", {self.groups} groups" if self.groups != 1 else ""
        return f"conv {self._label}{groups}"

    def _params(self) -> tuple[Any, ...]:
        return (*super()._params(), self.groups)

    def _reads(self, channels: Any) -> Any:
        """Input channels one filter reads: ``channels / groups``, which must divide."""
        if self.groups == 1:
            return channels
        for name, count in (
            ("input channels", channels),
            ("out_channels", self.out_channels_for(channels)),
        ):
            ratio = (Integer(0) + count) / self.groups
            if ratio.is_integer is False:
                raise SpecError(f"groups={self.groups} must divide the {name} {count}")
        return (Integer(0) + channels) / self.groups

    def weights_of(self, channels: Any, ndim: int) -> Any:
        out = self.out_channels_for(channels)
        return self._reads(channels) * out * self.kernel**ndim + (out if self.bias else 0)

    def macs_of(self, shape: Shape, result: Shape) -> Any:
        return convolution_macs_count(
            result, self._reads(shape[0]), self.kernel ** (len(shape) - 1)
        )

    def output_sizes(self, sizes: Shape) -> Shape:
        pads = (self.padding, self.padding)
        return tuple(
            conv_output_size(
                n, self.kernel, stride=self.stride, padding=pads, dilation=self.dilation
            )
            for n in sizes
        )

    def build(self, shape: Shape, kernel_letter: str = "k") -> Conv:
        return Conv(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            dilation=self.dilation, in_channels=shape[0],
            out_channels=self.out_channels_for(shape[0]), bias=self.bias,
            kernel_letter=kernel_letter, groups=self.groups,
        )  # fmt: skip

    def field(self, field: Field) -> Field:
        return field_after_conv(
            field, self.kernel, stride=self.stride, before=self.padding, dilation=self.dilation
        )


@dataclass(frozen=True)
class TransposeLayer(_Weighted):
    """A transposed convolution in a stack, PyTorch's conventions (``groups`` too)."""

    output_padding: Any = 0
    groups: Any = 1

    @property
    def name(self) -> str:
        groups = f", {self.groups} groups" if self.groups != 1 else ""
        return f"conv transpose {self._label}{groups}"

    def _params(self) -> tuple[Any, ...]:
        return (*super()._params(), self.output_padding, self.groups)

    def _spread(self, channels: Any) -> Any:
        """Output channels one input channel reaches: ``out_channels / groups``, which
        must divide, as must the input channels."""
        out = self.out_channels_for(channels)
        if self.groups == 1:
            return out
        for name, count in (("input channels", channels), ("out_channels", out)):
            if ((Integer(0) + count) / self.groups).is_integer is False:
                raise SpecError(f"groups={self.groups} must divide the {name} {count}")
        return (Integer(0) + out) / self.groups

    def weights_of(self, channels: Any, ndim: int) -> Any:
        out = self.out_channels_for(channels)
        return channels * self._spread(channels) * self.kernel**ndim + (out if self.bias else 0)

    def macs_of(self, shape: Shape, result: Shape) -> Any:
        spread = result[0] if self.groups == 1 else self._spread(shape[0])
        return transpose_macs_count(shape, spread, self.kernel ** (len(shape) - 1))

    def output_sizes(self, sizes: Shape) -> Shape:
        return tuple(
            transpose_output_size(
                n, self.kernel, stride=self.stride, padding=self.padding,
                dilation=self.dilation, output_padding=self.output_padding,
            )
            for n in sizes
        )  # fmt: skip

    def build(self, shape: Shape, kernel_letter: str = "k") -> ConvTranspose:
        return ConvTranspose(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            dilation=self.dilation, output_padding=self.output_padding, in_channels=shape[0],
            out_channels=self.out_channels_for(shape[0]), bias=self.bias,
            kernel_letter=kernel_letter, groups=self.groups,
        )  # fmt: skip

    def field(self, field: Field) -> Field:
        return field_after_transpose(
            field, self.kernel, stride=self.stride, padding=self.padding, dilation=self.dilation
        )


@dataclass(frozen=True)
class PoolLayer(WindowedLayer):
    """Max or average pooling in a stack (channels kept, no weights)."""

    mode: Literal["max", "avg"] = "max"
    ceil_mode: bool = False

    @property
    def name(self) -> str:
        stride = f" stride {self.stride}" if self.stride != self.kernel else ""
        return f"{self.mode} pool {self.kernel}{stride}{', ceil' if self.ceil_mode else ''}"

    def output_sizes(self, sizes: Shape) -> Shape:
        if self.ceil_mode:
            raise SpecError(
                "ceil_mode rounds an output size up, which needs whole numbers: give the "
                "input size as a number, or leave ceil_mode out"
            )
        pads = (self.padding, self.padding)
        return tuple(
            conv_output_size(n, self.kernel, stride=self.stride, padding=pads) for n in sizes
        )

    def weights_of(self, channels: Any, ndim: int) -> Any:
        return 0

    def build(self, shape: Shape, kernel_letter: str = "k") -> Pool:
        return Pool(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            mode=self.mode, channels=shape[0], ceil_mode=self.ceil_mode,
        )  # fmt: skip

    def field(self, field: Field) -> Field:
        return field_after_conv(field, self.kernel, stride=self.stride, before=self.padding)


#: A convolution, pooling or transposed convolution, without its input size.
Layer = ConvLayer | TransposeLayer | PoolLayer


@dataclass(frozen=True)
class Flatten:
    """Flattens ``(C, *spatial)`` into one axis."""

    name: str = "flatten"


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation: a scale and a shift per channel (gamma, beta), shape kept."""

    name: str = "batch norm"


@dataclass(frozen=True)
class ReLU:
    """The rectifier ``max(0, x)``, elementwise: shape kept, no weights."""

    name: str = "relu"


@dataclass(frozen=True)
class Dense:
    """A fully connected layer."""

    out_features: Any
    bias: bool = False

    @property
    def name(self) -> str:
        return f"dense {self.out_features}"


def _windowed(
    kernel: Any, stride: Any, padding: Any, dilation: Any, out_channels: Any = None
) -> dict[str, Any]:
    checked = {
        "kernel": plain_number(size_or_symbol("kernel", kernel, 1)),
        "stride": plain_number(size_or_symbol("stride", stride, 1)),
        "padding": plain_number(size_or_symbol("padding", padding, 0)),
        "dilation": plain_number(size_or_symbol("dilation", dilation, 1)),
    }
    if out_channels is not None:
        checked["out_channels"] = plain_number(size_or_symbol("out_channels", out_channels, 1))
    return checked


def conv(
    kernel: Any,
    *,
    out_channels: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    bias: bool = False,
    groups: Any = 1,
) -> ConvLayer:
    """A convolution (``out_channels`` defaults to the input's channels).

    ``groups`` splits the channels as PyTorch does; ``groups`` equal to the
    input channels is a depthwise convolution.
    """
    return ConvLayer(
        **_windowed(kernel, stride, padding, dilation, out_channels),
        bias=flag("bias", bias),
        groups=plain_number(size_or_symbol("groups", groups, 1)),
    )


def batchnorm() -> BatchNorm:
    """Batch normalisation: 2 weights (gamma, beta) per channel, no MACs counted."""
    return BatchNorm()


def relu() -> ReLU:
    """The rectifier: no weights, no MACs counted."""
    return ReLU()


def pool(
    kernel: Any, *, stride: Any = None, padding: Any = 0, mode: str = "max", ceil_mode: bool = False
) -> PoolLayer:
    """A pooling layer (stride defaults to the kernel size); ``ceil_mode`` rounds the output
    size up as PyTorch's pooling does (a last window starting in the padding is dropped).

    >>> pool(3, stride=2, ceil_mode=True).name
    'max pool 3 stride 2, ceil'
    """
    checked = _windowed(kernel, kernel if stride is None else stride, padding, 1)
    return PoolLayer(
        **checked,
        mode="max" if choice("mode", mode, POOL_MODES) == "max" else "avg",
        ceil_mode=flag("ceil_mode", ceil_mode),
    )


def conv_transpose(
    kernel: Any,
    *,
    out_channels: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    bias: bool = False,
    groups: Any = 1,
) -> TransposeLayer:
    """A transposed convolution, PyTorch's conventions.

    ``groups`` splits the channels as PyTorch's ``ConvTranspose`` does: each
    input channel spreads onto the ``out_channels / groups`` outputs of its group.

    >>> conv_transpose(4, out_channels=8, stride=2, groups=4).name
    'conv transpose 4 stride 2, 8 filters, 4 groups'
    """
    return TransposeLayer(
        **_windowed(kernel, stride, padding, dilation, out_channels),
        bias=flag("bias", bias),
        output_padding=plain_number(size_or_symbol("output_padding", output_padding, 0)),
        groups=plain_number(size_or_symbol("groups", groups, 1)),
    )


def flatten() -> Flatten:
    """Flatten to a vector."""
    return Flatten()


def dense(out_features: Any, *, bias: bool = False) -> Dense:
    """A fully connected layer with ``out_features`` outputs."""
    return Dense(plain_number(size_or_symbol("out_features", out_features, 1)), flag("bias", bias))
