"""Output elements as SymPy expressions: one element, or all of them.

An output element is a sum of ``weight * input`` products (plus a bias). SymPy's
``Add`` and ``Mul`` canonicalise their arguments on every call, which dominates
the cost of large layers; here each product and sum is assembled directly in
SymPy's canonical argument order, giving the very same expression
(``==`` and ``hash`` agree with ``Add(*terms)``) several times faster.

>>> from symconv.layers.spec import ConvSpec
>>> Outputs(ConvSpec.build(9, 3)).element((0,))
k_1*x_1 + k_2*x_2 + k_3*x_3
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cmp_to_key

from sympy import (
    Add,
    Array,
    Basic,
    Eq,
    Expr,
    Indexed,
    IndexedBase,
    Integer,
    Mod,
    Mul,
    Pow,
    S,
    Sum,
    Symbol,
    floor,
)

from symconv.layers.containers import gc_paused
from symconv.layers.geometry import tap_input
from symconv.layers.patterns import window_patterns
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable, letter_sorts_before, ravel
from symconv.layers.windows import Connections

__all__ = [
    "ElementFormula",
    "Outputs",
    "TermEnds",
    "general_element_formula",
    "group_index",
    "linear_form",
    "normalize_index",
    "ordered_sum",
]

_canonical_order = cmp_to_key(Basic.compare)


@dataclass(frozen=True)
class TermEnds:
    """The first and last terms of a sum too long to build, and how many terms it has."""

    head: tuple[Expr, ...]
    tail: tuple[Expr, ...]
    count: int


def _symbol_before_product() -> bool:
    """Whether SymPy sorts a symbol before a product in a sum (``b + k*x``)."""
    a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    order: int = Basic.compare(c, Mul._from_args((a, b), True))
    return order < 0


#: In a sum SymPy orders symbols, then products, by class; within a class by
#: content, which for plain symbols is their name and for ``w*x`` the pair of
#: names. So plain names, compared as strings, give SymPy's canonical order.
_SYMBOL_FIRST = _symbol_before_product()


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
    named: list[tuple[str, str, Expr, Expr]] = []
    append = named.append
    for weight, value in pairs:
        if type(weight) is not Symbol or type(value) is not Symbol:
            return _sorted_form(pairs, constant)
        first, second = weight.name, value.name
        if first < second:
            append((first, second, weight, value))
        elif second < first:
            append((second, first, value, weight))
        else:
            return _sorted_form(pairs, constant)
    if constant is not None and (type(constant) is not Symbol or not _SYMBOL_FIRST):
        return _sorted_form(pairs, constant)
    named.sort(key=_NAMES)
    keys = list(map(_NAMES, named))
    terms: list[Expr] = list(map(Mul._from_args, map(_FACTORS, named), itertools.repeat(True)))
    if any(map(operator.eq, keys, itertools.islice(keys, 1, None))):
        return Add(*terms, *([constant] if constant is not None else []))
    if constant is not None:
        terms.insert(0, constant)
    return ordered_sum(terms)


_NAMES = operator.itemgetter(0, 1)
_FACTORS = operator.itemgetter(2, 3)


def ordered_sum(terms: list[Expr]) -> Expr:
    """``Add(*terms)`` for terms already distinct and in SymPy's canonical order."""
    if not terms:
        return S.Zero
    if len(terms) == 1:
        return terms[0]
    return Add._from_args(terms, True)


def _sorted_form(pairs: list[tuple[Expr, Expr]], constant: Expr | None) -> Expr:
    """:func:`linear_form` for any symbols, sorted with SymPy's own comparison."""
    terms: list[Expr] = []
    for weight, value in pairs:
        if not (weight.is_Symbol and value.is_Symbol) or weight == value:
            return Add(*(w * x for w, x in pairs), *([constant] if constant is not None else []))
        pair = (
            (weight, value)
            if _canonical_order(weight) < _canonical_order(value)
            else (value, weight)
        )
        terms.append(Mul._from_args(pair, True))
    if constant is not None:
        terms.append(constant)
    if len(terms) != len(set(terms)):
        return Add(*terms)
    terms.sort(key=_canonical_order)
    return ordered_sum(terms)


def group_index(channel: Expr, per_group: int) -> Expr:
    """The 0-based group of 1-based ``channel``: ``floor((channel - 1)/per_group)``.

    Kept as written (SymPy would print ``floor(c/2 - 1/2)``).

    >>> group_index(Symbol("o"), 3)
    floor((o - 1)/3)
    """
    if per_group == 1:
        return channel - 1
    ratio = Mul(channel - 1, Pow(Integer(per_group), -1, evaluate=False), evaluate=False)
    result: Expr = floor(ratio, evaluate=False)
    return result


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
            f"index {index!r} has {len(items)} entries but the output shape {shape} "
            f"has {len(shape)}"
        )
    normalized = []
    for axis, (item, size) in enumerate(zip(items, shape, strict=True)):
        if isinstance(item, bool) or not hasattr(item, "__index__"):
            raise TypeError(f"index entries must be integers, got {item!r} for axis {axis}")
        value = int(item.__index__())
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
        """Every output element, shaped as ``output_shape``; linear in the matrix's nonzeros.

        Built per window pattern (:mod:`symconv.layers.patterns`). With shared
        weights the canonical order of an output's terms is the order of its
        weights' names (when the kernel letter sorts first), so it is found
        once per pattern and filter, not once per output.
        """
        spec = self.spec
        with gc_paused():
            symbols = self.symbols
            inputs = symbols.inputs()
            weights = symbols.weights()
            biases = symbols.biases() if spec.bias else None
            c_out = spec.c_out
            spatial_outputs = math.prod(spec.output_size)
            groups = spec.groups
            group_outputs = c_out // groups
            group_inputs = spec.c_in // groups * math.prod(spec.input_size)
            filter_size = spec.c_in // groups * math.prod(spec.kernel_size)
            weight_first = letter_sorts_before(spec.kernel_letter, spec.input_letter)
            elements: list[Expr] = [S.Zero] * (c_out * spatial_outputs)
            for pattern in window_patterns(spec):
                for channel in range(c_out):
                    first = channel * spatial_outputs
                    offset = channel // group_outputs * group_inputs
                    taps = [x + offset for x in pattern.inputs]
                    bias = biases[channel] if biases is not None and spec.shared else None
                    if spec.shared and weight_first and (bias is None or _SYMBOL_FIRST):
                        base = channel * filter_size
                        own = [weights[base + k] for k in pattern.kernel]
                        order = sorted(range(len(own)), key=[w.name for w in own].__getitem__)
                        pairs = [(own[t], taps[t]) for t in order]
                        for output, shift in zip(pattern.outputs, pattern.shifts, strict=True):
                            terms = [Mul._from_args((w, inputs[shift + x]), True) for w, x in pairs]
                            if bias is not None:
                                terms.insert(0, bias)
                            elements[first + output] = ordered_sum(terms)
                        continue
                    for output, shift in zip(pattern.outputs, pattern.shifts, strict=True):
                        filter_index = channel if spec.shared else output * c_out + channel
                        base = filter_index * filter_size
                        if biases is not None and not spec.shared:
                            bias = biases[first + output]
                        elements[first + output] = linear_form(
                            [
                                (weights[base + k], inputs[shift + x])
                                for k, x in zip(pattern.kernel, taps, strict=True)
                            ],
                            bias,
                        )
            return Array(elements, spec.output_shape)


# General element formulas -------------------------------------------------


def _index_names(ndim: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Output and kernel index names: ``i``/``j`` in 1-D, ``(i, j)``/``(m, n)`` in 2-D."""
    if ndim == 1:
        return ("i",), ("j",)
    if ndim == 2:
        return ("i", "j"), ("m", "n")
    return (
        tuple(f"i_{a + 1}" for a in range(ndim)),
        tuple(f"j_{a + 1}" for a in range(ndim)),
    )


def general_element_formula(ndim: int = 1, *, channels: bool = False) -> Eq:
    """The output element of any convolution as a SymPy ``Sum`` over ``Indexed`` terms.

    Indices are 1-based; ``s``, ``d``, ``p`` and ``K`` are symbols. An input index
    outside ``1..W`` refers to zero padding.

    >>> general_element_formula()
    Eq(y[i], Sum(k[j]*x[d*(j - 1) - p + s*(i - 1) + 1], (j, 1, K)))
    """
    outs, taps = _index_names(ndim)

    def suffix(axis: int) -> str:
        return "" if ndim == 1 else f"_{axis + 1}"

    out_idx = [Symbol(n, integer=True, positive=True) for n in outs]
    tap_idx = [Symbol(n, integer=True, positive=True) for n in taps]
    s = [Symbol(f"s{suffix(a)}", integer=True, positive=True) for a in range(ndim)]
    d = [Symbol(f"d{suffix(a)}", integer=True, positive=True) for a in range(ndim)]
    p = [Symbol(f"p{suffix(a)}", integer=True, nonnegative=True) for a in range(ndim)]
    K = [Symbol(f"K{suffix(a)}", integer=True, positive=True) for a in range(ndim)]
    coords = [s[a] * (out_idx[a] - 1) + d[a] * (tap_idx[a] - 1) + 1 - p[a] for a in range(ndim)]
    x, k, y = IndexedBase("x"), IndexedBase("k"), IndexedBase("y")
    limits = [(tap_idx[a], 1, K[a]) for a in range(ndim)]
    if channels:
        o = Symbol("o", integer=True, positive=True)
        c = Symbol("c", integer=True, positive=True)
        C_in = Symbol("C_in", integer=True, positive=True)
        body = k[(o, c, *tap_idx)] * x[(c, *coords)]
        return Eq(y[(o, *out_idx)], Sum(body, (c, 1, C_in), *limits))
    return Eq(y[tuple(out_idx)], Sum(k[tuple(tap_idx)] * x[tuple(coords)], *limits))


class ElementFormula:
    """The general output element of one convolution, with its numbers filled in.

    ``equation`` is ``Eq(y[i, ...], Sum(...))`` with 1-based ``Indexed`` terms;
    zero padding is implied by input indices outside ``1..W``, circular padding
    appears as ``Mod``. :meth:`expand` evaluates it at one output index.

    >>> from symconv.layers.spec import ConvSpec
    >>> formula = ElementFormula(ConvSpec.build(9, 3, padding="same"))
    >>> formula.equation
    Eq(y[i], Sum(k[j]*x[i + j - 2], (j, 1, 3)))
    >>> formula.expand((0,))
    k_2*x_1 + k_3*x_2
    """

    def __init__(self, spec: ConvSpec, symbols: SymbolTable | None = None) -> None:
        self.spec = spec
        self.symbols = symbols or SymbolTable(spec)
        ndim = spec.ndim
        outs, taps = _index_names(ndim)
        self.output_indices = tuple(Symbol(n, integer=True, positive=True) for n in outs)
        tap_idx = tuple(Symbol(n, integer=True, positive=True) for n in taps)
        self.x = IndexedBase(spec.input_letter)
        self.k = IndexedBase(spec.kernel_letter)
        self.b = IndexedBase(spec.bias_letter)
        self.y = IndexedBase("y")
        coords = []
        weight_taps = []
        for a in range(ndim):
            start = tap_input(
                self.output_indices[a] - 1,
                tap_idx[a] - 1,
                stride=spec.stride[a],
                before=spec.padding[a][0],
                dilation=spec.dilation[a],
            )
            if spec.padding_mode == "circular":
                coords.append(Mod(start, spec.input_size[a]) + 1)
            else:
                coords.append(start + 1)
            weight_taps.append(spec.kernel_size[a] + 1 - tap_idx[a] if spec.flip else tap_idx[a])
        limits = [(tap_idx[a], 1, spec.kernel_size[a]) for a in range(ndim)]
        spatial_out = list(self.output_indices)
        if spec.has_channels:
            o = Symbol("o", integer=True, positive=True)
            c = Symbol("c", integer=True, positive=True)
            filter_index = [o, c, *weight_taps]
            # With groups, filter o reads the input channels of its group only.
            group_first = (
                group_index(o, spec.group_out_channels) * spec.group_in_channels
                if spec.groups > 1
                else 0
            )
            input_index = [group_first + c, *coords]
            out_index = [o, *spatial_out]
            limits.insert(0, (c, 1, spec.group_in_channels))
            self.channel_index: Symbol | None = o
        else:
            filter_index, input_index, out_index = list(weight_taps), coords, spatial_out
            self.channel_index = None
        weight_index = filter_index if spec.shared else [*spatial_out, *filter_index]
        rhs: Expr = Sum(self.k[tuple(weight_index)] * self.x[tuple(input_index)], *limits)
        if spec.bias:
            bias_index = ([o] if spec.has_channels else []) if spec.shared else out_index
            rhs = rhs + (self.b[tuple(bias_index)] if bias_index else Symbol(spec.bias_letter))
        # Never decidable, so built without asking SymPy to decide it (the same object).
        self.equation = Eq(self.y[tuple(out_index)], rhs, evaluate=False)

    def __repr__(self) -> str:
        return repr(self.equation)

    def expand(self, index: object) -> Expr:
        """Evaluate the formula at a 0-based output ``index`` in terms of the layer's symbols.

        ``index`` is an int or tuple over ``output_shape``, negative entries allowed.
        """
        spec = self.spec
        index = normalize_index(index, spec.output_shape)
        values = dict(zip(self.output_indices, (i + 1 for i in index[-spec.ndim :]), strict=True))
        if self.channel_index is not None:
            values[self.channel_index] = index[0] + 1
        expanded = self.equation.rhs.xreplace(values).doit()
        replacements: dict[Expr, Expr] = {}
        for term in expanded.atoms(Indexed):
            position = tuple(int(i) - 1 for i in term.indices)
            if term.base == self.x:
                inside = all(0 <= i < n for i, n in zip(position, spec.input_shape, strict=True))
                replacements[term] = (
                    self.symbols.input(ravel(position, spec.input_shape)) if inside else S.Zero
                )
            elif term.base == self.k:
                replacements[term] = self.symbols.weight(ravel(position, spec.weight_shape))
            else:
                replacements[term] = self.symbols.bias(ravel(position, spec.bias_shape))
        result: Expr = expanded.xreplace(replacements)
        return result
