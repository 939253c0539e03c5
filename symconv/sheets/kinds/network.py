"""Shapes, weights, multiply-adds and receptive field of a whole network: blocks and branches.

A ResNet bottleneck, an Inception block, SqueezeNet's fire module, MobileNetV3's
block with squeeze and excitation: the layers of the ``stack`` kind, and
``conv_transpose``, ``adaptive_pool``, ``activation``, ``channel_split``,
``channel_shuffle``, ``upsample``, ``groupnorm``, ``instancenorm``,
``layernorm`` and ``prelu`` (a norm's scales counted as weights and its shifts
as biases, as batch norm's; PReLU's slopes as weights), nested in blocks:

- ``{ type = "residual", layers = [...] }``: the output of ``layers`` added to
  the block's input, or with ``shortcut = [...]`` to the shortcut's output
  (ResNet's projection);
- ``{ type = "gate", layers = [...] }``: the block's input multiplied
  elementwise by the output of ``layers``, spread over the axes where that has
  size 1 (squeeze and excitation's ``C x 1 x 1`` scales), a ``multiply`` row;
- ``{ type = "concat", branches = [[...], [...], []] }``: each branch run on the
  same input, their outputs concatenated along the channels (``[]`` is the
  input itself);
- presets, each written out as those layers (the question and the table show
  them): ``{ block = "bottleneck", width = 64, channels = 256, stride = 1 }``
  (torchvision's ``Bottleneck``: the shortcut a projection when the stride or
  the channels change, a ReLU after the add), ``{ block = "fire", squeeze = 16,
  expand = 64 }`` (SqueezeNet's ``Fire``, with biases) and ``{ block =
  "inception", ch1x1 = 64, ch3x3red = 96, ch3x3 = 128, ch5x5red = 16, ch5x5 =
  32, pool_proj = 32 }`` (GoogLeNet's, each convolution followed by a batch norm
  and a ReLU).

The question numbers every layer by its path (``1.4``, ``1.shortcut.1``,
``2.3.1``: block 2, branch 3, layer 1), as the table of the solution does. It
asks what ``ask`` names: ``output_shape``, the counts (``weights``, ``biases``,
``parameters``, as every kind counts them), ``macs`` and ``field``, the
receptive field of the last spatial output over every path; ``title`` names the
block in bold before the question. The facts are
gathered here, the words are in ``templates/problems/network.tex.j2`` (a
layer's words shared with the stack kind, in ``templates/words/stack.tex.j2``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from symconv.errors import SymconvError
from symconv.layers.stack import (
    BatchNorm,
    Concat,
    Dense,
    Gate,
    LayerRow,
    Norm,
    PReLU,
    Residual,
    Stack,
    TransposeLayer,
    activation,
    adaptive_pool,
    channel_shuffle,
    channel_split,
    concat,
    conv_transpose,
    gate,
    groupnorm,
    instancenorm,
    layernorm,
    prelu,
    residual,
    upsample,
)
from symconv.present.display import latex_shape
from symconv.present.latex import latex_escape
from symconv.present.tables import stack_latex_table
from symconv.sheets.kinds.base import Derived, Kind, answer, shape_value
from symconv.sheets.kinds.counts import COUNTS, counted, parameters_from
from symconv.sheets.kinds.stack import MAKERS as STACK_MAKERS
from symconv.sheets.kinds.stack import layer_facts, simple_layer
from symconv.sheets.model import Answer, Recompute
from symconv.sheets.slips import channels_last, macs_slips

__all__ = ["ASKS", "BLOCKS", "KIND", "MAKERS", "PRESETS", "expand_preset"]

#: The layers of a network that are not blocks: the stack kind's, and more.
MAKERS: dict[str, Callable[..., Any]] = {
    **STACK_MAKERS,
    "conv_transpose": conv_transpose,
    "adaptive_pool": adaptive_pool,
    "activation": activation,
    "channel_split": channel_split,
    "channel_shuffle": channel_shuffle,
    "upsample": upsample,
    "groupnorm": groupnorm,
    "instancenorm": instancenorm,
    "layernorm": layernorm,
    "prelu": prelu,
}

#: The blocks, and the keys each takes beside ``type``.
BLOCKS: dict[str, tuple[str, ...]] = {
    "residual": ("layers", "shortcut"),
    "gate": ("layers",),
    "concat": ("branches",),
}

#: What a problem may ask, in the order the question asks it.
ASKS = ("output_shape", *COUNTS, "macs", "field")

#: A sheet prints a block's layers as a list inside its item; LaTeX nests at most six
#: lists, and the sheet's own list of questions is one.
_MOST_LISTS = 5

Shape = tuple[Any, ...]


# --------------------------------------------------------------------------
# Presets: named blocks written out as the layer tables an author would write


def _bottleneck(channels_in: Any, width: Any, channels: Any = None, stride: Any = 1) -> list[Any]:
    """torchvision's ``Bottleneck`` (ResNet-50 v1.5: the stride on the 3 x 3 convolution)."""
    channels = 4 * width if channels is None else channels
    layers = [
        {"type": "conv", "kernel": 1, "out_channels": width},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "conv", "kernel": 3, "out_channels": width, "stride": stride, "padding": 1},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "conv", "kernel": 1, "out_channels": channels},
        {"type": "batchnorm"},
    ]
    block: dict[str, Any] = {"type": "residual", "layers": layers}
    if stride != 1 or channels_in != channels:
        block["shortcut"] = [
            {"type": "conv", "kernel": 1, "out_channels": channels, "stride": stride},
            {"type": "batchnorm"},
        ]
    return [block, {"type": "relu"}]


def _fire(channels_in: Any, squeeze: Any, expand: Any) -> list[Any]:
    """SqueezeNet's ``Fire``: a 1 x 1 squeeze, then 1 x 1 and 3 x 3 expands side by side."""
    return [
        {"type": "conv", "kernel": 1, "out_channels": squeeze, "bias": True},
        {"type": "relu"},
        {
            "type": "concat",
            "branches": [
                [{"type": "conv", "kernel": 1, "out_channels": expand, "bias": True},
                 {"type": "relu"}],
                [{"type": "conv", "kernel": 3, "out_channels": expand, "padding": 1,
                  "bias": True},
                 {"type": "relu"}],
            ],
        },
    ]  # fmt: skip


def _basic(kernel: Any, channels: Any, padding: Any = 0) -> list[dict[str, Any]]:
    """GoogLeNet's ``BasicConv2d``: a convolution without bias, a batch norm, a ReLU."""
    return [
        {"type": "conv", "kernel": kernel, "out_channels": channels, "padding": padding},
        {"type": "batchnorm"},
        {"type": "relu"},
    ]


def _inception(
    channels_in: Any,
    ch1x1: Any,
    ch3x3red: Any,
    ch3x3: Any,
    ch5x5red: Any,
    ch5x5: Any,
    pool_proj: Any,
) -> list[Any]:
    """GoogLeNet's ``Inception``: four branches concatenated (the paper's 5 x 5 convolution)."""
    pool = {"type": "pool", "kernel": 3, "stride": 1, "padding": 1, "ceil_mode": True}
    return [
        {
            "type": "concat",
            "branches": [
                _basic(1, ch1x1),
                [*_basic(1, ch3x3red), *_basic(3, ch3x3, 1)],
                [*_basic(1, ch5x5red), *_basic(5, ch5x5, 2)],
                [pool, *_basic(1, pool_proj)],
            ],
        }
    ]


#: Named blocks: each a function of the input channels and the preset's keys, giving layers.
PRESETS: dict[str, Callable[..., list[Any]]] = {
    "bottleneck": _bottleneck,
    "fire": _fire,
    "inception": _inception,
}


def _keys(preset: Callable[..., Any]) -> tuple[list[str], list[str]]:
    """A preset's keys (its arguments after the input channels), and those it needs."""
    parameters = list(inspect.signature(preset).parameters.values())[1:]
    names = [parameter.name for parameter in parameters]
    needed = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    return names, needed


def expand_preset(where: str, table: dict[str, Any], channels_in: Any) -> list[Any]:
    """The layer tables a preset stands for, given the channels it receives.

    >>> [layer["type"] for layer in expand_preset("here", {"block": "fire", "squeeze": 16,
    ...                                                     "expand": 64}, 96)]
    ['conv', 'relu', 'concat']

    Raises:
        SymconvError: An unknown preset, or a key it does not take or lacks.
    """
    name = table.get("block")
    if not isinstance(name, str) or name not in PRESETS:
        raise SymconvError(f"{where}: block must be one of {', '.join(PRESETS)}, got {name!r}")
    where = f"{where} ({name})"
    names, required = _keys(PRESETS[name])
    allowed = ["block", *names]
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SymconvError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    missing = [key for key in required if key not in table]
    if missing:
        raise SymconvError(f"{where}: needs a {missing[0]}")
    for key in names:
        value = table.get(key)
        if key in table and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SymconvError(f"{where}: key {key!r} must be a whole number from 1, got {value!r}")
    return PRESETS[name](channels_in, **{key: table[key] for key in names if key in table})


# --------------------------------------------------------------------------
# Building the layers from their tables, each error said where it is in the file


def _stage(error: SymconvError) -> str:
    """A stack's message without its ``block 1 (residual):`` lead (the file's words say where)."""
    text = str(error)
    head, sep, rest = text.partition("): ")
    if sep and head.startswith(("block ", "layer ")) and " (" in head:
        return rest
    return text


def _after(where: str, layer: Any, shape: Shape) -> Shape:
    """The shape after ``layer``, or an error naming where it is."""
    try:
        return Stack(shape, [layer]).output_shape
    except SymconvError as error:
        raise SymconvError(f"{where}: {_stage(error)}") from None


def _sequence(what: str, value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise SymconvError(f'{what} must be a list of layers such as [{{ type = "relu" }}]')
    return list(value)


def build_layers(where: str, tables: Any, shape: Shape) -> tuple[list[Any], Shape]:
    """The layers a list of tables describes, and the shape after them.

    ``where`` names the list in the file's words (``key 'layers'``); each layer
    adds ``, layer N (type)``, a block's list ``, layers``, ``, shortcut`` or
    ``, branch N``.
    """
    layers: list[Any] = []
    number = 0
    for table in _sequence(where, tables):
        number += 1
        here = f"{where}, layer {number}"
        if isinstance(table, dict) and "block" in table:
            expanded = expand_preset(here, table, shape[0])
            built, shape = build_layers(f"{here} ({table['block']})", expanded, shape)
            layers.extend(built)
            continue
        layer, shape = _build(here, table, shape)
        layers.append(layer)
    return layers, shape


def _build(where: str, table: Any, shape: Shape) -> tuple[Any, Shape]:
    kind = table.get("type") if isinstance(table, dict) else None
    if kind not in BLOCKS:
        if not isinstance(table, dict) or kind not in MAKERS:
            types = ", ".join([*MAKERS, *BLOCKS])
            raise SymconvError(
                f"{where}: needs type = one of {types} (or block = one of {', '.join(PRESETS)})"
            )
        layer = simple_layer(where, table, MAKERS)
        return layer, _after(f"{where} ({kind})", layer, shape)
    where = f"{where} ({kind})"
    allowed = ["type", *BLOCKS[kind]]
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SymconvError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    if kind == "residual":
        if not table.get("layers"):
            raise SymconvError(f"{where}: needs layers = [...], the layers whose output is added")
        layers, _ = build_layers(f"{where}, layers", table["layers"], shape)
        shortcut = None
        if table.get("shortcut") is not None:
            shortcut, _ = build_layers(f"{where}, shortcut", table["shortcut"], shape)
        layer = residual(*layers, shortcut=shortcut)
    elif kind == "gate":
        if not table.get("layers"):
            raise SymconvError(
                f"{where}: needs layers = [...], the layers whose output multiplies the input"
            )
        layers, _ = build_layers(f"{where}, layers", table["layers"], shape)
        layer = gate(*layers)
    else:
        branches = _sequence(f"{where}: branches", table.get("branches"))
        if not branches:
            raise SymconvError(f"{where}: needs branches = [[...], [...]], one list per branch")
        built = [
            build_layers(f"{where}, branch {number}", branch, shape)[0]
            for number, branch in enumerate(branches, 1)
        ]
        layer = concat(*built)
    return layer, _after(where, layer, shape)


# --------------------------------------------------------------------------
# What the question says of each layer, in the order of the stack's rows


class _Facts:
    """The layers' facts, nested as the blocks are, each with its row's path.

    Rows come in the order the stack walks the layers: a block's layers (its
    shortcut's after them, branch by branch for a concat), then the block's own row.
    """

    def __init__(self, rows: list[LayerRow]) -> None:
        self.rows: Iterator[LayerRow] = iter(rows[1:])
        self.depth = 0  # the deepest list the question prints
        self.batchnorms = 0

    def listing(
        self, layers: tuple[Any, ...] | list[Any], shape: Shape, depth: int
    ) -> dict[str, Any]:
        """A list of layers: its items, and its widest label (to set the list's indent)."""
        if layers:
            self.depth = max(self.depth, depth)
        items = []
        for layer in layers:
            item, shape = self.item(layer, shape, depth)
            items.append(item)
        widest = max((item["path"] for item in items), key=len, default="")
        return {"entries": items, "widest": widest, "shape": shape}

    def item(self, layer: Any, shape: Shape, depth: int) -> tuple[dict[str, Any], Shape]:
        if isinstance(layer, Residual):
            main = self.listing(layer.layers, shape, depth + 1)
            shortcut = self.listing(layer.shortcut, shape, depth + 1) if layer.shortcut else None
            row = next(self.rows)
            return {"type": "residual", "path": row.path, "layers": main,
                    "shortcut": shortcut}, row.shape  # fmt: skip
        if isinstance(layer, Gate):
            scales = self.listing(layer.layers, shape, depth + 1)
            row = next(self.rows)
            return {"type": "gate", "path": row.path, "layers": scales}, row.shape
        if isinstance(layer, Concat):
            branches = [self.listing(branch, shape, depth + 2) for branch in layer.branches]
            row = next(self.rows)
            labelled = [
                {"path": f"{row.path}.{number}", **branch}
                for number, branch in enumerate(branches, 1)
            ]
            widest = max((branch["path"] for branch in labelled), key=len)
            self.depth = max(self.depth, depth + 1)
            return {"type": "concat", "path": row.path, "branches": labelled,
                    "widest": widest}, row.shape  # fmt: skip
        row = next(self.rows)
        facts = {**layer_facts(layer, shape, row.shape), "path": row.path}
        if facts["type"] == "batchnorm":  # what a batch norm counts is said at the first
            facts["brief"] = self.batchnorms > 0
            self.batchnorms += 1
        return facts, row.shape


# --------------------------------------------------------------------------
# The problem


def _asked(params: dict[str, Any], bias: bool) -> tuple[str, ...]:
    """What ``ask`` names, in the usual order; by default all of it (the counts as the stack
    kind asks them: the weights, and with a bias the biases and the parameters too)."""
    ask = params.get("ask")
    default = ("output_shape", *(COUNTS if bias else ("weights",)), "macs", "field")
    if ask is None:
        return default
    if isinstance(ask, str):
        ask = [ask]
    if not isinstance(ask, list | tuple) or not ask or not set(ask) <= set(ASKS):
        raise SymconvError(f"key 'ask' must be a list of {', '.join(map(repr, ASKS))}, got {ask!r}")
    return tuple(item for item in ASKS if item in ask)


def _input_shape(params: dict[str, Any]) -> Shape:
    shape = tuple(params["input"]) if isinstance(params["input"], list | tuple) else None
    if not shape or len(shape) < 2 or not all(isinstance(n, int) for n in shape):
        raise SymconvError("key 'input' must be [channels, height, width] (or [channels, length])")
    return shape


def _field(stack: Stack) -> tuple[LayerRow, Any]:
    """The last row with a spatial output, and its receptive field over every path: one
    size, or one per axis (height first) where they differ."""
    last = next(
        (row for row in reversed(stack.rows) if row.receptive_field[1] is not None), stack.rows[0]
    )
    sizes = tuple(field[0] for field in last.receptive_fields or (last.receptive_field,))
    return last, sizes[0] if len(set(sizes)) == 1 else sizes


def derive(params: dict[str, Any]) -> Derived:
    shape = _input_shape(params)
    layers, _ = build_layers("key 'layers'", params["layers"], shape)
    if not layers:
        raise SymconvError("key 'layers' must hold at least one layer")
    stack = Stack(shape, layers)
    facts = _Facts(stack.rows)
    listing = facts.listing(layers, shape, 1)
    if facts.depth > _MOST_LISTS:
        raise SymconvError(
            f"key 'layers': blocks nest {facts.depth} lists deep, and a sheet prints at most "
            f"{_MOST_LISTS} (a block inside a branch inside a block ...)"
        )
    last, field = _field(stack)
    biases = stack.bias_count
    counts = {
        "weights": stack.weight_count - biases,
        "biases": biases,
        "parameters": stack.weight_count,
        "one_bias_each": 0,
    }
    ask = _asked(params, biases > 0)
    title = params["title"]
    if title is not None and not isinstance(title, str):
        raise SymconvError(f"key 'title' must be text, got {title!r}")
    values = {
        "question": params["question"],
        "title": latex_escape(title.strip()) if title else None,
        "input_shape": latex_shape(shape),
        "layers": listing,
        "nested": any(item["type"] in BLOCKS for item in listing["entries"]),
        "transposed": any(isinstance(layer, TransposeLayer) for layer in _all(layers)),
        "dense": any(isinstance(layer, Dense) for layer in _all(layers)),
        "joins": _joins(layers),
        "weight_extras": _weight_extras(list(_all(layers))),
        "table": stack_latex_table(stack),
        "ask": ask,
        "weights": counts["weights"],
        "biases": biases,
        "parameters": stack.weight_count,
        "macs": stack.macs,
        "output_shape": latex_shape(stack.output_shape),
        "field": latex_shape(field) if isinstance(field, tuple) else str(field),
        "field_layer": last.path or "input",
        "field_block": any(
            item["path"] == last.path and item["type"] in BLOCKS for item in listing["entries"]
        ),
        "field_per_axis": isinstance(field, tuple),
    }
    labels = {
        "weights": "weights in all",
        "biases": "biases in all",
        "parameters": "parameters in all (weights and biases)",
    }
    found: dict[str, Answer] = {
        "output_shape": answer(
            "output_shape", "output shape", shape_value(stack.output_shape),
            latex_shape(stack.output_shape), slips=channels_last(stack.output_shape),
        ),
        **{count: counted(count, labels[count], counts, has_bias=biases > 0) for count in COUNTS},
        "macs": answer("macs", "multiply-adds (MACs) of one forward pass", stack.macs,
                       str(stack.macs), slips=macs_slips(stack.macs, stack.weight_count)),
        "field": answer(
            "field", "receptive field of the last spatial output",
            field, latex_shape(field) if isinstance(field, tuple) else str(field),
        ),
    }  # fmt: skip
    recompute = Recompute(parameters_from, {"weights": counts["weights"], "biases": biases})
    found["parameters"] = replace(
        found["parameters"],
        depends_on=tuple(key for key in recompute.sources if key in ask),
        recompute=recompute,
    )
    return Derived(values, tuple(found[key] for key in ask))


def _joins(layers: list[Any] | tuple[Any, ...]) -> list[str]:
    """The names of the blocks' own rows (add, multiply, concat), each once, in that order."""
    found: set[str] = set()

    def walk(items: list[Any] | tuple[Any, ...]) -> None:
        for layer in items:
            if isinstance(layer, Residual | Gate | Concat):
                found.add(layer.name)
            if isinstance(layer, Residual):
                walk(layer.layers)
                walk(layer.shortcut or ())
            elif isinstance(layer, Gate):
                walk(layer.layers)
            elif isinstance(layer, Concat):
                for branch in layer.branches:
                    walk(branch)

    walk(layers)
    return [name for name in ("add", "multiply", "concat") if name in found]


def _weight_extras(layers: list[Any]) -> list[str] | None:
    """What else counts as weights, said where a network has group, instance or layer norms
    or PReLUs (``None`` otherwise: the words of the stack kind)."""
    if not any(isinstance(layer, Norm | PReLU) for layer in layers):
        return None
    scales = any(isinstance(layer, BatchNorm) or (isinstance(layer, Norm) and layer.affine)
                 for layer in layers)  # fmt: skip
    slopes = any(isinstance(layer, PReLU) for layer in layers)
    return [*(["a norm's scales"] if scales else []), *(["PReLU's slopes"] if slopes else [])]


def _all(layers: list[Any] | tuple[Any, ...]) -> Iterator[Any]:
    """Every layer, those inside blocks included."""
    for layer in layers:
        if isinstance(layer, Residual | Gate):
            yield from _all(layer.layers)
            yield from _all(layer.shortcut or () if isinstance(layer, Residual) else ())
        elif isinstance(layer, Concat):
            for branch in layer.branches:
                yield from _all(branch)
        else:
            yield layer


KIND = Kind(
    "network",
    "shapes, weights, MACs and receptive field of a network with residual, gate and concat blocks",
    {"question": None, "title": None, "input": None, "layers": None, "ask": None},
    ("input", "layers"),
    derive,
    6.0,
)
