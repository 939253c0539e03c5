"""The budgets that keep a check cheap whatever the text: one clock, size limits.

Every stage (reading, building, simplifying, searching) checks the same
:class:`Deadline`, and the reader refuses text beyond the size limits before
SymPy builds anything from it.

>>> deadline = Deadline(10.0)
>>> deadline.tick()  # plenty of time left: returns quietly
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "MAX_ARGUMENTS",
    "MAX_DEGREE",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_TERMS",
    "Deadline",
    "Interrupted",
    "OutOfTime",
    "alarm",
    "current_deadline",
    "tick",
]

#: Characters of an answer that are read at most; longer text is refused first.
MAX_LENGTH = 20_000
#: Brackets, fractions, functions and exponents nested at most.
MAX_DEPTH = 50
#: Digits of any number, given or computed while reading.
MAX_DIGITS = 400
#: Arguments of one max, min or Mod at most.
MAX_ARGUMENTS = 64
#: Degree of an argument of floor, ceiling, max or min at most (of Mod, half of it):
#: SymPy simplifies them as it builds them, at a cost that grows fast with the degree.
MAX_DEGREE = 4
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


#: The deadline of the check running in this thread, for stages (reading) that are
#: not handed one.
current_deadline: ContextVar[Deadline | None] = ContextVar("current_deadline", default=None)


def tick() -> None:
    """Raise :class:`OutOfTime` if the check running in this thread is past its deadline."""
    deadline = current_deadline.get()
    if deadline is not None:
        deadline.tick()


class Interrupted(BaseException):
    """The alarm of :func:`alarm` rang: a step that checks no clock ran past the deadline.

    A ``BaseException``, so that no ``except Exception`` inside SymPy swallows it.
    """


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`Interrupted` if the block still runs after ``seconds``.

    The last line of defence behind the budgets and :class:`Deadline` checks:
    SymPy's own algorithms check no clock. It needs the main thread of a Unix
    process and leaves alone a timer someone else has set; elsewhere the block
    runs unguarded.
    """
    usable = (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
