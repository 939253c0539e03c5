"""The outcome of a check: :class:`Verdict`, truthy exactly when the answer is right.

>>> Verdict(True, "Right.").ok, bool(Verdict(False, "Wrong: expected 7, got 9"))
(True, False)
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = ["Verdict", "right", "undecided", "unreadable", "wrong"]


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
        proved: ``True`` when a right answer was proved equal, ``False`` when its
            agreement rests on a search (evidence rather than proof).
    """

    ok: bool
    message: str
    counterexample: dict[str, int | Fraction] | None = None
    decided: bool = True
    unreadable: bool = False
    answer: Any = field(default=None, compare=False, repr=False)
    proved: bool = True

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        first = self.message.splitlines()[0] if self.message else ""
        return f"<Verdict {first}>"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else ("#9a6700" if not self.decided else "#cf222e")
        body = html.escape(self.message).replace("\n", "<br>")
        return f'<div style="border-left:4px solid {colour};padding:2px 8px">{body}</div>'


def right(message: str = "Right.", answer: Any = None, *, proved: bool = True) -> Verdict:
    """A right answer."""
    return Verdict(True, message, answer=answer, proved=proved)


def wrong(
    message: str, counterexample: dict[str, int | Fraction] | None = None, answer: Any = None
) -> Verdict:
    """A wrong answer, with what is wrong."""
    return Verdict(False, f"Wrong: {message}", counterexample, answer=answer)


def undecided(message: str) -> Verdict:
    """No decision within the time limit or by the means available."""
    return Verdict(False, f"Could not decide: {message}", decided=False)


def unreadable(message: str) -> Verdict:
    """An answer that could not be read: not counted as a wrong answer."""
    return Verdict(False, message, unreadable=True)
