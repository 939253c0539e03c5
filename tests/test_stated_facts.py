"""The facts a worksheet states, each checked numerically against PyTorch's autograd.

A solution says ``dL/dx`` is the correlation of ``g`` with so many zeros
inserted, padded by so many zeros before and after, with the kernel flipped or
not; that ``dL/dk`` correlates the padded input with ``g``. Here that
statement, carried out with numpy on random integers exactly as a reader would
carry it out, must equal the gradients PyTorch computes for the same layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_oracle import Case, oracle_axis_padding, specs
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
from symconv.sheets.kinds.backward import KIND as BACKWARD
from symconv.sheets.kinds.equivariance import KIND as EQUIVARIANCE

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


# What the backward sheet states, from its own values -----------------------------


def backward_values(case: Case) -> dict:
    params = {
        **BACKWARD.defaults,
        "input": list(case.sizes) if case.ndim > 1 else case.sizes[0],
        "kernel": list(case.kernel),
        "stride": list(case.stride),
        "dilation": list(case.dilation),
        "padding": case.padding,
        "flip": case.flip,
        "bias": case.bias,
    }
    return BACKWARD.derive(params).values


def entry_at(name: str) -> tuple[int, ...]:
    """The 0-based position of ``x_{2,3}`` or ``k_{1}``: the subscripts less one."""
    found = re.fullmatch(r"[a-z]_\{([\d,]+)\}", name)
    assert found, name
    return tuple(int(i) - 1 for i in found.group(1).split(","))


@SETTINGS
@given(specs(grouped=False, circular=False, shared=True, paddings=("int", "pairs", "valid")), SEEDS)
def test_the_backward_sheet_states_autograds_gradients(case: Case, seed: int) -> None:
    if case.channels:
        return
    values = backward_values(case)
    n = autograd(case, np.random.default_rng(seed))
    # "x_i feeds y_r through k_w": dL/dx_i is the sum of g_r k_w; "meets no window": 0.
    for item in values["inputs"]:
        stated = sum(n.g[entry_at(out)] * n.k[entry_at(w)] for out, w in item["paths"])
        assert stated == n.dx[entry_at(item["name"])]
    # "k_w meets x_i in y_r": dL/dk_w is the sum of g_r x_i.
    kernel = values["kernel"]
    stated = sum(n.g[entry_at(out)] * n.x[entry_at(x)] for out, x in kernel["paths"])
    assert stated == n.dk[entry_at(kernel["name"])]
    # The correlations as the sheet states them, carried out.
    by_input, by_kernel = values["input_correlation"], values["kernel_correlation"]
    axes_g = tuple(
        CorrelationAxis(a["zeros"], a["before"], a["after"], a["full"], a["unreached"])
        for a in by_input["axes"]
    )
    kernel_used = flipped(n.k) if by_input["kernel_flipped"] else n.k
    step = (1,) * case.ndim
    assert np.array_equal(
        correlate(pad(spread(n.g, axes_g), axes_g), kernel_used, by_input["kernel_dilation"], step),
        n.dx,
    )
    axes_x = tuple(
        CorrelationAxis(a["zeros"], a["before"], a["after"], a["full"], a["unreached"])
        for a in by_kernel["axes"]
    )
    found = correlate(pad(n.x, axes_x), spread(n.g, axes_x), step, tuple(by_kernel["step"]))
    assert np.array_equal(flipped(found) if by_kernel["result_flipped"] else found, n.dk)
    # The working beside the numbers: d (K - 1), less the padding, plus the positions past.
    for axis, pair, k, d in zip(
        by_input["axes"], case.pads, case.kernel, case.dilation, strict=True
    ):
        assert axis["full"] == d * (k - 1) and tuple(axis["padding"]) == pair
        assert axis["before"] == axis["full"] - pair[0]
        assert axis["after"] == axis["full"] - pair[1] + axis["unreached"]
    for axis, pair in zip(by_kernel["axes"], case.pads, strict=True):
        assert (axis["before"], axis["after"]) == (pair[0], pair[1] - axis["unreached"])


def test_the_sheet_states_no_correlation_where_none_holds() -> None:
    circular = {**BACKWARD.defaults, "input": 6, "kernel": 3, "padding": 1, "circular": True}
    channels = {**BACKWARD.defaults, "input": 6, "kernel": 3, "in_channels": 2, "out_channels": 2}
    for params in (circular, channels):
        values = BACKWARD.derive(params).values
        assert values["input_correlation"] is None and values["kernel_correlation"] is None


# What the equivariance sheet states, against numpy ---------------------------------


@st.composite
def square_layers(draw) -> tuple[Case, bool]:
    """A layer of "same" padding at stride 1 (so M is square), and whether it is unshared."""
    ndim = draw(st.sampled_from([1, 2]))
    sizes = tuple(draw(st.integers(3, 9 if ndim == 1 else 4)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, min(n, 4))) for n in sizes)
    dilation = tuple(
        draw(st.integers(1, 2)) if 2 * (k - 1) < n else 1
        for k, n in zip(kernel, sizes, strict=True)
    )
    flip, circular, unshared = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    pads = tuple(
        oracle_axis_padding("same", n, k, 1, d, flip)
        for n, k, d in zip(sizes, kernel, dilation, strict=True)
    )
    if circular and any(max(pair) > n for pair, n in zip(pads, sizes, strict=True)):
        circular = False
    case = Case(sizes, kernel, (1,) * ndim, dilation, "same", pads, None, None, 1, circular,
                not unshared, flip, False)  # fmt: skip
    return case, unshared


def equivariance_values(case: Case, unshared: bool) -> dict:
    params = {
        **EQUIVARIANCE.defaults,
        "input": list(case.sizes) if case.ndim > 1 else case.sizes[0],
        "kernel": list(case.kernel),
        "dilation": list(case.dilation),
        "padding": "same",
        "flip": case.flip,
        "circular": case.circular,
        "unshared": unshared,
    }
    return EQUIVARIANCE.derive(params).values


def read_index(text: str, names: dict, at: dict) -> tuple[int, ...]:
    """A stated subscript ``i,j - 1`` read at the index values ``at``, 0-based."""
    parts = [
        parse_expr(part, local_dict=names, transformations=READ_BACK) for part in text.split(",")
    ]
    return tuple(int(sympy.sympify(p).subs(at)) - 1 for p in parts)


@SETTINGS
@given(square_layers(), SEEDS)
def test_the_equivariance_sheet_states_what_numpy_finds(
    layer: tuple[Case, bool], seed: int
) -> None:
    case, unshared = layer
    values = equivariance_values(case, unshared)
    shape = case.sizes
    size = int(np.prod(shape))
    # S as stated, read entry by entry, is numpy's roll by one along the last axis.
    stated = values["shift_in"]
    names = {n: sympy.Symbol(n, integer=True, positive=True) for n in ("i", "j")}
    x = np.arange(1, size + 1).reshape(shape)
    rolled = np.roll(x, 1, axis=-1)
    main = re.fullmatch(r"x_\{(.*)\}", stated["main"]).group(1)
    wrap = re.fullmatch(r"x_\{(.*)\}", stated["wrap"]).group(1)
    for index in np.ndindex(*shape):
        at = {names[n]: i + 1 for n, i in zip(("i", "j")[: case.ndim], index, strict=True)}
        last = index[-1] + 1
        text = main if last >= int(stated["main_from"]) else wrap
        assert last >= int(stated["main_from"]) or last <= int(stated["wrap_to"])
        assert x[read_index(text, names, at)] == rolled[index]
    # M numerically from the oracle's forward pass on unit inputs, with distinct weights.
    rng = np.random.default_rng(seed)
    weights = (
        rng.permutation(np.arange(2, 2 + int(np.prod(case.weight_shape()))))
        .reshape(case.weight_shape())
        .astype(object)
    )
    columns = []
    for c in range(size):
        unit = np.zeros(size, dtype=object)
        unit[c] = 1
        columns.append(case.forward(unit, weights, None).ravel())
    m = np.array(columns, dtype=np.int64).T
    s = np.array(
        [
            np.roll(row, 1, axis=-1).ravel()
            for row in np.eye(size, dtype=np.int64).reshape(size, *shape)
        ]
    ).T
    differing = [r + 1 for r in range(size) if np.any((m @ s - s @ m)[r])]
    assert values["rows"] == differing
    assert values["commutes"] == (not differing)
    source = np.roll(np.arange(size).reshape(shape), 1, axis=-1).ravel()
    flat_weights = weights.ravel()
    for row in values["compared"]:
        r = row["row"] - 1
        assert row["source"] == source[r] + 1
        if not unshared:
            # The weights a window loses to the padding: those missing from its row of M.
            for shown, at in ((row["padding"], r), (row["source_padding"], source[r])):
                lost = [w for w in flat_weights if w not in set(m[at])]
                assert sorted(
                    flat_weights[np.ravel_multi_index(entry_at(name), weights.shape)]
                    for name in shown
                ) == sorted(lost)
    if values["padding_explains"]:
        for r in range(size):
            lost_here = {w for w in flat_weights if w not in set(m[r])}
            lost_there = {w for w in flat_weights if w not in set(m[source[r]])}
            assert (r + 1 in differing) == (lost_here != lost_there)
