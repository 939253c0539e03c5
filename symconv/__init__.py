"""symconv: convolution arithmetic derived symbolically with SymPy."""

from symconv.conv import Conv
from symconv.errors import SpecError, SpecTypeError, SymconvError
from symconv.formulas import output_size

__all__ = ["Conv", "SpecError", "SpecTypeError", "SymconvError", "output_size"]
__version__ = "0.1.0"
