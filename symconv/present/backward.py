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
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from sympy import Add, Eq, Expr, Indexed, Integer, Rational, Sum, Symbol, floor, ilcm, latex
from sympy.printing.latex import LatexPrinter

from symconv.layers.expressions import TermEnds
from symconv.layers.symbols import unravel
from symconv.present.display import elided_indices, elided_sum

if TYPE_CHECKING:
    from symconv.layers.conv import Conv
    from symconv.layers.gradients import GradientFormula

__all__ = ["element_latex", "gradient_latex", "index_latex", "latex_backward", "text_backward"]


def _entries(
    shape: tuple[int, ...], entry: Callable[[int], Expr | TermEnds], limit: int
) -> Iterator[tuple[tuple[int, ...], Expr | TermEnds] | None]:
    """The entries shown (``None`` for the gap), each built only when it is printed."""
    for flat in elided_indices(math.prod(shape), limit):
        yield None if flat is None else (unravel(flat, shape), entry(flat))


def _name(letter: str, index: tuple[int, ...], single: bool, *, tex: bool) -> str:
    if single:
        return letter
    subscript = ",".join(str(i + 1) for i in index)
    return f"{letter}_{{{subscript}}}" if tex else f"{letter}_{subscript}"


def _parts(
    conv: Conv,
) -> list[tuple[str, str, tuple[int, ...], Callable[[int], Expr | TermEnds]]]:
    """(what, letter, shape, entry by flat position) for the input, kernel and bias.

    Only the entries printed are built (:class:`~symconv.layers.gradients.GradientEntries`),
    never the whole gradient: a long input has a few rows printed of millions.
    """
    from symconv.layers.gradients import GradientEntries

    entries = GradientEntries(conv.spec)
    spec = conv.spec
    # A sum of dL/dk or dL/db too long to print comes as its ends only (TermEnds).
    parts: list[tuple[str, str, tuple[int, ...], Callable[[int], Expr | TermEnds]]] = [
        ("dL/dx = M^T g", spec.input_letter, entries.input_shape, entries.input),
        ("dL/dk", spec.kernel_letter, entries.kernel_shape, partial(entries.kernel_ends, keep=8)),
    ]
    if entries.bias_shape is not None:
        bias = partial(entries.bias_ends, keep=8)
        parts.append(("dL/db", spec.bias_letter, entries.bias_shape, bias))
    return parts


def _formulas(conv: Conv) -> list[GradientFormula]:
    from symconv.layers.gradients import GradientFormulas

    formulas = GradientFormulas(conv.spec)
    return [f for f in (formulas.input, formulas.kernel, formulas.bias) if f is not None]


def _lhs_text(equation: Eq) -> str:
    variable = equation.lhs.variables[0]
    return f"dL/d{variable}"


def _linear_parts(index: Expr) -> tuple[list[tuple[Symbol, Rational]], Rational] | None:
    """``([(symbol, coefficient), ...], constant)`` of a linear index, else ``None``."""
    parts = index.as_coefficients_dict()
    constant = Rational(parts.pop(Integer(1), 0))
    if not all(s.is_Symbol and c.is_Rational for s, c in parts.items()):
        return None
    return sorted(
        parts.items(), key=lambda pair: (bool(pair[1].is_negative), pair[0].name)
    ), constant


def _signed(terms: list[Expr | str]) -> str:
    """Terms joined by ``+`` and ``-``, each printed without its sign; text as it is."""
    printed = []
    for term in terms:
        negative = not isinstance(term, str) and bool(term.could_extract_minus_sign())
        size = term if isinstance(term, str) else -term if negative else term
        # A fraction in an index reads 1/2, as the other indices write theirs.
        shown = size if isinstance(size, str) or size.is_Rational else latex(size)
        printed.append(("- " if negative else "+ ") + str(shown))
    joined = " ".join(printed)
    return joined[2:] if joined.startswith("+ ") else "-" + joined[2:]


def index_latex(index: Expr) -> str:
    """An index in reading order: added symbols, then subtracted ones, then the constant.

    A fractional step is one fraction over the symbols, ``(u - j)/2 + 1``
    rather than SymPy's ``- j/2 + u/2 + 1``.

    >>> from sympy import symbols
    >>> u, j = symbols("u j")
    >>> index_latex(-j + u + 1), index_latex(-j / 2 + u / 2 + 1), index_latex(u / 2 - j + 2)
    ('u - j + 1', '(u - j)/2 + 1', '(u - 2 j)/2 + 2')
    >>> index_latex((u - j + 1) / 2), index_latex(u - 2), index_latex(3 - j)
    ('(u - j + 1)/2', 'u - 2', '3 - j')
    """
    found = _linear_parts(index)
    if found is None:
        return str(latex(index))
    parts, constant = found
    if not parts:
        return str(constant)  # 1/2, as the other indices write a fraction
    denominator = ilcm(1, *(c.q for _, c in parts))
    whole = floor(constant) if denominator > 1 else constant
    inside: list[Expr | str] = [c * denominator * s for s, c in parts]
    if constant != whole:
        inside.append((constant - whole) * denominator)
    if denominator == 1 and whole > 0 and all(c.is_negative for _, c in parts):
        return _signed([whole, *inside])  # 3 - m, as written
    printed = _signed(inside)
    if denominator > 1:
        printed = f"({printed})/{denominator}" if len(inside) > 1 else f"{printed}/{denominator}"
    return _signed([printed, whole]) if whole else printed


class _ReadingOrderPrinter(LatexPrinter):  # type: ignore[misc]
    """SymPy's LaTeX, with every index of an ``Indexed`` in reading order."""

    def _print_Indexed(self, expr: Indexed) -> str:
        indices = ",".join(index_latex(i) for i in expr.indices)
        return f"{{{self._print(expr.base)}}}_{{{indices}}}"


def gradient_latex(equation: Eq) -> str:
    r"""A gradient formula as written by hand: ``\frac{\partial L}{\partial x_{u}} = ...``.

    >>> from symconv import Conv
    >>> gradient_latex(Conv(4, 2).backward().formulas.kernel.equation)
    '\\frac{\\partial L}{\\partial {k}_{j}} = \\sum_{i=1}^{3} {g}_{i} {x}_{i + j - 1}'
    >>> gradient_latex(Conv(5, 3, stride=2).backward().formulas.input.equation)
    '\\frac{\\partial L}{\\partial {x}_{u}} = \\sum_{j=1}^{3} {g}_{(u - j)/2 + 1} {k}_{j}'
    """
    variable = equation.lhs.variables[0]
    printer = _ReadingOrderPrinter()
    lhs, rhs = printer.doprint(variable), printer.doprint(equation.rhs)
    return rf"\frac{{\partial L}}{{\partial {lhs}}} = {rhs}"


def element_latex(equation: Eq) -> str:
    r"""The forward pass's general element, its sum first and the bias last.

    >>> from symconv import Conv
    >>> element_latex(Conv(8, 3, stride=2, bias=True).element_formula().equation)
    '{y}_{i} = \\sum_{j=1}^{3} {k}_{j} {x}_{2 i + j - 2} + b'
    """
    printer = _ReadingOrderPrinter()
    terms = sorted(Add.make_args(equation.rhs), key=lambda term: not term.has(Sum))
    return f"{printer.doprint(equation.lhs)} = " + " + ".join(printer.doprint(t) for t in terms)


def text_backward(conv: Conv, *, max_entries: int = 6) -> str:
    """The upstream, the three gradients (elided) and their general formulas, as text."""
    lines = [repr(conv), "", f"Upstream g = dL/dy, shaped like the output {conv.output_shape}."]
    lone_bias = conv.spec.bias and conv.spec.shared and not conv.spec.has_channels
    for what, letter, shape, entry_at in _parts(conv):
        lines += ["", f"{what}, shape {shape}:", ""]
        single = letter == conv.spec.bias_letter and lone_bias
        for entry in _entries(shape, entry_at, max_entries):
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
    for _, letter, shape, entry_at in _parts(conv):
        single = letter == conv.spec.bias_letter and lone_bias
        for entry in _entries(shape, entry_at, max_entries):
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
        lines.append("  " + gradient_latex(formula.equation).replace(" = ", " &= ", 1) + r" \\")
    lines.append(r"\end{align*}")
    return "\n".join(lines)
