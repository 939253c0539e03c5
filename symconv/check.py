r"""Checking answers people derived by hand, with feedback a teaching assistant would give.

:func:`check` reads an answer (a SymPy object, a number, a shape, a matrix, or
text in SymPy syntax or LaTeX, read without ``eval``) and decides whether it
equals the expected value. Formulas with ``floor``, ``ceiling`` or ``Mod`` are
decided by an exhaustive search of their natural domain on a bounded grid
(sizes and strides from 1, padding from 0, the kernel fitting its padded
input), which finds the first counterexample or proves agreement there.

>>> from symconv import Conv
>>> check("k_1 x_1 + k_2 x_2 + k_3 x_3", Conv(9, 3).output_element(0)).ok
True
>>> verdict = check("k_1 x_2 + k_2 x_3 + k_3 x_4", Conv(9, 3).output_element(0))
>>> print(verdict.message)
Wrong: the indices of x are off by 1 (x_2 where x_1 belongs)
"""

from __future__ import annotations

import itertools
import math
import operator
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any

from sympy import (
    Abs,
    Add,
    Basic,
    Expr,
    Integer,
    MatrixBase,
    Max,
    Min,
    Mod,
    Mul,
    Number,
    Pow,
    Symbol,
    ceiling,
    count_ops,
    expand,
    floor,
    simplify,
)
from sympy.core.numbers import Rational as RationalNumber

from symconv.errors import SymconvError
from symconv.parsing import (
    AnswerSyntaxError,
    read_expression,
    read_matrix,
    read_number,
    read_shape,
    significant_digits,
)
from symconv.present.display import scientific_latex, significant

__all__ = ["Verdict", "check"]

#: Seconds a single check may take before it says it could not decide.
TIME_LIMIT = 2.0
#: Points of the exhaustive search at most.
GRID_POINTS = 12_000
#: Fewest significant digits an answer in scientific notation must show.
MIN_DIGITS = 3
#: Matrix entries listed in feedback at most.
LISTED = 5


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: truthy exactly when the answer is right.

    Attributes:
        ok: The answer is right.
        message: A human explanation: what is wrong and where.
        counterexample: For a wrong formula, values of every symbol of the
            expected formula where the two differ; otherwise ``None``.
        decided: ``False`` when the check ran out of time or means.
        unreadable: The answer could not be read (a syntax error, not a wrong answer).
    """

    ok: bool
    message: str
    counterexample: dict[str, int] | None = None
    decided: bool = True
    unreadable: bool = False
    answer: Any = field(default=None, compare=False, repr=False)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        first = self.message.splitlines()[0] if self.message else ""
        return f"<Verdict {first}>"

    def _repr_html_(self) -> str:
        import html

        colour = "#1a7f37" if self.ok else ("#9a6700" if not self.decided else "#cf222e")
        body = html.escape(self.message).replace("\n", "<br>")
        return f'<div style="border-left:4px solid {colour};padding:2px 8px">{body}</div>'


def _right(message: str = "Right.", answer: Any = None) -> Verdict:
    return Verdict(True, message, answer=answer)


def _wrong(
    message: str, counterexample: dict[str, int] | None = None, answer: Any = None
) -> Verdict:
    return Verdict(False, f"Wrong: {message}", counterexample, answer=answer)


def _undecided(message: str) -> Verdict:
    return Verdict(False, f"Could not decide: {message}", decided=False)


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
    """
    expected = getattr(expected, "value", expected)  # a sheet's Answer
    deadline = time.monotonic() + time_limit
    try:
        if isinstance(expected, tuple | list) and not isinstance(expected, MatrixBase):
            return _check_shape(answer, tuple(expected))
        if isinstance(expected, MatrixBase):
            return _check_matrix(answer, expected, deadline)
        if isinstance(expected, bool):
            return _check_yes_no(answer, expected)
        if isinstance(expected, int | Fraction):
            return _check_number(
                answer,
                Integer(expected)
                if isinstance(expected, int)
                else RationalNumber(expected.numerator, expected.denominator),
            )
        if isinstance(expected, str):
            expected = read_expression(expected)
        if isinstance(expected, Expr):
            if expected.is_number:
                return _check_number(answer, expected)
            return _check_formula(answer, expected, deadline)
    except AnswerSyntaxError as error:
        return Verdict(False, str(error), unreadable=True)
    except _OutOfTime:
        return _undecided(f"the check took longer than {time_limit:g} s")
    except _Undecidable:
        return _undecided("the formulas cannot be evaluated exactly on their domain")
    except (ArithmeticError, ValueError, RecursionError, MemoryError) as error:
        if isinstance(error, SymconvError):
            raise
        return _undecided(f"the check failed on this answer ({type(error).__name__})")
    raise SymconvError(
        f"expected must be a number, formula, shape or matrix, got {type(expected).__name__}"
    )


class _OutOfTime(Exception):
    pass


def _tick(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _OutOfTime


# Yes or no -----------------------------------------------------------------------

_YES = {"yes", "y", "true", "t", "1", "commutes", "it commutes", "equivariant"}
_NO = {"no", "n", "false", "f", "0", "does not commute", "it does not commute", "not equivariant"}


def _check_yes_no(answer: Any, expected: bool) -> Verdict:
    if isinstance(answer, bool):
        given = answer
    elif isinstance(answer, str) and answer.strip().lower().rstrip(".!") in _YES | _NO:
        given = answer.strip().lower().rstrip(".!") in _YES
    else:
        return Verdict(False, f"expected yes or no, got {answer!r}", unreadable=True)
    if given == expected:
        return _right(answer=given)
    return _wrong(f"the answer is {'yes' if expected else 'no'}", answer=given)


# Shapes ------------------------------------------------------------------------


def _check_shape(answer: Any, expected: tuple[Any, ...]) -> Verdict:
    if isinstance(answer, str):
        given = read_shape(answer)
    elif isinstance(answer, int) and not isinstance(answer, bool):
        given = (answer,)
    elif isinstance(answer, Sequence) and all(_is_integer(item) for item in answer):
        given = tuple(int(item) for item in answer)
    else:
        return _wrong(f"expected a shape such as {_shape(expected)}, got {answer!r}")
    want = tuple(int(n) for n in expected)
    if given == want:
        return _right(answer=given)
    if len(given) != len(want):
        return _wrong(
            f"the shape has {len(given)} axes ({_shape(given)}) but should have {len(want)}",
            answer=given,
        )
    if sorted(given) == sorted(want):
        if len(want) == 2:
            return _wrong(f"the shape is transposed: {_shape(given)} should be {_shape(want)}")
        return _wrong(
            f"the sizes are right but in the wrong order: {_shape(given)} should be {_shape(want)}"
            + (" (channels first: [channels, height, width])" if len(want) == 3 else "")
        )
    differ = [
        f"axis {a + 1}: {g} should be {w}"
        for a, (g, w) in enumerate(zip(given, want, strict=True))
        if g != w
    ]
    return _wrong(f"{_shape(given)} is not {_shape(want)} ({'; '.join(differ)})", answer=given)


def _shape(shape: Sequence[int]) -> str:
    return " x ".join(str(n) for n in shape)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Basic) and bool(getattr(value, "is_Integer", False))


# Numbers -----------------------------------------------------------------------


def _check_number(answer: Any, expected: Expr) -> Verdict:
    digits = significant_digits(answer) if isinstance(answer, str) else None
    if isinstance(answer, str):
        given = read_number(answer)
    elif isinstance(answer, bool) or not isinstance(answer, int | float | Fraction | Basic):
        return _wrong(f"expected a number, got {answer!r}")
    elif isinstance(answer, float):
        if not math.isfinite(answer):
            return _wrong(f"{answer} is not a number")
        given = RationalNumber(Fraction(answer).limit_denominator(10**12))
    else:
        given = Integer(answer) if isinstance(answer, int) else answer
    if not (isinstance(given, Expr) and given.is_number):
        return _wrong(f"expected a number, got {answer!r}")
    if digits is not None and given != expected:
        exact = Fraction(int(expected.p), int(expected.q))
        mantissa, exponent = significant(exact, digits)
        rounded = mantissa * Fraction(10) ** (exponent - digits + 1)
        shown = scientific_latex(exact, digits)
        if digits < MIN_DIGITS:
            return _wrong(
                f"give at least {MIN_DIGITS} significant digits of {expected}, "
                f"such as {scientific_latex(exact, MIN_DIGITS)}",
                answer=given,
            )
        if given.is_Rational and Fraction(int(given.p), int(given.q)) == rounded:
            return _right(f"Right ({digits} significant digits of {expected}).", given)
        return _wrong(
            f"{str(answer).strip()} is not {expected} rounded to {digits} significant digits "
            f"({shown})",
            answer=given,
        )
    if (given - expected) == 0:
        return _right(answer=given)
    difference = given - expected
    hint = ""
    if given.is_Integer and expected.is_Integer:
        g, e = str(abs(int(given))), str(abs(int(expected)))
        if len(g) == len(e) and sorted(g) == sorted(e):
            hint = " (the same digits in another order)"
        elif len(g) == len(e) and g[:2] == e[:2]:
            hint = f" (they differ by {difference})"
    return _wrong(f"expected {expected}, got {given}{hint}", answer=given)


# Matrices ----------------------------------------------------------------------


def _check_matrix(answer: Any, expected: MatrixBase, deadline: float) -> Verdict:
    from sympy import Matrix

    if isinstance(answer, str):
        given = read_matrix(answer)
    elif isinstance(answer, MatrixBase):
        given = answer
    elif isinstance(answer, Sequence) and answer and all(isinstance(r, Sequence) for r in answer):
        try:
            given = Matrix([[_to_expr(v) for v in row] for row in answer])
        except (ValueError, TypeError, SymconvError):
            return _wrong("the rows of the matrix have different lengths or unreadable entries")
    else:
        return _wrong(f"expected a matrix, got {type(answer).__name__}")
    given = given.xreplace(_renaming(given.free_symbols, expected.free_symbols))
    if given.shape != expected.shape:
        if given.shape == expected.shape[::-1] and _same_matrix(given.T, expected, deadline):
            return _wrong(
                f"this is the transpose: the matrix should be {_dims(expected)}", answer=given
            )
        return _wrong(
            f"the matrix is {_dims(given)} but should be {_dims(expected)} "
            "(one row per output, one column per input)",
            answer=given,
        )
    differ = []
    for (row, column), value in _entries(expected, given):
        _tick(deadline)
        if not _equal(given[row, column], value, deadline):
            differ.append((row, column, value, given[row, column]))
    if not differ:
        return _right(answer=given)
    listed = "; ".join(
        f"row {r + 1}, column {c + 1}: expected {v}, got {g}" for r, c, v, g in differ[:LISTED]
    )
    more = f" (and {len(differ) - LISTED} more)" if len(differ) > LISTED else ""
    return _wrong(f"{len(differ)} entries differ: {listed}{more}", answer=given)


def _dims(matrix: MatrixBase) -> str:
    return f"{matrix.rows} x {matrix.cols}"


def _entries(expected: MatrixBase, given: MatrixBase) -> Iterator[tuple[tuple[int, int], Any]]:
    """Every position where either matrix is nonzero, with the expected value."""
    positions = set(expected.todok()) | set(given.todok())
    for position in sorted(positions):
        yield position, expected[position]


def _same_matrix(given: MatrixBase, expected: MatrixBase, deadline: float) -> bool:
    return all(_equal(given[p], v, deadline) for p, v in _entries(expected, given))


def _to_expr(value: Any) -> Expr:
    if isinstance(value, str):
        return read_expression(value)
    if isinstance(value, bool):
        raise SymconvError("a matrix entry cannot be a bool")
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, Expr):
        return value
    raise SymconvError(f"cannot read a matrix entry of type {type(value).__name__}")


# Formulas ----------------------------------------------------------------------


def _renaming(given: set[Basic], wanted: set[Basic]) -> dict[Basic, Basic]:
    """Map the answer's symbols onto the expected ones of the same name (and assumptions)."""
    by_name = {s.name: s for s in wanted if isinstance(s, Symbol)}
    return {
        s: by_name[s.name]
        for s in given
        if isinstance(s, Symbol) and s.name in by_name and by_name[s.name] != s
    }


_INTEGER_FUNCTIONS = (floor, ceiling, Mod, Max, Min, Abs)


def _has_integer_functions(expr: Expr) -> bool:
    return any(expr.has(function) for function in _INTEGER_FUNCTIONS)


def _equal(given: Any, expected: Any, deadline: float) -> bool:
    """Equality of two values: formulas by exact evaluation, integer ones on the domain grid."""
    if given == expected:
        return True
    if not isinstance(given, Expr) or not isinstance(expected, Expr):
        return False
    polynomial = not (_has_integer_functions(given) or _has_integer_functions(expected))
    try:
        return _search(given, expected, deadline, polynomial=polynomial) is None
    except _Undecidable:
        return bool(given.equals(expected))


def _check_formula(answer: Any, expected: Expr, deadline: float) -> Verdict:
    if isinstance(answer, str):
        given = read_expression(answer)
    elif isinstance(answer, bool):
        return _wrong(f"expected a formula, got {answer!r}")
    elif isinstance(answer, int):
        given = Integer(answer)
    elif isinstance(answer, Expr):
        given = answer
    else:
        return _wrong(f"expected a formula, got {type(answer).__name__}")
    given = given.xreplace(_renaming(given.free_symbols, expected.free_symbols))
    if given == expected:
        return _right(answer=given)
    polynomial = not (_has_integer_functions(expected) or _has_integer_functions(given))
    if not polynomial and _proved_equal(given, expected):
        return _right(answer=given)
    point = _search(given, expected, deadline, polynomial=polynomial)
    if point is None:
        return _right(answer=given)
    hint = _formula_hint(given, expected, deadline)
    message = hint or f"{_text(given)} is not {_text(expected)}"
    unknown = sorted(s.name for s in given.free_symbols - expected.free_symbols)
    if unknown and hint is None:
        names = ", ".join(sorted(s.name for s in expected.free_symbols))
        message += (
            f"; it uses {', '.join(unknown)}, which the expected formula does not "
            f"(its symbols: {names or 'none'})"
        )
    if hint is None or not polynomial:
        message += _at_point(point, given, expected)
    return _wrong(message, _named(point, expected), answer=given)


#: Operations in both formulas beyond which SymPy's simplification is not tried.
SIMPLIFY_OPS = 40


def _proved_equal(given: Expr, expected: Expr) -> bool:
    """SymPy's simplification proves two small integer formulas equal (a zero is a proof).

    Only small formulas are tried, so hostile input cannot make it slow; the grid
    search decides everything else.
    """
    if count_ops(given) + count_ops(expected) > SIMPLIFY_OPS:
        return False
    if any(p.exp.is_Number and abs(p.exp) > 4 for p in given.atoms(Pow)):
        return False
    return bool(simplify(given - expected) == 0)


def _text(expr: Any) -> str:
    from symconv.present.display import formula_text, natural_terms

    if isinstance(expr, Expr) and _is_sum_of_products(expr):
        return " + ".join(str(t) for t in natural_terms(expr)).replace("+ -", "- ")
    return formula_text(expr) if isinstance(expr, Expr) else str(expr)


def _is_sum_of_products(expr: Expr) -> bool:
    """A convolution element: a sum of products of two or more symbols (plus a bias)."""
    terms = Add.make_args(expr)
    return (
        expr.is_Add
        and all(t.is_Symbol or (t.is_Mul and all(f.is_Symbol for f in t.args)) for t in terms)
        and sum(t.is_Mul for t in terms) >= 1
    )


def _named(point: Mapping[Symbol, int] | None, expected: Expr) -> dict[str, int] | None:
    if point is None:
        return None
    return {s.name: value for s, value in sorted(point.items(), key=lambda kv: kv[0].name)}


def _at_point(point: Mapping[Symbol, int], given: Expr, expected: Expr) -> str:
    values = ", ".join(f"{s.name}={v}" for s, v in sorted(point.items(), key=lambda kv: str(kv[0])))
    evaluate = _compile(given), _compile(expected)
    try:
        got, want = (_show(f(point)) for f in evaluate)
    except _Skip:
        return f" (they differ at {values})"
    return f"; at {values} it gives {got} instead of {want}"


def _show(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


# Feedback on formulas --------------------------------------------------------------


_INDEXED = re.compile(r"^([A-Za-z]+)_(\d+)$")


def _reindexed(expr: Expr, letter: str, shift: Callable[[int], int]) -> Expr:
    mapping = {}
    for symbol in expr.free_symbols:
        match = _INDEXED.match(symbol.name)
        if match and match.group(1) == letter:
            mapping[symbol] = Symbol(f"{letter}_{shift(int(match.group(2)))}")
    return expr.xreplace(mapping)


def _letters(expr: Expr) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for symbol in expr.free_symbols:
        match = _INDEXED.match(symbol.name)
        if match:
            found.setdefault(match.group(1), []).append(int(match.group(2)))
    return found


def _formula_hint(given: Expr, expected: Expr, deadline: float) -> str | None:
    """A likely cause: a missing floor, indices off by one, a flipped kernel, missing terms."""

    def same(a: Expr, b: Expr) -> bool:
        try:
            return _equal(a, b, deadline)
        except (_Undecidable, _OutOfTime):
            return False

    for function, name in ((floor, "floor"), (ceiling, "ceiling")):
        unwrapped = expected.replace(function, lambda arg: arg)
        if expected.has(function) and not given.has(function) and same(given, unwrapped):
            return f"the {name} is missing; the output size must be a whole number"
    letters = _letters(expected)
    for letter, indices in sorted(letters.items()):
        for shift in (1, -1, 2, -2):
            if same(given, _reindexed(expected, letter, partial(operator.add, shift))):
                sample = min(indices)
                return (
                    f"the indices of {letter} are off by {abs(shift)} "
                    f"({letter}_{sample + shift} where {letter}_{sample} belongs)"
                )
        # A flipped kernel reverses the indices around K + 1. Padding may hide the
        # first or last taps, so centres a little beyond max + min are tried too.
        for top in range(max(indices) + 1, max(indices) + min(indices) + 3):
            reflected = _reindexed(expected, letter, partial(operator.sub, top))
            if reflected != expected and same(given, reflected):
                return (
                    f"the {letter} indices run backwards: that is the kernel flipped "
                    "(true convolution); symconv's default, like deep-learning "
                    "frameworks, is cross-correlation"
                )
    offset = _constant_offset(given, expected, deadline)
    if offset is not None:
        return f"it is off by {offset}: {_text(given)} instead of {_text(expected)}"
    if _is_sum_of_products(expected) and (_is_sum_of_products(given) or given.is_Mul):
        want = set(Add.make_args(expected))
        got = set(Add.make_args(given))
        missing, extra = want - got, got - want
        if missing or extra:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(str(t) for t in _sorted_terms(missing)))
            if extra:
                parts.append("unexpected " + ", ".join(str(t) for t in _sorted_terms(extra)))
            return "; ".join(parts)
    return None


def _constant_offset(given: Expr, expected: Expr, deadline: float) -> Expr | None:
    """The nonzero constant ``c`` with ``given = expected + c``, if there is one."""
    symbols = sorted(given.free_symbols | expected.free_symbols, key=lambda s: s.name)
    try:
        # The smallest point of every domain: sizes 1, padding 0 (the kernel fits).
        point = {s: 0 if _role(s) == "padding" else 1 for s in symbols}
        offset = _compile(given)(point) - _compile(expected)(point)
    except _Skip:
        return None
    constant = RationalNumber(offset.numerator, offset.denominator)
    if constant == 0:
        return None
    try:
        return constant if _equal(given, expected + constant, deadline) else None
    except (_Undecidable, _OutOfTime):
        return None


def _sorted_terms(terms: set[Expr]) -> list[Expr]:
    from symconv.present.display import natural_terms

    return natural_terms(Add(*terms)) if len(terms) > 1 else list(terms)


# The grid search -----------------------------------------------------------------


#: Bits of any number the evaluator builds; beyond, the point is skipped.
_MAX_BITS = 4096


class _Skip(Exception):
    """A point where a formula is undefined (division by zero, a fractional power)."""


def _compile(expr: Expr) -> Callable[[Mapping[Symbol, int]], Fraction]:
    """An exact evaluator over Fractions, built without ``eval``."""
    if isinstance(expr, Symbol):
        return lambda values: Fraction(values[expr])
    if isinstance(expr, Number):
        if not expr.is_Rational:
            raise _Skip
        constant = Fraction(int(expr.p), int(expr.q))
        return lambda values: constant
    parts = [_compile(arg) for arg in expr.args]
    if isinstance(expr, Add):
        return lambda values: sum((f(values) for f in parts), Fraction(0))
    if isinstance(expr, Mul):

        def product(values: Mapping[Symbol, int]) -> Fraction:
            result = Fraction(1)
            for f in parts:
                result *= f(values)
            return result

        return product
    if isinstance(expr, Pow):
        base, exponent = parts

        def power(values: Mapping[Symbol, int]) -> Fraction:
            e = exponent(values)
            b = base(values)
            if e.denominator != 1 or abs(e) > 64 or (b == 0 and e < 0):
                raise _Skip
            size = max(b.numerator.bit_length(), b.denominator.bit_length()) * abs(int(e))
            if size > _MAX_BITS:
                raise _Skip  # too large to compare exactly within the time limit
            return b ** int(e)

        return power
    if isinstance(expr, floor):
        return lambda values: Fraction(math.floor(parts[0](values)))
    if isinstance(expr, ceiling):
        return lambda values: Fraction(math.ceil(parts[0](values)))
    if isinstance(expr, Mod):

        def modulo(values: Mapping[Symbol, int]) -> Fraction:
            divisor = parts[1](values)
            if divisor == 0:
                raise _Skip
            return parts[0](values) % divisor

        return modulo
    if isinstance(expr, Max):
        return lambda values: max(f(values) for f in parts)
    if isinstance(expr, Min):
        return lambda values: min(f(values) for f in parts)
    if isinstance(expr, Abs):
        return lambda values: abs(parts[0](values))
    raise _Skip


_SIZE_NAMES = {"W", "H", "N", "n", "w", "h", "i", "o", "L"}
_KERNEL_NAMES = {"K", "k", "F", "f"}


def _role(symbol: Symbol) -> str:
    """What a symbol stands for, from its name and SymPy assumptions; it fixes its domain."""
    base = symbol.name.split("_")[0].rstrip("'")
    if base in ("p", "P") or (symbol.is_nonnegative and not symbol.is_positive):
        return "padding"
    if base in _SIZE_NAMES or base == "C":
        return "size"
    if base in _KERNEL_NAMES:
        return "kernel"
    if base in ("d", "D"):
        return "dilation"
    if base in ("s", "S"):
        return "stride"
    return "positive" if symbol.is_positive else "other"


def _random_point(
    symbols: list[Symbol], rng: random.Random, largest: int, fits: Callable[..., bool]
) -> dict[Symbol, int] | None:
    """A random point of the domain (sizes from 1, padding from 0, the kernel fitting)."""
    for _ in range(20):
        values = []
        for symbol in symbols:
            role = _role(symbol)
            if role == "padding":
                values.append(rng.randint(0, largest))
            elif role == "other":
                values.append(rng.randint(-largest, largest))
            else:
                values.append(rng.randint(1, largest))
        if fits(values):
            return dict(zip(symbols, values, strict=True))
    return None


def _domain(symbols: list[Symbol], polynomial: bool) -> tuple[list[range], Callable[..., bool]]:
    """The grid of each symbol and the constraint that the kernel fits its padded input."""
    count = max(len(symbols), 1)
    top = max(3, min(16, int(GRID_POINTS ** (1 / count))))
    ranges = []
    for symbol in symbols:
        role = _role(symbol)
        if role == "padding":
            ranges.append(range(0, top))
        elif role == "other" and polynomial:
            ranges.append(range(-(top // 2), top - top // 2))
        else:
            ranges.append(range(1, top + 1))
    roles = {_role(s): i for i, s in enumerate(symbols)}

    def fits(values: Sequence[int]) -> bool:
        if "size" not in roles or "kernel" not in roles or len(values) != len(symbols):
            return True
        size, kernel = values[roles["size"]], values[roles["kernel"]]
        padding = values[roles["padding"]] if "padding" in roles else 0
        dilation = values[roles["dilation"]] if "dilation" in roles else 1
        return size + 2 * padding >= dilation * (kernel - 1) + 1

    return ranges, fits


class _Undecidable(Exception):
    """The formulas cannot be evaluated exactly anywhere on the domain."""


def _differs_at(
    f: Callable[[Mapping[Symbol, int]], Fraction],
    g: Callable[[Mapping[Symbol, int]], Fraction],
    point: Mapping[Symbol, int],
) -> bool | None:
    """Whether answer ``f`` and expected ``g`` differ at ``point`` (``None``: ``g`` undefined).

    An answer undefined where the expected value is defined differs there.
    """
    try:
        want = g(point)
    except _Skip:
        return None
    try:
        return bool(f(point) != want)
    except _Skip:
        return True


def _search(
    given: Expr, expected: Expr, deadline: float, *, polynomial: bool = False
) -> dict[Symbol, int] | None:
    """The first point where the two differ, or ``None`` if they agree everywhere tried.

    Integer formulas are tried on every point of the bounded domain grid. A
    polynomial is tried on a small grid (for a readable counterexample) and then
    at random points with large values, where two different polynomials agree
    with negligible probability (Schwartz-Zippel); no expansion is needed, so a
    huge power costs no more than a few multiplications.

    Raises:
        _Undecidable: No point could be evaluated.
        _OutOfTime: The deadline passed.
    """
    symbols = sorted(given.free_symbols | expected.free_symbols, key=lambda s: s.name)
    try:
        f, g = _compile(given), _compile(expected)
    except _Skip:
        raise _Undecidable from None
    compared = 0
    ranges, fits = _domain(symbols, polynomial)
    # Many symbols make the grid pointless: random points decide polynomials.
    small: Iterable[tuple[int, ...]] = (
        () if polynomial and len(symbols) > 6 else itertools.product(*ranges)
    )
    for n, values in enumerate(small):
        if n % 512 == 0:
            _tick(deadline)
        if not fits(values):
            continue
        point = dict(zip(symbols, values, strict=True))
        differs = _differs_at(f, g, point)
        if differs:
            return point
        compared += differs is not None
    # Beyond the grid: random points of the domain, large for polynomials (two
    # different ones agree there with negligible probability) and moderate for
    # integer formulas (where floor(W/11) first shows).
    rng = random.Random(0)
    largest, tries = (10**6, 40) if polynomial else (1000, 300)
    for _ in range(tries):
        _tick(deadline)
        drawn = _random_point(symbols, rng, largest, fits)
        if drawn is None:
            break
        differs = _differs_at(f, g, drawn)
        if differs:
            smaller = _smaller_point(f, g, symbols, deadline, fits) if polynomial else None
            return smaller or drawn
        compared += differs is not None
    if compared == 0:
        raise _Undecidable
    return None


def _smaller_point(
    f: Callable[[Mapping[Symbol, int]], Fraction],
    g: Callable[[Mapping[Symbol, int]], Fraction],
    symbols: list[Symbol],
    deadline: float,
    fits: Callable[..., bool],
) -> dict[Symbol, int] | None:
    """A counterexample with small values of the domain, when random small points find one."""
    rng = random.Random(1)
    for _ in range(200):
        _tick(deadline)
        point = _random_point(symbols, rng, 9, fits)
        if point is not None and _differs_at(f, g, point):
            return point
    return None


def _same_polynomial(a: Expr, b: Expr, deadline: float) -> bool:
    """Whether two expressions without integer functions are equal, by exact evaluation."""
    try:
        return _search(a, b, deadline, polynomial=True) is None
    except _Undecidable:
        return bool(expand(a - b) == 0)
