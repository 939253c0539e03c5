"""An author's text with the sheet's variables: ``{{ n - k + 1 }}`` filled in by Jinja's sandbox.

Every text field of a sheet (title, intro, question, answer) is a small Jinja
template rendered per variant with the sheet's variables, in a sandbox where
nothing of Python is reachable (no attributes starting with ``_``, no imports,
bounded powers and repetitions). The result then goes through
:func:`symconv.present.latex.author_text`: escaped, with ``$...$`` math
checked and passed through.

Variables defined by an expression and a sheet's ``where`` constraints are
Jinja expressions read by the same sandbox (:func:`evaluate`): never ``eval``,
``sympify`` or ``parse_expr``.

>>> fill("a {{ n }}-long input gives {{ n - k + 1 }} outputs", {"n": 9, "k": 3})
'a 9-long input gives 7 outputs'
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

from symconv.errors import SymconvError
from symconv.present.latex import author_text

__all__ = ["evaluate", "fill", "latex_field", "names_in"]

_LARGEST = 10**12  # bigger numbers or longer strings than this in a text field are refused


#: Jinja's filters a sheet may use: arithmetic and plain text ones whose output is no
#: larger than their input (``center``, ``format``, ``indent`` and the like could make
#: gigabytes of text from a few characters, and nothing a sheet says needs them).
_FILTERS = frozenset(
    {"abs", "int", "float", "round", "string", "lower", "upper", "title", "capitalize",
     "trim", "length", "count", "min", "max", "sum", "first", "last", "join", "default", "d"}
)  # fmt: skip
_LONGEST_TEXT = 10_000  # characters of a value, and of a repeated text


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, with ``**``, ``*`` and ``%`` bounded so a text cannot exhaust the
    machine: no number past ``_LARGEST`` squared, no text past ``_LONGEST_TEXT``."""

    intercepted_binops = frozenset({"**", "*", "%"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "%":
            if isinstance(left, str):
                raise SymconvError("text cannot be formatted with % in a sheet")
            return operator.mod(left, right)
        if operator_name == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and right * (abs(left).bit_length() - 1) > (_LARGEST**2).bit_length()
            ):
                raise SymconvError(f"{left} ** {right} is too large for a sheet")
            return operator.pow(left, right)
        for value, other in ((left, right), (right, left)):
            if (
                isinstance(value, (str, list, tuple))
                and isinstance(other, int)
                and (len(value) * other > _LONGEST_TEXT)
            ):
                raise SymconvError("a repeated text is too long for a sheet")
        result = operator.mul(left, right)
        if isinstance(result, int) and abs(result) > _LARGEST**2:
            raise SymconvError("a product is too large for a sheet")
        return result


@cache
def _sandbox() -> _Sandbox:
    sandbox = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    sandbox.globals.clear()  # only the sheet's variables: no range, cycler, lipsum, ...
    sandbox.filters = {name: sandbox.filters[name] for name in _FILTERS}
    return sandbox


@lru_cache(maxsize=4096)
def _template(text: str) -> Any:
    """A text field compiled once: class sets fill the same texts for every variant."""
    return _sandbox().from_string(text)


@lru_cache(maxsize=4096)
def _expression(expression: str) -> Any:
    """An expression compiled once: drawing a variant evaluates the same ones many times."""
    return _sandbox().compile_expression(expression, undefined_to_none=False)


def _bounded(value: Any) -> Any:
    """A computed value, refused when it is too large to be anything a sheet prints."""
    if isinstance(value, int) and abs(value) > _LARGEST**2:
        raise SymconvError("the result is too large for a sheet")
    if isinstance(value, str) and len(value) > 10 * _LONGEST_TEXT:
        raise SymconvError("the result is too long for a sheet")
    return value


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with its ``{{ ... }}`` filled from ``values`` in the sandbox.

    Raises:
        SymconvError: Unknown variable, bad syntax, or anything the sandbox refuses
            (``{{ ''.__class__ }}``), in one line.
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text
    try:
        return str(_bounded(_template(text).render(**values)))
    except TemplateError as error:
        raise SymconvError(_reason(error, values)) from None
    except (ArithmeticError, TypeError, ValueError) as error:
        raise SymconvError(f"cannot compute {{{{ ... }}}}: {error}") from None


def _reason(error: TemplateError, values: Mapping[str, Any]) -> str:
    """Jinja's complaint in one line, naming the variables when one is unknown."""
    message = str(error.message or error).splitlines()[0]
    if "undefined" in message:
        known = ", ".join(sorted(values)) or "none defined"
        message = f"{message} (variables: {known})"
    return message


def evaluate(expression: str, values: Mapping[str, Any]) -> Any:
    """The value of a Jinja expression over ``values``, computed in the sandbox.

    >>> evaluate("(f - 1) // 2", {"f": 5}), evaluate("k <= n", {"k": 3, "n": 2})
    (2, False)

    Raises:
        SymconvError: Bad syntax, an unknown variable, something the sandbox
            refuses (``''.__class__``) or arithmetic that fails, in one line.
    """
    try:
        value = _bounded(_expression(expression)(**values))
    except TemplateError as error:
        raise SymconvError(_reason(error, values)) from None
    except (ArithmeticError, TypeError, ValueError) as error:
        raise SymconvError(f"cannot compute it: {error}") from None
    if isinstance(value, Undefined):
        raise SymconvError("it names nothing a sheet can use")
    return value


def names_in(expression: str) -> set[str]:
    """The variables an expression reads.

    >>> sorted(names_in("(f - 1) // g"))
    ['f', 'g']

    Raises:
        SymconvError: The expression cannot be read.
    """
    try:
        return set(meta.find_undeclared_variables(_sandbox().parse(f"{{{{ {expression} }}}}")))
    except TemplateError as error:
        raise SymconvError(_reason(error, {})) from None


def latex_field(where: str, text: str, values: Mapping[str, Any]) -> tuple[str, str]:
    """A text field filled in and made LaTeX: ``(LaTeX, plain filled text)``.

    Raises:
        SymconvError: The field cannot be filled, or its math holds a refused command;
            the message starts with ``where``.
    """
    try:
        plain = fill(text, values)
        return author_text(plain), plain
    except SymconvError as error:
        raise SymconvError(f"{where}: {error}") from None
