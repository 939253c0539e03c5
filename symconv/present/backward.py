"""The gradients of a convolution for people: what ``symconv derive --backward`` prints.

>>> from symconv import Conv
>>> print(text_backward(Conv(4, 2), max_entries=2))  # doctest: +NORMALIZE_WHITESPACE
Conv(4, 2)
<BLANKLINE>
Upstream g = dL/dy, shaped like the output (3,).
<BLANKLINE>
dL/dx = M^T g, shape (4,):
<BLANKLINE>
  dL/dx_1 = g₁⋅k₁
  ⋮
  dL/dx_4 = g₃⋅k₂
<BLANKLINE>
dL/dk, shape (2,):
<BLANKLINE>
  dL/dk_1 = g₁⋅x₁ + g₂⋅x₂ + g₃⋅x₃
  dL/dk_2 = g₁⋅x₂ + g₂⋅x₃ + g₃⋅x₄
<BLANKLINE>
General formulas (1-based; an index of g or x that is not a whole number in range is zero):
<BLANKLINE>
  dL/dx[u] = Sum(g[-j + u + 1]*k[j], (j, 1, 2))
  dL/dk[j] = Sum(g[i]*x[i + j - 1], (i, 1, 3))
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sympy import Array, Eq, Symbol, latex

from symconv.layers.symbols import unravel
from symconv.present.display import elided_indices, elided_sum

if TYPE_CHECKING:
    from symconv.layers.conv import Conv
    from symconv.layers.gradients import GradientFormula

__all__ = ["latex_backward", "text_backward"]


def _entries(array: Array, limit: int) -> list[tuple[tuple[int, ...], object] | None]:
    shape = array.shape
    return [
        None if flat is None else (unravel(flat, shape), array[unravel(flat, shape)])
        for flat in elided_indices(math.prod(shape), limit)
    ]


def _name(letter: str, index: tuple[int, ...], single: bool, *, tex: bool) -> str:
    if single:
        return letter
    subscript = ",".join(str(i + 1) for i in index)
    return f"{letter}_{{{subscript}}}" if tex else f"{letter}_{subscript}"


def _parts(conv: Conv) -> list[tuple[str, str, Array]]:
    """(what, letter, gradient array) for the input, kernel and bias."""
    grads = conv.backward()
    spec = conv.spec
    parts = [
        ("dL/dx = M^T g", spec.input_letter, grads.input),
        ("dL/dk", spec.kernel_letter, grads.kernel),
    ]
    if grads.bias is not None:
        parts.append(("dL/db", spec.bias_letter, grads.bias))
    return parts


def _formulas(conv: Conv) -> list[GradientFormula]:
    formulas = conv.backward().formulas
    return [f for f in (formulas.input, formulas.kernel, formulas.bias) if f is not None]


def _lhs_text(equation: Eq) -> str:
    variable = equation.lhs.variables[0]
    return f"dL/d{variable}"


def text_backward(conv: Conv, *, max_entries: int = 6) -> str:
    """The upstream, the three gradients (elided) and their general formulas, as text."""
    lines = [repr(conv), "", f"Upstream g = dL/dy, shaped like the output {conv.output_shape}."]
    lone_bias = conv.spec.bias and conv.spec.shared and not conv.spec.has_channels
    for what, letter, array in _parts(conv):
        lines += ["", f"{what}, shape {array.shape}:", ""]
        single = letter == conv.spec.bias_letter and lone_bias
        for entry in _entries(array, max_entries):
            if entry is None:
                lines.append("  ⋮")
                continue
            index, value = entry
            lines.append(f"  dL/d{_name(letter, index, single, tex=False)} = {elided_sum(value)}")
    lines += [
        "",
        "General formulas (1-based; an index of g or x that is not a whole number in range "
        "is zero):",
        "",
    ]
    for formula in _formulas(conv):
        lines.append(f"  {_lhs_text(formula.equation)} = {formula.equation.rhs}")
    return "\n".join(lines)


def latex_backward(conv: Conv, *, max_entries: int = 6) -> str:
    """The same as :func:`text_backward`, as a LaTeX fragment (amsmath)."""
    lines = [f"% {conv!r}", r"\begin{align*}"]
    lone_bias = conv.spec.bias and conv.spec.shared and not conv.spec.has_channels
    for _, letter, array in _parts(conv):
        single = letter == conv.spec.bias_letter and lone_bias
        for entry in _entries(array, max_entries):
            if entry is None:
                lines.append(r"  &\;\;\vdots \\")
                continue
            index, value = entry
            name = latex(Symbol(_name(letter, index, single, tex=True)))
            lines.append(
                rf"  \frac{{\partial L}}{{\partial {name}}} &= {elided_sum(value, tex=True)} \\"
            )
    lines += [r"\end{align*}", r"\begin{align*}"]
    for formula in _formulas(conv):
        variable = formula.equation.lhs.variables[0]
        lines.append(
            rf"  \frac{{\partial L}}{{\partial {latex(variable)}}} &= "
            rf"{latex(formula.equation.rhs)} \\"
        )
    lines.append(r"\end{align*}")
    return "\n".join(lines)
