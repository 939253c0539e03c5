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
divides the jump by its stride. After ``flatten`` every output sees all inputs.

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
from typing import Any

from sympy import Basic, Integer, Matrix, Rational, SparseMatrix, Symbol, ceiling

from symconv.errors import SpecError, SymconvError
from symconv.layers.formulas import output_size

__all__ = [
    "Dense",
    "Flatten",
    "Layer",
    "LayerRow",
    "Stack",
    "conv",
    "conv_transpose",
    "dense",
    "flatten",
    "pool",
]


@dataclass(frozen=True)
class Layer:
    """A convolution, pooling or transposed convolution, without its input size."""

    kind: str  # "conv", "pool", "transpose"
    kernel: Any
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    out_channels: Any = None
    output_padding: Any = 0
    bias: bool = False
    mode: str = "max"

    @property
    def name(self) -> str:
        if self.kind == "pool":
            return f"{self.mode} pool {self.kernel}"
        label = {"conv": "conv", "transpose": "conv transpose"}[self.kind]
        channels = f", {self.out_channels} ch" if self.out_channels is not None else ""
        stride = f" /{self.stride}" if self.stride != 1 else ""
        return f"{label} {self.kernel}{stride}{channels}"


@dataclass(frozen=True)
class Flatten:
    """Flattens ``(C, *spatial)`` into one axis."""

    name: str = "flatten"


@dataclass(frozen=True)
class Dense:
    """A fully connected layer."""

    out_features: Any
    bias: bool = False

    @property
    def name(self) -> str:
        return f"dense {self.out_features}"


def conv(
    kernel: Any,
    *,
    out_channels: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    bias: bool = False,
) -> Layer:
    """A convolution (``out_channels`` defaults to the input's channels)."""
    return _check_layer(Layer("conv", kernel, stride, padding, dilation, out_channels, bias=bias))


def pool(kernel: Any, *, stride: Any = None, padding: Any = 0, mode: str = "max") -> Layer:
    """A pooling layer (stride defaults to the kernel size)."""
    return _check_layer(
        Layer("pool", kernel, kernel if stride is None else stride, padding, mode=mode)
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
) -> Layer:
    """A transposed convolution, PyTorch's conventions."""
    return _check_layer(
        Layer("transpose", kernel, stride, padding, dilation, out_channels, output_padding, bias)
    )


def flatten() -> Flatten:
    """Flatten to a vector."""
    return Flatten()


def dense(out_features: Any, *, bias: bool = False) -> Dense:
    """A fully connected layer with ``out_features`` outputs."""
    _expr(out_features)
    if not isinstance(bias, bool):
        raise SymconvError(f"bias must be True or False, got {bias!r}")
    return Dense(out_features, bias)


@dataclass(frozen=True)
class LayerRow:
    """One row of a stack's table: after ``name``, the tensor shape and so on."""

    name: str
    shape: tuple[Any, ...]
    weights: Any
    receptive_field: tuple[Any, Any, Any]  # size, jump, start (first spatial axis)


def _expr(value: Any) -> Any:
    """An int or SymPy expression as SymPy; anything else (text included) is refused."""
    if isinstance(value, Basic):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Integer(value)
    raise SymconvError(f"expected a whole number or a SymPy expression, got {value!r}")


def _check_layer(layer: Layer) -> Layer:
    for name in ("kernel", "stride", "padding", "dilation", "output_padding"):
        _expr(getattr(layer, name))
    if layer.out_channels is not None:
        _expr(layer.out_channels)
    if not isinstance(layer.bias, bool):
        raise SymconvError(f"bias must be True or False, got {layer.bias!r}")
    if layer.mode not in ("max", "avg"):
        raise SymconvError(f"mode must be 'max' or 'avg', got {layer.mode!r}")
    return layer


def _simplify(value: Any) -> Any:
    value = _expr(value)
    if value.is_Integer:
        return int(value)
    if value.is_Rational:
        return value
    return value


class Stack:
    """A sequence of layers applied to an input of shape ``(C, *spatial)``.

    Raises:
        SymconvError: A layer does not fit the shape it receives.
    """

    def __init__(self, input_shape: tuple[Any, ...], layers: list[Layer | Flatten | Dense]) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise SpecError("input_shape must be a tuple (channels, *spatial sizes)")
        self.input_shape = input_shape
        self.layers = list(layers)
        self.rows = self._rows()

    def _rows(self) -> list[LayerRow]:
        shape: tuple[Any, ...] = self.input_shape
        spatial = len(shape) - 1
        field: tuple[Any, Any, Any] = (1, 1, 0)
        rows = [LayerRow("input", shape, 0, field)]
        flat = False
        for number, layer in enumerate(self.layers, start=1):
            where = f"layer {number} ({layer.name})"
            if isinstance(layer, Flatten):
                shape = (
                    _simplify(
                        math.prod(shape)
                        if all(isinstance(n, int) for n in shape)
                        else reduce(lambda a, b: a * b, shape)
                    ),
                )
                field = (_whole(self.input_shape), None, None)
                rows.append(LayerRow(layer.name, shape, 0, field))
                flat = True
                continue
            if isinstance(layer, Dense):
                if len(shape) != 1:
                    raise SymconvError(f"{where}: a dense layer needs a flat input; add flatten()")
                dense_weights = shape[0] * layer.out_features + (
                    layer.out_features if layer.bias else 0
                )
                shape = (layer.out_features,)
                field = (_whole(self.input_shape), None, None)
                rows.append(LayerRow(layer.name, shape, _simplify(dense_weights), field))
                continue
            if flat:
                raise SymconvError(f"{where}: convolution or pooling after flatten()")
            channels = shape[0]
            out_channels = channels if layer.out_channels is None else layer.out_channels
            sizes = []
            for size in shape[1:]:
                try:
                    sizes.append(_simplify(_layer_size(layer, size)))
                except SymconvError as error:
                    raise SymconvError(f"{where}: {error}") from None
            if any(isinstance(n, int) and n < 1 for n in sizes):
                raise SymconvError(f"{where}: no output left (sizes {tuple(sizes)})")
            taps = layer.kernel**spatial
            if layer.kind == "pool":
                weights: Any = 0
            else:
                weights = channels * out_channels * taps + (out_channels if layer.bias else 0)
            shape = (out_channels if layer.kind != "pool" else channels, *sizes)
            field = _next_field(field, layer)
            rows.append(LayerRow(layer.name, shape, _simplify(weights), field))
        return rows

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """The shape after the last layer."""
        return self.rows[-1].shape

    @property
    def weight_count(self) -> Any:
        """Weights of all layers."""
        return _simplify(sum(_expr(row.weights) for row in self.rows))

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

    def latex_table(self) -> str:
        """The table as LaTeX (a ``tabular``), for sheets."""
        from sympy import latex

        from symconv.present.render import environment

        rows = [
            {
                "name": row.name,
                "shape": r" \times ".join(latex(_expr(n)) for n in row.shape),
                "weights": latex(_expr(row.weights)),
                "field": [("" if v is None else latex(_expr(v))) for v in row.receptive_field],
            }
            for row in self.rows
        ]
        return environment().get_template("tables/stack.tex.j2").render(rows=rows)

    def matrix(self, *, max_entries: int = 250_000) -> SparseMatrix:
        """The whole stack's linear map as one matrix, when every layer is linear and small.

        Each layer's weights get their own letter (``a``, ``c``, ``d``, ...; ``b`` is for biases).

        Raises:
            SymconvError: A layer is not linear (max pooling), sizes are symbolic,
                or the matrices would be too large.
        """
        from symconv.layers.conv import Conv
        from symconv.layers.pool import Pool
        from symconv.layers.transpose import ConvTranspose

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
            if isinstance(layer, Dense):
                letter = next(letters)
                m = Matrix(
                    layer.out_features,
                    shape[0],
                    lambda i, j, letter=letter: Symbol(f"{letter}_{i + 1},{j + 1}"),
                )
            elif layer.kind == "pool":
                if layer.mode == "max":
                    raise SymconvError("max pooling is not linear: the stack has no matrix")
                m = Pool(
                    shape[1:],
                    layer.kernel,
                    stride=layer.stride,
                    padding=layer.padding,
                    mode="avg",
                    channels=shape[0],
                ).matrix()
            else:
                options: dict[str, Any] = {
                    "stride": layer.stride,
                    "padding": layer.padding,
                    "dilation": layer.dilation,
                    "in_channels": shape[0],
                    "out_channels": layer.out_channels or shape[0],
                    "kernel_letter": next(letters),
                }
                built = (
                    Conv(shape[1:], layer.kernel, **options)
                    if layer.kind == "conv"
                    else ConvTranspose(
                        shape[1:], layer.kernel, output_padding=layer.output_padding, **options
                    )
                )
                m = built.matrix()
            product = m if product is None else m * product
        if product is None:
            return SparseMatrix.eye(math.prod(self.input_shape))
        return SparseMatrix(product)


def _whole(shape: tuple[Any, ...]) -> Any:
    return shape[1] if len(shape) > 1 else shape[0]


def _layer_size(layer: Layer, size: Any) -> Any:
    if layer.kind == "transpose":
        return (
            (size - 1) * layer.stride
            - 2 * layer.padding
            + layer.dilation * (layer.kernel - 1)
            + layer.output_padding
            + 1
        )
    return output_size(
        size, layer.kernel, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
    )


def _next_field(field: tuple[Any, Any, Any], layer: Layer) -> tuple[Any, Any, Any]:
    size, jump, start = field
    span = layer.dilation * (layer.kernel - 1) + 1
    if layer.kind == "transpose":
        new_jump = jump * Rational(1) / layer.stride
        covered = ceiling(_expr(span) / layer.stride)
        new_size = size + (covered - 1) * jump
        new_start = start + (_expr(layer.padding) - (span - 1)) / layer.stride * jump
        return (_simplify(new_size), _simplify(new_jump), _simplify(new_start))
    new_size = size + (span - 1) * jump
    new_start = (
        start
        + (Rational(span - 1, 2) if isinstance(span, int) else (span - 1) / Integer(2)) * jump
        - layer.padding * jump
    )
    return (_simplify(new_size), _simplify(jump * layer.stride), _simplify(new_start))
