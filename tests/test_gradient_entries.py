"""One gradient entry at a time (:class:`GradientEntries`) against the whole gradient
(:meth:`Conv.backward`, itself checked against exact finite differences and
PyTorch): every entry of every layer the strategy draws, the same expression."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_oracle import Case, specs
from sympy import Symbol

from symconv import Conv
from symconv.layers.gradients import GradientEntries, Gradients
from symconv.layers.symbols import unravel

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def every_entry(shape: tuple[int, ...], entry) -> list:
    return [entry(flat) for flat in range(math.prod(shape))]


def flat_array(array) -> list:
    return [array[unravel(flat, array.shape)] for flat in range(math.prod(array.shape))]


@SETTINGS
@given(specs(ndims=(1, 2, 3), max_size=6))
def test_each_entry_equals_the_whole_gradients_entry(case: Case) -> None:
    conv = case.conv()
    whole = conv.backward()
    entries = GradientEntries(conv.spec)
    assert entries.input_shape == whole.input.shape
    assert entries.kernel_shape == whole.kernel.shape
    assert every_entry(entries.input_shape, entries.input) == flat_array(whole.input)
    assert every_entry(entries.kernel_shape, entries.kernel) == flat_array(whole.kernel)
    if whole.bias is None:
        assert entries.bias_shape is None
    else:
        assert entries.bias_shape == whole.bias.shape
        assert every_entry(entries.bias_shape, entries.bias) == flat_array(whole.bias)


@pytest.mark.parametrize(
    "conv",
    [
        Conv(4, 3, padding=2, padding_mode="circular"),  # a window wraps onto itself
        Conv(5, 3, padding=((2, 1),), stride=2, dilation=2, flip=True),
        Conv((4, 3), (2, 3), stride=(2, 1), shared=False, in_channels=2, out_channels=2),
        Conv(6, 2, in_channels=4, out_channels=6, groups=2, bias=True),
    ],
    ids=repr,
)
def test_the_layers_the_strategy_may_miss(conv: Conv) -> None:
    whole, entries = conv.backward(), GradientEntries(conv.spec)
    assert every_entry(entries.input_shape, entries.input) == flat_array(whole.input)
    assert every_entry(entries.kernel_shape, entries.kernel) == flat_array(whole.kernel)


def test_negative_positions_count_from_the_end() -> None:
    conv = Conv(7, 3, bias=True)
    whole, entries = conv.backward(), GradientEntries(conv.spec)
    assert entries.input(-1) == whole.input[6] and entries.kernel(-3) == whole.kernel[0]
    with pytest.raises(IndexError):
        entries.input(7)


def test_an_entry_of_a_long_input_is_built_without_the_gradient(monkeypatch) -> None:
    """An entry of dL/dx meets only the taps of its own outputs: the whole gradient
    of a 10^9-long input is never built (it would not fit in memory). The oracle:
    dL/dx_u sums g_r dy_r/dx_u over the outputs r, each read off the forward
    element y_r built alone."""

    def refuse(*args, **kwargs):
        raise AssertionError("the whole gradient was built")

    monkeypatch.setattr(Gradients, "__init__", refuse)
    size, kernel = 10**9, 3
    conv = Conv(size, kernel)
    entries = GradientEntries(conv.spec)
    for u in (0, 1, size // 2, size - 1):
        x_u = Symbol(f"x_{u + 1}")
        outputs = range(max(0, u - kernel + 1), min(conv.output_shape[0], u + 1))
        expected = sum(conv.output_element(r).diff(x_u) * Symbol(f"g_{r + 1}") for r in outputs)
        assert entries.input(u) == expected


@SETTINGS
@given(specs(ndims=(1, 2, 3), max_size=6), st.integers(2, 6))
def test_the_ends_of_a_long_sum_print_as_the_whole_sum_does(case: Case, keep: int) -> None:
    """``kernel_ends``/``bias_ends`` print exactly as the entry built whole, elided."""
    from symconv.present.display import elided_sum

    conv = case.conv()
    entries = GradientEntries(conv.spec)
    for flat in range(math.prod(entries.kernel_shape)):
        whole = elided_sum(entries.kernel(flat), max_terms=keep)
        assert elided_sum(entries.kernel_ends(flat, keep), max_terms=keep) == whole
    if entries.bias_shape is not None:
        for flat in range(math.prod(entries.bias_shape)):
            whole = elided_sum(entries.bias(flat), max_terms=keep)
            assert elided_sum(entries.bias_ends(flat, keep), max_terms=keep) == whole


@pytest.mark.parametrize("ndim", [1, 2])
def test_printing_a_kernel_gradient_entry_costs_the_same_at_any_layer_size(ndim: int) -> None:
    """The work of one printed dL/dk entry does not grow with the layer (counted calls)."""
    from call_count import calls

    def work(size: int) -> int:
        entries = GradientEntries(Conv((size,) * ndim, 3, bias=True).spec)
        return calls(lambda: (entries.kernel_ends(0, 8), entries.bias_ends(0, 8)))

    small, large = (work(n) for n in ((100, 10**5) if ndim == 1 else (30, 1000)))
    assert large <= small * 1.2
