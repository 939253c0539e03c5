"""An independent numeric convolution for the property tests (test_oracle, groups, cost,
im2col, gradients): the one copy of the contract's padding and size arithmetic.

Written from the public contract (API.md) and PyTorch's documented rules, it
knows nothing of symconv's internals: padding is resolved from the contract's
rules, the input is padded with ``numpy.pad`` (``"constant"`` or ``"wrap"``),
and the (dilated, strided, possibly flipped, possibly per-position) kernel of
each output channel slides over the input channels of its group. Gradients are
exact finite differences: the loss ``L = sum(g * y)`` is linear in each of
``x``, ``w`` and ``b``, so on integers ``L(v + e_i) - L(v)`` *is* ``dL/dv_i``.

:func:`specs` draws valid convolutions with hypothesis; :func:`substitute`
puts random integers into a symbolic result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from hypothesis import strategies as st

from symconv import Conv


def span(kernel: int, dilation: int) -> int:
    """Input positions one dilated window covers."""
    return dilation * (kernel - 1) + 1


def oracle_axis_padding(
    padding: Any, size: int, kernel: int, stride: int, dilation: int, flip: bool
) -> tuple[int, int]:
    """``(before, after)`` of one axis for an int, a pair or a padding name."""
    if padding == "valid":
        return (0, 0)
    if padding == "full":
        return (dilation * (kernel - 1),) * 2
    if padding == "same":
        outputs = -(-size // stride)  # ceil(W / s)
        total = max((outputs - 1) * stride + span(kernel, dilation) - size, 0)
        small, large = total // 2, total - total // 2
        # The odd extra zero goes after for cross-correlation, before for flip=True.
        return (large, small) if flip else (small, large)
    if isinstance(padding, int):
        return (padding, padding)
    before, after = padding
    return (before, after)


def oracle_output_length(size: int, kernel: int, stride: int, dilation: int, pads) -> int:
    """How many windows of span ``d*(K-1)+1`` fit in the padded axis at step ``s``."""
    return (size + pads[0] + pads[1] - span(kernel, dilation)) // stride + 1


@dataclass(frozen=True)
class Case:
    """A valid convolution: what ``Conv`` is given, and the oracle's reading of it."""

    sizes: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: Any
    pads: tuple[tuple[int, int], ...]
    in_channels: int | None
    out_channels: int | None
    groups: int
    circular: bool
    shared: bool
    flip: bool
    bias: bool

    @property
    def ndim(self) -> int:
        return len(self.sizes)

    @property
    def c_in(self) -> int:
        return self.in_channels or 1

    @property
    def c_out(self) -> int:
        return self.out_channels or 1

    @property
    def spatial_out(self) -> tuple[int, ...]:
        return tuple(
            oracle_output_length(*args)
            for args in zip(
                self.sizes, self.kernel, self.stride, self.dilation, self.pads, strict=True
            )
        )

    @property
    def channels(self) -> bool:
        return self.in_channels is not None

    def input_shape(self) -> tuple[int, ...]:
        return (self.c_in, *self.sizes) if self.channels else self.sizes

    def output_shape(self) -> tuple[int, ...]:
        return (self.c_out, *self.spatial_out) if self.channels else self.spatial_out

    def weight_shape(self) -> tuple[int, ...]:
        """PyTorch's weight ``(C_out, C_in // groups, *K)``, per position when unshared."""
        stacked = (
            (self.c_out, self.c_in // self.groups, *self.kernel) if self.channels else self.kernel
        )
        return stacked if self.shared else (*self.spatial_out, *stacked)

    def bias_shape(self) -> tuple[int, ...]:
        if not self.bias:
            return (0,)
        return (self.c_out,) if self.shared else self.output_shape()

    def conv(self) -> Conv:
        channels: dict[str, Any] = {}
        if self.channels:
            channels = {"in_channels": self.in_channels, "out_channels": self.out_channels}
        return Conv(
            self.sizes if self.ndim > 1 else self.sizes[0],
            self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            padding_mode="circular" if self.circular else "zeros",
            shared=self.shared,
            flip=self.flip,
            bias=self.bias,
            groups=self.groups,
            **channels,
        )

    # The numeric convolution ------------------------------------------------

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        """``y`` from ``x`` (``input_shape``), ``w`` (``weight_shape``), ``b`` (``bias_shape``)."""
        ndim = self.ndim
        x = x.reshape(self.c_in, *self.sizes)
        mode = "wrap" if self.circular else "constant"
        padded = np.pad(x, [(0, 0), *self.pads], mode=mode)
        reads, per_group = self.c_in // self.groups, self.c_out // self.groups
        y = np.zeros((self.c_out, *self.spatial_out), dtype=object)
        for position in np.ndindex(*self.spatial_out):
            kernels = w if self.shared else w[position]
            kernels = kernels.reshape(self.c_out, reads, *self.kernel)
            if self.flip:
                kernels = kernels[(Ellipsis,) + (slice(None, None, -1),) * ndim]
            steps = zip(position, self.stride, self.kernel, self.dilation, strict=True)
            window = padded[
                (slice(None), *(slice(o * s, o * s + span(k, d), d) for o, s, k, d in steps))
            ]
            for o in range(self.c_out):
                group = o // per_group
                mine = window[group * reads : (group + 1) * reads]
                value = (kernels[o] * mine).sum()
                if b is not None:
                    value += (
                        b[o]
                        if self.shared
                        else b.reshape(self.c_out, -1)[o][
                            np.ravel_multi_index(position, self.spatial_out)
                        ]
                    )
                y[(o, *position)] = value
        return y.reshape(self.output_shape())

    def multiplies(self) -> int:
        """Scalar products the sliding window performs, padding included (PyTorch's MACs)."""
        reads = self.c_in // self.groups
        count = 0
        for _ in np.ndindex(*self.spatial_out):
            count += self.c_out * reads * math.prod(self.kernel)
        return count

    def gradients(self, x, w, b, g) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Exact ``dL/dx``, ``dL/dw``, ``dL/db`` of ``L = sum(g * y)`` by finite differences."""

        def loss(x_, w_, b_) -> int:
            return int((g * self.forward(x_, w_, b_)).sum())

        base = loss(x, w, b)

        def difference(array: np.ndarray, place) -> np.ndarray:
            out = np.zeros(array.shape, dtype=object)
            for index in np.ndindex(*array.shape):
                bumped = array.copy()
                bumped[index] += 1
                out[index] = place(bumped) - base
            return out

        dx = difference(x, lambda v: loss(v, w, b))
        dw = difference(w, lambda v: loss(x, v, b))
        db = difference(b, lambda v: loss(x, w, v)) if b is not None else None
        return dx, dw, db


@st.composite
def specs(
    draw,
    ndims=(1, 2),
    grouped: bool | None = None,
    circular: bool | None = None,
    shared: bool | None = None,
    flip: bool | None = None,
    bias: bool | None = None,
    paddings=("int", "pairs", "valid", "same", "full"),
    max_size: int = 7,
) -> Case:
    """A valid convolution with groups; keyword arguments pin a feature."""
    ndim = draw(st.sampled_from(ndims))
    sizes = tuple(draw(st.integers(1, max_size if ndim == 1 else 5)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    circular = draw(st.booleans()) if circular is None else circular
    flip = draw(st.booleans()) if flip is None else flip
    shared = draw(st.booleans()) if shared is None else shared
    bias = draw(st.booleans()) if bias is None else bias
    grouped = draw(st.booleans()) if grouped is None else grouped
    if grouped:
        groups = draw(st.integers(1, 3))
        in_channels: int | None = groups * draw(st.integers(1, 2))
        out_channels: int | None = groups * draw(st.integers(1, 2))
    else:
        groups = 1
        in_channels = out_channels = None
        if draw(st.booleans()):
            in_channels, out_channels = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kind = draw(st.sampled_from(paddings))
    limit = min(min(sizes), 2)
    if kind == "int":
        padding: Any = draw(st.integers(0, limit))
    elif kind == "pairs":
        padding = tuple((draw(st.integers(0, limit)), draw(st.integers(0, limit))) for _ in sizes)
    else:
        padding = kind
    kernel = []
    pads = []
    for axis in range(ndim):
        k = draw(st.integers(1, 3))
        per_axis = padding[axis] if isinstance(padding, tuple) else padding
        pair = oracle_axis_padding(per_axis, sizes[axis], k, stride[axis], dilation[axis], flip)
        # Shrink the kernel until its window fits the padded input.
        while k > 1 and span(k, dilation[axis]) > sizes[axis] + sum(pair):
            k -= 1
            pair = oracle_axis_padding(per_axis, sizes[axis], k, stride[axis], dilation[axis], flip)
        kernel.append(k)
        pads.append(pair)
    if circular and any(max(pair) > n for pair, n in zip(pads, sizes, strict=True)):
        circular = False
    return Case(
        sizes=sizes,
        kernel=tuple(kernel),
        stride=stride,
        dilation=dilation,
        padding=padding,
        pads=tuple(pads),
        in_channels=in_channels,
        out_channels=out_channels,
        groups=groups,
        circular=circular,
        shared=shared,
        flip=flip,
        bias=bias,
    )


def random_integers(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small nonzero integers as Python ints (exact arithmetic), in an object array."""
    values = rng.integers(1, 10, size=shape) * rng.choice([-1, 1], size=shape)
    return values.astype(object)


def values_of(symbols: sympy.Array, numbers: np.ndarray) -> dict[sympy.Symbol, int]:
    """Pair each symbol of an array with the number at the same row-major position."""
    flat = list(sympy.flatten(symbols)) if symbols.shape != (0,) else []
    return {s: int(v) for s, v in zip(flat, numbers.ravel(), strict=True)}


def substitute(expressions: sympy.Array, values: dict[sympy.Symbol, int]) -> np.ndarray:
    """Evaluate every entry of a symbolic array with ``values``, as an object array."""
    numbers = [int(sympy.sympify(e).xreplace(values)) for e in sympy.flatten(expressions)]
    return np.array(numbers, dtype=object).reshape(expressions.shape)
