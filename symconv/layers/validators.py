"""Validators shared by every layer: one rule for every parameter.

A value of the wrong type raises :class:`~symconv.SpecTypeError`, a value of
the right type but outside what is allowed raises :class:`~symconv.SpecError`;
both name the parameter, the value and what is allowed.

>>> whole_number("stride", 0, 1)
Traceback (most recent call last):
...
symconv.errors.SpecError: stride must be an integer >= 1, got 0
>>> flag("bias", "yes")
Traceback (most recent call last):
...
symconv.errors.SpecTypeError: bias must be True or False, got 'yes' (str)
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

from sympy import Basic, Expr, Integer

from symconv.errors import SpecError, SpecTypeError

__all__ = [
    "as_int",
    "channel_counts",
    "choice",
    "describe",
    "flag",
    "letter",
    "letters",
    "per_axis",
    "plain",
    "size_or_symbol",
    "spatial_sizes",
    "whole_number",
]

_LETTER = re.compile(r"[A-Za-z]+\Z")


def _base(name: str) -> str:
    """The parameter a message is about: ``"padding[1][0]"`` is about ``padding``."""
    return name.split("[", 1)[0]


def describe(value: object) -> str:
    """A value and its type, for error messages."""
    return f"{value!r} ({type(value).__name__})"


def plain(value: object) -> object:
    """numpy arrays and scalars as plain Python lists and ints; anything else unchanged."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(value, str) else value


def as_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` as an ``int`` of at least ``minimum``, or raise naming ``name``.

    >>> as_int("stride", 2, 1)
    2
    >>> as_int("stride", 0, 1)
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: stride must be an integer >= 1, got 0
    """
    value = plain(value)
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise SpecTypeError(
            f"{name} must be an integer >= {minimum}, got {describe(value)}", parameter=_base(name)
        )
    number = operator.index(value)
    if number < minimum:
        raise SpecError(
            f"{name} must be an integer >= {minimum}, got {number}", parameter=_base(name)
        )
    return number


def per_axis(name: str, value: object, ndim: int, minimum: int) -> tuple[int, ...]:
    """One integer per spatial axis: a single int is repeated, a sequence is checked."""
    value = plain(value)
    if isinstance(value, str) or not isinstance(value, Sequence):
        return (as_int(name, value, minimum),) * ndim
    if len(value) != ndim:
        raise SpecError(
            f"{name} has {len(value)} entries {tuple(value)!r} but the input has "
            f"{ndim} spatial {'axis' if ndim == 1 else 'axes'}; give one int or {ndim}",
            parameter=_base(name),
        )
    return tuple(as_int(f"{name}[{axis}]", item, minimum) for axis, item in enumerate(value))


def spatial_sizes(value: object) -> tuple[int, ...]:
    """The spatial sizes of the input: an int (1-D) or a non-empty sequence of ints."""
    value = plain(value)
    if isinstance(value, str) or not isinstance(value, Sequence):
        return (as_int("input_size", value, 1),)
    if len(value) == 0:
        raise SpecError(
            "input_size must name at least one spatial axis, got ()", parameter="input_size"
        )
    return tuple(as_int(f"input_size[{axis}]", item, 1) for axis, item in enumerate(value))


def channel_counts(in_channels: object, out_channels: object) -> tuple[int | None, int | None]:
    """Both ``None``: no channel axes at all; else each defaults to 1."""
    if in_channels is None and out_channels is None:
        return None, None
    return (
        1 if in_channels is None else as_int("in_channels", in_channels, 1),
        1 if out_channels is None else as_int("out_channels", out_channels, 1),
    )


def flag(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False``, else :class:`SpecTypeError` naming ``name``."""
    if not isinstance(value, bool):
        raise SpecTypeError(
            f"{name} must be True or False, got {describe(value)}", parameter=_base(name)
        )
    return value


def letter(name: str, value: object) -> str:
    """A symbol letter: a name made of ASCII letters such as ``"x"`` or ``"w"``."""
    if not isinstance(value, str) or not _LETTER.match(value):
        raise SpecError(
            f"{name} must be a name made of letters such as 'x' or 'w', got {value!r}",
            parameter=_base(name),
        )
    return value


def letters(input_letter: object, kernel_letter: object, bias_letter: object) -> dict[str, str]:
    """The three letters of a layer's symbols, each valid and all different."""
    letters = {
        "input_letter": letter("input_letter", input_letter),
        "kernel_letter": letter("kernel_letter", kernel_letter),
        "bias_letter": letter("bias_letter", bias_letter),
    }
    if len(set(letters.values())) < len(letters):
        raise SpecError(
            "input_letter, kernel_letter and bias_letter must differ, got "
            + ", ".join(f"{key}={value!r}" for key, value in letters.items())
        )
    return letters


def whole_number(name: str, value: object, minimum: int) -> int:
    """``value`` as an ``int`` of at least ``minimum`` (see :func:`as_int`)."""
    return as_int(name, value, minimum)


def choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """One of the ``allowed`` words.

    >>> choice("mode", "avg", ("max", "avg"))
    'avg'
    >>> choice("mode", "mean", ("max", "avg"))
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: mode must be one of 'max', 'avg'; got 'mean'
    """
    words = ", ".join(map(repr, allowed))
    if not isinstance(value, str):
        raise SpecTypeError(
            f"{name} must be one of {words}; got {describe(value)}", parameter=_base(name)
        )
    if value not in allowed:
        raise SpecError(f"{name} must be one of {words}; got {value!r}", parameter=_base(name))
    return value


def size_or_symbol(name: str, value: object, minimum: int = 1) -> Expr:
    """A whole number of at least ``minimum`` or a SymPy expression, as SymPy.

    Text is refused, never parsed.

    >>> size_or_symbol("kernel", 3)
    3
    >>> size_or_symbol("kernel", "3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.errors.SpecTypeError: kernel must be a whole number or a SymPy expression ...
    """
    value = plain(value)
    if isinstance(value, Basic):
        if value.is_Integer:
            return Integer(as_int(name, int(value), minimum))
        if value.is_number:
            raise SpecError(
                f"{name} must be a whole number or a symbol, got {value}", parameter=_base(name)
            )
        if value.is_negative or (minimum >= 1 and value.is_nonpositive):
            raise SpecError(
                f"{name} must be at least {minimum}, got {value}, which is not",
                parameter=_base(name),
            )
        return value
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise SpecTypeError(
            f"{name} must be a whole number or a SymPy expression such as "
            f"Symbol({name[0]!r}), got {describe(value)}",
            parameter=_base(name),
        )
    return Integer(as_int(name, value, minimum))
