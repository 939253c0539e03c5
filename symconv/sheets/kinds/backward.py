"""Backpropagation through a convolution: the gradients of inputs, weights and bias from ``g``.

The working says which outputs an input feeds (and through which weight) and
which inputs a weight meets (and at which output); the general formulas and the
identities (``M^T g``; ``dL/dx`` as a correlation of ``g``, with how many zeros
between its entries and around them, with the kernel flipped or not; ``dL/dk``
as a correlation of the input with ``g``) come from the engine, for this layer.
"""

from __future__ import annotations

from typing import Any

from sympy import Expr, Mul, Symbol, flatten, latex

from symconv.layers.conv import Conv
from symconv.layers.gradients import (
    CorrelationAxis,
    input_gradient_as_correlation,
    kernel_gradient_as_correlation,
)
from symconv.notation import natural_terms
from symconv.present.backward import element_latex, gradient_latex
from symconv.present.display import sum_latex
from symconv.sheets.kinds.base import CONV_DEFAULTS, Derived, Kind, answer, common, conv_from


def _output_of(upstream: Symbol, letter: str) -> str:
    """``y`` named like the upstream symbol ``g_...`` that stands for ``dL/dy_...``."""
    return str(latex(Symbol("y" + upstream.name[len(letter) :])))


def paths(gradient: Expr, letter: str) -> list[tuple[str, str]]:
    """``(output, other factor)`` in LaTeX for each product ``g_r * v`` of a gradient.

    >>> grads = Conv(5, 3, stride=2).backward()
    >>> paths(grads.input[2], "g")
    [('y_{1}', 'k_{3}'), ('y_{2}', 'k_{1}')]
    """
    found = []
    for term in natural_terms(gradient):
        if term == 0:
            continue
        factors = term.args if term.is_Mul else (term,)
        upstream = next(f for f in factors if f.name.startswith(f"{letter}_"))
        rest = Mul(*(f for f in factors if f is not upstream))
        found.append((_output_of(upstream, letter), latex(rest)))
    return found


def _entry(key: str, symbol: Expr, gradient: Expr, letter: str) -> dict[str, Any]:
    """A gradient's name, its paths and its terms (for a sum written over several lines)."""
    return {
        "key": key,
        "name": latex(symbol),
        "paths": paths(gradient, letter),
        "terms": _terms(gradient),
    }


def _terms(gradient: Expr) -> list[str]:
    """The terms of a sum in LaTeX, in the order a person writes them."""
    return [latex(term) for term in natural_terms(gradient) if term != 0]


def _axes(
    axes: tuple[CorrelationAxis, ...], padding: tuple[tuple[int, int], ...]
) -> dict[str, Any]:
    """Per axis the numbers of a stated correlation, and whether every axis has the same."""
    listed = [
        {
            "zeros": a.zeros_between,
            "before": a.before,
            "after": a.after,
            "full": a.full,
            "padding": list(pair),
            "unreached": a.unreached,
        }
        for a, pair in zip(axes, padding, strict=True)
    ]
    return {"axes": listed, "uniform": all(a == listed[0] for a in listed)}


def derive(params: dict[str, Any]) -> Derived:
    conv: Conv = conv_from(params, groups=params["groups"])
    grads = conv.backward()
    letter = grads.upstream_letter
    spec = conv.spec
    inputs, kernel = flatten(conv.input_symbols), flatten(conv.kernel_symbols)
    dx, dk = flatten(grads.input), flatten(grads.kernel)
    formulas = grads.formulas
    by_input = input_gradient_as_correlation(spec)
    by_kernel = kernel_gradient_as_correlation(spec)
    values = {
        **common(conv),
        "question": params["question"],
        "upstream_first": latex(flatten(grads.upstream)[0]),
        "output_first": _output_of(flatten(grads.upstream)[0], letter),
        "inputs": [
            _entry("input_first", inputs[0], dx[0], letter),
            _entry("input_last", inputs[-1], dx[-1], letter),
        ],
        "kernel": _entry("kernel_first", kernel[0], dk[0], letter),
        "bias": bool(spec.bias),
        "bias_name": latex(flatten(conv.bias_symbols)[0]) if spec.bias else "",
        "bias_terms": [] if grads.bias is None else _terms(flatten(grads.bias)[0]),
        "forward_formula": element_latex(conv.element_formula().equation),
        # With channel axes the general formulas outgrow a line; the entries above say it all.
        "formulas": not spec.has_channels,
        "input_formula": gradient_latex(formulas.input.equation),
        "kernel_formula": gradient_latex(formulas.kernel.equation),
        "input_correlation": None
        if by_input is None
        else {
            **_axes(by_input.axes, spec.padding),
            "kernel_flipped": by_input.kernel_flipped,
            "kernel_dilation": list(by_input.kernel_dilation),
            "full": by_input.full,
        },
        "kernel_correlation": None
        if by_kernel is None
        else {
            **_axes(by_kernel.axes, spec.padding),
            "step": list(by_kernel.step),
            "result_flipped": by_kernel.result_flipped,
        },
    }
    answers = [
        answer("input_first", "gradient of the first input", dx[0], sum_latex(dx[0])),
        answer("input_last", "gradient of the last input", dx[-1], sum_latex(dx[-1])),
        answer("kernel_first", "gradient of the first weight", dk[0], sum_latex(dk[0])),
    ]
    if grads.bias is not None:
        db = flatten(grads.bias)[0]
        answers.append(answer("bias", "gradient of the first bias", db, sum_latex(db)))
    return Derived(values, tuple(answers))


KIND = Kind(
    "backward",
    "gradients of the input, the weights and the bias from the upstream gradient",
    {**CONV_DEFAULTS, "groups": 1},
    ("input", "kernel"),
    derive,
    6.0,
)
