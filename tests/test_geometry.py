"""The geometry core against brute force: windows, sizes and receptive fields by enumeration."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symconv import ConvTranspose
from symconv.layers.geometry import (
    conv_output_size,
    conv_taps,
    field_after_conv,
    field_after_transpose,
    named_padding,
    pool_output_size,
    same_output_size,
    span,
    transpose_output_size,
    transpose_taps,
)
from symconv.layers.stack import Stack, conv, conv_transpose, pool

small = st.integers(1, 6)


@st.composite
def axes(draw: st.DrawFn) -> dict[str, int]:
    """One spatial axis where the kernel fits the padded input."""
    kernel, stride, dilation = draw(small), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    before, after = draw(st.integers(0, 5)), draw(st.integers(0, 5))
    size = draw(st.integers(max(1, span(kernel, dilation) - before - after), 20))
    return {
        "size": size,
        "kernel": kernel,
        "stride": stride,
        "dilation": dilation,
        "before": before,
        "after": after,
    }


def windows_by_enumeration(a: dict[str, int]) -> list[list[int]]:
    """Every window of the padded axis, as padded positions, found by sliding one step at a time."""
    padded = a["before"] + a["size"] + a["after"]
    found = []
    start = 0
    while start + span(a["kernel"], a["dilation"]) <= padded:
        found.append([start + j * a["dilation"] for j in range(a["kernel"])])
        start += a["stride"]
    return found


@given(axes())
@settings(max_examples=300, deadline=None)
def test_conv_output_size_counts_the_windows(a: dict[str, int]) -> None:
    got = conv_output_size(
        a["size"],
        a["kernel"],
        stride=a["stride"],
        padding=(a["before"], a["after"]),
        dilation=a["dilation"],
    )
    assert got == len(windows_by_enumeration(a))


@given(axes(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_conv_taps_are_the_window_cells_inside_the_input(a: dict[str, int], circular: bool) -> None:
    if circular and max(a["before"], a["after"]) > a["size"]:
        return
    for position, window in enumerate(windows_by_enumeration(a)):
        expected = []
        for tap, padded in enumerate(window):
            index = padded - a["before"]
            if 0 <= index < a["size"]:
                expected.append((tap, index))
            elif circular:
                expected.append((tap, index % a["size"]))
        got = conv_taps(
            position,
            a["size"],
            a["kernel"],
            stride=a["stride"],
            before=a["before"],
            dilation=a["dilation"],
            circular=circular,
        )
        assert list(got) == expected


@given(small, small, st.integers(1, 4), st.integers(0, 4), st.integers(1, 3), st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_transposed_taps_and_size_by_scattering(
    size: int, kernel: int, stride: int, padding: int, dilation: int, extra: int
) -> None:
    extra = extra % max(stride, dilation)
    out = transpose_output_size(
        size, kernel, stride=stride, padding=padding, dilation=dilation, output_padding=extra
    )
    if out < 1:
        return
    # Scatter every input over its window of the full output, then crop `padding`
    # from both ends and add `extra` after (PyTorch's ConvTranspose).
    reached: dict[int, list[tuple[int, int]]] = {}
    for i in range(size):
        for j in range(kernel):
            reached.setdefault(i * stride + j * dilation - padding, []).append((j, i))
    full = max(i * stride + j * dilation for i in range(size) for j in range(kernel)) + 1
    assert out == full - 2 * padding + extra
    for position in range(out):
        got = transpose_taps(
            position, size, kernel, stride=stride, padding=padding, dilation=dilation
        )
        assert sorted(got) == sorted(reached.get(position, []))


@given(st.integers(1, 30), small, st.integers(1, 4), st.integers(1, 3), st.booleans())
@settings(max_examples=300, deadline=None)
def test_named_paddings(size: int, kernel: int, stride: int, dilation: int, flip: bool) -> None:
    before, after = named_padding("same", size, kernel, stride, dilation, flip=flip)
    assert (abs(before - after) <= 1 and (before >= after) == flip) or before == after
    a = {"size": size, "kernel": kernel, "stride": stride, "dilation": dilation}
    same = windows_by_enumeration({**a, "before": before, "after": after})
    assert len(same) == same_output_size(size, stride)
    full = named_padding("full", size, kernel, stride, dilation)
    # "full": every window that meets at least one input, at stride 1.
    full_windows = windows_by_enumeration({**a, "stride": 1, "before": full[0], "after": full[1]})
    meets = [w for w in full_windows if any(full[0] <= p < full[0] + size for p in w)]
    assert len(full_windows) == len(meets) or dilation > 1
    assert named_padding("valid", size, kernel, stride, dilation) == (0, 0)


@given(st.integers(1, 20), small, st.integers(1, 4), st.integers(0, 3), st.integers(1, 2))
@settings(max_examples=300, deadline=None)
def test_pool_ceil_mode_keeps_windows_that_start_inside(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> None:
    padding = min(padding, kernel // 2)
    reach = size + 2 * padding - span(kernel, dilation)
    if reach < 0:
        return
    # PyTorch: windows start every `stride` from -padding; ceil_mode adds one that
    # overhangs the end, as long as it starts inside the input or the left padding.
    starts = range(-padding, size + padding, stride)
    floor_count = sum(1 for s in starts if s + span(kernel, dilation) <= size + padding)
    ceil_count = sum(1 for s in starts if s < size and s - 0 <= reach - padding + stride - 1)
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation}
    assert pool_output_size(size, kernel, **kwargs) == floor_count
    assert pool_output_size(size, kernel, ceil_mode=True, **kwargs) == ceil_count


def test_sizes_work_on_symbols_and_agree_with_numbers() -> None:
    W, K, s, p, d, a = sympy.symbols("W K s p d a", integer=True, positive=True)
    values = {W: 11, K: 3, s: 2, p: 1, d: 2, a: 1}
    formula = conv_output_size(W, K, stride=s, padding=(p, p), dilation=d)
    assert formula.subs(values) == conv_output_size(11, 3, stride=2, padding=(1, 1), dilation=2)
    transposed = transpose_output_size(W, K, stride=s, padding=p, dilation=d, output_padding=a)
    assert transposed.subs(values) == transpose_output_size(
        11, 3, stride=2, padding=1, dilation=2, output_padding=1
    )
    assert same_output_size(W, s).subs(values) == same_output_size(11, 2)


# ---------------------------------------------------------------------------
# Receptive fields: which inputs influence an output, by enumeration


def reads(layer, size: int) -> tuple[np.ndarray, int]:
    """Oracle: which inputs each output of one 1-D layer reads, written from the definitions."""
    k, s, p, d = layer.kernel, layer.stride, layer.padding, layer.dilation
    if hasattr(layer, "output_padding"):  # transposed: input i reaches output i*s + j*d - p
        out = (size - 1) * s - 2 * p + d * (k - 1) + 1 + layer.output_padding
        matrix = np.zeros((out, size), dtype=bool)
        for i in range(size):
            for t in range(k):
                o = i * s + t * d - p
                if 0 <= o < out:
                    matrix[o, i] = True
        return matrix, out
    out = (size + 2 * p - d * (k - 1) - 1) // s + 1
    matrix = np.zeros((out, size), dtype=bool)
    for o in range(out):
        for t in range(k):
            i = o * s + t * d - p
            if 0 <= i < size:
                matrix[o, i] = True
    return matrix, out


def measured_field(layers, size: int) -> tuple[int, Fraction, Fraction]:
    """Size and centre of an interior output's field, extrapolated back to output 0."""
    influence = np.eye(size, dtype=int)
    current = size
    for layer in layers:
        step, current = reads(layer, current)
        influence = (step.astype(int) @ influence) > 0
    rows = [np.flatnonzero(row) for row in influence]
    middle = len(rows) // 2
    near = rows[middle - 1 : middle + 2]
    # Only an interior output measures the field: no window of any layer cut by an edge.
    assume(len(near) == 3 and all(len(r) for r in near))
    assume(len({int(r[-1] - r[0]) for r in near}) == 1)
    assume(all(r[0] > 0 and r[-1] < size - 1 for r in near))
    lo, hi = rows[middle][0], rows[middle][-1]
    centre = Fraction(int(lo + hi), 2)
    jump = Fraction(int(rows[middle + 1][0] + rows[middle + 1][-1]), 2) - centre
    return int(hi - lo + 1), jump, centre - middle * jump


windowed = st.one_of(
    st.builds(
        lambda k, s, p, d: conv(k, stride=s, padding=min(p, k - 1), dilation=d),
        small,
        st.integers(1, 2),
        st.integers(0, 2),
        st.integers(1, 2),
    ),
    st.builds(
        lambda k, s, p: pool(k, stride=s, padding=min(p, k // 2)),
        small,
        st.integers(1, 2),
        st.integers(0, 2),
    ),
    # At stride 1 every output of a transposed convolution sees the same window.
    st.builds(
        lambda k, p, d: conv_transpose(k, padding=min(p, k - 1), dilation=d),
        small,
        st.integers(0, 3),
        st.integers(1, 2),
    ),
)


@given(st.lists(windowed, min_size=1, max_size=4))
@settings(max_examples=80, deadline=None)
def test_stack_receptive_fields_match_the_influence_of_inputs(layers) -> None:
    size = 160
    stack = Stack((1, size), layers)
    assume(stack.output_shape[1] >= 5)
    assert tuple(map(Fraction, map(str, stack.rows[-1].receptive_field))) == measured_field(
        layers, size
    )


@pytest.mark.parametrize(
    "layer",
    [conv_transpose(3), conv_transpose(4, padding=1), conv_transpose(3, stride=2, padding=1)],
    ids=["K=3", "K=4 p=1", "K=3 s=2 p=1"],
)
def test_transposed_field_is_centred_on_the_inputs_that_reach_the_first_output(layer) -> None:
    """The start is the centre of the inputs reaching output 0, read off the real layer."""
    size = 12
    real = ConvTranspose(
        size, layer.kernel, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
    )
    # Output 0 reads inputs from the layer's own taps; unbounded: taps below 0 count too.
    reaching = [
        Fraction(layer.padding - j * layer.dilation, layer.stride)
        for j in range(layer.kernel)
        if (layer.padding - j * layer.dilation) % layer.stride == 0
    ]
    inside = {int(i) for i in reaching if 0 <= i < size}
    symbols = real.output_element(0).free_symbols - set(real.kernel_symbols)
    assert {real.input_symbols.tolist().index(x) for x in symbols} == inside
    start = Stack((1, size), [layer]).rows[-1].receptive_field[2]
    assert Fraction(str(start)) == (min(reaching) + max(reaching)) / 2


def test_field_steps_are_affine_in_the_field_they_receive() -> None:
    size, jump, start = sympy.symbols("r j c", positive=True)
    after = field_after_conv((size, jump, start), 3, stride=2, before=1)
    assert after == (size + 2 * jump, 2 * jump, start)
    transposed = field_after_transpose((size, jump, start), 3)
    assert transposed == (size + 2 * jump, jump, start - jump)
