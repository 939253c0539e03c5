"""One layer model: every layer validates with the same rule and a stack agrees with its layers."""

from __future__ import annotations

import pytest
import sympy

from symconv import Conv, ConvTranspose, SpecError, SpecTypeError
from symconv import stack as nn
from symconv.pooling import Pool

WRONG_TYPE = [
    (lambda: Conv(9, 3, bias="yes"), "bias"),
    (lambda: Conv(9, "3"), "kernel_size"),
    (lambda: Conv(9, 3, padding_mode=0), "padding_mode"),
    (lambda: ConvTranspose(9, 3, bias=1), "bias"),
    (lambda: Pool(5, 2, ceil_mode="yes"), "ceil_mode"),
    (lambda: Pool(5, 2, count_include_pad=None), "count_include_pad"),
    (lambda: Pool(5, 2, mode=1), "mode"),
    (lambda: Pool(5, "2"), "kernel_size"),
    (lambda: nn.conv("3"), "kernel"),
    (lambda: nn.conv(3, stride=1.5), "stride"),
    (lambda: nn.conv(3, bias="no"), "bias"),
    (lambda: nn.pool(2, padding="1"), "padding"),
    (lambda: nn.conv_transpose(3, output_padding="1"), "output_padding"),
    (lambda: nn.dense("10"), "out_features"),
    (lambda: nn.dense(10, bias=0), "bias"),
]

WRONG_VALUE = [
    (lambda: Conv(9, 3, stride=0), "stride"),
    (lambda: Conv(9, 3, padding_mode="reflect"), "padding_mode"),
    (lambda: Conv(9, 3, input_letter="1 2"), "input_letter"),
    (lambda: Pool(4, 2, input_letter="1 2"), "input_letter"),
    (lambda: Pool(5, 2, mode="mean"), "mode"),
    (lambda: Pool(5, 2, stride=0), "stride"),
    (lambda: ConvTranspose(9, 3, kernel_letter="k k"), "kernel_letter"),
    (lambda: nn.conv(0), "kernel"),
    (lambda: nn.pool(2, mode="median"), "mode"),
    (lambda: nn.dense(0), "out_features"),
    (lambda: nn.Stack((1, 0), [nn.conv(3)]), "input_shape"),
]


@pytest.mark.parametrize(("make", "parameter"), WRONG_TYPE)
def test_a_wrong_type_raises_spec_type_error_naming_the_parameter(make, parameter: str) -> None:
    with pytest.raises(SpecTypeError, match=parameter) as raised:
        make()
    assert raised.value.parameter == parameter  # a program can point at the field


@pytest.mark.parametrize(("make", "parameter"), WRONG_VALUE)
def test_a_wrong_value_raises_spec_error_naming_the_parameter(make, parameter: str) -> None:
    with pytest.raises(SpecError, match=parameter) as raised:
        make()
    assert not isinstance(raised.value, SpecTypeError)
    assert raised.value.parameter == parameter


def test_pool_is_a_layer_like_the_others() -> None:
    pool = Pool((4, 4), 2, channels=3, input_letter="z")
    assert pool.input_symbols.shape == pool.input_shape
    assert str(pool.output_element((0, 0, 0))).startswith("Max(z_1,1,1")
    with pytest.raises(AttributeError, match="immutable"):
        pool.spec = None  # type: ignore[misc]
    assert pool == Pool((4, 4), 2, channels=3, input_letter="z")


@pytest.mark.parametrize(
    ("layer", "single"),
    [
        (
            nn.conv(3, out_channels=4, stride=2, padding=1, dilation=2, bias=True),
            lambda s: Conv(
                s[1:],
                3,
                stride=2,
                padding=1,
                dilation=2,
                in_channels=s[0],
                out_channels=4,
                bias=True,
            ),
        ),
        (
            nn.conv_transpose(3, out_channels=2, stride=2, padding=1, output_padding=1),
            lambda s: ConvTranspose(
                s[1:], 3, stride=2, padding=1, output_padding=1, in_channels=s[0], out_channels=2
            ),
        ),
        (
            nn.pool(3, stride=2, padding=1),
            lambda s: Pool(s[1:], 3, stride=2, padding=1, channels=s[0]),
        ),
    ],
    ids=["conv", "transpose", "pool"],
)
def test_a_stack_and_a_single_layer_agree(layer, single) -> None:
    shape = (3, 9, 7)
    stack = nn.Stack(shape, [layer])
    alone = single(shape)
    assert stack.output_shape == alone.output_shape
    assert stack.weight_count == alone.weight_count
    # The same layer with symbols gives formulas that agree at these numbers.
    C, H, W = sympy.symbols("C H W", integer=True, positive=True)
    symbolic = nn.Stack((C, H, W), [layer])
    values = dict(zip((C, H, W), shape, strict=True))
    assert tuple(sympy.sympify(n).subs(values) for n in symbolic.output_shape) == alone.output_shape
    assert sympy.sympify(symbolic.weight_count).subs(values) == alone.weight_count


def test_a_layer_that_does_not_fit_names_its_place_in_the_stack() -> None:
    with pytest.raises(SpecError, match=r"layer 2 \(conv 5\).*kernel_size 5"):
        nn.Stack((1, 6), [nn.conv(3), nn.conv(5)])
