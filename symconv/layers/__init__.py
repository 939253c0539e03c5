"""The layers: pure derivations of sizes, symbols, matrices and outputs.

Nothing here knows about LaTeX, notebooks or words; :mod:`symconv.present`,
:mod:`symconv.sheets` and :mod:`symconv.answers` read these objects.
"""

from symconv.layers.conv import Conv
from symconv.layers.equivariance import Equivariance, shift_matrix, translation_equivariance
from symconv.layers.formulas import LayerFormulas, layer_formulas, output_size
from symconv.layers.pool import Pool
from symconv.layers.stack import Stack
from symconv.layers.transpose import ConvTranspose

__all__ = [
    "Conv",
    "ConvTranspose",
    "Equivariance",
    "LayerFormulas",
    "Pool",
    "Stack",
    "layer_formulas",
    "output_size",
    "shift_matrix",
    "translation_equivariance",
]
