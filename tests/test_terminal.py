"""``print(layer)`` draws ``y = K x`` that fits the terminal and says what the matrix holds."""

from __future__ import annotations

import math
import re

import pytest
import sympy
from call_count import calls

from symconv import Conv, ConvTranspose
from symconv.pooling import Pool
from symconv.present.display import terminal_equation, text_equation

LAYERS = [
    Conv(9, 3),
    Conv(40, 5, stride=2, padding="same"),
    Conv((6, 6), 3, stride=2),
    Conv((5, 5), 3, in_channels=2, out_channels=3, padding=1),
    Conv(10**6, 3),
    ConvTranspose(4, 3, stride=2),
    ConvTranspose((5, 5), 3, stride=2, in_channels=2, out_channels=2),
    Pool(12, 3, mode="avg"),
]
WIDTHS = [60, 80, 120, 200]


def _rows_of_matrix(text: str) -> list[list[str]]:
    """The matrix rows drawn in ASCII: the second bracketed segment of each line that has
    an entry of ``y`` (the matrix and ``y`` have the same rows, drawn on the same lines)."""
    rows = []
    for line in text.splitlines():
        segments = re.findall(r"\[([^\]]*)\]", line)
        if len(segments) >= 2 and segments[0].strip() not in ("", ":"):
            rows.append(segments[1].split())
    return rows


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("use_unicode", [True, False])
def test_lines_fit_the_width(layer, width: int, use_unicode: bool) -> None:
    text = text_equation(layer, width, use_unicode=use_unicode)
    assert max(len(line) for line in text.splitlines()) <= width


FIRST_AND_LAST = [
    (layer, width)
    for layer in LAYERS
    for width in WIDTHS
    # With channels a row's weight names are long: at 80 columns only the first rows fit.
    if width >= 120 or not layer.spec.has_channels
]


@pytest.mark.parametrize(("layer", "width"), FIRST_AND_LAST, ids=repr)
def test_first_and_last_rows_appear(layer, width: int) -> None:
    drawn = terminal_equation(layer, width, use_unicode=False)
    assert drawn is not None
    rows = math.prod(layer.output_shape)
    assert drawn.row_picks[0] == 0
    assert drawn.row_picks[-1] == rows - 1
    last = "y_" + ",".join(str(i + 1) for i in divmod_index(rows - 1, layer.output_shape))
    assert "y_1" in drawn.text
    assert last in drawn.text


def divmod_index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return tuple(reversed(index))


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_entry_shown_is_the_matrix_entry(layer, width: int) -> None:
    drawn = terminal_equation(layer, width, use_unicode=False)
    assert drawn is not None
    shown = [r for r in drawn.row_picks if r is not None]
    drawn_rows = _rows_of_matrix(drawn.text)
    assert len(drawn_rows) == len(shown)
    for row, cells in zip(shown, drawn_rows, strict=True):
        entries = layer.matrix_row(row)
        expected = [
            "..." if c is None else sympy.pretty(entries.get(c, 0), use_unicode=False)
            for c in drawn.col_picks
        ]
        assert cells == " ".join(expected).split()


def test_the_input_column_matches_the_columns_shown() -> None:
    layer = Conv(10**6, 3)
    drawn = terminal_equation(layer, 80, use_unicode=False)
    assert drawn is not None
    names = [f"x_{c + 1}" for c in drawn.col_picks if c is not None]
    found = re.findall(r"x_\d+", drawn.text)
    assert found == names


def test_a_big_layer_costs_what_a_small_one_does() -> None:
    small, big = Conv(50, 3), Conv(10**6, 3)
    str(small), str(big)  # symbols and printer state made once, outside the count
    assert calls(lambda: str(big)) < 2 * calls(lambda: str(small))


def test_print_shows_the_equation_and_repr_is_kept() -> None:
    layer = Conv(9, 3)
    assert repr(layer) == "Conv(9, 3)"
    assert str(layer) == text_equation(layer)
    assert str(ConvTranspose(4, 3)) == text_equation(ConvTranspose(4, 3))
    assert "=" in str(layer)


def test_max_pooling_has_no_matrix_and_prints_its_repr() -> None:
    layer = Pool(6, 2)
    assert str(layer) == repr(layer)


def test_a_width_nothing_fits_prints_the_repr() -> None:
    layer = Conv(10**6, 3)
    assert terminal_equation(layer, 10) is None
    assert text_equation(layer, 10) == repr(layer)


def test_formulas_print_as_equations() -> None:
    layer = Conv((5, 5), 3, stride=2)
    formula = layer.element_formula()
    assert str(formula) == str(formula.equation)
    assert isinstance(formula.equation, sympy.Eq)
    gradient = layer.backward().formulas.input
    assert str(gradient) == str(gradient.equation)
    assert isinstance(gradient.equation, sympy.Eq)
