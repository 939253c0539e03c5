"""Evaluating formulas exactly, without ``eval``: over fractions, and modulo a prime.

:func:`exact` compiles a SymPy formula (``+ * ^``, floor, ceiling, ``Mod``,
``max``, ``min``, ``Abs``) into a function of a point that returns a
:class:`~fractions.Fraction`; :func:`modular` compiles a rational function into
one that computes it modulo a prime, so a huge power costs a few
multiplications and two different polynomials are told apart at random points
(Schwartz-Zippel). The prime is drawn at random too (:func:`random_prime`), so
that no answer can be written whose coefficients differ by a multiple of it.

>>> from sympy import symbols, floor
>>> W, s = symbols("W s")
>>> exact(floor(W / s) + 1)({W: 7, s: 2})
Fraction(4, 1)
>>> modular(W**100 - W**100 + 3, random_prime())({W: 12345})
3
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction

from sympy import Abs, Add, Expr, Max, Min, Mod, Mul, Number, Pow, Symbol, ceiling, floor, nextprime

__all__ = [
    "INTEGER_FUNCTIONS",
    "PRIME_BITS",
    "Skip",
    "check_prime",
    "exact",
    "integer_functions",
    "is_rational_function",
    "modular",
    "random_prime",
]

#: Bits of the primes of modular evaluation: a wrong polynomial of degree d
#: vanishes at a random point with probability at most d / 2**(PRIME_BITS - 1).
PRIME_BITS = 127
#: Bits of any number the exact evaluator builds; beyond, the point is skipped.
MAX_BITS = 4096
#: Largest exponent the modular evaluator takes (a bound on the degree it decides).
MAX_EXPONENT = 10**6

Point = Mapping[Symbol, Fraction | int]
INTEGER_FUNCTIONS = (floor, ceiling, Mod, Max, Min, Abs)


class Skip(Exception):
    """A point where a formula is undefined, or a formula that cannot be evaluated exactly."""


def integer_functions(expr: Expr) -> bool:
    """Whether ``expr`` holds floor, ceiling, ``Mod``, ``max``, ``min`` or ``Abs``."""
    return any(expr.has(function) for function in INTEGER_FUNCTIONS)


def is_rational_function(expr: Expr) -> bool:
    """Whether ``expr`` is built from symbols and rationals by ``+ * /`` and integer powers."""
    return all(
        isinstance(node, Symbol | Add | Mul)
        or (isinstance(node, Number) and node.is_Rational)
        or (isinstance(node, Pow) and node.exp.is_Integer)
        for node in _nodes(expr)
    )


def _nodes(expr: Expr) -> list[Expr]:
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.args)
    return found


def exact(expr: Expr) -> Callable[[Point], Fraction]:
    """An exact evaluator over fractions.

    Raises:
        Skip: The formula holds something that cannot be evaluated exactly.
    """
    if isinstance(expr, Symbol):
        return lambda values: Fraction(values[expr])
    if isinstance(expr, Number):
        if not expr.is_Rational:
            raise Skip
        constant = Fraction(int(expr.p), int(expr.q))
        return lambda values: constant
    parts = [exact(arg) for arg in expr.args]
    if isinstance(expr, Add):
        return lambda values: sum((f(values) for f in parts), Fraction(0))
    if isinstance(expr, Mul):

        def product(values: Point) -> Fraction:
            result = Fraction(1)
            for f in parts:
                result *= f(values)
                if _bits(result) > MAX_BITS:
                    raise Skip
            return result

        return product
    if isinstance(expr, Pow):
        base, exponent = parts

        def power(values: Point) -> Fraction:
            e = exponent(values)
            b = base(values)
            if e.denominator != 1 or (b == 0 and e < 0):
                raise Skip
            if _bits(b) * abs(int(e)) > MAX_BITS:
                raise Skip  # too large to compare exactly within the time limit
            return b ** int(e)

        return power
    if isinstance(expr, floor):
        return lambda values: Fraction(math.floor(parts[0](values)))
    if isinstance(expr, ceiling):
        return lambda values: Fraction(math.ceil(parts[0](values)))
    if isinstance(expr, Mod):

        def modulo(values: Point) -> Fraction:
            divisor = parts[1](values)
            if divisor == 0:
                raise Skip
            return parts[0](values) % divisor

        return modulo
    if isinstance(expr, Max):
        return lambda values: max(f(values) for f in parts)
    if isinstance(expr, Min):
        return lambda values: min(f(values) for f in parts)
    if isinstance(expr, Abs):
        return lambda values: abs(parts[0](values))
    raise Skip


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def random_prime() -> int:
    """A prime of :data:`PRIME_BITS` bits drawn afresh from the operating system's randomness.

    Within a check (:func:`check_prime`) one prime serves every comparison.
    """
    chosen = _check_prime.get()
    if chosen is not None:
        return chosen
    start = random.SystemRandom().randrange(2 ** (PRIME_BITS - 1), 2**PRIME_BITS - 2**64)
    return int(nextprime(start))


_check_prime: ContextVar[int | None] = ContextVar("check_prime", default=None)


@contextmanager
def check_prime() -> Iterator[None]:
    """Draw one fresh prime for the comparisons of one check (a matrix's entries, the
    hints' candidates): drawing costs about half a millisecond."""
    token = _check_prime.set(None)
    _check_prime.set(random_prime())
    try:
        yield
    finally:
        _check_prime.reset(token)


def modular(expr: Expr, prime: int) -> Callable[[Mapping[Symbol, int]], int]:
    """An evaluator of a rational function modulo ``prime``.

    Raises:
        Skip: The formula is not a rational function (or has a huge exponent);
            the evaluator raises it at a point where a denominator vanishes.
    """
    if isinstance(expr, Symbol):
        return lambda values: values[expr] % prime
    if isinstance(expr, Number):
        if not expr.is_Rational:
            raise Skip
        constant = int(expr.p) * pow(int(expr.q), -1, prime) % prime
        return lambda values: constant
    parts = [modular(arg, prime) for arg in expr.args]
    if isinstance(expr, Add):
        return lambda values: sum(f(values) for f in parts) % prime
    if isinstance(expr, Mul):

        def product(values: Mapping[Symbol, int]) -> int:
            result = 1
            for f in parts:
                result = result * f(values) % prime
            return result

        return product
    if isinstance(expr, Pow) and expr.exp.is_Integer and abs(expr.exp) <= MAX_EXPONENT:
        base, exponent = parts[0], int(expr.exp)

        def power(values: Mapping[Symbol, int]) -> int:
            b = base(values)
            if b == 0 and exponent < 0:
                raise Skip
            return pow(b, exponent, prime)

        return power
    raise Skip
