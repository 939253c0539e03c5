"""Shapes, weights, biases, multiply-adds and receptive field through a stack of layers.

The question lists every layer with all that its answer depends on (kernel,
stride, padding, dilation, groups, bias; pooling's kind and stride; a dense
layer's bias): the facts are gathered here, the words are in
``templates/problems/stack.tex.j2``. Counts use the vocabulary of every kind:
*weights*, *biases* (a convolution's or dense layer's, a batch norm's shifts)
and *parameters*, both together.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from symconv.errors import SymconvError
from symconv.layers.stack import (
    Activation,
    AdaptivePoolLayer,
    BatchNorm,
    ChannelShuffle,
    ChannelSplit,
    ConvLayer,
    Dense,
    Norm,
    PoolLayer,
    PReLU,
    ReLU,
    Stack,
    TransposeLayer,
    Upsample,
    batchnorm,
    conv,
    dense,
    flatten,
    pool,
    relu,
)
from symconv.present.display import latex_shape
from symconv.present.latex import latex_escape
from symconv.present.tables import stack_latex_table
from symconv.sheets.kinds.base import Derived, Kind, answer, shape_value
from symconv.sheets.kinds.counts import asked, counted
from symconv.sheets.slips import channels_last

#: What a stack layer's ``type`` may be, and what builds it.
MAKERS: dict[str, Callable[..., Any]] = {
    "conv": conv,
    "pool": pool,
    "flatten": flatten,
    "dense": dense,
    "batchnorm": batchnorm,
    "relu": relu,
}


#: Builder arguments a sheet does not take: a row's path name is for imported networks.
_NOT_KEYS = {"path"}


def sheet_keys(maker: Callable[..., Any]) -> list[str]:
    """The keys a sheet's layer of this kind takes: the builder's arguments."""
    return [name for name in inspect.signature(maker).parameters if name not in _NOT_KEYS]


def _allowed(maker: Callable[..., Any]) -> list[str]:
    return ["type", *sheet_keys(maker)]


def simple_layer(where: str, table: Any, makers: dict[str, Callable[..., Any]]) -> Any:
    """The layer one TOML table describes (``{ type = "conv", kernel = 3 }``), built by
    ``makers[type]``; ``where`` says where the table is, in the file's words."""
    if not isinstance(table, dict) or table.get("type") not in makers:
        raise SymconvError(f"{where}: needs type = one of {', '.join(makers)}")
    where = f"{where} ({table['type']})"
    maker = makers[table["type"]]
    allowed = _allowed(maker)
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SymconvError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    required = [
        name
        for name, parameter in inspect.signature(maker).parameters.items()
        if parameter.default is inspect.Parameter.empty and name not in table
    ]
    if required:
        raise SymconvError(f"{where}: needs a {required[0]}")
    options = {key: value for key, value in table.items() if key != "type"}
    try:
        return maker(**options)
    except SymconvError as error:
        raise SymconvError(f"{where}: {error}") from None


def _layer(number: int, table: Any) -> Any:
    return simple_layer(f"key 'layers', layer {number}", table, MAKERS)


def _per_axis(value: Any, ndim: int) -> Any:
    """One number for every axis, or the list of them (height first) when they differ."""
    values = value if isinstance(value, tuple) else (value,) * ndim
    return values[0] if len(set(values)) == 1 else list(values)


def _sides(layer: Any, sizes: tuple[Any, ...]) -> Any:
    """The padding as its amounts: one number on every side, one per axis on both its sides,
    else (before, after) per axis."""
    if isinstance(layer, ConvLayer):
        pairs = layer._pairs(sizes)
    else:
        amounts = (
            layer.padding if isinstance(layer.padding, tuple) else (layer.padding,) * len(sizes)
        )
        pairs = tuple((p, p) for p in amounts)
    sides = {side for pair in pairs for side in pair}
    if len(sides) == 1:
        return next(iter(sides))
    if all(before == after for before, after in pairs):
        return [before for before, _ in pairs]
    return [list(pair) for pair in pairs]


#: The spatial axes' names, by how many there are.
_SPATIAL = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _axis_names(ndim: int) -> tuple[str, ...]:
    """The names of the axes of ``(C, *spatial)``."""
    return ("channels", *_SPATIAL.get(ndim, tuple(f"axis {n}" for n in range(1, ndim + 1))))


def _norm_facts(layer: Norm, before: tuple[Any, ...]) -> dict[str, Any]:
    """A group, instance or layer norm: its groups or the axes it normalises over, and
    whether it learns a scale (a weight) and a shift (a bias)."""
    facts: dict[str, Any] = {
        "type": f"{layer.kind}norm",
        "affine": layer.affine,
        "bias": layer.affine and layer.bias,
    }
    if layer.kind == "group":
        facts["groups"] = layer.groups
    elif layer.kind == "layer":
        names = _axis_names(len(before) - 1)
        facts["all"] = layer.axes is None or layer.axes >= len(names)
        facts["axes"] = list(names[len(names) - (layer.axes or len(names)) :])
    return facts


def _upsample_facts(layer: Upsample, after: tuple[Any, ...]) -> dict[str, Any]:
    """Upsampling: its factor per axis, or the size it gives; its mode and corners."""
    return {
        "type": "upsample",
        "factor": None if layer.size is not None else _per_axis(layer.scale_factor, len(after) - 1),
        "size": latex_shape(after[1:]) if layer.size is not None else None,
        "mode": layer.mode,
        "linear": not layer.mode.startswith("nearest"),
        "align_corners": layer.align_corners,
    }


def layer_facts(layer: Any, before: tuple[Any, ...], after: tuple[Any, ...]) -> dict[str, Any]:
    """What the question says of one layer, from its input shape ``before`` to ``after``.

    The words are ``layer()`` of ``templates/words/stack.tex.j2``.
    """
    ndim = len(before) - 1
    window = ""
    if hasattr(layer, "kernel"):
        kernel = layer.kernel if isinstance(layer.kernel, tuple) else (layer.kernel,) * ndim
        window = latex_shape(kernel)
    if isinstance(layer, ConvLayer):
        return {
            "type": "conv",
            "filters": after[0],
            "window": window,
            "stride": _per_axis(layer.stride, ndim),
            "padding": _sides(layer, before[1:]),
            "named": layer.padding if isinstance(layer.padding, str) else None,
            "circular": layer.padding_mode == "circular",
            "padding_mode": layer.padding_mode,
            "dilation": _per_axis(layer.dilation, ndim),
            "groups": layer.groups,
            "bias": layer.bias,
        }
    if isinstance(layer, TransposeLayer):
        return {
            "type": "conv_transpose",
            "filters": after[0],
            "window": window,
            "stride": _per_axis(layer.stride, ndim),
            "padding": _per_axis(layer.padding, ndim),
            "output_padding": _per_axis(layer.output_padding, ndim),
            "dilation": _per_axis(layer.dilation, ndim),
            "groups": layer.groups,
            "bias": layer.bias,
        }
    if isinstance(layer, PoolLayer):
        return {
            "type": "pool",
            "mode": layer.mode,
            "window": window,
            "stride": _per_axis(layer.stride, ndim),
            "padding": _sides(layer, before[1:]),
            "named": None,
            "circular": False,
            "padding_mode": "zeros",
            "dilation": _per_axis(layer.dilation, ndim),
            "ceil_mode": layer.ceil_mode,
        }
    if isinstance(layer, AdaptivePoolLayer):
        return {
            "type": "adaptive_pool",
            "mode": layer.mode,
            "size": latex_shape(after[1:]),
            "global": all(n == 1 for n in after[1:]),
        }
    if isinstance(layer, Dense):
        return {"type": "dense", "outputs": layer.out_features, "bias": layer.bias}
    if isinstance(layer, BatchNorm):
        return {"type": "batchnorm", "channels": before[0]}
    if isinstance(layer, Norm):
        return _norm_facts(layer, before)
    if isinstance(layer, Upsample):
        return _upsample_facts(layer, after)
    if isinstance(layer, PReLU):
        return {"type": "prelu", "slopes": layer.num_parameters, "channels": before[0]}
    if isinstance(layer, ChannelSplit):
        return {"type": "channel_split", "parts": layer.parts, "channels": before[0]}
    if isinstance(layer, ChannelShuffle):
        return {"type": "channel_shuffle", "groups": layer.groups}
    if isinstance(layer, Activation) and not isinstance(layer, ReLU):
        return {"type": "activation", "name": latex_escape(layer.name)}
    return {"type": layer.name}  # relu, flatten


def derive(params: dict[str, Any]) -> Derived:
    layers = [_layer(number, table) for number, table in enumerate(params["layers"] or (), 1)]
    shape = tuple(params["input"]) if isinstance(params["input"], (list, tuple)) else None
    if not shape or not all(isinstance(n, int) for n in shape):
        raise SymconvError("key 'input' must be [channels, height, width] (or [channels, length])")
    stack = Stack(shape, layers)
    last_spatial = next(
        (row for row in reversed(stack.rows) if row.receptive_field[1] is not None), stack.rows[0]
    )
    field = last_spatial.receptive_field[0]
    biases = stack.bias_count
    counts = {
        "weights": stack.weight_count - biases,
        "biases": biases,
        "parameters": stack.weight_count,
        "one_bias_each": 0,
    }
    ask = asked(params, biases > 0)
    values = {
        "question": params["question"],
        "input_shape": latex_shape(shape),
        "layers": [
            layer_facts(layer, before.shape, after.shape)
            for layer, before, after in zip(layers, stack.rows[:-1], stack.rows[1:], strict=True)
        ],
        "table": stack_latex_table(stack, numbered=True),
        "ask": ask,
        "weights": counts["weights"],
        "biases": biases,
        "parameters": stack.weight_count,
        "macs": stack.macs,
        "field_layer": stack.rows.index(last_spatial),
    }
    labels = {
        "weights": "weights in all",
        "biases": "biases in all",
        "parameters": "parameters in all (weights and biases)",
    }
    answers = (
        answer("output_shape", "output shape", shape_value(stack.output_shape),
               latex_shape(stack.output_shape), slips=channels_last(stack.output_shape)),
        *(counted(count, labels[count], counts, has_bias=biases > 0) for count in ask),
        answer("field", "receptive field", field, str(field)),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "stack",
    "shapes, weights, biases and receptive field through a stack of layers",
    {"question": None, "input": None, "layers": None, "ask": None},
    ("input", "layers"),
    derive,
    6.0,
)
