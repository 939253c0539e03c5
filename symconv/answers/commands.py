r"""LaTeX commands in answers: ``\frac``, ``\left``, ``\sum``, styles, environments.

Each function reads one construct with the :class:`~symconv.answers.parser.Parser`
it is given and returns what it means as a SymPy object.

>>> from symconv.answers.parser import Parser
>>> Parser(r"\sum_{j=1}^{3} k_j x_j").whole()
k_1*x_1 + k_2*x_2 + k_3*x_3
>>> Parser(r"\mathrm{floor}\left(\frac{W}{s}\right)").whole()
floor(W/s)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sympy import Add, Expr, Integer, Matrix, Pow, Symbol, ceiling, floor

from symconv.answers.lexing import Token
from symconv.answers.limits import MAX_TERMS

if TYPE_CHECKING:
    from symconv.answers.parser import Parser

__all__ = ["command"]

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


def command(parser: Parser) -> Any:
    """The construct a command token starts."""
    from symconv.answers.parser import FUNCTIONS

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
