r"""Cutting an answer's text into tokens, and the error that points at a column.

>>> [token.text for token in tokens(r"k_{1} x1 + 2")][:-1]
['k', '_', '{', '1', '}', 'x1', '+', '2']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symconv.errors import SymconvError

__all__ = ["AnswerSyntaxError", "Token", "tokens"]

#: Commands that only space or size: read as a space.
SPACES = {
    ",", ";", ":", "!", " ", "quad", "qquad", "thinspace", "medspace", "thickspace",
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
    "Biggl", "Biggr", "bigm", "Bigm", "displaystyle", "textstyle", "limits",
}  # fmt: skip

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<command>\\(?:[A-Za-z]+|[^A-Za-z]))
  | (?P<name>[A-Za-z]+\d*)
  | (?P<op>\*\*|//|[-+*/^_(){}\[\],=&'|×·⋅−⌊⌋⌈⌉<>])
    """,
    re.VERBOSE,
)


class AnswerSyntaxError(SymconvError):
    """An answer could not be read; ``column`` (1-based) points at the trouble."""

    def __init__(self, message: str, text: str, column: int) -> None:
        self.reason = message
        self.text = text
        self.column = column
        shown = text if len(text) <= 120 else text[:117] + "..."
        caret = " " * (min(column, 121) - 1) + "^"
        super().__init__(
            f"could not read the answer at column {column}: {message}\n  {shown}\n  {caret}"
        )


@dataclass(frozen=True)
class Token:
    """One piece of an answer: its kind, its text and where it starts (0-based)."""

    kind: str
    text: str
    start: int


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, spaces dropped, ending with an ``end`` token.

    Raises:
        AnswerSyntaxError: A character no token starts with.
    """
    found = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise AnswerSyntaxError(f"unexpected character {text[position]!r}", text, position + 1)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "command" and value[1:] in SPACES:
            kind = "space"
        if kind != "space":
            found.append(Token(kind, value, position))
        position = match.end()
    found.append(Token("end", "", len(text)))
    return found
