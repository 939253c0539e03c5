"""The matrix of a convolution and its dimension."""

from __future__ import annotations

import math
from typing import Any

from symconv.layers.conv import Conv
from symconv.layers.geometry import conv_interior
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
from symconv.sheets.slips import conv_shape_slips

#: Largest matrix (entries) kept as a value for marking.
MATRIX_VALUE = 10_000


def matrix_value(conv: Conv) -> Any:
    """The whole matrix when it is small enough to compare answers with, else ``None``."""
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    return conv.matrix() if rows * cols <= MATRIX_VALUE else None


def row_layout(conv: Conv) -> dict[str, Any]:
    """How the rows of the matrix repeat the kernel, as the solution states it.

    ``shifts``: per spatial axis, the columns the kernel's entries move from one
    output to the next along that axis (``s`` times the inputs of the axes after
    it, with the working); ``edge_rows``: the rows whose window meets the padding
    (or wraps round, when circular), which hold fewer taps than the others.

    >>> facts = row_layout(Conv((4, 6), 3, stride=(1, 2), padding=1))
    >>> [shift for shift, _ in facts["shifts"]], facts["edge_rows"]
    ([6, 2], 8)
    """
    spec = conv.spec
    shifts = []
    for axis in range(spec.ndim):
        after = spec.input_size[axis + 1 :]
        columns = spec.stride[axis] * math.prod(after)
        working = " \\cdot ".join(str(n) for n in (spec.stride[axis], *after))
        shifts.append((columns, f"{working} = {columns}" if after else str(columns)))
    inside = math.prod(
        len(conv_interior(count, size, kernel, stride=stride, before=before, dilation=dilation))
        for count, size, kernel, stride, (before, _), dilation in zip(
            spec.output_size,
            spec.input_size,
            spec.kernel_size,
            spec.stride,
            spec.padding,
            spec.dilation,
            strict=True,
        )
    )
    channels = spec.c_out if spec.has_channels else 1
    factors = [*([spec.c_out] if spec.has_channels else []), *spec.output_size]
    return {
        "rows_working": (
            " \\cdot ".join(map(str, factors)) + f" = {math.prod(factors)}"
            if len(factors) > 1
            else ""
        ),
        "shifts": shifts,
        "edge_rows": math.prod(conv.output_shape) - channels * inside,
        "circular": spec.padding_mode == "circular",
    }


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
        "rows_layout": row_layout(conv),
    }
    flipped = conv_from(params, flip=not conv.spec.flip)
    flip_slip = "kernel_not_flipped" if conv.spec.flip else "kernel_flipped"
    value = matrix_value(conv)
    rows_slips = conv_shape_slips(
        conv.spec, lambda sizes: (conv.spec.c_out * math.prod(sizes), shape[1])
    )
    answers = (
        answer("shape", "matrix shape", shape, rf"\mathbb{{R}}^{{{shape[0]} \times {shape[1]}}}",
               slips=rows_slips),
        answer("matrix", "matrix", value, views[0].latex,
               slips=((flip_slip, matrix_value(flipped)),) if value is not None else ()),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "matrix", "the matrix of the convolution", CONV_DEFAULTS, ("input", "kernel"), derive, 6.0
)
