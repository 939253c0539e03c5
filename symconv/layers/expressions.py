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

from collections.abc import Iterable, Sequence
from functools import cmp_to_key

from sympy import Add, Array, Basic, Eq, Expr, Indexed, IndexedBase, Mod, Mul, S, Sum, Symbol

from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable, ravel
from symconv.layers.windows import Connections, axis_windows

__all__ = [
    "ElementFormula",
    "Outputs",
    "general_element_formula",
    "linear_form",
    "normalize_index",
]

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
            start = (
                spec.stride[a] * (self.output_indices[a] - 1)
                + spec.dilation[a] * (tap_idx[a] - 1)
                - spec.padding[a][0]
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
            input_index = [c, *coords]
            out_index = [o, *spatial_out]
            limits.insert(0, (c, 1, spec.c_in))
            self.channel_index: Symbol | None = o
        else:
            filter_index, input_index, out_index = list(weight_taps), coords, spatial_out
            self.channel_index = None
        weight_index = filter_index if spec.shared else [*spatial_out, *filter_index]
        rhs: Expr = Sum(self.k[tuple(weight_index)] * self.x[tuple(input_index)], *limits)
        if spec.bias:
            bias_index = ([o] if spec.has_channels else []) if spec.shared else out_index
            rhs = rhs + (self.b[tuple(bias_index)] if bias_index else Symbol(spec.bias_letter))
        self.equation = Eq(self.y[tuple(out_index)], rhs)

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
