r"""Reading what students write: every form of issue 11's list, with its rules.

Expected values come from the library (``Conv``, ``output_size``, the derived
sheet); the written forms are built from them programmatically (digit groups
from Python's own formatting, unicode subscripts by translating digits), so no
answer here is a hand-copied constant.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from sympy import Expr, Integer, Symbol

from symconv import Conv, check, output_size
from symconv.answers.reading import read_expression, read_number, read_shape
from symconv.marking.marks import mark_file
from symconv.sheets import build_sheet

W, K, s = sympy.symbols("W K s", integer=True, positive=True)
p = Symbol("p", integer=True, nonnegative=True)
SIZE = output_size(W, K, stride=s, padding=p)
ELEMENT = Conv(9, 3).output_element(0)
SECOND = Conv(9, 3).output_element(1)
LAYER = Conv((128, 128), 3, in_channels=3, out_channels=32)
SHAPE = LAYER.output_shape
SHEET = build_sheet()
DENSE = SHEET.problem("1h").answer("dense_weights").value
WEIGHTS = Conv((16, 16), 5, in_channels=3, out_channels=32).weight_count


def terms(element: Expr) -> list[tuple[str, str]]:
    """``[("k_1", "x_1"), ...]``: the factors of each term, kernel first, in kernel order."""
    pairs = [
        tuple(sorted((f.name for f in t.args), key=lambda n: n[0] != "k")) for t in element.args
    ]
    return sorted(pairs, key=lambda pair: int(pair[0].split("_")[1]))  # type: ignore[misc]


def written(element: Expr, factor: str = " ", name: Any = lambda n: n) -> str:
    return " + ".join(f"{name(k)}{factor}{name(x)}" for k, x in terms(element))


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def grouped(number: int, separator: str) -> str:
    """Oracle: ``number`` with its digits in groups of three, as Python formats it."""
    return f"{number:,}".replace(",", separator)


def mantissa(number: int, digits: int) -> tuple[str, int]:
    """Oracle: ``number`` rounded to ``digits`` significant digits, as (mantissa, exponent)."""
    exponent = len(str(number)) - 1
    rounded = round(Fraction(number, 10 ** (exponent - digits + 1)))
    text = str(rounded)
    return text[0] + "." + text[1:], exponent


# --------------------------------------------------------------------------
# Names: k1 is k_1, x_11 is x eleven, unicode subscripts


@pytest.mark.parametrize(
    "answer",
    [
        written(ELEMENT, name=lambda n: n.replace("_", "")),
        written(ELEMENT, factor="*", name=lambda n: n.replace("_", "")),
        written(ELEMENT, name=lambda n: n.replace("_", "").translate(SUBSCRIPTS)),
        written(ELEMENT, factor="", name=lambda n: n.replace("_", "").translate(SUBSCRIPTS)),
        r"\sum_{j=1}^{3} k_j x_j",
        r"\sum_{j=1}^3 k_{j} \cdot x_{j}",
    ],
    ids=["k1 x1", "k1*x1", "k₁ x₁", "k₁x₁", "sum", "sum, braces"],
)
def test_the_first_element_in_the_ways_students_write_it(answer: str):
    verdict = check(answer, ELEMENT)
    assert verdict.ok, verdict.message


def test_a_sum_with_a_shifted_index_reads_as_the_next_element():
    assert check(r"\sum_{j=1}^{3} k_j x_{j+1}", SECOND)
    assert not check(r"\sum_{j=1}^{3} k_j x_j", SECOND)


def test_two_digit_indices_are_one_index_in_both_syntaxes():
    element = Conv(13, 3).output_element(9)  # reads x_10, x_11, x_12
    assert max(int(v.name.split("_")[1]) for v in element.free_symbols) >= 11
    for factor in (r" \cdot ", "*", " "):
        for braces in (True, False):
            name = (lambda n: n.replace("_", "_{") + "}") if braces else (lambda n: n)
            answer = written(element, factor=factor, name=name)
            assert check(answer, element), answer


def test_an_unbraced_two_digit_index_in_a_bmatrix_is_one_index():
    row = Conv(10, 10).matrix()
    names = " & ".join(str(entry) for entry in row)
    verdict = check(r"\begin{bmatrix} " + names + r" \end{bmatrix}", row)
    assert "k_10" in names and verdict.ok, verdict.message


# --------------------------------------------------------------------------
# Numbers: digit groups, words and a final period, scientific notation


@pytest.mark.parametrize("separator", [" ", "\u2009", "\u202f", r"\,", "{,}", ","])
@pytest.mark.parametrize("number", [WEIGHTS, DENSE], ids=["weights", "dense"])
def test_digit_groups_form_one_number(number: int, separator: str):
    answer = grouped(number, separator)
    assert read_number(answer) == number
    assert check(answer, number), answer


@pytest.mark.parametrize(
    "answer", ["3 7", "24 100 5", "1 2", "2400 7"], ids=["3 7", "bad groups", "1 2", "tail"]
)
def test_other_adjacent_numbers_are_an_error_not_a_product(answer: str):
    verdict = check(answer, WEIGHTS)
    assert not verdict
    if verdict.unreadable:
        assert "side by side" in verdict.message


@pytest.mark.parametrize(
    "suffix", [".", " weights", " weights.", r" \text{weights}", " trainable weights"]
)
def test_words_after_a_number_and_a_final_period_are_ignored(suffix: str):
    assert check(f"{WEIGHTS}{suffix}", WEIGHTS)
    assert check(f"{output_size(9, 3)} outputs", output_size(9, 3))


@pytest.mark.parametrize(
    "template",
    [r"{m} \times 10^{e}", r"{m} \times 10^{{{e}}}", "{m} x 10^{e}", "{m} X 10^{e}", "{m}e{e}"],
)
@pytest.mark.parametrize("digits", [3, 5])
def test_scientific_notation_in_every_spelling(template: str, digits: int):
    m, e = mantissa(DENSE, digits)
    answer = template.format(m=m, e=e)
    verdict = check(answer, DENSE)
    assert verdict.ok, verdict.message


def test_scientific_notation_with_unicode_superscripts():
    m, e = mantissa(DENSE, 3)
    assert check(f"{m}·10{str(e).translate(SUPERSCRIPTS)}", DENSE)


def test_a_wrong_digit_in_scientific_notation_says_the_rounding_it_expected():
    m, e = mantissa(DENSE, 5)
    wrong = m[:-1] + str((int(m[-1]) + 1) % 10)
    verdict = check(rf"{wrong} \times 10^{e}", DENSE)
    assert not verdict
    assert rf"{m} \times 10^{{{e}}}" in verdict.message


def test_a_toml_float_is_read_exactly_as_its_text(tmp_path: Path):
    m, e = mantissa(DENSE, 5)
    path = tmp_path / "answers.toml"
    path.write_text(f"[1h]\ndense_weights = {m}e{e}\n", encoding="utf-8")
    marks = {mark.key: mark for mark in mark_file(path).marks}
    assert marks["dense_weights"].status == "right", marks["dense_weights"].message


# --------------------------------------------------------------------------
# Formulas: floor in every spelling, delimiters, equations, names on either side


@pytest.mark.parametrize(
    "answer",
    [
        "(W - K + 2p)//s + 1",
        "(W - K + 2*p) // s + 1",
        r"\biggl\lfloor \frac{W - K + 2p}{s} \biggr\rfloor + 1",
        r"\Big\lfloor \frac{W - K + 2p}{s} \Big\rfloor + 1",
        r"\mathrm{floor}\left(\frac{W - K + 2p}{s}\right) + 1",
        r"\operatorname{floor}\left(\frac{W - K + 2p}{s}\right) + 1",
        r"\( \lfloor (W - K + 2p)/s \rfloor + 1 \)",
        r"\[ \lfloor (W - K + 2p)/s \rfloor + 1 \]",
        r"$\lfloor (W - K + 2p)/s \rfloor + 1$.",
        r"\lfloor (W - K + 2p)/s \rfloor + 1.",
        "⌊(W - K + 2p)/s⌋ + 1",
    ],
)
def test_the_size_formula_in_every_spelling(answer: str):
    verdict = check(answer, SIZE)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{0} = y_1", ELEMENT),
        ("y_1 = {0}", ELEMENT),
        ("y_{{1}} = {0}", ELEMENT),
        ("{0} = W_{{out}}", SIZE),
        ("W' = {0}", SIZE),
        ("W_{{out}} = {0} = W'", SIZE),
    ],
)
def test_a_name_may_stand_on_either_side(template: str, expected: Expr):
    body = written(ELEMENT) if expected is ELEMENT else r"\lfloor (W - K + 2p)/s \rfloor + 1"
    verdict = check(template.format(body), expected)
    assert verdict.ok, verdict.message


def test_every_side_that_is_a_number_must_be_the_answer():
    size = output_size(9, 3)
    assert check(f"W - K + 1 = 9 - 3 + 1 = {size}", size)
    assert not check(f"W - K + 1 = 9 - 3 + 1 = {size + 1}", size)
    assert not check(f"{size + 1} = {size}", size)


def test_capital_letters_for_the_expected_symbols_are_right_with_a_note():
    verdict = check(r"\lfloor (W - K + 2P)/S \rfloor + 1", SIZE)
    assert verdict.ok, verdict.message
    assert "P read as p" in verdict.message and "S read as s" in verdict.message


def test_a_case_renaming_is_not_made_when_the_answer_uses_both_cases():
    assert not check("W - K + 1 + w - w + k - K", output_size(W, K) + Symbol("k"))


# --------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize(
    "template",
    ["{0}·{1}·{2}", r"{0} \times {1}^2", "({0}, {1}, {2}).", r"\({0} \times {1} \times {2}\)"],
)
def test_shapes_in_the_ways_students_write_them(template: str):
    answer = template.format(*SHAPE)
    assert SHAPE[1] == SHAPE[2]
    assert read_shape(answer) == SHAPE
    assert check(answer, SHAPE)


# --------------------------------------------------------------------------
# What used to escape or mislead


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (r"\bmod(W, s)", SIZE),
        (r"W \bmod s", SIZE),
        (r"\left(W\right", SIZE),
        (r"\left(W", SIZE),
        ("1.41e0", sympy.sqrt(2)),
        ("1.4142", sympy.sqrt(2)),
        ("x", sympy.sqrt(2)),
        (r"\sum_{j=1}^{W} k_j", ELEMENT),
        (r"\sum_{j}", ELEMENT),
        (r"\frac{1}{0}", ELEMENT),
        ("k1_2", ELEMENT),
        ("max()", SIZE),
        ("W = (1, 2)", SIZE),
        (r"M = \begin{bmatrix} 1 \end{bmatrix}", SIZE),
    ],
)
def test_nothing_escapes_check(answer: str, expected: Any):
    verdict = check(answer, expected)
    assert isinstance(verdict.ok, bool)
    if verdict.ok:
        assert expected == sympy.sqrt(2)  # a right rounding of sqrt(2) is right


def test_a_rounding_of_an_irrational_number_is_judged_by_its_digits():
    assert check("1.41e0", sympy.sqrt(2))
    assert not check("1.42e0", sympy.sqrt(2))


def test_a_right_scientific_answer_is_not_called_badly_rounded():
    m, e = mantissa(DENSE, 5)
    verdict = check(rf"{m} \times 10^{e}", DENSE)
    assert verdict.ok and "rounded" not in verdict.message.lower()


def test_thirty_four_nested_brackets_are_read():
    depth = 34
    verdict = check("(" * depth + "W - K + 1" + ")" * depth, output_size(W, K))
    assert verdict.ok, verdict.message


def test_deep_nesting_names_the_depth_it_allows():
    verdict = check("(" * 200 + "W" + ")" * 200, SIZE)
    assert verdict.unreadable
    assert "nested over 50" in verdict.message


def test_read_expression_of_an_equation_is_its_last_side():
    assert read_expression("y_1 = k_1 x_1") == read_expression("k_1 x_1")
    assert read_expression("W' = 7") == Integer(7)
