r"""LaTeX's spaces, ``\approx`` between two forms of a number, and other forms students write.

Every expected value is the engine's (a layer's shape, its count) or Python's own
arithmetic and formatting of it; the spellings are built around that value.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Integer, Matrix, Symbol

from symconv import Conv, check
from symconv.answers.reading import (
    normalise,
    read_expression,
    read_matrix,
    read_number,
    read_shape,
    split_approximately,
)
from symconv.layers.formulas import output_size

#: LaTeX's spaces, each read as one space.
SPACES = [r"\ ", r"\,", r"\;", r"\!", r"\:", r"\quad", r"\qquad", "~", r"\thinspace"]

LAYER = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
SHAPE = LAYER.output_shape
COUNT = LAYER.dense_weight_count


def scientific(value: int, digits: int) -> str:
    r"""``9.99 \times 10^{10}`` by Python's own rounding."""
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


@pytest.mark.parametrize("space", SPACES)
def test_a_shape_with_latex_spaces_around_times_is_read(space: str):
    text = r"\ \times\ ".replace(r"\ ", space).join(map(str, SHAPE))
    assert read_shape(text) == SHAPE
    assert check(text, SHAPE).ok


def test_the_shape_students_wrote_is_right():
    text = r"\ \times\ ".join(map(str, SHAPE))
    assert check(text, LAYER.output_shape).ok


@pytest.mark.parametrize("space", SPACES)
def test_latex_spaces_in_a_formula_are_spaces(space: str):
    space += " " if space[-1].isalpha() else ""  # \quadK would be another command
    W, K, s, p = (Symbol(n, integer=True, positive=True) for n in "WKsp")
    expected = output_size(W, K, stride=s, padding=p)
    text = rf"\left\lfloor{space}\frac{{W{space}+{space}2p{space}-{space}K}}{{s}}"
    text += rf"{space}\right\rfloor{space}+{space}1"
    assert check(text, expected).ok


@pytest.mark.parametrize("space", SPACES)
def test_latex_spaces_in_a_matrix_are_spaces(space: str):
    space += " " if space[-1].isalpha() else ""
    conv = Conv(4, 2)
    rows = conv.matrix().tolist()
    body = rf"{space}\\{space}".join(
        f"{space}&{space}".join(str(entry).replace("*", " ") for entry in row) for row in rows
    )
    text = rf"\begin{{bmatrix}}{space}{body}{space}\end{{bmatrix}}"
    assert read_matrix(text) == Matrix(rows)
    assert check(text, conv.matrix()).ok


def test_a_row_break_followed_by_a_comma_keeps_the_row_break():
    cleaned, _ = normalise(r"a \\, b")
    assert "\\\\" in cleaned


@pytest.mark.parametrize("separator", [r"\,", r"\ ", "~", r"\;", "{,}", r"\!"])
def test_digit_groups_with_latex_spaces_form_one_number(separator: str):
    grouped = f"{COUNT:,}".replace(",", separator)
    assert read_number(grouped) == COUNT
    assert check(grouped, COUNT).ok


@given(st.integers(min_value=1000, max_value=10**15), st.sampled_from([r"\,", r"\ ", "{,}", "~"]))
@settings(max_examples=40, deadline=None)
def test_any_grouped_number_reads_as_itself(number: int, separator: str):
    assert read_number(f"{number:,}".replace(",", separator)) == number


@pytest.mark.parametrize("times", [r"\cdot", r"\times", "×", "*"])
def test_a_product_of_numbers_is_a_number(times: str):
    text = f" {times} ".join(map(str, SHAPE))
    assert read_number(text) == math.prod(SHAPE)
    assert check(text, math.prod(SHAPE)).ok


@pytest.mark.parametrize("brackets", [(r"\left(", r"\right)"), (r"\left[", r"\right]"), ("(", ")")])
def test_a_shape_in_sized_brackets(brackets: tuple[str, str]):
    opening, closing = brackets
    text = f"{opening} {', '.join(map(str, SHAPE))} {closing}"
    assert read_shape(text) == SHAPE


@pytest.mark.parametrize("command", ["text", "mathrm", "textrm", "mbox", "operatorname"])
@pytest.mark.parametrize("space", ["", " ", r"\ ", r"\,", "~"])
def test_a_word_in_a_text_command_after_a_number_is_ignored(command: str, space: str):
    text = rf"{COUNT}{space}\{command}{{weights}}"
    assert read_number(text) == COUNT
    assert check(text, COUNT).ok


@pytest.mark.parametrize("sign", [r"\approx", "≈"])
def test_approx_between_the_exact_and_a_rounded_form_is_right(sign: str):
    text = f"{COUNT} {sign} {scientific(COUNT, 3)}"
    assert check(text, COUNT).ok


def test_the_answer_students_wrote_is_right():
    count = Conv((224, 224), 11, stride=4, in_channels=3, out_channels=96).dense_weight_count
    assert check(rf"{count} \approx {scientific(count, 3)}", count).ok


@given(st.integers(min_value=10**4, max_value=10**14), st.integers(min_value=1, max_value=5))
@settings(max_examples=40, deadline=None)
def test_the_exact_side_decides(number: int, digits: int):
    rounded = scientific(number, digits)
    assert check(rf"{number} \approx {rounded}", number).ok
    # The exact side wrong: wrong, however well the rounded side is rounded.
    assert not check(rf"{number + 1} \approx {rounded}", number).ok


def test_the_exact_side_may_be_an_equation_of_numbers():
    conv = Conv(9, 3)
    text = rf"9 - 3 + 1 = {conv.output_shape[0]} \approx {scientific(conv.output_shape[0], 3)}"
    assert check(text, conv.output_shape[0]).ok


@pytest.mark.parametrize("digits", [3, 4, 2])
def test_with_only_a_rounded_form_the_rounding_rule_applies(digits: int):
    alone = check(rf"\approx {scientific(COUNT, digits)}", COUNT)
    named = check(rf"N \approx {scientific(COUNT, digits)}", COUNT)
    assert named.ok == alone.ok == (digits >= 3)
    assert named.message == alone.message


def test_split_approximately_needs_something_before_the_sign():
    assert split_approximately(rf"\approx {COUNT}") == (rf"\approx {COUNT}", None)
    exact, rounded = split_approximately(rf"{COUNT} \approx {scientific(COUNT, 3)}")
    assert (read_number(exact), rounded) == (Integer(COUNT), scientific(COUNT, 3))


def test_approxeq_is_not_approx():
    assert split_approximately(r"7 \approxeq 7")[1] is None


def test_long_runs_of_latex_spaces_read_quickly():
    # A run of 20 000 characters is scanned once (a quadratic scan would take minutes).
    assert check(r" \, " * 4_000 + "7", 7).ok
    assert check(" " * 19_000 + "7", 7).ok
    assert check("7" + r" \quad" * 3_000 + " + 1", 8).ok
    assert check("W" + " " * 19_000 + "- K", Symbol("W") - Symbol("K")).ok


def test_spaces_do_not_join_symbols_into_a_product_they_were_not():
    assert read_expression(r"k_1\,x_1 + k_2\;x_2") == read_expression("k_1 x_1 + k_2 x_2")
