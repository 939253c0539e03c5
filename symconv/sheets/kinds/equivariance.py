"""Whether a layer commutes with shifting its input (asked only where its matrix is square).

The shift is stated as a formula (:func:`shift_rule`, the matrix the engine
uses), and every claim about which rows differ comes from comparing each row of
``M S x`` with the same row of ``S M x`` (:func:`compare_rows`): the two sums,
the output the shift brings into the row, and the weights of each window that
meet the padding.
"""

from __future__ import annotations

import math
from typing import Any

from sympy import Integer, Symbol, latex

from symconv.errors import SymconvError
from symconv.layers.conv import Conv
from symconv.layers.equivariance import (
    RowComparison,
    ShiftRule,
    compare_rows,
    shift_rule,
    translation_equivariance,
)
from symconv.layers.symbols import symbol_name, unravel
from symconv.present.backward import index_latex
from symconv.present.display import sum_latex
from symconv.sheets.kinds.base import CONV_DEFAULTS, Derived, Kind, common, conv_from, flag
from symconv.sheets.model import Answer

#: Index letters of a tensor's axes in the formula of the shift: channel, then spatial.
_SPATIAL = ("i", "j", "l")


def _index_names(shape: tuple[int, ...], channels: bool) -> list[Symbol]:
    spatial = len(shape) - (1 if channels else 0)
    names = (["c"] if channels else []) + list(_SPATIAL[:spatial])
    return [Symbol(n, integer=True, positive=True) for n in names]


def shift_formula(rule: ShiftRule, letter: str, channels: bool) -> dict[str, str]:
    r"""The shift in LaTeX: ``(S v)_i = v_{i - 1}`` for ``i = 2 .. n``, and the wrapped entries.

    >>> shift_formula(shift_rule((8,)), "x", False)["main"]
    'x_{i - 1}'
    """
    names = _index_names(rule.shape, channels)
    moved = names[rule.axis]

    def entry(at: Any) -> str:
        indices = [
            index_latex(Integer(0) + (at if k == rule.axis else n)) for k, n in enumerate(names)
        ]
        return ",".join(indices)

    one = rule.shift == 1
    return {
        "lhs": entry(moved),
        "main": f"{letter}_{{{entry(moved - rule.shift)}}}",
        "main_from": str(rule.shift + 1),
        "size": str(rule.size),
        "axis_index": str(latex(moved)),
        "wrap_lhs": entry(1 if one else moved),
        "wrap": f"{letter}_{{{entry(rule.size if one else moved - rule.shift + rule.size)}}}",
        "wrap_to": str(rule.shift),
        "one": "yes" if one else "",
    }


def _row(found: RowComparison, output_shape: tuple[int, ...]) -> dict[str, Any]:
    place = unravel(found.source - 1, output_shape)
    return {
        "row": found.row,
        "source": found.source,
        "source_name": latex(Symbol(symbol_name("y", place))),
        "shifted_input": sum_latex(found.shifted_input),
        "shifted_output": sum_latex(found.shifted_output),
        "padding": [latex(w) for w in found.padding],
        "source_padding": [latex(w) for w in found.source_padding],
    }


def derive(params: dict[str, Any]) -> Derived:
    conv: Conv = conv_from(params, shared=not flag(params, "unshared"))
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    if rows != cols:
        raise SymconvError(
            f"equivariance compares M S with S M, which needs a square matrix; this one is "
            f'{rows} x {cols}: keep the size (padding = "same", stride 1)'
        )
    spec = conv.spec
    result = translation_equivariance(conv)
    compared = compare_rows(conv)
    differing = [c for c in compared if c.differs]
    tensor_axis = spec.ndim - 1 + (1 if spec.has_channels else 0)
    rule_in = shift_rule(conv.input_shape, spec.stride[-1], tensor_axis)
    rule_out = shift_rule(conv.output_shape, 1, tensor_axis)
    channels = spec.has_channels
    values = {
        **common(conv),
        "question": params["question"],
        "unshared": not spec.shared,
        "commutes": result.commutes,
        "rows": list(result.differing_rows),
        "matrix_rows": rows,
        "one_shift": rule_in == rule_out,
        "shift_in": shift_formula(rule_in, spec.input_letter, channels),
        "shift_out": shift_formula(rule_out, "y", channels),
        "compared": [_row(c, conv.output_shape) for c in differing or compared[:1]],
        # Each row differs exactly where its window and the window the shift brings
        # into it meet the padding at different weights.
        "padding_explains": spec.shared
        and all(c.differs == (set(c.padding) != set(c.source_padding)) for c in compared),
        # Unshared: the two windows of every row hold different weights.
        "own_weights": not spec.shared,
    }
    differing_text = ", ".join(map(str, result.differing_rows))
    answers = (
        Answer("commutes", "does it commute with shifts", result.commutes,
               "yes" if result.commutes else "no"),
        Answer("rows", "rows that differ", result.differing_rows, differing_text or "none"),
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
