"""Whether a layer commutes with shifting its input (asked only where its matrix is square)."""

from __future__ import annotations

import math
from typing import Any

from symconv.errors import SymconvError
from symconv.layers.equivariance import translation_equivariance
from symconv.sheets.kinds.base import CONV_DEFAULTS, Derived, Kind, common, conv_from, flag
from symconv.sheets.model import Answer


def derive(params: dict[str, Any]) -> Derived:
    conv = conv_from(params, shared=not flag(params, "unshared"))
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    if rows != cols:
        raise SymconvError(
            f"equivariance compares M S with S M, which needs a square matrix; this one is "
            f'{rows} x {cols}: keep the size (padding = "same", stride 1)'
        )
    result = translation_equivariance(conv)
    differing = ", ".join(map(str, result.differing_rows))
    values = {
        **common(conv),
        "question": params["question"],
        "unshared": not conv.spec.shared,
        "commutes": result.commutes,
        "rows": list(result.differing_rows),
        "matrix_rows": rows,
    }
    answers = (
        Answer("commutes", "does it commute with shifts", result.commutes,
               "yes" if result.commutes else "no"),
        Answer("rows", "rows that differ", result.differing_rows, differing or "none"),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "equivariance",
    "whether a layer commutes with shifting its input",
    {**CONV_DEFAULTS, "unshared": False},
    ("input", "kernel"),
    derive,
    4.0,
)
