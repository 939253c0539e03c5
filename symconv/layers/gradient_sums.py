"""The entries of the gradients, every sum made directly in SymPy's canonical order.

In every product of a gradient the upstream symbol ``g`` sorts first (its
letter does), so SymPy orders a sum's products by the names of their ``g``.
The taps reaching each input and swept by each kernel tap are listed once per
axis in that order (:mod:`symconv.layers.patterns`), and each sum is made with
``Add._from_args`` without a sort of its own; where that order does not hold,
the sums are collected tap by tap and sorted, as SymPy would.
"""

from __future__ import annotations

import math

from sympy import Expr, Mul, S, Symbol

from symconv.layers.containers import make_symbols
from symconv.layers.expressions import linear_form, ordered_sum
from symconv.layers.patterns import TapPairs, kernel_sweeps, reaching_taps
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import (
    SymbolTable,
    letter_sorts_before,
    spatial_name_order,
    symbol_names,
)
from symconv.layers.windows import Connections, axis_windows

__all__ = ["GradientSums"]


def _name_order(pair: tuple[Symbol, Symbol]) -> tuple[str, str]:
    first, second = pair[0].name, pair[1].name
    return (first, second) if first < second else (second, first)


def _sum_of_products(terms: list[tuple[Symbol, Symbol]]) -> Expr:
    """``linear_form`` of the terms, handed over already in SymPy's canonical order.

    Products of two plain symbols sort in SymPy by their factors' names, so a
    string sort first leaves the canonical sort a single linear pass.
    """
    terms.sort(key=_name_order)
    return linear_form(terms)


class GradientSums:
    """The entries of ``dL/dx``, ``dL/dk`` and ``dL/db``, flat, each sum in SymPy's order.

    Upstream symbols sort first in their products when their letter does
    (``g`` before ``k`` and ``x``), and a sum's products then sort by the names
    of their ``g``: the output channel's, then each spatial axis's
    (:func:`~symconv.layers.symbols.name_order`). :func:`reaching_taps` and
    :func:`kernel_sweeps` list the taps in that order, so every sum is made
    directly, with no sort per sum. Where it does not hold (a letter sorting
    before the upstream letter, a circular window wrapping onto itself) the
    sums are collected tap by tap and sorted, as SymPy would.

    >>> spec = ConvSpec.build(5, 3, stride=2)
    >>> sums = GradientSums(spec, SymbolTable(spec), "g")
    >>> sums.upstream
    [g_1, g_2]
    >>> sums.input()
    [g_1*k_1, g_1*k_2, g_1*k_3 + g_2*k_1, g_2*k_2, g_2*k_3]
    >>> sums.kernel()
    [g_1*x_1 + g_2*x_3, g_1*x_2 + g_2*x_4, g_1*x_3 + g_2*x_5]
    """

    def __init__(self, spec: ConvSpec, symbols: SymbolTable, upstream_letter: str) -> None:
        self.spec = spec
        self.upstream_letter = upstream_letter
        self.upstream = make_symbols(symbol_names(upstream_letter, spec.output_shape))
        self.inputs = symbols.inputs()
        self.weights = symbols.weights()
        self._by_taps: tuple[list[Expr], list[Expr]] | None = None
        # Where a filter's symbols start: channels read per filter, filters per group,
        # and the flat sizes of one channel's outputs and inputs.
        self._reads, self._per_group = spec.group_in_channels, spec.group_out_channels
        self._outputs, self._inputs = math.prod(spec.output_size), math.prod(spec.input_size)
        # An unshared weight (position, o, c, tap) is flat at position * per_position + ...
        self._per_position = spec.c_out * self._reads * spec.kernel_count

    def input(self) -> list[Expr]:
        """``dL/dx``, flat in ``input_shape``: each input's ``g_r k_w``, ``g`` by name."""
        spec = self.spec
        reach = (
            reaching_taps(spec)
            if letter_sorts_before(self.upstream_letter, spec.kernel_letter)
            else None
        )
        if reach is None:
            return self.tap_by_tap()[0]
        upstream, weights = self.upstream, self.weights
        reads, per_group, spatial_outputs = self._reads, self._per_group, self._outputs
        kernel_count = spec.kernel_count
        if not spec.shared:
            per_position = self._per_position
            reach = [[(p, p * per_position + t) for p, t in pairs] for pairs in reach]
        product = Mul._from_args
        gradient: list[Expr] = []
        for channel in range(spec.c_in):
            group, local = divmod(channel, reads)
            # Filters in the order of their names, which hold their 1-based numbers as text.
            numbers = sorted(range(group * per_group + 1, (group + 1) * per_group + 1), key=str)
            starts = [
                ((n - 1) * spatial_outputs, ((n - 1) * reads + local) * kernel_count)
                for n in numbers
            ]
            for pairs in reach:
                terms = [
                    product((upstream[g + p], weights[k + w]), True)
                    for g, k in starts
                    for p, w in pairs
                ]
                gradient.append(ordered_sum(terms))
        return gradient

    def kernel(self) -> list[Expr]:
        """``dL/dk``, flat in ``weight_shape``: each weight's ``g_r x_i``, ``g`` by name."""
        spec = self.spec
        if not letter_sorts_before(self.upstream_letter, spec.input_letter):
            return self.tap_by_tap()[1]
        sweeps = kernel_sweeps(spec)
        if not spec.shared:
            return self._unshared_kernel(sweeps)
        upstream, inputs = self.upstream, self.inputs
        reads, per_group = self._reads, self._per_group
        spatial_outputs, spatial_inputs = self._outputs, self._inputs
        product = Mul._from_args
        gradient: list[Expr] = []
        for o in range(spec.c_out):
            g = o * spatial_outputs
            for local in range(reads):
                x = (o // per_group * reads + local) * spatial_inputs
                for pairs in sweeps:
                    terms = [product((upstream[g + p], inputs[x + i]), True) for p, i in pairs]
                    gradient.append(ordered_sum(terms))
        return gradient

    def _unshared_kernel(self, sweeps: list[TapPairs]) -> list[Expr]:
        """Each unshared weight meets one output: its gradient is one product, or 0 in padding."""
        spec = self.spec
        upstream, inputs = self.upstream, self.inputs
        reads, per_group = self._reads, self._per_group
        spatial_outputs, spatial_inputs = self._outputs, self._inputs
        per_position = self._per_position
        gradient: list[Expr] = [S.Zero] * len(self.weights)
        for o in range(spec.c_out):
            for local in range(reads):
                x = (o // per_group * reads + local) * spatial_inputs
                start = (o * reads + local) * spec.kernel_count
                for tap, pairs in enumerate(sweeps):
                    for p, i in pairs:
                        gradient[p * per_position + start + tap] = Mul._from_args(
                            (upstream[o * spatial_outputs + p], inputs[x + i]), True
                        )
        return gradient

    def bias(self) -> list[Expr]:
        """``dL/db``, flat in ``bias_shape``: the ``g`` of every output the bias is added to."""
        spec = self.spec
        if not spec.shared:
            return list(self.upstream)
        order = spatial_name_order(spec.output_size)
        return [
            ordered_sum([self.upstream[o * self._outputs + p] for p in order])
            for o in range(spec.c_out)
        ]

    def tap_by_tap(self) -> tuple[list[Expr], list[Expr]]:
        """``dL/dx`` and ``dL/dk`` collected from every tap of the forward pass, then sorted."""
        if self._by_taps is None:
            self._by_taps = self._collect_taps()
        return self._by_taps

    def _collect_taps(self) -> tuple[list[Expr], list[Expr]]:
        spec = self.spec
        upstream, inputs, weights = self.upstream, self.inputs, self.weights
        connections = Connections(spec)
        to_input: list[list[tuple[Symbol, Symbol]]] = [[] for _ in inputs]
        to_weight: list[list[tuple[Symbol, Symbol]]] = [[] for _ in weights]
        windows = [axis_windows(spec, axis) for axis in range(spec.ndim)]
        for position in connections.positions():
            spatial = connections.spatial_taps(
                tuple(w[p] for w, p in zip(windows, position, strict=True))
            )
            for channel in range(spec.c_out):
                g = upstream[connections.output_flat(channel, position)]
                for weight, column in connections.taps(channel, position, spatial):
                    to_input[column].append((weights[weight], g))
                    to_weight[weight].append((g, inputs[column]))
        return (
            [_sum_of_products(terms) for terms in to_input],
            [_sum_of_products(terms) for terms in to_weight],
        )
