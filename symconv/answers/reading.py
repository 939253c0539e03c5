r"""Reading what a person wrote: SymPy syntax or LaTeX, without ``eval``.

The text is first tidied the way a reader would (:func:`normalise`: the
``$``, ``\(...\)`` or ``\[...\]`` around it, a final period, unicode
subscripts and superscripts, digit groups such as ``2 400`` or ``2{,}400``),
then read by one small recursive-descent parser (:mod:`symconv.answers.parser`)
that knows an allow-list of operations and builds SymPy objects from them
directly; nothing a user typed is ever evaluated as code. The length limit is
checked before anything else, and no regular expression here can backtrack
badly, so reading is linear in the length of the text.

Symbol names are normalised to the engine's: ``k_{1}``, ``k_1``, ``k1`` and
``k_{ 1 }`` all read as ``k_1``, ``x_11`` as ``x_11`` (x eleven), and
``k_{1,2}`` as ``k_1,2``.

>>> read_expression(r"k_1 x_1 + k_{2} x_{2}")
k_1*x_1 + k_2*x_2
>>> read_expression(r"\left\lfloor \frac{W+2p-K}{s} \right\rfloor + 1")
floor((-K + W + 2*p)/s) + 1
>>> read_number(r"99 883 155 456 weights.")
99883155456
>>> read_shape(r"32 \times 126 \times 126")
(32, 126, 126)
"""

from __future__ import annotations

import re
from typing import Any

from sympy import Expr, Matrix

from symconv.answers.lexing import AnswerSyntaxError
from symconv.answers.limits import MAX_LENGTH
from symconv.answers.parser import Equation, Parser
from symconv.errors import SymconvError

__all__ = [
    "AnswerSyntaxError",
    "Equation",
    "normalise",
    "read",
    "read_expression",
    "read_matrix",
    "read_number",
    "read_numbers",
    "read_shape",
    "significant_digits",
    "split_approximately",
]

_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_UNICODE_SCRIPT = re.compile(r"[₀-₉₊₋]+|[⁰¹²³⁴-⁹⁺⁻]+")
_WRAPPERS = (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$"))
_APPROXIMATELY = ("\\approx", "≈", "~", "\\sim")
#: ``\approx`` between two forms of the same number: ``99883155456 \approx 9.99 \times 10^{10}``.
_APPROXIMATELY_BETWEEN = re.compile(r"\\approx(?![A-Za-z])|≈")
#: LaTeX's spaces (``\ ``, ``\,``, ``\;``, ``\!``, ``\quad``, ``~``...), read as one space; a
#: row break ``\\`` is matched first so that ``\\,`` keeps it.
_LATEX_SPACE = re.compile(
    r"\\\\|(?<!\s)\s*(?:(?:\\[ ,;:!>]|\\(?:q?quad|thinspace|medspace|thickspace|enspace)"
    r"(?![A-Za-z])|~)\s*)+"
)
#: Digit groups: 1-3 digits, then groups of 3 after a space, thin space, \, or {,}.
_GROUPS = re.compile(r"(?<![\w.^])\d{1,3}(?:(?: |\u2009|\u202f|\\,|\{,\})\d{3})+(?![\d.])")
_SEPARATOR = re.compile(r" |\u2009|\u202f|\\,|\{,\}")
#: A word in a text command at the end: ``\text{outputs}``, ``\mathrm{weights}``.
_WORD = re.compile(r"\\(?:text|textrm|mathrm|mbox|operatorname)\{[A-Za-z ]+\}$")
#: ``\left(`` and ``\right)`` around a shape: the brackets alone.
_SIZED = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z]) ?")
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+")
_TIMES_TEN = re.compile(r"(?<=\d)\s?[xX]\s?(?=10\s?(?:\^|\*\*))")
_SCIENTIFIC = re.compile(
    r"""(?P<mantissa>\d+(?:\.\d+)?)
    (?:[eE](?P<e>[+-]?\d+)
      |\ ?(?:\\times|\\cdot|\*|×|·|⋅)\ ?10\ ?(?:\^|\*\*)\ ?\{?\ ?(?P<p>[+-]?\d+)\ ?\}?)""",
    re.VERBOSE,
)


def normalise(text: object) -> tuple[str, int]:
    """The text as the parser reads it, and how many characters were dropped before it.

    Raises:
        SymconvError: ``text`` is not a string.
        AnswerSyntaxError: The text is too long or empty.
    """
    if not isinstance(text, str):
        raise SymconvError(f"an answer to read must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise AnswerSyntaxError(
            f"the answer is {len(text)} characters long; at most {MAX_LENGTH} are read",
            text[:120],
            1,
        )
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    changed = True
    while changed:
        changed = False
        for opening, closing in _WRAPPERS:
            if (
                stripped.startswith(opening)
                and stripped.endswith(closing)
                and len(stripped) >= 2 * len(opening)
            ):
                stripped = stripped[len(opening) : len(stripped) - len(closing)]
                offset += len(opening) + len(stripped) - len(stripped.lstrip())
                stripped = stripped.strip()
                changed = True
        for sign in _APPROXIMATELY:
            if stripped.startswith(sign):
                stripped = stripped[len(sign) :]
                offset += len(sign) + len(stripped) - len(stripped.lstrip())
                stripped = stripped.strip()
                changed = True
        if stripped.endswith(".") and not stripped.endswith(".."):
            stripped = stripped[:-1].rstrip()  # a final period ends the sentence
            changed = True
    stripped = _LATEX_SPACE.sub(_space, stripped).strip()
    stripped = _UNICODE_SCRIPT.sub(_script, stripped)
    stripped = _GROUPS.sub(lambda match: _SEPARATOR.sub("", match.group()), stripped)
    if not stripped:
        raise AnswerSyntaxError("the answer is empty", text, 1)
    return stripped, offset


def _space(match: re.Match[str]) -> str:
    text = match.group()
    return text if text == "\\\\" else " "


def split_approximately(text: str) -> tuple[str, str | None]:
    r"""An answer written as ``exact \approx rounded``: both parts, else the text and ``None``.

    A leading ``\approx`` (only a rounded form) is not a split.

    >>> split_approximately(r"99883155456 \approx 9.99 \times 10^{10}")
    ('99883155456', '9.99 \\times 10^{10}')
    """
    match = _APPROXIMATELY_BETWEEN.search(text)
    if match is None or not text[: match.start()].strip(" $"):
        return text, None
    return text[: match.start()].strip(), text[match.end() :].strip()


def _script(match: re.Match[str]) -> str:
    text = match.group()
    if text[0] in "₀₁₂₃₄₅₆₇₈₉₊₋":
        return "_{" + text.translate(_SUBSCRIPTS) + "}"
    return "^{" + text.translate(_SUPERSCRIPTS) + "}"


def read(text: object) -> Any:
    """Whatever the text holds: a formula, a list, a matrix or an :class:`Equation`.

    Raises:
        AnswerSyntaxError: The text cannot be read.
    """
    cleaned, offset = normalise(text)
    assert isinstance(text, str)
    try:
        return Parser(cleaned).whole()
    except AnswerSyntaxError as error:
        # Report the column in the answer as typed, before "$" and spaces were dropped.
        raise AnswerSyntaxError(error.reason, text, error.column + offset) from None
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, RecursionError) as error:
        raise AnswerSyntaxError(f"cannot combine these parts ({error})", text, 1) from None


def read_expression(text: str) -> Expr:
    """Read a formula or number written in SymPy syntax or LaTeX (of an equation, the last side).

    Raises:
        AnswerSyntaxError: The text is not a formula symconv can read.
    """
    value = read(text)
    if isinstance(value, Equation):
        value = value.sides[-1]
    if not isinstance(value, Expr):
        raise AnswerSyntaxError("expected a single formula, not a list or matrix", text, 1)
    return value


def read_matrix(text: str) -> Matrix:
    r"""Read a matrix: ``\begin{bmatrix} ... \end{bmatrix}``, ``pmatrix``, ``Matrix([[...]])``.

    >>> read_matrix(r"\begin{bmatrix} k_1 & k_2 \\ 0 & k_1 \end{bmatrix}")
    Matrix([
    [k_1, k_2],
    [  0, k_1]])
    """
    value = read(text)
    if isinstance(value, Equation):  # M = \begin{bmatrix} ... \end{bmatrix}
        value = value.sides[-1]
    if isinstance(value, list):
        rows = value if all(isinstance(r, list) for r in value) else [value]
        if len({len(r) for r in rows}) != 1:
            raise AnswerSyntaxError("the rows of the matrix have different lengths", text, 1)
        return Matrix(rows)
    if not isinstance(value, Matrix):
        raise AnswerSyntaxError("expected a matrix", text, 1)
    return value


def _without_words(text: str) -> str:
    """``2400 weights``, ``7 \\text{outputs}``, ``7 \\mathrm{outputs}``: the number without
    the words after it."""
    end = len(text)
    while True:
        rest = text[:end].rstrip()
        tail = rest[-60:]
        word = _WORD.search(tail) if rest.endswith("}") else None
        if word is not None:
            end = len(rest) - len(tail) + word.start()
            continue
        cut = len(rest)
        while cut and rest[cut - 1].isalpha():
            cut -= 1
        if cut == len(rest) or cut == 0 or not rest[cut - 1].isspace():
            break
        end = cut
    rest = text[:end].rstrip()
    return rest if rest and (rest[-1].isdigit() or rest[-1] in "})") else text


def read_numbers(text: str) -> tuple[Expr, ...]:
    r"""Every side of an answer that is a number: ``9 - 3 + 1 = 7`` gives ``(7, 7)``.

    Sides with symbols (the working, ``W - K + 1``) are left out.

    Raises:
        AnswerSyntaxError: The text cannot be read, or no side is a number.
    """
    if not isinstance(text, str):
        raise SymconvError(f"an answer to read must be text, got {type(text).__name__}")
    cleaned, _ = normalise(text)
    cleaned = _without_words(cleaned)
    if _COMMA_GROUPS.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    cleaned = _TIMES_TEN.sub(r" \\times ", cleaned)
    value = read(cleaned)
    sides = value.sides if isinstance(value, Equation) else (value,)
    numbers = tuple(s for s in sides if isinstance(s, Expr) and s.is_number)
    if not numbers:
        raise AnswerSyntaxError("expected a number", text, 1)
    return numbers


def read_number(text: str) -> Expr:
    r"""Read a number: ``2400``, ``2 400``, ``9.9883e10``, ``9.9883 \times 10^{10}``,
    ``99,883,155,456``; of an equation, the last side that is a number."""
    return read_numbers(text)[-1]


def read_shape(text: str) -> tuple[int, ...]:
    r"""Read a tensor shape: ``(32, 126, 126)``, ``32 x 126 x 126``, ``32 \times 126^2``.

    >>> read_shape("3x256x256"), read_shape("[3, 5, 5]"), read_shape(r"\mathbb{R}^{7 \times 9}")
    ((3, 256, 256), (3, 5, 5), (7, 9))
    """
    if not isinstance(text, str):
        raise SymconvError(f"a shape to read must be text, got {type(text).__name__}")
    cleaned, _ = normalise(text)
    if cleaned.lower() in ("none", "no rows", "()", "[]", "{}", "\\emptyset", "∅"):
        return ()
    space = re.fullmatch(r"(?:\\mathbb\{R\}|ℝ|R) ?\^ ?\{(.*)\}", cleaned, re.S)
    if space:  # \mathbb{R}^{7 \times 9}: the shape of a matrix
        cleaned = space.group(1).strip()
    cleaned = _SIZED.sub("", cleaned).strip()
    if cleaned[:1] in "([" and cleaned[-1:] in ")]":
        cleaned = cleaned[1:-1].strip().rstrip(",")  # (7,) is a one-axis shape
    parts = re.split(r"\\times|\\cdot|×|·|⋅|\*|,|\bby\b|(?<=\d)\s?[xX]\s?(?=\d)", cleaned)
    sizes: list[int] = []
    for part in parts:
        piece = part.strip()
        power = re.fullmatch(r"(\d{1,30}) ?\^ ?\{? ?(\d) ?\}?", piece)
        if power:  # 126^2: two axes of 126
            sizes.extend([int(power.group(1))] * int(power.group(2)))
            continue
        if not re.fullmatch(r"\d{1,30}", piece):
            where = text.find(piece) + 1 if piece else 1
            raise AnswerSyntaxError(
                f"a shape is whole numbers separated by x or commas, not {piece[:40]!r}",
                text,
                max(where, 1),
            )
        sizes.append(int(piece))
    if not sizes:
        raise AnswerSyntaxError("the shape is empty", text, 1)
    return tuple(sizes)


def significant_digits(text: str) -> int | None:
    r"""How many significant digits an answer in scientific notation shows, else ``None``.

    >>> significant_digits(r"9.9883 \times 10^{10}"), significant_digits("2400")
    (5, None)
    >>> significant_digits("9.9883 x 10^10"), significant_digits("9.99·10¹⁰")
    (5, 3)
    """
    try:
        cleaned, _ = normalise(text)
    except SymconvError:
        return None
    cleaned = " ".join(_TIMES_TEN.sub(r" \\times ", _without_words(cleaned)).split())
    match = _SCIENTIFIC.fullmatch(cleaned)
    if match is None:
        return None
    return len(match.group("mantissa").replace(".", "").lstrip("0")) or 1
