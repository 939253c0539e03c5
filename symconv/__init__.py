"""symconv: convolution arithmetic derived symbolically with SymPy.

The public names are imported when first used, so that a command (or a
program) pays only for the parts it needs: ``from symconv import Conv`` does
not load the checker or the sheets.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symconv import pooling as pooling
    from symconv import stack as stack
    from symconv import testing as testing
    from symconv.answers import Verdict, check
    from symconv.errors import SpecError, SpecTypeError, SymconvError
    from symconv.layers.conv import Conv
    from symconv.layers.formulas import output_size
    from symconv.layers.transpose import ConvTranspose
    from symconv.present.explorer import explore
    from symconv.sheets import render_sheet

__all__ = [
    "Conv",
    "ConvTranspose",
    "SpecError",
    "SpecTypeError",
    "SymconvError",
    "Verdict",
    "check",
    "explore",
    "output_size",
    "render_sheet",
]
__version__ = "0.1.0"

#: Where each public name lives.
_HOMES = {
    "Conv": "symconv.layers.conv",
    "ConvTranspose": "symconv.layers.transpose",
    "SpecError": "symconv.errors",
    "SpecTypeError": "symconv.errors",
    "SymconvError": "symconv.errors",
    "Verdict": "symconv.answers",
    "check": "symconv.answers",
    "explore": "symconv.present.explorer",
    "output_size": "symconv.layers.formulas",
    "render_sheet": "symconv.sheets",
}

#: Submodules reachable as attributes (``symconv.stack.conv(...)``) after ``import symconv``.
_SUBMODULES = ("pooling", "stack", "testing")


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES, *_SUBMODULES})


def _text_equation(layer: Any) -> str:
    """``print(layer)``: ``y = K x`` as SymPy's pretty printer draws it, elided to fit."""
    from symconv.present.display import text_equation

    return text_equation(layer)


def _print_layers_as_equations() -> None:
    from symconv.layers import printing

    printing.text_printer = _text_equation


def _show_in_notebooks() -> None:
    """In a running IPython (Jupyter), show layers and formulas as LaTeX."""
    if "IPython" in sys.modules:
        from symconv.present.notebook import register

        register()


_print_layers_as_equations()
_show_in_notebooks()
