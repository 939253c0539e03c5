"""Layer stacks: shapes against the single layers, receptive fields by brute force."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import Conv, SymconvError
from symconv.layers.stack import (
    Stack,
    batchnorm,
    conv,
    conv_transpose,
    dense,
    flatten,
    pool,
    relu,
)
from symconv.present.latex import grouped
from symconv.present.tables import stack_latex_table


def dependency(layer, size: int) -> np.ndarray:
    """Oracle: which inputs each output of one 1-D layer reads, from its definition."""
    k, s, p, d = layer.kernel, layer.stride, layer.padding, layer.dilation
    out = (size + 2 * p - d * (k - 1) - 1) // s + 1
    reads = np.zeros((out, size), dtype=bool)
    for o in range(out):
        for t in range(k):
            i = o * s + t * d - p
            if 0 <= i < size:
                reads[o, i] = True
    return reads


def brute_force_field(layers, size: int) -> tuple[int, Fraction, Fraction]:
    """Size, jump and start of the receptive field, measured on interior outputs."""
    reads = np.eye(size, dtype=bool)
    current = size
    for layer in layers:
        step = dependency(layer, current)
        reads = (step.astype(int) @ reads.astype(int)) > 0
        current = step.shape[0]
    spans = [np.flatnonzero(row) for row in reads]
    middle = len(spans) // 2
    lo, hi = spans[middle][0], spans[middle][-1]
    nxt = spans[middle + 1]
    centre = Fraction(int(lo + hi), 2)
    jump = Fraction(int(nxt[0] + nxt[-1]), 2) - centre
    return int(hi - lo + 1), jump, centre - middle * jump


layer_strategy = st.builds(
    lambda kind, k, s, p, d: (
        conv(k, stride=s, padding=min(p, k - 1), dilation=d)
        if kind == "conv"
        else pool(k, stride=s, padding=min(p, k // 2))
    ),
    st.sampled_from(["conv", "pool"]),
    st.integers(1, 4),
    st.integers(1, 2),
    st.integers(0, 2),
    st.integers(1, 2),
)


@given(st.lists(layer_strategy, min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_receptive_fields_match_brute_force(layers) -> None:
    size = 200
    stack = Stack((1, size), layers)
    if stack.output_shape[1] < 3:
        return
    field, jump, start = stack.rows[-1].receptive_field
    assert (field, jump, start) == brute_force_field(layers, size)


@pytest.mark.parametrize(
    ("layers", "classic"),
    [
        ([conv(3), conv(3), conv(3)], "three 3x3 convolutions see 7x7"),
        ([conv(3, stride=2), conv(3)], "a stride of 2 doubles the jump"),
        ([conv(3, dilation=2), conv(3, dilation=4)], "dilations 2 then 4"),
    ],
)
def test_classic_stacks(layers, classic: str) -> None:
    stack = Stack((1, 64, 64), layers)
    assert stack.rows[-1].receptive_field == brute_force_field(layers, 64), classic


def test_shapes_and_counts_agree_with_the_single_layers() -> None:
    stack = Stack((3, 32, 32), [conv(5, out_channels=8, stride=2), conv(3, out_channels=16)])
    first = Conv((32, 32), 5, stride=2, in_channels=3, out_channels=8)
    second = Conv(first.output_shape[1:], 3, in_channels=8, out_channels=16)
    assert stack.rows[1].shape == first.output_shape
    assert stack.rows[2].shape == second.output_shape
    assert stack.weight_count == first.weight_count + second.weight_count


def test_symbolic_sizes_give_formulas() -> None:
    W, K, s = sympy.symbols("W K s", integer=True, positive=True)
    stack = Stack((3, W, W), [conv(K, out_channels=16, stride=s)])
    row = stack.rows[1]
    assert row.weights == 3 * 16 * K**2
    assert row.receptive_field[0] == K and row.receptive_field[1] == s
    assert row.shape[1].subs({W: 32, K: 5, s: 2}) == Conv(32, 5, stride=2).output_shape[0]


def test_the_stack_matrix_composes_the_layers() -> None:
    stack = Stack((1, 6), [conv(3), conv(2)])
    first = Conv(6, 3, in_channels=1, out_channels=1, kernel_letter="a").matrix()
    second = Conv(4, 2, in_channels=1, out_channels=1, kernel_letter="c").matrix()
    assert stack.matrix() == second * first


def test_dense_needs_flatten_and_max_pool_has_no_matrix() -> None:
    with pytest.raises(SymconvError, match="flatten"):
        Stack((1, 8), [dense(3)])
    with pytest.raises(SymconvError, match="not linear"):
        Stack((1, 8), [pool(2)]).matrix()


def test_table_lists_every_layer() -> None:
    stack = Stack(
        (3, 32, 32),
        [
            conv(3, out_channels=16, padding=1),
            pool(2),
            flatten(),
            dense(10),
        ],
    )
    table = stack.table()
    assert all(row.name in table for row in stack.rows)
    assert str(stack.rows[-1].weights) in table
    assert "MACs" in table and str(stack.rows[1].macs) in table
    assert r"\begin{tabular}" in stack_latex_table(stack)


def latex_table_cells(table: str) -> tuple[list[str], list[list[str]]]:
    """The header and the body rows of a ``tabular``, each as its cells (math dollars dropped)."""
    lines = [
        line.removesuffix(r"\\").strip()
        for line in table.splitlines()
        if line.strip().endswith(r"\\")
    ]
    cells = [[cell.strip().strip("$") for cell in line.split("&")] for line in lines]
    return cells[0], cells[1:]


def test_the_latex_table_gives_each_layers_macs_grouped_as_on_sheets() -> None:
    stack = Stack(
        (3, 224, 224),
        [
            conv(7, out_channels=64, stride=2, padding=3, bias=True),
            batchnorm(),
            relu(),
            pool(3, stride=2, padding=1),
            conv(3, out_channels=64, padding=1, groups=64),
            conv(1, out_channels=128),
            flatten(),
            dense(10),
        ],
    )
    header, body = latex_table_cells(stack_latex_table(stack))
    assert len(body) == len(stack.rows)
    macs, weights, biases = header.index("MACs"), header.index("weights"), header.index("biases")
    for row, cells in zip(stack.rows, body, strict=True):
        assert cells[0] == row.name
        assert cells[macs] == grouped(row.macs)
        # One vocabulary: the weights column counts weights, the biases have their own.
        assert cells[weights] == grouped(row.weights - row.biases)
        assert cells[biases] == grouped(row.biases)
    counted = sum(int(cells[c].replace(r"\,", "")) for cells in body for c in (weights, biases))
    assert counted == stack.weight_count
    assert r"\," in body[1][macs]  # a count of millions is grouped in thousands
    assert sum(int(cells[macs].replace(r"\,", "")) for cells in body) == stack.macs


def test_the_latex_table_of_a_symbolic_stack_gives_macs_as_formulas() -> None:
    W, K = sympy.symbols("W K", integer=True, positive=True)
    stack = Stack((3, W, W), [conv(K, out_channels=16)])
    header, body = latex_table_cells(stack_latex_table(stack))
    assert body[1][header.index("MACs")] == sympy.latex(stack.rows[1].macs)


def test_transposed_convolution_in_a_stack_restores_the_size() -> None:
    stack = Stack((4, 8, 8), [conv(2, stride=2), conv_transpose(2, stride=2)])
    assert stack.output_shape == (4, 8, 8)


@pytest.mark.parametrize("size", [7, 8, 13, 55, 109])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [(3, 2, 0), (2, 2, 0), (3, 2, 1), (3, 3, 1)]
)
def test_a_stack_pools_with_ceil_mode_as_pytorch_does(size, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    stack = Stack((2, size, size), [pool(kernel, stride=stride, padding=padding, ceil_mode=True)])
    layer = torch.nn.MaxPool2d(kernel, stride=stride, padding=padding, ceil_mode=True)
    assert stack.rows[-1].shape == tuple(layer(torch.zeros(1, 2, size, size)).shape[1:])


@pytest.mark.parametrize(
    ("kernel", "stride", "padding"), [(3, 2, 0), (3, 2, 1), (2, 2, 0), (3, 3, 0), (5, 2, 2)]
)
def test_ceil_mode_with_a_symbolic_size_is_the_numeric_size_at_every_size(kernel, stride, padding):
    from sympy import Symbol

    H = Symbol("H", positive=True, integer=True)
    layers = [pool(kernel, stride=stride, padding=padding, ceil_mode=True)]
    formula = Stack((3, H, 8), layers).output_shape[1]
    for size in range(kernel, 40):
        assert formula.subs(H, size) == Stack((3, size, 8), layers).output_shape[1]


def test_ceil_mode_that_drops_a_window_at_some_sizes_only_says_it_needs_numbers():
    from sympy import Symbol

    from symconv import SymconvError

    with pytest.raises(SymconvError, match="ceil_mode") as caught:
        Stack(
            (3, Symbol("H", positive=True, integer=True), 8),
            [pool(2, stride=2, padding=1, ceil_mode=True)],
        )
    assert caught.value.parameter == "ceil_mode"
