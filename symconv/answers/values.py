"""Reading an answer, whatever its type, into a typed value: the kind the question asks.

A person may hand over text, a SymPy object, a Python number, a tuple or a
nested list. :func:`read_answer` turns it into a :class:`Number`,
:class:`Shape`, :class:`MatrixValue`, :class:`Formula` or :class:`YesNo`
(text is read by :mod:`symconv.answers.reading`, never evaluated), or raises
:class:`WrongKind` for an answer of another kind and
:class:`~symconv.answers.lexing.AnswerSyntaxError` for text it cannot read.

>>> read_answer("2 400 weights", "number")
Number(value=2400, digits=None, text='2 400 weights', sides=(2400,))
>>> read_answer((32, 126, 126), "shape")
Shape(sizes=(32, 126, 126))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from sympy import Basic, Expr, Integer, Matrix, MatrixBase, Rational

from symconv.answers.reading import (
    AnswerSyntaxError,
    Equation,
    read,
    read_matrix,
    read_numbers,
    read_shape,
    significant_digits,
    split_approximately,
)

__all__ = [
    "Formula",
    "MatrixValue",
    "Number",
    "Shape",
    "WrongKind",
    "YesNo",
    "read_answer",
]

Kind = Literal["number", "shape", "matrix", "formula", "yes/no"]


class WrongKind(Exception):
    """The answer is of another kind than the question asks (a wrong answer, not unreadable)."""


@dataclass(frozen=True)
class Number:
    """A number; ``digits`` are the significant digits shown in scientific notation."""

    value: Expr
    digits: int | None = None
    text: str | None = None
    sides: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Shape:
    """A tensor shape."""

    sizes: tuple[int, ...]


@dataclass(frozen=True)
class MatrixValue:
    """A matrix of formulas."""

    matrix: MatrixBase


@dataclass(frozen=True)
class Formula:
    """A formula; ``sides`` are every side of an equation the person wrote."""

    expr: Expr
    sides: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class YesNo:
    """A yes or a no."""

    value: bool


Value = Number | Shape | MatrixValue | Formula | YesNo

_YES = {"yes", "y", "true", "t", "1", "commutes", "it commutes", "equivariant"}
_NO = {"no", "n", "false", "f", "0", "does not commute", "it does not commute", "not equivariant"}


def read_answer(answer: Any, kind: Kind) -> Value:
    """Read ``answer`` as the kind of value the question asks for.

    Raises:
        WrongKind: The answer is another kind of value.
        AnswerSyntaxError: Text that cannot be read.
    """
    reader: dict[str, Callable[[Any], Value]] = {
        "number": _number,
        "shape": _shape,
        "matrix": _matrix,
        "formula": _formula,
        "yes/no": _yes_no,
    }
    return reader[kind](answer)


def _yes_no(answer: Any) -> YesNo:
    if isinstance(answer, bool):
        return YesNo(answer)
    if isinstance(answer, str) and len(answer) < 100:
        word = answer.strip().lower().rstrip(".!")
        if word in _YES | _NO:
            return YesNo(word in _YES)
    raise WrongKind(f"expected yes or no, got {_short(answer)}")


def _shape(answer: Any) -> Shape:
    if isinstance(answer, str):
        return Shape(read_shape(answer))
    if isinstance(answer, int) and not isinstance(answer, bool):
        return Shape((answer,))
    if isinstance(answer, Sequence) and all(_is_integer(item) for item in answer):
        return Shape(tuple(int(item) for item in answer))
    raise WrongKind(f"expected a shape, got {_short(answer)}")


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Basic) and bool(getattr(value, "is_Integer", False))


def _number(answer: Any) -> Number:
    if isinstance(answer, str):
        exact, rounded = split_approximately(answer)
        if rounded is not None:
            # exact \approx rounded: the exact side decides; a side that is no number
            # (a name, W') leaves the rounded form to be read by the rounding rule.
            try:
                sides = read_numbers(exact)
            except AnswerSyntaxError:
                sides = ()
            if sides:
                return Number(sides[-1], significant_digits(exact), answer, sides)
            answer = rounded
        sides = read_numbers(answer)
        return Number(sides[-1], significant_digits(answer), answer, sides)
    if isinstance(answer, bool) or not isinstance(answer, int | float | Fraction | Basic):
        raise WrongKind(f"expected a number, got {_short(answer)}")
    if isinstance(answer, float):
        if not math.isfinite(answer):
            raise WrongKind(f"{answer} is not a number")
        # A float is read as the decimal text it prints as: 9.9883e10, not its binary
        # value; its significant digits are those of that text without trailing zeros.
        shown = repr(answer)
        mantissa = shown.lower().split("e")[0].replace("-", "").replace(".", "")
        digits = len(mantissa.strip("0")) or 1
        return Number(Rational(shown), digits, shown)
    if isinstance(answer, int):
        return Number(Integer(answer))
    if isinstance(answer, Fraction):
        return Number(Rational(answer.numerator, answer.denominator))
    if not (isinstance(answer, Expr) and answer.is_number):
        raise WrongKind(f"expected a number, got {_short(answer)}")
    return Number(answer)


def _matrix(answer: Any) -> MatrixValue:
    if isinstance(answer, str):
        return MatrixValue(read_matrix(answer))
    if isinstance(answer, MatrixBase):
        return MatrixValue(answer)
    if isinstance(answer, Sequence) and answer and all(isinstance(r, Sequence) for r in answer):
        rows = [[_entry(v) for v in row] for row in answer]
        if len({len(row) for row in rows}) != 1:
            raise WrongKind("the rows of the matrix have different lengths")
        return MatrixValue(Matrix(rows))
    raise WrongKind(f"expected a matrix, got {type(answer).__name__}")


def _entry(value: Any) -> Expr:
    if isinstance(value, str):
        entry = read(value)
        if isinstance(entry, Expr):
            return entry
        raise WrongKind("a matrix entry must be a single formula")
    if isinstance(value, int) and not isinstance(value, bool):
        return Integer(value)
    if isinstance(value, Expr):
        return value
    raise WrongKind(f"cannot read a matrix entry of type {type(value).__name__}")


def _formula(answer: Any) -> Formula:
    if isinstance(answer, str):
        value = read(answer)
        if isinstance(value, Equation):
            if not all(isinstance(side, Expr) for side in value.sides):
                raise WrongKind("expected a formula, not a list or matrix")
            return Formula(value.sides[-1], value.sides)
        if isinstance(value, Expr):
            return Formula(value, (value,))
        raise WrongKind("expected a single formula, not a list or matrix")
    if isinstance(answer, bool):
        raise WrongKind(f"expected a formula, got {answer!r}")
    if isinstance(answer, int):
        return Formula(Integer(answer), (Integer(answer),))
    if isinstance(answer, float) and math.isfinite(answer):
        return Formula(Rational(repr(answer)), (Rational(repr(answer)),))
    if isinstance(answer, Expr):
        return Formula(answer, (answer,))
    raise WrongKind(f"expected a formula, got {type(answer).__name__}")


def _short(answer: Any) -> str:
    shown = repr(answer)
    return shown if len(shown) <= 60 else shown[:57] + "..."
