"""Tables of layers for sheets: a stack's rows as LaTeX, through a template."""

from __future__ import annotations

from typing import Any

from sympy import Integer, latex

from symconv.layers.stack import Stack
from symconv.present.latex import grouped, latex_escape
from symconv.present.render import environment

__all__ = ["stack_latex_table"]


def _math(value: Any) -> str:
    return str(latex(value))


def _count(value: Any) -> str:
    """A count for math mode: digits grouped when it is a number, SymPy's LaTeX when symbolic."""
    if isinstance(value, int | Integer):
        return grouped(int(value))
    return _math(value)


def stack_latex_table(stack: Stack, *, numbered: bool = False) -> str:
    r"""The stack's table as a LaTeX ``tabular``: layer, output shape, weights, MACs, field, jump.

    A row's MACs are its layer's multiply-accumulates (``LayerRow.macs``), adding
    up to ``Stack.macs``; counts are grouped in thousands, as elsewhere on sheets.
    When some layer has biases they get a column of their own and the weights
    column counts the weights alone. ``numbered`` puts each layer's number before
    its name, as a sheet's question lists them.

    >>> from symconv import stack as nn
    >>> table = stack_latex_table(nn.Stack((1, 8), [nn.conv(3, out_channels=4)]))
    >>> r"\begin{tabular}" in table, "MACs" in table, "biases" in table
    (True, True, False)
    >>> "biases" in stack_latex_table(nn.Stack((1, 8), [nn.conv(3, out_channels=4, bias=True)]))
    True
    """
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(stack.rows):
        name = row.name if number == 0 or not numbered else f"{number}: {row.name}"
        cells = {
            "name": latex_escape(name),
            "shape": r" \times ".join(_math(n) for n in row.shape),
            "weights": _count(row.weights - row.biases),
            "macs": _count(row.macs),
            "field": ["" if v is None else _math(v) for v in row.receptive_field],
        }
        if stack.bias_count != 0:
            cells["biases"] = _count(row.biases)
        rows.append(cells)
    return environment().get_template("tables/stack.tex.j2").render(rows=rows)
