"""Backpropagation: ``Conv.backward()`` against exact finite differences and the identities.

The loss ``L = sum(g * y)`` is linear in each of ``x``, ``k`` and ``b``, so on
integers ``L(v + e_i) - L(v)`` is exactly ``dL/dv_i``: the numeric oracle's
gradients are exact, and ``backward()`` with the same random integers
substituted must equal them for every option. Then the identities a course
proves: ``dL/dx = M^T g``; ``dL/dx`` is a transposed convolution of ``g``, a
full correlation with the flipped kernel at stride 1 and the same with
``s - 1`` zeros inserted between the ``g`` at stride ``s``; ``dL/dk`` is a
correlation of the input with ``g``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_oracle import Case, random_integers, specs, substitute, values_of

from symconv import Conv, ConvTranspose, SymconvError

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(specs(max_size=6))
def test_backward_equals_exact_finite_differences(case: Case) -> None:
    conv = case.conv()
    grads = conv.backward()
    assert grads.upstream.shape == conv.output_shape
    assert grads.input.shape == conv.input_shape
    assert grads.kernel.shape == conv.kernel_symbols.shape
    rng = np.random.default_rng(len(repr(case)))
    x = random_integers(rng, conv.input_shape)
    w = random_integers(rng, conv.kernel_symbols.shape)
    b = random_integers(rng, conv.bias_symbols.shape) if case.bias else None
    g = random_integers(rng, conv.output_shape)
    values = {
        **values_of(conv.input_symbols, x),
        **values_of(conv.kernel_symbols, w),
        **values_of(grads.upstream, g),
    }
    dx, dw, db = case.gradients(x, w, b, g)
    assert (substitute(grads.input, values) == dx).all()
    assert (substitute(grads.kernel, values) == dw).all()
    if case.bias:
        assert grads.bias is not None and grads.bias.shape == conv.bias_symbols.shape
        assert (substitute(grads.bias, values) == db).all()
    else:
        assert grads.bias is None


@SETTINGS
@given(specs(max_size=6))
def test_input_gradient_is_the_transposed_matrix_times_g(case: Case) -> None:
    conv = case.conv()
    grads = conv.backward()
    product = conv.matrix().T * sympy.Matrix(sympy.flatten(grads.upstream))
    assert all(
        sympy.expand(a - b) == 0 for a, b in zip(product, sympy.flatten(grads.input), strict=True)
    )


@SETTINGS
@given(specs(ndims=(1, 2), max_size=6))
def test_general_formulas_expand_to_the_gradients(case: Case) -> None:
    conv = case.conv()
    grads = conv.backward()
    formulas = grads.formulas
    pairs = [(formulas.input, grads.input), (formulas.kernel, grads.kernel)]
    if case.bias:
        assert formulas.bias is not None and grads.bias is not None
        pairs.append((formulas.bias, grads.bias))
    for formula, array in pairs:
        for index in {(0,) * array.rank(), tuple(n - 1 for n in array.shape)}:
            if array.rank() == 1 and array.shape == (1,) and formula.shape == (1,):
                expected = array[0]
            else:
                expected = array[index]
            assert sympy.expand(formula.expand(index) - expected) == 0, (formula, index)


# The identities -------------------------------------------------------------------


def _transposed_output_padding(conv: Conv) -> tuple[int, ...]:
    """What a transposed convolution adds after so that it returns the input size."""
    spec = conv.spec
    return tuple(
        (w + 2 * p - d * (k - 1) - 1) % s
        for w, k, s, d, (p, _) in zip(
            spec.input_size, spec.kernel_size, spec.stride, spec.dilation, spec.padding, strict=True
        )
    )


@settings(SETTINGS, max_examples=40)
@given(
    st.integers(2, 9),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
    st.sampled_from([None, (2, 3), (4, 2)]),
    st.integers(1, 2),
)
def test_input_gradient_is_a_transposed_convolution_of_g(
    size: int, kernel: int, stride: int, padding: int, dilation: int, channels, groups: int
) -> None:
    if dilation * (kernel - 1) + 1 > size + 2 * padding:
        kernel = 1
    options = {} if channels is None else {"in_channels": channels[0], "out_channels": channels[1]}
    groups = groups if channels is not None else 1
    conv = Conv((size, size), kernel, stride=stride, padding=padding, dilation=dilation, **options)
    extra = _transposed_output_padding(conv)
    if any(a >= max(stride, dilation) for a in extra):
        return  # PyTorch's transposed convolution cannot add that much after
    back = ConvTranspose(
        conv.output_shape[-2:],
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=extra,
        input_letter="g",
        **({} if channels is None else {"in_channels": channels[1], "out_channels": channels[0]}),
    )
    # Same layout of weights: Conv (C_out, C_in, K, K), ConvTranspose (C_in', C_out', K, K).
    assert back.kernel_symbols == conv.kernel_symbols
    assert back.output() == conv.backward().input


@settings(SETTINGS, max_examples=40)
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2))
def test_input_gradient_is_a_full_correlation_with_the_flipped_kernel(
    size: int, kernel: int, stride: int, dilation: int
) -> None:
    kernel = min(kernel, size)
    if dilation * (kernel - 1) + 1 > size:
        dilation = 1
    conv = Conv(size, kernel, stride=stride, dilation=dilation)
    grads = conv.backward()
    outputs = conv.output_shape[0]
    # Insert s - 1 zeros between the g and pad after up to the input size: the
    # dilated upstream a stride-1 layer would have sent back.
    dilated_size = (outputs - 1) * stride + 1
    spread = size - dilation * (kernel - 1)
    full = Conv(spread, kernel, padding="full", flip=True, dilation=dilation, input_letter="z")
    g = list(grads.upstream)
    zeros = {
        sympy.Symbol(f"z_{t + 1}"): (g[t // stride] if t % stride == 0 and t < dilated_size else 0)
        for t in range(spread)
    }
    assert full.output_shape == (size,)
    assert [e.xreplace(zeros) for e in full.output()] == list(grads.input)


@settings(SETTINGS, max_examples=40)
@given(
    st.integers(2, 9),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
)
def test_kernel_gradient_is_a_correlation_of_the_input_with_g(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> None:
    if dilation * (kernel - 1) + 1 > size + 2 * padding:
        kernel = 1
    conv = Conv(size, kernel, stride=stride, padding=padding, dilation=dilation)
    grads = conv.backward()
    outputs = conv.output_shape[0]
    # g as a kernel dilated by the stride, sliding over the padded input in steps of d.
    correlation = Conv(
        size,
        outputs,
        stride=dilation,
        dilation=stride,
        padding=padding,
        kernel_letter="g",
    )
    assert list(correlation.output())[:kernel] == list(grads.kernel)


def test_worksheet_layer_backward() -> None:
    grads = Conv(9, 3).backward()
    assert grads.input[0] == sympy.Symbol("g_1") * sympy.Symbol("k_1")
    assert len(grads.input) == 9 and len(grads.kernel) == 3
    # Every weight meets every output once: 7 terms each.
    assert all(len(sympy.Add.make_args(e)) == 7 for e in grads.kernel)


def test_bias_gradient_sums_the_upstream_per_channel() -> None:
    conv = Conv((3, 3), 2, in_channels=2, out_channels=3, bias=True)
    grads = conv.backward()
    assert grads.bias is not None
    for channel in range(3):
        assert grads.bias[channel] == sum(sympy.flatten(grads.upstream[channel]))


def test_backward_is_built_from_the_taps_not_the_whole_matrix() -> None:
    # Large enough that a dense M^T g would be slow; the taps make it quick.
    conv = Conv((40, 40), 3, padding=1, in_channels=2, out_channels=2)
    grads = conv.backward()
    assert grads.input.shape == (2, 40, 40)
    assert len(sympy.Add.make_args(grads.input[0, 5, 5])) == 2 * 9
    assert math.prod(grads.kernel.shape) == conv.weight_count


@pytest.mark.parametrize("letter", ["x", "k", "b", "y", "1", "", None])
def test_upstream_letter_must_be_a_free_letter(letter) -> None:
    with pytest.raises(SymconvError, match="upstream_letter"):
        Conv(5, 3).backward(letter)


def test_upstream_letter_names_the_upstream() -> None:
    grads = Conv(5, 3).backward(upstream_letter="delta")
    assert str(grads.upstream[0]) == "delta_1"
    assert "delta" in str(grads.formulas.input)


def test_input_gradient_formula_sums_over_the_filters_that_read_the_channel() -> None:
    o = sympy.Symbol("o", integer=True, positive=True)
    plain = Conv((5, 5), 3, in_channels=4, out_channels=6).backward().formulas.input
    assert (o, 1, 6) in [tuple(limit) for limit in plain.equation.rhs.limits]
    grouped = Conv((5, 5), 3, in_channels=4, out_channels=6, groups=2).backward().formulas.input
    first, last = next(lim for lim in grouped.equation.rhs.limits if lim[0] == o)[1:]
    c = sympy.Symbol("c", integer=True, positive=True)
    # Input channels 1, 2 feed filters 1..3; channels 3, 4 feed filters 4..6.
    assert [(first.subs(c, n), last.subs(c, n)) for n in (1, 2, 3, 4)] == [(1, 3)] * 2 + [
        (4, 6)
    ] * 2
