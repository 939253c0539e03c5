"""The arithmetic of one spatial axis, for every layer: sizes, spans, paddings, windows.

Every size, span, padding and window in symconv is computed here and nowhere
else. The functions take whole numbers or SymPy expressions alike: numbers give
numbers (``int``), symbols give the general formula.

On one axis of size ``W`` a kernel of ``K`` taps with dilation ``d`` spans
``d(K - 1) + 1`` positions. A convolution (and pooling) with stride ``s`` and
padding ``(before, after)`` puts output ``o``'s tap ``j`` on input position
``o*s + j*d - before``; a transposed convolution spreads input ``i`` onto
outputs ``i*s + j*d - p``.

>>> conv_output_size(9, 3), conv_output_size(9, 3, padding=(1, 1))
(7, 9)
>>> from sympy import symbols
>>> W, K, s, p, d = symbols("W K s p d")
>>> conv_output_size(W, K, stride=s, padding=(p, p), dilation=d)
floor((W - d*(K - 1) + 2*p - 1)/s) + 1
>>> transpose_output_size(W, K, stride=s, padding=p)
K - 2*p + s*(W - 1)
"""

from __future__ import annotations

import math
from typing import Any

from sympy import Add, Expr, Integer, Max, Min, Rational, ceiling, count_ops, expand, floor

__all__ = [
    "PADDING_NAMES",
    "Field",
    "adaptive_windows",
    "ceil_mode_keeps_last",
    "conv_interior",
    "conv_output_size",
    "conv_taps",
    "field_after_conv",
    "field_after_transpose",
    "field_union",
    "named_padding",
    "pool_output_size",
    "same_output_size",
    "same_padding",
    "span",
    "tap_input",
    "tap_output",
    "transpose_output_size",
    "transpose_taps",
    "upsample_output_size",
    "whole_floor_div",
]

PADDING_NAMES = ("valid", "same", "full")

#: A whole number or a SymPy expression.
Size = Any

#: Receptive field of one layer's outputs on one input axis: (size, jump, start).
Field = tuple[Any, Any, Any]


def _numbers(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _floor_div(numerator: Size, denominator: Size) -> Size:
    if _numbers(numerator, denominator):
        return numerator // denominator
    return floor(numerator / denominator)


def _ceil_div(numerator: Size, denominator: Size) -> Size:
    if _numbers(numerator, denominator):
        return -(-numerator // denominator)
    return ceiling(numerator / denominator)


def _as_floor(value: Expr) -> tuple[Expr, int] | None:
    """``value`` as ``floor(L / m)`` with ``L`` whole-valued, or ``None`` if it is not so.

    A whole-valued expression is ``floor(value / 1)``; one ``floor`` or ``ceiling``
    plus whole-valued terms folds them in (``ceiling(L/m) = floor((L + m - 1)/m)``).
    """
    value = Integer(0) + value
    constant, terms = value.as_coeff_add()
    rounded = [term for term in terms if isinstance(term, floor | ceiling)]
    if not rounded:
        return (value, 1) if value.is_integer else None
    extra = constant + Add(*(term for term in terms if term is not rounded[0]))
    if len(rounded) > 1 or not extra.is_integer:
        return None
    numerator, denominator = rounded[0].args[0].as_numer_denom()
    if not (denominator.is_Integer and denominator > 0 and numerator.is_integer):
        return None
    m = int(denominator)
    if isinstance(rounded[0], ceiling):
        numerator += m - 1
    return expand(numerator + m * extra), m


def whole_floor_div(numerator: Size, denominator: Size, plus: Size = 0) -> Size:
    """``floor(numerator / denominator)`` of a whole-valued numerator, as a person writes it.

    Roundings nest into one (``floor((floor(L/m) + t)/s) = floor((L + m t)/(m s))``,
    ``ceiling`` likewise), and of ``floor(L/m) + plus`` and its equal
    ``ceiling((L - m + 1)/m) + plus`` the shorter is kept, the whole part of the
    constant outside the rounding. The symbols must be declared whole
    (``integer=True``); a numerator of another shape is left as ``floor``.

    >>> from sympy import Symbol
    >>> H = Symbol("H", integer=True, positive=True)
    >>> half = whole_floor_div(H + 6 - 7, 2, 1)   # a 7x7 convolution, stride 2, padding 3
    >>> half
    ceiling(H/2)
    >>> whole_floor_div(half + 2 - 3, 2, 1)        # then a 3x3 pool, stride 2, padding 1
    ceiling(H/4)
    >>> whole_floor_div(H - 2, 2, 1)               # a 2x2 pool
    floor(H/2)
    """
    if _numbers(numerator, denominator):
        return numerator // denominator + plus
    form = _as_floor(numerator) if _numbers(denominator) else None
    if form is None:
        return floor(numerator / denominator) + plus
    whole, m = form
    m *= denominator
    constant, rest = (Integer(0) + whole).as_coeff_Add()
    if not constant.is_Integer:
        constant, rest = Integer(0), whole
    # The whole part of the constant goes outside the rounding: floor((L + b)/m) with
    # 0 <= b < m, ceiling((L + b)/m) with -m < b <= 0, whichever reads shorter.
    low = int(constant) % m
    down = floor((rest + low) / m) + plus + (int(constant) - low) // m
    high = int(constant) - m + 1
    rounded_up = -((-high) % m)
    up = ceiling((rest + rounded_up) / m) + plus + (high - rounded_up) // m
    return min((down, up), key=lambda form: (count_ops(form), len(str(form))))


def span(kernel: Size, dilation: Size = 1) -> Size:
    """How many input positions one window covers: ``d(K - 1) + 1``.

    >>> span(3), span(3, 2)
    (3, 5)
    """
    return dilation * (kernel - 1) + 1


def conv_output_size(
    size: Size,
    kernel: Size,
    *,
    stride: Size = 1,
    padding: tuple[Size, Size] = (0, 0),
    dilation: Size = 1,
    whole: bool = False,
) -> Size:
    """Outputs of a convolution (or pooling without ``ceil_mode``) on one axis.

    ``floor((W + before + after - d(K - 1) - 1)/s) + 1``; ``padding`` is the
    ``(before, after)`` pair. ``whole=True`` declares the symbols whole numbers,
    so that nested roundings fold (see :func:`whole_floor_div`).

    >>> conv_output_size(256, 5, stride=2)
    126
    """
    before, after = padding
    if whole:
        return whole_floor_div(size + before + after - span(kernel, dilation), stride, 1)
    return _floor_div(size + before + after - span(kernel, dilation), stride) + 1


def same_output_size(size: Size, stride: Size = 1, *, whole: bool = False) -> Size:
    """Outputs of a ``"same"`` convolution: ``ceil(W / s)``.

    >>> same_output_size(9, 2)
    5
    """
    if whole:
        return whole_floor_div(size + stride - 1, stride)
    return _ceil_div(size, stride)


def same_padding(size: Size, kernel: Size, stride: Size = 1, dilation: Size = 1) -> Size:
    """Total padding that keeps ``ceil(W / s)`` outputs (TensorFlow's and PyTorch's rule).

    ``max((ceil(W/s) - 1) s + d(K - 1) + 1 - W, 0)``.

    >>> same_padding(9, 3), same_padding(9, 4), same_padding(9, 3, stride=2)
    (2, 3, 2)
    """
    total = (same_output_size(size, stride) - 1) * stride + span(kernel, dilation) - size
    return max(total, 0) if _numbers(total) else Max(total, 0)


def named_padding(
    rule: str,
    size: int,
    kernel: int,
    stride: int = 1,
    dilation: int = 1,
    *,
    flip: bool = False,
) -> tuple[int, int]:
    """``(before, after)`` of a named padding: ``"valid"``, ``"same"`` or ``"full"``.

    ``"full"`` pads ``d(K - 1)`` on each side. ``"same"`` splits
    :func:`same_padding`; an odd zero goes after for cross-correlation
    (TensorFlow, PyTorch) and before for true convolution (``flip=True``, as
    ``numpy.convolve`` and ``scipy.signal.convolve``).

    >>> named_padding("same", 9, 4), named_padding("same", 9, 4, flip=True)
    ((1, 2), (2, 1))
    """
    if rule == "valid":
        return (0, 0)
    if rule == "full":
        side = span(kernel, dilation) - 1
        return (side, side)
    if rule != "same":
        raise ValueError(f"unknown padding name {rule!r}; allowed: {PADDING_NAMES}")
    total = same_padding(size, kernel, stride, dilation)
    small, large = total // 2, total - total // 2
    return (large, small) if flip else (small, large)


def transpose_output_size(
    size: Size,
    kernel: Size,
    *,
    stride: Size = 1,
    padding: Size = 0,
    dilation: Size = 1,
    output_padding: Size = 0,
) -> Size:
    """Outputs of a transposed convolution: ``(W - 1)s - 2p + d(K - 1) + a + 1``.

    >>> transpose_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    """
    return (size - 1) * stride - 2 * padding + span(kernel, dilation) + output_padding


def pool_output_size(
    size: Size,
    kernel: Size,
    *,
    stride: Size,
    padding: Size = 0,
    dilation: Size = 1,
    ceil_mode: bool = False,
    whole: bool = False,
) -> Size:
    """PyTorch's pooling output length on one axis.

    Without ``ceil_mode`` it is a convolution's; with it the division rounds up,
    but a last window that would start in the right padding is dropped. A
    symbolic size with ``ceil_mode`` needs a window no later window can start in
    the padding of (stride at most span minus padding, as every published
    network's pooling has), and ``whole=True``.

    >>> pool_output_size(5, 2, stride=2), pool_output_size(5, 2, stride=2, ceil_mode=True)
    (2, 3)
    """
    if not ceil_mode:
        return conv_output_size(
            size, kernel, stride=stride, padding=(padding, padding), dilation=dilation, whole=whole
        )
    if not _numbers(size, kernel, stride, padding, dilation):
        if not (whole and ceil_mode_keeps_last(kernel, stride, padding, dilation)):
            raise ValueError("ceil_mode needs whole numbers, not symbols")
        return whole_floor_div(size + 2 * padding - span(kernel, dilation) + stride - 1, stride, 1)
    count = _ceil_div(size + 2 * padding - span(kernel, dilation), stride) + 1
    if (count - 1) * stride >= size + padding:
        count -= 1
    return count


def adaptive_windows(size: Size, out: int) -> tuple[Size, Size, Size]:
    """PyTorch's adaptive pooling of ``size`` inputs into ``out`` outputs on one axis:
    the first window's width, the widest window's, and the step between windows.

    Output ``i`` pools inputs ``floor(i L / o)`` up to ``ceil((i + 1) L / o)``
    (exclusive), so the windows are not all one width; with a symbolic size each
    width is a formula and the widest their ``Max``.

    >>> adaptive_windows(10, 7)
    (2, 3, 10/7)
    >>> adaptive_windows(14, 7)
    (2, 2, 2)
    """
    if _numbers(size, out):
        widest = max(-(-(i + 1) * size // out) - i * size // out for i in range(out))
        return -(-size // out), widest, _exact(Rational(size, out))
    widths = (
        whole_floor_div((i + 1) * size + out - 1, out) - whole_floor_div(i * size, out)
        for i in range(out)
    )
    return whole_floor_div(size + out - 1, out), Max(*widths), size / Integer(out)


def upsample_output_size(size: Size, scale: int | float) -> Size:
    """PyTorch's upsampled length ``floor(n * scale)``, computed as PyTorch does.

    With a whole size the float product is rounded down as PyTorch rounds it;
    with a symbolic size the formula is exact only for a short binary fraction
    (2, 0.5, 1.5, 2.5), whose float is the number itself.

    >>> from sympy import Symbol
    >>> H = Symbol("H", integer=True, positive=True)
    >>> upsample_output_size(7, 1.5), upsample_output_size(H, 1.5), upsample_output_size(H, 2)
    (10, floor(3*H/2), 2*H)

    Raises:
        ValueError: A symbolic size and a scale whose product PyTorch rounds.
    """
    if not isinstance(scale, float):
        return size * scale
    if _numbers(size):
        return math.floor(size * scale)
    exact = Rational(scale)  # the float's own binary value
    if exact.q > 2**16:
        raise ValueError(
            f"scale_factor {scale!r} is no short binary fraction, so PyTorch's size "
            f"floor(n * {scale!r}) depends on floating-point rounding: give the input size "
            "as numbers, or a scale such as 2, 0.5 or 1.5"
        )
    return whole_floor_div(size * exact.p, exact.q)


def ceil_mode_keeps_last(kernel: Size, stride: Size, padding: Size, dilation: Size = 1) -> bool:
    """Whether ``ceil_mode`` keeps every window at every input size.

    The last window, rounded up, starts at most ``s - 1`` positions past the
    last full one, so it starts inside the input (or the left padding) when
    ``s <= d(K - 1) + 1 - p``; only then is the rounded-up formula exact for a
    symbolic size.

    >>> ceil_mode_keeps_last(3, 2, 0), ceil_mode_keeps_last(2, 2, 1)
    (True, False)
    """
    if not _numbers(kernel, stride, padding, dilation):
        return False
    return bool(stride <= span(kernel, dilation) - padding)


def conv_taps(
    position: int,
    size: int,
    kernel: int,
    *,
    stride: int = 1,
    before: int = 0,
    dilation: int = 1,
    circular: bool = False,
) -> tuple[tuple[int, int], ...]:
    """``(tap, input index)`` of the taps of output ``position`` that meet the input.

    Taps in zero padding are left out; with ``circular`` every tap wraps around
    the input. The taps inside the input are found arithmetically: O(taps met).

    >>> conv_taps(0, 9, 3, before=1)
    ((1, 0), (2, 1))
    >>> conv_taps(0, 9, 3, before=1, circular=True)
    ((0, 8), (1, 0), (2, 1))
    """
    start = position * stride - before
    if circular:
        return tuple((tap, (start + tap * dilation) % size) for tap in range(kernel))
    # Taps inside the input: first >= -start/d, last <= (W - 1 - start)/d.
    first = max(0, _ceil_div(-start, dilation))
    last = min(kernel - 1, _floor_div(size - 1 - start, dilation))
    return tuple((tap, start + tap * dilation) for tap in range(first, last + 1))


def conv_interior(
    count: int, size: int, kernel: int, *, stride: int = 1, before: int = 0, dilation: int = 1
) -> range:
    """The output positions (of ``count``) whose whole window lies inside the input.

    Their windows meet neither padding nor a wrap, so each is the previous one
    shifted by ``stride``: bulk builders derive them from one window.

    >>> conv_interior(9, 9, 3, before=1)
    range(1, 8)
    >>> conv_interior(4, 4, 3, stride=2, before=2)
    range(1, 2)
    """
    first = -(-before // stride)
    last = (size - 1 + before - (kernel - 1) * dilation) // stride
    return range(max(first, 0), max(min(last + 1, count), first, 0))


def tap_input(
    position: Size, tap: Size, *, stride: Size = 1, before: Size = 0, dilation: Size = 1
) -> Size:
    """The input position (0-based) that tap ``tap`` of output ``position`` meets.

    ``o*s + j*d - before``; outside ``0 .. W - 1`` it lies in the padding. The
    general formula of an output element and of a kernel gradient index with it.

    >>> tap_input(2, 1, stride=2, before=1)
    4
    >>> from sympy import symbols
    >>> o, j, s, d, p = symbols("o j s d p")
    >>> tap_input(o, j, stride=s, before=p, dilation=d)
    d*j + o*s - p
    """
    return _exact(Integer(0) + position * stride + tap * dilation - before)


def tap_output(
    index: Size, tap: Size, *, stride: Size = 1, before: Size = 0, dilation: Size = 1
) -> Size:
    """The output position whose tap ``tap`` meets input ``index``: ``(i + before - j*d)/s``.

    The inverse of :func:`tap_input`: a whole number in ``0 .. outputs - 1`` when
    that output exists, a fraction when the stride skips ``index`` for this tap.
    The general formula of an input gradient with it.

    >>> tap_output(4, 1, stride=2, before=1), tap_output(3, 1, stride=2, before=1)
    (2, 3/2)
    """
    return _exact((Integer(0) + index + before - tap * dilation) / stride)


def transpose_taps(
    position: int,
    size: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> tuple[tuple[int, int], ...]:
    """``(tap, input index)`` of the inputs a transposed convolution spreads onto ``position``.

    Input ``i`` reaches output ``i*s + j*d - p`` through tap ``j``.

    >>> transpose_taps(1, 5, 3)
    ((0, 1), (1, 0))
    >>> transpose_taps(2, 3, 2, stride=2)
    ((0, 1),)
    """
    taps = []
    for tap in range(kernel):
        reach = position + padding - tap * dilation
        if reach % stride == 0 and 0 <= reach // stride < size:
            taps.append((tap, reach // stride))
    return tuple(taps)


def _half(value: Size) -> Size:
    return Rational(1, 2) * value


def _exact(value: Any) -> Any:
    """Whole numbers as ``int``; fractions and expressions as SymPy objects."""
    if isinstance(value, Expr) and value.is_Integer:
        return int(value)
    return value


def field_after_conv(
    field: Field, kernel: Size, *, stride: Size = 1, before: Size = 0, dilation: Size = 1
) -> Field:
    """Receptive field after a convolution or pooling, from the field of its input.

    ``field`` is ``(size, jump, start)``: how many input positions one output
    sees, the distance in input positions between neighbouring outputs, and the
    centre of the first output's field (input positions from 0). The window of
    output 0 covers layer inputs ``-before .. -before + d(K - 1)``, so::

        size' = size + d(K - 1) jump,  jump' = jump s,
        start' = start + (d(K - 1)/2 - before) jump

    >>> field_after_conv((1, 1, 0), 3, before=1)
    (3, 1, 0)
    """
    size, jump, start = field
    reach = span(kernel, dilation) - 1
    return (
        _exact(size + reach * jump),
        _exact(jump * stride),
        _exact(start + (_half(reach) - before) * jump),
    )


def field_union(fields: list[Field]) -> Field:
    """The receptive field of outputs that add or join the outputs of several paths.

    Each field covers ``start - (size - 1)/2 .. start + (size - 1)/2``; the joined
    outputs see the union of them, so the joined field spans from the lowest
    first position to the highest last one. The jump is the first path's (paths
    that join have the same output grid).

    >>> field_union([(3, 1, 0), (1, 1, 0)])
    (3, 1, 0)
    >>> field_union([(3, 1, 2), (3, 1, 0)])
    (5, 1, 1)
    """
    if len(fields) == 1 or any(field[1] is None for field in fields):
        return max(fields, key=lambda field: field[0] if _numbers(field[0]) else 0)
    lows = [start - _half(size - 1) for size, _, start in fields]
    highs = [start + _half(size - 1) for size, _, start in fields]
    if all(isinstance(v, int | Rational) for v in [*lows, *highs]):
        low, high = min(lows), max(highs)
    else:
        low, high = Min(*lows), Max(*highs)
    return (_exact(high - low + 1), fields[0][1], _exact(_half(low + high)))


def field_after_transpose(
    field: Field, kernel: Size, *, stride: Size = 1, padding: Size = 0, dilation: Size = 1
) -> Field:
    """Receptive field after a transposed convolution.

    Output 0 is reached by input ``(p - j d)/s`` through every tap ``j`` for
    which that is whole; the first output's field is centred between the first
    and the last of them, one output sees at most ``ceil((d(K - 1) + 1)/s)``
    inputs, and neighbouring outputs are ``1/s`` inputs apart.

    >>> field_after_transpose((1, 1, 0), 3)
    (3, 1, -1)
    >>> field_after_transpose((1, 1, 0), 4, padding=1)
    (4, 1, -1/2)
    """
    size, jump, start = field
    covered = _ceil_div(span(kernel, dilation), stride)
    if _numbers(kernel, stride, padding, dilation):
        reaching = [j for j in range(kernel) if (padding - j * dilation) % stride == 0]
    else:
        reaching = []
    if reaching:
        centre: Any = Rational(2 * padding - (reaching[0] + reaching[-1]) * dilation, 2 * stride)
    else:  # symbolic, or no input reaches output 0: the window's centre
        centre = (padding - _half(span(kernel, dilation) - 1)) / Integer(stride)
    return (
        _exact(size + (covered - 1) * jump),
        _exact(jump / Integer(stride) if _numbers(stride) else jump / stride),
        _exact(start + centre * jump),
    )
