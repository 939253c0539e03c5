"""Published networks written by hand with the stack's branch API, against PyTorch.

MobileNetV2, GoogLeNet (auxiliary classifiers off), DenseNet-121, SqueezeNet 1.0,
ShuffleNetV2 x0.5 and the U-Net of ``torch_nets.py``, each written as a person
writes it from its paper or torchvision's code, one function per block
(``inverted_residual``, ``inception``, ``dense_layer``, ``fire``,
``shuffle_unit``...), with ``from symconv import stack as nn``. Each is compared
with the PyTorch module: its weights with the module's parameters, its MACs with
half of PyTorch's flop counter, its output shape with a forward pass, at 224 x 224
and at the odd sizes 193 x 201 and 97 x 97 (a size the module refuses, the stack
refuses too); every row, paths aside, with ``from_torch``'s; and its table in ``H``
and ``W`` (the U-Net's in the sizes it takes, ``H = 4*h + 1``) with its numeric
table at each size.

An optional suite (marker ``torch``), skipped without PyTorch. The expected
numbers come from PyTorch and ``from_torch`` only.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from symconv import SymconvError
from symconv import stack as nn

torch = pytest.importorskip("torch")

from test_network_import import PERIODIC, SIZES, Oracle, at, row_facts  # noqa: E402

from symconv.network import from_torch  # noqa: E402

pytestmark = pytest.mark.torch

H, W = sympy.symbols("H W")
h, w = sympy.symbols("h w")


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


# ------------------------------------------------------------------ MobileNetV2


def conv_bn_relu6(out: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> list[Any]:
    padding = (kernel - 1) // 2
    return [
        nn.conv(kernel, out_channels=out, stride=stride, padding=padding, groups=groups),
        nn.batchnorm(),
        nn.activation("relu6"),
    ]


def inverted_residual(inp: int, out: int, stride: int, expand: int) -> list[Any]:
    """Expand by 1x1, filter depthwise, project linearly; add the input where shapes allow."""
    hidden = inp * expand
    layers = conv_bn_relu6(hidden, kernel=1) if expand != 1 else []
    layers += [
        *conv_bn_relu6(hidden, stride=stride, groups=hidden),
        nn.conv(1, out_channels=out),
        nn.batchnorm(),
    ]
    return [nn.residual(*layers)] if stride == 1 and inp == out else layers


def mobilenet_v2() -> list[Any]:
    layers = conv_bn_relu6(32, stride=2)
    channels = 32
    # expansion t, output channels c, repeats n, first stride s (the paper's Table 2)
    for t, c, n, s in [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]:
        for number in range(n):
            layers += inverted_residual(channels, c, s if number == 0 else 1, t)
            channels = c
    layers += conv_bn_relu6(1280, kernel=1)
    return [*layers, nn.adaptive_pool(1), nn.flatten(), nn.dense(1000, bias=True)]


# -------------------------------------------------------------------- GoogLeNet


def basic_conv(out: int, kernel: int, **options: Any) -> list[Any]:
    return [nn.conv(kernel, out_channels=out, **options), nn.batchnorm(), nn.relu()]


def inception(
    ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int
) -> Any:
    """Four branches joined along the channels (torchvision's "5x5" branch has a 3x3 kernel)."""
    return nn.concat(
        basic_conv(ch1x1, 1),
        [*basic_conv(ch3x3red, 1), *basic_conv(ch3x3, 3, padding=1)],
        [*basic_conv(ch5x5red, 1), *basic_conv(ch5x5, 3, padding=1)],
        [nn.pool(3, stride=1, padding=1, ceil_mode=True), *basic_conv(pool_proj, 1)],
    )


def googlenet() -> list[Any]:
    return [
        *basic_conv(64, 7, stride=2, padding=3),
        nn.pool(3, stride=2, ceil_mode=True),
        *basic_conv(64, 1),
        *basic_conv(192, 3, padding=1),
        nn.pool(3, stride=2, ceil_mode=True),
        inception(64, 96, 128, 16, 32, 32),
        inception(128, 128, 192, 32, 96, 64),
        nn.pool(3, stride=2, ceil_mode=True),
        inception(192, 96, 208, 16, 48, 64),
        inception(160, 112, 224, 24, 64, 64),
        inception(128, 128, 256, 24, 64, 64),
        inception(112, 144, 288, 32, 64, 64),
        inception(256, 160, 320, 32, 128, 128),
        nn.pool(2, stride=2, ceil_mode=True),
        inception(256, 160, 320, 32, 128, 128),
        inception(384, 192, 384, 48, 128, 128),
        nn.adaptive_pool(1),
        nn.flatten(),
        nn.dense(1000, bias=True),
    ]


# --------------------------------------------------------------------- DenseNet


def dense_layer(growth: int, bn_size: int = 4) -> Any:
    """Batch norm, ReLU, 1x1 and 3x3 convolutions; the new features joined onto the input."""
    return nn.concat(
        [],
        [
            nn.batchnorm(),
            nn.relu(),
            nn.conv(1, out_channels=bn_size * growth),
            nn.batchnorm(),
            nn.relu(),
            nn.conv(3, out_channels=growth, padding=1),
        ],
    )


def dense_block(layers: int, growth: int) -> list[Any]:
    return [dense_layer(growth) for _ in range(layers)]


def transition(out: int) -> list[Any]:
    return [nn.batchnorm(), nn.relu(), nn.conv(1, out_channels=out), nn.pool(2, mode="avg")]


def densenet121(growth: int = 32) -> list[Any]:
    layers = [
        nn.conv(7, out_channels=64, stride=2, padding=3),
        nn.batchnorm(),
        nn.relu(),
        nn.pool(3, stride=2, padding=1),
    ]
    channels = 64
    config = (6, 12, 24, 16)
    for number, count in enumerate(config, start=1):
        layers += dense_block(count, growth)
        channels += count * growth
        if number != len(config):
            channels //= 2
            layers += transition(channels)
    return [
        *layers,
        nn.batchnorm(),
        nn.relu(),
        nn.adaptive_pool(1),
        nn.flatten(),
        nn.dense(1000, bias=True),
    ]


# ------------------------------------------------------------------- SqueezeNet


def fire(squeeze: int, expand1x1: int, expand3x3: int) -> list[Any]:
    """Squeeze by 1x1, then expand by 1x1 and 3x3 side by side."""
    return [
        nn.conv(1, out_channels=squeeze, bias=True),
        nn.relu(),
        nn.concat(
            [nn.conv(1, out_channels=expand1x1, bias=True), nn.relu()],
            [nn.conv(3, out_channels=expand3x3, padding=1, bias=True), nn.relu()],
        ),
    ]


def squeezenet1_0() -> list[Any]:
    def pool() -> Any:
        return nn.pool(3, stride=2, ceil_mode=True)

    return [
        nn.conv(7, out_channels=96, stride=2, bias=True),
        nn.relu(),
        pool(),
        *fire(16, 64, 64),
        *fire(16, 64, 64),
        *fire(32, 128, 128),
        pool(),
        *fire(32, 128, 128),
        *fire(48, 192, 192),
        *fire(48, 192, 192),
        *fire(64, 256, 256),
        pool(),
        *fire(64, 256, 256),
        nn.conv(1, out_channels=1000, bias=True),
        nn.relu(),
        nn.adaptive_pool(1),
        nn.flatten(),
    ]


# ----------------------------------------------------------------- ShuffleNetV2


def pointwise(out: int) -> list[Any]:
    return [nn.conv(1, out_channels=out), nn.batchnorm(), nn.relu()]


def depthwise(channels: int, stride: int) -> list[Any]:
    conv = nn.conv(3, out_channels=channels, stride=stride, padding=1, groups=channels)
    return [conv, nn.batchnorm()]


def shuffle_unit(inp: int, out: int, stride: int) -> list[Any]:
    """Half the channels pass (split) or go down by a depthwise branch (stride 2); the
    other half through 1x1, depthwise 3x3, 1x1; joined, then shuffled."""
    half = out // 2
    main = [*pointwise(half), *depthwise(half, stride), *pointwise(half)]
    if stride == 1:
        joined = nn.concat([nn.channel_split(2)], [nn.channel_split(2), *main])
    else:
        joined = nn.concat([*depthwise(inp, stride), *pointwise(half)], main)
    return [joined, nn.channel_shuffle(2)]


def shufflenet_v2_x0_5() -> list[Any]:
    layers = [
        nn.conv(3, out_channels=24, stride=2, padding=1),
        nn.batchnorm(),
        nn.relu(),
        nn.pool(3, stride=2, padding=1),
    ]
    channels = 24
    for repeats, out in [(4, 48), (8, 96), (4, 192)]:
        layers += shuffle_unit(channels, out, 2)
        for _ in range(repeats - 1):
            layers += shuffle_unit(out, out, 1)
        channels = out
    return [
        *layers,
        *pointwise(1024),
        nn.adaptive_pool(1),
        nn.flatten(),
        nn.dense(1000, bias=True),
    ]


# ------------------------------------------------------------------------ U-Net


def double_conv(out: int) -> list[Any]:
    return [
        nn.conv(3, out_channels=out, padding=1),
        nn.batchnorm(),
        nn.relu(),
        nn.conv(3, out_channels=out, padding=1),
        nn.batchnorm(),
        nn.relu(),
    ]


def down(channels: int, out: int) -> list[Any]:
    """A strided convolution halves the size, then two convolutions."""
    return [nn.conv(3, out_channels=channels, stride=2, padding=1, bias=True), *double_conv(out)]


def up(out: int) -> Any:
    return nn.conv_transpose(3, out_channels=out, stride=2, padding=1, bias=True)


def unet(width: int = 16, classes: int = 2) -> list[Any]:
    """Each level's skip is the input of a concat (``[]``) whose other branch goes down
    a level and comes back up."""
    inner = nn.concat([], [*down(2 * width, 4 * width), up(2 * width)])
    outer = nn.concat([], [*down(width, 2 * width), inner, *double_conv(2 * width), up(width)])
    head = nn.conv(1, out_channels=classes, bias=True)
    return [*double_conv(width), outer, *double_conv(width), head]


#: Each network of ``torch_nets.NETWORKS`` built by hand, by its name there.
BY_HAND = {
    "mobilenet_v2": mobilenet_v2(),
    "googlenet": googlenet(),
    "densenet121": densenet121(),
    "squeezenet1_0": squeezenet1_0(),
    "shufflenet_v2_x0_5": shufflenet_v2_x0_5(),
    "unet": unet(),
}

CASES = [(name, size) for name in BY_HAND for size in SIZES]


def weighted_rows(stack: Any) -> list[tuple[Any, Any, Any]]:
    """Shape, weights and MACs of each row that carries weights or MACs."""
    return [(row.shape, row.weights, row.macs) for row in stack.rows if row.weights or row.macs]


@pytest.mark.parametrize(("name", "size"), CASES, ids=[f"{n}-{s[0]}x{s[1]}" for n, s in CASES])
def test_a_network_built_by_hand_is_the_torch_module(
    oracle: Oracle, name: str, size: tuple[int, int]
) -> None:
    shape = (3, *size)
    result = oracle.run(name, shape)
    if result is None:  # the module refuses the size: so does the stack
        with pytest.raises(SymconvError, match=r"^block .* \(concat\): branch 1 gives"):
            nn.Stack(shape, BY_HAND[name])
        return
    hand = nn.Stack(shape, BY_HAND[name])
    assert hand.weight_count == result.parameters
    assert 2 * hand.macs == result.flops
    assert hand.output_shape == result.output_shape
    imported = from_torch(oracle.module(name), shape)
    assert weighted_rows(hand) == weighted_rows(imported)
    assert row_facts(hand) == row_facts(imported)


def symbolic_sizes(name: str) -> tuple[Any, Any]:
    """``H`` and ``W``, or the form of the sizes a network takes (``4*h + 1``)."""
    if name not in PERIODIC:
        return H, W
    period, offset = PERIODIC[name]
    return period * h + offset, period * w + offset


@pytest.mark.parametrize("name", list(BY_HAND))
def test_the_symbolic_table_built_by_hand_agrees_with_the_numeric_one(
    oracle: Oracle, name: str
) -> None:
    height, width = symbolic_sizes(name)
    symbolic = nn.Stack((3, height, width), BY_HAND[name])
    assert row_facts(symbolic) == row_facts(from_torch(oracle.module(name), (3, height, width)))
    compared = 0
    for size in SIZES:
        values: dict[Any, Any] = {}
        for expression, value in zip((height, width), size, strict=True):
            (symbol,) = expression.free_symbols
            (values[symbol],) = sympy.solve(expression - value, symbol)
        if not all(v.is_integer for v in values.values()):
            continue  # the form cannot take this size
        assert oracle.run(name, (3, *size)) is not None
        numeric = nn.Stack((3, *size), BY_HAND[name])
        got = [tuple(at(entry, values) for entry in facts) for facts in row_facts(symbolic)]
        assert got == row_facts(numeric)
        compared += 1
    assert compared
