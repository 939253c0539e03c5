"""Input tensor and filter shapes of a layer on images."""

from __future__ import annotations

from typing import Any

from symconv.layers.conv import Conv
from symconv.present.display import latex_shape
from symconv.sheets.kinds.base import Derived, Kind, answer
from symconv.sheets.slips import channels_last

IMAGE_DEFAULTS: dict[str, Any] = {
    "question": None,
    "image": None,
    "channels": None,
    "kernel": None,
    "filters": None,
}


def image_conv(params: dict[str, Any], **overrides: Any) -> Conv:
    """The layer on ``image`` (a side, or ``[height, width]``) with ``channels`` channels."""
    image = params["image"]
    size = (image, image) if isinstance(image, int) else tuple(image)
    return Conv(
        size,
        params["kernel"],
        stride=params.get("stride", 1),
        padding=params.get("padding", 0),
        in_channels=params["channels"],
        out_channels=params.get("filters") or 1,
        **overrides,
    )


def derive(params: dict[str, Any]) -> Derived:
    conv = image_conv(params)
    values = {
        "question": params["question"],
        "height": conv.spec.input_size[0],
        "width": conv.spec.input_size[-1],
        "channels": conv.spec.c_in,
        "kernel": latex_shape(conv.spec.kernel_size),
        "filters": params.get("filters"),
    }
    answers = (
        answer("input_shape", "input tensor shape", conv.input_shape,
               latex_shape(conv.input_shape), slips=channels_last(conv.input_shape)),
        answer("filter_shape", "shape of one filter", conv.filter_shape,
               latex_shape(conv.filter_shape), slips=channels_last(conv.filter_shape)),
    )  # fmt: skip
    return Derived(values, answers)


KIND = Kind(
    "shapes",
    "input tensor and filter shapes",
    IMAGE_DEFAULTS,
    ("image", "channels", "kernel"),
    derive,
    3.0,
)
