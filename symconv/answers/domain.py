"""Where a formula's symbols live, and the points a search visits.

A symbol's *role* follows from its name and SymPy assumptions: sizes (``W``,
``H``, channels) and strides and dilations are whole numbers from 1, padding
from 0, a kernel size from 1 fitting its padded input on every spatial axis;
weights and inputs (``k_1``, ``x_3``, ``b``) are numbers of every sign, not
only whole ones.

>>> from sympy import Symbol
>>> [role(Symbol(name)) for name in ("W", "H", "K", "p", "s", "d", "k_1", "x_12")]
['size', 'size', 'kernel', 'padding', 'stride', 'dilation', 'value', 'value']
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator, Sequence
from fractions import Fraction

from sympy import Expr, Number, Symbol

__all__ = ["GRID_POINTS", "Domain", "constants_of", "role"]

#: Points of the exhaustive small grid at most.
GRID_POINTS = 3_000
#: Largest constant of a formula whose neighbours are visited (its square too).
LARGEST = 10**100
#: Constants and neighbours visited two symbols at a time at most.
MAX_NEIGHBOURS = 12

_SIZE_NAMES = {"W", "H", "N", "n", "w", "h", "i", "o", "L", "C"}
_KERNEL_NAMES = {"K", "k", "F", "f", "R"}
_INTEGER_ROLES = ("size", "kernel", "stride", "dilation", "padding", "positive", "integer")
_SUBSCRIPT = re.compile(r"^(?P<base>[^_']+)'*(?:_\{?(?P<sub>[^}]*)\}?)?'*$")
#: Small values of weights and inputs: both signs, fractions, zero.
_SMALL_VALUES = tuple(
    Fraction(v) for v in ("1", "-1", "2", "1/2", "0", "-3", "1/3", "-2/7", "5", "-1/2")
)

#: Small whole values of any sign, ones first so that a counterexample stays readable.
_WHOLE_VALUES = (1, 2, 3, -1, 0, 4, -2, 5, -3, 6, 7, -4, 8, -5, 9, -6)


def _parts(symbol: Symbol) -> tuple[str, str]:
    match = _SUBSCRIPT.match(symbol.name)
    if match is None:
        return symbol.name, ""
    return match.group("base"), match.group("sub") or ""


def role(symbol: Symbol) -> str:
    """What a symbol stands for; it fixes the values a search gives it."""
    base, subscript = _parts(symbol)
    indexed = bool(re.fullmatch(r"[\d,]+", subscript))
    if base in ("p", "P") or (symbol.is_nonnegative and not symbol.is_positive):
        return "padding"
    if base in ("s", "S"):
        return "stride"
    if base in ("d",) or (base == "D" and not indexed):
        return "dilation"
    if indexed and base.islower():
        return "value"  # k_1, x_3, w_1,2: a weight or an input, any number
    if base in _SIZE_NAMES:
        return "size"
    if base in _KERNEL_NAMES:
        return "kernel"
    if symbol.is_positive:
        return "positive"
    if symbol.is_integer:
        return "integer"
    return "value"


def _partner(symbol: Symbol, candidates: Sequence[Symbol]) -> Symbol | None:
    """The kernel (padding, dilation) of a size's axis: same subscript, else the only one."""
    if not candidates:
        return None
    _, subscript = _parts(symbol)
    for candidate in candidates:
        if _parts(candidate)[1] == subscript:
            return candidate
    plain = [c for c in candidates if not _parts(c)[1]]
    return plain[0] if plain else (candidates[0] if len(candidates) == 1 else None)


class Domain:
    """The symbols of two formulas, their roles, and the points worth visiting."""

    def __init__(self, symbols: Sequence[Symbol], constants: Sequence[int] = ()) -> None:
        self.symbols = list(symbols)
        self.roles = {s: role(s) for s in self.symbols}
        by_role: dict[str, list[Symbol]] = {}
        for s in self.symbols:
            by_role.setdefault(self.roles[s], []).append(s)
        # Every spatial axis must fit its kernel: size + 2 padding >= dilation (K - 1) + 1.
        self.axes = [
            (
                size,
                _partner(size, by_role.get("kernel", [])),
                _partner(size, by_role.get("padding", [])),
                _partner(size, by_role.get("dilation", [])),
            )
            for size in by_role.get("size", [])
            if _parts(size)[0] != "C"  # channels have no kernel
        ]
        self.special_values = _special_values(constants)
        self.constants = [c for c in constants if 2 <= abs(c) <= LARGEST][-MAX_NEIGHBOURS:]
        self.neighbours = sorted(
            {c + step for c in constants if 2 <= abs(c) <= LARGEST for step in (-1, 0, 1)}
        )[:MAX_NEIGHBOURS]

    def lowest(self, symbol: Symbol) -> int:
        """The smallest value of a whole-number symbol."""
        kind = self.roles[symbol]
        return 0 if kind == "padding" else 1 if kind in _INTEGER_ROLES[:6] else -(10**6)

    def repaired(self, point: dict[Symbol, Fraction]) -> dict[Symbol, Fraction]:
        """The point moved into the domain: lower bounds kept, every axis fitting its kernel."""
        for symbol in self.symbols:
            kind = self.roles[symbol]
            if kind in _INTEGER_ROLES:
                value = Fraction(int(point[symbol]))
                if kind != "integer":
                    value = max(value, Fraction(self.lowest(symbol)))
                point[symbol] = value
        for size, kernel, padding, dilation in self.axes:
            if kernel is None:
                continue
            pad = point[padding] if padding is not None else 0
            dil = point[dilation] if dilation is not None else 1
            span = dil * (point[kernel] - 1) + 1
            if point[size] + 2 * pad < span:
                point[size] = span - 2 * pad
        return point

    def fits(self, point: dict[Symbol, Fraction]) -> bool:
        """Whether the point lies in the domain (as it was drawn)."""
        return self.repaired(dict(point)) == point

    def grid(self, *, whole: bool = False) -> Iterator[dict[Symbol, Fraction]]:
        """Every point of a small grid of the domain, smallest values first.

        ``whole``: weights and inputs take whole values too (for a readable
        counterexample where any values will do).
        """
        count = max(len(self.symbols), 1)
        top = max(2, min(16, int(GRID_POINTS ** (1 / count))))
        ranges = [self._small(s, top, whole) for s in self.symbols]
        for values in itertools.product(*ranges):
            point = dict(zip(self.symbols, values, strict=True))
            if self.fits(point):
                yield point

    def _small(self, symbol: Symbol, top: int, whole: bool) -> list[Fraction]:
        kind = self.roles[symbol]
        if kind == "value" and not whole:
            return list(_SMALL_VALUES[:top])
        if kind in ("integer", "value"):
            return [Fraction(v) for v in _WHOLE_VALUES[:top]]
        low = self.lowest(symbol)
        return [Fraction(v) for v in range(low, low + top)]

    def special(self) -> Iterator[dict[Symbol, Fraction]]:
        """The formulas' own constants and their neighbours, and round sizes of every
        magnitude, on one symbol at a time (the others smallest, then all large)."""
        bases = [
            {s: Fraction(max(self.lowest(s), 1 if self.roles[s] != "padding" else 0))
             for s in self.symbols},
            {s: Fraction(10**6) for s in self.symbols},
        ]  # fmt: skip
        for base in bases:
            for symbol in self.symbols:
                for value in self.special_values:
                    point = dict(base)
                    point[symbol] = Fraction(value)
                    yield self.repaired(point)

    def pairs(self) -> Iterator[dict[Symbol, Fraction]]:
        """The formulas' own constants and their neighbours on two symbols at once (a
        difference at one point, such as ``W = 499`` with ``p = 997``), the others smallest."""
        base = {
            s: Fraction(max(self.lowest(s), 1 if self.roles[s] != "padding" else 0))
            for s in self.symbols
        }
        for first, second in itertools.combinations(self.symbols, 2):
            for a, b in itertools.product(self.neighbours, repeat=2):
                point = dict(base)
                point[first], point[second] = Fraction(a), Fraction(b)
                yield self.repaired(point)

    def combinations(self) -> Iterator[dict[Symbol, Fraction]]:
        """The formulas' own constants on every symbol at once, in every combination
        (a difference at one point of three or more symbols), the others smallest."""
        base = self._base()
        for chosen in itertools.product([None, *self.constants], repeat=len(self.symbols)):
            point = dict(base)
            for symbol, value in zip(self.symbols, chosen, strict=True):
                if value is not None:
                    point[symbol] = Fraction(value)
            yield self.repaired(point)

    def _base(self) -> dict[Symbol, Fraction]:
        return {
            s: Fraction(max(self.lowest(s), 1 if self.roles[s] != "padding" else 0))
            for s in self.symbols
        }

    def probes(self, rng: random.Random) -> Iterator[dict[Symbol, Fraction]]:
        """Random points mixing the special values with sizes of every magnitude."""
        while True:
            yield self.repaired({s: self._draw(s, rng) for s in self.symbols})

    def _draw(self, symbol: Symbol, rng: random.Random) -> Fraction:
        kind = self.roles[symbol]
        choice = rng.random()
        if kind == "value":
            if choice < 0.3:
                return rng.choice(_SMALL_VALUES)
            return Fraction(rng.randint(-(10**9), 10**9), rng.choice((1, 1, 2, 3, 7, 1000)))
        if choice < 0.35:
            value = rng.choice(self.special_values)
        elif choice < 0.55:
            value = rng.randint(0, 12)
        else:  # log-uniform: every magnitude up to 10^18
            value = int(10 ** rng.uniform(0, 18))
        if kind == "integer" and rng.random() < 0.5:
            value = -value
        return Fraction(value)


def _special_values(constants: Sequence[int]) -> list[int]:
    """Constants of the formulas, their neighbours, and round sizes of every magnitude."""
    values = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10}
    for exponent in range(2, 31):
        values.update({10**exponent - 1, 10**exponent, 10**exponent + 1})
    for exponent in range(4, 101, 4):
        values.update({2**exponent - 1, 2**exponent, 2**exponent + 1})
    for constant in constants:
        c = abs(int(constant))
        if c <= LARGEST:
            values.update({c - 2, c - 1, c, c + 1, c + 2, 2 * c, 2 * c + 1, c * c})
    return sorted(v for v in values if v >= 0)


def constants_of(*exprs: Expr) -> list[int]:
    """The integers a formula is written with (numerators and denominators of its numbers)."""
    found: set[int] = set()
    for expr in exprs:
        for number in expr.atoms(Number):
            if number.is_Rational:
                found.update({abs(int(number.p)), abs(int(number.q))})
    return sorted(found)
