"""The errors symconv raises.

Every invalid argument raises a :class:`SymconvError` (a :class:`ValueError`)
whose message names the parameter, the value given and what is allowed. A
value of the wrong type raises :class:`SpecTypeError`, which is both a
``SymconvError`` and a :class:`TypeError`, so either ``except`` clause works.
"""

from __future__ import annotations

__all__ = ["SpecError", "SpecTypeError", "SymconvError"]


class SymconvError(ValueError):
    """Base class of the errors symconv raises on invalid input.

    ``parameter`` names the argument at fault (``"stride"``, ``"padding"``), or
    is ``None`` when no single argument is: a program can point at the field,
    the message says it in words.

    >>> SpecError("stride must be an integer >= 1, got 0", parameter="stride").parameter
    'stride'
    """

    def __init__(self, message: str = "", *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.parameter))


def _rebuild(kind: type[SymconvError], message: str, parameter: str | None) -> SymconvError:
    return kind(message, parameter=parameter)


class SpecError(SymconvError):
    """An argument describing a convolution has a value that is not allowed."""


class SpecTypeError(SpecError, TypeError):
    """An argument describing a convolution has the wrong type."""
