"""Question 1 (a)-(h) of the weight-sharing worksheet, from the library alone.

The only inputs are the worksheet's parameters. Every expected value comes from
an independent oracle written here: a sliding window over the symbol arrays,
numpy's own correlation, or a brute-force count of window positions.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from sympy import Add, Matrix, floor

from symconv import Conv, output_size
from symconv.layers.formulas import layer_formulas

# The worksheet's parameters, and nothing else.
INPUT, KERNEL = 9, 3
IMAGE, CHANNELS, FILTERS, FILTER_SIZE, STRIDE = (256, 256), 3, 32, 5, 2


@pytest.fixture(scope="module")
def layer() -> Conv:
    """The worksheet's image layer: 32 filters of 5x5 over a 3x256x256 image, stride 2."""
    return Conv(IMAGE, FILTER_SIZE, stride=STRIDE, in_channels=CHANNELS, out_channels=FILTERS)


def window_sum(conv: Conv, position: int, before: int) -> sympy.Expr:
    """Oracle: y[position] = sum_j k_j * xpad[position + j] in 1-D, padding ``before`` zeros."""
    x, k = list(conv.input_symbols), list(conv.kernel_symbols)
    return Add(
        *(
            k[j] * x[position + j - before]
            for j in range(len(k))
            if 0 <= position + j - before < len(x)
        )
    )


def windows_fitting(width: int, kernel: int, stride: int, padding: int) -> int:
    """Oracle: count the window positions that fit, by walking the padded input."""
    return sum(
        1
        for start in range(0, width + 2 * padding, stride)
        if start + kernel <= width + 2 * padding
    )


def numpy_length(mode: str) -> int:
    return len(np.correlate(np.ones(INPUT), np.ones(KERNEL), mode=mode))


def test_a_valid_convolution_size_and_first_and_last_elements() -> None:
    conv = Conv(INPUT, KERNEL)
    assert conv.output_shape == (numpy_length("valid"),)
    assert conv.output_element(0) == window_sum(conv, 0, before=0)
    assert conv.output_element(-1) == window_sum(conv, conv.output_shape[0] - 1, before=0)


def test_b_same_padding_size_and_first_and_last_elements() -> None:
    conv = Conv(INPUT, KERNEL, padding="same")
    assert conv.output_shape == (numpy_length("same"),)
    before = (KERNEL - 1) // 2
    assert conv.output_element(0) == window_sum(conv, 0, before)
    assert conv.output_element(-1) == window_sum(conv, INPUT - 1, before)
    # The edge outputs lose the tap that falls on padding.
    assert len(conv.output_element(0).args) == KERNEL - 1


def test_c_valid_matrix_is_the_toeplitz_matrix() -> None:
    conv = Conv(INPUT, KERNEL)
    k = list(conv.kernel_symbols)
    rows = conv.output_shape[0]
    toeplitz = Matrix(rows, INPUT, lambda i, j: k[j - i] if 0 <= j - i < KERNEL else 0)
    assert conv.matrix() == toeplitz
    assert conv.matrix().shape == (rows, INPUT)
    x = Matrix(list(conv.input_symbols))
    assert list(conv.matrix() * x) == list(conv.output())


def test_d_same_matrix_only_adds_rows_to_the_valid_one() -> None:
    valid, same = Conv(INPUT, KERNEL).matrix(), Conv(INPUT, KERNEL, padding="same").matrix()
    assert same.shape == (INPUT, INPUT)
    added = same.rows - valid.rows
    top = added // 2
    assert same[top : top + valid.rows, :] == valid
    x = Matrix(list(Conv(INPUT, KERNEL).input_symbols))
    same_conv = Conv(INPUT, KERNEL, padding="same")
    assert (same[0, :] * x)[0] == window_sum(same_conv, 0, top)
    assert (same[-1, :] * x)[0] == window_sum(same_conv, INPUT - 1, top)


def test_e_unshared_weights_same_pattern_more_weights() -> None:
    shared, unshared = Conv(INPUT, KERNEL), Conv(INPUT, KERNEL, shared=False)
    assert unshared.weight_count == output_size(INPUT, KERNEL) * KERNEL
    m_shared, m_unshared = shared.matrix(), unshared.matrix()
    pattern = lambda m: {key for key, value in m.todok().items() if value != 0}  # noqa: E731
    assert pattern(m_unshared) == pattern(m_shared)
    weights = [value for value in m_unshared.todok().values()]
    assert len(set(weights)) == len(weights) == unshared.weight_count
    # Every row holds a fresh kernel.
    rows = [frozenset(m_unshared.row(r).free_symbols) for r in range(m_unshared.rows)]
    assert all(a.isdisjoint(b) for i, a in enumerate(rows) for b in rows[i + 1 :])


def test_f_general_output_size_formula_counts_windows() -> None:
    W, K, s, p = sympy.symbols("W K s p", integer=True, positive=True)
    formula = output_size(W, K, stride=s, padding=p)
    for width in range(1, 9):
        for kernel in range(1, width + 1):
            for stride in range(1, 4):
                for padding in range(3):
                    values = {W: width, K: kernel, s: stride, p: padding}
                    expected = windows_fitting(width, kernel, stride, padding)
                    assert formula.subs(values) == expected
                    assert output_size(width, kernel, stride=stride, padding=padding) == expected
    unit = formula.subs({s: 1, p: 0})
    assert isinstance(unit, sympy.Add) and not unit.has(floor)


def test_g_tensor_shapes_follow_channels_height_width() -> None:
    layer = Conv(IMAGE, FILTER_SIZE, stride=STRIDE, in_channels=CHANNELS, out_channels=FILTERS)
    image = np.zeros((CHANNELS, *IMAGE))
    assert layer.input_shape == image.shape
    assert layer.filter_shape == (CHANNELS, FILTER_SIZE, FILTER_SIZE)
    assert layer.kernel_symbols.shape == (FILTERS, *layer.filter_shape)


def test_h_output_shape_and_weights_against_a_dense_layer() -> None:
    layer = Conv(IMAGE, FILTER_SIZE, stride=STRIDE, in_channels=CHANNELS, out_channels=FILTERS)
    side = windows_fitting(IMAGE[0], FILTER_SIZE, STRIDE, 0)
    assert layer.output_shape == (FILTERS, side, side)
    # Every weight meets an interior output: collect the distinct ones there.
    middle = side // 2
    seen = set().union(
        *(layer.output_element((f, middle, middle)).free_symbols for f in range(FILTERS))
    )
    weights = {symbol for symbol in seen if symbol.name.startswith("k_")}
    assert layer.weight_count == len(weights)
    with_bias = Conv(
        IMAGE, FILTER_SIZE, stride=STRIDE, in_channels=CHANNELS, out_channels=FILTERS, bias=True
    )
    biases = set().union(
        *(with_bias.output_element((f, 0, 0)).free_symbols for f in range(FILTERS))
    ) - set().union(*(layer.output_element((f, 0, 0)).free_symbols for f in range(FILTERS)))
    assert with_bias.weight_count == layer.weight_count + len(biases)
    flattened_in = np.zeros(layer.input_shape).size
    flattened_out = np.zeros(layer.output_shape).size
    assert layer.dense_weight_count == flattened_in * flattened_out


def test_h_counts_agree_with_the_general_formulas() -> None:
    f = layer_formulas(ndim=2)
    values = dict(W=IMAGE[0], K=FILTER_SIZE, C_in=CHANNELS, C_out=FILTERS, s=STRIDE)
    layer = Conv(IMAGE, FILTER_SIZE, stride=STRIDE, in_channels=CHANNELS, out_channels=FILTERS)
    assert f.evaluate(f.output_shape, **values) == layer.output_shape
    assert f.evaluate(f.weight_count, **values) == layer.weight_count
    assert f.evaluate(f.dense_weight_count, **values) == layer.dense_weight_count


@pytest.mark.parametrize("index", [(0, 0, 0), (-1, -1, -1), (7, 60, 3)])
def test_one_element_of_the_large_layer_is_one_window(
    layer: Conv, index: tuple[int, int, int]
) -> None:
    filter_, row, col = (i % n for i, n in zip(index, layer.output_shape, strict=True))
    x, k = layer.input_symbols, layer.kernel_symbols
    expected = Add(
        *(
            k[filter_, c, i, j] * x[c, row * STRIDE + i, col * STRIDE + j]
            for c in range(CHANNELS)
            for i in range(FILTER_SIZE)
            for j in range(FILTER_SIZE)
        )
    )
    assert layer.output_element(index) == expected
