"""Output dimension, first and last element, and (``element = N``) any element of a convolution."""

from __future__ import annotations

from typing import Any

from symconv.errors import SymconvError
from symconv.layers.conv import Conv
from symconv.present.display import latex_shape, sum_latex
from symconv.present.figures import window_figure
from symconv.sheets.kinds.base import (
    CONV_DEFAULTS,
    Derived,
    Kind,
    answer,
    common,
    conv_from,
    flag,
    shape_value,
    size_working,
)
from symconv.sheets.slips import channels_last, conv_shape_slips


def _name(index: tuple[int, ...]) -> str:
    return "y_{" + ",".join(str(i + 1) for i in index) + "}"


def chosen_element(value: Any, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """``element = N`` (1-based, as printed) or ``[i, j]``: the 0-based output index."""
    if value is None:
        return None
    values = [value] if isinstance(value, int) else list(value) if isinstance(value, tuple) else []
    if not values or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise SymconvError(
            f"key 'element' must be a whole number (1-based, as printed: y_N) or one per "
            f"axis such as [2, 2], got {value!r}"
        )
    if len(values) != len(shape):
        raise SymconvError(
            f"key 'element' must give {len(shape)} number{'s' if len(shape) > 1 else ''} "
            f"(one per output axis), got {value!r}"
        )
    for axis, (v, n) in enumerate(zip(values, shape, strict=True)):
        if not 1 <= v <= n:
            where = f" on axis {axis + 1}" if len(shape) > 1 else ""
            raise SymconvError(f"key 'element' must be from 1 to {n}{where}, got {v}")
    return tuple(v - 1 for v in values)


#: What ``figure`` may say besides true and false: frames of the window's animation.
FRAMES = {"first-last": (0, -1), "first": (0,), "last": (-1,)}


def figure_of(params: dict[str, Any], conv: Conv) -> Any:
    """The window figure a problem asked for with ``figure = true``, else ``None``."""
    if isinstance(params["figure"], str):  # frames of the animation: see stills_of
        return None
    return window_figure(conv) if flag(params, "figure") else None


def stills_of(params: dict[str, Any], conv: Conv) -> Any:
    """Frames of the sliding window's animation a problem asked for with ``figure =
    "first-last"`` (or ``"first"``, ``"last"``), each labelled cell by cell, else ``None``."""
    which = params["figure"]
    if not isinstance(which, str):
        return None
    if which not in FRAMES:
        raise SymconvError(
            "key 'figure' must be true, false, or the animation's frames: "
            f"{', '.join(repr(name) for name in FRAMES)}; got {which!r}"
        )
    from symconv.present.animation import key_frames

    return key_frames(conv, FRAMES[which])


def derive(params: dict[str, Any]) -> Derived:
    conv = conv_from(params)
    last = tuple(n - 1 for n in conv.output_shape)
    chosen = chosen_element(params["element"], conv.output_shape)
    first_expr = conv.output_element((0,) * len(last))
    last_expr = conv.output_element(last)
    values = {
        **common(conv),
        "question": params["question"],
        "figure": figure_of(params, conv),
        "stills": stills_of(params, conv),
        "size": latex_shape(conv.output_shape),
        "size_working": size_working(conv.spec),
        "first_name": _name((0,) * len(last)),
        "last_name": _name(last),
        "element_name": _name(chosen) if chosen is not None else None,
    }
    flipped = conv_from(params, flip=not conv.spec.flip)
    flip_slip = "kernel_not_flipped" if conv.spec.flip else "kernel_flipped"
    size_slips = conv_shape_slips(
        conv.spec,
        lambda sizes: shape_value((conv.spec.c_out, *sizes) if conv.spec.has_channels else sizes),
    )
    if conv.spec.has_channels:
        size_slips += channels_last(conv.output_shape)
    answers = [
        answer("size", "output dimension", shape_value(conv.output_shape),
               latex_shape(conv.output_shape), slips=size_slips),
        answer("first", "first element", first_expr, sum_latex(first_expr),
               slips=((flip_slip, flipped.output_element((0,) * len(last))),)),
        answer("last", "last element", last_expr, sum_latex(last_expr),
               slips=((flip_slip, flipped.output_element(last)),)),
    ]  # fmt: skip
    if chosen is not None:
        expr = conv.output_element(chosen)
        answers.append(answer("element", f"element {_name(chosen)}", expr, sum_latex(expr),
                              slips=((flip_slip, flipped.output_element(chosen)),)))  # fmt: skip
    return Derived(values, tuple(answers))


KIND = Kind(
    "elements",
    "output dimension, first and last element (element = N asks for one more)",
    {**CONV_DEFAULTS, "element": None},
    ("input", "kernel"),
    derive,
    3.5,
)
