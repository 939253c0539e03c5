r"""Sound decisions: a contrived wrong answer is never "Right".

Every "wrong marked right" case of the red-team pass on 0.1 is here, with the
expected value derived by the library (``output_size``, ``Conv``); each must be
"Wrong" or "Could not decide". Counterexamples are checked by an independent
oracle: both formulas evaluated with Python's ``fractions`` at the point given.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import pytest
import sympy
from sympy import Expr, Integer, Rational, Symbol

from symconv import Conv, Verdict, check, output_size
from symconv.answers.deciding import decide
from symconv.answers.domain import Domain, role
from symconv.answers.limits import Deadline

W, K, s, d, H = sympy.symbols("W K s d H", integer=True, positive=True)
p = Symbol("p", integer=True, nonnegative=True)
SIZE = output_size(W, K, stride=s, padding=p)
DILATED = output_size(W, K, stride=s, padding=p, dilation=d)
ELEMENT = Conv(9, 3).output_element(0)
BASE = r"\left\lfloor \frac{W + 2p - K}{s} \right\rfloor + 1"


def differ_at(given: Expr, expected: Expr, point: dict[str, Any]) -> bool:
    """Oracle: the two formulas at ``point`` (values by name), evaluated exactly."""
    values = {
        symbol: Rational(Fraction(point[symbol.name]))
        for symbol in given.free_symbols | expected.free_symbols
    }
    return bool(given.xreplace(values) != expected.xreplace(values))


def assert_not_right(verdict: Verdict) -> None:
    assert not verdict.ok, verdict.message
    assert verdict.message.startswith(("Wrong", "Could not decide", "could not read")), (
        verdict.message
    )


# --------------------------------------------------------------------------
# Integer formulas that differ only far from small sizes, or at one point

FAR_OR_AT_ONE_POINT = {
    "floor(W/1001)": (BASE + r" + \lfloor W/1001 \rfloor", SIZE),
    "floor(s/1001)": (BASE + r" + \lfloor s/1001 \rfloor", SIZE),
    "floor(p/1001)": (BASE + r" + \lfloor p/1001 \rfloor", SIZE),
    "min(W, 1000)": (r"\lfloor (\min(W, 1000) + 2p - K)/s \rfloor + 1", SIZE),
    "/min(s, 1000)": (r"\lfloor (W + 2p - K)/\min(s, 1000) \rfloor + 1", SIZE),
    "floor(W p / 10^6)": (BASE + r" + \lfloor W p / 10^6 \rfloor", SIZE),
    "floor(d/1001)": (
        r"\lfloor (W + 2p - d(K - 1) - 1)/s \rfloor + 1 + \lfloor d/1001 \rfloor",
        DILATED,
    ),
    "one point (W-499)^2": (BASE + r" + \lfloor 1/((W - 499)^2 + 1) \rfloor", SIZE),
    "one point Mod(W, 997)": (
        BASE + r" + \lfloor 1/(\operatorname{Mod}(W, 997) + 1) \rfloor",
        SIZE,
    ),
    "10^6 + 1": (BASE + r" + \lfloor W/1000001 \rfloor", SIZE),
    "10^20": (BASE + r" + \lfloor W/10^{20} \rfloor", SIZE),
    "10^90": (BASE + r" + \lfloor W/10^{90} \rfloor", SIZE),
    "W p beyond 10^40": (BASE + r" + \lfloor W p/10^{40} \rfloor", SIZE),
    "one point of every symbol": (
        BASE + r" + \lfloor 1/((W-499)^2 + (s-12)^2 + (p-7)^2 + (K-5)^2 + 1) \rfloor",
        SIZE,
    ),
    "one point of two symbols": (
        BASE + r" + \lfloor 1/((W - 499)^2 + (p - 997)^2 + 1) \rfloor",
        SIZE,
    ),
    "a big stride": (BASE + r" + \lfloor s/999999 \rfloor", SIZE),
}


@pytest.mark.parametrize(
    ("answer", "expected"), FAR_OR_AT_ONE_POINT.values(), ids=FAR_OR_AT_ONE_POINT
)
def test_an_integer_formula_wrong_only_far_away_or_at_one_point_is_wrong(
    answer: str, expected: Expr
):
    verdict = check(answer, expected)
    assert_not_right(verdict)
    assert verdict.counterexample is not None, verdict.message
    # verdict.answer is the answer as the checker read it
    assert differ_at(verdict.answer, expected, verdict.counterexample), verdict.counterexample


@pytest.mark.parametrize("run", range(3))
def test_the_search_is_not_the_same_on_every_run_yet_always_finds_the_far_difference(run: int):
    # The constants of the answer (1001) are visited on purpose, not by luck.
    assert not check(BASE + r" + \lfloor W/1001 \rfloor", SIZE)


def test_a_right_integer_formula_without_a_proof_says_it_is_evidence():
    # True on the domain only (the kernel fits), so no expansion proves it.
    verdict = check(r"\max(\lfloor (W + 2p - K)/s \rfloor + 1, 1)", SIZE)
    assert verdict.ok, verdict.message
    assert not verdict.proved
    assert "not a proof" in verdict.message


def test_the_ceiling_form_of_the_size_formula_is_proved():
    verdict = check(r"\lceil (W + 2p - K + 1)/s \rceil", SIZE)
    assert verdict.ok and verdict.proved, verdict.message
    assert verdict.message == "Right."


def test_a_right_integer_formula_with_a_proof_says_right_plainly():
    verdict = check(r"\lfloor (W + 2p - K + s)/s \rfloor", SIZE)
    assert verdict.ok and verdict.proved
    assert verdict.message == "Right."


# --------------------------------------------------------------------------
# Polynomials: random points drawn afresh, weights and inputs of every sign


def vanishing_on(points: list[dict[Symbol, int]], symbol: Symbol) -> Expr:
    """Oracle: a nonzero polynomial in ``symbol`` that is zero at every given value."""
    return sympy.Mul(*(symbol - point[symbol] for point in points))


def test_a_polynomial_built_to_vanish_at_fixed_points_is_wrong():
    # Whatever fixed points a checker might use, an answer can be built to vanish
    # on all of them; fresh random points from a huge range defeat it.
    k_1 = sorted(ELEMENT.free_symbols, key=str)[0]
    chosen = [{k_1: value} for value in random.Random(0).sample(range(-(10**6), 10**6), 40)]
    chosen += [{k_1: value} for value in range(-20, 21)]
    verdict = check(ELEMENT + vanishing_on(chosen, k_1), ELEMENT)
    assert_not_right(verdict)


def test_a_polynomial_decision_draws_fresh_points_on_every_call(monkeypatch: pytest.MonkeyPatch):
    drawn: list[int] = []
    real = random.SystemRandom.randrange

    def spy(self: random.SystemRandom, *args: Any) -> int:
        value = real(self, *args)
        drawn.append(value)
        return value

    monkeypatch.setattr(random.SystemRandom, "randrange", spy)
    k_1, x_1 = Symbol("k_1"), Symbol("x_1")
    unexpanded = ELEMENT - k_1 * x_1 + (k_1 + 1) * x_1 - x_1  # equal, written otherwise
    assert unexpanded != ELEMENT
    assert decide(unexpanded, ELEMENT, Deadline(2.0)).equal
    first = list(drawn)
    drawn.clear()
    assert decide(unexpanded, ELEMENT, Deadline(2.0)).equal
    assert first and drawn and first != drawn


@pytest.mark.parametrize("bits", [31, 61, 89, 107, 127, 521])
def test_a_coefficient_off_by_a_mersenne_prime_is_wrong(bits: int):
    # Modulo a fixed prime these would vanish; the prime is drawn afresh too.
    prime = 2**bits - 1
    assert sympy.isprime(prime)
    x_1 = Symbol("x_1")
    verdict = check(ELEMENT + prime * x_1, ELEMENT)
    assert_not_right(verdict)
    assert_not_right(check(sympy.latex(ELEMENT + prime * x_1), ELEMENT))


def test_a_huge_power_that_equals_the_expected_polynomial_is_right():
    x = sorted(ELEMENT.free_symbols, key=str)[-1]
    answer = ELEMENT + (x + 1) ** 300 - (x + 1) ** 300
    assert check(answer, ELEMENT)


WEIGHT_TRICKS = {
    "max(k_1, 0)": r"\max(k_1, 0) x_1 + k_2 x_2 + k_3 x_3",
    "floor of the element": r"\lfloor k_1 x_1 + k_2 x_2 + k_3 x_3 \rfloor",
    "ceiling of a weight": r"\lceil k_1 \rceil x_1 + k_2 x_2 + k_3 x_3",
    "abs of an input": r"k_1 |x_1| + k_2 x_2 + k_3 x_3",
    "min(x_1, 10^6)": r"k_1 \min(x_1, 1000000) + k_2 x_2 + k_3 x_3",
    "x_11 for x_1": r"k_1 \cdot x_11 + k_2 \cdot x_2 + k_3 \cdot x_3",
}


@pytest.mark.parametrize("answer", WEIGHT_TRICKS.values(), ids=WEIGHT_TRICKS)
def test_weights_and_inputs_are_numbers_of_every_sign_not_sizes(answer: str):
    verdict = check(answer, ELEMENT)
    assert_not_right(verdict)


@pytest.mark.parametrize("name", ["k_1", "x_3", "w_12", "b_1", "x_1,2"])
def test_indexed_lowercase_names_are_values_of_every_sign(name: str):
    assert role(Symbol(name)) == "value"


# --------------------------------------------------------------------------
# Every spatial axis fits its kernel


def brute_force_area(height: int, width: int, kernel: int, stride: int) -> int:
    """Oracle: the windows of a 2-D valid convolution, counted one by one."""
    return sum(
        1
        for top in range(0, height - kernel + 1, stride)
        for left in range(0, width - kernel + 1, stride)
    )


def test_the_area_formula_is_right_in_both_mirror_images():
    area = output_size(H, K, stride=s) * output_size(W, K, stride=s)
    for answer in (
        "Max(floor((H-K)/s)+1, 0)*(floor((W-K)/s)+1)",
        "(floor((H-K)/s)+1)*Max(floor((W-K)/s)+1, 0)",
    ):
        verdict = check(answer, area)
        assert verdict.ok, verdict.message
    for h, w, k, stride in [(5, 7, 3, 2), (3, 3, 3, 1), (9, 4, 2, 3)]:
        assert area.subs({H: h, W: w, K: k, s: stride}) == brute_force_area(h, w, k, stride)


def test_every_point_the_search_visits_fits_the_kernel_on_every_axis():
    domain = Domain([H, K, W, p, s], [1001])
    points = list(domain.grid())[:500]
    rng = random.Random(3)
    points += list(domain.special())
    probes = domain.probes(rng)
    points += [next(probes) for _ in range(2000)]
    for point in points:
        span = point[K]
        assert point[H] + 2 * point[p] >= span and point[W] + 2 * point[p] >= span, point
        assert point[s] >= 1 and point[p] >= 0


def test_the_search_visits_sizes_of_every_magnitude_and_the_answers_constants():
    domain = Domain([W], [997])
    probes = domain.probes(random.Random(5))
    seen = {int(point[W]) for point in domain.special()}
    seen |= {int(next(probes)[W]) for _ in range(3000)}
    assert {996, 997, 998, 1001, 10**6}.issubset(seen)
    assert max(seen) >= 10**9
    assert {int(math.log10(v)) for v in seen if v > 0} >= set(range(10))


# --------------------------------------------------------------------------
# Equations and adjacent numbers


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("7 = 9", Integer(9)),
        ("9 = 7", Integer(9)),
        ("W - K = W - K + 1", output_size(W, K)),
        ("W - K + 1 = W - K", output_size(W, K)),
        ("24 100", Integer(Conv((16, 16), 5, in_channels=3, out_channels=32).weight_count)),
        ("3 7", Integer(21)),
    ],
)
def test_every_side_is_read_and_adjacent_numbers_are_not_a_product(answer: str, expected: Any):
    assert_not_right(check(answer, expected))


def test_floor_of_the_formula_is_not_confused_with_the_formula():
    verdict = check("(W + 2*p - K)/s + 1", SIZE)
    assert not verdict
    assert differ_at(verdict.answer, SIZE, verdict.counterexample or {})
