r"""Checking answers people derived by hand: read, decide, explain.

:func:`check` reads an answer into a typed value (:mod:`~symconv.answers.values`),
decides it against the expected value (:mod:`~symconv.answers.deciding`) and
explains a wrong one (:mod:`~symconv.answers.feedback`), all within one time
limit; nothing escapes it but a :class:`~symconv.errors.SymconvError` for an
``expected`` value it cannot compare with.

>>> from symconv import Conv
>>> check("k_1 x_1 + k_2 x_2 + k_3 x_3", Conv(9, 3).output_element(0)).ok
True
>>> verdict = check("k_1 x_2 + k_2 x_3 + k_3 x_4", Conv(9, 3).output_element(0))
>>> print(verdict.message)
Wrong: the indices of x are off by 1 (x_2 where x_1 belongs)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sympy import Basic, Expr, Integer, MatrixBase, Rational, Symbol

from symconv.answers import feedback
from symconv.answers.deciding import Undecidable, decide
from symconv.answers.evaluation import INTEGER_FUNCTIONS, check_prime, integer_functions
from symconv.answers.lexing import AnswerSyntaxError
from symconv.answers.limits import Deadline, Interrupted, OutOfTime, alarm, current_deadline
from symconv.answers.reading import read_expression
from symconv.answers.values import (
    Formula,
    MatrixValue,
    Number,
    Shape,
    WrongKind,
    YesNo,
    read_answer,
)
from symconv.answers.verdict import Verdict, right, undecided, unreadable, wrong
from symconv.errors import SymconvError
from symconv.notation import scientific_latex, significant

__all__ = ["MIN_DIGITS", "TIME_LIMIT", "check"]

#: Seconds a single check may take before it says it could not decide.
TIME_LIMIT = 2.0
#: Fewest significant digits an answer in scientific notation must show.
MIN_DIGITS = 3
#: Matrix entries listed in feedback at most.
LISTED = 5
#: Seconds past the time limit after which an alarm stops a step that checks no clock.
ALARM_GRACE = 0.3
#: Seconds of the time limit kept for looking for a likely cause of a mistake.
HINT_SECONDS = 0.5


def check(answer: Any, expected: Any, *, time_limit: float = TIME_LIMIT) -> Verdict:
    """Decide whether ``answer`` equals ``expected``, and explain.

    Args:
        answer: What a person wrote: a SymPy object, a number, a tuple (shape), a
            matrix or nested list, or a string in SymPy syntax or LaTeX.
        expected: The right value: usually derived by symconv (an expression, a
            shape tuple, an int, a matrix). An answer from a derived sheet works too.
        time_limit: Seconds before the check gives up and says so.

    Returns:
        A :class:`Verdict`, truthy exactly when the answer is right.

    Raises:
        SymconvError: ``expected`` is not a value answers can be compared with.
    """
    deadline = Deadline(time_limit)
    expected = _expected(getattr(expected, "value", expected))  # a sheet's Answer
    token = current_deadline.set(deadline)  # reading checks the clock too
    try:
        with alarm(time_limit + ALARM_GRACE), check_prime():
            return _check(answer, expected, deadline)
    except (OutOfTime, Interrupted):
        return undecided(f"the check took longer than {time_limit:g} s")
    finally:
        current_deadline.reset(token)


def _check(
    answer: Any, expected: tuple[int, ...] | MatrixBase | bool | Expr, deadline: Deadline
) -> Verdict:
    try:
        if isinstance(expected, tuple):
            return _check_shape(answer, expected)
        if isinstance(expected, MatrixBase):
            return _check_matrix(answer, expected, deadline)
        if isinstance(expected, bool):
            return _check_yes_no(answer, expected)
        if expected.is_number:
            return _check_number(answer, expected)
        return _check_formula(answer, expected, deadline)
    except AnswerSyntaxError as error:
        return unreadable(str(error))
    except WrongKind as error:
        return wrong(str(error))
    except Undecidable:
        return undecided("the formulas cannot be evaluated exactly on their domain")
    except (OutOfTime, Interrupted):
        raise
    except Exception as error:  # RecursionError and MemoryError included
        # Whatever SymPy raises on a strange answer is a verdict, never an escape.
        return undecided(f"the check failed on this answer ({type(error).__name__})")


def _expected(expected: Any) -> tuple[int, ...] | MatrixBase | bool | Expr:
    if isinstance(expected, tuple | list) and not isinstance(expected, MatrixBase):
        return tuple(int(n) for n in expected)
    if isinstance(expected, MatrixBase | bool | Expr):
        return expected
    if isinstance(expected, int):
        return Integer(expected)
    if isinstance(expected, Fraction):
        return Rational(expected.numerator, expected.denominator)
    if isinstance(expected, str):
        return read_expression(expected)
    raise SymconvError(
        f"expected must be a number, formula, shape or matrix, got {type(expected).__name__}"
    )


def _check_yes_no(answer: Any, expected: bool) -> Verdict:
    value = read_answer(answer, "yes/no")
    assert isinstance(value, YesNo)
    if value.value == expected:
        return right(answer=value.value)
    return wrong(f"the answer is {'yes' if expected else 'no'}", answer=value.value)


def _check_shape(answer: Any, want: tuple[int, ...]) -> Verdict:
    value = read_answer(answer, "shape")
    assert isinstance(value, Shape)
    given = value.sizes
    if given == want:
        return right(answer=given)
    show = feedback.shape_text
    if len(given) != len(want):
        return wrong(
            f"the shape has {len(given)} axes ({show(given)}) but should have {len(want)}",
            answer=given,
        )
    if sorted(given) == sorted(want):
        if len(want) == 2:
            return wrong(f"the shape is transposed: {show(given)} should be {show(want)}")
        channels_last = len(want) == 3 and tuple(given) == (*want[1:], want[0])
        return wrong(
            f"the sizes are right but in the wrong order: {show(given)} should be {show(want)}"
            + (f". {feedback.SLIP_HINTS['channels_last']}" if channels_last else "")
        )
    differ = [
        f"axis {a + 1}: {g} should be {w}"
        for a, (g, w) in enumerate(zip(given, want, strict=True))
        if g != w
    ]
    return wrong(f"{show(given)} is not {show(want)} ({'; '.join(differ)})", answer=given)


def _fraction(value: Expr) -> Fraction:
    """An exact rational, or a close one for an irrational number such as sqrt(2)."""
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return Fraction(str(value.evalf(60))).limit_denominator(10**50)


def _check_number(answer: Any, expected: Expr) -> Verdict:
    value = read_answer(answer, "number")
    assert isinstance(value, Number)
    for side in value.sides[:-1]:  # 9 - 3 + 1 = 7: every side must be right
        if side != expected:
            return wrong(f"{side} is not {expected}", answer=side)
    given = value.value
    if given == expected or (given.is_Rational and expected.is_Rational and given - expected == 0):
        return right(answer=given)
    if value.digits is not None:
        exact = _fraction(expected)
        digits = value.digits
        if digits < MIN_DIGITS:
            return wrong(
                f"give at least {MIN_DIGITS} significant digits of {expected}, "
                f"such as {scientific_latex(exact, MIN_DIGITS)}",
                answer=given,
            )
        mantissa, exponent = significant(exact, digits)
        rounded = mantissa * Fraction(10) ** (exponent - digits + 1)
        if given.is_Rational and _fraction(given) == rounded:
            return right(f"Right ({digits} significant digits of {expected}).", given)
        shown = scientific_latex(exact, digits)
        return wrong(
            f"{feedback.text(given)} is not {expected} rounded to {digits} significant "
            f"digits ({shown})",
            answer=given,
        )
    hint = ""
    if given.is_Integer and expected.is_Integer:
        hint = feedback.digits_hint(int(given), int(expected))
    return wrong(f"expected {expected}, got {given}{hint}", answer=given)


def _renaming(given: set[Basic], wanted: set[Basic]) -> tuple[dict[Basic, Basic], list[str]]:
    """Map the answer's symbols onto the expected ones of the same name (and assumptions),
    or of the same name but for case (``P`` for ``p``) when that is unambiguous."""
    by_name = {s.name: s for s in wanted if isinstance(s, Symbol)}
    by_folded: dict[str, list[Symbol]] = {}
    for s in by_name.values():
        by_folded.setdefault(s.name.casefold(), []).append(s)
    mapping: dict[Basic, Basic] = {}
    notes = []
    names = {s.name for s in given if isinstance(s, Symbol)}
    for s in given:
        if not isinstance(s, Symbol):
            continue
        if s.name in by_name:
            if by_name[s.name] != s:
                mapping[s] = by_name[s.name]
            continue
        twins = by_folded.get(s.name.casefold(), [])
        if len(twins) == 1 and twins[0].name not in names:
            mapping[s] = twins[0]
            notes.append(f"{s.name} read as {twins[0].name}")
    return mapping, sorted(notes)


def _check_matrix(answer: Any, expected: MatrixBase, deadline: Deadline) -> Verdict:
    value = read_answer(answer, "matrix")
    assert isinstance(value, MatrixValue)
    mapping, _ = _renaming(value.matrix.free_symbols, expected.free_symbols)
    given = value.matrix.applyfunc(lambda entry: renamed(entry, mapping))
    if given.shape != expected.shape:
        if given.shape == expected.shape[::-1] and not _differing(given.T, expected, deadline):
            return wrong(
                "this is the transpose: the matrix should be "
                f"{feedback.dims(expected.rows, expected.cols)}",
                answer=given,
            )
        return wrong(
            f"the matrix is {feedback.dims(given.rows, given.cols)} but should be "
            f"{feedback.dims(expected.rows, expected.cols)} "
            "(one row per output, one column per input)",
            answer=given,
        )
    differ = _differing(given, expected, deadline)
    if not differ:
        return right(answer=given)
    listed = "; ".join(
        f"row {r + 1}, column {c + 1}: expected {expected[r, c]}, got {given[r, c]}"
        for r, c in differ[:LISTED]
    )
    more = f" (and {len(differ) - LISTED} more)" if len(differ) > LISTED else ""
    return wrong(f"{len(differ)} entries differ: {listed}{more}", answer=given)


def _differing(given: MatrixBase, expected: MatrixBase, deadline: Deadline) -> list[Any]:
    """Every position where the two matrices differ (either one nonzero there)."""
    positions = sorted(set(expected.todok()) | set(given.todok()))
    differ = []
    for position in positions:
        deadline.tick()
        a, b = given[position], expected[position]
        if a != b and not (
            isinstance(a, Expr) and isinstance(b, Expr) and decide(a, b, deadline).equal
        ):
            differ.append(position)
    return differ


def renamed(expr: Expr, mapping: dict[Basic, Basic]) -> Expr:
    """``expr.xreplace(mapping)``, keeping floor, ceiling, max, min and Mod as they were
    read: SymPy's evaluation of each queries assumptions for milliseconds."""
    if not mapping or not isinstance(expr, Basic):
        return expr
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    args = [renamed(arg, mapping) for arg in expr.args]
    if all(new is old for new, old in zip(args, expr.args, strict=True)):
        return expr
    if isinstance(expr, INTEGER_FUNCTIONS):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def _is_name(side: Expr, expected: Expr) -> bool:
    """A lone name such as ``y_1``, ``W'`` or ``W_out`` that the expected formula lacks."""
    return isinstance(side, Symbol) and side not in expected.free_symbols


def _check_formula(answer: Any, expected: Expr, deadline: Deadline) -> Verdict:
    value = read_answer(answer, "formula")
    assert isinstance(value, Formula)
    symbols = set().union(*(side.free_symbols for side in value.sides))
    mapping, notes = _renaming(symbols, expected.free_symbols)
    sides = [renamed(side, mapping) for side in value.sides]
    sides = [side for side in sides if not _is_name(side, expected)] or sides[-1:]
    note = f" (note: {'; '.join(notes)})" if notes else ""
    verdicts = []
    for side in sides:  # every side must be right; the first wrong one is the verdict
        verdict = _check_side(side, expected, deadline, note)
        if not verdict.ok:
            return verdict
        verdicts.append(verdict)
    return min(verdicts, key=lambda v: v.proved)  # evidence, if any side rests on it


def _check_side(given: Expr, expected: Expr, deadline: Deadline, note: str) -> Verdict:
    decision = decide(given, expected, deadline)
    if decision.equal:
        if decision.proved:
            return right("Right." + note, given)
        return right(
            f"Right: it agrees at {decision.points} points of the domain searched "
            "(strong evidence, not a proof)." + note,
            given,
            proved=False,
        )
    hint_deadline = Deadline(max(0.0, min(HINT_SECONDS, deadline.left())))
    hint = feedback.formula_hint(given, expected, hint_deadline)
    message = hint or f"{feedback.text(given)} is not {feedback.text(expected)}"
    unknown = sorted(s.name for s in given.free_symbols - expected.free_symbols)
    if unknown and hint is None:
        names = ", ".join(sorted(s.name for s in expected.free_symbols))
        message += (
            f"; it uses {', '.join(unknown)}, which the expected formula does not "
            f"(its symbols: {names or 'none'})"
        )
    point = decision.point
    polynomial = not (integer_functions(expected) or integer_functions(given))
    if point is not None and (hint is None or not polynomial):
        message += feedback.at_point(point, given, expected)
    return wrong(message + note, feedback.named(point), answer=given)
