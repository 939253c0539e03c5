"""Notebook display: layers and formulas shown as LaTeX in Jupyter and IPython.

The layers know nothing of notebooks; this module tells IPython how to show
them. ``import symconv`` registers it in a running IPython; elsewhere
``%load_ext symconv.present.notebook`` does.
"""

from __future__ import annotations

import sys
from typing import Any

from sympy import latex

from symconv.layers.conv import Conv
from symconv.layers.expressions import ElementFormula
from symconv.layers.gradients import GradientFormula, Gradients
from symconv.layers.pool import Pool
from symconv.layers.stack import Stack
from symconv.layers.transpose import ConvTranspose
from symconv.present.backward import gradient_latex
from symconv.present.display import notebook_latex
from symconv.present.tables import network_html_table

__all__ = ["load_ipython_extension", "register"]


def _display_math(tex: str) -> str:
    return f"$\\displaystyle {tex}$"


def formula_latex(formula: ElementFormula) -> str:
    """An element formula as display math."""
    return _display_math(latex(formula.equation))


def gradient_formula_latex(formula: GradientFormula) -> str:
    """A gradient formula as display math: ``dL/dx_u = sum ...``."""
    return _display_math(gradient_latex(formula.equation))


def gradients_latex(gradients: Gradients) -> str:
    """The gradients of a layer, input, kernel and bias, as display math."""
    parts = [
        rf"\frac{{\partial L}}{{\partial {name}}} = {latex(array)}"
        for name, array in (
            (r"\mathbf{x}", gradients.input),
            (r"\mathbf{k}", gradients.kernel),
            (r"\mathbf{b}", gradients.bias),
        )
        if array is not None
    ]
    return _display_math(r",\quad ".join(parts))


def outputs_latex(layer: Pool | ConvTranspose) -> str:
    """A layer without a summary of its own, by its outputs."""
    return _display_math(latex(layer.output()))


def register(shell: Any = None) -> bool:
    """Teach IPython's LaTeX formatter symconv's objects; ``False`` outside IPython."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is None:
            return False
    formatter = shell.display_formatter.formatters["text/latex"]
    formatter.for_type(Conv, notebook_latex)
    formatter.for_type(ElementFormula, formula_latex)
    formatter.for_type(GradientFormula, gradient_formula_latex)
    formatter.for_type(Gradients, gradients_latex)
    formatter.for_type(Pool, outputs_latex)
    formatter.for_type(ConvTranspose, outputs_latex)
    shell.display_formatter.formatters["text/html"].for_type(Stack, network_html_table)
    return True


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext symconv.present.notebook``."""
    register(shell)
