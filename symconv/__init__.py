"""symconv: convolution arithmetic derived symbolically with SymPy."""

from symconv.answers import Verdict, check
from symconv.errors import SpecError, SpecTypeError, SymconvError
from symconv.layers.conv import Conv
from symconv.layers.formulas import output_size
from symconv.layers.transpose import ConvTranspose
from symconv.sheets import render_sheet

__all__ = [
    "Conv",
    "ConvTranspose",
    "SpecError",
    "SpecTypeError",
    "SymconvError",
    "Verdict",
    "check",
    "output_size",
    "render_sheet",
]
__version__ = "0.1.0"


def _show_in_notebooks() -> None:
    """In a running IPython (Jupyter), show layers and formulas as LaTeX."""
    import sys

    if "IPython" in sys.modules:
        from symconv.present.notebook import register

        register()


_show_in_notebooks()
