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
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

from symconv.errors import SymconvError
from symconv.present.latex import author_text

__all__ = ["evaluate", "fill", "latex_field", "names_in"]

_LARGEST = 10**12  # bigger numbers or longer strings than this in a text field are refused


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, with ``**`` and ``*`` bounded so a text cannot exhaust the machine."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 64:
                raise SymconvError(f"{left} ** {right} is too large for a sheet")
            return operator.pow(left, right)
        for value, other in ((left, right), (right, left)):
            if (
                isinstance(value, (str, list, tuple))
                and isinstance(other, int)
                and (len(value) * other > 10_000)
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
    return sandbox


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with its ``{{ ... }}`` filled from ``values`` in the sandbox.

    Raises:
        SymconvError: Unknown variable, bad syntax, or anything the sandbox refuses
            (``{{ ''.__class__ }}``), in one line.
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text
    try:
        return _sandbox().from_string(text).render(**values)
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
        value = _sandbox().compile_expression(expression, undefined_to_none=False)(**values)
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
