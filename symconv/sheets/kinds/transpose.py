"""Output size, weights and matrix of a transposed convolution, and the convolution it undoes."""

from __future__ import annotations

import math
from typing import Any

from sympy import Add, Integer, Mul, Symbol, UnevaluatedExpr, latex

from symconv.layers.geometry import transpose_output_size
from symconv.layers.transpose import ConvTranspose
from symconv.notation import formula_latex
from symconv.present.describe import describe, per_axis
from symconv.present.display import latex_shape
from symconv.present.matrices import matrix_views, sympy_rows
from symconv.sheets.kinds.base import Derived, Kind, answer, shape_value
from symconv.sheets.slips import channels_last, transpose_shape_slips

#: Largest matrix (entries) derived whole for a sheet.
MATRIX_VALUE = 10_000


def _working(layer: ConvTranspose) -> str:
    r"""``1 \cdot (3 - 1) + 2 \cdot (3 - 1) + 1 - 2 \cdot 1 + 1 = 6`` per axis, printed by SymPy."""
    spec = layer.spec
    steps = []
    for w, s, p, d, k, a, o in zip(
        spec.input_size, spec.stride, spec.padding, spec.dilation, spec.kernel_size,
        spec.output_padding, spec.output_size, strict=True,
    ):  # fmt: skip
        one = Integer(1)
        # In the order of the formula as printed: d(K - 1) + s(W - 1) + a - 2p + 1.
        terms = [
            Mul(Integer(d), Add(Integer(k), -one, evaluate=False), evaluate=False),
            Mul(Integer(s), Add(Integer(w), -one, evaluate=False), evaluate=False),
            Integer(a),
            Mul(Integer(-2), UnevaluatedExpr(Integer(p)), evaluate=False),
            one,
        ]
        working = latex(Add(*terms, evaluate=False), order="none", mul_symbol="dot")
        steps.append(f"{working} = {o}")
    return r",\quad ".join(dict.fromkeys(steps))


def _formula() -> str:
    """The output-size formula of a transposed convolution, from the geometry core."""
    W, K, s, d = (Symbol(n, integer=True, positive=True) for n in ("W", "K", "s", "d"))
    p, a = (Symbol(n, integer=True, nonnegative=True) for n in ("p", "a"))
    size = transpose_output_size(W, K, stride=s, padding=p, dilation=d, output_padding=a)
    return formula_latex(size)


def derive(params: dict[str, Any]) -> Derived:
    layer = ConvTranspose(
        params["input"],
        params["kernel"],
        stride=params["stride"],
        padding=params["padding"],
        dilation=params["dilation"],
        output_padding=params["output_padding"],
        in_channels=params["in_channels"],
        out_channels=params["out_channels"],
        groups=params["groups"],
    )
    forward = layer.forward_conv()
    rows, cols = math.prod(layer.output_shape), math.prod(layer.input_shape)
    small = rows * cols <= MATRIX_VALUE
    views = matrix_views(*sympy_rows(layer.matrix())) if small else []
    values = {
        "question": params["question"],
        "input_size": latex_shape(layer.input_shape),
        "kernel": latex_shape(layer.spec.kernel_size),
        "stride": per_axis(layer.spec.stride),
        "padding": per_axis(layer.spec.padding),
        "output_padding": per_axis(layer.spec.output_padding),
        "out_channels": layer.spec.c_out if layer.spec.has_channels else None,
        "groups": layer.spec.groups,
        "dilated": set(layer.spec.dilation) != {1},
        "dilation": per_axis(layer.spec.dilation),
        "formula": _formula(),
        "working": _working(layer),
        "forward": describe(forward.spec),
        "forward_input": latex_shape(forward.input_shape),
        "forward_output": latex_shape(forward.output_shape),
        "forward_letter": forward.spec.input_letter,
        "small": small,
        "views": views,
    }
    answers = [
        answer("size", "output shape", shape_value(layer.output_shape),
               latex_shape(layer.output_shape),
               slips=transpose_shape_slips(layer.spec, lambda sizes: shape_value(
                   (layer.spec.c_out, *sizes) if layer.spec.has_channels else sizes))
               + (channels_last(layer.output_shape) if layer.spec.has_channels else ())),
        answer("weights", "number of weights", layer.weight_count, str(layer.weight_count),
               slips=(("biases_the_layer_has_not", layer.weight_count + layer.spec.c_out),)),
    ]  # fmt: skip
    if small:
        answers.append(answer("matrix", "matrix", layer.matrix(), views[0].latex))
    return Derived(values, tuple(answers))


KIND = Kind(
    "transpose",
    "output size, weights and matrix of a transposed convolution",
    {
        "question": None,
        "input": None,
        "kernel": None,
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "output_padding": 0,
        "in_channels": None,
        "out_channels": None,
        "groups": 1,
    },
    ("input", "kernel"),
    derive,
    5.0,
)
