"""The explorer's views as HTML: the matrix, one output, the size working and the window.

Each view is a function of a layer and one selected output (its row of the
matrix ``y = M x``), so the notebook widget, a standalone page and the tests
read the same HTML, and every view highlights the same output and the same
inputs: the columns where that row holds weights. Only the rows shown are
derived (``matrix_row``, ``output_element``), never the whole matrix, so a
large layer costs a few windows.

Symbols are written with HTML subscripts (``k<sub>1</sub>``), so the views
render in any notebook, with or without MathJax.

>>> from symconv import Conv
>>> conv = Conv(9, 3, stride=2, padding=1)
>>> element_html(conv, 2)
'<div class="symconv-element"><span class="symconv-name"><i>y</i><sub>3</sub></span> = \
<i>k</i><sub>1</sub> <i>x</i><sub>4</sub> + <i>k</i><sub>2</sub> <i>x</i><sub>5</sub> + \
<i>k</i><sub>3</sub> <i>x</i><sub>6</sub></div>'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from html import escape
from typing import Any

from sympy import Expr, Symbol

from symconv.errors import SymconvError
from symconv.layers.conv import Conv
from symconv.layers.formulas import output_size
from symconv.layers.geometry import transpose_output_size
from symconv.layers.symbols import ravel, symbol_name, unravel
from symconv.layers.transpose import ConvTranspose
from symconv.notation import FormulaStrPrinter, natural_terms
from symconv.present.display import elided_indices
from symconv.present.figures import MAX_CELLS, window_figure
from symconv.present.matrices import with_gaps

__all__ = [
    "STYLE",
    "element_html",
    "expression_html",
    "figure_html",
    "matrix_html",
    "matrix_picks",
    "output_name_html",
    "page_html",
    "size_html",
    "symbol_html",
]

#: Rows and columns of the matrix shown at most; a longer sum is shown by its ends.
MAX_ROWS, MAX_COLS, MAX_TERMS = 9, 24, 28
#: Input channels drawn at most in the figure (first ones, a gap, the last one).
MAX_PLANES = 3
#: Cells per side up to which every cell of the figure is labelled with its symbol.
LABELLED_CELLS = 16

#: One style sheet for every view; class names carry the ``symconv-`` prefix.
STYLE = """
.symconv-explorer { font-family: system-ui, sans-serif; font-size: 14px; }
.symconv-explorer h2 { font-size: 15px; margin: 10px 0 4px; }
.symconv-title { font-family: monospace; font-size: 14px; }
.symconv-element, .symconv-size { font-size: 16px; line-height: 1.7; }
.symconv-name { font-weight: bold; }
.symconv-error { color: #b00020; font-weight: bold; }
.symconv-note { color: #666; font-style: italic; }
.symconv-result { font-weight: bold; }
.symconv-matrix { border-collapse: collapse; font-size: 13px; }
.symconv-matrix td, .symconv-matrix th { padding: 2px 6px; text-align: center;
  min-width: 1.6em; border: 1px solid rgba(128,128,128,0.15); }
.symconv-matrix th { font-weight: normal; color: inherit; }
.symconv-matrix .symconv-zero { color: #aaa; }
.symconv-matrix .symconv-column { background: #fff1d0; color: #222; }
.symconv-matrix tr.symconv-selected td, .symconv-matrix tr.symconv-selected th {
  background: #ffd98a; color: #222; }
.symconv-matrix tr.symconv-selected .symconv-hit { background: #ff9f1c; color: #111;
  font-weight: bold; }
.symconv-figure { display: flex; align-items: center; gap: 18px; flex-wrap: wrap; }
.symconv-plane { display: inline-block; text-align: center; vertical-align: middle; }
.symconv-plane caption { caption-side: bottom; font-size: 12px; color: #666; padding-top: 3px; }
.symconv-grid { border-collapse: collapse; }
.symconv-planes { display: flex; flex-direction: column; gap: 8px; align-items: flex-start; }
.symconv-grid td { border: 1px solid #999; min-width: 2.4em; height: 2.4em; padding: 0 2px;
  text-align: center; font-size: 12px; line-height: 1.1; white-space: nowrap; }
.symconv-grid.symconv-small td { min-width: 0.9em; height: 0.9em; padding: 0; }
.symconv-grid td.symconv-padding { background: rgba(128,128,128,0.22); color: #777; }
.symconv-grid td.symconv-wrapped { background: rgba(100,149,237,0.22); }
.symconv-grid td.symconv-tap { background: #ffd98a; color: #222; border: 2px solid #e08600; }
.symconv-grid td.symconv-tap-padding { background: #ffeccc; color: #777;
  border: 2px dashed #e08600; }
.symconv-grid td.symconv-reached { outline: 2px dashed #e08600; outline-offset: -3px; }
.symconv-grid td.symconv-target { background: #ff9f1c; color: #111; font-weight: bold;
  border: 2px solid #b35c00; }
.symconv-weight { display: block; color: #a34f00; font-size: 11px; }
.symconv-arrow { font-size: 28px; color: #e08600; }
"""

_DOTS = {"cdots": "⋯", "vdots": "⋮", "ddots": "⋱"}


# Symbols and expressions ----------------------------------------------------------


def symbol_html(symbol: Symbol) -> str:
    """A symbol as written by hand: ``k_1,2`` is ``k`` with subscript ``1,2``.

    >>> symbol_html(Symbol("x_2,5"))
    '<i>x</i><sub>2,5</sub>'
    """
    letter, _, subscript = symbol.name.partition("_")
    if not subscript:
        return f"<i>{escape(letter)}</i>"
    return f"<i>{escape(letter)}</i><sub>{escape(subscript)}</sub>"


def output_name_html(index: Sequence[int]) -> str:
    """The name of the output at 0-based ``index``: ``y`` with its 1-based subscript."""
    return symbol_html(Symbol(symbol_name("y", index)))


def _factor_html(factor: Expr) -> str:
    if factor.is_Add:
        return f"({expression_html(factor)})"
    if factor.is_Pow:
        base, power = factor.as_base_exp()
        return f"{_factor_html(base)}<sup>{escape(str(power))}</sup>"
    if isinstance(factor, Symbol):
        return symbol_html(factor)
    return escape(str(factor))


def _term_html(term: Expr) -> tuple[bool, str]:
    """Whether the term is subtracted, and the term without its sign: ``2·k_1 x_3``."""
    coefficient, rest = term.as_coeff_Mul()
    negative = bool(coefficient < 0)
    magnitude = -coefficient if negative else coefficient
    factors = [] if rest == 1 else [_factor_html(f) for f in rest.as_ordered_factors()]
    text = " ".join(factors)
    if magnitude != 1 or not factors:
        text = escape(str(magnitude)) + ("·" + text if factors else "")
    return negative, text


def _sum_html(terms: Iterable[Expr | None]) -> str:
    """Terms joined by ``+`` and ``−``; ``None`` stands for terms left out."""
    parts: list[str] = []
    for term in terms:
        if term is None:
            parts.append("+ ⋯" if parts else "⋯")
            continue
        negative, text = _term_html(term)
        if parts:
            parts.append(f"{'−' if negative else '+'} {text}")
        else:
            parts.append(f"−{text}" if negative else text)
    return " ".join(parts)


def expression_html(expr: Expr, *, max_terms: int | None = None) -> str:
    """A sum of products in the order a person writes it, its ends only beyond ``max_terms``.

    >>> from sympy import symbols
    >>> k1, k2, x1, x2, b = symbols("k_1 k_2 x_1 x_2 b")
    >>> print(expression_html(k2 * x2 + k1 * x1 + b))
    <i>k</i><sub>1</sub> <i>x</i><sub>1</sub> + <i>k</i><sub>2</sub> <i>x</i><sub>2</sub> + <i>b</i>
    """
    terms: list[Expr | None] = list(natural_terms(expr))
    if max_terms is not None and len(terms) > max_terms:
        head = max_terms // 2
        terms = [*terms[:head], None, *terms[len(terms) - (max_terms - head) :]]
    return _sum_html(terms)


def _cell_html(value: Expr) -> str:
    return expression_html(value) if value != 0 else "0"


# The selected output ------------------------------------------------------------


def element_html(layer: Conv | ConvTranspose, row: int, *, max_terms: int = MAX_TERMS) -> str:
    """``y_3 = k_1 x_5 + k_2 x_6 + k_3 x_7``: the output at ``row`` of the matrix, derived alone."""
    index = unravel(row, layer.output_shape)
    element = layer.output_element(index)
    count = len(natural_terms(element))
    shown = expression_html(element, max_terms=max_terms)
    note = f' <span class="symconv-note">({count} terms)</span>' if count > max_terms else ""
    return (
        f'<div class="symconv-element"><span class="symconv-name">{output_name_html(index)}'
        f"</span> = {shown}{note}</div>"
    )


# The matrix -----------------------------------------------------------------------


def matrix_picks(
    rows: int,
    cols: int,
    entries: Any,
    row: int,
    *,
    max_rows: int = MAX_ROWS,
    max_cols: int = MAX_COLS,
) -> tuple[list[int | None], list[int | None]]:
    """Rows and columns of the matrix to show: all when they fit, else a band around
    the first, the selected and the last rows, with the columns where they hold weights.

    The selected row is always shown, and so are all its weights when they fit
    within ``max_cols``; runs left out are ``None``.

    >>> from symconv import Conv
    >>> conv = Conv(40, 3)
    >>> rows, cols = matrix_picks(38, 40, conv.matrix_row, 20)
    >>> rows
    [0, 1, None, 19, 20, 21, None, 36, 37]
    >>> cols[:5], cols[-3:]
    ([0, 1, 2, 3, None], [37, 38, 39])
    """
    entries = cache(entries)
    every_row: list[int | None] = list(range(rows))
    every_col: list[int | None] = list(range(cols))
    if rows <= max_rows and cols <= max_cols:
        return every_row, every_col
    around = {row - 1, row, row + 1}
    choices = [{0, 1, rows - 2, rows - 1} | around, {0, rows - 1, row}, {row}]
    for kept in choices:
        chosen = sorted(r for r in kept if 0 <= r < rows)
        row_picks = every_row if rows <= max_rows else with_gaps(chosen, rows)
        if cols <= max_cols:
            return row_picks, every_col
        support = sorted({c for r in row_picks if r is not None for c in entries(r)}) or [0]
        col_picks = with_gaps(support, cols)
        if len(col_picks) <= max_cols:
            return row_picks, col_picks
    # The selected row alone is wider than the view: both ends of its weights.
    support = sorted(entries(row)) or [0]
    head = (max_cols - 1) // 2
    kept_cols = [*support[:head], *support[len(support) - (max_cols - 1 - head) :]]
    return with_gaps([row], rows), with_gaps(kept_cols, cols)


def matrix_html(
    layer: Conv | ConvTranspose,
    row: int,
    *,
    max_rows: int = MAX_ROWS,
    max_cols: int = MAX_COLS,
) -> str:
    """``y = M x`` as a table: the selected row highlighted, and the columns where it holds weights.

    Each column is headed by its input symbol and each row by its output; cells
    carry ``data-row`` and ``data-col`` (0-based) so a reader can find them.
    """
    rows, cols = math.prod(layer.output_shape), math.prod(layer.input_shape)
    entries = cache(layer.matrix_row)
    row_picks, col_picks = matrix_picks(
        rows, cols, entries, row, max_rows=max_rows, max_cols=max_cols
    )
    window = set(entries(row))
    head = ['<th class="symconv-corner"></th>']
    for col in col_picks:
        if col is None:
            head.append(f"<th>{_DOTS['cdots']}</th>")
            continue
        css = ' class="symconv-column"' if col in window else ""
        head.append(f'<th data-col="{col}"{css}>{symbol_html(layer.input_symbol(col))}</th>')
    body = [f"<tr>{''.join(head)}</tr>"]
    for shown in row_picks:
        if shown is None:
            cells = [f"<th>{_DOTS['vdots']}</th>"] + [
                f"<td>{_DOTS['vdots' if c is not None else 'ddots']}</td>" for c in col_picks
            ]
            body.append(f"<tr>{''.join(cells)}</tr>")
            continue
        values = entries(shown)
        name = output_name_html(unravel(shown, layer.output_shape))
        cells = [f"<th>{name}</th>"]
        for col in col_picks:
            if col is None:
                cells.append(f"<td>{_DOTS['cdots']}</td>")
                continue
            value = values.get(col)
            classes = []
            if col in window:
                classes.append("symconv-hit" if shown == row else "symconv-column")
            if value is None:
                classes.append("symconv-zero")
            css = f' class="{" ".join(classes)}"' if classes else ""
            text = "0" if value is None else _cell_html(value)
            cells.append(f'<td data-col="{col}"{css}>{text}</td>')
        selected = ' class="symconv-selected"' if shown == row else ""
        body.append(f'<tr data-row="{shown}"{selected}>{"".join(cells)}</tr>')
    elided = len(row_picks) < rows or len(col_picks) < cols
    left_out = "; ⋮ and ⋯ stand for the rows and columns left out" if elided else ""
    caption = f'<div class="symconv-note">M is {rows} × {cols}{left_out}</div>'
    return f'<table class="symconv-matrix">{"".join(body)}</table>{caption}'


# The size -------------------------------------------------------------------------


class _WorkingPrinter(FormulaStrPrinter):
    """A size formula in the order people write it; with ``values``, its symbols as numbers.

    Printing the same formula twice, once with its letters and once with the
    numbers in their place, gives a working that follows the formula term by term.
    """

    def __init__(self, values: Mapping[Symbol, int] | None = None) -> None:
        super().__init__()
        self._values = dict(values or {})

    def _print_Symbol(self, symbol: Symbol) -> str:
        if symbol in self._values:
            return str(self._values[symbol])
        return symbol_html(symbol)

    def _print_floor(self, expr: Expr) -> str:
        return f"⌊{self._print(expr.args[0])}⌋"

    def _print_ceiling(self, expr: Expr) -> str:
        return f"⌈{self._print(expr.args[0])}⌉"


def _printed(formula: Expr, values: Mapping[Symbol, int] | None = None) -> str:
    text = str(_WorkingPrinter(values).doprint(formula))
    return text.replace("*", "·").replace(" - ", " − ").replace("(-", "(−")


_W, _K, _S, _D = (Symbol(name, integer=True, positive=True) for name in ("W", "K", "s", "d"))
_P, _A = (Symbol(name, integer=True, nonnegative=True) for name in ("p", "a"))
_BEFORE, _AFTER = (Symbol(n, integer=True, nonnegative=True) for n in ("p_before", "p_after"))


def _conv_workings(spec: Any, axis: int) -> list[tuple[Expr, dict[Symbol, int]]]:
    """The library's size formulas of one axis of a convolution, with this layer's numbers."""
    before, after = spec.padding[axis]
    values = {
        _W: spec.input_size[axis],
        _K: spec.kernel_size[axis],
        _S: spec.stride[axis],
        _D: spec.dilation[axis],
    }
    workings = []
    if spec.padding_rule == "same":
        workings.append((output_size(_W, _K, stride=_S, padding="same"), values))
    if before == after:
        formula = output_size(_W, _K, stride=_S, padding=_P, dilation=_D)
        workings.append((formula, {**values, _P: before}))
    else:
        formula = output_size(_W, _K, stride=_S, padding=(_BEFORE, _AFTER), dilation=_D)
        workings.append((formula, {**values, _BEFORE: before, _AFTER: after}))
    return workings


def _transpose_working(spec: Any, axis: int) -> tuple[Expr, dict[Symbol, int]]:
    formula = transpose_output_size(_W, _K, stride=_S, padding=_P, dilation=_D, output_padding=_A)
    values = {
        _W: spec.input_size[axis],
        _K: spec.kernel_size[axis],
        _S: spec.stride[axis],
        _P: spec.padding[axis],
        _D: spec.dilation[axis],
        _A: spec.output_padding[axis],
    }
    return formula, values


def _shape_text(shape: Sequence[int]) -> str:
    return " × ".join(str(n) for n in shape)


def size_html(layer: Conv | ConvTranspose) -> str:
    """The output size, axis by axis: the library's formula, then its numbers, then the size.

    The formula is the geometry core's (``output_size``, ``transpose_output_size``),
    printed twice, with its letters and with this layer's numbers; the size after
    ``=`` is the layer's own ``output_shape``.

    >>> from symconv import Conv
    >>> print(size_html(Conv(9, 3, stride=2, padding=1)).split("<br>")[1])
    = ⌊(9 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = <span class="symconv-result" data-axis="0">5</span>
    """
    spec = layer.spec
    names = ("output size",) if spec.ndim == 1 else ("output rows", "output columns")
    lines = []
    for axis in range(spec.ndim):
        if isinstance(layer, ConvTranspose):
            workings = [_transpose_working(spec, axis)]
        else:
            workings = _conv_workings(spec, axis)
        result = f'<span class="symconv-result" data-axis="{axis}">{spec.output_size[axis]}</span>'
        for formula, values in workings:
            lines.append(f"{names[axis]} = {_printed(formula)}")
            lines.append(f"= {_printed(formula, values)} = {result}")
    if isinstance(layer, Conv) and layer.spec.padding_rule:
        rule = layer.spec.padding_rule
        pairs = ", ".join(f"({b}, {a})" for b, a in layer.spec.padding)
        lines.append(
            f'<span class="symconv-note">padding "{escape(rule)}" is {pairs} (before, after)</span>'
        )
    lines.append(
        f"input {_shape_text(layer.input_shape)} → output "
        f'<span class="symconv-shape">{_shape_text(layer.output_shape)}</span>'
    )
    return f'<div class="symconv-size">{"<br>".join(lines)}</div>'


# The figure -----------------------------------------------------------------------


def _grid_html(cells: list[list[str]], caption: str, small: bool) -> str:
    rows = "".join(f"<tr>{''.join(row)}</tr>" for row in cells)
    css = "symconv-grid symconv-small" if small else "symconv-grid"
    return (
        f'<table class="symconv-plane {css}"><caption>{caption}</caption>'
        f"<tbody>{rows}</tbody></table>"
    )


def _cell(
    style: str,
    *,
    label: str = "",
    weight: Expr | None = None,
    column: int | None = None,
    title: str = "",
    show: bool = True,
) -> str:
    data = f' data-col="{column}"' if column is not None else ""
    tip = f' title="{escape(title)}"' if title else ""
    text = label if show else ""
    if show and weight is not None:
        text += f'<span class="symconv-weight">{_cell_html(weight)}</span>'
    return f'<td class="symconv-{style}"{data}{tip}>{text}</td>'


def _channels_read(layer: Conv | ConvTranspose, channel: int | None) -> list[int | None]:
    """Input channels the outputs of ``channel`` read: those of its group."""
    spec = layer.spec
    if channel is None:
        return [None]
    group = channel // spec.group_out_channels
    first = group * spec.group_in_channels
    return list(range(first, first + spec.group_in_channels))


def _input_column(
    layer: Conv | ConvTranspose, channel: int | None, spatial: tuple[int, ...]
) -> int:
    index = spatial if channel is None else (channel, *spatial)
    return ravel(index, layer.input_shape)


def _input_cell(
    style: str, symbol: Symbol, weight: Expr | None, column: int | None, *, show: bool
) -> str:
    """An input cell labelled with its symbol (and the weight it meets), titled with both."""
    title = symbol.name + (f" · {weight}" if weight is not None else "")
    return _cell(
        style, label=symbol_html(symbol), weight=weight, column=column, title=title, show=show
    )


def _planes(channels: list[int | None], plane: Callable[[int | None], str]) -> list[str]:
    """One grid per channel read, elided past ``MAX_PLANES`` with a vertical gap."""
    return [
        '<span class="symconv-arrow">⋮</span>' if shown is None else plane(channels[shown])
        for shown in elided_indices(len(channels), MAX_PLANES)
    ]


def _conv_planes(
    conv: Conv, channel: int | None, position: tuple[int, ...], entries: Mapping[int, Expr]
) -> list[str]:
    """The padded input, one plane per channel read, its window taken from :func:`window_figure`."""
    spec = conv.spec
    figure = window_figure(conv, position)
    rows, cols = (1, spec.input_size[0]) if spec.ndim == 1 else spec.input_size
    (top, bottom), (left, right) = ((0, 0), spec.padding[0]) if spec.ndim == 1 else spec.padding
    padded_rows, padded_cols = rows + top + bottom, cols + left + right
    styles = {
        (int(cell.x), int(cell.y)): cell.style
        for cell in figure.cells
        if cell.style in ("input", "padding", "wrapped", "tap", "tap-padding")
    }
    show = padded_cols <= LABELLED_CELLS

    def plane(plane_channel: int | None) -> str:
        grid = []
        for r in range(padded_rows):
            line = []
            for c in range(padded_cols):
                style: str = styles[(c, padded_rows - 1 - r)]
                inside = top <= r < top + rows and left <= c < left + cols
                if style in ("padding", "tap-padding"):
                    line.append(_cell(style, label="0", title="0 (padding)", show=show))
                    continue
                source = ((r - top) % rows, (c - left) % cols)
                spatial = source[1:] if spec.ndim == 1 else source
                column = _input_column(conv, plane_channel, spatial)
                symbol = conv.input_symbol(column)
                weight = entries.get(column) if style == "tap" else None
                if style == "input" and column in entries and inside:
                    style = "reached"  # read through the circular wrap, at its copy
                line.append(
                    _input_cell(style, symbol, weight, column if inside else None, show=show)
                )
            grid.append(line)
        padded = any(any(pair) for pair in spec.padding)
        caption = "input" + (" (padded)" if padded else "")
        if plane_channel is not None:
            caption += f", channel {plane_channel + 1}"
        return _grid_html(grid, caption, not show)

    return _planes(_channels_read(conv, channel), plane)


def _transpose_planes(
    layer: ConvTranspose, channel: int | None, entries: Mapping[int, Expr]
) -> list[str]:
    """The input, one plane per channel of the output's group, the inputs that reach it marked."""
    spec = layer.spec
    rows, cols = (1, spec.input_size[0]) if spec.ndim == 1 else spec.input_size
    if max(rows, cols) > MAX_CELLS:
        raise SymconvError(
            f"the input is too large to draw ({rows} x {cols} cells; at most {MAX_CELLS} per side)"
        )
    show = cols <= LABELLED_CELLS

    def plane(plane_channel: int | None) -> str:
        grid = []
        for r in range(rows):
            line = []
            for c in range(cols):
                spatial = (c,) if spec.ndim == 1 else (r, c)
                column = _input_column(layer, plane_channel, spatial)
                symbol = layer.input_symbol(column)
                weight = entries.get(column)
                style = "tap" if weight is not None else "input"
                line.append(_input_cell(style, symbol, weight, column, show=show))
            grid.append(line)
        caption = "input" if plane_channel is None else f"input, channel {plane_channel + 1}"
        return _grid_html(grid, caption, not show)

    return _planes(_channels_read(layer, channel), plane)


def _output_plane(layer: Conv | ConvTranspose, index: tuple[int, ...]) -> str:
    spec = layer.spec
    channel = index[0] if spec.has_channels else None
    position = index[1:] if spec.has_channels else index
    rows, cols = (1, spec.output_size[0]) if spec.ndim == 1 else spec.output_size
    if max(rows, cols) > MAX_CELLS:
        raise SymconvError(
            f"the output is too large to draw ({rows} x {cols} cells; at most {MAX_CELLS} per side)"
        )
    target = (0, *position) if spec.ndim == 1 else position
    show = cols <= LABELLED_CELLS
    grid = []
    for r in range(rows):
        line = []
        for c in range(cols):
            spatial = (c,) if spec.ndim == 1 else (r, c)
            full = spatial if channel is None else (channel, *spatial)
            name = symbol_name("y", full)
            style = "target" if (r, c) == tuple(target) else "output"
            line.append(
                _cell(
                    style,
                    label=output_name_html(full) if (show or style == "target") else "",
                    title=name,
                    column=None,
                )
            )
        grid.append(line)
    caption = "output" if channel is None else f"output, channel {channel + 1}"
    return _grid_html(grid, caption, not show)


def figure_html(layer: Conv | ConvTranspose, row: int) -> str:
    """The input with the selected output's window marked (each tap labelled with its input
    and its weight), and the output grid with that output marked.

    A convolution's window comes from :func:`~symconv.present.figures.window_figure`
    (padding shaded, circular padding showing the input it wraps to); a transposed
    convolution marks the inputs that reach the output. Weights are the entries of
    the selected row of the matrix, so the figure and the matrix agree.
    """
    index = unravel(row, layer.output_shape)
    spec = layer.spec
    channel = index[0] if spec.has_channels else None
    position = index[1:] if spec.has_channels else index
    entries = layer.matrix_row(row)
    try:
        if isinstance(layer, ConvTranspose):
            planes = _transpose_planes(layer, channel, entries)
        else:
            planes = _conv_planes(layer, channel, position, entries)
        output = _output_plane(layer, index)
    except SymconvError as error:
        return f'<div class="symconv-note">{escape(str(error))}</div>'
    arrow = '<span class="symconv-arrow">→</span>'
    inputs = f'<div class="symconv-planes">{"".join(planes)}</div>'
    return f'<div class="symconv-figure">{inputs}{arrow}{output}</div>'


# A page ---------------------------------------------------------------------------


def page_html(title: str, body: str) -> str:
    """A standalone HTML document of the views, with their style sheet."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f'<body class="symconv-explorer">\n{body}\n</body></html>\n'
    )
