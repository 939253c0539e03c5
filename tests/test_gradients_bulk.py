"""The gradients' sums, built in SymPy's canonical order directly, against SymPy's own constructors.

``Conv.backward()`` makes each sum of ``dL/dx``, ``dL/dk`` and ``dL/db`` from taps
listed in the order SymPy sorts their upstream symbols (``g_10`` before
``g_2``), with ``Add._from_args``; where that order does not hold it collects
the taps one by one and sorts them. Either way the result must be the very
expression SymPy's ordinary ``Add(*[Mul(g, k) ...])`` gives: equal, same
``str``, ``srepr`` and hash, entry by entry. Layers are drawn with more than
nine outputs, channels and filters on an axis, so that names of one and two
digits meet in one sum.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numeric_oracle import oracle_axis_padding, span
from sympy import Add, Expr, Mul, Symbol, srepr

from symconv import Conv
from symconv.layers.gradient_sums import GradientSums
from symconv.layers.patterns import kernel_sweeps, reaching_taps
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import (
    SymbolTable,
    letter_sorts_before,
    name_order,
    spatial_name_order,
    symbol_names,
)
from symconv.layers.windows import Connections, axis_windows

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def ordinary_gradients(conv: Conv, letter: str) -> tuple[list[Expr], list[Expr], list[Expr]]:
    """``dL/dx``, ``dL/dk``, ``dL/db`` flat, each ``Add(*[Mul(...)])`` of its taps' products."""
    spec = conv.spec
    table = SymbolTable(spec)
    connections = Connections(spec)
    upstream = [Symbol(name) for name in symbol_names(letter, spec.output_shape)]
    to_input: list[list[Expr]] = [[] for _ in range(math.prod(spec.input_shape))]
    to_weight: list[list[Expr]] = [[] for _ in range(math.prod(spec.weight_shape))]
    to_bias: list[list[Expr]] = [[] for _ in range(math.prod(spec.bias_shape))]
    for position in connections.positions():
        for channel in range(spec.c_out):
            g = upstream[connections.output_flat(channel, position)]
            for weight, column in connections.taps(channel, position):
                to_input[column].append(Mul(g, table.weight(weight)))
                to_weight[weight].append(Mul(g, table.input(column)))
            if spec.bias:
                to_bias[connections.bias(channel, position)].append(g)
    dx, dk, db = ([Add(*terms) for terms in sums] for sums in (to_input, to_weight, to_bias))
    return dx, dk, db


def assert_identical(got: list[Any], expected: list[Any]) -> None:
    assert got == expected
    # srepr and str print a sum's terms sorted again: args keep the order built.
    assert [g.args for g in got] == [e.args for e in expected]
    assert [srepr(g) for g in got] == [srepr(e) for e in expected]
    assert [str(g) for g in got] == [str(e) for e in expected]
    assert [hash(g) for g in got] == [hash(e) for e in expected]


def assert_backward_is_ordinary(conv: Conv, letter: str = "g") -> None:
    grads = conv.backward(letter)
    dx, dk, db = ordinary_gradients(conv, letter)
    assert grads.input.shape == conv.input_shape
    assert grads.kernel.shape == conv.kernel_symbols.shape
    assert_identical(list(grads.input.reshape(len(grads.input))), dx)
    assert_identical(list(grads.kernel.reshape(len(grads.kernel))), dk)
    if conv.spec.bias:
        assert grads.bias is not None
        assert_identical(list(grads.bias.reshape(len(grads.bias))), db)
    else:
        assert grads.bias is None


# Layers with names of one and two digits -----------------------------------------

#: Most large enough that some axis, channel or filter count reaches 10.
CASES: list[tuple[Any, Any, dict[str, Any]]] = [
    (9, 3, {}),
    (25, 3, {}),
    (23, 4, {"stride": 3, "padding": ((2, 5),), "dilation": 2, "bias": True}),
    (14, 3, {"padding": "same", "flip": True}),
    (12, 5, {"padding": "full", "bias": True}),
    (13, 3, {"padding": 1, "padding_mode": "circular"}),
    (3, 5, {"padding": 2, "padding_mode": "circular"}),  # a window wraps onto an input twice
    ((3, 12), (1, 5), {"padding": ((0, 0), (2, 2)), "padding_mode": "circular"}),
    (13, 3, {"shared": False, "bias": True, "padding": "same"}),
    ((12, 11), 3, {"in_channels": 1, "out_channels": 2, "padding": 1, "bias": True}),
    ((3, 4), 2, {"in_channels": 2, "out_channels": 11, "padding": 1, "bias": True}),
    (
        (5, 4),
        3,
        {"in_channels": 12, "out_channels": 12, "groups": 3, "stride": (1, 2), "dilation": (2, 1)},
    ),
    (
        (4, 5),
        3,
        {
            "in_channels": 4,
            "out_channels": 12,
            "groups": 2,
            "padding": "same",
            "flip": True,
            "padding_mode": "circular",
            "bias": True,
        },
    ),
    ((11, 10), 3, {"in_channels": 1, "out_channels": 2, "shared": False, "bias": True}),
    ((3, 3), 2, {"in_channels": 2, "out_channels": 10, "shared": False, "bias": True}),
    ((10, 10), 2, {"in_channels": 4, "out_channels": 2, "groups": 2, "shared": False}),
    ((2, 11, 3), 2, {"in_channels": 1, "out_channels": 10, "padding": 1, "dilation": (1, 2, 1)}),
    (12, 11, {"padding": "same", "input_letter": "a", "kernel_letter": "w"}),
    ((3, 12), (1, 11), {"input_letter": "x", "kernel_letter": "c", "bias": True}),
    (12, 11, {"shared": False, "bias": True, "input_letter": "u", "bias_letter": "c"}),
]

IDS = [f"{size}-{kernel}-{options}" for size, kernel, options in CASES]


@pytest.mark.parametrize(("size", "kernel", "options"), CASES, ids=IDS)
@pytest.mark.parametrize("letter", ["g", "z", "e"])
def test_backward_equals_ordinary_sums(
    size: Any, kernel: Any, options: dict[str, Any], letter: str
) -> None:
    assert_backward_is_ordinary(Conv(size, kernel, **options), letter)


@st.composite
def layers(draw: st.DrawFn) -> tuple[Conv, str]:
    """A valid layer of 1 to 3 axes with every option, and an upstream letter."""
    ndim = draw(st.sampled_from([1, 2, 3]))
    channels: dict[str, int] = {}
    if draw(st.booleans()):
        groups = draw(st.integers(1, 3))
        channels["groups"] = groups
        channels["in_channels"] = groups * draw(st.integers(1, 2))
        channels["out_channels"] = groups * draw(st.integers(1, 12 // groups))
    # Many filters on a small image, or few on a large one: names of two digits either way.
    few = channels.get("out_channels", 1) * channels.get("in_channels", 1) <= 4
    largest = {1: 24, 2: 12, 3: 5}[ndim] if few else {1: 12, 2: 4, 3: 3}[ndim]
    sizes = [draw(st.integers(1, largest)) for _ in range(ndim)]
    stride = [draw(st.integers(1, 3)) for _ in range(ndim)]
    dilation = [draw(st.integers(1, 3)) for _ in range(ndim)]
    flip = draw(st.booleans())
    padding = draw(st.sampled_from(["valid", "same", "full", 0, 1, 2, ((0, 2),)]))
    if padding == ((0, 2),):
        padding = ((0, 2),) * ndim
    kernel, pads = [], []
    for axis in range(ndim):
        per_axis = padding[axis] if isinstance(padding, tuple) else padding
        k = draw(st.integers(1, 4))
        while True:
            pair = oracle_axis_padding(per_axis, sizes[axis], k, stride[axis], dilation[axis], flip)
            if k == 1 or span(k, dilation[axis]) <= sizes[axis] + sum(pair):
                break
            k -= 1
        kernel.append(k)
        pads.append(pair)
    circular = draw(st.booleans()) and all(
        max(pair) <= n for pair, n in zip(pads, sizes, strict=True)
    )
    options: dict[str, Any] = {
        "stride": tuple(stride),
        "dilation": tuple(dilation),
        "padding": padding,
        "padding_mode": "circular" if circular else "zeros",
        "flip": flip,
        "shared": draw(st.booleans()),
        "bias": draw(st.booleans()),
        **channels,
    }
    letters = draw(st.sampled_from([("x", "k"), ("a", "k"), ("x", "c"), ("xa", "kb")]))
    options["input_letter"], options["kernel_letter"] = letters
    conv = Conv(tuple(sizes) if ndim > 1 else sizes[0], tuple(kernel), **options)
    upstream = ["g", "g", "z", "G", "gz", "a"]
    return conv, draw(st.sampled_from([u for u in upstream if u not in letters]))


@SETTINGS
@given(layers())
def test_backward_equals_ordinary_sums_for_any_layer(layer: tuple[Conv, str]) -> None:
    assert_backward_is_ordinary(*layer)


@SETTINGS
@given(layers())
def test_fast_sums_equal_the_sums_collected_tap_by_tap(layer: tuple[Conv, str]) -> None:
    conv, letter = layer
    spec = conv.spec
    assume(_direct(spec, letter))  # else both sides are the collection itself
    fast = GradientSums(spec, SymbolTable(spec), letter)
    collected = GradientSums(spec, SymbolTable(spec), letter).tap_by_tap()
    assert_identical(fast.input(), collected[0])
    assert_identical(fast.kernel(), collected[1])


def _direct(spec: ConvSpec, letter: str) -> bool:
    """Whether the sums of both gradients are made directly, not collected tap by tap."""
    return (
        letter_sorts_before(letter, spec.kernel_letter)
        and letter_sorts_before(letter, spec.input_letter)
        and reaching_taps(spec) is not None
    )


def test_common_layers_take_the_direct_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: GradientSums) -> None:
        raise AssertionError("collected tap by tap")

    monkeypatch.setattr(GradientSums, "tap_by_tap", refuse)
    layers = [Conv(size, kernel, **options) for size, kernel, options in CASES]
    direct = [conv for conv in layers if _direct(conv.spec, "g")]
    assert len(direct) > len(CASES) // 2
    for conv in direct:
        conv.backward()


def test_a_window_wrapping_onto_itself_is_collected_tap_by_tap() -> None:
    conv = Conv(3, 5, padding=2, padding_mode="circular")
    assert reaching_taps(conv.spec) is None
    assert_backward_is_ordinary(conv)


# The name-ordered taps ------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 9, 10, 11, 101, 1000])
def test_name_order_is_the_order_of_the_names(count: int) -> None:
    names = symbol_names("g", (count,))
    assert [names[p] for p in name_order(count)] == sorted(names)


@pytest.mark.parametrize("shape", [(12,), (2, 10), (11, 3), (3, 10, 12), (10, 1, 11)])
def test_spatial_name_order_is_the_order_of_the_names(shape: tuple[int, ...]) -> None:
    names = symbol_names("g", shape)
    assert [names[p] for p in spatial_name_order(shape)] == sorted(names)


@pytest.mark.parametrize(("size", "kernel", "options"), CASES, ids=IDS)
def test_reaching_taps_and_kernel_sweeps_list_every_tap_once(
    size: Any, kernel: Any, options: dict[str, Any]
) -> None:
    spec = Conv(size, kernel, **options).spec
    connections = Connections(spec)
    windows = [axis_windows(spec, axis) for axis in range(spec.ndim)]
    taps = set()  # (spatial output, spatial kernel tap, spatial input), all flat
    for position in connections.positions():
        flat = connections.output_flat(0, position)
        window = tuple(w[p] for w, p in zip(windows, position, strict=True))
        taps.update((flat, tap, index) for tap, index in connections.spatial_taps(window))
    rank = {p: n for n, p in enumerate(spatial_name_order(spec.output_size))}

    def by_name(pairs: list[tuple[int, int]]) -> bool:
        ranks = [rank[p] for p, _ in pairs]
        return ranks == sorted(set(ranks))

    sweeps = kernel_sweeps(spec)
    swept = [(p, tap, i) for tap, pairs in enumerate(sweeps) for p, i in pairs]
    assert sorted(swept) == sorted(taps)
    assert all(map(by_name, sweeps))
    reach = reaching_taps(spec)
    if reach is None:
        return
    reached = [(p, tap, i) for i, pairs in enumerate(reach) for p, tap in pairs]
    assert sorted(reached) == sorted(taps)
    assert all(map(by_name, reach))
