"""The matrix of a convolution and its dimension."""

from __future__ import annotations

import math
from typing import Any

from symconv.layers.conv import Conv
from symconv.present.figures import sparsity_figure
from symconv.present.matrices import conv_rows, matrix_views
from symconv.sheets.kinds.base import (
    CONV_DEFAULTS,
    Derived,
    Kind,
    answer,
    common,
    conv_from,
    flag,
    size_working,
)

#: Largest matrix (entries) kept as a value for marking.
MATRIX_VALUE = 10_000


def matrix_value(conv: Conv) -> Any:
    """The whole matrix when it is small enough to compare answers with, else ``None``."""
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    return conv.matrix() if rows * cols <= MATRIX_VALUE else None


def derive(params: dict[str, Any]) -> Derived:
    conv = conv_from(params)
    shape = (math.prod(conv.output_shape), math.prod(conv.input_shape))
    views = matrix_views(*conv_rows(conv))
    values = {
        **common(conv),
        "question": params["question"],
        "figure": sparsity_figure(conv) if flag(params, "figure") else None,
        "rows": shape[0],
        "cols": shape[1],
        "size_working": size_working(conv.spec),
        "views": views,
    }
    answers = (
        answer("shape", "matrix shape", shape, rf"\mathbb{{R}}^{{{shape[0]} \times {shape[1]}}}"),
        answer("matrix", "matrix", matrix_value(conv), views[0].latex),
    )
    return Derived(values, answers)


KIND = Kind(
    "matrix", "the matrix of the convolution", CONV_DEFAULTS, ("input", "kernel"), derive, 6.0
)
