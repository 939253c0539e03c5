"""Output shape and weights of a CNN layer, against a fully connected layer."""

from __future__ import annotations

import math
from typing import Any

from symconv.present.describe import describe
from symconv.present.display import latex_shape, scientific_latex
from symconv.sheets.kinds.base import Derived, Kind, answer, size_working
from symconv.sheets.kinds.shapes import IMAGE_DEFAULTS, image_conv


def derive(params: dict[str, Any]) -> Derived:
    conv = image_conv(params)
    biased = image_conv(params, bias=True)
    spec = conv.spec
    values = {
        "question": params["question"],
        "layer": describe(spec),
        "height": spec.input_size[0],
        "width": spec.input_size[-1],
        "channels": spec.c_in,
        "filters": spec.c_out,
        "kernel": latex_shape(spec.kernel_size),
        "size_working": size_working(spec),
        "filter_shape": conv.filter_shape,
        "filter_weights": math.prod(conv.filter_shape),
        "flat_in": math.prod(conv.input_shape),
        "flat_out": math.prod(conv.output_shape),
        "bias_count": biased.weight_count - conv.weight_count,
        "biased_count": biased.weight_count,
        "dense_scientific": scientific_latex(conv.dense_weight_count),
        "input_shape": latex_shape(conv.input_shape),
        "output_shape": latex_shape(conv.output_shape),
        "weights": conv.weight_count,
        "dense_weights": conv.dense_weight_count,
    }
    answers = (
        answer("output_shape", "output tensor shape", conv.output_shape,
               latex_shape(conv.output_shape)),
        answer("weights", "weights of the convolution", conv.weight_count,
               str(conv.weight_count)),
        answer("dense_weights", "weights of the dense layer", conv.dense_weight_count,
               str(conv.dense_weight_count)),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "counts",
    "output shape and weights of a CNN layer against a dense layer",
    {**IMAGE_DEFAULTS, "stride": 1, "padding": 0},
    ("image", "channels", "kernel", "filters"),
    derive,
    5.0,
)
