"""The budgets that keep a check cheap whatever the text: one clock, size limits.

Every stage (reading, building, simplifying, searching) checks the same
:class:`Deadline`, and the reader refuses text beyond the size limits before
SymPy builds anything from it.

>>> deadline = Deadline(10.0)
>>> deadline.tick()  # plenty of time left: returns quietly
"""

from __future__ import annotations

import time

__all__ = [
    "MAX_ARGUMENTS",
    "MAX_DEGREE",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_TERMS",
    "Deadline",
    "OutOfTime",
]

#: Characters of an answer that are read at most; longer text is refused first.
MAX_LENGTH = 20_000
#: Brackets, fractions and signs nested at most.
MAX_DEPTH = 100
#: Digits of any number, given or computed while reading.
MAX_DIGITS = 400
#: Arguments of one max, min or Mod at most.
MAX_ARGUMENTS = 64
#: Total degree of a formula that is ever expanded or evaluated symbolically.
MAX_DEGREE = 64
#: Terms of an expansion that SymPy is asked to build at most.
MAX_TERMS = 2_000


class OutOfTime(Exception):
    """The deadline of a check passed."""


class Deadline:
    """The moment a check must stop, checked by every loop of every stage."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def tick(self) -> None:
        """Raise :class:`OutOfTime` once the deadline has passed."""
        if time.monotonic() > self.end:
            raise OutOfTime

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self.end - time.monotonic()
