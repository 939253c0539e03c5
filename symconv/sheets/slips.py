r"""The classic misconceptions: each a named rule whose wrong value the engine computes.

A slip is the formula a student used in place of the right one: ``ceil`` for
``floor`` in an output size, the ``+ 1`` left out, ``p`` for ``2p``, the
kernel for the dilated window, a convolution's size for a transposed one's, a
bias the layer has not, channels last. Each rule here builds that wrong formula
from the geometry core (the right one with one thing changed) and evaluates it
for a question's own numbers, so a slip's value is derived, never guessed. The
kinds attach the values to their answers (``Answer.slips``); what marking tells
the student about each is in :data:`symconv.answers.feedback.SLIP_HINTS`.

A slip is kept only where its value differs from the right answer (with no
padding, ``p`` for ``2p`` is no mistake), and a size that the wrong formula
makes zero or negative is not one a student would write.

>>> from symconv.layers.spec import ConvSpec
>>> spec = ConvSpec.build(10, 3, stride=2, padding=1, dilation=2)
>>> spec.output_size
(4,)
>>> differing(spec.output_size, conv_shape_slips(spec))
(('ceil_for_floor', (5,)), ('missing_plus_one', (3,)), ('dilation_ignored', (5,)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sympy import Expr, Integer, Symbol, ceiling, floor

from symconv.layers.formulas import output_size
from symconv.layers.geometry import transpose_output_size
from symconv.layers.spec import ChannelLayout, ConvSpec

__all__ = [
    "CHANNELS_LAST",
    "Slips",
    "channels_last",
    "conv_shape_slips",
    "differing",
    "macs_slips",
    "pool_shape_slips",
    "size_formula_slips",
    "transpose_shape_slips",
]

#: Known wrong values by the name of the slip that gives them.
Slips = tuple[tuple[str, Any], ...]

#: The slip of a shape written ``H x W x C`` where PyTorch's order is ``C x H x W``.
CHANNELS_LAST = "channels_last"

_W, _K, _S, _D = (Symbol(n, integer=True, positive=True) for n in ("W", "K", "s", "d"))
_P, _A = (Symbol(n, integer=True, nonnegative=True) for n in ("p", "a"))


def size_formula_slips(
    W: Any, K: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1
) -> dict[str, Any]:
    """The classic wrong output-size formulas of a convolution, by slip name.

    ``padding`` is an amount per side or a ``(before, after)`` pair; symbols give
    the general formula's slips.

    >>> from sympy import symbols
    >>> W, K, s, p = symbols("W K s p", integer=True, positive=True)
    >>> size_formula_slips(W, K, stride=s, padding=p)["padding_one_side"]
    floor((-K + W + p)/s) + 1
    """
    right = output_size(W, K, stride=stride, padding=padding, dilation=dilation)
    one_side = padding[0] if isinstance(padding, tuple) else padding
    return {
        "ceil_for_floor": _as_ceiling(right),
        "missing_plus_one": right - 1,
        "padding_one_side": output_size(
            W, K, stride=stride, padding=(one_side, 0), dilation=dilation
        ),
        "dilation_ignored": output_size(W, K, stride=stride, padding=padding),
    }


def _as_ceiling(expr: Any) -> Any:
    return expr.replace(floor, ceiling) if isinstance(expr, Expr) else expr


def _transpose_formula_slips() -> dict[str, Expr]:
    right = transpose_output_size(_W, _K, stride=_S, padding=_P, dilation=_D, output_padding=_A)
    return {
        "transpose_as_convolution": output_size(_W, _K, stride=_S, padding=_P, dilation=_D),
        "missing_plus_one": right - 1,
        # (W - 1)s - p + d(K - 1) + a + 1: one side of the padding taken off
        "padding_one_side": right + _P,
        "dilation_ignored": transpose_output_size(_W, _K, stride=_S, padding=_P, output_padding=_A),
        "output_padding_left_out": right - _A,
    }


def _pool_formula_slips(ceil_mode: bool) -> dict[str, Expr]:
    plain = output_size(_W, _K, stride=_S, padding=_P)  # PyTorch's size without ceil_mode
    rounded = _as_ceiling(plain) if ceil_mode else plain
    return {
        ("floor_for_ceil" if ceil_mode else "ceil_for_floor"): (
            plain if ceil_mode else _as_ceiling(plain)
        ),
        "missing_plus_one": rounded - 1,
        "padding_one_side": (
            _as_ceiling(output_size(_W, _K, stride=_S, padding=(_P, 0)))
            if ceil_mode
            else output_size(_W, _K, stride=_S, padding=(_P, 0))
        ),
    }


def _evaluated(
    formulas: Mapping[str, Any], axes: Iterable[Mapping[Symbol, int] | None]
) -> dict[str, tuple[int, ...]]:
    """Each slip's formula evaluated axis by axis; a slip that cannot apply on an axis
    (``None``) or gives a size under 1 is left out."""
    points = list(axes)
    found: dict[str, tuple[int, ...]] = {}
    for name, formula in formulas.items():
        sizes = []
        for point in points:
            if point is None:
                break
            value = formula.xreplace({s: Integer(v) for s, v in point.items()})
            if not value.is_Integer or value < 1:
                break
            sizes.append(int(value))
        else:
            found[name] = tuple(sizes)
    return found


def _with_channels(spec: ChannelLayout, spatial: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    return {
        name: (spec.c_out, *sizes) if spec.has_channels else sizes
        for name, sizes in spatial.items()
    }


def conv_shape_slips(
    spec: ConvSpec, shape: Callable[[tuple[int, ...]], Any] | None = None
) -> Slips:
    """The output shapes a convolution's size slips give (channels first, as the right one).

    ``shape`` turns the spatial output sizes into the answer's value (a 1-D size as
    a number, a matrix's rows...); by default the output shape itself.
    """
    formulas = size_formula_slips(_W, _K, stride=_S, padding=(_P, _A), dilation=_D)
    axes = [
        {_W: w, _K: k, _S: s, _P: before, _A: after, _D: d}
        for w, k, s, (before, after), d in zip(
            spec.input_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
            strict=True,
        )
    ]  # fmt: skip
    return _shaped(spec, _evaluated(formulas, axes), shape)


def _shaped(
    spec: ChannelLayout,
    spatial: dict[str, tuple[int, ...]],
    shape: Callable[[tuple[int, ...]], Any] | None,
) -> Slips:
    if shape is not None:
        return tuple((name, shape(sizes)) for name, sizes in spatial.items())
    return tuple(_with_channels(spec, spatial).items())


def transpose_shape_slips(
    spec: Any, shape: Callable[[tuple[int, ...]], Any] | None = None
) -> Slips:
    """The output shapes a transposed convolution's size slips give."""
    axes = [
        {_W: w, _K: k, _S: s, _P: p, _D: d, _A: a}
        for w, k, s, p, d, a in zip(
            spec.input_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
            spec.output_padding, strict=True,
        )
    ]  # fmt: skip
    return _shaped(spec, _evaluated(_transpose_formula_slips(), axes), shape)


def pool_shape_slips(spec: Any, shape: Callable[[tuple[int, ...]], Any] | None = None) -> Slips:
    """The output shapes a pooling layer's size slips give."""
    axes = [
        {_W: w, _K: k, _S: s, _P: p} if d == 1 else None
        for w, k, s, p, d in zip(
            spec.input_size, spec.kernel_size, spec.stride, spec.padding, spec.dilation, strict=True
        )
    ]
    return _shaped(spec, _evaluated(_pool_formula_slips(spec.ceil_mode), axes), shape)


def channels_last(shape: tuple[int, ...]) -> Slips:
    """A channels-first shape written channels last (``H x W x C`` for ``C x H x W``).

    >>> channels_last((32, 126, 126))
    (('channels_last', (126, 126, 32)),)
    """
    if len(shape) < 2:
        return ()
    return ((CHANNELS_LAST, (*shape[1:], shape[0])),)


def macs_slips(macs: Any, weights: Any) -> Slips:
    """MACs answered with the weights, or with the FLOPs (twice the MACs).

    >>> macs_slips(36, 6)
    (('weights_for_macs', 6), ('flops_for_macs', 72))
    """
    return (("weights_for_macs", weights), ("flops_for_macs", 2 * macs))


def differing(right: Any, *slips: Slips) -> Slips:
    """The slips whose value differs from the right one, each name once, in order."""
    kept: dict[str, Any] = {}
    for name, wrong in (slip for group in slips for slip in group):
        if name not in kept and wrong is not None and not _same(wrong, right):
            kept[name] = wrong
    return tuple(kept.items())


def _same(wrong: Any, right: Any) -> bool:
    try:
        return bool(wrong == right)
    except (TypeError, ValueError):
        return False
