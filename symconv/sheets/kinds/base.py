"""What every problem kind shares: the Kind record, answers, and the convolution it asks about.

Kinds derive facts and LaTeX for math; the words are in
``templates/problems/<kind>.tex.j2`` and ``templates/solutions/<kind>.tex.j2``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sympy import Add, Integer, Mul, Pow, floor, latex

from symconv.errors import SymconvError
from symconv.layers.conv import Conv
from symconv.layers.geometry import span
from symconv.layers.parameters import conv_arguments, sheet_defaults
from symconv.layers.spec import ConvSpec
from symconv.layers.symbols import SymbolTable
from symconv.present.describe import describe
from symconv.present.display import elided_indices
from symconv.present.matrices import term_latex
from symconv.sheets.model import Answer
from symconv.sheets.slips import Slips, differing

__all__ = [
    "CONV_DEFAULTS",
    "Derived",
    "Kind",
    "answer",
    "common",
    "conv_from",
    "flag",
    "shape_value",
    "size_working",
    "span_working",
]

#: Keys of the kinds that ask about one convolution, with their defaults.
CONV_DEFAULTS: dict[str, Any] = {
    "question": None,
    "figure": False,
    **sheet_defaults(
        "input", "kernel", "stride", "padding", "dilation", "circular", "flip", "bias",
        "in_channels", "out_channels",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Derived:
    """What a kind derives: values for its template and the answers."""

    values: dict[str, Any]
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Kind:
    """A problem kind: its accepted keys with defaults, and its derivation."""

    name: str
    summary: str
    defaults: Mapping[str, Any]
    required: tuple[str, ...]
    derive: Callable[[dict[str, Any]], Derived]
    space: float = 4.0


def answer(key: str, label: str, value: Any, tex: str | None = None, slips: Slips = ()) -> Answer:
    """An answer whose LaTeX is SymPy's unless given, with the known slips whose value
    differs from it."""
    tex = tex if tex is not None else latex(value)
    return Answer(key, label, value, tex, slips=differing(value, slips))


def shape_value(shape: tuple[int, ...]) -> int | tuple[int, ...]:
    """A 1-D size as a number, a shape as a tuple."""
    return shape[0] if len(shape) == 1 else shape


def flag(params: dict[str, Any], key: str) -> bool:
    """A true/false key."""
    value = params[key]
    if not isinstance(value, bool):
        raise SymconvError(f"key {key!r} must be true or false, got {value!r}")
    return value


def conv_from(params: dict[str, Any], **overrides: Any) -> Conv:
    """The convolution a problem's keys describe (named as :mod:`symconv.layers.parameters`
    says), with ``overrides`` as :class:`Conv`'s arguments."""
    for key in ("circular", "flip", "bias"):
        flag(params, key)
    return Conv(**{**conv_arguments(params, by="key"), **overrides})


def span_working(spec: ConvSpec) -> list[str]:
    r"""The window's span under dilation, axis by axis: ``2 \left(3 - 1\right) + 1 = 5``.

    >>> span_working(ConvSpec.build(9, 3, dilation=2))
    ['2 \\cdot \\left(3 - 1\\right) + 1 = 5']
    """
    steps = []
    for kernel, dilation in zip(spec.kernel_size, spec.dilation, strict=True):
        taps = Add(Integer(kernel), Integer(-1), evaluate=False)
        working = Add(Mul(Integer(dilation), taps, evaluate=False), Integer(1), evaluate=False)
        printed = latex(working, order="none", mul_symbol="dot")
        steps.append(f"{printed} = {span(kernel, dilation)}")
    return list(dict.fromkeys(steps))


def size_working(spec: ConvSpec) -> str:
    r"""``\left\lfloor{\frac{9 + 2 - 3}{2}}\right\rfloor + 1 = 5``, axis by axis.

    The arithmetic is built unevaluated and printed by SymPy, so the working
    reads as written by hand and the result beside it is the engine's.

    >>> size_working(ConvSpec.build(9, 3, stride=2, padding=1))
    '\\left\\lfloor{\\frac{9 + 2 - 3}{2}}\\right\\rfloor + 1 = 5'
    """
    steps = []
    for axis in range(spec.ndim):
        before, after = spec.padding[axis]
        terms = [Integer(spec.input_size[axis])]
        if before + after:
            terms.append(Integer(before + after))
        terms.append(Integer(-span(spec.kernel_size[axis], spec.dilation[axis])))
        numerator = Add(*terms, evaluate=False)
        stride = spec.stride[axis]
        windows = (
            floor(Mul(numerator, Pow(Integer(stride), -1, evaluate=False), evaluate=False),
                  evaluate=False)
            if stride > 1
            else numerator
        )  # fmt: skip
        working = Add(windows, Integer(1), evaluate=False)
        steps.append(f"{latex(working, order='none')} = {spec.output_size[axis]}")
    return r",\quad ".join(dict.fromkeys(steps))


def _vector(count: int, symbol_at: Callable[[int], Any], limit: int = 6) -> str:
    """A column vector written as a transposed row, elided, naming only what it shows."""
    cells = [
        r"\cdots" if i is None else term_latex(symbol_at(i)) for i in elided_indices(count, limit)
    ]
    return r"\begin{bmatrix} " + " & ".join(cells) + r" \end{bmatrix}^T"


def common(conv: Conv) -> dict[str, Any]:
    """Template values every one-convolution kind uses."""
    spec = conv.spec
    one_d = conv.ndim == 1 and not spec.has_channels
    table = SymbolTable(spec)
    return {
        "one_d": one_d,
        "layer": describe(spec),
        "input_vector": _vector(spec.input_size[0], table.input) if one_d else "",
        "kernel_vector": (
            _vector(spec.kernel_size[0], table.weight) if one_d and spec.shared else ""
        ),
        "input_size": spec.input_size[0] if one_d else " \\times ".join(map(str, conv.input_shape)),
        "kernel_size": (
            spec.kernel_size[0] if one_d else " \\times ".join(map(str, conv.filter_shape))
        ),
        "ndim": spec.ndim,
        "channels": spec.has_channels,
        "dilated": set(spec.dilation) != {1},
        "span_working": span_working(spec),
    }
