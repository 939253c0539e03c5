"""Symbol names: 1-based, readable, printable, chosen letters."""

from __future__ import annotations

import math

import sympy
from sympy import Symbol
from sympy.utilities.iterables import flatten

from symconv import Conv


def test_blackboard_names_are_one_based_and_print_as_subscripts() -> None:
    conv = Conv(9, 3)
    assert list(conv.kernel_symbols) == list(sympy.symbols("k_1:4"))
    assert list(conv.input_symbols) == list(sympy.symbols("x_1:10"))
    assert sympy.latex(conv.kernel_symbols[0]) == "k_{1}"


def test_multi_index_names_list_one_number_per_axis() -> None:
    conv = Conv((4, 5), 2, in_channels=3, out_channels=2)
    assert conv.input_symbols[2, 3, 4] == Symbol("x_3,4,5")
    assert conv.kernel_symbols[1, 2, 0, 1] == Symbol("k_2,3,1,2")
    assert sympy.latex(conv.input_symbols[2, 3, 4]) == "x_{3,4,5}"


def test_unshared_weights_are_numbered_consecutively_row_by_row() -> None:
    conv = Conv(9, 3, shared=False)
    names = [s.name for s in flatten(conv.kernel_symbols.tolist())]
    assert names == [f"k_{n}" for n in range(1, conv.weight_count + 1)]
    assert conv.kernel_symbols.shape == (*conv.output_shape, 3)
    matrix = conv.matrix()
    first_row = [matrix[0, c] for c in range(matrix.cols) if matrix[0, c] != 0]
    assert first_row == list(conv.kernel_symbols[0, :])


def test_every_distinct_weight_is_a_distinct_symbol() -> None:
    for conv in (
        Conv((3, 4), 2, in_channels=2, out_channels=3, shared=False, bias=True),
        Conv((5, 5), 3, in_channels=2, out_channels=2, bias=True),
    ):
        symbols = flatten(conv.kernel_symbols.tolist()) + flatten(conv.bias_symbols.tolist())
        assert len(set(symbols)) == len(symbols) == conv.weight_count


def test_letters_can_be_chosen() -> None:
    conv = Conv(4, 2, kernel_letter="w", input_letter="a", bias_letter="c", bias=True)
    assert conv.output_element(0) == sympy.sympify(0) + Symbol("w_1") * Symbol("a_1") + Symbol(
        "w_2"
    ) * Symbol("a_2") + Symbol("c")


def test_lone_bias_is_plain_b_and_channel_biases_are_numbered() -> None:
    assert list(Conv(5, 3, bias=True).bias_symbols) == [Symbol("b")]
    conv = Conv(5, 3, bias=True, in_channels=1, out_channels=4)
    assert [s.name for s in conv.bias_symbols] == [f"b_{n}" for n in range(1, 5)]
    unshared = Conv(5, 3, bias=True, shared=False)
    assert len(flatten(unshared.bias_symbols.tolist())) == math.prod(unshared.output_shape)
