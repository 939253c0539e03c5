"""Matrices and summaries of a convolution for people: terminal text and LaTeX.

Large matrices are elided the way they are written by hand: the first and last
rows, with the columns where those rows hold weights, and dots between them (a
band along the diagonal, so no row shown looks empty). Only the rows shown are
derived, so showing a layer of millions of rows costs a few windows.

>>> from symconv import Conv
>>> print(text_grid(elided_matrix(Conv(9, 3), max_rows=4, max_cols=8)))
k₁  k₂  k₃  0   …  0   0   0
0   k₁  k₂  k₃  …  0   0   0
⋮   ⋮   ⋮   ⋮   ⋱  ⋮   ⋮   ⋮
0   0   0   0   …  k₁  k₂  k₃
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from sympy import Add, Basic, Eq, Expr, MatMul, Matrix, Symbol, latex
from sympy import pretty as sympy_pretty
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm

from symconv.layers.expressions import TermEnds
from symconv.layers.symbols import symbol_name, unravel
from symconv.notation import natural_terms
from symconv.present.matrices import (
    Cell,
    Dots,
    RowEntries,
    band_picks,
    conv_rows,
    grid,
    latex_grid,
    term_latex,
)

if TYPE_CHECKING:
    from symconv.layers.conv import Conv
    from symconv.layers.pool import Pool
    from symconv.layers.transpose import ConvTranspose


class _PlainProductPrinter(PrettyPrinter):  # type: ignore[misc]
    """SymPy's pretty printer, but a product of symbols and whole numbers is printed
    without loading ``sympy.physics.units`` (which SymPy's ``_print_Mul`` imports on
    its first call, a tenth of a second of ``symconv derive``); the result is the same.
    """

    def _print_Mul(self, product: Expr) -> prettyForm:
        if all(arg.is_Symbol or arg.is_Indexed or arg.is_Integer for arg in product.args):
            plain = self.order in ("old", "none")
            factors = list(product.args) if plain else product.as_ordered_factors()
            return prettyForm.__mul__(*[self._print(factor) for factor in factors])
        return super()._print_Mul(product)


def pretty(expr: Basic, **settings: object) -> str:
    """``sympy.pretty``: the same text, a tenth of a second sooner the first time.

    >>> from sympy import symbols
    >>> k, x = symbols("k_1 x_1")
    >>> pretty(2 * k * x - x)
    '2⋅k₁⋅x₁ - x₁'
    """
    return str(_PlainProductPrinter(settings).doprint(expr))


__all__ = [
    "Dots",
    "TextEquation",
    "elided_indices",
    "elided_matrix",
    "elided_sum",
    "latex_grid",
    "latex_shape",
    "latex_summary",
    "mean_latex",
    "notebook_latex",
    "sum_latex",
    "terminal_equation",
    "text_equation",
    "text_grid",
    "text_summary",
]


_TEXT_DOTS = {"cdots": "…", "vdots": "⋮", "ddots": "⋱"}


def elided_indices(count: int, limit: int) -> list[int | None]:
    """Indices to show out of ``count``: all when at most ``limit``, else both ends and a gap.
    A gap never stands for a single element: that element takes the gap's room.

    >>> elided_indices(4, 5), elided_indices(9, 4), elided_indices(7, 6)
    ([0, 1, 2, 3], [0, 1, None, 7, 8], [0, 1, 2, 3, 4, 5, 6])
    """
    if count <= limit + 1:
        return list(range(count))
    head = max(limit // 2, 1)
    tail = max(limit - head, 1)
    return [*range(head), None, *range(count - tail, count)]


def matrix_picks(
    conv: Conv, *, max_rows: int = 12, max_cols: int = 12
) -> tuple[list[int | None], list[int | None]]:
    """Rows and columns of the matrix to show: all, or a band whose rows show their weights."""
    row_picks, col_picks, _ = band_picks(*conv_rows(conv), max_rows, max_cols)
    return row_picks, col_picks


def elided_matrix(conv: Conv, *, max_rows: int = 12, max_cols: int = 12) -> list[list[Cell]]:
    """The convolution matrix as rows of cells, elided to a band beyond ``max_rows`` x ``max_cols``.

    >>> from symconv import Conv
    >>> [len(row) for row in elided_matrix(Conv((6, 6), 3, stride=2), max_rows=3, max_cols=12)]
    [12, 12]
    """
    row_picks, col_picks = matrix_picks(conv, max_rows=max_rows, max_cols=max_cols)
    return grid(row_picks, col_picks, conv.matrix_row)


def sum_latex(expr: Expr) -> str:
    r"""A sum in the order a person writes it.

    >>> from symconv import Conv
    >>> sum_latex(Conv(9, 3).output_element(0))
    'k_{1} x_{1} + k_{2} x_{2} + k_{3} x_{3}'
    """
    return " + ".join(term_latex(term) for term in natural_terms(expr)).replace("+ -", "- ")


def mean_latex(expr: Expr) -> str:
    r"""An average as a person writes it, the common fraction taken out of the sum:
    ``\frac{x_{1} + x_{2}}{2}`` rather than SymPy's ``\frac{x_{1}}{2} + \frac{x_{2}}{2}``.
    Anything else is printed as :func:`sum_latex` prints it.

    >>> from symconv.layers.pool import Pool
    >>> mean_latex(Pool(4, 2, mode="avg").output_element(0))
    '\\frac{x_{1} + x_{2}}{2}'
    >>> mean_latex(Pool(5, 2, mode="avg", padding=1).output_element(0))
    '\\frac{x_{1}}{2}'
    """
    coefficients = {term.as_coeff_Mul()[0] for term in Add.make_args(expr)}
    if len(coefficients) != 1:
        return sum_latex(expr)
    coefficient = coefficients.pop()
    if not (coefficient.is_Rational and coefficient.p == 1 and coefficient.q > 1):
        return sum_latex(expr)
    numerator = Add(*(term / coefficient for term in Add.make_args(expr)))
    return rf"\frac{{{sum_latex(numerator)}}}{{{coefficient.q}}}"


def elided_sum(expr: Expr | TermEnds, *, max_terms: int = 8, tex: bool = False) -> str:
    r"""A sum printed in full when short, else its first and last terms around a gap.

    ``expr`` may be the ends of a sum too long to build
    (:class:`~symconv.layers.gradients.TermEnds`), printed the same way.

    >>> from symconv import Conv
    >>> elided_sum(Conv(30, 20).output_element(0), max_terms=4)
    'k₁⋅x₁ + k₂⋅x₂ + … + k₁₉⋅x₁₉ + k₂₀⋅x₂₀   (20 terms)'
    """

    def show(term: Expr) -> str:
        return term_latex(term) if tex else pretty(term, wrap_line=False)

    if isinstance(expr, TermEnds):  # a sum too long to build: its ends are given
        head, tail, total = list(expr.head), list(expr.tail), expr.count
    else:
        terms = natural_terms(expr)
        if len(terms) <= max_terms:
            return " + ".join(show(t) for t in terms).replace("+ -", "- ")
        head, tail = terms[: max_terms // 2], terms[len(terms) - (max_terms - max_terms // 2) :]
        total = len(terms)
    gap = r"\cdots" if tex else "…"
    count = rf"\quad\text{{({total} terms)}}" if tex else f"   ({total} terms)"
    return " + ".join([*(str(show(t)) for t in head), gap, *(str(show(t)) for t in tail)]) + count


def _cell_text(cell: Cell) -> str:
    if isinstance(cell, str):
        return _TEXT_DOTS[cell]
    text = pretty(cell, wrap_line=False)
    return text if "\n" not in text else str(cell)


def text_grid(grid: Sequence[Sequence[Cell]]) -> str:
    """Aligned columns of pretty-printed cells."""
    cells = [[_cell_text(c) for c in row] for row in grid]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))] if cells else []
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def latex_shape(shape: Sequence[int]) -> str:
    r"""A tensor shape as written on paper: ``3 \times 256 \times 256``.

    >>> latex_shape((3, 256, 256))
    '3 \\times 256 \\times 256'
    """
    return r" \times ".join(str(n) for n in shape)


def _text_shape(shape: Sequence[int]) -> str:
    return " x ".join(str(n) for n in shape)


def _output_name(conv: Conv, index: tuple[int, ...], *, tex: bool) -> str:
    subscript = ",".join(str(i + 1) for i in index)
    return f"y_{{{subscript}}}" if tex else f"y_{subscript}"


def _shown_outputs(conv: Conv, limit: int) -> list[tuple[int, ...] | None]:
    shape = conv.output_shape
    return [
        None if flat is None else unravel(flat, shape)
        for flat in elided_indices(math.prod(shape), limit)
    ]


def _per_axis(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else str(values)


def _facts(conv: Conv) -> list[tuple[str, str, str]]:
    """(label, text value, LaTeX value) rows describing the layer."""
    spec = conv.spec
    unshared = type(conv).from_spec(replace(spec, shared=not spec.shared))
    shared_count, unshared_count = (
        (conv.weight_count, unshared.weight_count)
        if spec.shared
        else (unshared.weight_count, conv.weight_count)
    )
    padding = ", ".join(f"({b}, {a})" for b, a in spec.padding)
    rule = f" ({spec.padding_rule!r})" if spec.padding_rule else ""
    rule_tex = rf" (\texttt{{{spec.padding_rule}}})" if spec.padding_rule else ""
    mode = "circular" if spec.padding_mode == "circular" else "zeros"
    operation = "convolution (kernel flipped)" if spec.flip else "cross-correlation"
    rows = [
        ("operation", operation, rf"\text{{{operation}}}"),
        (
            "padding (before, after)",
            f"{padding}{rule}, {mode}",
            rf"\text{{{padding}{rule_tex}, {mode}}}",
        ),
        ("stride", _per_axis(spec.stride), _per_axis(spec.stride)),
        ("dilation", _per_axis(spec.dilation), _per_axis(spec.dilation)),
        ("input shape", _text_shape(conv.input_shape), latex_shape(conv.input_shape)),
        ("filter shape", _text_shape(conv.filter_shape), latex_shape(conv.filter_shape)),
        ("output shape", _text_shape(conv.output_shape), latex_shape(conv.output_shape)),
        ("weights, shared", str(shared_count), str(shared_count)),
        ("weights, unshared", str(unshared_count), str(unshared_count)),
        ("weights, dense layer", str(conv.dense_weight_count), str(conv.dense_weight_count)),
        ("multiply-adds (MACs)", str(conv.macs), str(conv.macs)),
        ("MACs, dense layer", str(conv.dense_weight_count), str(conv.dense_weight_count)),
    ]
    if spec.groups > 1:
        rows.insert(4, ("groups", str(spec.groups), str(spec.groups)))
    return rows


def text_summary(
    conv: Conv, *, max_rows: int = 12, max_cols: int = 12, max_outputs: int = 6
) -> str:
    """What ``symconv derive`` prints: facts, matrix, outputs and the general element."""
    facts = _facts(conv)
    width = max(len(label) for label, _, _ in facts)
    lines = [repr(conv), ""]
    lines += [f"  {label.ljust(width)}  {value}" for label, value, _ in facts]
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    lines += ["", f"Matrix M ({rows} x {cols}), y = M x on row-major flattening:", ""]
    shown = text_grid(elided_matrix(conv, max_rows=max_rows, max_cols=max_cols))
    lines += ["  " + line for line in shown.splitlines()]
    if conv.spec.bias:
        lines += ["", "  (bias added after the matrix: y = M x + b)"]
    lines += ["", "Outputs:", ""]
    for index in _shown_outputs(conv, max_outputs):
        if index is None:
            lines.append("  ⋮")
        else:
            element = conv.output_element(index)
            lines.append(f"  {_output_name(conv, index, tex=False)} = {elided_sum(element)}")
    lines += ["", "General element (1-based; indices outside the input are zero padding):", ""]
    lines += ["  " + line for line in pretty(conv.element_formula().equation).splitlines()]
    return "\n".join(lines)


def latex_summary(
    conv: Conv, *, max_rows: int = 12, max_cols: int = 12, max_outputs: int = 6
) -> str:
    """The same as :func:`text_summary`, as a LaTeX fragment (amsmath)."""
    facts = _facts(conv)
    lines = [f"% {conv!r}", r"\begin{align*}"]
    lines += [rf"  \text{{{label}}} &: {value} \\" for label, _, value in facts]
    lines += [r"\end{align*}", r"\["]
    shown = latex_grid(elided_matrix(conv, max_rows=max_rows, max_cols=max_cols))
    lines += [f"  M = {shown}", r"\]", r"\begin{align*}"]
    for index in _shown_outputs(conv, max_outputs):
        if index is None:
            lines.append(r"  &\;\;\vdots \\")
        else:
            name = _output_name(conv, index, tex=True)
            lines.append(f"  {name} &= {elided_sum(conv.output_element(index), tex=True)} \\\\")
    equation = conv.element_formula().equation
    lines += [r"\end{align*}", r"\[", f"  {latex(equation.lhs)} = {latex(equation.rhs)}", r"\]"]
    return "\n".join(lines)


def notebook_latex(conv: Conv, *, max_size: int = 10, max_outputs: int = 3) -> str:
    r"""A compact LaTeX summary for notebooks: shapes, counts, ``y = M x`` and the first outputs.

    The output and input vectors are elided like the matrix, so each shown entry
    of ``y`` sits beside the row that computes it.

    >>> from symconv import Conv
    >>> text = notebook_latex(Conv(4, 2))
    >>> text.startswith(r"$\displaystyle") and r"\text{2 weights (unshared 6, dense 12)}" in text
    True
    >>> r"y_{1} &= k_{1} x_{1} + k_{2} x_{2}" in text
    True
    """
    facts = {label: value for label, value, _ in _facts(conv)}
    other = "unshared" if conv.spec.shared else "shared"
    counts = (
        f"{conv.weight_count} weights ({other} {facts['weights, ' + other]}, "
        f"dense {conv.dense_weight_count})"
    )
    head = (
        rf"\texttt{{{_tt(repr(conv))}}}:\ {latex_shape(conv.input_shape)} \to "
        rf"{latex_shape(conv.output_shape)},\ \text{{{counts}}}"
    )
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    row_picks, col_picks = matrix_picks(conv, max_rows=max_size, max_cols=max_size)
    matrix = latex_grid(grid(row_picks, col_picks, conv.matrix_row))
    flat_input = conv.input_symbols.reshape(cols)
    outputs = [unravel(flat, conv.output_shape) for flat in range(min(rows, max_outputs))]
    y = _column(
        [
            None if i is None else _output_name(conv, unravel(i, conv.output_shape), tex=True)
            for i in row_picks
        ]
    )
    x = _column([None if i is None else term_latex(flat_input[i]) for i in col_picks])
    lines = [
        f"{_output_name(conv, index, tex=True)} &= "
        + elided_sum(conv.output_element(index), tex=True)
        for index in outputs
    ]
    if rows > max_outputs:
        lines.append(r"&\;\;\vdots")
    body = r" \\ ".join(lines)
    return (
        rf"$\displaystyle \begin{{array}}{{l}} {head} \\ {y} = {matrix} {x} \\ "
        rf"\begin{{aligned}} {body} \end{{aligned}} \end{{array}}$"
    )


def _column(cells: list[str | None]) -> str:
    """A column vector; ``None`` is a row of dots."""
    return (
        r"\begin{bmatrix} "
        + r" \\ ".join(r"\vdots" if c is None else c for c in cells)
        + (r" \end{bmatrix}")
    )


def _tt(text: str) -> str:
    return "".join({"_": r"\_", "{": r"\{", "}": r"\}"}.get(c, c) for c in text)


#: Elided entries in the terminal, with and without unicode.
_PLACEHOLDERS = {
    True: {"cdots": "⋯", "vdots": "⋮", "ddots": "⋱"},
    False: {"cdots": "...", "vdots": ":", "ddots": "."},
}
#: (rows, columns) of the matrix tried in turn, most first, until ``y = K x`` fits the width.
_TERMINAL_BUDGETS = ((12, 16), (12, 12), (10, 10), (8, 8), (6, 7), (4, 6), (4, 5), (3, 4), (3, 3))


@dataclass(frozen=True)
class TextEquation:
    """``y = K x`` drawn for a terminal, with the rows and columns of ``K`` it shows.

    Attributes:
        text: The drawing.
        row_picks: Rows of the matrix shown, in order; ``None`` for a run left out.
        col_picks: Columns shown, likewise (the entries of ``x`` beside them).
    """

    text: str
    row_picks: list[int | None]
    col_picks: list[int | None]


def terminal_unicode() -> bool:
    """Whether the standard output can show the pretty printer's unicode."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "⎡⋮⋯⋱k₁⋅".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def terminal_equation(
    layer: Conv | ConvTranspose | Pool, width: int | None = None, *, use_unicode: bool | None = None
) -> TextEquation | None:
    """``y = K x`` as SymPy's pretty printer draws it, elided to fit ``width`` columns.

    Only the rows shown are derived. ``None`` when the layer has no matrix (max
    pooling) or even the smallest band is wider than ``width``.

    >>> from symconv import Conv
    >>> drawn = terminal_equation(Conv(10**6, 3), 60, use_unicode=False)
    >>> drawn.row_picks, drawn.col_picks
    ([0, None, 999997], [0, 1, 2, None, 999997, 999998, 999999])
    """
    if getattr(getattr(layer, "spec", None), "mode", None) == "max":
        return None
    width = shutil.get_terminal_size().columns if width is None else width
    unicode = terminal_unicode() if use_unicode is None else use_unicode
    rows, cols = math.prod(layer.output_shape), math.prod(layer.input_shape)
    entries = cache(layer.matrix_row)
    fitting: list[TextEquation] = []
    for max_rows, max_cols in _TERMINAL_BUDGETS:
        row_picks, col_picks, _ = band_picks(rows, cols, entries, max_rows, max_cols)
        if any(row_picks == d.row_picks and col_picks == d.col_picks for d in fitting):
            continue
        text = _draw_equation(layer, row_picks, col_picks, entries, unicode)
        if max(len(line) for line in text.splitlines()) <= width:
            if row_picks[-1] == rows - 1:
                return TextEquation(text, row_picks, col_picks)
            fitting.append(TextEquation(text, row_picks, col_picks))
    # The last row is worth showing fewer rows and columns; else the first rows alone.
    return fitting[0] if fitting else None


def _draw_equation(
    layer: Conv | ConvTranspose | Pool,
    row_picks: list[int | None],
    col_picks: list[int | None],
    entries: RowEntries,
    unicode: bool,
) -> str:
    dots = {name: Symbol(text) for name, text in _PLACEHOLDERS[unicode].items()}
    cells = grid(row_picks, col_picks, entries)
    matrix = Matrix([[dots[c] if isinstance(c, str) else c for c in row] for row in cells])
    y = Matrix(
        [
            dots["vdots"] if r is None else Symbol(symbol_name("y", unravel(r, layer.output_shape)))
            for r in row_picks
        ]
    )
    x = Matrix([dots["vdots"] if c is None else layer.input_symbol(c) for c in col_picks])
    equation = Eq(y, MatMul(matrix, x, evaluate=False), evaluate=False)
    drawing = sympy_pretty(equation, use_unicode=unicode, wrap_line=False)
    return "\n".join(line.rstrip() for line in drawing.splitlines())


def text_equation(
    layer: Conv | ConvTranspose | Pool, width: int | None = None, *, use_unicode: bool | None = None
) -> str:
    """What ``print(layer)`` shows: ``y = K x``, elided to fit the terminal (80 columns
    when there is none); the layer's repr when it has no matrix or nothing fits.

    >>> from symconv import Conv
    >>> print(Conv(5, 3))
                                ⎡x₁⎤
                                ⎢  ⎥
    ⎡y₁⎤   ⎡k₁  k₂  k₃  0   0 ⎤ ⎢x₂⎥
    ⎢  ⎥   ⎢                  ⎥ ⎢  ⎥
    ⎢y₂⎥ = ⎢0   k₁  k₂  k₃  0 ⎥⋅⎢x₃⎥
    ⎢  ⎥   ⎢                  ⎥ ⎢  ⎥
    ⎣y₃⎦   ⎣0   0   k₁  k₂  k₃⎦ ⎢x₄⎥
                                ⎢  ⎥
                                ⎣x₅⎦

    A big layer shows the first and last rows, and the columns where they hold weights:

    >>> print(text_equation(Conv(10**6, 3), 60, use_unicode=False))
                                                     [   x_1   ]
                                                     [         ]
                                                     [   x_2   ]
                                                     [         ]
    [  y_1   ]   [k_1  k_2  k_3  ...   0    0    0 ] [   x_3   ]
    [        ]   [                                 ] [         ]
    [   :    ] = [ :    :    :    .    :    :    : ]*[    :    ]
    [        ]   [                                 ] [         ]
    [y_999998]   [ 0    0    0   ...  k_1  k_2  k_3] [x_999998 ]
                                                     [         ]
                                                     [x_999999 ]
                                                     [         ]
                                                     [x_1000000]
    """
    drawn = terminal_equation(layer, width, use_unicode=use_unicode)
    return repr(layer) if drawn is None else drawn.text
