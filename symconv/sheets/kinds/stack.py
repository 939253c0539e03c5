"""Shapes, weights, multiply-adds and receptive field through a stack of layers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from symconv.errors import SymconvError
from symconv.layers.stack import Stack, batchnorm, conv, dense, flatten, pool, relu
from symconv.present.display import latex_shape
from symconv.present.latex import latex_escape
from symconv.present.tables import stack_latex_table
from symconv.sheets.kinds.base import Derived, Kind, answer, shape_value

#: What a stack layer's ``type`` may be, and what builds it.
MAKERS: dict[str, Callable[..., Any]] = {
    "conv": conv,
    "pool": pool,
    "flatten": flatten,
    "dense": dense,
    "batchnorm": batchnorm,
    "relu": relu,
}


def _allowed(maker: Callable[..., Any]) -> list[str]:
    return ["type", *inspect.signature(maker).parameters]


def _layer(number: int, table: Any) -> Any:
    where = f"key 'layers', layer {number}"
    if not isinstance(table, dict) or table.get("type") not in MAKERS:
        raise SymconvError(f"{where}: needs type = one of {', '.join(MAKERS)}")
    maker = MAKERS[table["type"]]
    allowed = _allowed(maker)
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SymconvError(
            f"{where} ({table['type']}): unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}"
        )
    required = [
        name
        for name, parameter in inspect.signature(maker).parameters.items()
        if parameter.default is inspect.Parameter.empty and name not in table
    ]
    if required:
        raise SymconvError(f"{where} ({table['type']}): needs a {required[0]}")
    options = {key: value for key, value in table.items() if key != "type"}
    try:
        return maker(**options)
    except SymconvError as error:
        raise SymconvError(f"{where}: {error}") from None


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
    values = {
        "question": params["question"],
        "input_shape": latex_shape(shape),
        "layers": [latex_escape(row.name) for row in stack.rows[1:]],
        "table": stack_latex_table(stack),
        "macs": stack.macs,
        "field_layer": latex_escape(last_spatial.name),
    }
    answers = (
        answer("output_shape", "output shape", shape_value(stack.output_shape),
               latex_shape(stack.output_shape)),
        answer("weights", "weights in all", stack.weight_count, str(stack.weight_count)),
        answer("field", "receptive field", field, str(field)),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "stack",
    "shapes, weights and receptive field through a stack of layers",
    {"question": None, "input": None, "layers": None},
    ("input", "layers"),
    derive,
    6.0,
)
