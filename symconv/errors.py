"""The errors symconv raises.

Every invalid argument raises a :class:`SymconvError` (a :class:`ValueError`)
whose message names the parameter, the value given and what is allowed. A
value of the wrong type raises :class:`SpecTypeError`, which is both a
``SymconvError`` and a :class:`TypeError`, so either ``except`` clause works.
"""

from __future__ import annotations

__all__ = ["SpecError", "SpecTypeError", "SymconvError"]


class SymconvError(ValueError):
    """Base class of the errors symconv raises on invalid input."""


class SpecError(SymconvError):
    """An argument describing a convolution has a value that is not allowed."""


class SpecTypeError(SpecError, TypeError):
    """An argument describing a convolution has the wrong type."""
