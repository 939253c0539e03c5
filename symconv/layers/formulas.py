"""Output sizes and weight counts, for numbers and as general formulas.

>>> output_size(256, 5, stride=2)
126
>>> from sympy import symbols
>>> W, K, s, p = symbols("W K s p", integer=True, positive=True)
>>> output_size(W, K, stride=s, padding=p)
floor((-K + W + 2*p)/s) + 1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sympy import Basic, Expr, Integer, Symbol, apart, simplify

from symconv.errors import SpecError, SpecTypeError
from symconv.layers.cost import (
    convolution_macs_formula,
    separable_macs_formula,
    separable_weight_count_formula,
)
from symconv.layers.geometry import conv_output_size, same_output_size, span
from symconv.layers.spec import ConvSpec
from symconv.layers.validators import as_int

__all__ = ["LayerFormulas", "layer_formulas", "output_size"]


def _is_symbolic(value: object) -> bool:
    return isinstance(value, Basic) and not value.is_Integer


def _symbolic(name: str, value: object, minimum: int = 1) -> Expr:
    if isinstance(value, str):
        raise SpecTypeError(
            f"{name} must be an int or a SymPy expression such as Symbol({name[0]!r}), "
            f"got the string {value!r}"
        )
    if isinstance(value, Basic) and not value.is_Integer:
        if value.is_number:
            raise SpecError(f"{name} must be a whole number or a symbol, got {value}")
        if value.is_negative or (minimum >= 1 and value.is_nonpositive):
            raise SpecError(f"{name} must be at least {minimum}, got {value}, which is not")
        return value
    return Integer(as_int(name, value, minimum))


def output_size(
    W: Any,
    K: Any,
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
) -> Any:
    """Output length of one spatial axis: ``floor((W + 2p - d(K - 1) - 1)/s) + 1``.

    Plain ints give an int, and an invalid combination raises
    :class:`~symconv.SymconvError`. SymPy symbols give the general formula.
    ``padding`` is an amount per side, a ``(before, after)`` pair, or
    ``"valid"``, ``"same"`` (``ceil(W/s)``), ``"full"`` (``d(K - 1)`` per side).

    >>> output_size(9, 3), output_size(9, 3, padding="same"), output_size(9, 3, padding="full")
    (7, 9, 11)
    >>> from sympy import symbols
    >>> W, K, s, p, d = symbols("W K s p d")
    >>> output_size(W, K, stride=s, padding=p, dilation=d)
    floor((W - d*(K - 1) + 2*p - 1)/s) + 1
    >>> output_size(W, K, padding="same", stride=s)
    ceiling(W/s)
    """
    values = {"W": W, "K": K, "stride": stride, "dilation": dilation}
    if isinstance(padding, list):
        padding = tuple(padding)
    pad_values = padding if isinstance(padding, tuple) else (padding,)
    if not any(_is_symbolic(v) for v in (*values.values(), *pad_values)):
        spec = ConvSpec.build(
            as_int("W", W, 1),
            as_int("K", K, 1),
            stride=stride,
            padding=((padding,) if isinstance(padding, tuple) else padding),
            dilation=dilation,
        )
        return spec.output_size[0]
    width, kernel = _symbolic("W", W), _symbolic("K", K)
    step, spread = _symbolic("stride", stride), _symbolic("dilation", dilation)
    pads: tuple[Expr, Expr]
    if isinstance(padding, str):
        rule = padding.strip().lower()
        if rule == "same":
            return same_output_size(width, step)
        if rule == "valid":
            pads = (Integer(0), Integer(0))
        elif rule == "full":
            side = span(kernel, spread) - 1
            pads = (side, side)
        else:
            raise SpecError(
                f"padding must be an amount, a pair, 'valid', 'same' or 'full'; got {padding!r}"
            )
    elif isinstance(padding, tuple):
        if len(padding) != 2:
            raise SpecError(f"padding as a tuple must be a (before, after) pair, got {padding!r}")
        pads = (_symbolic("padding", padding[0], 0), _symbolic("padding", padding[1], 0))
    else:
        amount = _symbolic("padding", padding, 0)
        pads = (amount, amount)
    return conv_output_size(width, kernel, stride=step, padding=pads, dilation=spread)


#: The number of groups in the formulas of grouped layers.
GROUPS = Symbol("G", integer=True, positive=True)


@dataclass(frozen=True)
class LayerFormulas:
    """Shapes and weight counts of a convolution layer as formulas.

    The input is ``C_in x W x ... x W`` (``ndim`` spatial axes of size ``W``), the
    layer has ``C_out`` filters of ``K x ... x K``, stride ``s``, padding ``p``
    and dilation ``d``.

    >>> f = layer_formulas(ndim=2)
    >>> f.weight_count, f.dense_weight_count
    (C_in*C_out*K**2, C_in*C_out*W**2*(floor((W - d*(K - 1) + 2*p - 1)/s) + 1)**2)
    >>> f.evaluate(f.weight_count, W=256, K=5, C_in=3, C_out=32)
    2400
    """

    W: Symbol
    K: Symbol
    C_in: Symbol
    C_out: Symbol
    s: Symbol
    p: Symbol
    d: Symbol
    ndim: int
    output_size: Expr
    input_shape: tuple[Expr, ...]
    filter_shape: tuple[Expr, ...]
    output_shape: tuple[Expr, ...]
    weight_count: Expr
    bias_count: Expr
    unshared_weight_count: Expr
    unshared_bias_count: Expr
    dense_weight_count: Expr
    G: Symbol = GROUPS

    # Groups and cost (symconv.layers.cost) -----------------------------------

    @property
    def grouped_filter_shape(self) -> tuple[Expr, ...]:
        """One filter of a layer with ``G`` groups: ``(C_in / G, K, ...)``."""
        return (self.C_in / self.G, *(self.K,) * self.ndim)

    @property
    def grouped_weight_count(self) -> Expr:
        """Weights of a layer with ``G`` groups: ``C_out * C_in / G * K**ndim``."""
        result: Expr = self.C_out * self.C_in / self.G * self.K**self.ndim
        return result

    @property
    def macs(self) -> Expr:
        """Multiply-accumulates of one forward pass, every tap counted (``G = 1``)."""
        return convolution_macs_formula(self.output_size, self.K, self.C_in, self.C_out, self.ndim)

    @property
    def grouped_macs(self) -> Expr:
        """Multiply-accumulates with ``G`` groups: ``macs / G``."""
        return convolution_macs_formula(
            self.output_size, self.K, self.C_in, self.C_out, self.ndim, self.G
        )

    @property
    def flops(self) -> Expr:
        """``2 * macs``."""
        result: Expr = 2 * self.macs
        return result

    @property
    def dense_macs(self) -> Expr:
        """A fully connected layer's multiply-accumulates: one per weight."""
        return self.dense_weight_count

    @property
    def separable_weight_count(self) -> Expr:
        """A depthwise ``K`` convolution (``G = C_in``) then a pointwise 1x1 one to ``C_out``."""
        return separable_weight_count_formula(self.K, self.C_in, self.C_out, self.ndim)

    @property
    def separable_macs(self) -> Expr:
        """The depthwise-separable block's multiply-accumulates."""
        return separable_macs_formula(self.output_size, self.K, self.C_in, self.C_out, self.ndim)

    @property
    def separable_ratio(self) -> Expr:
        """Depthwise-separable over full convolution, weights and MACs alike.

        >>> layer_formulas(ndim=2).separable_ratio
        K**(-2) + 1/C_out
        """
        ratio = self.separable_weight_count / self.weight_count
        result: Expr = apart(simplify(ratio), self.C_out)
        return result

    def symbols(self) -> dict[str, Symbol]:
        """The formula symbols by name."""
        return {
            "W": self.W,
            "K": self.K,
            "C_in": self.C_in,
            "C_out": self.C_out,
            "s": self.s,
            "p": self.p,
            "d": self.d,
            "G": self.G,
        }

    def evaluate(self, formula: Any, **values: int) -> Any:
        """Substitute values (unnamed ones default to s=1, p=0, d=1, G=1) into a formula or shape.

        Raises:
            SymconvError: A value names no symbol of the formulas.
        """
        unknown = set(values) - set(self.symbols())
        if unknown:
            raise SpecError(
                f"unknown formula symbol(s) {sorted(unknown)}; allowed: {sorted(self.symbols())}"
            )
        given = {"s": 1, "p": 0, "d": 1, "G": 1, **values}
        substitution = {self.symbols()[name]: value for name, value in given.items()}
        if isinstance(formula, tuple):
            return tuple(self.evaluate(item, **values) for item in formula)
        result = formula.subs(substitution)
        return int(result) if result.is_Integer else result


def layer_formulas(ndim: int = 2) -> LayerFormulas:
    """Shapes and weight counts of a layer with ``ndim`` square spatial axes, as formulas."""
    ndim = as_int("ndim", ndim, 1)
    names = "W K C_in C_out s d"
    W, K, C_in, C_out, s, d = (Symbol(n, integer=True, positive=True) for n in names.split())
    p = Symbol("p", integer=True, nonnegative=True)
    out = output_size(W, K, stride=s, padding=p, dilation=d)
    filter_weights = C_in * K**ndim
    return LayerFormulas(
        W=W,
        K=K,
        C_in=C_in,
        C_out=C_out,
        s=s,
        p=p,
        d=d,
        ndim=ndim,
        output_size=out,
        input_shape=(C_in, *(W,) * ndim),
        filter_shape=(C_in, *(K,) * ndim),
        output_shape=(C_out, *(out,) * ndim),
        weight_count=C_out * filter_weights,
        bias_count=C_out,
        unshared_weight_count=out**ndim * C_out * filter_weights,
        unshared_bias_count=C_out * out**ndim,
        dense_weight_count=C_in * W**ndim * C_out * out**ndim,
    )
