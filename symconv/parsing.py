r"""Reading what a person wrote: SymPy syntax or LaTeX, without ``eval``.

One small recursive-descent parser reads both notations. It knows an
allow-list of operations (``+ - * / ^``, implicit products, ``\frac``,
``\cdot``, ``\times``, floor and ceiling in any spelling, ``Mod``, ``max``,
``min``, matrices) and builds SymPy objects from them directly; nothing a user
typed is ever evaluated as code. Limits on length, nesting and the size of
numbers keep hostile input cheap to reject.

Symbol names are normalised to the engine's: ``k_{1}``, ``k_1`` and ``k_{ 1 }``
all read as ``k_1``, and ``k_{1,2}`` as ``k_1,2``.

>>> read_expression(r"k_1 x_1 + k_{2} x_{2}")
k_1*x_1 + k_2*x_2
>>> read_expression(r"\left\lfloor \frac{W+2p-K}{s} \right\rfloor + 1")
floor((-K + W + 2*p)/s) + 1
>>> read_shape(r"32 \times 126 \times 126")
(32, 126, 126)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sympy import (
    Expr,
    Integer,
    Matrix,
    Max,
    Min,
    Mod,
    Rational,
    S,
    Symbol,
    ceiling,
    floor,
)

from symconv.errors import SymconvError

__all__ = [
    "MAX_LENGTH",
    "AnswerSyntaxError",
    "read_expression",
    "read_matrix",
    "read_number",
    "read_shape",
    "significant_digits",
]

MAX_LENGTH = 20_000
MAX_DEPTH = 100
MAX_DIGITS = 400  # of any number, given or computed while reading

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}  # fmt: skip
_SPACES = {",", ";", ":", "!", " ", "quad", "qquad", "thinspace", "medspace", "thickspace"}
_STYLES = {"mathbf", "mathrm", "mathit", "boldsymbol", "bm", "mathsf", "text", "textbf", "mathbb"}
_FUNCTIONS = {
    "floor": floor, "ceil": ceiling, "ceiling": ceiling, "Mod": Mod, "mod": Mod,
    "max": Max, "Max": Max, "min": Min, "Min": Min,
}  # fmt: skip
_MATRIX_ENVIRONMENTS = {
    "matrix", "bmatrix", "pmatrix", "Bmatrix", "vmatrix", "smallmatrix", "array",
}  # fmt: skip
_ELLIPSES = {"cdots", "vdots", "ddots", "ldots", "dots", "hdots"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<command>\\(?:[A-Za-z]+|[^A-Za-z]))
  | (?P<name>[A-Za-z]+)
  | (?P<op>\*\*|[-+*/^_(){}\[\],=&'|×·⋅−⌊⌋⌈⌉<>])
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
class _Token:
    kind: str
    text: str
    start: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise AnswerSyntaxError(f"unexpected character {text[position]!r}", text, position + 1)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "command" and value[1:] in _SPACES:
            kind = "space"
        if kind != "space":
            tokens.append(_Token(kind, value, position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _digits(number: int) -> float:
    return math.log10(abs(number)) if number else 0.0


def _check_size(value: Expr, text: str, column: int) -> Expr:
    if isinstance(value, Expr) and value.is_Rational:
        for part in (value.p, value.q):
            if _digits(part) > MAX_DIGITS:
                raise AnswerSyntaxError(
                    f"number too large (over {MAX_DIGITS} digits)", text, column
                )
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise AnswerSyntaxError(
                f"the answer is {len(text)} characters long; at most {MAX_LENGTH} are read",
                text[:120],
                1,
            )
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0
        # A backslash or brace means LaTeX, where letters side by side are a product.
        self.latex = "\\" in text or "{" in text

    # Token helpers ---------------------------------------------------------

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def error(self, message: str, token: _Token | None = None) -> AnswerSyntaxError:
        return AnswerSyntaxError(message, self.text, (token or self.token).start + 1)

    def advance(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.text in texts

    def expect(self, text: str) -> _Token:
        if self.token.text != text:
            found = repr(self.token.text) if self.token.kind != "end" else "the end"
            raise self.error(f"expected {text!r} but found {found}")
        return self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep")

    # Grammar ---------------------------------------------------------------

    def whole(self) -> Any:
        value = self.relation()
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.token.text!r}")
        return value

    def relation(self) -> Any:
        """``lhs = rhs`` reads as ``rhs`` (``W' = W - K + 1``, ``y_1 = ...``)."""
        value = self.sequence()
        while self.at("="):
            self.advance()
            value = self.sequence()
        return value

    def sequence(self) -> Any:
        first = self.sum()
        if not self.at(","):
            return first
        items = [first]
        while self.at(","):
            self.advance()
            items.append(self.sum())
        return tuple(items)

    def sum(self) -> Any:
        self.enter()
        value = self.product()
        while self.at("+", "-", "−"):
            token = self.advance()
            left, right = self._operand(value, token), self._operand(self.product(), token)
            value = left + right if token.text == "+" else left - right
        self.depth -= 1
        return value

    def _starts_factor(self) -> bool:
        token = self.token
        if token.kind in ("number", "name"):
            return True
        if token.kind == "command":
            return token.text not in (
                "\\right", "\\cdot", "\\times", "\\end", "\\\\", "\\rfloor", "\\rceil", "\\bmod",
            )  # fmt: skip
        return token.text in ("(", "{", "[", "⌊", "⌈", "\\lfloor")

    def product(self) -> Any:
        value = self.signed()
        while True:
            if self.at("*", "\\cdot", "\\times", "×", "·", "⋅"):
                self.advance()
                value = self._multiply(value, self.signed())
            elif self.at("/"):
                token = self.advance()
                divisor = self._operand(self.signed(), token)
                if divisor == 0:
                    raise self.error("division by zero", token)
                value = self._operand(value, token) / divisor
            elif self.at("\\bmod", "\\mod"):
                token = self.advance()
                divisor = self._operand(self.signed(), token)
                if divisor == 0:
                    raise self.error("division by zero", token)
                value = Mod(self._operand(value, token), divisor)
            elif self._starts_factor():
                value = self._multiply(value, self.power())
            else:
                return value

    def _multiply(self, left: Any, right: Any) -> Any:
        product = self._operand(left) * self._operand(right)
        return _check_size(product, self.text, self.token.start + 1)

    def signed(self) -> Any:
        self.enter()
        try:
            if self.at("-", "−"):
                self.advance()
                return -self._operand(self.signed())
            if self.at("+"):
                self.advance()
                return self._operand(self.signed())
            return self.power()
        finally:
            self.depth -= 1

    def _operand(self, value: Any, token: _Token | None = None) -> Expr:
        """A value that arithmetic may combine: a formula, not a list or a matrix."""
        if not isinstance(value, Expr):
            kind = "list" if isinstance(value, list | tuple) else "matrix"
            raise self.error(f"a {kind} cannot be part of a formula here", token)
        return value

    def power(self) -> Any:
        base = self.atom()
        if self.at("^", "**"):
            token = self.advance()
            exponent = self.exponent()
            base, exponent = self._operand(base, token), self._operand(exponent, token)
            if exponent.is_Number and abs(exponent) > MAX_DIGITS:
                raise self.error(f"exponent {exponent} too large", token)
            if exponent.is_Number and base.is_Rational:
                # Digits of the result: |e| times the digits of the base's larger part.
                digits = max(_digits(base.p), _digits(base.q))
                if abs(float(exponent)) * digits > MAX_DIGITS:
                    raise self.error(f"number too large (over {MAX_DIGITS} digits)", token)
            return _check_size(base**exponent, self.text, token.start + 1)
        return base

    def exponent(self) -> Any:
        self.enter()
        try:
            return self._exponent()
        finally:
            self.depth -= 1

    def _exponent(self) -> Any:
        if self.at("{"):
            return self.group("{", "}")
        if self.token.kind == "number" and self.latex:
            # LaTeX: x^23 is x^2 * 3; take a single digit.
            token = self.advance()
            if len(token.text) > 1 and token.text.isdigit():
                self.tokens.insert(self.index, _Token("number", token.text[1:], token.start + 1))
                return Integer(token.text[0])
            return self._number(token)
        return self.signed()

    def group(self, opening: str, closing: str) -> Any:
        self.expect(opening)
        value = self.relation()
        self.expect(closing)
        return value

    def atom(self) -> Any:
        self.enter()
        try:
            return self._atom()
        finally:
            self.depth -= 1

    def _atom(self) -> Any:
        token = self.token
        if token.kind == "number":
            return self._number(self.advance())
        if token.kind == "name":
            return self._name()
        if token.text == "(":
            return self.group("(", ")")
        if token.text == "{":
            return self.group("{", "}")
        if token.text == "[":
            return self._list()
        if token.text in ("⌊", "\\lfloor"):
            return self._bracketed(floor, ("⌋", "\\rfloor"))
        if token.text in ("⌈", "\\lceil"):
            return self._bracketed(ceiling, ("⌉", "\\rceil"))
        if token.kind == "command":
            return self._command()
        if token.kind == "end":
            raise self.error("the answer ends too early")
        raise self.error(f"unexpected {token.text!r}")

    def _bracketed(self, function: Any, closing: tuple[str, ...]) -> Any:
        self.advance()
        value = self.relation()
        if self.at("\\right"):
            self.advance()
        if not self.at(*closing):
            raise self.error(f"expected {closing[-1]!r} to close {function.__name__}")
        self.advance()
        return function(value)

    def _number(self, token: _Token) -> Expr:
        text = token.text
        digits = len(re.sub(r"[^0-9]", "", text.split("e")[0].split("E")[0]))
        exponent = int(re.split("[eE]", text)[1]) if re.search("[eE]", text) else 0
        if digits + abs(exponent) > MAX_DIGITS:
            raise self.error(f"number too large (over {MAX_DIGITS} digits)", token)
        return Rational(text) if ("." in text or "e" in text.lower()) else Integer(text)

    def _subscript(self) -> str:
        if self.at("{"):
            start = self.advance()
            parts = []
            while not self.at("}"):
                if self.token.kind == "end":
                    raise self.error("unclosed subscript", start)
                token = self.advance()
                if token.kind not in ("number", "name") and token.text not in (",", "-", "+"):
                    raise self.error(f"unexpected {token.text!r} in a subscript", token)
                parts.append(token.text)
            self.advance()
            if not parts:
                raise self.error("empty subscript", start)
            return "".join(parts)
        token = self.advance()
        if token.kind not in ("number", "name"):
            raise self.error("a subscript must be a number or a name", token)
        if self.latex and len(token.text) > 1 and token.kind == "number":
            # LaTeX: x_12 is x_1 followed by 2.
            self.tokens.insert(self.index, _Token("number", token.text[1:], token.start + 1))
            return token.text[0]
        return token.text

    def _symbol(self, base: str) -> Any:
        name = base
        if self.at("_"):
            self.advance()
            name = f"{base}_{self._subscript()}"
        while self.at("'"):
            self.advance()
            name += "'"
        return Symbol(name)

    def _name(self) -> Any:
        token = self.advance()
        word = token.text
        if word in _FUNCTIONS and (self.at("(") or self.at("\\left")):
            return self._call(_FUNCTIONS[word], token)
        if word == "Matrix" and self.at("("):
            self.expect("(")
            rows = self._list()
            self.expect(")")
            return self._matrix_from(rows, token)
        if len(word) > 1 and self.latex and not self.at("_"):
            # LaTeX: letters side by side are a product (2Wp = 2*W*p).
            value: Any = S.One
            for letter in word:
                value = value * Symbol(letter)
            return value
        if len(word) > 1 and self.latex:
            # Only the last letter carries the subscript: ab_1 = a * b_1.
            value = S.One
            for letter in word[:-1]:
                value = value * Symbol(letter)
            return value * self._symbol(word[-1])
        return self._symbol(word)

    def _call(self, function: Any, token: _Token) -> Any:
        left = self.at("\\left")
        if left:
            self.advance()
        self.expect("(")
        arguments = [self._operand(self.sum(), token)]
        while self.at(","):
            self.advance()
            arguments.append(self._operand(self.sum(), token))
        if left:
            self.expect("\\right")
        self.expect(")")
        if function is Mod and len(arguments) == 2 and arguments[1] == 0:
            raise self.error("division by zero", token)
        try:
            return function(*arguments)
        except (TypeError, ValueError):
            raise self.error(f"wrong arguments to {token.text}", token) from None

    def _list(self) -> Any:
        self.enter()
        try:
            return self._list_items()
        finally:
            self.depth -= 1

    def _list_items(self) -> Any:
        start = self.expect("[")
        items = []
        if not self.at("]"):
            items.append(self.sum() if not self.at("[") else self._list())
            while self.at(","):
                self.advance()
                items.append(self.sum() if not self.at("[") else self._list())
        self.expect("]")
        if not items:
            raise self.error("empty list", start)
        return items

    def _matrix_from(self, rows: Any, token: _Token) -> Matrix:
        if not isinstance(rows, list) or not rows:
            raise self.error("a matrix is a list of rows", token)
        grid = [row if isinstance(row, list) else [row] for row in rows]
        if len({len(row) for row in grid}) != 1:
            raise self.error("the rows of the matrix have different lengths", token)
        return Matrix(grid)

    def _command(self) -> Any:
        token = self.advance()
        name = token.text[1:]
        if name in ("frac", "dfrac", "tfrac"):
            numerator = self.group("{", "}")
            denominator = self.group("{", "}")
            if denominator == 0:
                raise self.error("division by zero", token)
            return numerator / denominator
        if name == "left":
            opening = self.advance()
            if opening.text in ("\\lfloor", "⌊"):
                return self._after_left(floor, ("\\rfloor", "⌋"))
            if opening.text in ("\\lceil", "⌈"):
                return self._after_left(ceiling, ("\\rceil", "⌉"))
            closing = {"(": ")", "[": "]", "\\{": "\\}", "|": "|", ".": "."}.get(opening.text)
            if closing is None:
                raise self.error(f"unexpected {opening.text!r} after \\left", opening)
            value = self.relation()
            self.expect("\\right")
            self.advance()
            return value
        if name in ("lfloor",):
            return self._bracketed_after(floor, ("\\rfloor", "⌋"))
        if name in ("lceil",):
            return self._bracketed_after(ceiling, ("\\rceil", "⌉"))
        if name in _GREEK:
            return self._symbol(name)
        if name in _STYLES:
            return self.group("{", "}")
        if name == "operatorname":
            self.expect("{")
            word = self.advance()
            self.expect("}")
            function = _FUNCTIONS.get(word.text)
            if function is None:
                raise self.error(f"unknown function {word.text!r}", word)
            return self._call(function, word)
        if name in ("max", "min", "bmod", "mod") and self.at("("):
            return self._call(_FUNCTIONS[name], token)
        if name == "begin":
            return self._environment(token)
        if name in _ELLIPSES:
            raise self.error("an elided entry (dots) cannot be checked; write every entry", token)
        raise self.error(f"unknown command {token.text!r}", token)

    def _after_left(self, function: Any, closing: tuple[str, ...]) -> Any:
        value = self.relation()
        self.expect("\\right")
        if not self.at(*closing):
            raise self.error(f"expected {closing[0]!r}")
        self.advance()
        return function(value)

    def _bracketed_after(self, function: Any, closing: tuple[str, ...]) -> Any:
        value = self.relation()
        if self.at("\\right"):
            self.advance()
        if not self.at(*closing):
            raise self.error(f"expected {closing[0]!r} to close {function.__name__}")
        self.advance()
        return function(value)

    def _environment(self, token: _Token) -> Matrix:
        self.expect("{")
        kind = self.advance()
        self.expect("}")
        if kind.text not in _MATRIX_ENVIRONMENTS:
            raise self.error(f"unknown environment {kind.text!r}", kind)
        if kind.text == "array":  # \begin{array}{ccc}: skip the column layout
            self.expect("{")
            while not self.at("}"):
                if self.token.kind == "end":
                    raise self.error("unclosed column layout", kind)
                self.advance()
            self.advance()
        rows: list[list[Any]] = [[]]
        while True:
            rows[-1].append(self.sum())
            if self.at("&"):
                self.advance()
            elif self.at("\\\\"):
                self.advance()
                if self.at("\\end"):
                    break
                rows.append([])
            elif self.at("\\end"):
                break
            else:
                raise self.error(f"unexpected {self.token.text!r} in a matrix")
        self.expect("\\end")
        self.expect("{")
        closing = self.advance()
        if closing.text != kind.text:
            raise self.error(f"\\begin{{{kind.text}}} ends with \\end{{{closing.text}}}", closing)
        self.expect("}")
        if self.at("^"):  # a transpose mark: [k_1 k_2 k_3]^T
            self.advance()
            mark = self.advance() if not self.at("{") else None
            if mark is None:
                self.expect("{")
                mark = self.advance()
                self.expect("}")
            if mark.text not in ("T", "\\top", "\\intercal"):
                raise self.error("only a transpose (^T) may follow a matrix", mark)
            return self._matrix_from(rows, token).T
        return self._matrix_from(rows, token)


_PREFIX = re.compile(r"\s*\$*\s*(?:(?:\\approx|≈|~)\s*)?")


def _read(text: object) -> Any:
    if not isinstance(text, str):
        raise SymconvError(f"an answer to read must be text, got {type(text).__name__}")
    prefix = _PREFIX.match(text)
    offset = prefix.end() if prefix else 0
    stripped = text[offset:].rstrip().rstrip("$").rstrip()
    if not stripped:
        raise AnswerSyntaxError("the answer is empty", text, 1)
    try:
        return _Parser(stripped).whole()
    except AnswerSyntaxError as error:
        # Report the column in the answer as typed, before "$" and spaces were dropped.
        raise AnswerSyntaxError(error.reason, text, error.column + offset) from None
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, RecursionError) as error:
        raise AnswerSyntaxError(f"cannot combine these parts ({error})", text, 1) from None


def read_expression(text: str) -> Expr:
    """Read a formula or number written in SymPy syntax or LaTeX.

    Raises:
        AnswerSyntaxError: The text is not a formula symconv can read.
    """
    value = _read(text)
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
    value = _read(text)
    if isinstance(value, list):
        rows = value if all(isinstance(r, list) for r in value) else [value]
        if len({len(r) for r in rows}) != 1:
            raise AnswerSyntaxError("the rows of the matrix have different lengths", text, 1)
        return Matrix(rows)
    if not isinstance(value, Matrix):
        raise AnswerSyntaxError("expected a matrix", text, 1)
    return value


def read_shape(text: str) -> tuple[int, ...]:
    r"""Read a tensor shape: ``(32, 126, 126)``, ``32 x 126 x 126``, ``32 \times 126 \times 126``.

    >>> read_shape("3x256x256"), read_shape("[3, 5, 5]"), read_shape(r"\mathbb{R}^{7 \times 9}")
    ((3, 256, 256), (3, 5, 5), (7, 9))
    """
    if not isinstance(text, str):
        raise SymconvError(f"a shape to read must be text, got {type(text).__name__}")
    cleaned = text.strip().strip("$").strip()
    if len(cleaned) > MAX_LENGTH:
        raise AnswerSyntaxError("the answer is too long", cleaned[:120], 1)
    if cleaned.lower() in ("none", "no rows", "()", "[]", "{}", "\\emptyset", "∅"):
        return ()
    space = re.fullmatch(r"(?:\\mathbb\{R\}|ℝ|R)\s*\^\s*\{(.*)\}", cleaned, re.S)
    if space:  # \mathbb{R}^{7 \times 9}: the shape of a matrix
        cleaned = space.group(1).strip()
    if cleaned[:1] in "([" and cleaned[-1:] in ")]":
        cleaned = cleaned[1:-1].strip().rstrip(",")  # (7,) is a one-axis shape
    parts = re.split(r"\\times|\\cdot|×|\*|,|\bby\b|(?<=\d)\s*[xX]\s*(?=\d)", cleaned)
    sizes = []
    column = 1
    for part in parts:
        piece = part.strip()
        if not re.fullmatch(r"\d{1,30}", piece):
            where = text.find(piece) + 1 if piece else column
            raise AnswerSyntaxError(
                f"a shape is whole numbers separated by x or commas, not {piece!r}",
                text,
                max(where, 1),
            )
        sizes.append(int(piece))
        column += len(part) + 1
    if not sizes:
        raise AnswerSyntaxError("the shape is empty", text, 1)
    return tuple(sizes)


def read_number(text: str) -> Expr:
    r"""Read a number: ``2400``, ``9.9883e10``, ``9.9883 \times 10^{10}``, ``99,883,155,456``."""
    cleaned = text.strip().strip("$").strip() if isinstance(text, str) else text
    if isinstance(cleaned, str) and re.fullmatch(r"\d{1,3}(,\d{3})+", cleaned):
        cleaned = cleaned.replace(",", "")
    value = read_expression(cleaned) if isinstance(cleaned, str) else cleaned
    if not value.is_number:
        raise AnswerSyntaxError("expected a number", str(text), 1)
    return value


_SCIENTIFIC = re.compile(
    r"""^\s*\$?\s*(?:\\approx|≈|~)?\s*
    (?P<mantissa>\d+(?:\.\d+)?)\s*
    (?:[eE](?P<e>[+-]?\d+)
      |(?:\\times|\\cdot|\*|x|×)\s*10\s*(?:\^|\*\*)\s*\{?\s*(?P<p>[+-]?\d+)\s*\}?)
    \s*\$?\s*$""",
    re.VERBOSE,
)


def significant_digits(text: str) -> int | None:
    r"""How many significant digits an answer in scientific notation shows, else ``None``.

    >>> significant_digits(r"9.9883 \times 10^{10}"), significant_digits("2400")
    (5, None)
    """
    match = _SCIENTIFIC.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    return len(match.group("mantissa").replace(".", "").lstrip("0")) or 1
