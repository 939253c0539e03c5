"""symconv: convolution arithmetic derived symbolically with SymPy."""

from symconv.answers import Verdict, check
from symconv.conv import Conv
from symconv.errors import SpecError, SpecTypeError, SymconvError
from symconv.formulas import output_size
from symconv.sheets import render_sheet
from symconv.transpose import ConvTranspose

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
