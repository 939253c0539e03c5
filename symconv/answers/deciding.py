"""Deciding whether two formulas are equal, and how sure the decision is.

Polynomials and other rational functions (output elements, matrix entries) are
decided at random points modulo a random 127-bit prime, both drawn afresh on every call:
two different ones agree at such a point with probability at most their degree
divided by the prime (Schwartz-Zippel), and three points are tried, so a wrong
"equal" has a chance far below 1e-12. Formulas with floor, ceiling, ``Mod``,
``max`` or ``min`` are proved equal when their expansions agree term by term
(a ceiling of a whole-number fraction first written as a floor);
otherwise they are searched: a small grid of their domain, their own constants
and neighbours, and sizes of every magnitude. Agreement there is evidence, not
proof, and :class:`Decision` says so.

>>> from sympy import symbols, floor
>>> W, K, s = symbols("W K s", integer=True, positive=True)
>>> decide(floor((W - K + s) / s), floor((W - K) / s) + 1, Deadline(2.0)).proved
True
>>> decide(floor(W / s), floor(W / s) + floor(W / 1001), Deadline(2.0)).equal
False
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from sympy import Add, Expr, Mul, Number, Pow, Symbol, ceiling, expand, floor

from symconv.answers.domain import GRID_POINTS, Domain, constants_of
from symconv.answers.evaluation import (
    INTEGER_FUNCTIONS,
    Skip,
    exact,
    is_rational_function,
    modular,
    random_prime,
)
from symconv.answers.limits import MAX_TERMS, Deadline, OutOfTime

__all__ = ["Decision", "Undecidable", "decide"]

#: Random points a rational function is evaluated at (each wrong "equal" has a
#: chance of at most degree / 2**(PRIME_BITS - 1)).
MODULAR_POINTS = 3
#: Largest degree bound decided modulo a prime (degree / prime stays below 1e-12).
MAX_MODULAR_DEGREE = 10**20
#: Points times symbols visited at most looking for a small counterexample of a
#: wrong polynomial.
COUNTEREXAMPLE_COST = 100_000
#: Floors, ceilings, max, min and Mod in a difference that an expansion may rebuild
#: (each costs SymPy milliseconds to a second).
MAX_REBUILT = 8
#: Points of the small grid visited before the formulas' own constants.
SMALL_GRID_POINTS = 400
#: Points of the search beyond the grid for integer formulas.
PROBES = 3_000


class Undecidable(Exception):
    """The formulas cannot be evaluated exactly anywhere on the domain."""


@dataclass(frozen=True)
class Decision:
    """Equal or not; where they differ; whether equality is certain or only searched.

    ``proved`` is ``True`` for a proof or a randomised test whose error is below
    1e-12, ``False`` when a search found no difference at ``points`` points.
    """

    equal: bool
    point: dict[Symbol, Fraction] | None = None
    proved: bool = True
    points: int = 0


def decide(
    given: Expr, expected: Expr, deadline: Deadline, *, counterexample: bool = True
) -> Decision:
    """Decide ``given == expected`` over the expected formula's domain.

    ``counterexample=False`` skips looking for a small point where two different
    polynomials differ (for hints, which only need the answer).

    Raises:
        Undecidable: Neither formula can be evaluated exactly.
        OutOfTime: The deadline passed.
    """
    if given == expected:
        return Decision(True)
    deadline.tick()
    symbols = sorted(given.free_symbols | expected.free_symbols, key=lambda s: s.name)
    domain = Domain(symbols, constants_of(given, expected))
    if is_rational_function(given) and is_rational_function(expected):
        if _modular_equal(given, expected, symbols, deadline):
            return Decision(True)
        point = _counterexample(given, expected, domain, deadline) if counterexample else None
        return Decision(False, point)
    if _expansions_agree(given, expected, deadline):
        return Decision(True)
    return _search(given, expected, domain, deadline)


def _modular_equal(given: Expr, expected: Expr, symbols: list[Symbol], deadline: Deadline) -> bool:
    if degree_bound(given) + degree_bound(expected) > MAX_MODULAR_DEGREE:
        raise Undecidable
    prime = random_prime()
    try:
        f, g = modular(given, prime), modular(expected, prime)
    except (Skip, ValueError):  # ValueError: a denominator divisible by the prime
        raise Undecidable from None
    rng = random.SystemRandom()
    compared = 0
    for _ in range(MODULAR_POINTS * 10):
        deadline.tick()
        point = {s: rng.randrange(prime) for s in symbols}
        try:
            if f(point) != g(point):
                return False
        except Skip:
            continue  # a denominator vanished at this point: draw another
        compared += 1
        if compared == MODULAR_POINTS:
            return True
    raise Undecidable


def degree_bound(expr: Expr) -> int:
    """An upper bound of the degree of the numerator once denominators are cleared."""
    if isinstance(expr, Symbol):
        return 1
    if isinstance(expr, Number):
        return 0
    if isinstance(expr, Pow) and expr.exp.is_Integer:
        return degree_bound(expr.base) * abs(int(expr.exp))
    return sum(degree_bound(arg) for arg in expr.args)


def terms_bound(expr: Expr, cap: int = MAX_TERMS) -> int:
    """An upper bound of the terms of ``expand(expr)``, capped just above ``cap``."""
    if isinstance(expr, Add):
        return min(cap + 1, sum(terms_bound(arg, cap) for arg in expr.args))
    if isinstance(expr, Mul):
        total = 1
        for arg in expr.args:
            total = min(cap + 1, total * terms_bound(arg, cap))
        return total
    if isinstance(expr, Pow) and expr.exp.is_Integer and expr.exp > 0:
        base = terms_bound(expr.base, cap)
        return 1 if base == 1 else min(cap + 1, base ** min(int(expr.exp), 64))
    if any(terms_bound(arg, cap) > cap for arg in expr.args):
        return cap + 1
    return 1


def _expansions_agree(given: Expr, expected: Expr, deadline: Deadline) -> bool:
    """A proof: with the arguments of floor, ceiling, Mod, max and min expanded, the
    difference expands to zero. Tried only when the expansion is small."""
    difference = given - expected
    if terms_bound(difference) > MAX_TERMS or degree_bound(difference) > 64:
        return False
    costly = difference.atoms(*INTEGER_FUNCTIONS)
    if len(costly) > MAX_REBUILT or any(len(node.args) > 4 for node in costly):
        return False  # SymPy compares arguments and divides polynomials as it rebuilds them
    deadline.tick()
    canonical = difference.replace(
        lambda node: isinstance(node, ceiling), _ceiling_as_floor
    ).replace(
        lambda node: node.is_Function and bool(node.args),
        lambda node: node.func(*(expand(arg) for arg in node.args)),
    )
    deadline.tick()
    return bool(expand(canonical) == 0)


def _ceiling_as_floor(node: Expr) -> Expr:
    """``ceiling(N/D)`` as ``floor((N + D - 1)/D)`` when ``N`` and ``D > 0`` are whole numbers.

    Both forms of a size formula then meet: ``ceiling((W - K + 1)/s)`` becomes
    ``floor((W - K + s)/s)``, which SymPy writes ``floor((W - K)/s) + 1``.

    >>> from sympy import symbols
    >>> W, s = symbols("W s", integer=True, positive=True)
    >>> _ceiling_as_floor(ceiling((W + 1) / s))
    floor(W/s) + 1
    """
    numerator, denominator = node.args[0].as_numer_denom()
    if not (numerator.is_integer and denominator.is_integer and denominator.is_positive):
        return node
    return floor(expand((numerator + denominator - 1) / denominator))


def _differs(
    f: Callable[[Mapping[Symbol, Fraction]], Fraction],
    g: Callable[[Mapping[Symbol, Fraction]], Fraction],
    point: Mapping[Symbol, Fraction],
) -> bool | None:
    """Whether answer ``f`` and expected ``g`` differ at ``point`` (``None``: ``g`` undefined).

    An answer undefined where the expected value is defined differs there.
    """
    try:
        want = g(point)
    except Skip:
        return None
    try:
        return bool(f(point) != want)
    except Skip:
        return True


def _compiled(
    given: Expr, expected: Expr
) -> tuple[Callable[[Mapping[Symbol, Fraction]], Fraction], ...]:
    try:
        return exact(given), exact(expected)
    except Skip:
        raise Undecidable from None


def _first_difference(
    given: Expr,
    expected: Expr,
    points: Iterable[dict[Symbol, Fraction]],
    deadline: Deadline,
    budget: int,
) -> tuple[dict[Symbol, Fraction] | None, int]:
    """The first point where the two differ, and how many points were compared."""
    f, g = _compiled(given, expected)
    compared = 0
    for n, point in enumerate(points):
        if n >= budget:
            break
        if n % 16 == 0:
            deadline.tick()
        differs = _differs(f, g, point)
        if differs:
            return point, compared
        compared += differs is not None
    return None, compared


def _search(given: Expr, expected: Expr, domain: Domain, deadline: Deadline) -> Decision:
    """The start of the small grid (for a readable counterexample), the formulas' own
    constants and magnitudes one symbol at a time, their constants two symbols at a
    time and then all at once, the rest of the grid, then random points drawn afresh."""
    compared = 0
    grid = domain.grid()
    stages = (
        (grid, SMALL_GRID_POINTS),
        (domain.special(), GRID_POINTS),
        (domain.pairs(), GRID_POINTS),
        (domain.combinations(), GRID_POINTS),
        (grid, GRID_POINTS - SMALL_GRID_POINTS),
        (domain.probes(random.SystemRandom()), PROBES),
    )
    for points, budget in stages:
        point, count = _first_difference(given, expected, points, deadline, budget)
        if point is not None:
            return Decision(False, point)
        compared += count
    if compared == 0:
        raise Undecidable
    return Decision(True, proved=False, points=compared)


def _counterexample(
    given: Expr, expected: Expr, domain: Domain, deadline: Deadline
) -> dict[Symbol, Fraction] | None:
    """A small point of the domain where two different rational functions differ, or
    ``None`` when a search of bounded cost finds none (the answer is wrong either way)."""
    budget = max(50, COUNTEREXAMPLE_COST // max(len(domain.symbols), 1))
    try:
        point, _ = _first_difference(given, expected, domain.grid(whole=True), deadline, budget)
        if point is None:
            rng = random.Random(1)
            point, _ = _first_difference(given, expected, domain.probes(rng), deadline, budget)
    except (Undecidable, OutOfTime):
        return None
    return point
