"""Feedback a teaching assistant would give: what is wrong, and a likely cause.

Every function here returns words about a value already read and decided; none
of them reads text or decides equality on its own terms (they ask
:func:`symconv.answers.deciding.decide`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

from sympy import Add, Expr, Symbol, ceiling, floor

from symconv.answers.deciding import Undecidable, decide
from symconv.answers.domain import role
from symconv.answers.evaluation import Skip, exact
from symconv.answers.limits import Deadline, OutOfTime
from symconv.notation import formula_text, natural_terms

__all__ = [
    "SLIP_HINTS",
    "at_point",
    "digits_hint",
    "dims",
    "formula_hint",
    "named",
    "shape_text",
    "show",
    "text",
]


#: What a known slip (named by the sheet that foresaw it) says to the student.
SLIP_HINTS = {
    "weights_for_macs": (
        "That is the number of weights; each weight is used once per output position, so "
        "the multiply-adds are far more."
    ),
    "flops_for_macs": (
        "That is the FLOP count; one multiply-add (MAC) is two FLOPs, a multiply and an add, "
        "so the MACs are half of it."
    ),
    "padding_left_out": (
        "It looks like the taps on the zero padding were left out: every tap of every "
        "window counts, padding included."
    ),
    "flops_as_macs": (
        "That is the number of multiply-adds; a FLOP count is twice it "
        "(a multiplication and an addition each)."
    ),
    "parameters_for_weights": (
        "That is the number of parameters, the biases included; the question asks for "
        "the weights alone."
    ),
    "weights_for_parameters": (
        "That is the number of weights alone; the parameters are the weights and the "
        "biases together."
    ),
    "biases_the_layer_has_not": (
        "That counts biases too, but this layer has no biases: its parameters are its weights."
    ),
    "ceil_for_floor": (
        "It looks like the division was rounded up (ceil); the output size rounds it "
        "down (floor): a window that does not fit is not computed."
    ),
    "floor_for_ceil": (
        "It looks like the division was rounded down (floor); with ceil_mode the pooling "
        "rounds it up (ceil), keeping a last window that starts inside the input."
    ),
    "missing_plus_one": (
        "It looks like the + 1 was left out: the windows are the steps that fit, plus "
        "the first window."
    ),
    "padding_one_side": (
        "It looks like the padding was counted on one side only (p where 2p belongs): "
        "it is added on both sides."
    ),
    "dilation_ignored": (
        "It looks like the dilation was ignored: a dilated window covers d(K - 1) + 1 "
        "inputs, not K."
    ),
    "transpose_as_convolution": (
        "That is the size formula of a convolution; a transposed convolution goes the "
        "other way: (W - 1)s - 2p + d(K - 1) + output_padding + 1."
    ),
    "output_padding_left_out": (
        "It looks like the output padding was left out: it adds to the size on one side."
    ),
    "channels_last": ("Channels come first (C x H x W, as in PyTorch), not last (H x W x C)."),
    "kernel_not_flipped": (
        "That is cross-correlation (the kernel not flipped); the question asks for a "
        "true convolution, whose kernel runs backwards over the input."
    ),
    "kernel_flipped": (
        "That is the kernel flipped (a true convolution); the question asks for "
        "cross-correlation, the deep-learning convention, whose kernel is not flipped."
    ),
}


def shape_text(shape: Sequence[int]) -> str:
    """``32 x 126 x 126``."""
    return " x ".join(str(n) for n in shape)


def dims(rows: int, cols: int) -> str:
    """``7 x 9``."""
    return f"{rows} x {cols}"


def show(value: Fraction) -> str:
    """A fraction as people write it: ``3`` or ``5/3``."""
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def digits_hint(given: int, expected: int) -> str:
    """A hint for a wrong whole number: digits swapped, or the last digits off."""
    g, e = str(abs(given)), str(abs(expected))
    if len(g) == len(e) and sorted(g) == sorted(e):
        return " (the same digits in another order)"
    if len(g) == len(e) and g[:2] == e[:2]:
        return f" (they differ by {given - expected})"
    return ""


def text(expr: Any) -> str:
    """Plain text of a formula, the terms of a convolution element in kernel order."""
    if isinstance(expr, Expr) and is_sum_of_products(expr):
        return " + ".join(str(t) for t in natural_terms(expr)).replace("+ -", "- ")
    return formula_text(expr) if isinstance(expr, Expr) else str(expr)


def is_sum_of_products(expr: Expr) -> bool:
    """A convolution element: a sum of products of two or more symbols (plus a bias)."""
    terms = Add.make_args(expr)
    return (
        expr.is_Add
        and all(t.is_Symbol or (t.is_Mul and all(f.is_Symbol for f in t.args)) for t in terms)
        and sum(t.is_Mul for t in terms) >= 1
    )


def named(point: Mapping[Symbol, Fraction] | None) -> dict[str, int | Fraction] | None:
    """A counterexample keyed by symbol name: whole numbers as ints."""
    if point is None:
        return None
    return {
        s.name: int(value) if value.denominator == 1 else value
        for s, value in sorted(point.items(), key=lambda kv: kv[0].name)
    }


def at_point(point: Mapping[Symbol, Fraction], given: Expr, expected: Expr) -> str:
    """``; at K=1, W=1 it gives 5/3 instead of 1``."""
    values = ", ".join(
        f"{s.name}={show(Fraction(v))}" for s, v in sorted(point.items(), key=lambda kv: str(kv[0]))
    )
    try:
        got, want = (show(exact(e)(point)) for e in (given, expected))
    except Skip:
        return f" (they differ at {values})"
    return f"; at {values} it gives {got} instead of {want}"


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


def formula_hint(given: Expr, expected: Expr, deadline: Deadline) -> str | None:
    """A likely cause: a missing floor, indices off by one, a flipped kernel, missing terms."""

    def same(a: Expr, b: Expr) -> bool:
        try:
            return decide(a, b, deadline, counterexample=False).equal
        except (Undecidable, OutOfTime, Skip):
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
                    f"the {letter} indices run backwards: the kernel is flipped one way "
                    "and not the other (true convolution against cross-correlation)"
                )
    offset = _constant_offset(given, expected, same)
    if offset is not None:
        return f"it is off by {offset}: {text(given)} instead of {text(expected)}"
    if is_sum_of_products(expected) and (is_sum_of_products(given) or given.is_Mul):
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


def _constant_offset(
    given: Expr, expected: Expr, same: Callable[[Expr, Expr], bool]
) -> Expr | None:
    """The nonzero constant ``c`` with ``given = expected + c``, if there is one."""
    symbols = sorted(given.free_symbols | expected.free_symbols, key=lambda s: s.name)
    # The smallest point of every domain: sizes 1, padding 0 (the kernel fits).
    point = {s: Fraction(0 if role(s) == "padding" else 1) for s in symbols}
    try:
        offset = exact(given)(point) - exact(expected)(point)
    except Skip:
        return None
    if offset == 0:
        return None
    from sympy import Rational

    constant = Rational(offset.numerator, offset.denominator)
    return constant if same(given, expected + constant) else None


def _sorted_terms(terms: set[Expr]) -> list[Expr]:
    return natural_terms(Add(*terms)) if len(terms) > 1 else list(terms)
