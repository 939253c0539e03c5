"""The facts a worksheet states, each checked numerically against PyTorch's autograd.

A solution says ``dL/dx`` is the correlation of ``g`` with so many zeros
inserted, padded by so many zeros before and after, with the kernel flipped or
not; that ``dL/dk`` correlates the padded input with ``g``. Here that
statement, carried out with numpy on random integers exactly as a reader would
carry it out, must equal the gradients PyTorch computes for the same layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_oracle import Case, specs
from scipy import signal
from sympy.parsing.sympy_parser import (
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from symconv.layers.gradients import (
    CorrelationAxis,
    input_gradient_as_correlation,
    kernel_gradient_as_correlation,
)
from symconv.present.backward import gradient_latex, index_latex

torch = pytest.importorskip("torch")
F = torch.nn.functional

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# A reader's numpy: spread, pad (or drop), flip, correlate ---------------------


def spread(values: np.ndarray, axes: tuple[CorrelationAxis, ...]) -> np.ndarray:
    """``zeros_between`` zeros between neighbouring entries along every axis."""
    for axis, stated in enumerate(axes):
        step = stated.zeros_between + 1
        shape = list(values.shape)
        shape[axis] = (shape[axis] - 1) * step + 1
        wide = np.zeros(shape, dtype=values.dtype)
        index = [slice(None)] * values.ndim
        index[axis] = slice(None, None, step)
        wide[tuple(index)] = values
        values = wide
    return values


def pad(values: np.ndarray, axes: tuple[CorrelationAxis, ...]) -> np.ndarray:
    """``before``/``after`` zeros along every axis; a negative number drops entries."""
    grown = np.pad(values, [(max(a.before, 0), max(a.after, 0)) for a in axes])
    cut = tuple(
        slice(max(-a.before, 0), grown.shape[i] - max(-a.after, 0)) for i, a in enumerate(axes)
    )
    return grown[cut]


def correlate(
    values: np.ndarray, kernel: np.ndarray, dilation: tuple[int, ...], step: tuple[int, ...]
) -> np.ndarray:
    """``out[u] = sum_w kernel[w] values[u * step + w * dilation]``, windows inside only."""
    spans = [d * (k - 1) + 1 for k, d in zip(kernel.shape, dilation, strict=True)]
    shape = [(n - sp) // s + 1 for n, sp, s in zip(values.shape, spans, step, strict=True)]
    out = np.zeros(shape, dtype=values.dtype)
    for u in np.ndindex(*shape):
        for w in np.ndindex(*kernel.shape):
            at = tuple(ui * s + wi * d for ui, wi, s, d in zip(u, w, step, dilation, strict=True))
            out[u] += kernel[w] * values[at]
    return out


def flipped(values: np.ndarray) -> np.ndarray:
    return values[(slice(None, None, -1),) * values.ndim]


# PyTorch's gradients of the same layer ---------------------------------------


@dataclass(frozen=True)
class Numbers:
    """Random ``x``, ``k``, ``g`` and PyTorch's ``dL/dx``, ``dL/dk`` for ``L = sum(g * y)``."""

    x: np.ndarray
    k: np.ndarray
    g: np.ndarray
    dx: np.ndarray
    dk: np.ndarray


def autograd(case: Case, rng: np.random.Generator) -> Numbers:
    """A layer without channels, as PyTorch computes it: flip=True reverses the kernel."""
    x = rng.integers(-9, 10, size=case.sizes)
    k = rng.integers(-9, 10, size=case.kernel)
    g = rng.integers(-9, 10, size=case.spatial_out)
    xt = torch.tensor(x, dtype=torch.float64)[None, None].requires_grad_(True)
    kt = torch.tensor(k, dtype=torch.float64)[None, None].requires_grad_(True)
    pads = [side for pair in reversed(case.pads) for side in pair]
    weight = kt.flip(list(range(2, 2 + case.ndim))) if case.flip else kt
    conv = F.conv1d if case.ndim == 1 else F.conv2d
    y = conv(F.pad(xt, pads), weight, stride=case.stride, dilation=case.dilation)
    (y * torch.tensor(g, dtype=torch.float64)[None, None]).sum().backward()
    dx = xt.grad[0, 0].numpy().astype(np.int64)
    dk = kt.grad[0, 0].numpy().astype(np.int64)
    return Numbers(x, k, g, dx, dk)


FITS = specs(grouped=False, circular=False, shared=True)
SEEDS = st.integers(0, 2**16)


@SETTINGS
@given(FITS, SEEDS)
def test_stated_input_gradient_correlation_is_autograds(case: Case, seed: int) -> None:
    stated = input_gradient_as_correlation(case.conv().spec)
    if case.channels:
        assert stated is None
        return
    assert stated is not None
    n = autograd(case, np.random.default_rng(seed))
    kernel = flipped(n.k) if stated.kernel_flipped else n.k
    carried_out = correlate(
        pad(spread(n.g, stated.axes), stated.axes), kernel, stated.kernel_dilation, (1,) * case.ndim
    )
    assert np.array_equal(carried_out, n.dx)
    if stated.full:
        # "the full correlation": scipy's, with the kernel dilated by spreading it.
        dilated = spread(kernel, tuple(CorrelationAxis(d - 1, 0, 0, 0, 0) for d in case.dilation))
        assert np.array_equal(signal.correlate(spread(n.g, stated.axes), dilated, "full"), n.dx)


@SETTINGS
@given(FITS, SEEDS)
def test_stated_kernel_gradient_correlation_is_autograds(case: Case, seed: int) -> None:
    stated = kernel_gradient_as_correlation(case.conv().spec)
    if case.channels:
        assert stated is None
        return
    assert stated is not None
    n = autograd(case, np.random.default_rng(seed))
    carried_out = correlate(
        pad(n.x, stated.axes), spread(n.g, stated.axes), (1,) * case.ndim, stated.step
    )
    if stated.result_flipped:
        carried_out = flipped(carried_out)
    assert np.array_equal(carried_out, n.dk)


@SETTINGS
@given(specs(grouped=False))
def test_no_single_correlation_is_stated_where_none_holds(case: Case) -> None:
    spec = case.conv().spec
    fits = not case.circular and case.shared and not case.channels
    assert (input_gradient_as_correlation(spec) is not None) == fits
    assert (kernel_gradient_as_correlation(spec) is not None) == fits


# Indices in reading order ------------------------------------------------------

READ_BACK = (*standard_transformations, implicit_multiplication_application)
LETTERS = sympy.symbols("u v j m n i")


@settings(SETTINGS, max_examples=200)
@given(
    st.lists(st.integers(-3, 3), min_size=len(LETTERS), max_size=len(LETTERS)),
    st.integers(-4, 4),
    st.integers(1, 4),
)
def test_an_index_in_reading_order_reads_back_as_the_same_index(
    coefficients: list[int], constant: int, denominator: int
) -> None:
    index = sum(c * s for c, s in zip(coefficients, LETTERS, strict=True)) / denominator
    index += sympy.Rational(constant, denominator)
    printed = index_latex(index)
    names = {s.name: s for s in LETTERS}
    assert parse_expr(printed, local_dict=names, transformations=READ_BACK) == index


@settings(SETTINGS, max_examples=40)
@given(specs(grouped=False, circular=False))
def test_gradient_formulas_print_their_indices_in_reading_order(case: Case) -> None:
    formulas = case.conv().backward().formulas
    names = {}
    for equation in (formulas.input.equation, formulas.kernel.equation):
        printed = gradient_latex(equation)
        for term in equation.rhs.atoms(sympy.Indexed):
            shown = ",".join(index_latex(i) for i in term.indices)
            assert f"{{{term.base}}}_{{{shown}}}" in printed
            for i in term.indices:
                names.update({s.name: s for s in i.free_symbols})
                text = index_latex(i)
                assert parse_expr(text, local_dict=names, transformations=READ_BACK) == i
                # An index with an added symbol starts with one (u - j, never -j + u).
                added = [s for s, c in i.as_coefficients_dict().items() if s != 1 and c > 0]
                assert not added or not text.lstrip("(").startswith("-")
