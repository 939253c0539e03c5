r"""Deciding whether an answer equals what symconv derives, and saying why not.

The expected values are the derived answers of the weight-sharing sheet (its
default numbers and a few seeded variants) and what ``Conv`` and
``output_size`` derive. Wrong answers are built from them programmatically, the
way people get them wrong: a floor left out, indices shifted by one, the kernel
flipped, a shape transposed, a count off in its last digits, a matrix entry
changed. Counterexamples are verified by substituting them into both formulas.
"""

from __future__ import annotations

import itertools
import math
import re
import textwrap
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sympy import Add, Expr, Integer, Matrix, Symbol, ceiling, floor

from symconv import Conv, SymconvError, Verdict, check, output_size
from symconv.answers.checking import MIN_DIGITS
from symconv.sheets import Answer, build_sheet
from symconv.testing import assert_equivalent

pytest_plugins = ["pytester"]

#: The default sheet and a few variants (between them both kernel sizes, see below).
SEEDS = (None, 1, 2, 4, 5)
SHEETS = {seed: build_sheet(seed=seed) for seed in SEEDS}

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def sheet_answers(
    accept: Callable[[Answer], bool] = lambda answer: True,
) -> Iterator[Any]:
    """``pytest.param(seed, answer)`` for every marked answer of every sheet that ``accept``s."""
    for seed, sheet in SHEETS.items():
        for problem in sheet.problems():
            if problem.kind == "text":
                continue
            for answer in problem.answers:
                if accept(answer):
                    yield pytest.param(seed, answer, id=f"seed{seed}-{problem.id}-{answer.key}")


def is_formula(answer: Answer) -> bool:
    return isinstance(answer.value, Expr) and not answer.value.is_number


def is_element(answer: Answer) -> bool:
    """An output element: a formula in the x symbols."""
    return is_formula(answer) and any(s.name.startswith("x_") for s in answer.value.free_symbols)


def is_matrix(answer: Answer) -> bool:
    return isinstance(answer.value, sympy.MatrixBase)


def is_shape(answer: Answer) -> bool:
    return isinstance(answer.value, tuple)


def is_count(answer: Answer) -> bool:
    return isinstance(answer.value, int) and not isinstance(answer.value, bool)


def written(value: Any) -> str:
    """``value`` in SymPy syntax, as Python prints it."""
    return sympy.sstr(value) if isinstance(value, sympy.Basic) else str(value)


# --------------------------------------------------------------------------
# Oracles: index arithmetic on symbol names, domains, substitution


INDEXED = re.compile(r"^([A-Za-z]+)_(\d+)$")


def reindexed(expr: Expr, letter: str, index: Callable[[int], int]) -> Expr:
    """``expr`` with every ``letter_i`` renamed ``letter_{index(i)}``."""
    mapping = {}
    for symbol in expr.free_symbols:
        match = INDEXED.match(symbol.name)
        if match and match.group(1) == letter:
            mapping[symbol] = Symbol(f"{letter}_{index(int(match.group(2)))}")
    return expr.xreplace(mapping)


def indices(expr: Expr, letter: str) -> list[int]:
    found = (INDEXED.match(s.name) for s in expr.free_symbols)
    return sorted(int(m.group(2)) for m in found if m and m.group(1) == letter)


def kernel_size(sheet: Any) -> int:
    """The 1-D kernel's length: the most ``k`` indices any output element uses."""
    return max(
        max(indices(a.value, "k"), default=0)
        for p in sheet.problems()
        for a in p.answers
        if is_element(a)
    )


def substituted(expr: Any, point: dict[str, int]) -> Any:
    """``expr`` at ``point`` (values by symbol name); every symbol must have a value."""
    missing = {s.name for s in expr.free_symbols} - set(point)
    assert not missing, f"the counterexample gives no value for {sorted(missing)}"
    return expr.xreplace({s: Integer(point[s.name]) for s in expr.free_symbols})


def assert_counterexample(verdict: Verdict, given: Expr, expected: Expr) -> None:
    """The counterexample names every symbol of ``expected``, lies in its domain, and
    the two formulas really differ there."""
    point = verdict.counterexample
    assert point is not None, verdict.message
    assert {s.name for s in expected.free_symbols} <= set(point), point
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in point.values()), point
    for symbol in expected.free_symbols:
        if symbol.is_positive:
            assert point[symbol.name] >= 1, (symbol, point)
        if symbol.is_nonnegative:
            assert point[symbol.name] >= 0, (symbol, point)
    if {"W", "K"} <= set(point):  # the kernel fits its padded input
        span = point.get("d", 1) * (point["K"] - 1) + 1
        assert point["W"] + 2 * point.get("p", 0) >= span, point
    assert substituted(given, point) != substituted(expected, point), point


# Symbols of the general formulas, with the assumptions of their domain.
W, K, s, d = sympy.symbols("W K s d", integer=True, positive=True)
p = sympy.Symbol("p", integer=True, nonnegative=True)


# --------------------------------------------------------------------------
# Every derived answer, written as the sheet writes it or in SymPy syntax, is right


def test_the_seeds_cover_both_kernel_sizes_and_several_lengths():
    assert len({kernel_size(sheet) for sheet in SHEETS.values()}) >= 2
    assert len({sheet.problem("1a").answer("size").value for sheet in SHEETS.values()}) >= 3


def elided(answer: Answer) -> bool:
    """The sheet prints a large matrix with dots; that LaTeX is not a whole answer."""
    return r"\cdots" in answer.latex


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(lambda a: not elided(a))))
def test_the_derived_answers_own_latex_is_right(seed: int | None, answer: Answer):
    verdict = check(answer.latex, answer)
    assert verdict, verdict.message
    assert verdict.ok and verdict.decided and not verdict.unreadable
    assert verdict.counterexample is None
    assert check(answer.latex, answer.value)


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(elided)))
def test_an_elided_matrix_is_unreadable_and_the_whole_matrix_is_right(seed, answer: Answer):
    verdict = check(answer.latex, answer)
    assert not verdict
    assert verdict.unreadable
    assert "elided" in verdict.message
    assert check(tex_matrix(Matrix(answer.value)), answer)


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers()))
def test_the_derived_answer_in_sympy_syntax_is_right(seed: int | None, answer: Answer):
    verdict = check(written(answer.value), answer)
    assert verdict, verdict.message
    assert check(answer.value, answer)


# --------------------------------------------------------------------------
# Formulas: the floor left out, indices off by one, the kernel flipped


@pytest.mark.parametrize(
    ("seed", "answer"), list(sheet_answers(lambda a: is_formula(a) and a.value.has(floor)))
)
def test_omitting_the_floor_is_wrong_with_a_verified_counterexample(seed, answer):
    expected = answer.value
    unfloored = expected.replace(floor, lambda argument: argument)
    assert unfloored != expected
    for text in (sympy.latex(unfloored), written(unfloored)):
        verdict = check(text, answer)
        assert not verdict
        assert verdict.decided
        assert "floor" in verdict.message
        assert_counterexample(verdict, unfloored, expected)


@pytest.mark.parametrize(
    "expected",
    [
        output_size(W, K, stride=s, padding=p),
        output_size(W, K, stride=s, padding=p, dilation=d),
        output_size(W, K, stride=s),
        output_size(W, 3, stride=s, padding=p),
    ],
    ids=["general", "dilated", "no padding", "three taps"],
)
def test_omitting_the_floor_of_any_size_formula(expected: Expr):
    unfloored = expected.replace(floor, lambda argument: argument)
    verdict = check(sympy.latex(unfloored), expected)
    assert not verdict
    assert "floor" in verdict.message
    assert_counterexample(verdict, unfloored, expected)


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_element)))
@pytest.mark.parametrize("shift", [1, -1])
def test_x_indices_off_by_one(seed, answer, shift: int):
    expected = answer.value
    shifted = reindexed(expected, "x", lambda i: i + shift)
    for text in (sympy.latex(shifted), written(shifted)):
        verdict = check(text, answer)
        assert not verdict
        assert "off by" in verdict.message, verdict.message
        assert_counterexample(verdict, shifted, expected)


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_element)))
def test_a_flipped_kernel_is_called_flipped(seed, answer):
    size = kernel_size(SHEETS[seed])
    expected = answer.value
    flipped = reindexed(expected, "k", lambda i: size + 1 - i)
    assert flipped != expected
    verdict = check(sympy.latex(flipped), answer)
    assert not verdict
    assert "flipped" in verdict.message, verdict.message
    assert_counterexample(verdict, flipped, expected)


def test_a_flipped_kernel_is_what_true_convolution_gives():
    # The oracle of the test above agrees with the engine's flip=True.
    for padding in (0, "same"):
        for index in (0, -1):
            conv = Conv(9, 3, padding=padding)
            taps = len(conv.kernel_symbols)
            flipped = reindexed(conv.output_element(index), "k", lambda i, t=taps: t + 1 - i)
            assert flipped == Conv(9, 3, padding=padding, flip=True).output_element(index)


def test_a_missing_term_is_named():
    conv = Conv(9, 3)
    expected = conv.output_element(0)
    terms = Add.make_args(expected)
    for dropped in terms:
        verdict = check(expected - dropped, expected)
        assert not verdict
        assert "missing" in verdict.message and str(dropped) in verdict.message
        assert_counterexample(verdict, expected - dropped, expected)


# --------------------------------------------------------------------------
# Integer formulas: equivalent forms are right, near misses are wrong


@pytest.mark.parametrize(
    "text",
    [
        "floor((W + 2*p - K + s)/s)",
        r"\left\lfloor \frac{W + 2p - K + s}{s} \right\rfloor",
        "floor((W + 2*p - K)/s + 1)",
        "ceiling((W + 2*p - K + 1)/s)",
        r"\left\lfloor \frac{W + 2p - K}{s} \right\rfloor + 1",
        "1 + floor((2*p + W - K)/s)",
    ],
)
@pytest.mark.parametrize("seed", SEEDS)
def test_equivalent_forms_of_the_general_size_are_right(text: str, seed):
    answer = SHEETS[seed].problem("1f").answer("general")
    verdict = check(text, answer)
    assert verdict, verdict.message
    assert verdict.decided


def test_ceiling_and_floor_forms_of_same_padding_are_right_both_ways():
    same = output_size(W, K, stride=s, padding="same")
    assert same.has(ceiling)
    for text in ("floor((W + s - 1)/s)", r"\left\lfloor \frac{W+s-1}{s} \right\rfloor"):
        assert check(text, same), text
    assert check(sympy.latex(same), floor((W + s - 1) / s))
    assert check(same, floor((W + s - 1) / s))


@pytest.mark.parametrize(
    "wrong",
    [
        floor((W + 2 * p - K) / s),
        ceiling((W + 2 * p - K) / s) + 1,
        floor((W + 2 * p - K + 1) / s) + 1,
        floor((W + p - K) / s) + 1,
        floor((W + 2 * p - K) / s) + 2,
    ],
    ids=["no +1", "ceiling", "+1 inside", "one-sided padding", "+2"],
)
def test_near_misses_of_the_general_size_are_wrong_with_a_verified_counterexample(wrong: Expr):
    answer = SHEETS[None].problem("1f").answer("general")
    for given_ in (wrong, sympy.latex(wrong), written(wrong)):
        verdict = check(given_, answer)
        assert not verdict
        assert verdict.decided
        assert_counterexample(verdict, wrong, answer.value)


@pytest.mark.parametrize(
    "wrong",
    [
        "W^{1/2}",
        r"\sqrt{W}",
        "floor(W^{1/2})",
        "W^{65}",
        "floor((W + 2*p - K)^{100}/s) + 1",
    ],
)
def test_answers_that_cannot_be_evaluated_exactly_are_never_right(wrong: str):
    # Where an answer cannot be evaluated (a fractional power, a huge one), it
    # must not count as agreeing with the expected formula.
    expected = SHEETS[None].problem("1f").answer("general")
    assert not check(wrong, expected)
    assert not check(wrong, W)


@pytest.mark.parametrize(
    "extra",
    [
        "x_1^{1/2}",
        "(k_1 x_1)^{100}",
        "(x_1 + 3)(x_1 + 2)(x_1 + 1) x_1 (x_1 - 1)(x_1 - 2)",  # zero on a small grid
        "(k_1 - 1)(k_1 - 2)(k_1 - 3)(k_1 - 4)(k_1 - 5)(k_1 - 6)(k_1 - 7)(k_1 - 8)",
    ],
)
def test_an_element_plus_a_term_that_vanishes_on_a_grid_is_wrong(extra: str):
    expected = Conv(9, 3).output_element(0)
    verdict = check(f"{sympy.latex(expected)} + {extra}", expected)
    assert not verdict, verdict.message


# --------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_shape)))
def test_a_transposed_or_permuted_shape_is_wrong(seed, answer):
    shape = answer.value
    others = {order for order in itertools.permutations(shape) if order != shape}
    if not others:
        pytest.skip(f"every permutation of {shape} is itself")
    for order in others:
        for given_ in (order, list(order), " \\times ".join(map(str, order)), str(order)):
            verdict = check(given_, answer)
            assert not verdict
            if len(shape) == 2:
                assert "transpose" in verdict.message, verdict.message
            else:
                assert "order" in verdict.message, verdict.message


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_shape)))
def test_a_shape_with_one_size_wrong_names_that_axis(seed, answer):
    shape = answer.value
    for axis in range(len(shape)):
        wrong = tuple(n + (1 if a == axis else 0) for a, n in enumerate(shape))
        verdict = check(" x ".join(map(str, wrong)), answer)
        assert not verdict
        assert f"axis {axis + 1}" in verdict.message, verdict.message
    verdict = check((*shape, 1), answer)
    assert not verdict and "axes" in verdict.message


# --------------------------------------------------------------------------
# Counts and scientific notation


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_count)))
@pytest.mark.parametrize("delta", [1, -1, 2, -3, 10])
def test_a_count_off_in_its_last_digits_is_wrong(seed, answer, delta: int):
    wrong = answer.value + delta
    for given_ in (wrong, str(wrong), f"{wrong:,}"):
        verdict = check(given_, answer)
        assert not verdict
        assert str(answer.value) in verdict.message


@pytest.mark.parametrize(
    ("seed", "answer"), [a for a in sheet_answers(is_count) if a.values[0] is None]
)
def test_a_count_written_as_a_float_is_marked_not_crashed(seed, answer):
    assert check(float(answer.value), answer)
    verdict = check(float(answer.value + 1), answer)
    assert not verdict


def rounded(value: int, digits: int) -> tuple[str, int] | None:
    """Oracle: ``value`` to ``digits`` significant digits as (mantissa, exponent); None on a tie."""
    exponent = len(str(value)) - 1
    scaled = Fraction(value, 10 ** (exponent - digits + 1))
    if scaled - math.floor(scaled) == Fraction(1, 2):
        return None
    mantissa = round(scaled)
    if mantissa == 10**digits:
        mantissa, exponent = 10 ** (digits - 1), exponent + 1
    text = str(mantissa)
    return text[0] + ("." + text[1:] if digits > 1 else ""), exponent


def scientific_forms(mantissa: str, exponent: int) -> list[str]:
    return [
        rf"{mantissa} \times 10^{{{exponent}}}",
        f"{mantissa}e{exponent}",
        rf"${mantissa} \cdot 10^{{{exponent}}}$",
        f"{mantissa}*10**{exponent}",
    ]


@pytest.mark.parametrize(
    ("seed", "answer"), list(sheet_answers(lambda a: is_count(a) and a.value >= 1000))
)
def test_scientific_notation_is_right_to_the_digits_shown_and_wrong_with_a_wrong_digit(
    seed, answer
):
    value = answer.value
    for digits in range(MIN_DIGITS, min(len(str(value)), 7)):
        result = rounded(value, digits)
        if result is None:
            continue
        mantissa, exponent = result
        for text in scientific_forms(mantissa, exponent):
            verdict = check(text, answer)
            assert verdict, (text, verdict.message)
        last = int(mantissa[-1])
        for wrong_digit in {(last + 1) % 10, (last - 1) % 10}:
            wrong = mantissa[:-1] + str(wrong_digit)
            for text in scientific_forms(wrong, exponent):
                verdict = check(text, answer)
                assert not verdict, text
                assert "significant" in verdict.message


def test_scientific_notation_with_too_few_digits_asks_for_more():
    answer = SHEETS[None].problem("1h").answer("dense_weights")
    mantissa, exponent = rounded(answer.value, MIN_DIGITS - 1)
    verdict = check(f"{mantissa}e{exponent}", answer)
    assert not verdict
    assert f"at least {MIN_DIGITS}" in verdict.message


@pytest.mark.parametrize("approx", [r"\approx", "≈", "~"])
def test_scientific_notation_may_say_approximately(approx: str):
    answer = SHEETS[None].problem("1h").answer("dense_weights")
    result = rounded(answer.value, 4)
    assert result is not None
    mantissa, exponent = result
    text = rf"{approx} {mantissa} \times 10^{{{exponent}}}"
    verdict = check(text, answer)
    assert verdict, verdict.message


# --------------------------------------------------------------------------
# Matrices


def tex_matrix(matrix: Matrix) -> str:
    """Oracle: a bmatrix written by hand from the entries."""

    def entry(value: Any) -> str:
        return re.sub(r"_(\S+)", r"_{\1}", str(value)) if value != 0 else "0"

    rows = (" & ".join(entry(v) for v in matrix.row(i)) for i in range(matrix.rows))
    return "\\begin{bmatrix}\n" + " \\\\\n".join(rows) + "\n\\end{bmatrix}"


def positions(matrix: Matrix) -> list[tuple[int, int]]:
    """A few positions to change: first and last nonzero, a zero, the last corner."""
    nonzero = sorted(matrix.todok())
    zeros = [(i, j) for i in range(matrix.rows) for j in range(matrix.cols) if matrix[i, j] == 0]
    chosen = [nonzero[0], nonzero[len(nonzero) // 2], nonzero[-1]]
    chosen += zeros[-1:]
    return list(dict.fromkeys(chosen))


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_matrix)))
def test_a_matrix_with_one_entry_changed_names_its_row_and_column(seed, answer):
    expected = Matrix(answer.value)
    symbols = sorted(expected.free_symbols, key=lambda v: (len(v.name), v.name))
    for row, column in positions(expected):
        wrong = expected.copy()
        old = wrong[row, column]
        wrong[row, column] = next(v for v in [*symbols, Integer(0)] if v != old)
        for given_ in (wrong, tex_matrix(wrong), wrong.tolist()):
            verdict = check(given_, answer)
            assert not verdict
            assert f"row {row + 1}, column {column + 1}" in verdict.message, verdict.message


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_matrix)))
def test_a_transposed_matrix_is_called_the_transpose(seed, answer):
    expected = Matrix(answer.value)
    if expected.rows == expected.cols:
        verdict = check(expected.T, answer)
        assert not verdict
        return
    for given_ in (expected.T, tex_matrix(expected.T)):
        verdict = check(given_, answer)
        assert not verdict
        assert "transpose" in verdict.message, verdict.message


@pytest.mark.parametrize(("seed", "answer"), list(sheet_answers(is_matrix)))
def test_a_matrix_answer_as_lists_of_strings_is_read(seed, answer):
    expected = Matrix(answer.value)
    rows = [[str(v) for v in expected.row(i)] for i in range(expected.rows)]
    assert check(rows, answer)


# --------------------------------------------------------------------------
# Undecided checks


def test_a_check_that_runs_out_of_time_says_so():
    # SymPy cannot simplify this equivalent form, so the grid search decides it.
    answer = SHEETS[None].problem("1f").answer("general")
    for limit in (0.0, 1e-9):
        verdict = check("ceiling((W + 2*p - K + 1)/s)", answer, time_limit=limit)
        assert not verdict
        assert not verdict.ok
        assert not verdict.decided
        assert "decide" in verdict.message.lower()
    # With time it decides, and it is right.
    assert check("ceiling((W + 2*p - K + 1)/s)", answer).decided


def test_a_decided_verdict_says_it_was_decided():
    expected = Conv(9, 3).output_element(0)
    assert check(expected, expected).decided
    assert check(expected + 1, expected).decided


def test_a_verdict_is_truthy_exactly_when_ok():
    expected = Conv(9, 3).output_element(0)
    for answer in (expected, expected + 1, "k_1 x_1 + #"):
        verdict = check(answer, expected)
        assert bool(verdict) is verdict.ok


# --------------------------------------------------------------------------
# Property tests on small random convolutions


@st.composite
def small_convs(draw: st.DrawFn) -> Conv:
    ndim = draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(2, 7 if ndim == 1 else 4)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, n)) for n in sizes)
    channels = draw(st.sampled_from([None, (1, 2), (2, 1), (2, 2)]))
    options: dict[str, Any] = {
        "stride": draw(st.integers(1, 3)),
        "dilation": draw(st.integers(1, 2)),
        "padding": draw(st.sampled_from([0, 1, 2, "valid", "same", "full"])),
        "shared": draw(st.booleans()),
        "flip": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    if channels is not None:
        options["in_channels"], options["out_channels"] = channels
    try:
        return Conv(sizes[0] if ndim == 1 else sizes, kernel, **options)
    except SymconvError:
        assume(False)
        raise


def flat_element(conv: Conv, flat: int) -> Expr:
    shape = conv.output_shape
    index = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        index.append(rest)
    return conv.output_element(tuple(reversed(index)))


@SETTINGS
@given(small_convs(), st.data())
def test_property_an_element_is_right_as_itself_and_in_latex(conv: Conv, data: st.DataObject):
    element = flat_element(conv, data.draw(st.integers(0, math.prod(conv.output_shape) - 1)))
    assert check(element, element)
    verdict = check(sympy.latex(element), element)
    assert verdict, verdict.message
    if all("," not in v.name for v in element.free_symbols):
        assert check(sympy.sstr(element), element)


@SETTINGS
@given(small_convs(), st.data())
def test_property_a_perturbed_element_is_never_right(conv: Conv, data: st.DataObject):
    element = flat_element(conv, data.draw(st.integers(0, math.prod(conv.output_shape) - 1)))
    terms = Add.make_args(element)
    assume(element != 0)
    inputs = sympy.flatten(conv.input_symbols.tolist())
    with_x = [t for t in terms if any(v in inputs for v in t.free_symbols)]
    how = data.draw(st.sampled_from(["reindex", "drop"] if with_x else ["drop"]))
    if how == "reindex":
        assume(len(inputs) > 1)
        term = data.draw(st.sampled_from(with_x))
        old = next(v for v in term.free_symbols if v in inputs)
        new = data.draw(st.sampled_from([v for v in inputs if v != old]))
        wrong = element - term + term.xreplace({old: new})
    else:
        wrong = element - data.draw(st.sampled_from(terms))
    verdict = check(wrong, element)
    assert not verdict, (wrong, element)
    assert_counterexample(verdict, wrong, element)
    assert not check(sympy.latex(wrong), element)


@st.composite
def size_formulas(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    """``output_size`` with each argument a symbol or a small int."""

    def either(symbol: Symbol, low: int, high: int) -> Any:
        return draw(st.one_of(st.just(symbol), st.integers(low, high)))

    arguments = {
        "W": either(W, 1, 12),
        "K": either(K, 1, 5),
        "stride": either(s, 1, 3),
        "dilation": either(d, 1, 2),
        "padding": draw(
            st.one_of(st.just(p), st.integers(0, 2), st.sampled_from(["same", "full"]))
        ),
    }
    try:
        formula = output_size(
            arguments["W"],
            arguments["K"],
            stride=arguments["stride"],
            padding=arguments["padding"],
            dilation=arguments["dilation"],
        )
    except SymconvError:
        assume(False)
        raise
    return formula, arguments


@SETTINGS
@given(size_formulas())
def test_property_a_size_formula_is_right_as_itself_and_wrong_plus_one(formula_and_arguments):
    formula, _ = formula_and_arguments
    if isinstance(formula, int) or formula.is_number:
        assert check(str(formula), formula)
        assert not check(formula + 1, formula)
        return
    assert check(formula, formula)
    for text in (sympy.latex(formula), written(formula)):
        verdict = check(text, formula)
        assert verdict, (text, verdict.message)
    wrong = formula + 1
    verdict = check(written(wrong), formula)
    assert not verdict
    assert_counterexample(verdict, wrong, formula)


@SETTINGS
@given(small_convs(), st.data())
def test_property_shapes_are_right_and_a_size_plus_one_is_wrong(conv: Conv, data: st.DataObject):
    for shape in (conv.input_shape, conv.filter_shape, conv.output_shape):
        assert check(shape, shape)
        assert check(" \\times ".join(map(str, shape)), shape)
        axis = data.draw(st.integers(0, len(shape) - 1))
        wrong = tuple(n + (a == axis) for a, n in enumerate(shape))
        assert not check(wrong, shape)
        assert not check(" x ".join(map(str, wrong)), shape)


@SETTINGS
@given(small_convs())
def test_property_counts_are_right_and_one_more_is_wrong(conv: Conv):
    for count in (conv.weight_count, conv.dense_weight_count):
        assert check(str(count), count)
        assert check(count, count)
        assert not check(count + 1, count)
        assert not check(str(count + 1), count)


@SETTINGS
@given(small_convs(), st.data())
def test_property_matrices_are_right_and_two_swapped_entries_are_wrong(
    conv: Conv, data: st.DataObject
):
    matrix = Matrix(conv.matrix())
    assert check(matrix, matrix)
    if matrix.cols <= 10:
        verdict = check(sympy.latex(matrix), matrix)
        assert verdict, verdict.message
    entries = [(i, j) for i in range(matrix.rows) for j in range(matrix.cols)]
    first = data.draw(st.sampled_from(entries))
    others = [e for e in entries if matrix[e] != matrix[first]]
    assume(others)
    second = data.draw(st.sampled_from(others))
    wrong = matrix.copy()
    wrong[first], wrong[second] = matrix[second], matrix[first]
    verdict = check(wrong, matrix)
    assert not verdict
    for row, column in (first, second):
        assert f"row {row + 1}, column {column + 1}" in verdict.message, verdict.message


# --------------------------------------------------------------------------
# symconv.testing.assert_equivalent


def test_assert_equivalent_raises_with_the_verdicts_message():
    expected = Conv(9, 3).output_element(0)
    wrong = reindexed(expected, "x", lambda i: i + 1)
    with pytest.raises(AssertionError) as info:
        assert_equivalent(sympy.latex(wrong), expected)
    assert str(info.value) == check(sympy.latex(wrong), expected).message
    assert "off by" in str(info.value)


def test_assert_equivalent_passes_silently_when_right():
    for param in sheet_answers(lambda a: not elided(a)):
        _seed, answer = param.values
        assert assert_equivalent(answer.latex, answer) is None


def test_assert_equivalent_passes_options_on():
    answer = SHEETS[None].problem("1f").answer("general")
    with pytest.raises(AssertionError, match="decide"):
        assert_equivalent("ceiling((W + 2*p - K + 1)/s)", answer, time_limit=0.0)


# --------------------------------------------------------------------------
# The pytest plugin


def section(output: str, title: str) -> str:
    """The text of pytest's report section ``title`` (up to the next section line)."""
    lines = output.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.fullmatch(rf"-+ {re.escape(title)} -+", line)),
        None,
    )
    assert start is not None, output
    body = []
    for line in lines[start + 1 :]:
        if re.fullmatch(r"[-=_]{3,}.*", line):
            break
        body.append(line)
    return "\n".join(body)


def test_plugin_shows_the_verdicts_feedback_for_a_bare_assert(pytester: pytest.Pytester):
    general = SHEETS[None].problem("1f").answer("general").value
    wrong = written(general.replace(floor, lambda argument: argument))
    message = check(wrong, general).message
    pytester.makepyfile(
        test_answers=textwrap.dedent(
            f"""
            from symconv import check
            from symconv.sheets import build_sheet

            def test_general_size():
                right = build_sheet().problem("1f").answer("general")
                assert check({wrong!r}, right)

            def test_kept_in_a_variable():
                right = build_sheet().problem("1f").answer("general")
                verdict = check({wrong!r}, right)
                assert verdict

            def test_right():
                right = build_sheet().problem("1f").answer("general")
                assert check(right.latex, right)

            def test_unrelated_failure():
                assert 1 == 2
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    output = result.stdout.str()
    assert output.count("symconv check") == 2, output
    assert message in section(output, "symconv check")
    assert "floor" in message


def test_plugin_shows_the_message_of_a_wrong_matrix_in_full(pytester: pytest.Pytester):
    expected = Matrix(SHEETS[None].problem("1c").answer("matrix").value)
    wrong = expected.T
    message = check(wrong, expected).message
    pytester.makepyfile(
        test_matrix=textwrap.dedent(
            f"""
            from symconv import check
            from symconv.sheets import build_sheet

            def test_matrix():
                right = build_sheet().problem("1c").answer("matrix")
                assert check({sympy.sstr(wrong)!r}, right)
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert message in section(result.stdout.str(), "symconv check")
