"""Output size and elements of max or average pooling."""

from __future__ import annotations

from typing import Any

from sympy import Max, latex

from symconv.errors import SymconvError
from symconv.layers.pool import Pool
from symconv.present.describe import per_axis
from symconv.present.display import latex_shape, mean_latex
from symconv.sheets.kinds.base import Derived, Kind, answer, flag, shape_value
from symconv.sheets.slips import pool_shape_slips


def _element_latex(element: Any) -> str:
    """An average as one fraction of a sum; a maximum as SymPy prints it."""
    return latex(element) if element.has(Max) else mean_latex(element)


def derive(params: dict[str, Any]) -> Derived:
    if params["mode"] not in ("max", "avg"):
        raise SymconvError(f'key \'mode\' must be "max" or "avg", got {params["mode"]!r}')
    layer = Pool(
        params["input"],
        params["kernel"],
        stride=params["stride"],
        padding=params["padding"],
        ceil_mode=flag(params, "ceil_mode"),
        mode=params["mode"],
    )
    last = tuple(n - 1 for n in layer.output_shape)
    first_expr = layer.output_element((0,) * len(last))
    last_expr = layer.output_element(last)
    values = {
        "question": params["question"],
        "input_size": latex_shape(layer.input_shape),
        "one_d": len(layer.input_shape) == 1,
        "kernel": latex_shape(layer.spec.kernel_size),
        "stride": per_axis(layer.spec.stride),
        "padding": layer.spec.padding[0],
        "ceil_mode": layer.spec.ceil_mode,
        "mode": layer.spec.mode,
        "first_name": "y_{" + ",".join("1" for _ in last) + "}",
        "last_name": "y_{" + ",".join(str(n + 1) for n in last) + "}",
    }
    answers = (
        answer("size", "output shape", shape_value(layer.output_shape),
               latex_shape(layer.output_shape),
               slips=pool_shape_slips(layer.spec, shape_value)),
        answer("first", "first element", first_expr, _element_latex(first_expr)),
        answer("last", "last element", last_expr, _element_latex(last_expr)),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "pooling",
    "output size and elements of max or average pooling",
    {
        "question": None,
        "input": None,
        "kernel": None,
        "stride": None,
        "padding": 0,
        "ceil_mode": False,
        "mode": "max",
    },
    ("input", "kernel"),
    derive,
    3.5,
)
