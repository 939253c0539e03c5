"""Grouped and depthwise convolutions (``groups``), against the numeric oracle.

Output channel ``o`` reads only the input channels of its group; the weights
are laid out as PyTorch's ``(C_out, C_in // groups, *K)``. Matrices, outputs,
single elements and the general element formula must all agree with the
oracle of ``numeric_oracle.py`` on random integers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from numeric_oracle import Case, random_integers, specs, substitute, values_of

from symconv import Conv, SpecError, SpecTypeError

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _numbers(case: Case, conv: Conv, seed: int):
    rng = np.random.default_rng(seed)
    x = random_integers(rng, conv.input_shape)
    w = random_integers(rng, conv.kernel_symbols.shape)
    b = random_integers(rng, conv.bias_symbols.shape) if case.bias else None
    values = {**values_of(conv.input_symbols, x), **values_of(conv.kernel_symbols, w)}
    if b is not None:
        values.update(values_of(conv.bias_symbols, b))
    return x, w, b, values


@SETTINGS
@given(specs(grouped=True))
def test_grouped_outputs_equal_the_oracle(case: Case) -> None:
    conv = case.conv()
    assert conv.input_shape == case.input_shape()
    assert conv.output_shape == case.output_shape()
    assert conv.kernel_symbols.shape == case.weight_shape()
    x, w, b, values = _numbers(case, conv, seed=len(repr(case)))
    expected = case.forward(x, w, b)
    assert (substitute(conv.output(), values) == expected).all()
    matrix = conv.matrix().xreplace(values)
    flat = np.array(matrix * sympy.Matrix(x.ravel().tolist()), dtype=object).ravel()
    bias_free = expected.ravel() - (case.forward(x * 0, w, b).ravel() if b is not None else 0)
    assert (flat == bias_free).all()
    last = tuple(n - 1 for n in conv.output_shape)
    assert conv.output_element(last) == conv.output()[last]


@SETTINGS
@given(specs(grouped=True, ndims=(1, 2)))
def test_grouped_element_formula_expands_to_the_elements(case: Case) -> None:
    conv = case.conv()
    formula = conv.element_formula()
    for index in {(0,) * len(conv.output_shape), tuple(n - 1 for n in conv.output_shape)}:
        # Circular wraps may meet one input twice: the formula's doit() then factors.
        assert sympy.expand(formula.expand(index) - conv.output_element(index)) == 0


@SETTINGS
@given(specs(grouped=True))
def test_grouped_weight_count_is_pytorchs_parameter_count(case: Case) -> None:
    conv = case.conv()
    expected = math.prod(case.weight_shape()) + math.prod(case.bias_shape()) * case.bias
    assert conv.weight_count == expected
    assert conv.filter_shape == case.weight_shape()[-(case.ndim + 1) :]


def test_depthwise_output_channel_reads_its_own_input_channel() -> None:
    conv = Conv(4, 2, in_channels=3, out_channels=3, groups=3)
    for channel in range(3):
        inputs = {s for s in conv.output()[channel, 0].free_symbols if s.name.startswith("x")}
        assert {int(s.name.split("_")[1].split(",")[0]) for s in inputs} == {channel + 1}


def test_groups_one_is_the_ungrouped_layer() -> None:
    options = {"in_channels": 4, "out_channels": 2, "stride": 2, "padding": 1}
    assert Conv((5, 5), 3, groups=1, **options) == Conv((5, 5), 3, **options)
    assert "groups" not in repr(Conv((5, 5), 3, **options))
    assert "groups=2" in repr(Conv((5, 5), 3, groups=2, **options))


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"in_channels": 3, "out_channels": 4, "groups": 2}, SpecError),
        ({"in_channels": 4, "out_channels": 3, "groups": 2}, SpecError),
        ({"in_channels": 4, "out_channels": 4, "groups": 0}, SpecError),
        ({"groups": 2}, SpecError),
        ({"in_channels": 4, "out_channels": 4, "groups": "2"}, SpecTypeError),
        ({"in_channels": 4, "out_channels": 4, "groups": 2.0}, SpecTypeError),
    ],
)
def test_bad_groups_are_refused_naming_groups(options: dict, error: type) -> None:
    with pytest.raises(error, match="groups"):
        Conv(6, 3, **options)
