"""ConvTranspose against a scatter-add oracle and against the Conv it transposes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import Matrix

from symconv import ConvTranspose, SpecError, SpecTypeError, SymconvError
from symconv import stack as nn


def scatter_oracle(
    x: np.ndarray, w: np.ndarray, stride, padding, dilation, out_size, groups: int = 1
) -> np.ndarray:
    """PyTorch's definition: input i reaches output i*s + j*d - p through tap j.

    ``x`` is (C_in, *spatial), ``w`` is (C_in, C_out // groups, *kernel): input
    channel ``c`` of group ``c // (C_in // groups)`` reaches only that group's
    ``C_out // groups`` output channels.
    """
    c_in, per_group = w.shape[:2]
    reads = c_in // groups
    y = np.zeros((per_group * groups, *out_size), dtype=np.int64)
    kernel = w.shape[2:]
    for c in range(c_in):
        first = c // reads * per_group
        for i in itertools.product(*map(range, x.shape[1:])):
            for j in itertools.product(*map(range, kernel)):
                o = tuple(i[a] * stride[a] + j[a] * dilation[a] - padding[a] for a in range(len(i)))
                if all(0 <= o[a] < out_size[a] for a in range(len(o))):
                    y[(slice(first, first + per_group), *o)] += w[(c, slice(None), *j)] * x[(c, *i)]
    return y


@st.composite
def transposes(draw: st.DrawFn, grouped: bool = False, padded: bool = True) -> ConvTranspose:
    """Transposed convolutions; ``grouped``: with channels split into 1 to 3 groups."""
    ndim = draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(1, 3 if grouped else 4)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 2 if grouped else 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    extra = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    padding = tuple(draw(st.integers(0, 2)) if padded else 0 for _ in range(ndim))
    groups = draw(st.integers(1, 3)) if grouped else 1
    channels = grouped or draw(st.booleans())
    try:
        return ConvTranspose(
            sizes,
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            output_padding=extra,
            in_channels=groups * draw(st.integers(1, 2)) if channels else None,
            out_channels=groups * draw(st.integers(1, 2)) if channels else None,
            bias=draw(st.booleans()),
            groups=groups,
        )
    except SymconvError:
        assume(False)  # padding that leaves no output: not a layer
        raise


@given(transposes(), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_matches_the_scatter_oracle(layer: ConvTranspose, rng) -> None:
    spec = layer.spec
    x = np.array([rng.randint(-5, 5) for _ in range(np.prod(layer.input_shape))]).reshape(
        layer.input_shape
    )
    w = np.array([rng.randint(-5, 5) for _ in range(np.prod(layer.kernel_symbols.shape))]).reshape(
        layer.kernel_symbols.shape
    )
    b = [rng.randint(-5, 5) for _ in range(spec.c_out)]
    values = dict(zip(np.ravel(layer.input_symbols.tolist()), x.ravel().tolist(), strict=True))
    values.update(zip(np.ravel(layer.kernel_symbols.tolist()), w.ravel().tolist(), strict=True))
    bias = list(np.ravel(layer.bias_symbols.tolist())) if spec.bias else []
    values.update(zip(bias, b, strict=False))
    x3 = x if spec.has_channels else x[None]
    w4 = w if spec.has_channels else w[None, None]
    linear = scatter_oracle(x3, w4, spec.stride, spec.padding, spec.dilation, spec.output_size)
    offset = np.array(b if spec.bias else [0] * spec.c_out).reshape((-1,) + (1,) * spec.ndim)
    expected, linear = linear + offset, linear
    if not spec.has_channels:
        expected, linear = expected[0], linear[0]
    got = np.array([int(e.xreplace(values)) for e in np.ravel(layer.output().tolist())]).reshape(
        layer.output_shape
    )
    assert (got == expected).all()
    product = (layer.matrix().xreplace(values) * Matrix(x.ravel().tolist())).applyfunc(int)
    assert list(product) == linear.ravel().tolist()


@given(transposes())
@settings(max_examples=60, deadline=None)
def test_matrix_is_the_transpose_of_the_forward_convolution(layer: ConvTranspose) -> None:
    spec = layer.spec
    invertible = all(
        a <= p + s - 1
        for p, a, s in zip(spec.padding, spec.output_padding, spec.stride, strict=True)
    )
    if not invertible:
        with pytest.raises(SymconvError, match="output_padding"):
            layer.forward_conv()
        return
    forward = layer.forward_conv()
    assert forward.output_shape == layer.input_shape
    assert forward.input_shape == layer.output_shape
    assert layer.matrix() == forward.matrix().T


def test_output_size_follows_pytorch_formula() -> None:
    # (W - 1)s - 2p + d(K - 1) + a + 1, written out independently for one case per argument.
    for w, k, s, p, d, a in [(3, 2, 2, 0, 1, 0), (5, 3, 2, 1, 1, 1), (4, 3, 1, 0, 2, 0)]:
        expected = (w - 1) * s - 2 * p + d * (k - 1) + a + 1
        layer = ConvTranspose(w, k, stride=s, padding=p, dilation=d, output_padding=a)
        assert layer.output_shape == (expected,)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"output_padding": 2, "stride": 2}, "output_padding"),
        ({"padding": 5}, "padding"),
        ({"padding": "same"}, "padding"),
        ({"stride": 0}, "stride"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict, names: str) -> None:
    with pytest.raises(SymconvError, match=names):
        ConvTranspose(3, 2, **kwargs)


@pytest.mark.parametrize(
    ("size", "kernel", "options"),
    [
        (2, 1, {"stride": 3}),  # outputs no input reaches: rows of zeros
        (5, 3, {}),
        ((3, 2), 2, {"stride": 2, "in_channels": 2, "out_channels": 3}),
        (4, 3, {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2}),
    ],
)
def test_the_matrix_equals_the_public_constructor(size, kernel, options) -> None:
    layer = ConvTranspose(size, kernel, **options)
    entries: dict[tuple[int, int], object] = {}
    for row in range(math.prod(layer.output_shape)):
        element = layer.output().reshape(math.prod(layer.output_shape))[row]
        for column, x in enumerate(layer.input_symbols.reshape(math.prod(layer.input_shape))):
            coefficient = sympy.expand(element).coeff(x)
            if coefficient != 0:
                entries[(row, column)] = coefficient
    public = sympy.SparseMatrix(
        math.prod(layer.output_shape), math.prod(layer.input_shape), entries
    )
    built = layer.matrix()
    assert built == public and built.shape == public.shape
    assert type(built) is type(public)


# Groups -----------------------------------------------------------------------


def random_numbers(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small nonzero integers, exact in every sum the tests make."""
    return rng.integers(1, 10, size=shape) * rng.choice([-1, 1], size=shape)


def numbers_for(layer: ConvTranspose, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random input, weight (shaped as ``kernel_symbols``) and bias for ``layer``."""
    rng = np.random.default_rng(seed)
    return (
        random_numbers(rng, layer.input_shape),
        random_numbers(rng, layer.kernel_symbols.shape),
        random_numbers(rng, layer.bias_symbols.shape if layer.spec.bias else (0,)),
    )


def substitution(layer: ConvTranspose, x, w, b) -> dict[sympy.Symbol, int]:
    pairs = [(layer.input_symbols, x), (layer.kernel_symbols, w)]
    if layer.spec.bias:
        pairs.append((layer.bias_symbols, b))
    return {
        symbol: int(value)
        for symbols, numbers in pairs
        for symbol, value in zip(sympy.flatten(symbols), numbers.ravel(), strict=True)
    }


def evaluate(expressions, values: dict[sympy.Symbol, int]) -> np.ndarray:
    return np.array([int(sympy.sympify(e).xreplace(values)) for e in sympy.flatten(expressions)])


@given(transposes(grouped=True), st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_grouped_outputs_match_the_scatter_oracle(layer: ConvTranspose, seed: int) -> None:
    spec = layer.spec
    x, w, b = numbers_for(layer, seed)
    values = substitution(layer, x, w, b)
    linear = scatter_oracle(
        x, w, spec.stride, spec.padding, spec.dilation, spec.output_size, groups=layer.groups
    )
    offset = b.reshape((-1,) + (1,) * spec.ndim) if spec.bias else 0
    expected = linear + offset
    got = evaluate(layer.output(), values).reshape(layer.output_shape)
    assert np.array_equal(got, expected)
    product = layer.matrix().xreplace(values) * Matrix(x.ravel().tolist())
    assert [int(v) for v in product] == linear.ravel().tolist()
    index = tuple(int(i) for i in np.random.default_rng(seed).integers(layer.output_shape))
    assert int(layer.output_element(index).xreplace(values)) == expected[index]


@given(transposes(grouped=True), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_a_grouped_layer_is_its_groups_side_by_side(layer: ConvTranspose, seed: int) -> None:
    """Each group is an ungrouped transposed convolution of its own channels."""
    spec = layer.spec
    x, w, b = numbers_for(layer, seed)
    got = evaluate(layer.output(), substitution(layer, x, w, b)).reshape(layer.output_shape)
    reads, spreads = spec.group_in_channels, spec.group_out_channels
    weights = 0
    macs = 0
    for group in range(layer.groups):
        part = ConvTranspose(
            spec.input_size, spec.kernel_size, stride=spec.stride, padding=spec.padding,
            dilation=spec.dilation, output_padding=spec.output_padding, in_channels=reads,
            out_channels=spreads, bias=spec.bias,
        )  # fmt: skip
        inputs = slice(group * reads, (group + 1) * reads)
        outputs = slice(group * spreads, (group + 1) * spreads)
        alone = evaluate(
            part.output(), substitution(part, x[inputs], w[inputs], b[outputs] if spec.bias else b)
        ).reshape(part.output_shape)
        assert np.array_equal(got[outputs], alone)
        weights += part.weight_count
        macs += part.macs
    assert layer.weight_count == weights
    assert layer.macs == macs and layer.flops == 2 * macs


@given(transposes(grouped=True))
@settings(max_examples=50, deadline=None)
def test_grouped_matrix_is_the_transpose_of_the_grouped_forward_convolution(
    layer: ConvTranspose,
) -> None:
    spec = layer.spec
    if any(
        a > p + s - 1
        for p, a, s in zip(spec.padding, spec.output_padding, spec.stride, strict=True)
    ):
        with pytest.raises(SymconvError, match="output_padding"):
            layer.forward_conv()
        return
    forward = layer.forward_conv()
    assert forward.groups == layer.groups
    assert forward.kernel_symbols == layer.kernel_symbols  # one weight tensor, one layout
    assert (forward.input_shape, forward.output_shape) == (layer.output_shape, layer.input_shape)
    assert layer.matrix() == forward.matrix().T


def _products(element: sympy.Expr) -> int:
    """Weight-times-input products in one output element (a bias adds none)."""
    return sum(1 for term in sympy.Add.make_args(element) if term.is_Mul)


@given(transposes(grouped=True, padded=False))
@settings(max_examples=40, deadline=None)
def test_grouped_macs_are_the_scattered_products(layer: ConvTranspose) -> None:
    # Without padding every input reaches its whole window on every output channel
    # of its group, so each multiply-add is one product of the outputs.
    assert layer.macs == sum(_products(e) for e in sympy.flatten(layer.output()))


@given(transposes(grouped=True))
@settings(max_examples=40, deadline=None)
def test_grouped_weights_are_pytorchs_transposed_weight(layer: ConvTranspose) -> None:
    spec = layer.spec
    assert layer.kernel_symbols.shape == (
        spec.in_channels,
        spec.out_channels // layer.groups,
        *spec.kernel_size,
    )
    assert layer.filter_shape == layer.kernel_symbols.shape[1:]
    distinct = set(sympy.flatten(layer.kernel_symbols)) | (
        set(sympy.flatten(layer.bias_symbols)) if spec.bias else set()
    )
    assert layer.weight_count == len(distinct)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"in_channels": 4, "out_channels": 6, "groups": 0}, SpecError),
        ({"in_channels": 4, "out_channels": 6, "groups": 3}, SpecError),
        ({"in_channels": 4, "out_channels": 6, "groups": 4}, SpecError),
        ({"in_channels": 3, "out_channels": 6, "groups": 2}, SpecError),
        ({"groups": 2}, SpecError),  # no channel axes to split
        ({"in_channels": 4, "out_channels": 6, "groups": "2"}, SpecTypeError),
        ({"in_channels": 4, "out_channels": 6, "groups": 2.0}, SpecTypeError),
        ({"in_channels": 4, "out_channels": 6, "groups": True}, SpecTypeError),
        ({"in_channels": 4, "out_channels": 6, "groups": None}, SpecTypeError),
    ],
)
def test_bad_groups_are_refused_naming_groups(options: dict, error: type[Exception]) -> None:
    with pytest.raises(error, match="groups") as raised:
        ConvTranspose(3, 2, **options)
    assert type(raised.value) is error


def test_groups_one_is_the_layer_without_groups() -> None:
    options = {"stride": 2, "padding": 1, "output_padding": 1, "in_channels": 4, "out_channels": 2}
    plain = ConvTranspose((2, 3), 3, bias=True, **options)
    one = ConvTranspose((2, 3), 3, bias=True, groups=1, **options)
    assert one == plain and hash(one) == hash(plain) and repr(one) == repr(plain)
    assert "groups" not in repr(one)
    for derived in ("output", "matrix", "kernel_symbols", "bias_symbols"):
        first, second = getattr(plain, derived), getattr(one, derived)
        first, second = (first(), second()) if callable(first) else (first, second)
        assert sympy.srepr(first) == sympy.srepr(second) and str(first) == str(second)
    assert one.forward_conv() == plain.forward_conv()
    assert (one.macs, one.weight_count, one.groups) == (plain.macs, plain.weight_count, 1)


def test_repr_names_the_groups() -> None:
    layer = ConvTranspose((3, 2), 2, stride=2, in_channels=4, out_channels=6, groups=2)
    assert "groups=2" in repr(layer)
    assert layer != ConvTranspose((3, 2), 2, stride=2, in_channels=4, out_channels=6)


def test_depthwise_transposed_channels_stay_apart() -> None:
    layer = ConvTranspose(4, 3, stride=2, in_channels=3, out_channels=3, groups=3)
    for channel, row in enumerate(layer.output()):
        inputs = {s for e in row for s in e.free_symbols} & set(sympy.flatten(layer.input_symbols))
        assert inputs == set(layer.input_symbols[channel])


# Groups in a stack ------------------------------------------------------------


@given(
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 2),
    st.integers(2, 5),
    st.integers(1, 3),
    st.integers(1, 2),
    st.booleans(),
)
@settings(max_examples=30, deadline=None)
def test_stack_rows_of_grouped_transposes_are_the_layers(
    groups: int, a: int, b: int, width: int, kernel: int, stride: int, bias: bool
) -> None:
    layer = nn.conv_transpose(
        kernel, out_channels=groups * b, stride=stride, groups=groups, bias=bias
    )
    shape = (groups * a, width, width)
    row = nn.Stack(shape, [layer]).rows[-1]
    built = ConvTranspose(
        (width, width), kernel, stride=stride, in_channels=groups * a, out_channels=groups * b,
        groups=groups, bias=bias,
    )  # fmt: skip
    assert (row.shape, row.weights, row.macs) == (
        built.output_shape,
        built.weight_count,
        built.macs,
    )
    # The same layer with symbols gives formulas that the numbers satisfy.
    W, C = sympy.symbols("W C", integer=True, positive=True)
    symbolic = nn.Stack(
        (groups * C, W, W),
        [
            nn.conv_transpose(
                kernel, out_channels=groups * b, stride=stride, groups=groups, bias=bias
            )
        ],
    ).rows[-1]
    numbers = {W: width, C: a}
    assert tuple(sympy.sympify(n).subs(numbers) for n in symbolic.shape) == built.output_shape
    assert sympy.sympify(symbolic.weights).subs(numbers) == built.weight_count
    assert sympy.sympify(symbolic.macs).subs(numbers) == built.macs


def test_stack_refuses_groups_that_do_not_divide() -> None:
    with pytest.raises(SpecError, match="groups"):
        nn.Stack((4, 5, 5), [nn.conv_transpose(3, out_channels=6, groups=4)])
    W = sympy.Symbol("W", integer=True, positive=True)
    with pytest.raises(SpecError, match="groups"):
        nn.Stack((4, W, W), [nn.conv_transpose(3, out_channels=6, groups=4)])
    with pytest.raises(SpecTypeError, match="groups"):
        nn.conv_transpose(3, groups="2")
    assert "2 groups" in nn.conv_transpose(3, out_channels=4, groups=2).name
