"""Notebook display: IPython shows layers and formulas as LaTeX, and the layers know none of it."""

from __future__ import annotations

import pytest

from symconv import Conv, ConvTranspose
from symconv.pooling import Pool
from symconv.present.display import notebook_latex
from symconv.present.notebook import register

interactiveshell = pytest.importorskip("IPython.core.interactiveshell")


@pytest.fixture(scope="module")
def shell():
    ip = interactiveshell.InteractiveShell.instance()
    assert register(ip)
    return ip


@pytest.mark.parametrize(
    "thing",
    [Conv(4, 2), Conv(9, 3).element_formula(), Pool(4, 2), ConvTranspose(3, 2)],
    ids=["conv", "formula", "pool", "transpose"],
)
def test_ipython_shows_latex(shell, thing) -> None:
    data, _ = shell.display_formatter.format(thing)
    assert data["text/latex"].startswith(r"$\displaystyle")
    assert not hasattr(thing, "_repr_latex_")


def test_the_conv_summary_is_the_display_modules(shell) -> None:
    conv = Conv(4, 2)
    data, _ = shell.display_formatter.format(conv)
    assert data["text/latex"] == notebook_latex(conv)


def test_a_stack_shows_as_a_table_with_its_totals(shell) -> None:
    from symconv import stack as nn
    stack = nn.Stack((3, 16, 16), [nn.conv(3, out_channels=4), nn.residual(nn.conv(3, padding=1))])
    data, _ = shell.display_formatter.format(stack)
    html = data["text/html"]
    assert html.count("<tr>") == len(stack.rows) + 1  # the header, a row per layer
    assert f"<td>{stack.weight_count:,}</td><td>{stack.macs:,}</td>" in html
    assert "<td>2.1</td>" in html and "FLOPs = 2 x MACs" in html
    assert not hasattr(stack, "_repr_html_")
