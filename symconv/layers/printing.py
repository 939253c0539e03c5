"""How ``str()`` draws a layer: by a printer set from above.

A layer never imports presentation, so the package (which sits above every
room) sets :data:`text_printer` to the terminal drawing of ``y = K x`` when it
is imported; until then ``str()`` of a layer is its repr. Nothing here loads SymPy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["text_printer"]

#: Draws a layer for ``str()``; ``None``: the layer's repr.
text_printer: Callable[[Any], str] | None = None
