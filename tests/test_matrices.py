"""Matrices on a page: whole when small, else a band whose rows show their weights.

The oracle is the whole SymPy matrix: every printed cell is compared with the
entry at the row and column the view says it shows.
"""

from __future__ import annotations

import itertools
import re

import pytest
from sympy import Matrix, latex

from symconv import Conv, ConvTranspose
from symconv.present.matrices import (
    BAND_COLS,
    FULL_COLS,
    FULL_ROWS,
    MatrixView,
    conv_rows,
    matrix_views,
    sympy_rows,
)

DOTS = {r"\cdots", r"\vdots", r"\ddots"}


def shown(count: int, hidden: tuple[tuple[int, int], ...]) -> list[int | None]:
    left_out = {i - 1 for first, last in hidden for i in range(first, last + 1)}
    out: list[int | None] = []
    for index in range(count):
        if index not in left_out:
            out.append(index)
        elif not out or out[-1] is not None:
            out.append(None)
    return out


def check_view(view: MatrixView, matrix: Matrix) -> None:
    body = re.fullmatch(r"\\begin\{bmatrix\} (.*) \\end\{bmatrix\}", view.latex, re.DOTALL)
    assert body
    grid = [row.split(" & ") for row in body[1].split(r" \\ ")]
    rows, cols = shown(matrix.rows, view.hidden_rows), shown(matrix.cols, view.hidden_cols)
    assert (len(grid), len(grid[0])) == (len(rows), len(cols))
    for cells, r in zip(grid, rows, strict=True):
        for cell, c in zip(cells, cols, strict=True):
            if r is None or c is None:
                assert cell in DOTS
            else:
                assert cell == latex(matrix[r, c]), (r, c)
        if r is not None and view.rows_whole:
            assert {c for c in range(matrix.cols) if matrix[r, c] != 0} <= set(cols), r


LAYERS = [
    Conv(n, k, stride=s, padding=p, dilation=d, shared=shared)
    for n, k, s, p, d, shared in itertools.product(
        (5, 12, 23), (2, 3), (1, 2), (0, "same"), (1, 2), (True, False)
    )
    if n >= d * (k - 1) + 1
] + [
    Conv((5, 5), 3, stride=2, padding=1),
    Conv((6, 6), 3, stride=2),
    Conv((7, 7), 2, shared=False),
    Conv((4, 4), 3, in_channels=2, out_channels=3, padding=1),
]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_every_view_shows_the_right_entries_and_whole_rows(layer):
    matrix = Matrix(layer.matrix())
    views = matrix_views(*conv_rows(layer))
    for view in views:
        check_view(view, matrix)
    small = matrix.rows <= FULL_ROWS and matrix.cols <= FULL_COLS
    assert views[0].whole == small
    assert len(views) <= 1 + len(BAND_COLS)


def test_a_one_d_band_keeps_both_ends_and_every_weight_of_its_rows():
    layer = Conv(40, 3)
    views = matrix_views(*conv_rows(layer))
    first = views[0]
    assert first.rows_whole and first.hidden_rows and first.hidden_cols
    rows = shown(layer.output_shape[0], first.hidden_rows)
    assert rows[0] == 0 and rows[-1] == layer.output_shape[0] - 1


def test_a_transposed_matrix_is_shown_through_the_same_views():
    layer = ConvTranspose((4, 4), 3, stride=2, padding=1, output_padding=1)
    matrix = Matrix(layer.matrix())
    for view in matrix_views(*sympy_rows(layer.matrix())):
        check_view(view, matrix)


def test_latex_of_a_term_follows_the_printer_settings_in_force() -> None:
    from sympy import Symbol, latex
    from sympy.printing.printer import Printer

    from symconv.present.matrices import term_latex

    term = Symbol("k_1") * Symbol("x_1")
    assert term_latex(term) == latex(term)
    Printer.set_global_settings(mul_symbol="dot")
    try:
        assert term_latex(term) == latex(term) != latex(term, mul_symbol=None)
    finally:
        Printer._global_settings.clear()
    assert term_latex(term) == latex(term)
