"""How much work a call does, counted rather than timed.

The number of Python and C function calls a piece of work makes is the same on
an idle machine and on a loaded one, so tests of how work grows with the input
count calls instead of reading a clock.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def calls(work: Callable[[], object]) -> int:
    """Function calls (Python and C) made by ``work()``."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        count += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count
