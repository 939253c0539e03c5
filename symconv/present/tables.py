"""Tables of layers for sheets: a stack's rows as LaTeX, through a template."""

from __future__ import annotations

from typing import Any

from sympy import latex

from symconv.layers.stack import Stack
from symconv.present.render import environment

__all__ = ["stack_latex_table"]


def _math(value: Any) -> str:
    return str(latex(value))


def stack_latex_table(stack: Stack) -> str:
    """The stack's table (layer, output shape, weights, receptive field) as a LaTeX ``tabular``.

    >>> from symconv import stack as nn
    >>> r"\\begin{tabular}" in stack_latex_table(nn.Stack((1, 8), [nn.conv(3)]))
    True
    """
    rows = [
        {
            "name": row.name,
            "shape": r" \times ".join(_math(n) for n in row.shape),
            "weights": _math(row.weights),
            "field": ["" if v is None else _math(v) for v in row.receptive_field],
        }
        for row in stack.rows
    ]
    return environment().get_template("tables/stack.tex.j2").render(rows=rows)
