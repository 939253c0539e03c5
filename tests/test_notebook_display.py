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
