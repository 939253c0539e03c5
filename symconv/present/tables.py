"""Tables of layers: a stack's rows as LaTeX for sheets and documents, as text for a
terminal and as JSON for tools."""

from __future__ import annotations

import textwrap
from typing import Any

from sympy import Integer, latex

from symconv.layers.stack import Stack
from symconv.present.latex import grouped, latex_escape
from symconv.present.render import environment

__all__ = [
    "network_html_table",
    "network_latex_table",
    "network_record",
    "network_text_table",
    "stack_latex_table",
]

#: What the counts of a network's table mean, said once wherever it is printed.
CONVENTIONS = (
    "weights count every trainable parameter (biases and batch norm's scale and shift "
    "included, running statistics not); MACs are multiply-accumulates of one forward pass "
    "(convolutions, transposed convolutions, dense layers), so FLOPs = 2 x MACs; field is "
    "the receptive field along the first spatial axis, jump the distance between outputs "
    "in input positions"
)


def _math(value: Any) -> str:
    return str(latex(value))


def _count(value: Any) -> str:
    """A count for math mode: digits grouped when it is a number, SymPy's LaTeX when symbolic."""
    if isinstance(value, int | Integer):
        return grouped(int(value))
    return _math(value)


def stack_latex_table(stack: Stack, *, numbered: bool = False, paths: bool | None = None) -> str:
    r"""The stack's table as a LaTeX ``tabular``: layer, output shape, weights, MACs, field, jump.

    A row's MACs are its layer's multiply-accumulates (``LayerRow.macs``), adding
    up to ``Stack.macs``; counts are grouped in thousands, as elsewhere on sheets.
    When some layer has biases they get a column of their own and the weights
    column counts the weights alone. ``numbered`` puts each layer's number before
    its name, as a sheet's question lists them. ``paths`` leads each row with its
    path (``1.4``, ``2.shortcut.1``: where it sits in the blocks); by default a
    stack with blocks has the column and one without has not.

    >>> from symconv import stack as nn
    >>> table = stack_latex_table(nn.Stack((1, 8), [nn.conv(3, out_channels=4)]))
    >>> r"\begin{tabular}" in table, "MACs" in table, "biases" in table, "path" in table
    (True, True, False, False)
    >>> "biases" in stack_latex_table(nn.Stack((1, 8), [nn.conv(3, out_channels=4, bias=True)]))
    True
    >>> block = nn.Stack((4, 8), [nn.residual(nn.conv(3, padding=1), nn.relu())])
    >>> stack_latex_table(block).splitlines()[2]
    'path & layer & output shape & weights & MACs & field & jump \\\\'
    """
    paths = _nested(stack) if paths is None else paths
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(stack.rows):
        numbered_name = numbered and not paths and number != 0
        name = f"{number}: {row.name}" if numbered_name else row.name
        cells = {
            "path": latex_escape(row.path),
            "name": latex_escape(name),
            "shape": r" \times ".join(_math(n) for n in row.shape),
            "weights": _count(row.weights - row.biases),
            "macs": _count(row.macs),
            "field": ["" if v is None else _math(v) for v in row.receptive_field],
        }
        if stack.bias_count != 0:
            cells["biases"] = _count(row.biases)
        rows.append(cells)
    return environment().get_template("tables/stack.tex.j2").render(rows=rows, paths=paths)


def _nested(stack: Stack) -> bool:
    return any(row.path not in ("", str(n)) for n, row in enumerate(stack.rows))


def _total_shape(stack: Stack) -> str:
    return " x ".join(str(n) for n in stack.output_shape)


def network_text_table(stack: Stack) -> str:
    """The stack's table for a terminal, with the totals and what the counts mean.

    >>> from symconv import stack as nn
    >>> text = network_text_table(nn.Stack((1, 8), [nn.conv(3, out_channels=2)]))
    >>> print(next(line for line in text.splitlines() if line.startswith("total")))
    total: output 2 x 6, 6 weights (biases included), 36 MACs
    """

    def count(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else str(value)

    conventions = textwrap.fill(f"({CONVENTIONS})", width=88)
    return (
        f"{stack.table()}\n\ntotal: output {_total_shape(stack)}, "
        f"{count(stack.weight_count)} weights (biases included), "
        f"{count(stack.macs)} MACs\n{conventions}"
    )


def network_latex_table(stack: Stack) -> str:
    r"""The stack's table as a booktabs ``longtable`` for a document, totals last.

    >>> from symconv import stack as nn
    >>> table = network_latex_table(nn.Stack((3, 32, 32), [nn.conv(3, out_channels=8)]))
    >>> table.splitlines()[0], r"\toprule" in table, "total" in table
    ('\\begin{longtable}{llrrrr}', True, True)
    """
    rows = [
        {
            "path": latex_escape(row.path),
            "name": latex_escape(row.name),
            "shape": r" \times ".join(_math(n) for n in row.shape),
            "weights": _count(row.weights),
            "macs": _count(row.macs),
            "field": ["" if v is None else _math(v) for v in row.receptive_field],
        }
        for row in stack.rows
    ]
    total = {
        "shape": r" \times ".join(_math(n) for n in stack.output_shape),
        "weights": _count(stack.weight_count),
        "macs": _count(stack.macs),
    }
    template = environment().get_template("tables/network.tex.j2")
    return template.render(rows=rows, total=total, paths=_nested(stack))


def _value(value: Any) -> Any:
    """A number as a JSON number, a formula as its text (SymPy's ``str``), ``None`` as null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | Integer):
        return int(value)
    return str(value)


def network_record(stack: Stack) -> dict[str, Any]:
    """The stack as plain data for tools (``json.dumps`` takes it as it is).

    Numbers are numbers; formulas (a symbolic input size) are SymPy's text of
    them, which ``sympy.parse_expr`` reads back.

    >>> from symconv import stack as nn
    >>> record = network_record(nn.Stack((1, 8), [nn.conv(3, out_channels=2)]))
    >>> record["total"], record["rows"][1]["shape"]
    ({'output_shape': [2, 6], 'weights': 6, 'biases': 0, 'macs': 36}, [2, 6])
    """
    return {
        "input_shape": [_value(n) for n in stack.input_shape],
        "conventions": CONVENTIONS,
        "rows": [
            {
                "path": row.path,
                "layer": row.name,
                "shape": [_value(n) for n in row.shape],
                "weights": _value(row.weights),
                "biases": _value(row.biases),
                "macs": _value(row.macs),
                "receptive_field": [
                    {"size": _value(size), "jump": _value(jump), "start": _value(start)}
                    for size, jump, start in (row.receptive_fields or (row.receptive_field,))
                ],
            }
            for row in stack.rows
        ],
        "total": {
            "output_shape": [_value(n) for n in stack.output_shape],
            "weights": _value(stack.weight_count),
            "biases": _value(stack.bias_count),
            "macs": _value(stack.macs),
        },
    }


def network_html_table(stack: Stack) -> str:
    """The stack's table as HTML, for a notebook: a row per layer, the totals last.

    >>> from symconv import stack as nn
    >>> html = network_html_table(nn.Stack((1, 8), [nn.conv(3, out_channels=2)]))
    >>> html.startswith("<table") and "<td>conv 3, 2 filters</td>" in html
    True
    """
    from html import escape

    nested = _nested(stack)
    header = ["path"] if nested else []
    header += ["layer", "output shape", "weights", "MACs", "field", "jump"]

    def cells(values: list[Any]) -> str:
        return "".join(f"<td>{escape(str(v))}</td>" for v in values)

    def count(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else str(value)

    rows = [
        "<tr>"
        + cells(
            [*([row.path] if nested else []), row.name, " × ".join(map(str, row.shape)),
             count(row.weights), count(row.macs),
             *("" if v is None else v for v in row.receptive_field[:2])]
        )
        + "</tr>"
        for row in stack.rows
    ]  # fmt: skip
    total = cells(
        [*([""] if nested else []), "total", " × ".join(map(str, stack.output_shape)),
         count(stack.weight_count), count(stack.macs), "", ""]
    )  # fmt: skip
    head = "".join(f"<th>{name}</th>" for name in header)
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
        f"<tr style='font-weight:bold'>{total}</tr></tbody></table>"
        f"<p><small>{escape(CONVENTIONS)}</small></p>"
    )
