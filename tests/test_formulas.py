"""Formulas against the concrete layers they describe."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Indexed, Symbol

from symconv import Conv, output_size
from symconv.layers.expressions import general_element_formula
from symconv.layers.formulas import layer_formulas


@st.composite
def square_layers(draw: st.DrawFn) -> tuple[Conv, dict[str, int], int]:
    ndim = draw(st.integers(1, 3))
    width = draw(st.integers(1, 7))
    kernel = draw(st.integers(1, width))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    conv = Conv(
        (width,) * ndim,
        kernel,
        stride=stride,
        padding=padding,
        in_channels=c_in,
        out_channels=c_out,
    )
    values = dict(W=width, K=kernel, C_in=c_in, C_out=c_out, s=stride, p=padding)
    return conv, values, ndim


@given(square_layers())
@settings(max_examples=60, deadline=None)
def test_layer_formulas_give_the_layers_shapes_and_counts(
    case: tuple[Conv, dict[str, int], int],
) -> None:
    conv, values, ndim = case
    f = layer_formulas(ndim)
    assert f.evaluate(f.input_shape, **values) == conv.input_shape
    assert f.evaluate(f.filter_shape, **values) == conv.filter_shape
    assert f.evaluate(f.output_shape, **values) == conv.output_shape
    assert f.evaluate(f.weight_count, **values) == conv.weight_count
    assert f.evaluate(f.dense_weight_count, **values) == conv.dense_weight_count
    with_bias = Conv.from_spec(replace(conv.spec, bias=True))
    assert f.evaluate(f.weight_count + f.bias_count, **values) == with_bias.weight_count
    unshared = Conv.from_spec(replace(conv.spec, shared=False, bias=True))
    assert (
        f.evaluate(f.unshared_weight_count + f.unshared_bias_count, **values)
        == unshared.weight_count
    )


def test_evaluate_rejects_unknown_symbols() -> None:
    with pytest.raises(ValueError, match="unknown formula symbol"):
        layer_formulas().evaluate(layer_formulas().weight_count, width=3)


@given(
    width=st.integers(1, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_symbolic_output_size_matches_the_numeric_one(
    width: int, kernel: int, stride: int, padding: int, dilation: int
) -> None:
    if dilation * (kernel - 1) + 1 > width + 2 * padding:
        return
    W, K, s, p, d = sympy.symbols("W K s p d", integer=True, positive=True)
    general = output_size(W, K, stride=s, padding=p, dilation=d)
    values = {W: width, K: kernel, s: stride, p: padding, d: dilation}
    number = output_size(width, kernel, stride=stride, padding=padding, dilation=dilation)
    assert general.subs(values) == number
    assert number == len(range(0, width + 2 * padding - dilation * (kernel - 1), stride))


@pytest.mark.parametrize("rule", ["valid", "same", "full"])
def test_symbolic_named_padding_matches_the_numeric_one(rule: str) -> None:
    W, K, s = sympy.symbols("W K s", integer=True, positive=True)
    general = output_size(W, K, stride=s, padding=rule)
    for width, kernel, stride in itertools.product(range(1, 8), range(1, 5), range(1, 4)):
        if rule == "valid" and kernel > width:
            continue
        numeric = output_size(width, kernel, stride=stride, padding=rule)
        assert general.subs({W: width, K: kernel, s: stride}) == numeric


@st.composite
def convs(draw: st.DrawFn) -> Conv:
    ndim = draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(2, 6)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, n)) for n in sizes)
    channels = draw(st.booleans())
    return Conv(
        sizes,
        kernel,
        stride=draw(st.integers(1, 2)),
        padding=draw(st.sampled_from([0, 1, "same", "full", "valid"])),
        padding_mode=draw(st.sampled_from(["zeros", "circular"])),
        in_channels=draw(st.integers(1, 2)) if channels else None,
        out_channels=draw(st.integers(1, 2)) if channels else None,
        shared=draw(st.booleans()),
        flip=draw(st.booleans()),
        bias=draw(st.booleans()),
    )


@given(convs(), st.data())
@settings(max_examples=80, deadline=None)
def test_element_formula_reproduces_every_element(conv: Conv, data: st.DataObject) -> None:
    formula = conv.element_formula()
    index = tuple(data.draw(st.integers(0, n - 1)) for n in conv.output_shape)
    assert sympy.expand(formula.expand(index) - conv.output_element(index)) == 0


def test_general_formula_with_numbers_is_the_layers_formula() -> None:
    conv = Conv(9, 3, stride=2, padding=1, dilation=2)
    general = general_element_formula()
    values = {Symbol(n, integer=True, positive=True): v for n, v in (("s", 2), ("d", 2), ("K", 3))}
    values[Symbol("p", integer=True, nonnegative=True)] = 1
    concrete = general.xreplace(values)
    i = Symbol("i", integer=True, positive=True)
    for position in range(conv.output_shape[0]):
        expanded = concrete.rhs.xreplace({i: position + 1}).doit()
        inputs = {
            t: conv.input_symbols[int(t.indices[0]) - 1] if 1 <= t.indices[0] <= 9 else 0
            for t in expanded.atoms(Indexed)
            if t.base.label.name == "x"
        }
        weights = {
            t: conv.kernel_symbols[int(t.indices[0]) - 1]
            for t in expanded.atoms(Indexed)
            if t.base.label.name == "k"
        }
        assert expanded.xreplace({**inputs, **weights}) == conv.output_element(position)


def test_channel_formula_has_a_sum_over_input_channels() -> None:
    equation = general_element_formula(2, channels=True)
    limits = [str(limit[0]) for limit in equation.rhs.limits]
    assert limits[0] == "c" and len(limits) == 3
