"""What a layer is, as facts for words: the one description that sheets, figures and display share.

:func:`describe` reads a layer's spec into a :class:`LayerFacts`; the words
themselves are in ``templates/words/layer.tex.j2`` (``setting`` and ``caption``),
so a question, a figure caption and the terminal summary describe a layer the
same way.

>>> from symconv import Conv
>>> facts = describe(Conv(9, 3, padding="same").spec)
>>> facts.rule, facts.each_side, facts.stride, facts.dilated
('same', 1, 1, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["LayerFacts", "describe", "per_axis"]


def per_axis(values: tuple[Any, ...]) -> Any:
    """One value when every axis agrees, else the tuple: ``(2, 2) -> 2``, ``(1, 2) -> (1, 2)``."""
    return values[0] if len(set(values)) == 1 else tuple(values)


@dataclass(frozen=True)
class LayerFacts:
    """A convolution's settings, compacted the way a person says them.

    Attributes:
        flip: True convolution (kernel reversed) rather than cross-correlation.
        rule: The padding rule (``"same"``, ``"full"``, ``"valid"``) or ``None``.
        padding: ``(before, after)`` per spatial axis.
        each_side: The amount when every side is padded alike, else ``None``.
        circular: Circular padding (wraps around).
        kernel, stride, dilation: One value, or one per axis when they differ.
        dilated: Some dilation is not 1.
        channels: ``(C_in, C_out)``, or ``None`` without channel axes.
        groups: PyTorch's ``groups`` (1: every filter reads every input channel).
        ndim: Spatial axes.
        bias: A bias is added to every output (one per output channel).
    """

    flip: bool
    rule: str | None
    padding: tuple[tuple[int, int], ...]
    each_side: int | None
    circular: bool
    kernel: Any
    stride: Any
    dilation: Any
    dilated: bool
    channels: tuple[int, int] | None
    ndim: int
    groups: int = 1
    bias: bool = False

    @property
    def strided(self) -> bool:
        """Some stride is above 1 (then "same" padding is not ``d(K - 1)/2`` a side)."""
        strides = self.stride if isinstance(self.stride, tuple) else (self.stride,)
        return any(s != 1 for s in strides)

    @property
    def padded(self) -> bool:
        return any(any(pair) for pair in self.padding)


def describe(spec: Any) -> LayerFacts:
    """The facts of a convolution spec (``Conv(...).spec``) for the words templates."""
    sides = {side for pair in spec.padding for side in pair}
    return LayerFacts(
        flip=bool(spec.flip),
        rule=spec.padding_rule,
        padding=tuple(spec.padding),
        each_side=next(iter(sides)) if len(sides) == 1 else None,
        circular=spec.padding_mode == "circular",
        kernel=per_axis(spec.kernel_size),
        stride=per_axis(spec.stride),
        dilation=per_axis(spec.dilation),
        dilated=set(spec.dilation) != {1},
        channels=(spec.c_in, spec.c_out) if spec.has_channels else None,
        ndim=spec.ndim,
        groups=spec.groups,
        bias=bool(spec.bias),
    )
