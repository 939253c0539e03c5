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
from typing import Any

from sympy import Integer, Matrix, SparseMatrix, Symbol

from symconv.errors import SpecError, SymconvError
from symconv.layers.cost import dense_macs
from symconv.layers.geometry import Field
from symconv.layers.stack_layers import (
    BatchNorm,
    ConvLayer,
    Dense,
    Flatten,
    Layer,
    PoolLayer,
    ReLU,
    Shape,
    TransposeLayer,
    WindowedLayer,
    batchnorm,
    conv,
    conv_transpose,
    dense,
    flatten,
    plain_number,
    pool,
    relu,
)
from symconv.layers.validators import size_or_symbol

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


@dataclass(frozen=True)
class LayerRow:
    """One row of a stack's table: after ``name``, the tensor shape and so on."""

    name: str
    shape: tuple[Any, ...]
    weights: Any  # every trainable parameter of the layer, biases included (as Conv.weight_count)
    receptive_field: tuple[Any, Any, Any]  # size, jump, start (first spatial axis)
    macs: Any = 0  # multiply-accumulates of the layer (see symconv.layers.cost)
    biases: Any = 0  # how many of ``weights`` are biases (a batch norm's shifts among them)


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
            plain_number(size_or_symbol(f"input_shape[{axis}]", n, 1))
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
            biases: Any = 0
            if isinstance(layer, BatchNorm):
                weights = plain_number(2 * shape[0])
                biases = shape[0]  # the shift beta, PyTorch's BatchNorm.bias
            elif isinstance(layer, ReLU):
                pass
            elif isinstance(layer, Flatten):
                shape = (plain_number(reduce(lambda a, b: a * b, shape)),)
                field, flat = (whole, None, None), True
            elif isinstance(layer, Dense):
                if len(shape) != 1:
                    raise SymconvError(f"{where}: a dense layer needs a flat input; add flatten()")
                out = layer.out_features
                biases = out if layer.bias else 0
                weights = plain_number(shape[0] * out + biases)
                macs = plain_number(dense_macs(shape[0], out))
                shape, field = (out,), (whole, None, None)
            elif isinstance(layer, WindowedLayer):
                if flat:
                    raise SymconvError(f"{where}: convolution or pooling after flatten()")
                try:
                    shape, weights, macs = layer.apply(shape)
                except SymconvError as error:
                    raise type(error)(f"{where}: {error}") from None
                field = layer.field(field)
                biases = shape[0] if getattr(layer, "bias", False) else 0
            else:
                raise SpecError(f"{where}: not a layer of a stack, got {layer!r}")
            rows.append(LayerRow(layer.name, shape, weights, field, macs, biases))
        return rows

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """The shape after the last layer."""
        return self.rows[-1].shape

    @property
    def weight_count(self) -> Any:
        """Trainable parameters of all layers, biases included (as ``Conv.weight_count``)."""
        return plain_number(sum((Integer(0) + row.weights for row in self.rows), Integer(0)))

    @property
    def bias_count(self) -> Any:
        """How many of :attr:`weight_count` are biases (a batch norm's shifts among them).

        >>> stack = Stack((3, 8, 8), [conv(3, out_channels=4, bias=True), batchnorm()])
        >>> stack.weight_count, stack.bias_count
        (120, 8)
        """
        return plain_number(sum((Integer(0) + row.biases for row in self.rows), Integer(0)))

    @property
    def macs(self) -> Any:
        """Multiply-accumulates of one forward pass: convolutions, transposed ones, dense.

        Pooling, activations, normalisation and bias adds count 0, so ``2 * macs`` is
        what PyTorch's flop counter reports for the same network.

        >>> Stack((3, 8, 8), [conv(3, out_channels=4, padding=1), relu(), pool(2)]).macs
        6912
        """
        return plain_number(sum((Integer(0) + row.macs for row in self.rows), Integer(0)))

    def table(self) -> str:
        """The stack as a text table: layer, output shape, weights, MACs, receptive field."""
        header = ("layer", "output shape", "weights", "MACs", "field", "jump", "start")
        body = [
            (
                row.name,
                " x ".join(str(n) for n in row.shape),
                str(row.weights),
                str(row.macs),
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
