"""im2col: the convolution as linear in the kernel, the patch matrix beside the Toeplitz matrix."""

from __future__ import annotations

from typing import Any

from symconv.present.matrices import conv_rows, matrix_views, sympy_rows
from symconv.sheets.kinds.base import CONV_DEFAULTS, Derived, Kind, answer, common, conv_from

#: Largest patch matrix (entries) kept as a value for marking.
MATRIX_VALUE = 10_000


def derive(params: dict[str, Any]) -> Derived:
    conv = conv_from(params)
    patches = conv.patch_matrix()
    rows, cols = patches.shape
    views = matrix_views(*sympy_rows(patches))
    values = {
        **common(conv),
        "question": params["question"],
        "rows": rows,
        "cols": cols,
        "filters": conv.spec.c_out,
        "views": views,
        "toeplitz": matrix_views(*conv_rows(conv)),
    }
    answers = (
        answer("shape", "patch matrix shape", (rows, cols),
               rf"\mathbb{{R}}^{{{rows} \times {cols}}}"),
        answer("matrix", "patch matrix", patches if rows * cols <= MATRIX_VALUE else None,
               views[0].latex),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "im2col",
    "the patch matrix (im2col): the convolution as linear in the kernel",
    CONV_DEFAULTS,
    ("input", "kernel"),
    derive,
    6.0,
)
