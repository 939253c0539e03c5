"""The matrix and the weight count when weights are not shared (a locally connected layer)."""

from __future__ import annotations

import math
from typing import Any

from symconv.present.figures import sparsity_figure
from symconv.present.matrices import conv_rows, matrix_views
from symconv.sheets.kinds.base import CONV_DEFAULTS, Derived, Kind, answer, common, conv_from, flag
from symconv.sheets.kinds.matrix import matrix_value


def derive(params: dict[str, Any]) -> Derived:
    conv = conv_from(params, shared=False)
    shared = conv_from(params)
    views = matrix_views(*conv_rows(conv))
    values = {
        **common(conv),
        "question": params["question"],
        "figure": sparsity_figure(conv) if flag(params, "figure") else None,
        "positions": math.prod(conv.spec.output_size),
        "per_window": math.prod(conv.filter_shape) * conv.spec.c_out,
        "shared_count": shared.weight_count,
        "views": views,
    }
    with_biases = conv_from(params, shared=False, bias=True).weight_count
    biased = () if conv.spec.bias else (("biases_the_layer_has_not", with_biases),)
    answers = (
        answer("matrix", "matrix", matrix_value(conv), views[0].latex),
        answer(
            "weights", "number of weights", conv.weight_count, str(conv.weight_count), slips=biased
        ),
    )
    return Derived(values, answers)


KIND = Kind(
    "unshared",
    "the matrix and weight count without weight sharing",
    CONV_DEFAULTS,
    ("input", "kernel"),
    derive,
    6.0,
)
