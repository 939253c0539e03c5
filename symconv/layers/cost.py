"""What one forward pass costs: multiply-accumulates (MACs), for numbers and as formulas.

The convention is PyTorch's flop counter's (``torch.utils.flop_counter``) and
fvcore's: every tap of every window counts, taps on zero padding included, and
bias adds do not; a FLOP is half a MAC (``flops == 2 * macs``). A convolution
costs ``prod(output_shape) * (C_in // groups) * prod(kernel)``, a transposed
convolution ``prod(input_shape) * (C_out // groups) * prod(kernel)`` (every
input scatters into one window per output channel of its group), a dense
layer ``in * out``. Pooling, activations and normalisation count 0.

>>> from symconv.layers.spec import ConvSpec
>>> convolution_macs(ConvSpec.build((256, 256), 5, stride=2, in_channels=3, out_channels=32))
38102400
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any

from sympy import Expr, simplify

from symconv.layers.geometry import conv_taps
from symconv.layers.spec import ConvSpec

__all__ = [
    "convolution_macs",
    "convolution_macs_count",
    "convolution_macs_formula",
    "dense_macs",
    "macs_inside_input",
    "separable_macs_formula",
    "separable_weight_count_formula",
    "transpose_macs_count",
]


def _product(values: Iterable[Any]) -> Any:
    return reduce(operator.mul, values, 1)


def convolution_macs_count(output_shape: Sequence[Any], reads: Any, kernel_count: Any) -> Any:
    """``prod(output_shape) * reads * kernel_count``: every output sums its window's taps.

    ``reads`` is the input channels one filter reads (``C_in // groups``). Numbers
    or SymPy expressions.
    """
    return _product(output_shape) * reads * kernel_count


def transpose_macs_count(input_shape: Sequence[Any], c_out: Any, kernel_count: Any) -> Any:
    """``prod(input_shape) * C_out * kernel_count``: every input scatters into the output."""
    return _product(input_shape) * c_out * kernel_count


def convolution_macs(spec: ConvSpec) -> int:
    """MACs of a convolution: each output element sums ``(C_in // groups) * prod(kernel)`` taps.

    An unshared (locally connected) layer costs the same: only the weights differ.
    """
    count: int = convolution_macs_count(
        spec.output_shape, spec.group_in_channels, spec.kernel_count
    )
    return count


def macs_inside_input(spec: ConvSpec) -> int:
    """The multiply-adds whose tap meets the input, padding left out (a common slip).

    Per axis, the taps of every window that land inside the input (the geometry
    core's :func:`~symconv.layers.geometry.conv_taps`), multiplied across axes,
    by the output channels and by the input channels one filter reads. Equal to
    :func:`convolution_macs` without padding; never more.

    >>> spec = ConvSpec.build(9, 3, padding="same")
    >>> convolution_macs(spec), macs_inside_input(spec)
    (27, 25)
    """
    per_axis = [
        sum(
            len(
                conv_taps(
                    position, spec.input_size[axis], spec.kernel_size[axis],
                    stride=spec.stride[axis], before=spec.padding[axis][0],
                    dilation=spec.dilation[axis], circular=spec.padding_mode == "circular",
                )
            )
            for position in range(spec.output_size[axis])
        )
        for axis in range(spec.ndim)
    ]  # fmt: skip
    count: int = _product(per_axis) * spec.c_out * spec.group_in_channels
    return count


def dense_macs(in_features: Any, out_features: Any) -> Any:
    """MACs of a fully connected layer: one per weight, ``in * out``."""
    return in_features * out_features


def convolution_macs_formula(
    output_size: Expr, kernel: Expr, c_in: Expr, c_out: Expr, ndim: int, groups: Expr = 1
) -> Expr:
    """``C_out * out**ndim * (C_in / G) * K**ndim``: the MACs of a square convolution.

    >>> from sympy import symbols
    >>> W, K, C, D = symbols("W K C_in C_out", positive=True)
    >>> convolution_macs_formula(W - K + 1, K, C, D, 2)
    C_in*C_out*K**2*(-K + W + 1)**2
    """
    result: Expr = c_out * output_size**ndim * c_in / groups * kernel**ndim
    return result


def separable_weight_count_formula(kernel: Expr, c_in: Expr, c_out: Expr, ndim: int) -> Expr:
    """Weights of a depthwise ``K`` convolution (``groups = C_in``) then a pointwise ``1x1``.

    >>> from sympy import symbols
    >>> K, C, D = symbols("K C_in C_out", positive=True)
    >>> separable_weight_count_formula(K, C, D, 2)
    C_in*C_out + C_in*K**2
    """
    result: Expr = c_in * kernel**ndim + c_in * c_out
    return result


def separable_macs_formula(
    output_size: Expr, kernel: Expr, c_in: Expr, c_out: Expr, ndim: int
) -> Expr:
    """MACs of the depthwise-separable block: both parts run at the output size.

    Against a full convolution both counts shrink by ``1/C_out + 1/K**ndim``.
    """
    depthwise = convolution_macs_formula(output_size, kernel, c_in, c_in, ndim, c_in)
    pointwise = convolution_macs_formula(output_size, 1, c_in, c_out, ndim)
    result: Expr = simplify(depthwise + pointwise)
    return result
