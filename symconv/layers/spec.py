"""The validated, frozen description of a convolution.

:class:`ConvSpec` turns the arguments users give :class:`symconv.Conv` into
per-axis tuples, resolves named padding (``"valid"``, ``"same"``, ``"full"``)
into ``(before, after)`` pairs and rejects anything that is not a convolution,
with a message that names the parameter, the value and what is allowed.

>>> spec = ConvSpec.build(9, 3, padding="same")
>>> spec.padding, spec.output_size
(((1, 1),), (9,))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from symconv.errors import SpecError
from symconv.layers.geometry import PADDING_NAMES, conv_output_size, named_padding, span
from symconv.layers.validators import (
    as_int,
    channel_counts,
    choice,
    flag,
    letters,
    per_axis,
    plain,
    spatial_sizes,
)

__all__ = [
    "PADDING_MODES",
    "PADDING_NAMES",
    "ChannelLayout",
    "ConvSpec",
    "PaddingArg",
    "SizeArg",
]

PADDING_MODES = ("zeros", "circular")

SizeArg = int | Sequence[int]
PaddingArg = int | str | Sequence[int | Sequence[int]]


def resolve_padding(
    padding: object,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    *,
    flip: bool,
) -> tuple[tuple[tuple[int, int], ...], str | None]:
    """``(before, after)`` per axis, and the padding's name when it was given by name."""
    ndim = len(sizes)
    padding = plain(padding)
    if isinstance(padding, str):
        rule = padding.strip().lower()
        if rule not in PADDING_NAMES:
            raise SpecError(
                "padding must be an int, a tuple, or one of "
                f"{', '.join(map(repr, PADDING_NAMES))}; "
                f"got {padding!r}",
                parameter="padding",
            )
        pairs = [
            named_padding(rule, sizes[axis], kernel[axis], stride[axis], dilation[axis], flip=flip)
            for axis in range(ndim)
        ]
        return tuple(pairs), rule
    if not isinstance(padding, Sequence):
        amount = as_int("padding", padding, 0)
        return ((amount, amount),) * ndim, None
    if len(padding) != ndim:
        hint = (
            " (for one axis with sides (before, after) write ((before, after),))"
            if ndim == 1
            else ""
        )
        raise SpecError(
            f"padding has {len(padding)} entries {tuple(padding)!r} but the input has "
            f"{ndim} spatial {'axis' if ndim == 1 else 'axes'}{hint}",
            parameter="padding",
        )
    resolved = []
    for axis, item in enumerate(padding):
        item = plain(item)
        if isinstance(item, Sequence) and not isinstance(item, str):
            if len(item) != 2:
                raise SpecError(
                    f"padding[{axis}] must be an int or a (before, after) pair, "
                    f"got {tuple(item)!r}",
                    parameter="padding",
                )
            resolved.append(
                (
                    as_int(f"padding[{axis}][0]", item[0], 0),
                    as_int(f"padding[{axis}][1]", item[1], 0),
                )
            )
        else:
            amount = as_int(f"padding[{axis}]", item, 0)
            resolved.append((amount, amount))
    return tuple(resolved), None


def channel_groups(groups: object, c_in: int | None, c_out: int | None) -> int:
    """PyTorch's ``groups``: at least 1, dividing both channel counts.

    >>> channel_groups(3, 3, 6)
    3
    >>> channel_groups(2, 3, 6)
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: groups must divide in_channels 3 and out_channels 6, got groups=2
    """
    count = as_int("groups", groups, 1)
    if count == 1:
        return count
    if c_in is None or c_out is None:
        raise SpecError(
            f"groups={count} needs channel axes: give in_channels and out_channels, "
            "both divisible by groups",
            parameter="groups",
        )
    if c_in % count or c_out % count:
        raise SpecError(
            f"groups must divide in_channels {c_in} and out_channels {c_out}, got groups={count}",
            parameter="groups",
        )
    return count


class ChannelLayout:
    """Shapes common to every layer spec: spatial sizes, optional channel axes.

    A subclass (a frozen dataclass) holds ``input_size``, ``kernel_size``,
    ``in_channels``, ``out_channels``, ``bias``, ``shared`` and the letters (and
    ``groups`` where channels can be grouped), and defines ``output_size``,
    ``filter_shape``, ``weight_shape`` and ``bias_shape``.
    """

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    in_channels: int | None
    out_channels: int | None
    bias: bool
    shared: bool
    input_letter: str
    kernel_letter: str
    bias_letter: str
    #: PyTorch's ``groups``: 1 unless a subclass holds its own.
    groups: int = 1

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return len(self.input_size)

    @property
    def has_channels(self) -> bool:
        """Whether the tensors carry channel axes (``in_channels``/``out_channels`` given)."""
        return self.in_channels is not None

    @property
    def c_in(self) -> int:
        """Input channels, 1 when there are no channel axes."""
        return self.in_channels or 1

    @property
    def c_out(self) -> int:
        """Output channels (filters), 1 when there are no channel axes."""
        return self.out_channels or 1

    @property
    def group_in_channels(self) -> int:
        """Input channels of one group (what one filter reads): ``C_in // groups``."""
        return self.c_in // self.groups

    @property
    def group_out_channels(self) -> int:
        """Output channels of one group: ``C_out // groups``."""
        return self.c_out // self.groups

    @property
    def kernel_count(self) -> int:
        """Taps of one filter on one input channel: the product of the kernel sizes."""
        return math.prod(self.kernel_size)

    @property
    def output_size(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def filter_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def weight_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def bias_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(C_in, *spatial)`` with channels, else the spatial sizes."""
        return (self.c_in, *self.input_size) if self.has_channels else self.input_size

    @property
    def output_shape(self) -> tuple[int, ...]:
        """``(C_out, *spatial_out)`` with channels, else the spatial output sizes."""
        return (self.c_out, *self.output_size) if self.has_channels else self.output_size


@dataclass(frozen=True)
class ConvSpec(ChannelLayout):
    """Every fact that defines a convolution, checked and resolved per axis.

    Build it with :meth:`build`, which validates; the fields are then plain
    tuples of ints. ``padding`` holds the resolved ``(before, after)`` pairs and
    ``padding_rule`` the name the user gave (``"same"``), or ``None``.
    """

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    padding_rule: str | None
    padding_mode: Literal["zeros", "circular"]
    in_channels: int | None
    out_channels: int | None
    shared: bool
    flip: bool
    bias: bool
    input_letter: str = "x"
    kernel_letter: str = "k"
    bias_letter: str = "b"
    groups: int = 1

    @classmethod
    def build(
        cls,
        input_size: object,
        kernel_size: object,
        *,
        stride: object = 1,
        padding: object = 0,
        dilation: object = 1,
        in_channels: object = None,
        out_channels: object = None,
        padding_mode: object = "zeros",
        shared: object = True,
        flip: object = False,
        bias: object = False,
        input_letter: object = "x",
        kernel_letter: object = "k",
        bias_letter: object = "b",
        groups: object = 1,
    ) -> ConvSpec:
        """Validate the arguments of :class:`symconv.Conv` and resolve them per axis."""
        sizes = spatial_sizes(input_size)
        ndim = len(sizes)
        kernel = per_axis("kernel_size", kernel_size, ndim, 1)
        strides = per_axis("stride", stride, ndim, 1)
        dilations = per_axis("dilation", dilation, ndim, 1)
        flipped = flag("flip", flip)
        pads, rule = resolve_padding(padding, sizes, kernel, strides, dilations, flip=flipped)

        choice("padding_mode", padding_mode, PADDING_MODES)
        mode: Literal["zeros", "circular"] = "circular" if padding_mode == "circular" else "zeros"

        c_in, c_out = channel_counts(in_channels, out_channels)
        group_count = channel_groups(groups, c_in, c_out)

        described = f"padding={padding!r}" if rule else "padding"
        for axis in range(ndim):
            before, after = pads[axis]
            window = span(kernel[axis], dilations[axis])
            padded = sizes[axis] + before + after
            if window > padded:
                where = f" on axis {axis}" if ndim > 1 else ""
                dilated = (
                    f" (dilation {dilations[axis]} makes it span {window})"
                    if dilations[axis] > 1
                    else ""
                )
                raise SpecError(
                    f"kernel_size {kernel[axis]}{dilated} is larger than the padded input{where}: "
                    f"input_size {sizes[axis]} + padding {before}+{after} = {padded}; "
                    f"the kernel must fit, so use a kernel of at most {padded} positions "
                    "or more padding",
                    parameter="kernel_size",
                )
            if mode == "circular" and max(before, after) > sizes[axis]:
                raise SpecError(
                    f"{described} gives ({before}, {after}) on axis {axis}, but circular "
                    f"padding wraps the input at most once: each side may be at most "
                    f"input_size {sizes[axis]}",
                    parameter="padding",
                )

        return cls(
            input_size=sizes,
            kernel_size=kernel,
            stride=strides,
            dilation=dilations,
            padding=pads,
            padding_rule=rule,
            padding_mode=mode,
            in_channels=c_in,
            out_channels=c_out,
            shared=flag("shared", shared),
            flip=flipped,
            bias=flag("bias", bias),
            **letters(input_letter, kernel_letter, bias_letter),
            groups=group_count,
        )

    @cached_property
    def output_size(self) -> tuple[int, ...]:
        """Spatial output sizes: ``floor((W + before + after - d*(K-1) - 1)/s) + 1`` per axis."""
        return tuple(
            conv_output_size(w, k, stride=s, padding=pad, dilation=d)
            for w, k, s, d, pad in zip(
                self.input_size,
                self.kernel_size,
                self.stride,
                self.dilation,
                self.padding,
                strict=True,
            )
        )

    @property
    def filter_shape(self) -> tuple[int, ...]:
        """Shape of one filter: ``(C_in // groups, *kernel)`` with channels, else the kernel."""
        if not self.has_channels:
            return self.kernel_size
        return (self.group_in_channels, *self.kernel_size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape of all kernel weights: filters stacked, then per output position if unshared."""
        stacked = (self.c_out, *self.filter_shape) if self.has_channels else self.filter_shape
        return stacked if self.shared else (*self.output_size, *stacked)

    @property
    def bias_shape(self) -> tuple[int, ...]:
        """One bias per output channel, or per output element when weights are not shared."""
        if not self.bias:
            return (0,)
        return (self.c_out,) if self.shared else self.output_shape
