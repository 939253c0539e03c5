"""Stacks of layers: shapes, weight counts, multiply-adds and receptive fields, layer by layer.

A :class:`Stack` starts from an input shape ``(C, *spatial)`` and applies layers
made by :func:`conv`, :func:`pool`, :func:`adaptive_pool`, :func:`conv_transpose`,
:func:`upsample`, :func:`batchnorm`, :func:`groupnorm`, :func:`instancenorm`,
:func:`layernorm`, :func:`relu`, :func:`prelu`, :func:`activation`, :func:`flatten`
and :func:`dense`, and blocks: :func:`residual` (ResNet's add), :func:`concat`
(Inception, DenseNet, U-Net's skip), :func:`gate` (squeeze and excitation's
multiply), :func:`channel_split` and :func:`channel_shuffle` (ShuffleNet). Sizes may be
SymPy symbols: shapes, counts and receptive fields then come out as formulas,
roundings folded as a person writes them (``ceiling(H/32)``, not five nested
floors).

The receptive field of a layer's outputs, per spatial axis, follows the usual
recurrences over the effective kernel ``k = d(K - 1) + 1``::

    size  r' = r + (k - 1) j        jump  j' = j s
    start c' = c + ((k - 1)/2 - p) j

with ``r = j = 1`` and ``c = 0`` at the input (``c`` is the centre of the first
output's field, in input positions counted from 0). A transposed convolution
divides the jump by its stride and centres the first output's field between the
inputs that reach it; upsampling divides the jump by its scale (see
:class:`Upsample`). Where paths join (an add, a concat, a gate's multiply) the
field covers every path's, with the jump of the first (a gate's: its input's).
After ``flatten`` every output sees all inputs. Normalisations (batch, group,
instance, layer) keep the field: it follows the values, not the statistics. The recurrences live in
:mod:`symconv.layers.geometry`.

With whole numbers every layer is built as the real :class:`~symconv.Conv`,
:class:`~symconv.ConvTranspose` or :class:`~symconv.pooling.Pool` of the shape
it receives, so a stack and a single layer never disagree; with symbols the
same geometry gives formulas.

>>> stack = Stack((1, 32, 32), [conv(3), conv(3), conv(3)])
>>> [row.receptive_field for row in stack.rows]
[(1, 1, 0), (3, 1, 1), (5, 1, 2), (7, 1, 3)]
>>> Stack((3, 32, 32), [conv(3, out_channels=16, stride=2)]).rows[-1].receptive_field
(3, 2, 1)
>>> from sympy import symbols
>>> H, W = symbols("H W")
>>> block = residual(conv(3, stride=2, padding=1), shortcut=[conv(1, stride=2)])
>>> Stack((8, H, W), [conv(7, stride=2, padding=3), block]).output_shape
(8, ceiling(H/4), ceiling(W/4))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Any

from sympy import Basic, Integer, Matrix, SparseMatrix, Symbol, expand

from symconv.errors import SpecError, SymconvError
from symconv.layers.cost import dense_macs
from symconv.layers.geometry import field_union
from symconv.layers.stack_layers import (
    Activation,
    AdaptivePoolLayer,
    BatchNorm,
    ChannelShuffle,
    ChannelSplit,
    Concat,
    ConvLayer,
    Dense,
    Fields,
    Flatten,
    Gate,
    Layer,
    Norm,
    PoolLayer,
    PReLU,
    ReLU,
    Residual,
    Shape,
    TransposeLayer,
    Upsample,
    WindowedLayer,
    activation,
    adaptive_pool,
    batchnorm,
    channel_shuffle,
    channel_split,
    concat,
    conv,
    conv_transpose,
    dense,
    flatten,
    gate,
    groupnorm,
    instancenorm,
    layer_list,
    layernorm,
    plain_number,
    pool,
    prelu,
    relu,
    residual,
    upsample,
)
from symconv.layers.validators import size_or_symbol

__all__ = [
    "Activation",
    "AdaptivePoolLayer",
    "BatchNorm",
    "ChannelShuffle",
    "ChannelSplit",
    "Concat",
    "ConvLayer",
    "Dense",
    "Flatten",
    "Gate",
    "Layer",
    "LayerRow",
    "Norm",
    "PReLU",
    "PoolLayer",
    "ReLU",
    "Residual",
    "Stack",
    "TransposeLayer",
    "Upsample",
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
    "layernorm",
    "pool",
    "prelu",
    "relu",
    "residual",
    "upsample",
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
    #: Where the layer sits: ``"3"``, ``"4.shortcut.1"``, or the name an importer gave.
    path: str = ""
    #: The receptive field on every spatial axis (``receptive_field`` is the first).
    receptive_fields: tuple[tuple[Any, Any, Any], ...] = ()


def _shape_text(shape: Shape) -> str:
    return " x ".join(str(n) for n in shape)


def _equal(a: Any, b: Any) -> bool:
    """Whether two sizes are equal at every input size (whole numbers or formulas)."""
    if a == b:
        return True
    if isinstance(a, int) and isinstance(b, int):
        return False
    return bool(expand(Integer(0) + a - b) == 0)


def _whole_symbols(shape: tuple[Any, ...]) -> dict[Symbol, Symbol]:
    """Symbols of ``shape`` not declared whole, each with a whole, positive stand-in.

    Raises:
        SpecError: A symbol is declared not whole or not positive, two symbols share a
            name, or a size is not a whole number from 1 for every whole symbol.
    """
    free = set().union(*(n.free_symbols for n in shape if isinstance(n, Basic)))
    names = [symbol.name for symbol in free]
    for symbol in free:
        if symbol.is_integer is False or symbol.is_positive is False:
            raise SpecError(
                f"input_shape: {symbol} is declared not a whole number from 1; a size is one",
                parameter="input_shape",
            )
        if names.count(symbol.name) > 1:
            raise SpecError(
                f"input_shape: two different symbols are named {symbol.name} (declared with "
                "different assumptions); give one",
                parameter="input_shape",
            )
    stand_ins = {
        symbol: Symbol(symbol.name, integer=True, positive=True)
        for symbol in sorted(free, key=str)
        if not (symbol.is_integer and symbol.is_positive)
    }
    for axis, n in enumerate(shape):
        if isinstance(n, Basic) and n.free_symbols:
            size = n.xreplace(stand_ins)
            if not (size.is_integer and size.is_positive):
                raise SpecError(
                    f"input_shape[{axis}] = {n} is not a whole number from 1 at every whole "
                    "value of its symbols; write it so that it is (2*h, h + 1)",
                    parameter="input_shape",
                )
    return stand_ins


class _Walk:
    """One pass over a stack's layers: the rows, block by block."""

    def __init__(self, whole: Fields) -> None:
        self.rows: list[LayerRow] = []
        self.whole = whole

    def add(
        self,
        name: str,
        path: str,
        shape: Shape,
        fields: Fields,
        weights: Any = 0,
        macs: Any = 0,
        biases: Any = 0,
    ) -> None:
        self.rows.append(LayerRow(name, shape, weights, fields[0], macs, biases, path, fields))

    def run(
        self, layers: tuple[Any, ...] | list[Any], shape: Shape, fields: Fields, prefix: str
    ) -> tuple[Shape, Fields]:
        for number, layer in enumerate(layers, start=1):
            path = layer.path or (f"{prefix}.{number}" if prefix else str(number))
            try:
                shape, fields = self.step(layer, shape, fields, path)
            except SymconvError as error:
                if str(error).startswith(("layer ", "block ")):
                    raise
                where = "block" if isinstance(layer, Residual | Concat | Gate) else "layer"
                raise type(error)(
                    f"{where} {path} ({layer.name}): {error}",
                    parameter=getattr(error, "parameter", None),
                ) from None
        return shape, fields

    def step(self, layer: Any, shape: Shape, fields: Fields, path: str) -> tuple[Shape, Fields]:
        flat = len(shape) == 1 and fields[0][1] is None
        if isinstance(layer, Residual):
            return self.residual(layer, shape, fields, path)
        if isinstance(layer, Concat):
            return self.concat(layer, shape, fields, path)
        if isinstance(layer, Gate):
            return self.gate(layer, shape, fields, path)
        weights: Any = 0
        macs: Any = 0
        biases: Any = 0
        if isinstance(layer, BatchNorm):
            weights = plain_number(2 * shape[0])
            biases = shape[0]  # the shift beta, PyTorch's BatchNorm.bias
        elif isinstance(layer, Activation):
            pass
        elif isinstance(layer, Norm):
            weights, biases = layer.counts(shape)
        elif isinstance(layer, PReLU):
            weights = layer.weights(shape[0])
        elif isinstance(layer, Upsample):
            if flat or len(shape) < 2:
                raise SymconvError("upsampling after flatten()")
            fields = layer.fields(fields, shape)
            shape = (shape[0], *layer.output_sizes(shape[1:]))
        elif isinstance(layer, ChannelShuffle):
            layer.check(shape[0])
        elif isinstance(layer, ChannelSplit):
            shape = (layer.channels(shape[0]), *shape[1:])
        elif isinstance(layer, Flatten):
            shape = (plain_number(reduce(lambda a, b: a * b, shape)),)
            fields = self.whole
        elif isinstance(layer, Dense):
            if len(shape) != 1:
                raise SymconvError("a dense layer needs a flat input; add flatten()")
            out = layer.out_features
            biases = out if layer.bias else 0
            weights = plain_number(shape[0] * out + biases)
            macs = plain_number(dense_macs(shape[0], out))
            shape, fields = (out,), self.whole
        elif isinstance(layer, WindowedLayer | AdaptivePoolLayer):
            if flat or len(shape) < 2:
                raise SymconvError("convolution or pooling after flatten()")
            fields = layer.fields(fields, shape)
            shape, weights, macs = layer.apply(shape)
            biases = shape[0] if getattr(layer, "bias", False) else 0
        else:
            raise SpecError(f"not a layer of a stack, got {layer!r}")
        self.add(layer.name, path, shape, fields, weights, macs, biases)
        return shape, fields

    def residual(
        self, block: Residual, shape: Shape, fields: Fields, path: str
    ) -> tuple[Shape, Fields]:
        main = self.run(block.layers, shape, fields, path)
        if block.shortcut is None:
            other, what = (shape, fields), "its input is"
        else:
            other = self.run(block.shortcut, shape, fields, f"{path}.shortcut")
            what = "its shortcut gives"
        self.agree(block, path, main[0], other[0], what, channels=True)
        joined = tuple(field_union([a, b]) for a, b in zip(main[1], other[1], strict=True))
        self.add(block.name, path, main[0], joined)
        return main[0], joined

    def gate(self, block: Gate, shape: Shape, fields: Fields, path: str) -> tuple[Shape, Fields]:
        scales, scale_fields = self.run(block.layers, shape, fields, path)
        fits = len(scales) == len(shape) and all(
            _equal(n, 1) or _equal(n, size) for n, size in zip(scales, shape, strict=True)
        )
        if not fits:
            raise SymconvError(
                f"block {path} (gate): its input is {_shape_text(shape)} but its layers give "
                f"{_shape_text(scales)}; a gate multiplies its input by values of the same "
                "shape, or of size 1 on the axes they are spread over (C x 1 x 1)"
            )
        joined = tuple(field_union([a, b]) for a, b in zip(fields, scale_fields, strict=True))
        self.add(block.name, path, shape, joined)
        return shape, joined

    def concat(
        self, block: Concat, shape: Shape, fields: Fields, path: str
    ) -> tuple[Shape, Fields]:
        outputs = [
            self.run(branch, shape, fields, f"{path}.{number}")
            for number, branch in enumerate(block.branches, start=1)
        ]
        first = outputs[0][0]
        for number, (other, _) in enumerate(outputs[1:], start=2):
            self.agree(block, path, first, other, f"branch {number} gives", channels=False)
        channels = plain_number(sum((Integer(0) + out[0] for out, _ in outputs), Integer(0)))
        joined_shape = (channels, *first[1:])
        joined = tuple(
            field_union([out_fields[axis] for _, out_fields in outputs])
            for axis in range(len(fields))
        )
        self.add(block.name, path, joined_shape, joined)
        return joined_shape, joined

    def agree(
        self, block: Any, path: str, first: Shape, other: Shape, what: str, *, channels: bool
    ) -> None:
        skip = 0 if channels else 1
        same = len(first) == len(other) and all(
            _equal(a, b) for a, b in zip(first[skip:], other[skip:], strict=True)
        )
        if same:
            return
        kind = "residual" if isinstance(block, Residual) else "concat"
        lead = "its layers give" if channels else "branch 1 gives"
        need = "equal shapes" if channels else "equal sizes apart from the channels"
        symbolic = any(isinstance(n, Basic) and n.free_symbols for n in (*first, *other))
        hint = (
            "; the formulas agree only at some sizes: give the size as a multiple, such "
            "as H = 16*h with h a whole symbol"
            if symbolic
            else ""
        )
        raise SymconvError(
            f"block {path} ({kind}): {lead} {_shape_text(first)} but {what} "
            f"{_shape_text(other)}; {'an add' if channels else 'a concat'} needs {need}{hint}"
        )


class Stack:
    """A sequence of layers applied to an input of shape ``(C, *spatial)``.

    Blocks (:func:`residual`, :func:`concat`, :func:`gate`) put their layers' rows
    first, with path names such as ``"4.1"`` or ``"4.shortcut.1"``, then a row of
    their own (``add``, ``concat``, ``multiply``) whose receptive field covers every
    path.

    Raises:
        SymconvError: A layer does not fit the shape it receives.
    """

    def __init__(
        self,
        input_shape: tuple[Any, ...],
        layers: list[Any],
    ) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise SpecError(
                "input_shape must be a tuple (channels, *spatial sizes)", parameter="input_shape"
            )
        self.input_shape = tuple(
            plain_number(size_or_symbol(f"input_shape[{axis}]", n, 1))
            for axis, n in enumerate(input_shape)
        )
        self.layers = list(layer_list("layers", layers))
        self.rows = self._rows()

    def _rows(self) -> list[LayerRow]:
        stand_ins = _whole_symbols(self.input_shape)
        shape: Shape = tuple(
            n.xreplace(stand_ins) if isinstance(n, Basic) else n for n in self.input_shape
        )
        spatial = shape[1:] or shape[:1]
        fields: Fields = tuple((1, 1, 0) for _ in spatial)
        walk = _Walk(tuple((n, None, None) for n in spatial))
        walk.add("input", "", shape, fields)
        walk.run(self.layers, shape, fields, "")
        if not stand_ins:
            return walk.rows
        back = {whole: symbol for symbol, whole in stand_ins.items()}

        def restore(value: Any) -> Any:
            if isinstance(value, tuple):
                return tuple(restore(v) for v in value)
            return value.xreplace(back) if isinstance(value, Basic) else value

        return [
            LayerRow(
                row.name,
                restore(row.shape),
                restore(row.weights),
                restore(row.receptive_field),
                restore(row.macs),
                restore(row.biases),
                row.path,
                restore(row.receptive_fields),
            )
            for row in walk.rows
        ]

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
        """The stack as a text table: layer, output shape, weights, MACs, receptive field.

        A stack with blocks or named layers leads with each row's path.
        """
        nested = any(row.path not in ("", str(n)) for n, row in enumerate(self.rows))
        header: tuple[str, ...] = (
            "layer",
            "output shape",
            "weights",
            "MACs",
            "field",
            "jump",
            "start",
        )
        if nested:
            header = ("path", *header)
        body = [
            (
                *((row.path,) if nested else ()),
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
        if any(isinstance(layer, Residual | Concat | Gate) for layer in self.layers):
            raise SymconvError("a stack with branches (residual, concat, gate) has no matrix here")
        product: Any = None
        letters = iter("acdefghijlmnopqrstuvw")
        for number, layer in enumerate(self.layers):
            shape, result = self.rows[number].shape, self.rows[number + 1].shape
            if math.prod(shape) * math.prod(result) > max_entries:
                raise SymconvError(
                    f"{layer.name}: its matrix would have over {max_entries} entries"
                )
            if isinstance(layer, Flatten | ChannelShuffle | ChannelSplit):
                if not isinstance(layer, Flatten):
                    raise SymconvError(f"{layer.name} has no matrix here")
                continue
            if isinstance(layer, Upsample):
                raise SymconvError(f"{layer.name} has no matrix here")
            if isinstance(layer, BatchNorm | Activation | AdaptivePoolLayer | Norm | PReLU):
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
