"""The layers of a stack, before they know their input: convolutions, transposed
convolutions, pooling, adaptive pooling, upsampling, batch, group, instance and
layer norm, activations (PReLU's with weights), flatten, dense, the branch blocks
(``residual``, ``concat``, ``gate``) and ShuffleNet's channel split and shuffle,
with the builders ``conv()``, ``pool()``, ... that check their arguments.

A stack layer takes what its single layer takes: ``kernel``, ``stride`` and
``dilation`` as one size or one per spatial axis (Inception's ``(1, 7)``),
``padding`` as one amount, one per axis, ``(before, after)`` pairs per axis, or
``"valid"``, ``"same"``, ``"full"``. With whole numbers each layer is built as
the real :class:`~symconv.Conv`, :class:`~symconv.ConvTranspose` or
:class:`~symconv.pooling.Pool` of the shape it receives, so a stack and a single
layer never disagree; with symbols the geometry core gives its sizes as formulas.

>>> conv(3, out_channels=16, stride=2).name
'conv 3 stride 2, 16 filters'
>>> conv((1, 7), out_channels=192, padding=(0, 3)).name
'conv 1x7, 192 filters'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from functools import reduce
from typing import Any, Literal

from sympy import Basic, Integer, Max, Rational, floor

from symconv.errors import SpecError, SpecTypeError
from symconv.layers.conv import Conv
from symconv.layers.cost import convolution_macs_count, transpose_macs_count
from symconv.layers.geometry import (
    PADDING_NAMES,
    Field,
    adaptive_windows,
    ceil_mode_keeps_last,
    conv_output_size,
    field_after_conv,
    field_after_transpose,
    named_padding,
    pool_output_size,
    same_output_size,
    transpose_output_size,
    upsample_output_size,
)
from symconv.layers.pool import POOL_MODES, Pool
from symconv.layers.spec import PADDING_MODES
from symconv.layers.transpose import ConvTranspose
from symconv.layers.validators import choice, describe, flag, plain, size_or_symbol

__all__ = [
    "UPSAMPLE_MODES",
    "Activation",
    "AdaptivePoolLayer",
    "BatchNorm",
    "ChannelShuffle",
    "ChannelSplit",
    "Concat",
    "ConvLayer",
    "Dense",
    "Fields",
    "Flatten",
    "Gate",
    "Layer",
    "Norm",
    "PReLU",
    "PoolLayer",
    "ReLU",
    "Residual",
    "Shape",
    "TransposeLayer",
    "Upsample",
    "WindowedLayer",
    "activation",
    "adaptive_pool",
    "batchnorm",
    "channel_shuffle",
    "channel_split",
    "concat",
    "conv",
    "conv_transpose",
    "dense",
    "flatten",
    "gate",
    "groupnorm",
    "instancenorm",
    "layer_list",
    "layernorm",
    "plain_number",
    "pool",
    "prelu",
    "relu",
    "residual",
    "upsample",
]

#: A shape whose entries are whole numbers or SymPy expressions.
Shape = tuple[Any, ...]

#: The receptive field on every spatial axis of the stack's input.
Fields = tuple[Field, ...]


def plain_number(value: Any) -> Any:
    """SymPy integers as ``int``; anything else unchanged."""
    return int(value) if isinstance(value, Basic) and value.is_Integer else value


def _numeric(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _flat(values: Any) -> list[Any]:
    """Every number in a parameter: one size, sizes per axis, or pairs per axis."""
    if isinstance(values, tuple):
        return [v for value in values for v in _flat(value)]
    return [] if isinstance(values, str) else [values]


def _product(values: Sequence[Any]) -> Any:
    return plain_number(reduce(lambda a, b: a * b, values, Integer(1)))


def _size(name: str, value: object, minimum: int) -> Any:
    return plain_number(size_or_symbol(name, value, minimum))


def _sizes(name: str, value: object, minimum: int) -> Any:
    """One size, or one per spatial axis (a tuple), each checked."""
    value = plain(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) == 0:
            raise SpecError(f"{name} must give at least one size, got ()", parameter=name)
        return tuple(_size(f"{name}[{axis}]", v, minimum) for axis, v in enumerate(value))
    return _size(name, value, minimum)


def _padding(value: object, *, pairs: bool) -> Any:
    """A padding: one amount, one per axis and, where ``pairs``, ``(before, after)``
    pairs per axis or a name (``"valid"``, ``"same"``, ``"full"``)."""
    value = plain(value)
    if isinstance(value, str):
        rule = value.strip().lower()
        if not pairs:
            raise SpecTypeError(
                f"padding must be a whole number or one per axis, got {describe(value)}",
                parameter="padding",
            )
        if rule not in PADDING_NAMES:
            raise SpecError(
                "padding must be a whole number, one per axis, (before, after) pairs per axis "
                f"or one of {', '.join(map(repr, PADDING_NAMES))}; got {value!r}",
                parameter="padding",
            )
        return rule
    if not (isinstance(value, Sequence)):
        return _size("padding", value, 0)
    checked: list[Any] = []
    for axis, item in enumerate(value):
        item = plain(item)
        if pairs and isinstance(item, Sequence) and not isinstance(item, str):
            if len(item) != 2:
                raise SpecError(
                    f"padding[{axis}] must be a whole number or a (before, after) pair, "
                    f"got {tuple(item)!r}",
                    parameter="padding",
                )
            checked.append(tuple(_size(f"padding[{axis}]", v, 0) for v in item))
        else:
            checked.append(_size(f"padding[{axis}]", item, 0))
    return tuple(checked)


def _axes(name: str, value: Any, ndim: int) -> tuple[Any, ...]:
    """``value`` on each of ``ndim`` spatial axes: one size repeated, or one per axis."""
    if not isinstance(value, tuple):
        return (value,) * ndim
    if len(value) != ndim:
        raise SpecError(
            f"{name} has {len(value)} entries {value!r} but the input has {ndim} spatial "
            f"{'axis' if ndim == 1 else 'axes'}; give one size or {ndim}",
            parameter=name,
        )
    return value


def _label(value: Any) -> str:
    """``3`` for a square window, ``1x7`` for a non-square one."""
    if isinstance(value, tuple):
        return str(value[0]) if len(set(value)) == 1 else "x".join(map(str, value))
    return str(value)


@dataclass(frozen=True)
class _Named:
    """What every layer of a stack has: an optional path name for its row."""

    _: KW_ONLY
    #: The row's path name (``"layer1.0.conv2"``); ``None``: numbered by the stack.
    path: str | None = None


@dataclass(frozen=True)
class WindowedLayer(_Named):
    """What convolutions, transposed convolutions and pooling share in a stack."""

    kernel: Any
    stride: Any
    padding: Any
    dilation: Any

    @property
    def name(self) -> str:
        raise NotImplementedError

    def output_sizes(self, sizes: Shape) -> Shape:
        """The spatial output sizes, symbols declared whole (see ``whole_floor_div``)."""
        raise NotImplementedError

    def build(self, shape: Shape, kernel_letter: str = "k") -> Conv | ConvTranspose | Pool:
        """The real layer for an input of ``shape`` ``(C, *spatial)`` of whole numbers."""
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

    def kernel_count(self, ndim: int) -> Any:
        """Taps of one filter on one channel: the product of the kernel sizes."""
        return _product(_axes("kernel", self.kernel, ndim))

    def along(self, ndim: int, *names: str) -> list[tuple[Any, ...]]:
        """The named parameters axis by axis: ``along(2, "kernel", "stride")`` is
        ``[(k_0, s_0), (k_1, s_1)]``, a single size repeated on every axis."""
        columns = [_axes(name, getattr(self, name), ndim) for name in names]
        return list(zip(*columns, strict=True))

    def fields(self, fields: Fields, shape: Shape) -> Fields:
        """The receptive field on every axis after this layer, from its input's."""
        raise NotImplementedError

    def apply(self, shape: Shape) -> tuple[Shape, Any, Any]:
        """The output shape, the weights and the MACs of this layer on an input of ``shape``."""
        channels, sizes = shape[0], shape[1:]
        params = [v for param in self._params() for v in _flat(param)]
        if _numeric(*shape, *params, self.out_channels_for(channels)):
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
    groups: Any = 1

    @property
    def _label(self) -> str:
        filters = self.out_channels
        channels = "" if filters is None else f", {filters} filter{'' if filters == 1 else 's'}"
        stride = f" stride {_label(self.stride)}" if _label(self.stride) != "1" else ""
        groups = f", {self.groups} groups" if self.groups != 1 else ""
        return f"{_label(self.kernel)}{stride}{channels}{groups}"

    def out_channels_for(self, channels: Any) -> Any:
        return channels if self.out_channels is None else self.out_channels

    def _params(self) -> tuple[Any, ...]:
        return (*super()._params(), self.groups)

    def _per_group(self, channels: Any, count: Any) -> Any:
        """``count / groups``, after checking ``groups`` divides both channel counts."""
        if self.groups == 1:
            return count
        for name, number in (
            ("input channels", channels),
            ("out_channels", self.out_channels_for(channels)),
        ):
            if ((Integer(0) + number) / self.groups).is_integer is False:
                raise SpecError(
                    f"groups={self.groups} must divide the {name} {number}", parameter="groups"
                )
        return (Integer(0) + count) / self.groups


@dataclass(frozen=True)
class ConvLayer(_Weighted):
    """A convolution in a stack (``out_channels`` ``None``: as many as it receives)."""

    #: PyTorch's padding modes: reflected or replicated padding pads as many positions
    #: as zeros do, so sizes, weights and MACs are those of zero padding.
    padding_mode: Literal["zeros", "circular", "reflect", "replicate"] = "zeros"

    @property
    def name(self) -> str:
        mode = f", {self.padding_mode}" if self.padding_mode != "zeros" else ""
        return f"conv {self._label}{mode}"

    def weights_of(self, channels: Any, ndim: int) -> Any:
        out = self.out_channels_for(channels)
        reads = self._per_group(channels, channels)
        return reads * out * self.kernel_count(ndim) + (out if self.bias else 0)

    def macs_of(self, shape: Shape, result: Shape) -> Any:
        reads = self._per_group(shape[0], shape[0])
        return convolution_macs_count(result, reads, self.kernel_count(len(shape) - 1))

    def _pairs(self, sizes: Shape) -> tuple[tuple[Any, Any], ...]:
        """``(before, after)`` on every axis, a named padding resolved for ``sizes``."""
        ndim = len(sizes)
        if isinstance(self.padding, str):
            return tuple(
                named_padding(self.padding, n, k, s, d)
                for n, (k, s, d) in zip(
                    sizes, self.along(ndim, "kernel", "stride", "dilation"), strict=True
                )
            )
        return tuple(
            p if isinstance(p, tuple) else (p, p) for p in _axes("padding", self.padding, ndim)
        )

    def output_sizes(self, sizes: Shape) -> Shape:
        axes = self.along(len(sizes), "kernel", "stride", "dilation")
        if self.padding == "same":
            return tuple(
                same_output_size(n, s, whole=True) for n, (_, s, _) in zip(sizes, axes, strict=True)
            )
        return tuple(
            conv_output_size(n, k, stride=s, padding=pads, dilation=d, whole=True)
            for n, (k, s, d), pads in zip(sizes, axes, self._pairs(sizes), strict=True)
        )

    def build(self, shape: Shape, kernel_letter: str = "k") -> Conv:
        if self.padding_mode == "reflect":
            for n, (before, after) in zip(shape[1:], self._pairs(shape[1:]), strict=True):
                if max(before, after) >= n:
                    raise SpecError(
                        f"padding_mode='reflect' reflects the input at its edges, so each side "
                        f"pads less than the input's size {n}; got ({before}, {after})",
                        parameter="padding",
                    )
        return Conv(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            dilation=self.dilation, in_channels=shape[0],
            out_channels=self.out_channels_for(shape[0]), bias=self.bias,
            kernel_letter=kernel_letter, groups=self.groups,
            padding_mode="circular" if self.padding_mode == "circular" else "zeros",
        )  # fmt: skip

    def fields(self, fields: Fields, shape: Shape) -> Fields:
        sizes = shape[1:]
        axes = self.along(len(sizes), "kernel", "stride", "dilation")
        return tuple(
            field_after_conv(field, k, stride=s, before=pair[0], dilation=d)
            for field, (k, s, d), pair in zip(fields, axes, self._pairs(sizes), strict=True)
        )


@dataclass(frozen=True)
class TransposeLayer(_Weighted):
    """A transposed convolution in a stack, PyTorch's conventions (``groups`` too)."""

    output_padding: Any = 0

    @property
    def name(self) -> str:
        return f"conv transpose {self._label}"

    def _params(self) -> tuple[Any, ...]:
        return (*super()._params(), self.output_padding)

    def weights_of(self, channels: Any, ndim: int) -> Any:
        out = self.out_channels_for(channels)
        spread = self._per_group(channels, out)
        return channels * spread * self.kernel_count(ndim) + (out if self.bias else 0)

    def macs_of(self, shape: Shape, result: Shape) -> Any:
        spread = self._per_group(shape[0], result[0])
        return transpose_macs_count(shape, spread, self.kernel_count(len(shape) - 1))

    def output_sizes(self, sizes: Shape) -> Shape:
        axes = self.along(len(sizes), "kernel", "stride", "padding", "dilation", "output_padding")
        return tuple(
            transpose_output_size(n, k, stride=s, padding=p, dilation=d, output_padding=a)
            for n, (k, s, p, d, a) in zip(sizes, axes, strict=True)
        )

    def build(self, shape: Shape, kernel_letter: str = "k") -> ConvTranspose:
        return ConvTranspose(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            dilation=self.dilation, output_padding=self.output_padding, in_channels=shape[0],
            out_channels=self.out_channels_for(shape[0]), bias=self.bias,
            kernel_letter=kernel_letter, groups=self.groups,
        )  # fmt: skip

    def fields(self, fields: Fields, shape: Shape) -> Fields:
        axes = self.along(len(shape) - 1, "kernel", "stride", "padding", "dilation")
        return tuple(
            field_after_transpose(field, k, stride=s, padding=p, dilation=d)
            for field, (k, s, p, d) in zip(fields, axes, strict=True)
        )


@dataclass(frozen=True)
class PoolLayer(WindowedLayer):
    """Max or average pooling in a stack (channels kept, no weights)."""

    mode: Literal["max", "avg"] = "max"
    ceil_mode: bool = False

    @property
    def name(self) -> str:
        stride = f" stride {_label(self.stride)}" if self.stride != self.kernel else ""
        return f"{self.mode} pool {_label(self.kernel)}{stride}{', ceil' if self.ceil_mode else ''}"

    def output_sizes(self, sizes: Shape) -> Shape:
        axes = self.along(len(sizes), "kernel", "stride", "padding", "dilation")
        out = []
        for n, (k, s, p, d) in zip(sizes, axes, strict=True):
            if self.ceil_mode and not ceil_mode_keeps_last(k, s, p, d):
                raise SpecError(
                    "ceil_mode with a stride longer than the window minus its padding drops "
                    "a last window at some sizes only, which needs whole numbers: give the "
                    "input size as a number, or leave ceil_mode out",
                    parameter="ceil_mode",
                )
            out.append(
                pool_output_size(
                    n, k, stride=s, padding=p, dilation=d, ceil_mode=self.ceil_mode, whole=True
                )
            )
        return tuple(out)

    def weights_of(self, channels: Any, ndim: int) -> Any:
        return 0

    def build(self, shape: Shape, kernel_letter: str = "k") -> Pool:
        return Pool(
            shape[1:], self.kernel, stride=self.stride, padding=self.padding,
            dilation=self.dilation, mode=self.mode, channels=shape[0], ceil_mode=self.ceil_mode,
        )  # fmt: skip

    def fields(self, fields: Fields, shape: Shape) -> Fields:
        axes = self.along(len(shape) - 1, "kernel", "stride", "padding", "dilation")
        return tuple(
            field_after_conv(field, k, stride=s, before=p, dilation=d)
            for field, (k, s, p, d) in zip(fields, axes, strict=True)
        )


@dataclass(frozen=True)
class AdaptivePoolLayer(_Named):
    """PyTorch's adaptive pooling: ``output_size`` outputs per axis whatever the input.

    Output ``i`` of ``o`` on an axis of ``L`` inputs pools inputs
    ``floor(i L / o)`` up to ``ceil((i + 1) L / o)`` (exclusive): windows about
    ``L / o`` apart, not all of one width. The receptive field's size is that of
    the widest window, its start the centre of the first.

    >>> from symconv.layers.stack import Stack
    >>> Stack((1, 10), [adaptive_pool(7)]).rows[-1].receptive_field
    (3, 10/7, 1/2)
    """

    output_size: Any
    mode: Literal["max", "avg"] = "avg"

    @property
    def name(self) -> str:
        return f"adaptive {self.mode} pool to {_label(self.output_size)}"

    def apply(self, shape: Shape) -> tuple[Shape, Any, Any]:
        return (shape[0], *_axes("output_size", self.output_size, len(shape) - 1)), 0, 0

    def fields(self, fields: Fields, shape: Shape) -> Fields:
        ndim = len(shape) - 1
        out = _axes("output_size", self.output_size, ndim)
        result = []
        for field, size, o in zip(fields, shape[1:], out, strict=True):
            first, widest, step = adaptive_windows(size, o)
            seen = field_after_conv(field, widest)[0]
            start = field_after_conv(field, first)[2]
            result.append((seen, plain_number(field[1] * step), start))
        return tuple(result)


#: A convolution, pooling or transposed convolution, without its input size.
Layer = ConvLayer | TransposeLayer | PoolLayer


@dataclass(frozen=True)
class Flatten(_Named):
    """Flattens ``(C, *spatial)`` into one axis."""

    name: str = "flatten"


@dataclass(frozen=True)
class BatchNorm(_Named):
    """Batch normalisation: a scale and a shift per channel (gamma, beta), shape kept."""

    name: str = "batch norm"


@dataclass(frozen=True)
class Activation(_Named):
    """An elementwise function (ReLU, sigmoid, dropout at inference...): shape kept, no weights."""

    name: str = "relu"


@dataclass(frozen=True)
class ReLU(Activation):
    """The rectifier ``max(0, x)``, elementwise: shape kept, no weights."""

    name: str = "relu"


@dataclass(frozen=True)
class Dense(_Named):
    """A fully connected layer."""

    out_features: Any
    bias: bool = False

    @property
    def name(self) -> str:
        return f"dense {self.out_features}"


@dataclass(frozen=True)
class ChannelSplit(_Named):
    """Keeps one of ``parts`` equal parts of the channels (ShuffleNet's ``chunk``)."""

    parts: Any = 2

    @property
    def name(self) -> str:
        return f"channel split into {self.parts}"

    def channels(self, channels: Any) -> Any:
        if ((Integer(0) + channels) / self.parts).is_integer is False:
            raise SpecError(
                f"parts={self.parts} must divide the input channels {channels}", parameter="parts"
            )
        return plain_number((Integer(0) + channels) / self.parts)


@dataclass(frozen=True)
class ChannelShuffle(_Named):
    """Interleaves the channels of ``groups`` groups (ShuffleNet): shape kept."""

    groups: Any

    @property
    def name(self) -> str:
        return f"channel shuffle, {self.groups} groups"

    def check(self, channels: Any) -> None:
        if ((Integer(0) + channels) / self.groups).is_integer is False:
            raise SpecError(
                f"groups={self.groups} must divide the input channels {channels}",
                parameter="groups",
            )


@dataclass(frozen=True)
class Norm(_Named):
    """A normalisation over the values of one example (not the batch's): group norm
    (``groups`` groups of channels), instance norm (each channel alone) or layer norm
    (the last ``axes`` axes of ``(C, *spatial)``), with a learnt scale and shift.

    Group and instance norm learn one scale and one shift per channel when
    ``affine``; layer norm one of each per normalised value (``2 x`` the product of
    the normalised sizes, PyTorch's ``elementwise_affine``; no shift without ``bias``).
    No MACs are counted. Statistics are taken over the whole input, but the receptive
    field, as batch norm's, follows the values only (see :class:`~symconv.stack.Stack`).
    """

    kind: Literal["group", "instance", "layer"]
    groups: Any = 1
    axes: Any = None
    affine: bool = True
    bias: bool = True

    @property
    def name(self) -> str:
        if self.kind == "group":
            return f"group norm, {self.groups} group{'' if self.groups == 1 else 's'}"
        if self.kind == "instance":
            return "instance norm"
        over = "all axes" if self.axes is None else f"the last {self.axes} axes"
        if self.axes == 1:
            over = "the last axis"
        return f"layer norm over {over}"

    def counts(self, shape: Shape) -> tuple[Any, Any]:
        """The weights and how many of them are shifts, on an input of ``shape``."""
        if self.kind == "group" and ((Integer(0) + shape[0]) / self.groups).is_integer is False:
            raise SpecError(
                f"groups={self.groups} must divide the input channels {shape[0]}",
                parameter="groups",
            )
        if self.kind == "layer":
            axes = len(shape) if self.axes is None else self.axes
            if axes > len(shape):
                raise SpecError(
                    f"axes={axes}: the input {' x '.join(map(str, shape))} has {len(shape)}",
                    parameter="axes",
                )
            per_value = _product(shape[len(shape) - axes :])
        else:
            per_value = shape[0]
        if not self.affine:
            return 0, 0
        shifts = per_value if self.bias else 0
        return plain_number(per_value + shifts), shifts


@dataclass(frozen=True)
class PReLU(_Named):
    """The rectifier with a learnt slope for negatives: one slope, or one per channel."""

    num_parameters: Any = 1

    @property
    def name(self) -> str:
        count = self.num_parameters
        return "prelu" if count == 1 else f"prelu, {count} slopes"

    def weights(self, channels: Any) -> Any:
        """``num_parameters``, which must be 1 or the input's channels."""
        if self.num_parameters != 1 and not _equal_size(self.num_parameters, channels):
            raise SpecError(
                f"num_parameters={self.num_parameters} must be 1 or the input channels {channels}",
                parameter="num_parameters",
            )
        return self.num_parameters


def _equal_size(a: Any, b: Any) -> bool:
    return bool(a == b or (Integer(0) + a - b).expand() == 0)


#: PyTorch's interpolation modes a stack reads: nearest neighbours and (bi, tri)linear.
UPSAMPLE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear")


@dataclass(frozen=True)
class Upsample(_Named):
    """PyTorch's ``nn.Upsample`` / ``F.interpolate``: each spatial size scaled by
    ``scale_factor`` (``floor(n * scale)``, as PyTorch) or set to ``size``; channels
    kept, no weights, no MACs.

    Receptive field, per axis, with ``ratio`` the distance in inputs between
    neighbouring outputs (``1 / scale``, or ``n_in / n_out`` for a ``size``,
    ``(n_in - 1) / (n_out - 1)`` with ``align_corners``): the jump is multiplied by
    ``ratio``; ``nearest`` reads one input per output (size kept), the linear modes
    up to two neighbours (size ``r + j``); the start is the centre of what the first
    output reads (input 0 when upsampling, as a transposed convolution's).

    >>> from symconv.layers.stack import Stack
    >>> row = Stack((1, 5), [upsample(2)]).rows[-1]
    >>> row.shape, row.receptive_field
    ((1, 10), (1, 1/2, 0))
    >>> Stack((1, 5), [upsample(2, mode="linear")]).rows[-1].receptive_field
    (2, 1/2, 0)
    """

    scale_factor: Any = None
    size: Any = None
    mode: str = "nearest"
    align_corners: bool = False

    @property
    def name(self) -> str:
        if self.size is not None:
            how = f"to {_label(self.size)}"
        else:
            how = f"x{_label(self.scale_factor)}"
        return f"upsample {how}, {self.mode}{', corners aligned' if self.align_corners else ''}"

    def _check(self, ndim: int) -> None:
        needed = {"linear": 1, "bilinear": 2, "trilinear": 3}.get(self.mode)
        if needed is not None and needed != ndim:
            raise SpecError(
                f"mode={self.mode!r} works on {needed} spatial "
                f"{'axis' if needed == 1 else 'axes'}; the input has {ndim}",
                parameter="mode",
            )

    def output_sizes(self, sizes: Shape) -> Shape:
        self._check(len(sizes))
        if self.size is not None:
            return _axes("size", self.size, len(sizes))
        out = []
        for n, scale in zip(
            sizes, _axes("scale_factor", self.scale_factor, len(sizes)), strict=True
        ):
            try:
                out.append(plain_number(upsample_output_size(n, scale)))
            except ValueError as error:
                raise SpecError(str(error), parameter="scale_factor") from None
        if any(isinstance(n, int) and n < 1 for n in out):
            raise SpecError(f"no output left (sizes {tuple(out)})", parameter="scale_factor")
        return tuple(out)

    def _ratio(self, n: Any, out: Any, scale: Any) -> Any:
        """The distance, in inputs, between neighbouring outputs' sampling points."""
        if self.align_corners:
            return 0 if out == 1 else (Integer(0) + n - 1) / (Integer(0) + out - 1)
        if self.size is None:
            exact = Rational(repr(scale)) if isinstance(scale, float) else Integer(scale)
            return 1 / exact if _numeric(n) else 1 / Rational(scale)
        return (Integer(0) + n) / out

    def fields(self, fields: Fields, shape: Shape) -> Fields:
        sizes = shape[1:]
        outs = self.output_sizes(sizes)
        scales = _axes("scale_factor", self.scale_factor, len(sizes))
        result = []
        for (size, jump, start), n, out, scale in zip(fields, sizes, outs, scales, strict=True):
            ratio = self._ratio(n, out, scale)
            if self.mode == "nearest":
                first: Any = 0
            elif self.mode == "nearest-exact":
                first = floor(ratio / 2)
            elif self.align_corners:
                first = 0
            else:  # PyTorch's source index of output 0, read by its two neighbours
                source = Max(0, ratio / 2 - Rational(1, 2))
                first = floor(source) + (0 if source.is_integer else Rational(1, 2))
            reads = 1 if self.mode.startswith("nearest") else 2
            result.append(
                (
                    plain_number(size + (reads - 1) * jump),
                    plain_number(Integer(0) + jump * ratio),
                    plain_number(start + first * jump),
                )
            )
        return tuple(result)


@dataclass(frozen=True)
class Gate(_Named):
    """``layers`` whose output multiplies the block's input elementwise (squeeze and
    excitation, attention gates), broadcast over the axes where it has size 1."""

    layers: tuple[Any, ...]
    name: str = "multiply"


@dataclass(frozen=True)
class Residual(_Named):
    """``layers`` whose output is added to the block's input, or to ``shortcut``'s output."""

    layers: tuple[Any, ...]
    shortcut: tuple[Any, ...] | None = None
    name: str = "add"


@dataclass(frozen=True)
class Concat(_Named):
    """Branches run on the same input, their outputs joined along the channels."""

    branches: tuple[tuple[Any, ...], ...]
    name: str = "concat"


def _path(path: object) -> str | None:
    if path is None or (isinstance(path, str) and path.strip()):
        return None if path is None else str(path).strip()
    raise SpecTypeError(f"path must be a name such as 'layer1.0.conv2', got {describe(path)}")


def layer_list(name: str, layers: object) -> tuple[Any, ...]:
    """A block's (or a stack's) layers, each one a layer of a stack."""
    if isinstance(layers, _Named):
        raise SpecTypeError(
            f"{name} must be a list of layers such as [conv(3), relu()], got one layer, "
            f"{getattr(layers, 'name', '')}: put it in a list",
            parameter=name,
        )
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise SpecTypeError(
            f"{name} must be a list of layers such as [conv(3), relu()], got {describe(layers)}",
            parameter=name,
        )
    for item in layers:
        if not isinstance(item, _Named):
            raise SpecTypeError(
                f"{name} must hold layers of a stack (conv(3), relu(), ...), got {describe(item)}",
                parameter=name,
            )
    return tuple(layers)


def _padding_mode(value: object) -> Literal["zeros", "circular", "reflect", "replicate"]:
    chosen = choice("padding_mode", value, (*PADDING_MODES, "reflect", "replicate"))
    modes = {"zeros": "zeros", "circular": "circular", "reflect": "reflect"}
    return modes.get(chosen, "replicate")  # type: ignore[return-value]


def conv(
    kernel: Any,
    *,
    out_channels: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: bool = False,
    padding_mode: str = "zeros",
    path: str | None = None,
) -> ConvLayer:
    """A convolution (``out_channels`` defaults to the input's channels).

    ``kernel``, ``stride`` and ``dilation`` are one size or one per axis;
    ``padding`` one amount, one per axis, ``(before, after)`` pairs per axis, or
    ``"valid"``, ``"same"``, ``"full"``. ``groups`` splits the channels as
    PyTorch does (``groups`` equal to the input channels is a depthwise
    convolution); ``padding_mode="circular"`` wraps the input round, ``"reflect"`` and
    ``"replicate"`` (PyTorch's) pad as many positions as zeros do.

    >>> conv(3, padding="same", padding_mode="circular").name
    'conv 3, circular'
    """
    return ConvLayer(
        _sizes("kernel", kernel, 1),
        _sizes("stride", stride, 1),
        _padding(padding, pairs=True),
        _sizes("dilation", dilation, 1),
        out_channels=None if out_channels is None else _size("out_channels", out_channels, 1),
        bias=flag("bias", bias),
        groups=_size("groups", groups, 1),
        padding_mode=_padding_mode(padding_mode),
        path=_path(path),
    )


def conv_transpose(
    kernel: Any,
    *,
    out_channels: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
    bias: bool = False,
    path: str | None = None,
) -> TransposeLayer:
    """A transposed convolution, PyTorch's conventions.

    ``groups`` splits the channels as PyTorch's ``ConvTranspose`` does: each
    input channel spreads onto the ``out_channels / groups`` outputs of its group.

    >>> conv_transpose(4, out_channels=8, stride=2, groups=4).name
    'conv transpose 4 stride 2, 8 filters, 4 groups'
    """
    layer = TransposeLayer(
        _sizes("kernel", kernel, 1),
        _sizes("stride", stride, 1),
        _padding(padding, pairs=False),
        _sizes("dilation", dilation, 1),
        out_channels=None if out_channels is None else _size("out_channels", out_channels, 1),
        bias=flag("bias", bias),
        groups=_size("groups", groups, 1),
        output_padding=_sizes("output_padding", output_padding, 0),
        path=_path(path),
    )
    # PyTorch's rule, whatever the input: the extra outputs come from a stride or a dilation.
    ndim = max(len(v) if isinstance(v, tuple) else 1 for v in layer._params())
    for extra, step, spread in layer.along(ndim, "output_padding", "stride", "dilation"):
        if _numeric(extra, step, spread) and extra >= max(step, spread):
            raise SpecError(
                f"output_padding must be smaller than the stride or the dilation, got "
                f"output_padding={extra} with stride {step} and dilation {spread}",
                parameter="output_padding",
            )
    return layer


def pool(
    kernel: Any,
    *,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    mode: str = "max",
    ceil_mode: bool = False,
    path: str | None = None,
) -> PoolLayer:
    """A pooling layer (stride defaults to the kernel size); ``ceil_mode`` rounds the output
    size up as PyTorch's pooling does (a last window starting in the padding is dropped).

    >>> pool(3, stride=2, ceil_mode=True).name
    'max pool 3 stride 2, ceil'
    """
    kernel = _sizes("kernel", kernel, 1)
    return PoolLayer(
        kernel,
        kernel if stride is None else _sizes("stride", stride, 1),
        _padding(padding, pairs=False),
        _sizes("dilation", dilation, 1),
        mode="max" if choice("mode", mode, POOL_MODES) == "max" else "avg",
        ceil_mode=flag("ceil_mode", ceil_mode),
        path=_path(path),
    )


def adaptive_pool(
    output_size: Any, *, mode: str = "avg", path: str | None = None
) -> AdaptivePoolLayer:
    """PyTorch's ``AdaptiveAvgPool``/``AdaptiveMaxPool``: ``output_size`` per axis, any input.

    >>> adaptive_pool(1).name
    'adaptive avg pool to 1'
    """
    return AdaptivePoolLayer(
        _sizes("output_size", output_size, 1),
        mode="max" if choice("mode", mode, POOL_MODES) == "max" else "avg",
        path=_path(path),
    )


def batchnorm(*, path: str | None = None) -> BatchNorm:
    """Batch normalisation: 2 weights (gamma, beta) per channel, no MACs counted."""
    return BatchNorm(path=_path(path))


def relu(*, path: str | None = None) -> ReLU:
    """The rectifier: no weights, no MACs counted."""
    return ReLU(path=_path(path))


def activation(name: str = "relu", *, path: str | None = None) -> Activation:
    """Any elementwise function by name (``"sigmoid"``, ``"hardswish"``): no weights, no MACs.

    >>> activation("relu6").name
    'relu6'
    """
    if not isinstance(name, str) or not name.strip():
        raise SpecTypeError(
            f"name must be the function's name such as 'sigmoid', got {describe(name)}",
            parameter="name",
        )
    return Activation(name.strip(), path=_path(path))


def flatten(*, path: str | None = None) -> Flatten:
    """Flatten to a vector."""
    return Flatten(path=_path(path))


def dense(out_features: Any, *, bias: bool = False, path: str | None = None) -> Dense:
    """A fully connected layer with ``out_features`` outputs."""
    return Dense(_size("out_features", out_features, 1), flag("bias", bias), path=_path(path))


def residual(*layers: Any, shortcut: Any = None, path: str | None = None) -> Residual:
    """A residual block: the output of ``layers`` added to the block's input, or to the
    output of the ``shortcut`` layers (a list) when given (ResNet's projection).

    >>> block = residual(conv(3, padding=1), relu(), conv(3, padding=1))
    >>> block.name, len(block.layers)
    ('add', 3)
    """
    return Residual(
        layer_list("layers", layers),
        None if shortcut is None else layer_list("shortcut", shortcut),
        path=_path(path),
    )


def concat(*branches: Any, path: str | None = None) -> Concat:
    """Branches (lists of layers; ``[]`` is the input itself) run on the same input, their
    outputs concatenated along the channels (Inception, SqueezeNet's fire, DenseNet).

    >>> concat([conv(1, out_channels=64)], [conv(3, out_channels=64, padding=1)]).name
    'concat'
    """
    if not branches:
        raise SpecError("concat needs at least one branch (a list of layers)", parameter="branches")
    return Concat(
        tuple(layer_list(f"branch {number}", b) for number, b in enumerate(branches, 1)),
        path=_path(path),
    )


def channel_split(parts: Any = 2, *, path: str | None = None) -> ChannelSplit:
    """One of ``parts`` equal parts of the channels, as ShuffleNet's ``chunk`` keeps."""
    return ChannelSplit(_size("parts", parts, 1), path=_path(path))


def channel_shuffle(groups: Any, *, path: str | None = None) -> ChannelShuffle:
    """ShuffleNet's channel shuffle over ``groups`` groups: the shape is kept."""
    return ChannelShuffle(_size("groups", groups, 1), path=_path(path))


def gate(*layers: Any, path: str | None = None) -> Gate:
    """A gate: the block's input multiplied elementwise by the output of ``layers``,
    broadcast where that output has size 1 (squeeze and excitation's ``C x 1 x 1``
    scales, MobileNetV3 and EfficientNet; a spatial attention map's ``1 x H x W``).

    Its rows are those of ``layers``, then the block's own row, ``multiply``, whose
    receptive field covers the input's and the layers' (after a global pool, the
    whole input).

    >>> block = gate(adaptive_pool(1), conv(1, out_channels=4), activation("sigmoid"))
    >>> block.name, len(block.layers)
    ('multiply', 3)
    """
    if not layers:
        raise SpecError("gate needs at least one layer to compute its scales", parameter="layers")
    return Gate(layer_list("layers", layers), path=_path(path))


def _scale(value: object) -> Any:
    """One upsampling factor: a whole number, or a positive fraction as a float."""
    value = plain(value)
    if isinstance(value, float):
        if not (value > 0 and math.isfinite(value)):
            raise SpecError(
                f"scale_factor must be positive, got {value!r}", parameter="scale_factor"
            )
        return int(value) if value.is_integer() else value
    return _size("scale_factor", value, 1)


def upsample(
    scale_factor: Any = None,
    *,
    size: Any = None,
    mode: str = "nearest",
    align_corners: bool = False,
    path: str | None = None,
) -> Upsample:
    """PyTorch's ``nn.Upsample`` and ``F.interpolate``: each spatial size times
    ``scale_factor`` (one factor or one per axis; rounded down as PyTorch does), or
    set to ``size``. ``mode`` is ``"nearest"``, ``"nearest-exact"``, ``"linear"``,
    ``"bilinear"`` or ``"trilinear"``; ``align_corners`` as PyTorch's (linear modes).
    No weights, no MACs.

    >>> upsample(2).name, upsample(size=(28, 28), mode="bilinear").name
    ('upsample x2, nearest', 'upsample to 28, bilinear')
    """
    if (scale_factor is None) == (size is None):
        raise SpecError(
            "upsample takes either scale_factor or size, not both or neither",
            parameter="scale_factor",
        )
    chosen = choice("mode", mode, UPSAMPLE_MODES)
    corners = flag("align_corners", align_corners)
    if corners and chosen.startswith("nearest"):
        raise SpecError(
            "align_corners applies to the linear modes only, not to " + repr(chosen),
            parameter="align_corners",
        )
    factor = None
    if scale_factor is not None:
        factor = plain(scale_factor)
        if isinstance(factor, Sequence) and not isinstance(factor, str):
            factor = tuple(_scale(v) for v in factor)
            factor = factor[0] if len(set(factor)) == 1 else factor
        else:
            factor = _scale(factor)
    return Upsample(
        factor,
        None if size is None else _sizes("size", size, 1),
        mode=chosen,
        align_corners=corners,
        path=_path(path),
    )


def groupnorm(groups: Any, *, affine: bool = True, path: str | None = None) -> Norm:
    """Group normalisation over ``groups`` groups of channels (``groups=1``: every
    channel and position together, as a layer norm over all axes that learns per
    channel): ``2 x C`` weights when ``affine``, no MACs.

    >>> groupnorm(32).name
    'group norm, 32 groups'
    """
    return Norm(
        "group", _size("groups", groups, 1), affine=flag("affine", affine), path=_path(path)
    )


def instancenorm(*, affine: bool = False, path: str | None = None) -> Norm:
    """Instance normalisation, each channel of each example alone: ``2 x C`` weights when
    ``affine`` (PyTorch's default is without), no MACs."""
    return Norm("instance", affine=flag("affine", affine), path=_path(path))


def layernorm(
    axes: Any = None, *, affine: bool = True, bias: bool = True, path: str | None = None
) -> Norm:
    """Layer normalisation over the last ``axes`` axes of ``(C, *spatial)`` (``None``: all,
    channels included), PyTorch's ``LayerNorm(normalized_shape)`` with that many sizes:
    ``2 x`` their product weights when ``affine`` (one scale and one shift per value;
    no shift without ``bias``), no MACs.

    >>> from symconv.layers.stack import Stack
    >>> Stack((8, 4, 4), [layernorm()]).weight_count, Stack((8, 4, 4), [layernorm(2)]).weight_count
    (256, 32)
    """
    return Norm(
        "layer",
        axes=None if axes is None else _size("axes", axes, 1),
        affine=flag("affine", affine),
        bias=flag("bias", bias),
        path=_path(path),
    )


def prelu(num_parameters: Any = 1, *, path: str | None = None) -> PReLU:
    """PyTorch's ``PReLU``: a learnt slope for negative values, one (``num_parameters=1``)
    or one per channel; as many weights, no MACs.

    >>> prelu(64).name
    'prelu, 64 slopes'
    """
    return PReLU(_size("num_parameters", num_parameters, 1), path=_path(path))
