r"""The grammar of answers: one recursive-descent parser for SymPy syntax and LaTeX.

It knows an allow-list of operations and builds SymPy objects from them
directly; nothing a user typed is ever evaluated as code. Sums and products are
collected and built once (``Add(*terms)``), so reading is linear in the length
of the text; budgets on numbers, nesting and the arguments of floor, ``Mod``,
``max`` and ``min`` are checked before SymPy builds anything from them.
LaTeX commands (``\frac``, ``\left``, ``\sum``, styles, environments) are
grammar rules like the rest: the parser owns their table, so reading a command
and reading what it encloses is one recursion.

>>> Parser("k1 x1 + k_2 x_2").whole()
k_1*x_1 + k_2*x_2
>>> Parser("W - K + 1 = 7").whole()
Equation(sides=(-K + W + 1, 7))
>>> Parser(r"\sum_{j=1}^{3} k_j x_j").whole()
k_1*x_1 + k_2*x_2 + k_3*x_3
>>> Parser(r"\mathrm{floor}\left(\frac{W}{s}\right)").whole()
floor(W/s)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sympy import (
    Add,
    Expr,
    Integer,
    Matrix,
    Max,
    Min,
    Mod,
    Mul,
    Pow,
    Rational,
    Symbol,
    ceiling,
    floor,
)

from symconv.answers.lexing import AnswerSyntaxError, Token, tokens
from symconv.answers.limits import (
    MAX_ARGUMENTS,
    MAX_DEGREE,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LENGTH,
    MAX_TERMS,
    tick,
)

__all__ = ["FUNCTIONS", "Equation", "Parser"]

#: Floors and ceilings SymPy simplifies as it builds them, per answer; the rest are
#: kept as written.
MAX_EVALUATED = 16

FUNCTIONS = {
    "floor": floor, "ceil": ceiling, "ceiling": ceiling, "Mod": Mod, "mod": Mod,
    "bmod": Mod, "max": Max, "Max": Max, "min": Min, "Min": Min,
}  # fmt: skip
_TIMES = ("*", "\\cdot", "\\times", "×", "·", "⋅")
_NOT_A_FACTOR = (
    "\\right", "\\cdot", "\\times", "\\end", "\\\\", "\\rfloor", "\\rceil", "\\bmod", "\\mod",
)  # fmt: skip


@dataclass(frozen=True)
class Equation:
    """``a = b = c`` as written: every side, in order."""

    sides: tuple[Any, ...]


def _digits(number: int) -> float:
    return math.log10(abs(number)) if number else 0.0


def _too_large(value: Any) -> bool:
    return (
        isinstance(value, Expr)
        and bool(value.is_Rational)
        and (_digits(int(value.p)) > MAX_DIGITS or _digits(int(value.q)) > MAX_DIGITS)
    )


def degree(expr: Expr) -> int:
    """An upper bound of a formula's degree, without expanding it."""
    if expr.is_Symbol:
        return 1
    if expr.is_Number:
        return 0
    if isinstance(expr, Pow) and expr.exp.is_Integer:
        return degree(expr.base) * abs(int(expr.exp))
    if isinstance(expr, Add):
        return max((degree(a) for a in expr.args), default=0)
    return sum(degree(a) for a in expr.args)


class Parser:
    """Reads one answer; :meth:`whole` returns a formula, a list, a matrix or an
    :class:`Equation`."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise AnswerSyntaxError(
                f"the answer is {len(text)} characters long; at most {MAX_LENGTH} are read",
                text[:120],
                1,
            )
        self.text = text
        self.tokens = tokens(text)
        self.index = 0
        self.depth = 0
        self.functions = 0  # floors, ceilings, max, min and Mod built so far
        self.atoms = 0
        # A backslash or brace means LaTeX, where letters side by side are a product.
        self.latex = "\\" in text or "{" in text

    # Token helpers ---------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    @property
    def previous(self) -> Token | None:
        return self.tokens[self.index - 1] if self.index else None

    def peek(self, ahead: int) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def error(self, message: str, token: Token | None = None) -> AnswerSyntaxError:
        return AnswerSyntaxError(message, self.text, (token or self.token).start + 1)

    def advance(self) -> Token:
        token = self.token
        if token.kind == "end":
            raise self.error("the answer ends too early")
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.text in texts

    def expect(self, text: str) -> Token:
        if self.token.text != text:
            found = repr(self.token.text) if self.token.kind != "end" else "the end"
            raise self.error(f"expected {text!r} but found {found}")
        return self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"brackets, fractions, functions or powers nested over {MAX_DEPTH} deep"
            )

    def leave(self) -> None:
        self.depth -= 1

    def operand(self, value: Any, token: Token | None = None) -> Expr:
        """A value that arithmetic may combine: a formula, not a list or a matrix."""
        if not isinstance(value, Expr):
            kind = "list" if isinstance(value, list | tuple) else "matrix"
            raise self.error(f"a {kind} cannot be part of a formula here", token)
        return value

    def nonzero(self, divisor: Expr, token: Token) -> Expr:
        if divisor == 0:
            raise self.error("division by zero", token)
        return divisor

    # Grammar ---------------------------------------------------------------

    def whole(self) -> Any:
        value = self.relation()
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.token.text!r}")
        return value

    def relation(self) -> Any:
        """``a = b = c``: every side is kept (``W' = W - K + 1 = 7``)."""
        sides = [self.sequence()]
        while self.at("="):
            self.advance()
            sides.append(self.sequence())
        return sides[0] if len(sides) == 1 else Equation(tuple(sides))

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
        first = self.product()
        if not self.at("+", "-", "−"):
            return first
        terms = [self.operand(first)]
        while self.at("+", "-", "−"):
            token = self.advance()
            term = self.operand(self.product(), token)
            terms.append(term if token.text == "+" else -term)
        return Add(*terms)

    def starts_factor(self) -> bool:
        token = self.token
        if token.kind in ("number", "name"):
            return True
        if token.kind == "command":
            return token.text not in _NOT_A_FACTOR
        return token.text in ("(", "{", "[", "⌊", "⌈")

    def product(self) -> Any:
        factors = [self.signed()]
        while True:
            token = self.token
            if self.at(*_TIMES):
                self.advance()
                factors.append(self.signed())
            elif self.at("/"):
                self.advance()
                divisor = self.nonzero(self.operand(self.signed(), token), token)
                factors.append(Pow(divisor, -1))
            elif self.at("//", "\\bmod", "\\mod"):
                self.advance()
                left = self.multiply(factors, token)
                divisor = self.nonzero(self.operand(self.signed(), token), token)
                if token.text == "//":
                    factors = [self.apply(floor, [left * Pow(divisor, -1)], token)]
                else:
                    factors = [self.apply(Mod, [left, divisor], token)]
            elif self.starts_factor():
                before = self.previous
                if token.kind == "number" and before is not None and before.kind == "number":
                    raise self.error(
                        "two numbers side by side; write a product with * or \\cdot, "
                        "and digit groups as 2 400 or 2{,}400",
                        token,
                    )
                factors.append(self.power())
            else:
                return factors[0] if len(factors) == 1 else self.multiply(factors, token)

    def multiply(self, factors: list[Any], token: Token) -> Expr:
        if len(factors) == 1:
            return self.operand(factors[0], token)
        operands = [self.operand(f, token) for f in factors]
        number = Integer(1)
        for factor in operands:
            if factor.is_Rational:
                number *= factor
                if _too_large(number):
                    raise self.error(f"number too large (over {MAX_DIGITS} digits)", token)
        return Mul(*operands)

    def signed(self) -> Any:
        negative = False
        first = self.token
        while self.at("-", "−", "+"):  # a run of signs, read without recursion
            negative ^= self.advance().text != "+"
        value = self.power()
        if first.text in ("-", "−", "+"):
            value = self.operand(value, first)
        return -value if negative else value

    def power(self) -> Any:
        base = self.atom()
        if not self.at("^", "**"):
            return base
        token = self.advance()
        exponent = self.exponent()
        base, exponent = self.operand(base, token), self.operand(exponent, token)
        if exponent.is_Number and abs(exponent) > MAX_DIGITS:
            raise self.error(f"exponent {exponent} too large", token)
        if exponent.is_Number and base.is_Rational:
            # Digits of the result: |e| times the digits of the base's larger part.
            digits = max(_digits(base.p), _digits(base.q))
            if abs(float(exponent)) * digits > MAX_DIGITS:
                raise self.error(f"number too large (over {MAX_DIGITS} digits)", token)
        elif not exponent.is_Number:
            raise self.error("an exponent must be a number", token)
        result = Pow(base, exponent)
        if _too_large(result):
            raise self.error(f"number too large (over {MAX_DIGITS} digits)", token)
        return result

    def exponent(self) -> Any:
        self.enter()
        try:
            if self.at("{"):
                return self.group("{", "}")
            if self.token.kind == "number" and self.latex:
                return self.number(self.advance())  # 10^10: the whole number
            return self.signed()
        finally:
            self.leave()

    def group(self, opening: str, closing: str) -> Any:
        self.expect(opening)
        value = self.sequence()
        self.expect(closing)
        return value

    def atom(self) -> Any:
        self.enter()
        self.atoms += 1
        if self.atoms % 64 == 0:
            tick()  # building SymPy objects costs; the check's clock covers reading
        try:
            return self._atom()
        finally:
            self.leave()

    def _atom(self) -> Any:
        token = self.token
        if token.kind == "number":
            return self.number(self.advance())
        if token.kind == "name":
            return self.name()
        if token.text == "(":
            return self.group("(", ")")
        if token.text == "{":
            return self.group("{", "}")
        if token.text == "[":
            return self.list()
        if token.text in ("⌊", "\\lfloor"):
            return self.bracketed(floor, ("⌋", "\\rfloor"))
        if token.text in ("⌈", "\\lceil"):
            return self.bracketed(ceiling, ("⌉", "\\rceil"))
        if token.kind == "command":
            return _command(self)
        if token.kind == "end":
            raise self.error("the answer ends too early")
        raise self.error(f"unexpected {token.text!r}")

    def bracketed(self, function: Any, closing: tuple[str, ...]) -> Any:
        token = self.advance()
        value = self.operand(self.sequence(), token)
        if self.at("\\right"):
            self.advance()
        if not self.at(*closing):
            raise self.error(f"expected {closing[-1]!r} to close {function.__name__}")
        self.advance()
        return self.apply(function, [value], token)

    def number(self, token: Token) -> Expr:
        text = token.text
        mantissa, _, exponent_text = text.lower().partition("e")
        digits = len(mantissa.replace(".", "").lstrip("0"))
        exponent = int(exponent_text) if exponent_text else 0
        if digits + abs(exponent) > MAX_DIGITS:
            raise self.error(f"number too large (over {MAX_DIGITS} digits)", token)
        return Rational(text) if ("." in text or exponent_text) else Integer(text)

    def subscript(self) -> str:
        """``_1``, ``_{11}``, ``_11`` (also x_{11}), ``_{1,2}``, ``_{out}``, ``_{j+1}``."""
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
        return token.text

    def symbol(self, base: str) -> Symbol:
        name = base
        if self.at("_"):
            self.advance()
            name = f"{base}_{self.subscript()}"
        while self.at("'"):
            self.advance()
            name += "'"
        return Symbol(name)

    def name(self) -> Any:
        token = self.advance()
        word = token.text
        letters = word.rstrip("0123456789")
        index = word[len(letters) :]
        if word in FUNCTIONS and (self.at("(") or self.at("\\left")):
            return self.call(FUNCTIONS[word], token)
        if word == "Matrix" and self.at("("):
            self.expect("(")
            rows = self.list()
            self.expect(")")
            return self.matrix_from(rows, token)
        if self.latex and len(letters) > 1:
            # LaTeX: letters side by side are a product (2Wp = 2*W*p); only the last
            # carries a subscript (ab_1 = a * b_1).
            head = [Symbol(letter) for letter in letters[:-1]]
            return Mul(*head, self.indexed(letters[-1], index))
        return self.indexed(letters, index)

    def indexed(self, letters: str, index: str) -> Symbol:
        """``k1`` is ``k_1``: a name followed by digits carries them as its index."""
        if index:
            if self.at("_"):
                raise self.error(f"{letters}{index} already has the index {index}")
            return self.symbol(f"{letters}_{index}")
        return self.symbol(letters)

    def call(self, function: Any, token: Token) -> Any:
        left = self.at("\\left")
        if left:
            self.advance()
        self.expect("(")
        arguments = [self.operand(self.sum(), token)]
        while self.at(","):
            self.advance()
            arguments.append(self.operand(self.sum(), token))
            if len(arguments) > MAX_ARGUMENTS:
                raise self.error(f"more than {MAX_ARGUMENTS} arguments", token)
        if left:
            self.expect("\\right")
        self.expect(")")
        if function is Mod and len(arguments) == 2:
            self.nonzero(arguments[1], token)
        return self.apply(function, arguments, token)

    def bounded(self, function: Any, arguments: list[Expr], token: Token) -> None:
        """Refuse arguments of floor, Mod, max or min whose degree SymPy would choke on."""
        highest = MAX_DEGREE // 2 if function is Mod else MAX_DEGREE
        for argument in arguments:
            if degree(argument) > highest:
                name = getattr(function, "__name__", token.text)
                raise self.error(
                    f"the argument of {name} is of too high a degree (over {highest}) to check",
                    token,
                )

    def apply(self, function: Any, arguments: list[Expr], token: Token) -> Expr:
        self.bounded(function, arguments, token)
        self.functions += 1
        try:
            if function in (Max, Min, Mod) or self.functions > MAX_EVALUATED:
                # SymPy compares every pair of arguments of max and min, divides
                # polynomials in Mod, and queries assumptions for each floor as it
                # builds them: kept as written, they are decided by evaluation instead.
                return function(*arguments, evaluate=False)
            return function(*arguments)
        except (TypeError, ValueError):
            raise self.error(f"wrong arguments to {token.text}", token) from None

    def list(self) -> Any:
        self.enter()
        try:
            start = self.expect("[")
            items = []
            if not self.at("]"):
                items.append(self.sum() if not self.at("[") else self.list())
                while self.at(","):
                    self.advance()
                    items.append(self.sum() if not self.at("[") else self.list())
            self.expect("]")
            if not items:
                raise self.error("empty list", start)
            return items
        finally:
            self.leave()

    def matrix_from(self, rows: Any, token: Token) -> Matrix:
        if not isinstance(rows, list) or not rows:
            raise self.error("a matrix is a list of rows", token)
        grid = [row if isinstance(row, list) else [row] for row in rows]
        if len({len(row) for row in grid}) != 1:
            raise self.error("the rows of the matrix have different lengths", token)
        return Matrix(grid)


# LaTeX commands: each reader takes the parser at the command token.

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}  # fmt: skip
_STYLES = {
    "mathbf", "mathrm", "mathit", "boldsymbol", "bm", "mathsf", "text", "textbf", "mathbb",
    "operatorname", "textrm", "textit", "mathtt",
}  # fmt: skip
_MATRIX_ENVIRONMENTS = {
    "matrix", "bmatrix", "pmatrix", "Bmatrix", "vmatrix", "smallmatrix", "array",
}  # fmt: skip
_ELLIPSES = {"cdots", "vdots", "ddots", "ldots", "dots", "hdots"}
_CLOSING = {"(": ")", "[": "]", "\\{": "\\}", "|": "|", ".": ".", "\\lvert": "\\rvert"}


def _command(parser: Parser) -> Any:
    """The construct a command token starts."""
    token = parser.advance()
    name = token.text[1:]
    if name in ("frac", "dfrac", "tfrac"):
        numerator = parser.operand(parser.group("{", "}"), token)
        denominator = parser.operand(parser.group("{", "}"), token)
        return numerator * Pow(parser.nonzero(denominator, token), -1)
    if name == "left":
        return _left(parser)
    if name in ("sum", "Sum"):
        return _sum(parser, token)
    if name in _GREEK:
        return parser.symbol(name)
    if name in _STYLES:
        # \mathrm{floor}(...) and \operatorname{max}(...) name a function.
        word = parser.peek(1)
        if parser.at("{") and word.text in FUNCTIONS and parser.peek(2).text == "}":
            parser.advance()
            parser.advance()
            parser.advance()
            return parser.call(FUNCTIONS[word.text], word)
        if name == "operatorname":
            raise parser.error(f"unknown function {word.text!r}", word)
        return parser.group("{", "}")
    if name in ("max", "min", "bmod", "mod", "floor", "ceil") and parser.at("(", "\\left"):
        return parser.call(FUNCTIONS[name], token)
    if name == "begin":
        return _environment(parser, token)
    if name in _ELLIPSES:
        raise parser.error("an elided entry (dots) cannot be checked; write every entry", token)
    raise parser.error(f"unknown command {token.text!r}", token)


def _left(parser: Parser) -> Any:
    opening = parser.advance()
    if opening.text in ("\\lfloor", "⌊"):
        return _left_function(parser, floor, ("\\rfloor", "⌋"), opening)
    if opening.text in ("\\lceil", "⌈"):
        return _left_function(parser, ceiling, ("\\rceil", "⌉"), opening)
    closing = _CLOSING.get(opening.text)
    if closing is None:
        raise parser.error(f"unexpected {opening.text!r} after \\left", opening)
    value = parser.sequence()
    parser.expect("\\right")
    if parser.token.kind == "end":
        raise parser.error(f"expected a closing {closing!r} after \\right")
    parser.advance()
    return value


def _left_function(parser: Parser, function: Any, closing: tuple[str, ...], token: Token) -> Any:
    value = parser.operand(parser.sequence(), token)
    parser.expect("\\right")
    if not parser.at(*closing):
        raise parser.error(f"expected {closing[0]!r}")
    parser.advance()
    return parser.apply(function, [value], token)


_INDEX_PART = re.compile(r"[A-Za-z]+|\d+|[+-]")
#: Parts (symbols, numbers, operations) a written-out sum may have at most.
MAX_SUM_NODES = 50_000


def _sum(parser: Parser, token: Token) -> Expr:
    r"""``\sum_{j=1}^{3} k_j x_j``: the terms of the sum written out."""
    parser.expect("_")
    parser.expect("{")
    index = parser.advance()
    if index.kind != "name":
        raise parser.error("a sum needs an index such as j=1", index)
    parser.expect("=")
    low = parser.operand(parser.sum(), token)
    parser.expect("}")
    parser.expect("^")
    high = parser.operand(
        parser.group("{", "}") if parser.at("{") else parser.number(parser.advance()), token
    )
    if not (low.is_Integer and high.is_Integer):
        raise parser.error("the bounds of a sum must be whole numbers", token)
    if int(high) - int(low) + 1 > MAX_TERMS:
        raise parser.error(f"a sum of more than {MAX_TERMS} terms", token)
    body = parser.operand(parser.product(), token)
    count = int(high) - int(low) + 1
    if count * _nodes(body, MAX_SUM_NODES) > MAX_SUM_NODES:
        raise parser.error(f"a sum that writes out to over {MAX_SUM_NODES} parts", token)
    return Add(*(_substituted(body, index.text, value) for value in range(int(low), int(high) + 1)))


def _nodes(expr: Expr, limit: int) -> int:
    """The nodes of ``expr``, counted up to just past ``limit``."""
    count, stack = 0, [expr]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


def _substituted(body: Expr, index: str, value: int) -> Expr:
    """``k_j`` with ``j = 2`` is ``k_2``; ``x_{j+1}`` is ``x_3``; a lone ``j`` is 2."""
    mapping: dict[Symbol, Expr] = {}
    for symbol in body.free_symbols:
        if not isinstance(symbol, Symbol):
            continue
        if symbol.name == index:
            mapping[symbol] = Integer(value)
            continue
        base, underscore, subscript = symbol.name.partition("_")
        if underscore and index in _INDEX_PART.findall(subscript):
            parts = [_index_value(part, index, value) for part in subscript.split(",")]
            mapping[symbol] = Symbol(f"{base}_{','.join(parts)}")
    return body.xreplace(mapping)


def _index_value(part: str, index: str, value: int) -> str:
    pieces = _INDEX_PART.findall(part)
    if index not in pieces:
        return part
    total, sign = 0, 1
    for piece in pieces:
        if piece in "+-":
            sign = 1 if piece == "+" else -1
        elif piece == index:
            total += sign * value
        elif piece.isdigit():
            total += sign * int(piece)
        else:
            return part  # another name: leave the index as written
    return str(total)


def _environment(parser: Parser, token: Token) -> Matrix:
    parser.expect("{")
    kind = parser.advance()
    parser.expect("}")
    if kind.text not in _MATRIX_ENVIRONMENTS:
        raise parser.error(f"unknown environment {kind.text!r}", kind)
    if kind.text == "array":  # \begin{array}{ccc}: skip the column layout
        parser.expect("{")
        while not parser.at("}"):
            parser.advance()
        parser.advance()
    rows: list[list[Any]] = [[]]
    while True:
        rows[-1].append(parser.sum())
        if parser.at("&"):
            parser.advance()
        elif parser.at("\\\\"):
            parser.advance()
            if parser.at("\\end"):
                break
            rows.append([])
        elif parser.at("\\end"):
            break
        else:
            raise parser.error(f"unexpected {parser.token.text!r} in a matrix")
    parser.expect("\\end")
    parser.expect("{")
    closing = parser.advance()
    if closing.text != kind.text:
        raise parser.error(f"\\begin{{{kind.text}}} ends with \\end{{{closing.text}}}", closing)
    parser.expect("}")
    if parser.at("^"):  # a transpose mark: [k_1 k_2 k_3]^T
        parser.advance()
        mark = parser.advance() if not parser.at("{") else None
        if mark is None:
            parser.expect("{")
            mark = parser.advance()
            parser.expect("}")
        if mark.text not in ("T", "\\top", "\\intercal"):
            raise parser.error("only a transpose (^T) may follow a matrix", mark)
        return parser.matrix_from(rows, token).T
    return parser.matrix_from(rows, token)
