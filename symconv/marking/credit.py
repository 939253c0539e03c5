"""Partial credit and errors carried forward: the share of its points a wrong answer earns.

A matrix of the right dimensions earns its points entry by entry, and a shape
with the right number of axes axis by axis, unless its problem says
``partial = false``; a matrix of other dimensions, or a shape with other axes,
earns nothing. An answer that is wrong against the key but right against what
the student's own wrong answers lead to (an error carried forward) earns the
problem's ``carried`` share.

>>> from sympy import Matrix
>>> credit = partial_credit(Matrix([[1, 2], [3, 5]]), Matrix([[1, 2], [3, 4]]))
>>> credit.share, credit.note
(Fraction(3, 4), '3 of 4 entries right: 3/4 of the points.')
>>> partial_credit((32, 127, 127), (32, 126, 126)).note
'1 of 3 axes right: 1/3 of the points.'
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sympy import Expr, Integer, MatrixBase

from symconv.answers.checking import TIME_LIMIT, check
from symconv.answers.feedback import shape_text
from symconv.answers.lexing import AnswerSyntaxError
from symconv.answers.values import Number, Shape, WrongKind, read_answer
from symconv.sheets.model import Answer

__all__ = ["Credit", "carried_credit", "partial_credit", "student_value"]


@dataclass(frozen=True)
class Credit:
    """A share of an answer's points (from 0 to 1), and a sentence saying why."""

    share: Fraction
    note: str


def share_text(share: Fraction) -> str:
    """``1/2 of the points``, ``all of the points``.

    >>> share_text(Fraction(1, 2)), share_text(Fraction(1))
    ('1/2 of the points', 'all of the points')
    """
    return "all of the points" if share == 1 else f"{share} of the points"


def partial_credit(given: Any, expected: Any) -> Credit | None:
    """The credit of a wrong matrix entry by entry, or of a wrong shape axis by axis.

    ``given`` is the answer as read (a SymPy matrix, a tuple of sizes); ``None``
    when no part of it can earn points: other dimensions or axes, another kind of
    answer, or entries too many to compare in the time a check may take.
    """
    if isinstance(expected, MatrixBase) and isinstance(given, MatrixBase):
        if given.shape != expected.shape:
            return None
        wrong = _wrong_entries(given, expected)
        if wrong is None:
            return None
        return _credit(len(expected) - wrong, len(expected), "entries")
    if isinstance(expected, tuple) and isinstance(given, tuple) and len(given) == len(expected):
        right = sum(int(a) == int(b) for a, b in zip(given, expected, strict=True))
        return _credit(right, len(expected), "axes")
    return None


def _credit(right: int, parts: int, what: str) -> Credit | None:
    if not parts or right == parts:
        return None
    share = Fraction(right, parts)
    return Credit(share, f"{right} of {parts} {what} right: {share_text(share)}.")


def _wrong_entries(given: MatrixBase, expected: MatrixBase) -> int | None:
    """How many entries differ; ``None`` when comparing them takes longer than one check may."""
    end = time.monotonic() + TIME_LIMIT
    wrong = 0
    for a, b in zip(given, expected, strict=True):
        if a == b:
            continue
        if time.monotonic() > end:
            return None
        # Written differently is not wrong (k_1 (x_1 + x_2) for k_1 x_1 + k_1 x_2): decide.
        wrong += not check(a, b).ok
    return wrong


def student_value(given: Any, expected: Any) -> Any:
    """A student's answer read as the kind of value ``expected`` is (a shape, a number),
    for working out what follows from it; ``None`` when it cannot be read so.

    >>> student_value("32 x 127 x 127", (32, 126, 126)), student_value("2400", 2400)
    ((32, 127, 127), 2400)
    """
    try:
        if isinstance(expected, tuple):
            shape = read_answer(given, "shape")
            return shape.sizes if isinstance(shape, Shape) else None
        if isinstance(expected, int) or (isinstance(expected, Expr) and expected.is_number):
            number = read_answer(given, "number")
            if isinstance(number, Number) and number.value.is_number:
                value = number.value
                return int(value) if isinstance(value, Integer) else value
    except (AnswerSyntaxError, WrongKind, ValueError, TypeError):
        return None
    return None


def carried_credit(
    given: Any, answer: Answer, share: Fraction, sources: Mapping[str, tuple[str, Any]]
) -> Credit | None:
    """The credit of an answer that follows from the student's own wrong answers.

    Args:
        given: The student's answer, as written.
        answer: The sheet's answer, with how it follows from others.
        share: The share of its points the sheet gives (its problem's ``carried``).
        sources: The student's wrong answers it follows from, by key: how to
            name each (``"output tensor shape"``) and its value as read.

    Returns:
        The credit, or ``None`` when the answer does not follow from them either
        (or they lead to the key itself, so it is simply wrong).
    """
    if answer.recompute is None or not sources or share <= 0:
        return None
    try:
        follows = answer.recompute({key: value for key, (_, value) in sources.items()})
    except (ArithmeticError, TypeError, ValueError):
        return None
    if follows == answer.value or not check(given, follows).ok:
        return None
    named = " and ".join(
        f"{name} {shape_text(value) if isinstance(value, tuple) else value}"
        for name, value in sources.values()
    )
    return Credit(share, f"It follows from your {named}: {share_text(share)} carried.")
