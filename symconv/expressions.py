"""Output elements as SymPy expressions: one element, or all of them.

An output element is a sum of ``weight * input`` products (plus a bias). SymPy's
``Add`` and ``Mul`` canonicalise their arguments on every call, which dominates
the cost of large layers; here each product and sum is assembled directly in
SymPy's canonical argument order, giving the very same expression
(``==`` and ``hash`` agree with ``Add(*terms)``) several times faster.

>>> from symconv.spec import ConvSpec
>>> Outputs(ConvSpec.build(9, 3)).element((0,))
k_1*x_1 + k_2*x_2 + k_3*x_3
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cmp_to_key

from sympy import Add, Array, Basic, Expr, Mul, S

from symconv.spec import ConvSpec
from symconv.symbols import SymbolTable
from symconv.windows import Connections, axis_windows

__all__ = ["Outputs", "linear_form", "normalize_index"]

_canonical_order = cmp_to_key(Basic.compare)


def linear_form(products: Iterable[tuple[Expr, Expr]], constant: Expr | None = None) -> Expr:
    """``sum(w * x for w, x in products) + constant``, built in SymPy's canonical form.

    The factors must be symbols and no product may repeat, which holds for the
    taps of a convolution; otherwise the ordinary (slower) ``Add`` is used.

    >>> from sympy import symbols
    >>> k1, k2, x1, x2 = symbols("k_1 k_2 x_1 x_2")
    >>> linear_form([(k2, x2), (k1, x1)]) == k1*x1 + k2*x2
    True
    """
    pairs = list(products)
    terms: list[Expr] = []
    for weight, value in pairs:
        if not (weight.is_Symbol and value.is_Symbol) or weight == value:
            return Add(*(w * x for w, x in pairs), *([constant] if constant is not None else []))
        pair = (weight, value) if _canonical_order(weight) < _canonical_order(value) else (value, weight)
        terms.append(Mul._from_args(pair, True))
    if constant is not None:
        terms.append(constant)
    if len(terms) != len(set(terms)):
        return Add(*terms)
    if not terms:
        return S.Zero
    if len(terms) == 1:
        return terms[0]
    terms.sort(key=_canonical_order)
    return Add._from_args(terms, True)


def normalize_index(index: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Check an output index (int or tuple, negative counts from the end) against ``shape``.

    >>> normalize_index(-1, (7,))
    (6,)
    >>> normalize_index((0, 9), (2, 3))
    Traceback (most recent call last):
    ...
    IndexError: index 9 is out of range for axis 1 of size 3 (output shape (2, 3))
    """
    items: Sequence[object] = (
        index if isinstance(index, Sequence) and not isinstance(index, str) else (index,)
    )
    if len(items) != len(shape):
        raise IndexError(
            f"index {index!r} has {len(items)} entries but the output shape {shape} has {len(shape)}"
        )
    normalized = []
    for axis, (item, size) in enumerate(zip(items, shape, strict=True)):
        if isinstance(item, bool) or not hasattr(item, "__index__"):
            raise TypeError(f"index entries must be integers, got {item!r} for axis {axis}")
        value = int(item.__index__())  # type: ignore[attr-defined]
        if not -size <= value < size:
            raise IndexError(
                f"index {value} is out of range for axis {axis} of size {size} "
                f"(output shape {shape})"
            )
        normalized.append(value % size)
    return tuple(normalized)


class Outputs:
    """Builds output elements of one convolution from its taps."""

    def __init__(self, spec: ConvSpec, symbols: SymbolTable | None = None) -> None:
        self.spec = spec
        self.symbols = symbols or SymbolTable(spec)
        self.connections = Connections(spec)

    def _split(self, index: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        return (index[0], index[1:]) if self.spec.has_channels else (0, index)

    def element(self, index: tuple[int, ...]) -> Expr:
        """The expression of the output at a normalized ``index``, in O(kernel)."""
        channel, position = self._split(index)
        symbols = self.symbols
        taps = self.connections.taps(channel, position)
        bias = symbols.bias(self.connections.bias(channel, position)) if self.spec.bias else None
        return linear_form(((symbols.weight(w), symbols.input(x)) for w, x in taps), bias)

    def all(self) -> Array:
        """Every output element, shaped as ``output_shape``; linear in the matrix's nonzeros."""
        spec = self.spec
        symbols = self.symbols
        inputs = symbols.inputs()
        weights = symbols.weights() if spec.shared else None
        biases = symbols.biases() if spec.bias else None
        windows = [axis_windows(spec, axis) for axis in range(spec.ndim)]
        per_position = []
        for position in self.connections.positions():
            spatial = self.connections.spatial_taps(
                tuple(w[p] for w, p in zip(windows, position, strict=True))
            )
            per_position.append((position, spatial))
        elements: list[Expr] = []
        for channel in range(spec.c_out):
            for position, spatial in per_position:
                taps = self.connections.taps(channel, position, spatial)
                weight_of = weights.__getitem__ if weights is not None else symbols.weight
                bias = biases[self.connections.bias(channel, position)] if biases else None
                elements.append(linear_form(((weight_of(w), inputs[x]) for w, x in taps), bias))
        assert len(elements) == math.prod(spec.output_shape)
        return Array(elements, spec.output_shape)
