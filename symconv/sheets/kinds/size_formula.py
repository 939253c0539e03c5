"""The general output-size formula, from the engine's symbolic ``output_size``."""

from __future__ import annotations

from typing import Any

from sympy import Symbol

from symconv.layers.formulas import output_size
from symconv.notation import formula_latex
from symconv.sheets.kinds.base import Derived, Kind, answer, flag
from symconv.sheets.slips import size_formula_slips


def derive(params: dict[str, Any]) -> Derived:
    W, K, s, d = (Symbol(n, integer=True, positive=True) for n in ("W", "K", "s", "d"))
    p = Symbol("p", integer=True, nonnegative=True)
    unit = output_size(W, K)
    general = output_size(W, K, stride=s, padding=p)
    answers = [
        answer("valid", "output size, stride 1, no padding", unit, formula_latex(unit),
               slips=tuple(size_formula_slips(W, K).items())),
        answer("general", "output size with stride s and padding p", general,
               formula_latex(general),
               slips=tuple(size_formula_slips(W, K, stride=s, padding=p).items())),
    ]  # fmt: skip
    dilated = flag(params, "dilation")
    if dilated:
        formula = output_size(W, K, stride=s, padding=p, dilation=d)
        slips = size_formula_slips(W, K, stride=s, padding=p, dilation=d)
        answers.append(
            answer("dilated", "output size with dilation d", formula, formula_latex(formula),
                   slips=tuple(slips.items()))
        )  # fmt: skip
    return Derived({"dilation": dilated, "question": params["question"]}, tuple(answers))


KIND = Kind(
    "size-formula",
    "the general output-size formula",
    {"question": None, "dilation": False},
    (),
    derive,
    4.0,
)
