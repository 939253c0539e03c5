"""``symconv.explore``: every option of a layer on a slider, every view redrawn on a change.

ipywidgets is an optional extra (``pip install symconv[notebook]``); this module
does not import it until :func:`explore` is called, so ``import symconv`` stays
light and, without it, the call says in one line what to install. The widget
itself is :class:`~symconv.present.explorer_widget.Explorer`; its views are the
HTML of :mod:`symconv.present.explorer_views`.

Its options are checked and turned into a layer by
:mod:`symconv.present.explorer_options`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from symconv.present.explorer_options import (
    NEEDS_WIDGETS,
    ExplorerOptions,
    NotebookExtraMissing,
    build_layer,
)

if TYPE_CHECKING:
    from symconv.present.explorer_widget import Explorer

__all__ = ["NEEDS_WIDGETS", "ExplorerOptions", "NotebookExtraMissing", "build_layer", "explore"]


def explore(input_size: Any = 9, kernel_size: Any = 3, **options: Any) -> Explorer:
    """A notebook widget to explore a convolution: sliders and choices for every option,
    and the matrix, one output, the size formula and the window, redrawn on every change.

    Takes the arguments of :class:`~symconv.Conv` as the starting point, and
    ``transposed=True`` (with ``output_padding``) for a
    :class:`~symconv.ConvTranspose`, and ``output``, the row of the output selected.
    The returned widget shows itself in Jupyter and VS Code; its ``controls``
    (by argument name) and views (``matrix_view``, ``element_view``, ``size_view``,
    ``figure_view``) can be driven and read from code, ``layer`` is the layer
    shown, and ``to_html()`` writes the current state as a standalone page.

    Raises:
        NotebookExtraMissing: ipywidgets is not installed (also an ``ImportError``).
        SymconvError: A starting value the explorer has no control for.

    Examples:
        >>> import symconv
        >>> explorer = symconv.explore(9, 3, stride=2)
        >>> explorer.controls["padding"].value = 1
        >>> explorer.layer
        Conv(9, 3, stride=2, padding=1)
    """
    try:
        importlib.import_module("ipywidgets")
    except ImportError:
        raise NotebookExtraMissing(NEEDS_WIDGETS) from None
    settings = ExplorerOptions.from_arguments(input_size, kernel_size, **options)
    from symconv.present.explorer_widget import Explorer

    return Explorer(settings)
