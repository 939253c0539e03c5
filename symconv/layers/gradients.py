"""Backpropagation through a convolution: ``dL/dx``, ``dL/dk``, ``dL/db`` from ``g = dL/dy``.

Every tap ``(weight k_w, input x_i)`` of output ``y_r`` contributes ``k_w x_i`` to
``y_r``, so by the chain rule it contributes ``g_r k_w`` to ``dL/dx_i`` and
``g_r x_i`` to ``dL/dk_w``; a bias contributes ``g_r`` to ``dL/db``. The
gradients are therefore built from the very taps of the forward pass, in time
linear in the matrix's nonzeros, and ``dL/dx = M^T g``. Each sum is made in
SymPy's canonical order directly (:mod:`symconv.layers.gradient_sums`), as the forward
pass's are.

What a course proves follows: ``dL/dx`` is a transposed convolution of ``g``,
a correlation of ``g`` (``s - 1`` zeros inserted between its entries at stride
``s``) with the flipped kernel, padded by ``d (K - 1) - p`` per side (the full
correlation without padding) and after by the positions past the last window
too; ``dL/dk`` is a correlation of the input with ``g`` spread likewise.
:func:`input_gradient_as_correlation` and :func:`kernel_gradient_as_correlation`
give those numbers for one layer.

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
from dataclasses import dataclass

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
from symconv.layers.expressions import TermEnds, group_index, linear_form, normalize_index
from symconv.layers.geometry import tap_input, tap_output, transpose_taps
from symconv.layers.gradient_sums import GradientSums
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable, ravel, symbol_name, symbol_names, unravel
from symconv.layers.validators import letter

__all__ = [
    "CorrelationAxis",
    "GradientEntries",
    "GradientFormula",
    "GradientFormulas",
    "Gradients",
    "InputGradientCorrelation",
    "KernelGradientCorrelation",
    "TermEnds",
    "input_gradient_as_correlation",
    "kernel_gradient_as_correlation",
]


def _upstream_letter(spec: ConvSpec, name: object) -> str:
    chosen = letter("upstream_letter", name)
    taken = {spec.input_letter, spec.kernel_letter, spec.bias_letter, "y", "L"}
    if chosen in taken:
        raise SpecError(
            f"upstream_letter must differ from the letters in use ({', '.join(sorted(taken))}), "
            f"got {chosen!r}"
        )
    return chosen


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


# One entry at a time -----------------------------------------------------------


def _axis_reaching(spec: ConvSpec, axis: int, index: int) -> list[tuple[int, int]]:
    """``(output, weight tap)`` pairs along ``axis`` whose tap meets input ``index``.

    Output ``p`` meets ``p s + t d - before`` through window tap ``t`` (wrapped
    around the input when circular), so only the outputs ``p s = index + before
    - t d`` (plus multiples of the input's size when circular) reach ``index``.
    """
    size, kernel = spec.input_size[axis], spec.kernel_size[axis]
    stride, dilation = spec.stride[axis], spec.dilation[axis]
    outputs, before = spec.output_size[axis], spec.padding[axis][0]
    circular = spec.padding_mode == "circular"
    if not circular:  # the outputs a transposed convolution would spread input ``index`` onto
        return [
            (output, kernel - 1 - tap if spec.flip else tap)
            for tap, output in transpose_taps(
                index, outputs, kernel, stride=stride, padding=before, dilation=dilation
            )
        ]
    pairs: list[tuple[int, int]] = []
    for tap in range(kernel):
        base = index + before - tap * dilation
        reached = range(base % size, outputs * stride, size)  # every wrap of the input
        weight = kernel - 1 - tap if spec.flip else tap
        pairs.extend(
            (value // stride, weight)
            for value in reached
            if value >= 0 and value % stride == 0 and value // stride < outputs
        )
    return pairs


def _axis_swept(spec: ConvSpec, axis: int, weight: int) -> list[tuple[int, int]]:
    """``(output, input)`` pairs along ``axis`` that weight tap ``weight`` meets."""
    size, kernel = spec.input_size[axis], spec.kernel_size[axis]
    stride, dilation = spec.stride[axis], spec.dilation[axis]
    before = spec.padding[axis][0]
    offset = (kernel - 1 - weight if spec.flip else weight) * dilation - before
    starts = range(offset, offset + spec.output_size[axis] * stride, stride)
    if spec.padding_mode == "circular":
        return [(p, start % size) for p, start in enumerate(starts)]
    return [(p, start) for p, start in enumerate(starts) if 0 <= start < size]


def _axis_swept_run(spec: ConvSpec, axis: int, weight: int) -> tuple[range, int, int]:
    """The outputs along ``axis`` that weight tap ``weight`` meets inside the input, as a
    range, with the input ``offset + p * stride`` output ``p`` reads (no circular padding):
    :func:`_axis_swept` without listing them."""
    size, kernel = spec.input_size[axis], spec.kernel_size[axis]
    stride, dilation = spec.stride[axis], spec.dilation[axis]
    offset = (kernel - 1 - weight if spec.flip else weight) * dilation - spec.padding[axis][0]
    first = max(0, -(offset // stride))  # the first p with offset + p * stride >= 0
    last = min(spec.output_size[axis] - 1, (size - 1 - offset) // stride)
    return range(first, last + 1), offset, stride


def _combined(
    axes: Sequence[list[tuple[int, int]]], strides: tuple[Sequence[int], Sequence[int]]
) -> list[tuple[int, int]]:
    """Per-axis pairs combined into flat (row-major) pairs over every axis."""
    pairs = [(0, 0)]
    for axis_pairs, first, second in zip(axes, *strides, strict=True):
        pairs = [(a + p * first, b + q * second) for a, b in pairs for p, q in axis_pairs]
    return pairs


class GradientEntries:
    """Entries of ``dL/dx``, ``dL/dk`` and ``dL/db`` one at a time, each built from
    only the taps that meet it: the entries :class:`Gradients` holds, for a few
    entries of a layer too large to build whole.

    Entries are numbered row-major (flat) in the shapes of :class:`Gradients`:
    ``input_shape``, ``weight_shape`` and ``bias_shape`` (``(1,)`` for a lone bias).

    >>> entries = GradientEntries(ConvSpec.build(10**5, 3))
    >>> entries.input(1), entries.input(10**5 - 1)
    (g_1*k_2 + g_2*k_1, g_99998*k_3)
    >>> len(entries.kernel(0).args)
    99998
    """

    def __init__(
        self, spec: ConvSpec, symbols: SymbolTable | None = None, upstream_letter: object = "g"
    ) -> None:
        self.spec = spec
        self.upstream_letter = _upstream_letter(spec, upstream_letter)
        self._symbols = symbols or SymbolTable(spec)
        self.input_shape = spec.input_shape
        self.kernel_shape = spec.weight_shape
        self.bias_shape: tuple[int, ...] | None = spec.bias_shape if spec.bias else None
        self._spatial_inputs = math.prod(spec.input_size)
        self._spatial_outputs = math.prod(spec.output_size)
        self._reads, self._per_group = spec.group_in_channels, spec.group_out_channels
        self._channels: dict[str, tuple[int, list[Symbol]]] = {}

    def _upstream(self, flat: int) -> Symbol:
        name = symbol_name(self.upstream_letter, unravel(flat, self.spec.output_shape))
        symbol: Symbol = make_symbols((name,))[0]
        return symbol

    def _position(self, flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
        return unravel(normalize_index(flat, (math.prod(shape),))[0], shape)

    def input(self, flat: int) -> Expr:
        """``dL/dx`` at row-major position ``flat`` of ``input_shape``: its ``g_r k_w``."""
        spec = self.spec
        position = self._position(flat, self.input_shape)
        channel, spatial = (position[0], position[1:]) if spec.has_channels else (0, position)
        reached = _combined(
            [_axis_reaching(spec, a, i) for a, i in enumerate(spatial)],
            (_strides(spec.output_size), _strides(spec.kernel_size)),
        )
        group, local = divmod(channel, self._reads)
        kernel_count = spec.kernel_count
        terms = []
        for o in range(group * self._per_group, (group + 1) * self._per_group):
            for output, tap in reached:
                filter_ = o if spec.shared else output * spec.c_out + o
                weight = (filter_ * self._reads + local) * kernel_count + tap
                terms.append(
                    (
                        self._upstream(o * self._spatial_outputs + output),
                        self._symbols.weight(weight),
                    )
                )
        return linear_form(terms) if terms else S.Zero

    def kernel(self, flat: int) -> Expr:
        """``dL/dk`` at row-major position ``flat`` of ``weight_shape``: its ``g_r x_i``."""
        spec = self.spec
        flat = normalize_index(flat, (math.prod(self.kernel_shape),))[0]
        rest, tap = divmod(flat, spec.kernel_count)
        rest, local = divmod(rest, self._reads)
        output, o = divmod(rest, spec.c_out)  # output: the position of an unshared weight
        taps = unravel(tap, spec.kernel_size)
        channel = o // self._per_group * self._reads + local
        if not spec.shared:  # one output's weight: one product, or 0 in the padding
            swept = _combined(
                [_axis_swept(spec, a, w) for a, w in enumerate(taps)],
                (_strides(spec.output_size), _strides(spec.input_size)),
            )
            met = [i for p, i in swept if p == output]
            if not met:
                return S.Zero
            upstream = self._upstream(o * self._spatial_outputs + output)
            return Mul(upstream, self._symbols.input(channel * self._spatial_inputs + met[0]))
        swept = _combined(
            [_axis_swept(spec, a, w) for a, w in enumerate(taps)],
            (_strides(spec.output_size), _strides(spec.input_size)),
        )
        upstream = self._channel(self.upstream_letter, o, spec.output_size)
        inputs = self._channel(spec.input_letter, channel, spec.input_size)
        return linear_form([(upstream[p], inputs[i]) for p, i in swept]) if swept else S.Zero

    def kernel_ends(self, flat: int, keep: int) -> Expr | TermEnds:
        """``dL/dk`` at ``flat`` as :meth:`kernel` gives it, or, when it sums more than
        ``keep`` products, only its first and last ``keep // 2``-odd products and their
        count: an entry of a long layer printed without building its million terms.

        The products come in the order a person writes them (that of
        ``symconv.notation.natural_terms``): along the output positions, which is
        along the inputs too unless circular padding wraps them round.

        >>> ends = GradientEntries(ConvSpec.build(10**6, 3)).kernel_ends(0, 4)
        >>> ends.head, ends.tail, ends.count
        ((g_1*x_1, g_2*x_2), (g_999997*x_999997, g_999998*x_999998), 999998)
        """
        spec = self.spec
        flat = normalize_index(flat, (math.prod(self.kernel_shape),))[0]
        if not spec.shared or spec.padding_mode == "circular":
            return self.kernel(flat)
        rest, tap = divmod(flat, spec.kernel_count)
        rest, local = divmod(rest, self._reads)
        o = rest % spec.c_out
        taps = unravel(tap, spec.kernel_size)
        # Per axis the outputs a tap meets are a run of positions, and their inputs an
        # arithmetic progression: only the ends are made, never the runs.
        axes = [_axis_swept_run(spec, a, w) for a, w in enumerate(taps)]
        count = math.prod(len(run) for run, _, _ in axes)
        if count <= keep:
            return self.kernel(flat)
        channel = o // self._per_group * self._reads + local
        strides = (_strides(spec.output_size), _strides(spec.input_size))

        def product(number: int) -> Expr:
            """The ``number``-th product in row-major order over the axes' runs."""
            p = i = 0
            for (run, offset, stride), out_step, in_step, weight in zip(
                axes, *strides, _strides([len(run) for run, _, _ in axes]), strict=True
            ):
                position = run[number // weight % len(run)]
                p += position * out_step
                i += (offset + position * stride) * in_step
            upstream = self._upstream(o * self._spatial_outputs + p)
            return Mul(upstream, self._symbols.input(channel * self._spatial_inputs + i))

        head = tuple(product(n) for n in range(keep // 2))
        tail = tuple(product(n) for n in range(count - (keep - keep // 2), count))
        return TermEnds(head, tail, count)

    def bias_ends(self, flat: int, keep: int) -> Expr | TermEnds:
        """``dL/db`` at ``flat``, or its first and last upstream values and their count
        when it sums more than ``keep`` (see :meth:`kernel_ends`)."""
        if self.bias_shape is None or not self.spec.shared or self._spatial_outputs <= keep:
            return self.bias(flat)
        flat = normalize_index(flat, (math.prod(self.bias_shape),))[0]
        first = flat * self._spatial_outputs
        last = first + self._spatial_outputs
        head = tuple(self._upstream(first + p) for p in range(keep // 2))
        tail = tuple(self._upstream(p) for p in range(last - (keep - keep // 2), last))
        return TermEnds(head, tail, self._spatial_outputs)

    def _channel(self, letter: str, channel: int, spatial: tuple[int, ...]) -> list[Symbol]:
        """Every symbol of one channel, made at once and kept: each sum of ``dL/dk``
        meets (nearly) all of them, and the next one meets the same."""
        kept = self._channels.get(letter)
        if kept is None or kept[0] != channel:  # one channel's symbols per letter at a time
            prefix = f"{letter}_{channel + 1}," if self.spec.has_channels else f"{letter}_"
            names = (prefix + name[1:] for name in symbol_names("", spatial))
            kept = self._channels[letter] = (channel, make_symbols(names))
        return kept[1]

    def bias(self, flat: int) -> Expr:
        """``dL/db`` at row-major position ``flat`` of ``bias_shape``: the ``g`` it is added to.

        Raises:
            SpecError: The layer has no bias.
        """
        if self.bias_shape is None:
            raise SpecError("the layer has no bias (bias=False): dL/db does not exist")
        flat = normalize_index(flat, (math.prod(self.bias_shape),))[0]
        if not self.spec.shared:
            return self._upstream(flat)
        first = flat * self._spatial_outputs
        return Add(*(self._upstream(first + p) for p in range(self._spatial_outputs)))


def _strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major strides of ``shape``: how far one step along each axis moves a flat index."""
    return tuple(math.prod(shape[axis + 1 :]) for axis in range(len(shape)))


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


# The identities, derived per layer ----------------------------------------------


@dataclass(frozen=True)
class CorrelationAxis:
    """How ``g`` (or the input) is spread and padded along one axis of a stated correlation.

    Attributes:
        zeros_between: Zeros inserted between neighbouring entries of ``g``: ``s - 1``.
        before: Zeros put before; a negative number drops that many entries instead.
        after: Zeros put after; a negative number drops that many entries instead.
        full: ``d (K - 1)``, what a full correlation pads on each side.
        unreached: Positions of the padded input past the last window (``0 .. s - 1``).
    """

    zeros_between: int
    before: int
    after: int
    full: int
    unreached: int


@dataclass(frozen=True)
class InputGradientCorrelation:
    """``dL/dx`` as one correlation: ``g`` spread and padded per axis, with the kernel.

    ``dL/dx`` is the correlation (stride 1) of ``g`` with ``zeros_between``
    zeros between its entries and ``before``/``after`` zeros around them, with
    the kernel flipped along every axis when ``kernel_flipped`` and dilated by
    ``kernel_dilation`` (``d - 1`` zeros between its weights).
    """

    axes: tuple[CorrelationAxis, ...]
    kernel_flipped: bool
    kernel_dilation: tuple[int, ...]

    @property
    def full(self) -> bool:
        """Every axis padded by ``d (K - 1)`` on both sides: the full correlation."""
        return all(a.before == a.after == a.full for a in self.axes)


@dataclass(frozen=True)
class KernelGradientCorrelation:
    """``dL/dk`` as one correlation: the input, padded per axis, with ``g`` spread by the stride.

    ``dL/dk`` is the correlation of the input, with ``before``/``after`` zeros
    around it (negative: entries dropped), with ``g`` with ``zeros_between``
    zeros between its entries, taking every ``step``-th value (the dilation);
    reversed along every axis when ``result_flipped`` (the forward pass flipped
    the kernel).
    """

    axes: tuple[CorrelationAxis, ...]
    step: tuple[int, ...]
    result_flipped: bool


def _axes_of(spec: ConvSpec) -> list[tuple[int, int, int, int, int]]:
    """Per axis ``(s, full, before, after, unreached)`` of the forward pass."""
    found = []
    for n, k, s, d, (before, after), outputs in zip(
        spec.input_size,
        spec.kernel_size,
        spec.stride,
        spec.dilation,
        spec.padding,
        spec.output_size,
        strict=True,
    ):
        full = d * (k - 1)
        # The padded axis is the windows' reach, (outputs - 1) s + span, plus what is left over.
        unreached = n + before + after - (outputs - 1) * s - (full + 1)
        found.append((s, full, before, after, unreached))
    return found


def _fits_one_correlation(spec: ConvSpec) -> bool:
    # Circular padding wraps the sums; channels sum over filters; unshared weights
    # change with the position: then no single correlation states the gradient.
    return spec.padding_mode == "zeros" and spec.shared and not spec.has_channels


def input_gradient_as_correlation(spec: ConvSpec) -> InputGradientCorrelation | None:
    """``dL/dx`` as a correlation of ``g``, or ``None`` where no single one states it.

    Output ``r`` meets input ``u = r s + w d - p`` through tap ``w`` (0-based),
    so ``dL/dx_u`` sums ``g_r k_w`` over those pairs. Spread ``g`` by the stride
    and the flipped kernel meets it at ``u + p - w d``: ``d (K - 1) - p`` zeros
    before, and after enough to give ``n`` values, ``d (K - 1) - p_after`` plus
    the positions past the last window.

    >>> from symconv.layers.spec import ConvSpec
    >>> found = input_gradient_as_correlation(ConvSpec.build(8, 3, stride=2))
    >>> [(a.zeros_between, a.before, a.after) for a in found.axes], found.kernel_flipped
    ([(1, 2, 3)], True)
    >>> found = input_gradient_as_correlation(ConvSpec.build((4, 4), 2, padding=1))
    >>> [(a.before, a.after) for a in found.axes], found.full
    ([(0, 0), (0, 0)], False)
    """
    if not _fits_one_correlation(spec):
        return None
    axes = tuple(
        CorrelationAxis(s - 1, full - before, full - after + unreached, full, unreached)
        for s, full, before, after, unreached in _axes_of(spec)
    )
    return InputGradientCorrelation(axes, not spec.flip, spec.dilation)


def kernel_gradient_as_correlation(spec: ConvSpec) -> KernelGradientCorrelation | None:
    """``dL/dk`` as a correlation of the input with ``g``, or ``None`` where none states it.

    ``dL/dk_w`` sums ``g_r x_(r s + w d - p)``: the padded input meets ``g``
    spread by the stride at step ``d``. The positions past the last window meet
    no ``g``, so they are dropped after (or the padding after shortened).

    >>> from symconv.layers.spec import ConvSpec
    >>> found = kernel_gradient_as_correlation(ConvSpec.build(8, 3, stride=2))
    >>> [(a.zeros_between, a.before, a.after) for a in found.axes], found.step
    ([(1, 0, -1)], (1,))
    """
    if not _fits_one_correlation(spec):
        return None
    axes = tuple(
        CorrelationAxis(s - 1, before, after - unreached, full, unreached)
        for s, full, before, after, unreached in _axes_of(spec)
    )
    return KernelGradientCorrelation(axes, spec.dilation, spec.flip)
