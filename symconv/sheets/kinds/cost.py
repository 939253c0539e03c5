"""Multiply-adds (MACs) and FLOPs of a CNN layer, against a fully connected layer."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any

from sympy import Integer, Mul, latex

from symconv.layers.cost import macs_inside_input
from symconv.notation import scientific_latex
from symconv.present.describe import describe
from symconv.present.display import latex_shape
from symconv.sheets.kinds.base import Derived, Kind, answer, size_working
from symconv.sheets.kinds.shapes import IMAGE_DEFAULTS, image_conv
from symconv.sheets.slips import channels_last, conv_shape_slips


def _product(factors: list[int]) -> str:
    r"""``3 \cdot 5 \cdot 5`` printed by SymPy, unevaluated."""
    return str(latex(Mul(*(Integer(f) for f in factors), evaluate=False), mul_symbol="dot"))


def _slips(*slips: tuple[str, int], value: int) -> tuple[tuple[str, int], ...]:
    """The known slips whose wrong value differs from the right one."""
    return tuple((name, wrong) for name, wrong in slips if wrong != value)


def derive(params: dict[str, Any]) -> Derived:
    conv = image_conv(params, groups=params["groups"])
    spec = conv.spec
    inside = macs_inside_input(spec)
    per_output = [spec.group_in_channels, *spec.kernel_size]
    values = {
        "question": params["question"],
        "height": spec.input_size[0],
        "width": spec.input_size[-1],
        "channels": spec.c_in,
        "filters": spec.c_out,
        "groups": spec.groups,
        "kernel": latex_shape(spec.kernel_size),
        "layer": describe(spec),
        "size_working": size_working(spec),
        "outputs": math.prod(conv.output_shape),
        "per_output": _product(per_output),
        "taps": math.prod(per_output),
        "flat_in": math.prod(conv.input_shape),
        "dense_scientific": scientific_latex(conv.dense_weight_count),
        "ratio": scientific_latex(Fraction(conv.dense_weight_count, conv.macs), 3),
    }
    answers = (
        answer("output_shape", "output tensor shape", conv.output_shape,
               latex_shape(conv.output_shape),
               slips=conv_shape_slips(spec) + channels_last(conv.output_shape)),
        replace(
            answer("macs", "multiply-adds of the layer", conv.macs, str(conv.macs)),
            slips=_slips(("padding_left_out", inside), value=conv.macs),
        ),
        replace(
            answer("flops", "floating-point operations", conv.flops, str(conv.flops)),
            slips=_slips(
                ("padding_left_out", 2 * inside), ("flops_as_macs", conv.macs), value=conv.flops
            ),
        ),
        answer("dense_macs", "multiply-adds of the dense layer", conv.dense_weight_count,
               str(conv.dense_weight_count)),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "cost",
    "multiply-adds and FLOPs of a CNN layer against a dense layer",
    {**IMAGE_DEFAULTS, "stride": 1, "padding": 0, "groups": 1},
    ("image", "channels", "kernel", "filters"),
    derive,
    5.0,
)
