"""Cost counts: MACs and FLOPs of layers and of stacks of real networks.

The convention (API.md): every tap of every window counts, padding included,
bias adds and non-linear layers do not, as PyTorch's flop counter counts them.
Expected values come from the numeric oracle (the products its sliding window
performs), from the terms of the derived outputs, or from a per-layer count
written in this file from PyTorch's documented shape rules; ``test_torch.py``
compares the same networks with PyTorch itself.
"""

from __future__ import annotations

import math
from typing import Any

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_oracle import Case, specs

from symconv import Conv, ConvTranspose
from symconv import stack as nn
from symconv.layers.formulas import layer_formulas

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _products(expression: sympy.Expr) -> int:
    """Products of a weight and an input in an output element (bias terms left out)."""
    terms = sympy.Add.make_args(sympy.expand(expression))
    return sum(1 for term in terms if isinstance(term, sympy.Mul))


@SETTINGS
@given(specs())
def test_macs_count_every_tap_of_the_oracles_window(case: Case) -> None:
    conv = case.conv()
    assert conv.macs == case.multiplies()
    assert conv.flops == 2 * conv.macs


@SETTINGS
@given(specs(paddings=("valid",), circular=False))
def test_without_padding_macs_are_the_products_of_the_outputs(case: Case) -> None:
    conv = case.conv()
    assert conv.macs == sum(_products(e) for e in sympy.flatten(conv.output()))


@SETTINGS
@given(
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 2),
    st.sampled_from([None, (1, 2), (2, 3)]),
)
def test_transposed_macs_are_the_scattered_products(
    size: int, kernel: int, stride: int, dilation: int, channels: Any
) -> None:
    options = {} if channels is None else {"in_channels": channels[0], "out_channels": channels[1]}
    layer = ConvTranspose((size, size), kernel, stride=stride, dilation=dilation, **options)
    # Without padding every input reaches a whole window of the output.
    assert layer.macs == sum(_products(e) for e in sympy.flatten(layer.output()))
    assert layer.flops == 2 * layer.macs


@SETTINGS
@given(
    st.integers(1, 3),
    st.integers(3, 9),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 2),
)
def test_cost_formulas_give_the_layers_counts(
    ndim: int, width: int, kernel: int, stride: int, padding: int, groups: int, a: int, b: int
) -> None:
    f = layer_formulas(ndim)
    kernel = min(kernel, width)
    c_in, c_out = groups * a, groups * b
    values = dict(W=width, K=kernel, C_in=c_in, C_out=c_out, s=stride, p=padding)
    options = {"stride": stride, "padding": padding, "in_channels": c_in, "out_channels": c_out}
    full = Conv((width,) * ndim, kernel, **options)
    grouped = Conv((width,) * ndim, kernel, groups=groups, **options)
    assert f.evaluate(f.macs, **values) == full.macs
    assert f.evaluate(f.flops, **values) == full.flops
    assert f.evaluate(f.grouped_macs, **values, G=groups) == grouped.macs
    assert f.evaluate(f.grouped_weight_count, **values, G=groups) == grouped.weight_count
    assert f.evaluate(f.grouped_filter_shape, **values, G=groups) == grouped.filter_shape
    assert f.evaluate(f.dense_macs, **values) == full.dense_weight_count


def test_depthwise_separable_against_full_convolution_as_formulas() -> None:
    for ndim in (1, 2, 3):
        f = layer_formulas(ndim)
        assert sympy.simplify(f.separable_ratio - (1 / f.C_out + 1 / f.K**ndim)) == 0
        assert sympy.simplify(f.separable_macs / f.macs - f.separable_ratio) == 0
    f = layer_formulas(2)
    for width, kernel, c_in, c_out, stride in [(12, 3, 4, 8, 1), (9, 5, 3, 6, 2)]:
        values = dict(W=width, K=kernel, C_in=c_in, C_out=c_out, s=stride, p=kernel // 2)
        options = {"stride": stride, "padding": kernel // 2}
        depthwise = Conv(
            (width, width), kernel, in_channels=c_in, out_channels=c_in, groups=c_in, **options
        )
        pointwise = Conv(depthwise.output_shape[1:], 1, in_channels=c_in, out_channels=c_out)
        full = Conv((width, width), kernel, in_channels=c_in, out_channels=c_out, **options)
        assert f.evaluate(f.separable_weight_count, **values) == (
            depthwise.weight_count + pointwise.weight_count
        )
        assert f.evaluate(f.separable_macs, **values) == depthwise.macs + pointwise.macs
        assert sympy.Rational(depthwise.macs + pointwise.macs, full.macs) == f.evaluate(
            f.separable_ratio, **values
        )


# Real networks, counted layer by layer from PyTorch's documented rules -----------

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16(batch_norm: bool) -> tuple[list[Any], list[tuple[str, dict[str, int]]]]:
    """The stack of torchvision's VGG-16 (configuration D) and its plain description."""
    layers: list[Any] = []
    plain: list[tuple[str, dict[str, int]]] = []
    for item in VGG16:
        if item == "M":
            layers.append(nn.pool(2))
            plain.append(("pool", {"kernel": 2, "stride": 2}))
            continue
        layers.append(nn.conv(3, out_channels=item, padding=1, bias=True))
        plain.append(("conv", {"out": item, "kernel": 3, "padding": 1, "bias": 1}))
        if batch_norm:
            layers.append(nn.batchnorm())
            plain.append(("norm", {}))
        layers.append(nn.relu())
    layers.append(nn.flatten())
    plain.append(("flatten", {}))
    for features in (4096, 4096, 1000):
        layers.append(nn.dense(features, bias=True))
        plain.append(("dense", {"out": features}))
        if features != 1000:
            layers.append(nn.relu())
    return layers, plain


def mobilenet_block(c_in: int, c_out: int, stride: int):
    """A depthwise-separable block: depthwise 3x3, norm, relu, pointwise 1x1, norm, relu."""
    layers = [
        nn.conv(3, stride=stride, padding=1, groups=c_in),
        nn.batchnorm(),
        nn.relu(),
        nn.conv(1, out_channels=c_out),
        nn.batchnorm(),
        nn.relu(),
    ]
    plain = [
        ("conv", {"out": c_in, "kernel": 3, "stride": stride, "padding": 1, "groups": c_in}),
        ("norm", {}),
        ("conv", {"out": c_out, "kernel": 1}),
        ("norm", {}),
    ]
    return layers, plain


def lenet5():
    """LeNet-5 on 32x32 images, ReLU standing for tanh, average pooling."""
    layers = [
        nn.conv(5, out_channels=6, bias=True),
        nn.relu(),
        nn.pool(2, mode="avg"),
        nn.conv(5, out_channels=16, bias=True),
        nn.relu(),
        nn.pool(2, mode="avg"),
        nn.conv(5, out_channels=120, bias=True),
        nn.relu(),
        nn.flatten(),
        nn.dense(84, bias=True),
        nn.relu(),
        nn.dense(10, bias=True),
    ]
    plain = [
        ("conv", {"out": 6, "kernel": 5, "bias": 1}),
        ("pool", {"kernel": 2, "stride": 2}),
        ("conv", {"out": 16, "kernel": 5, "bias": 1}),
        ("pool", {"kernel": 2, "stride": 2}),
        ("conv", {"out": 120, "kernel": 5, "bias": 1}),
        ("flatten", {}),
        ("dense", {"out": 84}),
        ("dense", {"out": 10}),
    ]
    return layers, plain


def count(shape: tuple[int, ...], plain: list[tuple[str, dict[str, int]]]) -> tuple[int, int]:
    """Weights and MACs, from ``Conv2d``'s documented output size and parameter shapes."""
    weights = macs = 0
    for kind, o in plain:
        if kind == "conv":
            c, h, w = shape
            k, s, p, g = o["kernel"], o.get("stride", 1), o.get("padding", 0), o.get("groups", 1)
            h, w = ((n + 2 * p - (k - 1) - 1) // s + 1 for n in (h, w))
            weights += o["out"] * (c // g) * k * k + o.get("bias", 0) * o["out"]
            macs += o["out"] * h * w * (c // g) * k * k
            shape = (o["out"], h, w)
        elif kind == "pool":
            c, h, w = shape
            shape = (c, *(((n - o["kernel"]) // o["stride"]) + 1 for n in (h, w)))
        elif kind == "norm":
            weights += 2 * shape[0]
        elif kind == "flatten":
            shape = (math.prod(shape),)
        else:
            weights += shape[0] * o["out"] + o["out"]
            macs += shape[0] * o["out"]
            shape = (o["out"],)
    return weights, macs


NETWORKS = {
    "vgg16": ((3, 224, 224), *vgg16(batch_norm=False)),
    "vgg16-bn": ((3, 224, 224), *vgg16(batch_norm=True)),
    "mobilenet-block": ((32, 56, 56), *mobilenet_block(32, 64, 1)),
    "mobilenet-block-stride-2": ((64, 56, 56), *mobilenet_block(64, 128, 2)),
    "lenet5": ((1, 32, 32), *lenet5()),
}


def test_networks_count_weights_and_macs_layer_by_layer() -> None:
    for name, (shape, layers, plain) in NETWORKS.items():
        stack = nn.Stack(shape, layers)
        assert (stack.weight_count, stack.macs) == count(shape, plain), name
        assert stack.macs == sum(row.macs for row in stack.rows)


def test_batchnorm_and_relu_keep_the_shape_and_the_field() -> None:
    plain = nn.Stack((3, 16, 16), [nn.conv(3, out_channels=8, stride=2)])
    stack = nn.Stack((3, 16, 16), [nn.conv(3, out_channels=8, stride=2), nn.batchnorm(), nn.relu()])
    conv_row, norm_row, relu_row = stack.rows[1:]
    assert norm_row.shape == relu_row.shape == conv_row.shape == plain.output_shape
    assert norm_row.receptive_field == relu_row.receptive_field == conv_row.receptive_field
    assert (norm_row.weights, relu_row.weights) == (2 * conv_row.shape[0], 0)
    assert norm_row.macs == relu_row.macs == 0


def test_stack_rows_agree_with_the_single_layers() -> None:
    stack = nn.Stack(
        (4, 5, 5),
        [
            nn.conv(3, out_channels=6, groups=2, bias=True, padding=1),
            nn.conv_transpose(2, out_channels=2, stride=2),
        ],
    )
    conv = Conv((5, 5), 3, in_channels=4, out_channels=6, groups=2, bias=True, padding=1)
    up = ConvTranspose(conv.output_shape[1:], 2, stride=2, in_channels=6, out_channels=2)
    assert [row.macs for row in stack.rows[1:]] == [conv.macs, up.macs]
    assert stack.rows[1].weights == conv.weight_count
    assert stack.matrix().shape == (math.prod(up.output_shape), math.prod(conv.input_shape))


def test_symbolic_stack_macs_are_formulas() -> None:
    W, C = sympy.symbols("W C", integer=True, positive=True)
    stack = nn.Stack((C, W, W), [nn.conv(3, padding=1, groups=C), nn.conv(1, out_channels=2 * C)])
    assert sympy.expand(stack.macs - (9 * C * W**2 + 2 * C**2 * W**2)) == 0


def test_groups_that_do_not_divide_the_channels_are_refused() -> None:
    import pytest

    from symconv import SymconvError

    with pytest.raises(SymconvError, match="groups"):
        nn.Stack((6, 8, 8), [nn.conv(3, groups=4)])
    with pytest.raises(SymconvError, match="not a linear map"):
        nn.Stack((1, 8, 8), [nn.conv(3), nn.relu()]).matrix()
