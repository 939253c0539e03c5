r"""Random perturbations of every sheet answer are never "Right".

For every marked answer of the weight-sharing sheet and a few seeded variants,
Hypothesis draws a perturbation the way a careless or a contrived answer
differs: a term changed or dropped, an index shifted, a constant added beyond
1000 (for integer formulas, a term that is zero for every size below it, or
nonzero at one point only). The perturbed answer, as a SymPy object and as the
LaTeX SymPy prints for it, must be "Wrong" or "Could not decide".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sympy import Add, Expr, Integer, Symbol, floor

from symconv import check
from symconv.sheets import Answer, build_sheet

SEEDS = (None, 1, 2)
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
INDEXED = re.compile(r"^([A-Za-z]+)_(\d+)$")


def marked_answers(accept: Any) -> list[Any]:
    """Every marked answer of the sheets that ``accept``s its value, each value once."""
    found, seen = [], []
    for seed in SEEDS:
        for problem in build_sheet(seed=seed).problems():
            for answer in problem.answers:
                value = answer.value
                if problem.kind == "text" or value is None or not accept(value):
                    continue
                if any(type(value) is type(other) and value == other for other in seen):
                    continue  # the general size formula is the same in every variant
                seen.append(value)
                found.append(pytest.param(answer, id=f"seed{seed}-{problem.id}-{answer.key}"))
    return found


def is_formula(value: Any) -> bool:
    return isinstance(value, Expr) and not value.is_number


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shifted(expr: Expr, symbol: Symbol, shift: int) -> Expr:
    match = INDEXED.match(symbol.name)
    assert match
    moved = Symbol(f"{match.group(1)}_{int(match.group(2)) + shift}", **symbol.assumptions0)
    return expr.xreplace({symbol: moved})


@st.composite
def perturbed(draw: st.DrawFn, expected: Expr) -> Expr:
    """A formula that differs from ``expected`` on its domain."""
    symbols = sorted(expected.free_symbols, key=lambda v: v.name)
    indexed = [v for v in symbols if INDEXED.match(v.name)]
    integer = expected.has(floor)
    ways = ["constant beyond 1000", "one far point", "term changed"]
    if indexed:
        ways.append("index shifted")
    way = draw(st.sampled_from(ways))
    big = draw(st.integers(1001, 10**6))
    symbol = draw(st.sampled_from(symbols))
    if way == "constant beyond 1000":
        # Zero for every value of the symbol below ``big``: only a search that
        # visits large values (or the answer's own constants) tells.
        extra = floor(symbol / big) if integer or not indexed else symbol * 0 + big
        return expected + extra
    if way == "one far point":
        return expected + floor(1 / ((symbol - big) ** 2 + 1))
    if way == "index shifted":
        moved = draw(st.sampled_from(indexed))
        shift = draw(st.sampled_from([-2, -1, 1, 2]))
        candidate = shifted(expected, moved, shift)
        assume(sympy.expand(candidate - expected) != 0)
        return candidate
    terms = list(Add.make_args(expected))
    term = draw(st.sampled_from(terms))
    factor = draw(st.sampled_from([Integer(0), Integer(2), Integer(-1), symbol]))
    candidate = expected - term + term * factor
    assume(sympy.expand(candidate - expected) != 0)
    return candidate


@pytest.mark.parametrize("answer", marked_answers(is_formula))
@SETTINGS
@given(data=st.data())
def test_a_perturbed_formula_of_the_sheet_is_never_right(answer: Answer, data: st.DataObject):
    wrong = data.draw(perturbed(answer.value))
    for written in (wrong, sympy.latex(wrong)):
        verdict = check(written, answer.value)
        assert not verdict, (written, verdict.message)


@pytest.mark.parametrize("answer", marked_answers(is_count))
@SETTINGS
@given(data=st.data())
def test_a_count_plus_a_constant_is_never_right(answer: Answer, data: st.DataObject):
    delta = data.draw(st.integers(-(10**6), 10**6).filter(bool))
    for written in (answer.value + delta, str(answer.value + delta)):
        assert not check(written, answer.value), written


@pytest.mark.parametrize("answer", marked_answers(lambda v: isinstance(v, sympy.MatrixBase)))
@SETTINGS
@given(data=st.data())
def test_a_matrix_with_a_perturbed_entry_is_never_right(answer: Answer, data: st.DataObject):
    matrix = sympy.Matrix(answer.value)
    row = data.draw(st.integers(0, matrix.rows - 1))
    column = data.draw(st.integers(0, matrix.cols - 1))
    entry = matrix[row, column]
    replacement = data.draw(
        st.sampled_from([Integer(0), Symbol("k_1"), Symbol("x_1"), entry + 1, 2 * entry])
    )
    assume(sympy.expand(replacement - entry) != 0)
    matrix[row, column] = replacement
    assert not check(matrix, answer.value)
