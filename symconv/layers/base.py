"""What every symbolic layer shares: immutability, shapes, counts and symbol arrays.

:class:`~symconv.Conv` and :class:`~symconv.ConvTranspose` differ in how their
windows meet the input; everything here is the same for both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from sympy import Array, Symbol

from symconv.layers import printing
from symconv.layers.spec import ChannelLayout
from symconv.layers.symbols import SymbolTable

__all__ = ["SymbolicLayer"]

SpecT = TypeVar("SpecT", bound=ChannelLayout)


class SymbolicLayer(Generic[SpecT]):
    """An immutable layer described by a validated ``spec``, with cached derivations."""

    __slots__ = ("_cache", "_symbols", "spec")

    spec: SpecT
    _symbols: SymbolTable
    _cache: dict[str, Any]

    @classmethod
    def from_spec(cls, spec: SpecT) -> Self:
        """The layer of an already validated spec (no checks repeated)."""
        layer = cls.__new__(cls)
        layer._init_from_spec(spec)
        return layer

    def _init_from_spec(self, spec: SpecT) -> None:
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "_symbols", SymbolTable(spec))
        object.__setattr__(self, "_cache", {})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable; build a new one instead of setting {name!r}"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SymbolicLayer)
            and type(other) is type(self)
            and other.spec == self.spec
        )

    def __hash__(self) -> int:
        return hash(self.spec)

    def __str__(self) -> str:
        """``y = K x`` drawn for the terminal when the package is imported, else the repr."""
        printer = printing.text_printer
        return repr(self) if printer is None else printer(self)

    def _cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return self.spec.ndim

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(C_in, *spatial)`` with channels, else the spatial sizes."""
        return self.spec.input_shape

    @property
    def filter_shape(self) -> tuple[int, ...]:
        """Shape of one filter (see the layer's own documentation)."""
        return self.spec.filter_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        """``(C_out, *spatial_out)`` with channels, else the spatial output sizes."""
        return self.spec.output_shape

    @property
    def bias_count(self) -> int:
        """Number of bias symbols (0 without bias)."""
        return math.prod(self.spec.bias_shape)

    @property
    def weight_count(self) -> int:
        """Distinct trainable weights: kernel weights, plus biases when ``bias=True``.

        Unshared weights are counted as a locally connected layer holds them,
        including the few that only ever meet zero padding.
        """
        return math.prod(self.spec.weight_shape) + self.bias_count

    @property
    def dense_weight_count(self) -> int:
        """Weights of a fully connected layer from the flattened input to the flattened output."""
        return math.prod(self.input_shape) * math.prod(self.output_shape)

    @property
    def input_symbols(self) -> Array:
        """The ``x`` symbols, shaped as ``input_shape``."""
        return self._cached("input_symbols", self._symbols.input_array)

    def input_symbol(self, flat: int) -> Symbol:
        """The input symbol at row-major position ``flat`` of ``input_shape``, alone."""
        return self._symbols.input(flat)

    @property
    def kernel_symbols(self) -> Array:
        """The ``k`` symbols, shaped as the layer's weight tensor."""
        return self._cached("kernel_symbols", self._symbols.weight_array)

    @property
    def bias_symbols(self) -> Array:
        """The bias symbols: one per output channel (per output element when not shared)."""
        return self._cached("bias_symbols", self._symbols.bias_array)
