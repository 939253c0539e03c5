"""Grouped and depthwise convolutions: filter shape, weights and cost against a full layer.

With ``separable = true`` the layer is compared with a depthwise-separable
block (a depthwise convolution, ``groups = channels``, then a pointwise
``1 x 1`` one to the same filters), whose counts shrink by ``1/C_out + 1/K^2``.
"""

from __future__ import annotations

from typing import Any

from sympy import Rational, latex

from symconv.layers.conv import Conv
from symconv.layers.formulas import layer_formulas
from symconv.notation import formula_latex
from symconv.present.describe import describe
from symconv.present.display import latex_shape
from symconv.sheets.kinds.base import Derived, Kind, answer, flag
from symconv.sheets.kinds.shapes import IMAGE_DEFAULTS, image_conv
from symconv.sheets.slips import channels_last


def derive(params: dict[str, Any]) -> Derived:
    grouped = image_conv(params, groups=params["groups"])
    full = image_conv(params)
    spec = grouped.spec
    values: dict[str, Any] = {
        "question": params["question"],
        "height": spec.input_size[0],
        "width": spec.input_size[-1],
        "channels": spec.c_in,
        "filters": spec.c_out,
        "groups": spec.groups,
        "depthwise": spec.groups == spec.c_in,
        "reads": spec.group_in_channels,
        "per_group": spec.group_out_channels,
        "kernel": latex_shape(spec.kernel_size),
        "layer": describe(spec),
        "separable": flag(params, "separable"),
    }
    answers = [
        answer("filter_shape", "shape of one filter", grouped.filter_shape,
               latex_shape(grouped.filter_shape), slips=channels_last(grouped.filter_shape)),
        answer("weights", "weights of the grouped layer", grouped.weight_count,
               str(grouped.weight_count), slips=(("biases_the_layer_has_not", image_conv(
                   params, groups=params["groups"], bias=True).weight_count),)),
        answer("full_weights", "weights without groups", full.weight_count,
               str(full.weight_count), slips=(("biases_the_layer_has_not",
                                               image_conv(params, bias=True).weight_count),)),
        answer("macs", "multiply-adds of the grouped layer", grouped.macs, str(grouped.macs)),
    ]  # fmt: skip
    if values["separable"]:
        depthwise = image_conv({**params, "filters": spec.c_in}, groups=spec.c_in)
        pointwise = Conv(
            depthwise.output_shape[1:], 1, in_channels=spec.c_in, out_channels=spec.c_out
        )
        weights = depthwise.weight_count + pointwise.weight_count
        ratio = Rational(weights, full.weight_count)
        formulas = layer_formulas(spec.ndim)
        values.update(
            depthwise_weights=depthwise.weight_count,
            pointwise_weights=pointwise.weight_count,
            ratio_formula=formula_latex(formulas.separable_ratio),
        )
        answers += [
            answer("separable_weights", "weights of the depthwise-separable block", weights,
                   str(weights)),
            answer("ratio", "its weights over the full layer's", ratio, latex(ratio)),
        ]  # fmt: skip
    return Derived(values, tuple(answers))


KIND = Kind(
    "groups",
    "filter shape, weights and cost of a grouped or depthwise convolution",
    {**IMAGE_DEFAULTS, "stride": 1, "padding": 0, "groups": None, "separable": False},
    ("image", "channels", "kernel", "filters", "groups"),
    derive,
    5.0,
)
