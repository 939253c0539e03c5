"""Stacks of layers: shapes, weight counts and receptive fields, layer by layer.

A :class:`Stack` starts from an input shape ``(C, *spatial)`` and applies layers
made by :func:`conv`, :func:`pool`, :func:`conv_transpose`, :func:`flatten` and
:func:`dense`. Sizes, kernels and strides may be SymPy symbols: shapes, counts
and receptive fields then come out as formulas.

The receptive field of a layer's outputs, per spatial axis, follows the usual
recurrences over the effective kernel ``k = d(K - 1) + 1``::

    size  r' = r + (k - 1) j        jump  j' = j s
    start c' = c + ((k - 1)/2 - p) j

with ``r = j = 1`` and ``c = 0`` at the input (``c`` is the centre of the first
output's field, in input positions counted from 0). A transposed convolution
divides the jump by its stride and centres the first output's field between the
inputs that reach it. After ``flatten`` every output sees all inputs. The
recurrences live in :mod:`symconv.layers.geometry`.

With whole numbers every layer is built as the real :class:`~symconv.Conv`,
:class:`~symconv.ConvTranspose` or :class:`~symconv.pooling.Pool` of the shape
it receives, so a stack and a single layer never disagree; with symbols the
same geometry gives formulas.

>>> stack = Stack((1, 32, 32), [conv(3), conv(3), conv(3)])
>>> [row.receptive_field for row in stack.rows]
[(1, 1, 0), (3, 1, 1), (5, 1, 2), (7, 1, 3)]
>>> Stack((3, 32, 32), [conv(3, out_channels=16, stride=2)]).rows[-1].receptive_field
(3, 2, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

from sympy import Basic, Integer, Matrix, SparseMatrix, Symbol

from symconv.errors import SpecError, SymconvError
from symconv.layers.conv import Conv
from symconv.layers.cost import convolution_macs_count, dense_macs, transpose_macs_count
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
    "LayerRow",
    "PoolLayer",
    "ReLU",
    "Stack",
    "TransposeLayer",
    "batchnorm",
    "conv",
    "conv_transpose",
    "dense",
    "flatten",
    "pool",
    "relu",
]

#: A shape whose entries are whole numbers or SymPy expressions.
Shape = tuple[Any, ...]


def _plain(value: Any) -> Any:
    """SymPy integers as ``int``; anything else unchanged."""
    return int(value) if isinstance(value, Basic) and value.is_Integer else value


def _numeric(*values: Any) -> bool:
    return all(isinstance(v, int) for v in values)


@dataclass(frozen=True)
class _Windowed:
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
        out = tuple(_plain(n) for n in self.output_sizes(sizes))
        if any(isinstance(n, int) and n < 1 for n in out):
            raise SpecError(f"no output left (sizes {out})")
        result = (self.out_channels_for(channels), *out)
        return (
            result,
            _plain(self.weights_of(channels, len(sizes))),
            _plain(self.macs_of(shape, result)),
        )


@dataclass(frozen=True)
class _Weighted(_Windowed):
    """Convolutions, plain or transposed: weights, channels chosen, a bias."""

    out_channels: Any = None
    bias: bool = False

    @property
    def _label(self) -> str:
        channels = f", {self.out_channels} ch" if self.out_channels is not None else ""
        stride = f" /{self.stride}" if self.stride != 1 else ""
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
    """A transposed convolution in a stack, PyTorch's conventions."""

    output_padding: Any = 0

    @property
    def name(self) -> str:
        return f"conv transpose {self._label}"

    def _params(self) -> tuple[Any, ...]:
        return (*super()._params(), self.output_padding)

    def macs_of(self, shape: Shape, result: Shape) -> Any:
        return transpose_macs_count(shape, result[0], self.kernel ** (len(shape) - 1))

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
            kernel_letter=kernel_letter,
        )  # fmt: skip

    def field(self, field: Field) -> Field:
        return field_after_transpose(
            field, self.kernel, stride=self.stride, padding=self.padding, dilation=self.dilation
        )


@dataclass(frozen=True)
class PoolLayer(_Windowed):
    """Max or average pooling in a stack (channels kept, no weights)."""

    mode: Literal["max", "avg"] = "max"

    @property
    def name(self) -> str:
        return f"{self.mode} pool {self.kernel}"

    def output_sizes(self, sizes: Shape) -> Shape:
        pads = (self.padding, self.padding)
        return tuple(
            conv_output_size(n, self.kernel, stride=self.stride, padding=pads) for n in sizes
        )

    def weights_of(self, channels: Any, ndim: int) -> Any:
        return 0

    def build(self, shape: Shape, kernel_letter: str = "k") -> Pool:
        return Pool(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            mode=self.mode, channels=shape[0],
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
        "kernel": _plain(size_or_symbol("kernel", kernel, 1)),
        "stride": _plain(size_or_symbol("stride", stride, 1)),
        "padding": _plain(size_or_symbol("padding", padding, 0)),
        "dilation": _plain(size_or_symbol("dilation", dilation, 1)),
    }
    if out_channels is not None:
        checked["out_channels"] = _plain(size_or_symbol("out_channels", out_channels, 1))
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
        groups=_plain(size_or_symbol("groups", groups, 1)),
    )


def batchnorm() -> BatchNorm:
    """Batch normalisation: 2 weights (gamma, beta) per channel, no MACs counted."""
    return BatchNorm()


def relu() -> ReLU:
    """The rectifier: no weights, no MACs counted."""
    return ReLU()


def pool(kernel: Any, *, stride: Any = None, padding: Any = 0, mode: str = "max") -> PoolLayer:
    """A pooling layer (stride defaults to the kernel size)."""
    checked = _windowed(kernel, kernel if stride is None else stride, padding, 1)
    return PoolLayer(**checked, mode="max" if choice("mode", mode, POOL_MODES) == "max" else "avg")


def conv_transpose(
    kernel: Any,
    *,
    out_channels: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    bias: bool = False,
) -> TransposeLayer:
    """A transposed convolution, PyTorch's conventions."""
    return TransposeLayer(
        **_windowed(kernel, stride, padding, dilation, out_channels),
        bias=flag("bias", bias),
        output_padding=_plain(size_or_symbol("output_padding", output_padding, 0)),
    )


def flatten() -> Flatten:
    """Flatten to a vector."""
    return Flatten()


def dense(out_features: Any, *, bias: bool = False) -> Dense:
    """A fully connected layer with ``out_features`` outputs."""
    return Dense(_plain(size_or_symbol("out_features", out_features, 1)), flag("bias", bias))


@dataclass(frozen=True)
class LayerRow:
    """One row of a stack's table: after ``name``, the tensor shape and so on."""

    name: str
    shape: tuple[Any, ...]
    weights: Any
    receptive_field: tuple[Any, Any, Any]  # size, jump, start (first spatial axis)
    macs: Any = 0  # multiply-accumulates of the layer (see symconv.layers.cost)


class Stack:
    """A sequence of layers applied to an input of shape ``(C, *spatial)``.

    Raises:
        SymconvError: A layer does not fit the shape it receives.
    """

    def __init__(
        self,
        input_shape: tuple[Any, ...],
        layers: list[Layer | Flatten | Dense | BatchNorm | ReLU],
    ) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise SpecError("input_shape must be a tuple (channels, *spatial sizes)")
        self.input_shape = tuple(
            _plain(size_or_symbol(f"input_shape[{axis}]", n, 1))
            for axis, n in enumerate(input_shape)
        )
        self.layers = list(layers)
        self.rows = self._rows()

    def _rows(self) -> list[LayerRow]:
        shape: Shape = self.input_shape
        field: Field = (1, 1, 0)
        rows = [LayerRow("input", shape, 0, field)]
        flat = False
        whole = shape[1] if len(shape) > 1 else shape[0]
        for number, layer in enumerate(self.layers, start=1):
            where = f"layer {number} ({layer.name})"
            weights: Any = 0
            macs: Any = 0
            if isinstance(layer, BatchNorm):
                weights = _plain(2 * shape[0])
            elif isinstance(layer, ReLU):
                pass
            elif isinstance(layer, Flatten):
                shape = (_plain(reduce(lambda a, b: a * b, shape)),)
                field, flat = (whole, None, None), True
            elif isinstance(layer, Dense):
                if len(shape) != 1:
                    raise SymconvError(f"{where}: a dense layer needs a flat input; add flatten()")
                out = layer.out_features
                weights = _plain(shape[0] * out + (out if layer.bias else 0))
                macs = _plain(dense_macs(shape[0], out))
                shape, field = (out,), (whole, None, None)
            elif isinstance(layer, _Windowed):
                if flat:
                    raise SymconvError(f"{where}: convolution or pooling after flatten()")
                try:
                    shape, weights, macs = layer.apply(shape)
                except SymconvError as error:
                    raise type(error)(f"{where}: {error}") from None
                field = layer.field(field)
            else:
                raise SpecError(f"{where}: not a layer of a stack, got {layer!r}")
            rows.append(LayerRow(layer.name, shape, weights, field, macs))
        return rows

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """The shape after the last layer."""
        return self.rows[-1].shape

    @property
    def weight_count(self) -> Any:
        """Weights of all layers."""
        return _plain(sum((Integer(0) + row.weights for row in self.rows), Integer(0)))

    @property
    def macs(self) -> Any:
        """Multiply-accumulates of one forward pass: convolutions, transposed ones, dense.

        Pooling, activations, normalisation and bias adds count 0, so ``2 * macs`` is
        what PyTorch's flop counter reports for the same network.

        >>> Stack((3, 8, 8), [conv(3, out_channels=4, padding=1), relu(), pool(2)]).macs
        6912
        """
        return _plain(sum((Integer(0) + row.macs for row in self.rows), Integer(0)))

    def table(self) -> str:
        """The stack as a text table: layer, output shape, weights, receptive field."""
        header = ("layer", "output shape", "weights", "field", "jump", "start")
        body = [
            (
                row.name,
                " x ".join(str(n) for n in row.shape),
                str(row.weights),
                *(
                    "all" if v is None and i == 0 else "" if v is None else str(v)
                    for i, v in enumerate(row.receptive_field)
                ),
            )
            for row in self.rows
        ]
        widths = [max(len(r[c]) for r in [header, *body]) for c in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *body]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def matrix(self, *, max_entries: int = 250_000) -> SparseMatrix:
        """The whole stack's linear map as one matrix, when every layer is linear and small.

        Each layer's weights get their own letter (``a``, ``c``, ``d``, ...; ``b`` is for biases).

        Raises:
            SymconvError: A layer is not linear (max pooling), sizes are symbolic,
                or the matrices would be too large.
        """
        if not all(isinstance(n, int) for row in self.rows for n in row.shape):
            raise SymconvError("the stack's matrix needs numeric sizes")
        product: Any = None
        letters = iter("acdefghijlmnopqrstuvw")
        for number, layer in enumerate(self.layers):
            shape, result = self.rows[number].shape, self.rows[number + 1].shape
            if math.prod(shape) * math.prod(result) > max_entries:
                raise SymconvError(
                    f"{layer.name}: its matrix would have over {max_entries} entries"
                )
            if isinstance(layer, Flatten):
                continue
            if isinstance(layer, BatchNorm | ReLU):
                raise SymconvError(f"{layer.name} is not a linear map: the stack has no matrix")
            if isinstance(layer, Dense):
                letter = next(letters)
                m = Matrix(
                    layer.out_features,
                    shape[0],
                    lambda i, j, letter=letter: Symbol(f"{letter}_{i + 1},{j + 1}"),
                )
            elif isinstance(layer, PoolLayer):
                if layer.mode == "max":
                    raise SymconvError("max pooling is not linear: the stack has no matrix")
                m = layer.build(shape).matrix()
            else:
                m = layer.build(shape, kernel_letter=next(letters)).matrix()
            product = m if product is None else m * product
        if product is None:
            return SparseMatrix.eye(math.prod(self.input_shape))
        return SparseMatrix(product)
