"""The explorer's options, checked, and the layer they describe: what the widget of
:mod:`symconv.present.explorer_widget` and :func:`symconv.present.explorer.explore`
share, without ipywidgets.

>>> options = ExplorerOptions.from_arguments(9, 3, stride=2, padding=1)
>>> build_layer(options)
Conv(9, 3, stride=2, padding=1)
>>> build_layer(ExplorerOptions.from_arguments((4, 4), 3, transposed=True, stride=2))
ConvTranspose((4, 4), 3, stride=2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symconv.errors import SpecError, SymconvError
from symconv.layers.conv import Conv
from symconv.layers.spec import PADDING_NAMES
from symconv.layers.transpose import ConvTranspose
from symconv.layers.validators import as_int, choice, flag, per_axis, plain, spatial_sizes

__all__ = ["NEEDS_WIDGETS", "ExplorerOptions", "NotebookExtraMissing", "build_layer"]

#: What :func:`~symconv.present.explorer.explore` says when ipywidgets is not installed.
NEEDS_WIDGETS = "symconv.explore needs ipywidgets: pip install symconv[notebook]"


class NotebookExtraMissing(SymconvError, ImportError):
    """The explorer needs ipywidgets, the optional extra ``symconv[notebook]``."""


@dataclass(frozen=True)
class ExplorerOptions:
    """The explorer's settings: one value per control.

    The explorer draws 1-D and 2-D layers with one stride, padding and dilation
    for every axis; the input and the kernel may have a height and a width.
    ``output`` is the selected output: its row of the matrix (0-based, row-major).
    """

    input_size: tuple[int, ...] = (9,)
    kernel_size: tuple[int, ...] = (3,)
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    output_padding: int = 0
    in_channels: int | None = None
    out_channels: int | None = None
    groups: int = 1
    padding_mode: str = "zeros"
    shared: bool = True
    flip: bool = False
    bias: bool = False
    transposed: bool = False
    output: int = 0

    @property
    def ndim(self) -> int:
        return len(self.input_size)

    @classmethod
    def from_arguments(
        cls,
        input_size: object = 9,
        kernel_size: object = 3,
        *,
        stride: object = 1,
        padding: object = 0,
        dilation: object = 1,
        output_padding: object = 0,
        in_channels: object = None,
        out_channels: object = None,
        groups: object = 1,
        padding_mode: object = "zeros",
        shared: object = True,
        flip: object = False,
        bias: object = False,
        transposed: object = False,
        output: object = 0,
    ) -> ExplorerOptions:
        """The arguments of :class:`~symconv.Conv` (and ``output_padding``, ``transposed``,
        ``output``) as explorer settings.

        Each value is checked by the validators the layers use; whether they make
        a layer together is left to the layer, whose message the explorer shows.

        Raises:
            SymconvError: A value the explorer has no control for (3-D input, a
                stride or padding that differs between axes); the message names it.
        """
        sizes = spatial_sizes(input_size)
        if len(sizes) > 2:
            raise SpecError(
                f"explore draws 1-D and 2-D layers; input_size {sizes} has {len(sizes)} axes"
            )
        ndim = len(sizes)
        channels = plain(in_channels), plain(out_channels)
        if (channels[0] is None) != (channels[1] is None):
            raise SpecError("give both in_channels and out_channels, or neither")
        return cls(
            input_size=sizes,
            kernel_size=per_axis("kernel_size", kernel_size, ndim, 1),
            stride=_one_per_axis("stride", stride, ndim, 1),
            padding=_padding(padding, ndim),
            dilation=_one_per_axis("dilation", dilation, ndim, 1),
            output_padding=_one_per_axis("output_padding", output_padding, ndim, 0),
            in_channels=None if channels[0] is None else as_int("in_channels", channels[0], 1),
            out_channels=None if channels[1] is None else as_int("out_channels", channels[1], 1),
            groups=as_int("groups", groups, 1),
            padding_mode=choice("padding_mode", padding_mode, ("zeros", "circular")),
            shared=flag("shared", shared),
            flip=flag("flip", flip),
            bias=flag("bias", bias),
            transposed=flag("transposed", transposed),
            output=_output(output),
        )


def _one_per_axis(name: str, value: object, ndim: int, minimum: int) -> int:
    values = per_axis(name, value, ndim, minimum)
    if len(set(values)) > 1:
        raise SpecError(f"explore sets one {name} for every axis; got {values}")
    return values[0]


def _padding(padding: object, ndim: int) -> int | str:
    padding = plain(padding)
    if isinstance(padding, str):
        return choice("padding", padding.strip().lower(), PADDING_NAMES)
    return _one_per_axis("padding", padding, ndim, 0)


def _output(output: object) -> int:
    output = plain(output)
    if isinstance(output, bool) or not hasattr(output, "__index__"):
        raise SpecError(f"output is the row of the selected output (an int), got {output!r}")
    return int(output)  # negative counts from the last, as a list index


def build_layer(options: ExplorerOptions) -> Conv | ConvTranspose:
    """The layer the settings describe.

    Raises:
        SymconvError: The settings make no layer; the message is the layer's own.
    """
    size = options.input_size[0] if options.ndim == 1 else options.input_size
    kernel = options.kernel_size[0] if options.ndim == 1 else options.kernel_size
    common: dict[str, Any] = {
        "stride": options.stride,
        # A padding name is refused by ConvTranspose itself, in its own words.
        "padding": options.padding,
        "dilation": options.dilation,
        "in_channels": options.in_channels,
        "out_channels": options.out_channels,
        "groups": options.groups,
        "bias": options.bias,
    }
    if options.transposed:
        return ConvTranspose(size, kernel, output_padding=options.output_padding, **common)
    return Conv(
        size,
        kernel,
        padding_mode=options.padding_mode,
        shared=options.shared,
        flip=options.flip,
        **common,
    )
