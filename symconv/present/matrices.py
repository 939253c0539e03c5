r"""Matrices for a page: whole when they fit, else a band around the diagonal.

A convolution's matrix is sparse, and its weights sit along a band. When it is
too large to print, the rows kept are the first and the last few, and the
columns kept are the ones where those rows hold weights (with a single column
of dots wherever a run of columns is left out). So every row shown shows its
weights, and the note under the matrix can say exactly what is left out.

:func:`matrix_views` offers several versions, largest first; the sheet template
measures them and prints the first that fits the line.

>>> from symconv import Conv
>>> views = matrix_views(*conv_rows(Conv(20, 3)))
>>> [(len(v.hidden_rows), len(v.hidden_cols)) for v in views]
[(1, 1), (1, 1), (1, 1)]
>>> views[0].hidden_rows, views[0].hidden_cols
(((5, 14),), ((7, 14),))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from sympy import Basic, Expr, S, latex
from sympy.printing.printer import Printer

if TYPE_CHECKING:
    from symconv.layers.conv import Conv

__all__ = [
    "Cell",
    "Dots",
    "MatrixView",
    "band_picks",
    "conv_rows",
    "grid",
    "latex_grid",
    "matrix_views",
    "sympy_rows",
    "term_latex",
    "with_gaps",
]

#: Largest matrix offered whole (rows, columns); LaTeX still checks that it fits the line.
FULL_ROWS, FULL_COLS = 16, 40
#: Rows kept when a matrix is elided, and the column budgets tried in turn.
BAND_ROWS = 8
BAND_COLS = (20, 14, 10, 7)

RowEntries = Callable[[int], Mapping[int, Expr]]
#: Where an elided matrix leaves entries out: across, down, or both.
Dots: TypeAlias = Literal["cdots", "vdots", "ddots"]
Cell: TypeAlias = Expr | Dots
#: Rows (or columns) shown, in order; ``None`` stands for a run left out.
Picks: TypeAlias = list[int | None]


def term_latex(term: Basic) -> str:
    r"""SymPy's LaTeX of one symbol or term, printed once however often a sheet shows it.

    A class set of 30 variants prints the same few symbols thousands of times
    (matrix entries, vectors, sums); SymPy's printer costs far more than a
    lookup. Printed afresh while global printer settings are in force
    (``init_printing`` in a notebook), which the cache would not see.

    >>> from sympy import Symbol
    >>> term_latex(Symbol("k_1") * Symbol("x_12"))
    'k_{1} x_{12}'
    """
    if getattr(Printer, "_global_settings", None):
        return str(latex(term))
    return _default_latex(term)


@lru_cache(maxsize=65536, typed=True)
def _default_latex(term: Basic) -> str:
    return str(latex(term))


def latex_grid(cells: Sequence[Sequence[Cell]], environment: str = "bmatrix") -> str:
    r"""A LaTeX matrix; elided entries become ``\cdots``, ``\vdots``, ``\ddots``.

    >>> from sympy import symbols
    >>> a, b = symbols("a b")
    >>> latex_grid([[a, "cdots"], ["vdots", b]])
    '\\begin{bmatrix} a & \\cdots \\\\ \\vdots & b \\end{bmatrix}'
    """
    body = r" \\ ".join(
        " & ".join(f"\\{c}" if isinstance(c, str) else term_latex(c) for c in row) for row in cells
    )
    return f"\\begin{{{environment}}} {body} \\end{{{environment}}}"


@dataclass(frozen=True)
class MatrixView:
    """One way of printing a matrix.

    Attributes:
        latex: The ``bmatrix``.
        hidden_rows: Rows left out, as 1-based inclusive ``(first, last)`` runs.
        hidden_cols: Columns left out, likewise.
        rows_whole: Every row shown shows all its nonzero entries (the columns
            left out hold zeros in the rows shown).
    """

    latex: str
    hidden_rows: tuple[tuple[int, int], ...]
    hidden_cols: tuple[tuple[int, int], ...]
    rows_whole: bool

    @property
    def whole(self) -> bool:
        return not self.hidden_rows and not self.hidden_cols


def conv_rows(conv: Conv) -> tuple[int, int, RowEntries]:
    """A convolution's matrix size and its rows, each derived once, when first asked for."""
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    return rows, cols, cache(conv.matrix_row)


def sympy_rows(matrix: Any) -> tuple[int, int, RowEntries]:
    """A SymPy matrix's size and its rows."""
    entries: dict[int, dict[int, Expr]] = {}
    for (r, c), value in matrix.todok().items():
        entries.setdefault(r, {})[c] = value
    return matrix.rows, matrix.cols, lambda row: entries.get(row, {})


def _runs(hidden: list[int]) -> tuple[tuple[int, int], ...]:
    """1-based ``(first, last)`` runs of 0-based indices."""
    runs: list[tuple[int, int]] = []
    for index in sorted(hidden):
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index + 1, index + 1))
    return tuple(runs)


def with_gaps(kept: list[int], count: int) -> list[int | None]:
    """``kept`` in order with ``None`` for each left-out run; a lone missing index is kept."""
    picks: list[int | None] = []
    previous = -1
    for index in [*sorted(set(kept)), count]:
        gap = index - previous - 1
        if gap == 1:
            picks.append(previous + 1)
        elif gap > 1:
            picks.append(None)
        if index < count:
            picks.append(index)
        previous = index
    return picks


def grid(row_picks: Picks, col_picks: Picks, entries: RowEntries) -> list[list[Cell]]:
    """The cells at the rows and columns picked, with dots where runs are left out."""
    cells: list[list[Cell]] = []
    for row in row_picks:
        if row is None:
            cells.append(["vdots" if c is not None else "ddots" for c in col_picks])
            continue
        values = entries(row)
        cells.append([values.get(c, S.Zero) if c is not None else "cdots" for c in col_picks])
    return cells


def _row_choices(rows: int, band_rows: int) -> list[list[int]]:
    """Rows to try, most first: both ends of the matrix, then its first rows alone."""
    if rows <= band_rows:
        choices = [list(range(rows))]
        most = rows - 1
    else:
        choices, most = [], band_rows
    for shown in range(most, 1, -1):
        head = (shown + 1) // 2
        choices.append([*range(head), *range(rows - (shown - head), rows)])
    choices += [list(range(shown)) for shown in range(min(rows, band_rows) - 1, 0, -1)]
    # Showing the last rows too is worth two more rows from the top.
    return sorted(choices, key=lambda shown: len(shown) + 2 * (shown[-1] == rows - 1), reverse=True)


def band_picks(
    rows: int, cols: int, entries: RowEntries, max_rows: int, max_cols: int
) -> tuple[Picks, Picks, bool]:
    """Rows and columns to show: all when they fit, else a band along the diagonal.

    Rows from both ends (or the first rows alone), at most ``max_rows``, with the
    columns where they hold weights, at most ``max_cols`` (runs left out count
    one). Also says whether every row shown shows all its weights.

    >>> from symconv import Conv
    >>> band_picks(*conv_rows(Conv((6, 6), 3, stride=2)), max_rows=4, max_cols=12)[1]
    [0, 1, 2, None, 6, 7, 8, None, 12, 13, 14, None]
    """
    if rows <= max_rows and cols <= max_cols:
        return list(range(rows)), list(range(cols)), True
    for chosen in _row_choices(rows, max_rows):
        row_picks = with_gaps(chosen, rows)  # a lone row between two shown is shown too
        row_list = [r for r in row_picks if r is not None]
        support = sorted({c for r in row_list for c in entries(r)}) or [0]
        col_picks = with_gaps(support, cols)
        if len(col_picks) <= max_cols:
            rows_whole = True
            break
    else:  # one row alone is wider than the line: the first and last rows, each cut short
        row_picks, col_picks = _ends_of_rows(rows, cols, entries, max_cols)
        rows_whole = False
    return row_picks, col_picks, rows_whole


def _ends_of_rows(rows: int, cols: int, entries: RowEntries, max_cols: int) -> tuple[Picks, Picks]:
    """The first and last rows with both ends of their weights, in at most ``max_cols``
    columns; the first row alone when the two rows' ends do not fit together.

    >>> from symconv import Conv
    >>> rows, cols = _ends_of_rows(*sympy_rows(Conv((6, 6), 3, in_channels=3).patch_matrix()), 7)
    >>> rows, cols
    ([0, None, 15], [0, 1, 2, None, 24, 25, 26])
    """

    def ends(row: int, width: int) -> list[int]:
        support = sorted(entries(row)) or [0]
        head = (width + 1) // 2
        return [*support[:head], *support[-(width - head) :]] if width > head else support[:head]

    for row_list in ([0, rows - 1], [0]) if rows > 1 else ([0],):
        for width in range(max_cols - 1, 1, -1):
            col_picks = with_gaps([c for r in row_list for c in ends(r, width)], cols)
            if len(col_picks) <= max_cols:
                return with_gaps(row_list, rows), col_picks
    return [0, None] if rows > 1 else [0], with_gaps([0], cols)


def _band(rows: int, cols: int, entries: RowEntries, max_cols: int) -> MatrixView:
    """The band within ``max_cols`` columns, as a view."""
    row_picks, col_picks, rows_whole = band_picks(rows, cols, entries, BAND_ROWS, max_cols)
    shown_rows, shown_cols = set(row_picks), set(col_picks)
    return MatrixView(
        latex_grid(grid(row_picks, col_picks, entries)),
        _runs([r for r in range(rows) if r not in shown_rows]),
        _runs([c for c in range(cols) if c not in shown_cols]),
        rows_whole,
    )


def matrix_views(rows: int, cols: int, entries: RowEntries) -> list[MatrixView]:
    """Ways to print a matrix, largest first: whole (when not huge), then bands.

    The sheet prints the first that fits its line; the last is narrow enough for any.
    """
    views: list[MatrixView] = []
    if rows <= FULL_ROWS and cols <= FULL_COLS:
        views.append(MatrixView(latex_grid(grid(list(range(rows)), list(range(cols)), entries)),
                                (), (), True))  # fmt: skip
    for budget in BAND_COLS:
        view = _band(rows, cols, entries, budget)
        if all(view.latex != other.latex for other in views):
            views.append(view)
    return views
