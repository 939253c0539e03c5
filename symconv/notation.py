r"""Numbers and formulas as people write them, for the checker and for the sheets alike.

A number in scientific notation is rounded here, exactly, once; the terms of a
formula are put in the order written by hand (``W + 2p - K`` rather than SymPy's
``-K + 2p + W``; ``k_2`` before ``k_10``). The checker states what it expected
and the sheets print their answers with the same rules, so the two never disagree.

>>> significant(99883155456, 5)
(99883, 10)
>>> from sympy import symbols
>>> W, K = symbols("W K")
>>> formula_text(W - K + 1)
'W - K + 1'
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from sympy import Expr
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

__all__ = [
    "FormulaStrPrinter",
    "formula_latex",
    "formula_text",
    "natural_terms",
    "scientific_latex",
    "significant",
]


def _hand_order(expr: Expr) -> list[Expr]:
    """Terms of a sum as written by hand: positive terms, negative terms, then numbers."""

    def key(term: Expr) -> tuple[bool, bool, list[tuple[object, ...]]]:
        names = sorted(_natural_key(s.name) for s in term.free_symbols)
        return (term.is_number, term.could_extract_minus_sign(), names)

    return sorted(expr.args, key=key)


class _FormulaPrinter(LatexPrinter):  # type: ignore[misc]
    def _as_ordered_terms(self, expr: Expr, order: str | None = None) -> list[Expr]:
        return _hand_order(expr)


class FormulaStrPrinter(StrPrinter):  # type: ignore[misc]
    def _as_ordered_terms(self, expr: Expr, order: str | None = None) -> list[Expr]:
        return _hand_order(expr)


def formula_text(expr: Expr) -> str:
    """Plain text of a formula with its terms in the order people write them.

    >>> from sympy import symbols, floor
    >>> W, K, s, p = symbols("W K s p")
    >>> formula_text(floor((W + 2*p - K)/s) + 1), formula_text(W - K + 1)
    ('floor((W + 2*p - K)/s) + 1', 'W - K + 1')
    """
    return str(FormulaStrPrinter().doprint(expr))


def formula_latex(expr: Expr) -> str:
    r"""LaTeX of a formula with its terms in the order people write them.

    >>> from sympy import symbols, floor
    >>> W, K, s, p = symbols("W K s p")
    >>> formula_latex(floor((W + 2*p - K)/s) + 1)
    '\\left\\lfloor{\\frac{W + 2 p - K}{s}}\\right\\rfloor + 1'
    """
    return str(_FormulaPrinter().doprint(expr))


@lru_cache(maxsize=65536)
def _natural_key(name: str) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _term_key(term: Expr) -> tuple[bool, list[tuple[object, ...]]]:
    symbols = term.free_symbols
    return len(symbols) < 2, sorted(_natural_key(s.name) for s in symbols)


def natural_terms(expr: Expr) -> list[Expr]:
    """The terms of a sum in the order a person writes them: ``k_2 x_2`` before ``k_10 x_10``.

    SymPy orders symbols as strings; here subscripts compare as numbers and
    products come before lone symbols, so ``k_1 x_8 + k_2 x_9 + k_3 x_1 + b``
    reads along the kernel with the bias last.

    >>> from sympy import symbols
    >>> natural_terms(sum(symbols("k_10 k_9 k_1")))
    [k_1, k_9, k_10]
    """
    terms = list(expr.args) if expr.is_Add else [expr]
    return sorted(terms, key=_term_key)


def significant(value: Fraction | int, digits: int) -> tuple[int, int]:
    """``value`` rounded to ``digits`` significant digits, exactly: ``(mantissa, exponent)``.

    The value is ``mantissa * 10**(exponent - digits + 1)``, with ``mantissa`` having
    exactly ``digits`` digits (half rounds up).

    >>> significant(99883155456, 5), significant(99999600000, 5)
    ((99883, 10), (10000, 11))
    """
    value = Fraction(value)
    if value == 0:
        return 0, 0
    magnitude = abs(value)
    exponent = len(str(magnitude.numerator)) - len(str(magnitude.denominator))
    while Fraction(10) ** exponent > magnitude:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= magnitude:
        exponent += 1
    scaled = magnitude / Fraction(10) ** (exponent - digits + 1)
    mantissa = int(scaled + Fraction(1, 2))
    if mantissa == 10**digits:  # 9.99996 rounds up to 10.0000
        mantissa, exponent = mantissa // 10, exponent + 1
    return (mantissa if value > 0 else -mantissa), exponent


def scientific_latex(value: Fraction | int, digits: int = 5) -> str:
    r"""``value`` in scientific notation to ``digits`` significant digits.

    >>> scientific_latex(99883155456), scientific_latex(99999600000)
    ('9.9883 \\times 10^{10}', '1.0000 \\times 10^{11}')
    """
    mantissa, exponent = significant(value, digits)
    text = str(abs(mantissa))
    shown = text[0] + ("." + text[1:] if digits > 1 else "")
    sign = "-" if mantissa < 0 else ""
    return rf"{sign}{shown} \times 10^{{{exponent}}}"
