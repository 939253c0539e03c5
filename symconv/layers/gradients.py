"""Backpropagation through a convolution: ``dL/dx``, ``dL/dk``, ``dL/db`` from ``g = dL/dy``.

Every tap ``(weight k_w, input x_i)`` of output ``y_r`` contributes ``k_w x_i`` to
``y_r``, so by the chain rule it contributes ``g_r k_w`` to ``dL/dx_i`` and
``g_r x_i`` to ``dL/dk_w``; a bias contributes ``g_r`` to ``dL/db``. The
gradients are therefore built from the very taps of the forward pass, in time
linear in the matrix's nonzeros, and ``dL/dx = M^T g``. Each sum is made in
SymPy's canonical order directly (:class:`GradientSums`), as the forward
pass's are.

What a course proves follows: ``dL/dx`` is a transposed convolution of ``g``
(at stride 1 a full correlation of ``g`` with the flipped kernel, with
``s - 1`` zeros inserted between the ``g`` at stride ``s``), and ``dL/dk`` is a
correlation of the input with ``g``.

At stride 2 the index of ``g`` is a whole number for every other tap only:

>>> from symconv.layers.spec import ConvSpec
>>> grads = Gradients(ConvSpec.build(5, 3, stride=2))
>>> grads.input
[g_1*k_1, g_1*k_2, g_1*k_3 + g_2*k_1, g_2*k_2, g_2*k_3]
>>> grads.formulas.input
Eq(Derivative(L, x[u]), Sum(g[-j/2 + u/2 + 1]*k[j], (j, 1, 3)))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sympy import (
    Add,
    Array,
    Derivative,
    Eq,
    Expr,
    Indexed,
    IndexedBase,
    KroneckerDelta,
    Mod,
    Mul,
    S,
    Sum,
    Symbol,
)

from symconv.errors import SpecError
from symconv.layers.containers import gc_paused, make_symbols
from symconv.layers.expressions import group_index, linear_form, normalize_index
from symconv.layers.geometry import tap_input, tap_output
from symconv.layers.patterns import (
    TapPairs,
    kernel_sweeps,
    reaching_taps,
    spatial_name_order,
)
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable, ravel, symbol_name, symbol_names, unravel
from symconv.layers.validators import letter
from symconv.layers.windows import Connections, axis_windows

__all__ = ["GradientFormula", "GradientFormulas", "GradientSums", "Gradients"]


def _upstream_letter(spec: ConvSpec, name: object) -> str:
    chosen = letter("upstream_letter", name)
    taken = {spec.input_letter, spec.kernel_letter, spec.bias_letter, "y", "L"}
    if chosen in taken:
        raise SpecError(
            f"upstream_letter must differ from the letters in use ({', '.join(sorted(taken))}), "
            f"got {chosen!r}"
        )
    return chosen


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


def _ordered_sum(terms: list[Expr]) -> Expr:
    """``Add(*terms)`` for distinct terms already in SymPy's canonical order."""
    if not terms:
        return S.Zero
    if len(terms) == 1:
        return terms[0]
    result: Expr = Add._from_args(terms, True)
    return result


def _sorts_before(first: str, second: str) -> bool:
    """Whether every symbol lettered ``first`` sorts before every one lettered ``second``."""
    return first + "_" < second + "_"


class GradientSums:
    """The entries of ``dL/dx``, ``dL/dk`` and ``dL/db``, flat, each sum in SymPy's order.

    Upstream symbols sort first in their products when their letter does
    (``g`` before ``k`` and ``x``), and a sum's products then sort by the names
    of their ``g``: the output channel's, then each spatial axis's
    (:func:`~symconv.layers.patterns.name_order`). :func:`reaching_taps` and
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

    def input(self) -> list[Expr]:
        """``dL/dx``, flat in ``input_shape``: each input's ``g_r k_w``, ``g`` by name."""
        spec = self.spec
        reach = (
            reaching_taps(spec) if _sorts_before(self.upstream_letter, spec.kernel_letter) else None
        )
        if reach is None:
            return self.tap_by_tap()[0]
        upstream, weights = self.upstream, self.weights
        reads, per_group = spec.group_in_channels, spec.group_out_channels
        spatial_outputs, kernel_count = math.prod(spec.output_size), spec.kernel_count
        if not spec.shared:
            # Weight (position, o, c, tap) is flat at position * per_position + (o, c, tap).
            per_position = spec.c_out * reads * kernel_count
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
                gradient.append(_ordered_sum(terms))
        return gradient

    def kernel(self) -> list[Expr]:
        """``dL/dk``, flat in ``weight_shape``: each weight's ``g_r x_i``, ``g`` by name."""
        spec = self.spec
        if not _sorts_before(self.upstream_letter, spec.input_letter):
            return self.tap_by_tap()[1]
        sweeps = kernel_sweeps(spec)
        if not spec.shared:
            return self._unshared_kernel(sweeps)
        upstream, inputs = self.upstream, self.inputs
        reads, per_group = spec.group_in_channels, spec.group_out_channels
        spatial_outputs, spatial_inputs = math.prod(spec.output_size), math.prod(spec.input_size)
        product = Mul._from_args
        gradient: list[Expr] = []
        for o in range(spec.c_out):
            g = o * spatial_outputs
            for local in range(reads):
                x = (o // per_group * reads + local) * spatial_inputs
                for pairs in sweeps:
                    terms = [product((upstream[g + p], inputs[x + i]), True) for p, i in pairs]
                    gradient.append(_ordered_sum(terms))
        return gradient

    def _unshared_kernel(self, sweeps: list[TapPairs]) -> list[Expr]:
        """Each unshared weight meets one output: its gradient is one product, or 0 in padding."""
        spec = self.spec
        upstream, inputs = self.upstream, self.inputs
        reads, per_group = spec.group_in_channels, spec.group_out_channels
        spatial_outputs, spatial_inputs = math.prod(spec.output_size), math.prod(spec.input_size)
        per_position = spec.c_out * reads * spec.kernel_count
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
        spatial_outputs = math.prod(spec.output_size)
        order = spatial_name_order(spec.output_size)
        return [
            _ordered_sum([self.upstream[o * spatial_outputs + p] for p in order])
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


class Gradients:
    """The gradients of one convolution, as SymPy arrays in the upstream symbols ``g``.

    Attributes:
        upstream: ``g = dL/dy``, shaped like ``output_shape`` (``g_1 ... g_7``).
        input: ``dL/dx``, shaped like ``input_shape``; equals ``M^T g``.
        kernel: ``dL/dk``, shaped like ``kernel_symbols``.
        bias: ``dL/db`` shaped like ``bias_symbols``, or ``None`` without bias.
    """

    def __init__(
        self, spec: ConvSpec, symbols: SymbolTable | None = None, upstream_letter: object = "g"
    ) -> None:
        self.spec = spec
        self.upstream_letter = _upstream_letter(spec, upstream_letter)
        symbols = symbols or SymbolTable(spec)
        # Every product is built here at once: the collector would only walk them.
        with gc_paused():
            sums = GradientSums(spec, symbols, self.upstream_letter)
            self.upstream = Array(sums.upstream, spec.output_shape)
            self.input = Array(sums.input(), spec.input_shape)
            self.kernel = Array(sums.kernel(), spec.weight_shape)
            self.bias: Array | None = Array(sums.bias(), spec.bias_shape) if spec.bias else None
        self._symbols = symbols
        self._formulas: GradientFormulas | None = None

    def __repr__(self) -> str:
        return f"Gradients(input={self.input}, kernel={self.kernel}, bias={self.bias})"

    @property
    def formulas(self) -> GradientFormulas:
        """The three gradients as general ``Sum`` formulas over 1-based ``Indexed`` terms."""
        if self._formulas is None:
            self._formulas = GradientFormulas(self.spec, self._symbols, self.upstream_letter)
        return self._formulas


# General formulas -----------------------------------------------------------


def _names(ndim: int, one: str, two: tuple[str, str]) -> tuple[str, ...]:
    if ndim == 1:
        return (one,)
    if ndim == 2:
        return two
    return tuple(f"{one}_{a + 1}" for a in range(ndim))


def _index(names: Sequence[str]) -> tuple[Symbol, ...]:
    return tuple(Symbol(n, integer=True, positive=True) for n in names)


class GradientFormula:
    """One gradient as ``Eq(Derivative(L, v[...]), Sum(...))``, evaluable at an index.

    Indexed terms whose index is not a whole number in range stand for zero:
    padding for ``x``, the zeros between upstream values at stride ``s`` for ``g``.
    """

    def __init__(
        self,
        equation: Eq,
        lhs_indices: tuple[Symbol, ...],
        shape: tuple[int, ...],
        formulas: GradientFormulas,
    ) -> None:
        self.equation = equation
        self.lhs_indices = lhs_indices
        self.shape = shape
        self._formulas = formulas

    def __repr__(self) -> str:
        return repr(self.equation)

    def expand(self, index: object) -> Expr:
        """Evaluate at a 0-based ``index`` into the gradient's array (negatives allowed)."""
        position = normalize_index(index, self.shape)
        # A lone bias b (no channel axes) has no index of its own: its array has one entry.
        indices = position if self.lhs_indices else ()
        values = {s: i + 1 for s, i in zip(self.lhs_indices, indices, strict=True)}
        return self._formulas.evaluate(self.equation.rhs.xreplace(values).doit())


class GradientFormulas:
    """``dL/dx``, ``dL/dk`` and ``dL/db`` of one convolution as general formulas.

    >>> from symconv.layers.spec import ConvSpec
    >>> formulas = GradientFormulas(ConvSpec.build(9, 3))
    >>> formulas.input
    Eq(Derivative(L, x[u]), Sum(g[-j + u + 1]*k[j], (j, 1, 3)))
    >>> formulas.kernel
    Eq(Derivative(L, k[j]), Sum(g[i]*x[i + j - 1], (i, 1, 7)))
    """

    def __init__(
        self, spec: ConvSpec, symbols: SymbolTable | None = None, upstream_letter: str = "g"
    ) -> None:
        self.spec = spec
        self.symbols = symbols or SymbolTable(spec)
        self.upstream_letter = upstream_letter
        ndim = spec.ndim
        self.x = IndexedBase(spec.input_letter)
        self.k = IndexedBase(spec.kernel_letter)
        self.b = IndexedBase(spec.bias_letter)
        self.g = IndexedBase(upstream_letter)
        loss = Symbol("L")
        outs = _index(_names(ndim, "i", ("i", "j")))
        taps = _index(_names(ndim, "j", ("m", "n")))
        ins = _index(_names(ndim, "u", ("u", "v")))
        o = Symbol("o", integer=True, positive=True)
        c = Symbol("c", integer=True, positive=True)
        channels = spec.has_channels
        # Position of a tap in the window, for the weight index a tap carries (flip reverses).
        carried = [spec.kernel_size[a] + 1 - taps[a] if spec.flip else taps[a] for a in range(ndim)]

        def along(a: int) -> dict[str, int]:
            return {
                "stride": spec.stride[a],
                "before": spec.padding[a][0],
                "dilation": spec.dilation[a],
            }

        def coordinate(a: int, out: Expr, tap: Expr) -> Expr:
            # 1-based: the 0-based input that 0-based tap (tap - 1) of output (out - 1) meets.
            start = tap_input(out - 1, tap - 1, **along(a))
            if spec.padding_mode == "circular":
                return Mod(start, spec.input_size[a]) + 1
            return start + 1

        group_first = (
            group_index(o, spec.group_out_channels) * spec.group_in_channels
            if spec.groups > 1
            else S.Zero
        )
        out_limits = [(outs[a], 1, spec.output_size[a]) for a in range(ndim)]

        def weight(spatial: Sequence[Expr], channel: Expr, taps_: Sequence[Expr]) -> Expr:
            filt = [o, channel, *taps_] if channels else list(taps_)
            return self.k[tuple(filt if spec.shared else [*spatial, *filt])]

        def upstream(spatial: Sequence[Expr]) -> Expr:
            return self.g[tuple([o, *spatial] if channels else spatial)]

        # dL/dk: the input correlated with g, over the output positions.
        input_at = [coordinate(a, outs[a], carried[a]) for a in range(ndim)]
        x_term = self.x[tuple([group_first + c, *input_at] if channels else input_at)]
        kernel_body = upstream(outs) * x_term
        kernel_lhs = weight(outs, c, taps)
        kernel_rhs = Sum(kernel_body, *out_limits) if spec.shared else kernel_body
        kernel_indices = (*((o, c) if channels else ()), *taps)
        if not spec.shared:
            kernel_indices = (*outs, *kernel_indices)
        self.kernel = GradientFormula(
            Eq(Derivative(loss, kernel_lhs, evaluate=False), kernel_rhs),
            kernel_indices,
            spec.weight_shape,
            self,
        )

        # dL/dx: every output whose window meets input u, through the tap that meets it.
        tap_limits = [(taps[a], 1, spec.kernel_size[a]) for a in range(ndim)]
        # Input channel c feeds the filters of its group only (all of them without groups).
        group_of_c = group_index(c, spec.group_in_channels) if spec.groups > 1 else S.Zero
        local = c - group_of_c * spec.group_in_channels
        channel_limits = (
            [
                (
                    o,
                    group_of_c * spec.group_out_channels + 1,
                    (group_of_c + 1) * spec.group_out_channels,
                )
            ]
            if channels
            else []
        )
        channel_in = local if spec.groups > 1 else c
        if spec.padding_mode == "circular":
            delta: Expr = Mul(
                *(KroneckerDelta(coordinate(a, outs[a], taps[a]), ins[a]) for a in range(ndim))
            )
            body = weight(outs, channel_in, carried) * upstream(outs) * delta
            input_rhs: Expr = Sum(body, *channel_limits, *out_limits, *tap_limits)
        else:
            reached = [tap_output(ins[a] - 1, taps[a] - 1, **along(a)) + 1 for a in range(ndim)]
            body = weight(reached, channel_in, carried) * upstream(reached)
            input_rhs = Sum(body, *channel_limits, *tap_limits)
        input_lhs = self.x[tuple([c, *ins] if channels else ins)]
        self.input = GradientFormula(
            Eq(Derivative(loss, input_lhs, evaluate=False), input_rhs),
            (*((c,) if channels else ()), *ins),
            spec.input_shape,
            self,
        )

        # dL/db: the upstream of every output the bias is added to.
        self.bias: GradientFormula | None = None
        if spec.bias:
            if spec.shared:
                lhs: Expr = self.b[o] if channels else Symbol(spec.bias_letter)
                bias_rhs: Expr = Sum(upstream(outs), *out_limits)
                bias_indices: tuple[Symbol, ...] = (o,) if channels else ()
            else:
                bias_indices = (o, *outs) if channels else outs
                lhs = self.b[bias_indices]
                bias_rhs = upstream(outs)
            self.bias = GradientFormula(
                Eq(Derivative(loss, lhs, evaluate=False), bias_rhs),
                bias_indices,
                spec.bias_shape if not (spec.shared and not channels) else (1,),
                self,
            )

    def __repr__(self) -> str:
        return f"GradientFormulas(input={self.input!r}, kernel={self.kernel!r})"

    def evaluate(self, expanded: Expr) -> Expr:
        """Replace the ``Indexed`` terms of an evaluated formula by the layer's symbols.

        An index that is not a whole number in range stands for zero.
        """
        spec = self.spec
        shapes = {
            self.x: spec.input_shape,
            self.k: spec.weight_shape,
            self.b: spec.bias_shape,
            self.g: spec.output_shape,
        }
        replacements: dict[Expr, Expr] = {}
        for term in expanded.atoms(Indexed):
            shape = shapes[term.base]
            position = [i - 1 for i in term.indices]
            if not all(i.is_Integer and 0 <= i < n for i, n in zip(position, shape, strict=True)):
                replacements[term] = S.Zero
                continue
            flat = ravel([int(i) for i in position], shape)
            if term.base == self.x:
                replacements[term] = self.symbols.input(flat)
            elif term.base == self.k:
                replacements[term] = self.symbols.weight(flat)
            elif term.base == self.b:
                replacements[term] = self.symbols.bias(flat)
            else:
                replacements[term] = Symbol(
                    symbol_name(self.upstream_letter, unravel(flat, spec.output_shape))
                )
        result: Expr = expanded.xreplace(replacements)
        return result
