"""The one place where the ``x``, ``k`` and ``b`` symbols are named and indexed.

Names are 1-based, as on a blackboard, and list one number per axis of the
array that holds the symbol: ``x_3`` in 1-D, ``x_2,5`` (LaTeX ``x_{2,5}``) in
2-D, ``k_1,2,3,3`` for output channel 1, input channel 2, kernel row 3,
column 3. Unshared (locally connected) weights are numbered consecutively in
row-major order, ``k_1`` to ``k_21`` for the worksheet's 9-input, 3-tap layer,
as they are usually written out by hand. A lone bias is plain ``b``.

Symbols are made when they are asked for, so one output element of a large
layer never names the whole layer.

>>> from symconv.layers.spec import ConvSpec
>>> table = SymbolTable(ConvSpec.build((4, 4), 2, in_channels=3))
>>> table.input(17), table.weight(5)
(x_2,1,2, k_1,2,1,2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sympy import Array, Symbol

from symconv.layers.containers import make_symbols
from symconv.layers.spec import ChannelLayout

__all__ = [
    "SymbolTable",
    "letter_sorts_before",
    "name_order",
    "ravel",
    "spatial_name_order",
    "symbol_name",
    "symbol_names",
    "unravel",
]


def symbol_name(letter: str, index: Sequence[int]) -> str:
    """``letter`` subscripted by the 1-based form of the 0-based ``index``.

    >>> symbol_name("k", (0,)), symbol_name("x", (1, 4))
    ('k_1', 'x_2,5')
    """
    return f"{letter}_{','.join(str(i + 1) for i in index)}"


def symbol_names(letter: str, shape: Sequence[int]) -> list[str]:
    """:func:`symbol_name` of every index of ``shape``, in row-major order.

    >>> symbol_names("x", (2, 3))
    ['x_1,1', 'x_1,2', 'x_1,3', 'x_2,1', 'x_2,2', 'x_2,3']
    """
    if not shape:
        return [f"{letter}_"]
    names = [f"{letter}_{i + 1}" for i in range(shape[0])]
    for size in shape[1:]:
        numbers = [str(i + 1) for i in range(size)]
        names = [f"{name},{number}" for name in names for number in numbers]
    return names


def letter_sorts_before(first: str, second: str) -> bool:
    """Whether every symbol lettered ``first`` sorts (by name) before every one lettered ``second``.

    SymPy orders plain symbols by name, and a name is the letter, ``_`` and the
    index; letters are ASCII letters only, so ``letter_`` decides.

    >>> letter_sorts_before("g", "k"), letter_sorts_before("k", "kk"), letter_sorts_before("x", "k")
    (True, True, False)
    """
    return first + "_" < second + "_"


def name_order(count: int) -> list[int]:
    """Positions ``0 .. count - 1`` in the order SymPy sorts symbols indexed by them.

    A name holds the 1-based index as text, so ``g_10`` comes before ``g_2``.

    >>> name_order(12)
    [0, 9, 10, 11, 1, 2, 3, 4, 5, 6, 7, 8]
    """
    return sorted(range(count), key=lambda position: str(position + 1))


def spatial_name_order(shape: Sequence[int]) -> list[int]:
    """The flat (row-major) positions of ``shape`` in the order of their names.

    In a multi-index (``g_2,10``) the comma sorts before every digit, so names
    sort as the tuples of their axes' orders.

    >>> spatial_name_order((2, 10))[:4]
    [0, 9, 1, 2]
    """
    flat = [0]
    for axis, size in enumerate(shape):
        step = math.prod(shape[axis + 1 :])
        flat = [f + p * step for f in flat for p in name_order(size)]
    return flat


def ravel(index: Sequence[int], shape: Sequence[int]) -> int:
    """The row-major (C order) position of ``index`` in an array of ``shape``.

    >>> ravel((1, 0, 1), (2, 3, 2))
    7
    """
    flat = 0
    for i, n in zip(index, shape, strict=True):
        flat = flat * n + i
    return flat


def unravel(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    """The row-major multi-index of position ``flat`` in an array of ``shape``.

    >>> unravel(7, (2, 3, 2))
    (1, 0, 1)
    """
    index = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        index.append(rest)
    return tuple(reversed(index))


class SymbolTable:
    """Names the symbols of one convolution by their flat (row-major) position."""

    def __init__(self, spec: ChannelLayout) -> None:
        self.spec = spec
        self._weights_by_axes = spec.shared
        # Shapes are derived properties of the spec: read them once.
        self._input_shape = spec.input_shape
        self._weight_shape = spec.weight_shape
        # Symbols asked for one at a time (a sheet's matrix views ask for the
        # same few thousands of times), kept by flat position.
        self._inputs: dict[int, Symbol] = {}
        self._weights: dict[int, Symbol] = {}

    def input(self, flat: int) -> Symbol:
        """The input symbol at row-major position ``flat`` of ``input_shape``."""
        symbol = self._inputs.get(flat)
        if symbol is None:
            name = symbol_name(self.spec.input_letter, unravel(flat, self._input_shape))
            symbol = self._inputs[flat] = make_symbols((name,))[0]
        return symbol

    def weight(self, flat: int) -> Symbol:
        """The kernel symbol at row-major position ``flat`` of ``weight_shape``."""
        symbol = self._weights.get(flat)
        if symbol is None:
            index = unravel(flat, self._weight_shape) if self._weights_by_axes else (flat,)
            name = symbol_name(self.spec.kernel_letter, index)
            symbol = self._weights[flat] = make_symbols((name,))[0]
        return symbol

    def bias(self, flat: int) -> Symbol:
        """The bias symbol at row-major position ``flat`` of ``bias_shape``."""
        if self.spec.shared and not self.spec.has_channels:
            return Symbol(self.spec.bias_letter)
        return Symbol(symbol_name(self.spec.bias_letter, (flat,)))

    def inputs(self) -> list[Symbol]:
        """Every input symbol, in row-major order."""
        return make_symbols(symbol_names(self.spec.input_letter, self._input_shape))

    def weights(self) -> list[Symbol]:
        """Every kernel symbol, in row-major order."""
        shape = self._weight_shape
        if not self._weights_by_axes:
            shape = (math.prod(shape),)
        return make_symbols(symbol_names(self.spec.kernel_letter, shape))

    def biases(self) -> list[Symbol]:
        """Every bias symbol (none when ``bias=False``)."""
        return [self.bias(n) for n in range(math.prod(self.spec.bias_shape))]

    def input_array(self) -> Array:
        """:meth:`inputs` shaped as ``input_shape``."""
        return Array(self.inputs(), self.spec.input_shape)

    def weight_array(self) -> Array:
        """:meth:`weights` shaped as ``weight_shape``."""
        return Array(self.weights(), self.spec.weight_shape)

    def bias_array(self) -> Array:
        """:meth:`biases` shaped as ``bias_shape``."""
        return Array(self.biases(), self.spec.bias_shape)
