"""The layers: pure derivations of sizes, symbols, matrices and outputs.

Nothing here knows about LaTeX, notebooks or words; :mod:`symconv.present`,
:mod:`symconv.sheets` and :mod:`symconv.answers` read these objects.

The names below are imported when first used, so that reading one module of
the package (``symconv.layers.symbols``, say) does not load every layer kind.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symconv.layers.conv import Conv
    from symconv.layers.equivariance import (
        Equivariance,
        shift_matrix,
        translation_equivariance,
    )
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

#: Where each public name lives.
_HOMES = {
    "Conv": "conv",
    "ConvTranspose": "transpose",
    "Equivariance": "equivariance",
    "LayerFormulas": "formulas",
    "Pool": "pool",
    "Stack": "stack",
    "layer_formulas": "formulas",
    "output_size": "formulas",
    "shift_matrix": "equivariance",
    "translation_equivariance": "equivariance",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
