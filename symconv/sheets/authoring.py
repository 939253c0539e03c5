"""An author's text with the sheet's variables: ``{{ n - k + 1 }}`` filled in by Jinja's sandbox.

Every text field of a sheet (title, intro, question, answer) is a small Jinja
template rendered per variant with the sheet's variables, in a sandbox where
nothing of Python is reachable (no attributes starting with ``_``, no imports,
bounded powers and repetitions). The result then goes through
:func:`symconv.present.latex.author_text`: escaped, with ``$...$`` math
checked and passed through.

>>> fill("a {{ n }}-long input gives {{ n - k + 1 }} outputs", {"n": 9, "k": 3})
'a 9-long input gives 7 outputs'
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from symconv.errors import SymconvError
from symconv.present.latex import author_text

__all__ = ["fill", "latex_field"]

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
        message = str(error.message or error).splitlines()[0]
        if "undefined" in message:
            known = ", ".join(sorted(values)) or "none defined"
            message = f"{message} (variables: {known})"
        raise SymconvError(message) from None
    except (ArithmeticError, TypeError, ValueError) as error:
        raise SymconvError(f"cannot compute {{{{ ... }}}}: {error}") from None


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
