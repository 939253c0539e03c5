"""The public :class:`Conv` object: a convolution described once, derived on demand."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sympy import Array, Expr, SparseMatrix

from symconv.layers.base import SymbolicLayer
from symconv.layers.cost import convolution_macs
from symconv.layers.expressions import ElementFormula, Outputs, normalize_index
from symconv.layers.im2col import patch_matrix
from symconv.layers.matrix import convolution_matrix, matrix_row
from symconv.layers.spec import ConvSpec

if TYPE_CHECKING:
    from symconv.layers.gradients import Gradients

__all__ = ["Conv"]


class Conv(SymbolicLayer[ConvSpec]):
    """A convolution layer whose arithmetic is derived symbolically.

    Cross-correlation, as deep-learning frameworks compute it, unless
    ``flip=True``. Sizes follow PyTorch: ``padding="same"`` keeps
    ``ceil(W / s)`` outputs with the odd zero after, ``padding_mode="circular"``
    wraps the input around.

    Args:
        input_size: Spatial size: an int (1-D) or a tuple such as ``(256, 256)``.
        kernel_size: An int for every spatial axis, or a tuple.
        stride: Step of the window, an int or one per axis.
        padding: An int, one per axis, ``(before, after)`` pairs per axis, or
            ``"valid"``, ``"same"``, ``"full"``.
        dilation: Spacing between kernel taps, an int or one per axis.
        in_channels: Input channels. When both channel counts are ``None`` the
            tensors have no channel axes at all, as on a blackboard.
        out_channels: Number of filters (output channels).
        padding_mode: ``"zeros"`` or ``"circular"``.
        shared: ``False`` makes a locally connected layer: a separate kernel at
            every output position.
        flip: ``True`` reverses the kernel (true convolution, as ``numpy.convolve``).
        bias: Add a bias per output channel (per output element when not shared).
        input_letter: Letter of the input symbols (``x``).
        kernel_letter: Letter of the kernel symbols (``k``; ``w`` is common too).
        bias_letter: Letter of the bias symbols (``b``).
        groups: PyTorch's ``groups``: channels split into this many groups, each
            filter reading the input channels of its own group only
            (``groups=in_channels`` is a depthwise convolution).

    Raises:
        SymconvError: An argument is not allowed; the message names it.

    Examples:
        >>> conv = Conv(9, 3)
        >>> conv.output_shape, conv.weight_count
        ((7,), 3)
        >>> conv.output_element(0)
        k_1*x_1 + k_2*x_2 + k_3*x_3
        >>> conv.output_element(-1)
        k_1*x_7 + k_2*x_8 + k_3*x_9
        >>> Conv(9, 3, padding="same").output_element(0)
        k_2*x_1 + k_3*x_2
        >>> Conv(9, 3, shared=False).weight_count
        21
        >>> layer = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
        >>> layer.input_shape, layer.filter_shape, layer.output_shape
        ((3, 256, 256), (3, 5, 5), (32, 126, 126))
        >>> layer.weight_count, layer.dense_weight_count
        (2400, 99883155456)
        >>> depthwise = Conv((8, 8), 3, in_channels=4, out_channels=4, groups=4)
        >>> depthwise.filter_shape, depthwise.weight_count, depthwise.macs
        ((1, 3, 3), 36, 1296)
    """

    __slots__ = ("_outputs",)

    _outputs: Outputs

    def __init__(
        self,
        input_size: int | tuple[int, ...],
        kernel_size: int | tuple[int, ...],
        *,
        stride: int | tuple[int, ...] = 1,
        padding: Any = 0,
        dilation: int | tuple[int, ...] = 1,
        in_channels: int | None = None,
        out_channels: int | None = None,
        padding_mode: str = "zeros",
        shared: bool = True,
        flip: bool = False,
        bias: bool = False,
        input_letter: str = "x",
        kernel_letter: str = "k",
        bias_letter: str = "b",
        groups: int = 1,
    ) -> None:
        spec = ConvSpec.build(
            input_size,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            in_channels=in_channels,
            out_channels=out_channels,
            padding_mode=padding_mode,
            shared=shared,
            flip=flip,
            bias=bias,
            input_letter=input_letter,
            kernel_letter=kernel_letter,
            bias_letter=bias_letter,
            groups=groups,
        )
        self._init_from_spec(spec)

    def _init_from_spec(self, spec: ConvSpec) -> None:
        super()._init_from_spec(spec)
        object.__setattr__(self, "_outputs", Outputs(spec, self._symbols))

    def __repr__(self) -> str:
        spec = self.spec
        sizes = spec.input_size[0] if spec.ndim == 1 else spec.input_size
        kernel = spec.kernel_size[0] if len(set(spec.kernel_size)) == 1 else spec.kernel_size
        options = []
        for name, value, default in (
            ("stride", spec.stride, (1,) * spec.ndim),
            ("dilation", spec.dilation, (1,) * spec.ndim),
        ):
            if value != default:
                options.append(f"{name}={value[0] if len(set(value)) == 1 else value}")
        if spec.padding_rule and spec.padding_rule != "valid":
            options.append(f"padding={spec.padding_rule!r}")
        elif not spec.padding_rule and any(any(pair) for pair in spec.padding):
            options.append(f"padding={_compact_padding(spec.padding)}")
        if spec.has_channels:
            options.append(f"in_channels={spec.in_channels}, out_channels={spec.out_channels}")
        if spec.groups != 1:
            options.append(f"groups={spec.groups}")
        if spec.padding_mode != "zeros":
            options.append(f"padding_mode={spec.padding_mode!r}")
        options.extend(
            f"{name}={value}"
            for name, value, default in (
                ("shared", spec.shared, True),
                ("flip", spec.flip, False),
                ("bias", spec.bias, False),
            )
            if value != default
        )
        options.extend(
            f"{name}={value!r}"
            for name, value, default in (
                ("input_letter", spec.input_letter, "x"),
                ("kernel_letter", spec.kernel_letter, "k"),
                ("bias_letter", spec.bias_letter, "b"),
            )
            if value != default
        )
        return f"Conv({', '.join([str(sizes), str(kernel), *options])})"

    # Shapes and counts -------------------------------------------------

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        """The resolved padding: ``(before, after)`` per spatial axis."""
        return self.spec.padding

    @property
    def filter_shape(self) -> tuple[int, ...]:
        """Shape of one filter: ``(C_in, *kernel)`` with channels, else the kernel sizes."""
        return self.spec.filter_shape

    @property
    def groups(self) -> int:
        """PyTorch's ``groups``: 1 unless the channels are split into groups."""
        return self.spec.groups

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one forward pass: every tap, padding included.

        ``prod(output_shape) * (C_in // groups) * prod(kernel)``, as PyTorch's flop
        counter and fvcore count them; bias adds are not counted.

        >>> Conv(9, 3).macs, Conv(9, 3, padding="same").macs
        (21, 27)
        """
        return convolution_macs(self.spec)

    @property
    def flops(self) -> int:
        """Floating-point operations of one forward pass: ``2 * macs``."""
        return 2 * self.macs

    @property
    def kernel_symbols(self) -> Array:
        """The ``k`` symbols: ``(C_out, *filter_shape)`` with channels, else ``filter_shape``;
        prefixed by the spatial output shape when weights are not shared."""
        return self._cached("kernel_symbols", self._symbols.weight_array)

    # Derivations -------------------------------------------------------

    def matrix(self) -> SparseMatrix:
        """The matrix ``M`` with ``y = M x`` on row-major flattening (bias left out).

        Shape ``(prod(output_shape), prod(input_shape))``, stored sparsely, built
        in time linear in its nonzeros. A new (mutable) matrix on every call.

        >>> Conv(9, 3, padding="same").matrix()[:2, :4]
        Matrix([
        [k_2, k_3,   0, 0],
        [k_1, k_2, k_3, 0]])
        """
        return convolution_matrix(self.spec, self._symbols)

    def matrix_row(self, row: int) -> dict[int, Expr]:
        """The nonzero entries of one row of :meth:`matrix`, by column, without building it.

        >>> Conv(9, 3, padding="same").matrix_row(0)
        {0: k_2, 1: k_3}
        """
        rows = math.prod(self.output_shape)
        if not -rows <= row < rows:
            raise IndexError(f"row {row} is out of range for a matrix of {rows} rows")
        return matrix_row(self.spec, row % rows, self._symbols)

    def output(self) -> Array:
        """Every output element's expression, shaped as ``output_shape``.

        >>> Conv(4, 2, padding="full", flip=True).output()
        [k_1*x_1, k_1*x_2 + k_2*x_1, k_1*x_3 + k_2*x_2, k_1*x_4 + k_2*x_3, k_2*x_4]
        """
        return self._cached("output", self._outputs.all)

    def output_element(self, index: int | tuple[int, ...]) -> Expr:
        """One output element, computed from its window alone (never the whole layer).

        ``index`` is an int or a tuple over ``output_shape``; negative entries
        count from the end.

        >>> Conv((5, 5), 3, in_channels=2, out_channels=4).output_element((3, -1, 0)).args[:2]
        (k_4,1,1,1*x_1,3,1, k_4,1,1,2*x_1,3,2)

        Raises:
            IndexError: The index is outside ``output_shape``.
        """
        return self._outputs.element(normalize_index(index, self.output_shape))

    def element_formula(self) -> ElementFormula:
        """The general output element as a ``Sum`` over 1-based ``Indexed`` terms.

        Input indices outside ``1..W`` stand for zero padding; circular padding
        shows as ``Mod``. ``.equation`` is the SymPy ``Eq``; ``.expand(index)``
        evaluates it into the same expression as :meth:`output_element`.

        >>> formula = Conv(9, 3, stride=2).element_formula()
        >>> formula
        Eq(y[i], Sum(k[j]*x[2*i + j - 2], (j, 1, 3)))
        >>> formula.expand(-1) == Conv(9, 3, stride=2).output_element(-1)
        True
        """
        formula: ElementFormula = self._cached(
            "element_formula", lambda: ElementFormula(self.spec, self._symbols)
        )
        return formula

    def patch_matrix(self, group: int | None = None) -> SparseMatrix:
        """im2col: the convolution as linear in the kernel, ``y_o = X vec(k_o)``.

        One row per output position (spatial, row-major), one column per weight
        of one filter (in the order of ``kernel_symbols[o]`` flattened), holding
        the input symbol that weight meets there, or 0 in zero padding. For
        every output channel ``o`` of ``group``, ``output()[o]`` flattened equals
        ``patch_matrix(group) * vec(kernel_symbols[o])`` (plus the bias). With
        ``groups > 1`` name the group (0-based); it is the transpose of PyTorch's
        ``F.unfold`` restricted to the group's input channels.

        >>> Conv(4, 2).patch_matrix()
        Matrix([
        [x_1, x_2],
        [x_2, x_3],
        [x_3, x_4]])

        Raises:
            SymconvError: ``group`` is missing or out of range with ``groups > 1``,
                or the weights are not shared (each row would need its own kernel).
        """
        return patch_matrix(self.spec, self._symbols, group)

    def backward(self, upstream_letter: str = "g") -> Gradients:
        """Gradients of a loss ``L`` given ``g = dL/dy``, built from the forward taps.

        ``.upstream`` holds the ``g`` symbols shaped like ``output_shape``;
        ``.input`` (``dL/dx``, shaped ``input_shape``), ``.kernel`` (``dL/dk``,
        shaped like ``kernel_symbols``) and ``.bias`` (``dL/db`` or ``None``)
        are SymPy arrays; ``.formulas`` gives them as general ``Sum`` formulas.

        >>> grads = Conv(4, 2).backward()
        >>> grads.input
        [g_1*k_1, g_1*k_2 + g_2*k_1, g_2*k_2 + g_3*k_1, g_3*k_2]
        >>> grads.kernel
        [g_1*x_1 + g_2*x_2 + g_3*x_3, g_1*x_2 + g_2*x_3 + g_3*x_4]
        """
        from symconv.layers.gradients import Gradients  # loaded by the first backward pass

        gradients: Gradients = self._cached(
            f"backward {upstream_letter!r}",
            lambda: Gradients(self.spec, self._symbols, upstream_letter),
        )
        return gradients


def _compact_padding(padding: tuple[tuple[int, int], ...]) -> object:
    if all(before == after for before, after in padding):
        sides = tuple(before for before, _ in padding)
        return sides[0] if len(set(sides)) == 1 else sides
    return padding
