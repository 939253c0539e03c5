"""``tap_input`` and its inverse ``tap_output`` against the windows found by enumeration.

The general formulas of the gradients rest on them: ``dL/dk`` reads the input at
``tap_input``, ``dL/dx`` reads the upstream at ``tap_output`` (zero when it is
not a whole number in range).
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational, symbols

from symconv.layers.geometry import conv_output_size, conv_taps, tap_input, tap_output


def windows_by_enumeration(size, kernel, stride, before, after, dilation):
    """Every (output, tap, input) with the input inside ``0 .. size - 1``, by sliding."""
    padded = [None] * before + list(range(size)) + [None] * after
    met = set()
    position = 0
    while position * stride + (kernel - 1) * dilation < len(padded):
        for tap in range(kernel):
            index = padded[position * stride + tap * dilation]
            if index is not None:
                met.add((position, tap, index))
        position += 1
    return met, position


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(1, 3),
)
def test_tap_input_and_tap_output_are_the_sliding_window(
    size, kernel, stride, before, after, dilation
) -> None:
    if (kernel - 1) * dilation + 1 > size + before + after:
        return
    met, outputs = windows_by_enumeration(size, kernel, stride, before, after, dilation)
    along = {"stride": stride, "before": before, "dilation": dilation}
    assert outputs == conv_output_size(
        size, kernel, stride=stride, padding=(before, after), dilation=dilation
    )
    for position in range(outputs):
        taps = conv_taps(position, size, kernel, stride=stride, before=before, dilation=dilation)
        assert {(position, t, i) for t, i in taps} == {m for m in met if m[0] == position}
        for tap in range(kernel):
            index = tap_input(position, tap, **along)
            assert ((position, tap, index) in met) == (0 <= index < size)
    for index in range(size):
        for tap in range(kernel):
            source = tap_output(index, tap, **along)
            exact = Fraction(index + before - tap * dilation, stride)
            assert Rational(exact.numerator, exact.denominator) == source
            # A whole output in range is exactly an output whose window meets the input.
            whole = exact.denominator == 1 and 0 <= exact < outputs
            assert whole == any(m[1:] == (tap, index) for m in met)
            if whole:
                assert (int(exact), tap, index) in met


def test_symbols_give_the_formulas() -> None:
    i, j, s, p, d = symbols("i j s p d")
    assert tap_input(i, j, stride=s, before=p, dilation=d) == i * s + j * d - p
    assert (
        tap_output(
            tap_input(i, j, stride=s, before=p, dilation=d), j, stride=s, before=p, dilation=d
        ).expand()
        == i
    )
