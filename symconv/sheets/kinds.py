"""The kinds of problem a sheet can pose, each deriving its answers with the engine.

A kind declares the keys it accepts (with their defaults) and turns validated
parameters into template values and :class:`~symconv.sheets.model.Answer`
objects. Wording and layout live in ``templates/problems/<kind>.tex.j2``; here
only facts are derived and turned into LaTeX.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sympy import Add, Expr, Integer, Mul, Pow, Symbol, floor, latex

from symconv.errors import SymconvError
from symconv.layers.conv import Conv
from symconv.layers.equivariance import translation_equivariance
from symconv.layers.formulas import output_size
from symconv.layers.geometry import span
from symconv.layers.pool import Pool
from symconv.layers.spec import ConvSpec
from symconv.layers.stack import Stack, conv, dense, flatten, pool
from symconv.layers.symbols import SymbolTable
from symconv.layers.transpose import ConvTranspose
from symconv.present.display import (
    elided_indices,
    elided_matrix,
    formula_latex,
    latex_grid,
    latex_shape,
    natural_terms,
    scientific_latex,
)
from symconv.present.figures import Figure, sparsity_figure, window_figure
from symconv.present.tables import stack_latex_table
from symconv.sheets.model import Answer

__all__ = ["KINDS", "Derived", "Kind", "latex_escape"]

#: Largest matrix printed in full on a sheet; larger ones are elided.
FULL_MATRIX = 10

# The default (OT1) text fonts have no _, ^ or ~ of their own: those come from the
# typewriter font, so the PDF shows (and pdftotext reads back) what was typed.
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\texttt{\char94}",
    "_": r"\texttt{\char95}",
    "%": r"\%",
    "~": r"\texttt{\char126}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def latex_escape(text: str) -> str:
    r"""Text a user typed, made safe to print verbatim in LaTeX.

    >>> latex_escape(r"50% of \input{x}")
    '50\\% of \\textbackslash{}input\\{x\\}'
    """
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


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


# Helpers ---------------------------------------------------------------------


def _answer(key: str, label: str, value: Any, tex: str | None = None) -> Answer:
    return Answer(key, label, value, tex if tex is not None else latex(value))


def sum_latex(expr: Expr) -> str:
    """A sum in the order a person writes it (``k_1 x_1 + k_2 x_2``)."""
    return " + ".join(latex(term) for term in natural_terms(expr)).replace("+ -", "- ")


def _shape_value(shape: tuple[int, ...]) -> int | tuple[int, ...]:
    return shape[0] if len(shape) == 1 else shape


def _vector(count: int, symbol_at: Callable[[int], Symbol], limit: int = 6) -> str:
    """A column vector written as a transposed row, elided, naming only what it shows."""
    cells = [r"\cdots" if i is None else latex(symbol_at(i)) for i in elided_indices(count, limit)]
    return r"\begin{bmatrix} " + " & ".join(cells) + r" \end{bmatrix}^T"


def _figure(params: dict[str, Any], conv: Conv, kind: str) -> Figure | None:
    """The figure a problem asked for with ``figure = true``."""
    if params["figure"] is False:
        return None
    if params["figure"] is not True:
        raise SymconvError(f"figure must be true or false, got {params['figure']!r}")
    return sparsity_figure(conv) if kind == "matrix" else window_figure(conv)


def _flag(params: dict[str, Any], key: str) -> bool:
    value = params[key]
    if not isinstance(value, bool):
        raise SymconvError(f"key {key!r} must be true or false, got {value!r}")
    return value


def _conv(params: dict[str, Any], **overrides: Any) -> Conv:
    for key in ("circular", "flip", "bias"):
        _flag(params, key)
    options = {
        "stride": params["stride"],
        "padding": params["padding"],
        "dilation": params["dilation"],
        "padding_mode": "circular" if params["circular"] else "zeros",
        "flip": params["flip"],
        "bias": params["bias"],
        "in_channels": params["in_channels"],
        "out_channels": params["out_channels"],
    }
    options.update(overrides)
    return Conv(params["input"], params["kernel"], **options)


def _setting(spec: ConvSpec) -> str:
    """How the convolution is set up, in words (LaTeX text)."""
    pads = {pair for pair in spec.padding}
    if spec.padding_rule in ("same", "full"):
        padding = f"``{spec.padding_rule}'' padding"
    elif pads == {(0, 0)}:
        padding = "no padding"
    elif len(pads) == 1 and next(iter(pads))[0] == next(iter(pads))[1]:
        padding = f"padding {next(iter(pads))[0]} on each side"
    else:
        padding = "padding " + ", ".join(f"({b}, {a})" for b, a in spec.padding)
    if spec.padding_mode == "circular":
        padding += " (circular)"
    strides = set(spec.stride)
    parts = [padding, f"stride {spec.stride[0] if len(strides) == 1 else spec.stride}"]
    if set(spec.dilation) != {1}:
        dilations = set(spec.dilation)
        parts.append(f"dilation {spec.dilation[0] if len(dilations) == 1 else spec.dilation}")
    return "with " + " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def _size_working(spec: ConvSpec) -> str:
    r"""``\left\lfloor{\frac{9 + 2 - 3}{2}}\right\rfloor + 1 = 5``, axis by axis.

    The arithmetic is built unevaluated and printed by SymPy, so the working
    reads as written by hand and the result beside it is the engine's.

    >>> _size_working(ConvSpec.build(9, 3, stride=2, padding=1))
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


def _matrix_latex(conv: Conv) -> str:
    return latex_grid(elided_matrix(conv, max_rows=FULL_MATRIX, max_cols=FULL_MATRIX))


def _matrix_value(conv: Conv) -> Any:
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    return conv.matrix() if rows * cols <= 10_000 else None


def _common(conv: Conv) -> dict[str, Any]:
    spec = conv.spec
    table = SymbolTable(spec)
    one_d = conv.ndim == 1 and not spec.has_channels
    return {
        "one_d": one_d,
        "input_vector": _vector(spec.input_size[0], table.input) if one_d else "",
        "kernel_vector": (
            _vector(spec.kernel_size[0], table.weight) if one_d and spec.shared else ""
        ),
        "input_size": conv.spec.input_size[0] if one_d else latex_shape(conv.input_shape),
        "kernel_size": conv.spec.kernel_size[0] if one_d else latex_shape(conv.filter_shape),
        "setting": _setting(conv.spec),
        "operation": "convolution (kernel flipped)" if conv.spec.flip else "cross-correlation",
    }


# Kinds -------------------------------------------------------------------------

CONV_DEFAULTS: dict[str, Any] = {
    "figure": False,
    "input": None,
    "kernel": None,
    "stride": 1,
    "padding": 0,
    "dilation": 1,
    "circular": False,
    "flip": False,
    "bias": False,
    "in_channels": None,
    "out_channels": None,
}


def _elements(params: dict[str, Any]) -> Derived:
    conv = _conv(params)
    last = tuple(n - 1 for n in conv.output_shape)
    first_expr = conv.output_element((0,) * len(last))
    last_expr = conv.output_element(last)
    size = _shape_value(conv.output_shape)
    values = {
        **_common(conv),
        "figure": _figure(params, conv, "window"),
        "size": latex_shape(conv.output_shape),
        "size_working": _size_working(conv.spec),
        "first_name": "y_{" + ",".join("1" for _ in last) + "}",
        "last_name": "y_{" + ",".join(str(n + 1) for n in last) + "}",
    }
    answers = (
        _answer("size", "output dimension", size, latex_shape(conv.output_shape)),
        _answer("first", "first element", first_expr, sum_latex(first_expr)),
        _answer("last", "last element", last_expr, sum_latex(last_expr)),
    )
    return Derived(values, answers)


def _matrix(params: dict[str, Any]) -> Derived:
    conv = _conv(params)
    shape = (math.prod(conv.output_shape), math.prod(conv.input_shape))
    values = {
        **_common(conv),
        "figure": _figure(params, conv, "matrix"),
        "rows": shape[0],
        "cols": shape[1],
        "size_working": _size_working(conv.spec),
        "elided": max(shape) > FULL_MATRIX,
    }
    answers = (
        _answer("shape", "matrix shape", shape, rf"\mathbb{{R}}^{{{shape[0]} \times {shape[1]}}}"),
        _answer("matrix", "matrix", _matrix_value(conv), _matrix_latex(conv)),
    )
    return Derived(values, answers)


def _unshared(params: dict[str, Any]) -> Derived:
    conv = _conv(params, shared=False)
    shared = _conv(params)
    per_window = math.prod(conv.filter_shape) * conv.spec.c_out
    positions = math.prod(conv.spec.output_size)
    values = {
        **_common(conv),
        "figure": _figure(params, conv, "matrix"),
        "positions": positions,
        "per_window": per_window,
        "shared_count": shared.weight_count,
        "elided": max(math.prod(conv.output_shape), math.prod(conv.input_shape)) > FULL_MATRIX,
    }
    answers = (
        _answer("matrix", "matrix", _matrix_value(conv), _matrix_latex(conv)),
        _answer("weights", "number of weights", conv.weight_count, str(conv.weight_count)),
    )
    return Derived(values, answers)


def _size_formula(params: dict[str, Any]) -> Derived:
    W, K, s, d = (Symbol(n, integer=True, positive=True) for n in ("W", "K", "s", "d"))
    p = Symbol("p", integer=True, nonnegative=True)
    unit = output_size(W, K)
    general = output_size(W, K, stride=s, padding=p)
    answers = [
        _answer("valid", "output size, stride 1, no padding", unit, formula_latex(unit)),
        _answer(
            "general", "output size with stride s and padding p", general, formula_latex(general)
        ),
    ]
    if _flag(params, "dilation"):
        dilated = output_size(W, K, stride=s, padding=p, dilation=d)
        answers.append(
            _answer("dilated", "output size with dilation d", dilated, formula_latex(dilated))
        )
    return Derived({"dilation": params["dilation"]}, tuple(answers))


def _image_conv(params: dict[str, Any], **overrides: Any) -> Conv:
    image = params["image"]
    size = (image, image) if isinstance(image, int) else tuple(image)
    return Conv(
        size,
        params["kernel"],
        stride=params.get("stride", 1),
        padding=params.get("padding", 0),
        in_channels=params["channels"],
        out_channels=params.get("filters", 1),
        **overrides,
    )


def _shapes(params: dict[str, Any]) -> Derived:
    conv = _image_conv(params)
    values = {
        "height": conv.spec.input_size[0],
        "width": conv.spec.input_size[-1],
        "channels": conv.spec.c_in,
        "kernel": latex_shape(conv.spec.kernel_size),
        "filters": params.get("filters"),
    }
    answers = (
        _answer(
            "input_shape", "input tensor shape", conv.input_shape, latex_shape(conv.input_shape)
        ),
        _answer(
            "filter_shape", "shape of one filter", conv.filter_shape, latex_shape(conv.filter_shape)
        ),
    )
    return Derived(values, answers)


def _counts(params: dict[str, Any]) -> Derived:
    conv = _image_conv(params)
    biased = _image_conv(params, bias=True)
    spec = conv.spec
    values = {
        "height": spec.input_size[0],
        "width": spec.input_size[-1],
        "channels": spec.c_in,
        "filters": spec.c_out,
        "kernel": latex_shape(spec.kernel_size),
        "setting": _setting(spec),
        "size_working": _size_working(spec),
        "filter_weights": math.prod(conv.filter_shape),
        "flat_in": math.prod(conv.input_shape),
        "flat_out": math.prod(conv.output_shape),
        "bias_count": biased.weight_count - conv.weight_count,
        "biased_count": biased.weight_count,
        "dense_scientific": scientific_latex(conv.dense_weight_count),
        "input_shape": latex_shape(conv.input_shape),
    }
    answers = (
        _answer(
            "output_shape", "output tensor shape", conv.output_shape, latex_shape(conv.output_shape)
        ),
        _answer("weights", "weights of the convolution", conv.weight_count, str(conv.weight_count)),
        _answer(
            "dense_weights",
            "weights of the dense layer",
            conv.dense_weight_count,
            str(conv.dense_weight_count),
        ),
    )
    return Derived(values, answers)


def _text(params: dict[str, Any]) -> Derived:
    question, answer = params["question"], params["answer"]
    if not isinstance(question, str) or not isinstance(answer, str):
        raise SymconvError("question and answer must be text")
    return Derived(
        {"question": latex_escape(question), "answer": latex_escape(answer)},
        (_answer("text", "model answer", answer, latex_escape(answer)),),
    )


def _one_or_all(values: tuple[int, ...]) -> int | tuple[int, ...]:
    return values[0] if len(set(values)) == 1 else values


def _transpose(params: dict[str, Any]) -> Derived:
    layer = ConvTranspose(
        params["input"],
        params["kernel"],
        stride=params["stride"],
        padding=params["padding"],
        dilation=params["dilation"],
        output_padding=params["output_padding"],
        in_channels=params["in_channels"],
        out_channels=params["out_channels"],
    )
    forward = layer.forward_conv()
    rows, cols = math.prod(layer.output_shape), math.prod(layer.input_shape)
    small = rows * cols <= 10_000
    grid = elided_matrix_of(layer.matrix()) if small else ""
    values = {
        "input_size": latex_shape(layer.input_shape),
        "kernel": latex_shape(layer.spec.kernel_size),
        "stride": _one_or_all(layer.spec.stride),
        "padding": _one_or_all(layer.spec.padding),
        "output_padding": layer.spec.output_padding[0],
        "working": r",\quad ".join(
            dict.fromkeys(
                f"({w} - 1) \\cdot {s} - 2 \\cdot {p} + {d} \\cdot ({k} - 1) + {a} + 1 = {o}"
                for w, s, p, d, k, a, o in zip(
                    layer.spec.input_size,
                    layer.spec.stride,
                    layer.spec.padding,
                    layer.spec.dilation,
                    layer.spec.kernel_size,
                    layer.spec.output_padding,
                    layer.spec.output_size,
                    strict=True,
                )
            )
        ),
        "forward": latex_escape(repr(forward)),
        "small": small,
    }
    answers = [
        _answer(
            "size",
            "output shape",
            _shape_value(layer.output_shape),
            latex_shape(layer.output_shape),
        ),
        _answer("weights", "number of weights", layer.weight_count, str(layer.weight_count)),
    ]
    if small:
        answers.append(_answer("matrix", "matrix", layer.matrix(), grid))
    return Derived(values, tuple(answers))


def elided_matrix_of(matrix: Any) -> str:
    """LaTeX of a SymPy matrix, elided like the convolution matrices."""
    rows = elided_indices(matrix.rows, FULL_MATRIX)
    cols = elided_indices(matrix.cols, FULL_MATRIX)
    grid: list[list[Any]] = []
    for r in rows:
        if r is None:
            grid.append(["vdots" if c is not None else "ddots" for c in cols])
        else:
            grid.append([matrix[r, c] if c is not None else "cdots" for c in cols])
    return latex_grid(grid)


def _pooling(params: dict[str, Any]) -> Derived:
    if params["mode"] not in ("max", "avg"):
        raise SymconvError(f'key \'mode\' must be "max" or "avg", got {params["mode"]!r}')
    layer = Pool(
        params["input"],
        params["kernel"],
        stride=params["stride"],
        padding=params["padding"],
        ceil_mode=_flag(params, "ceil_mode"),
        mode=params["mode"],
    )
    last = tuple(n - 1 for n in layer.output_shape)
    first_expr = layer.output_element((0,) * len(last))
    last_expr = layer.output_element(last)
    values = {
        "input_size": latex_shape(layer.input_shape),
        "kernel": latex_shape(layer.spec.kernel_size),
        "stride": _one_or_all(layer.spec.stride),
        "padding": layer.spec.padding[0],
        "ceil_mode": layer.spec.ceil_mode,
        "mode": "max" if layer.spec.mode == "max" else "average",
        "last_name": "y_{" + ",".join(str(n + 1) for n in last) + "}",
    }
    answers = (
        _answer(
            "size",
            "output shape",
            _shape_value(layer.output_shape),
            latex_shape(layer.output_shape),
        ),
        _answer("first", "first element", first_expr, latex(first_expr)),
        _answer("last", "last element", last_expr, latex(last_expr)),
    )
    return Derived(values, answers)


def _stack(params: dict[str, Any]) -> Derived:
    makers: dict[str, Callable[..., Any]] = {
        "conv": conv,
        "pool": pool,
        "flatten": flatten,
        "dense": dense,
    }
    layers = []
    for number, table in enumerate(params["layers"] or (), start=1):
        if not isinstance(table, dict) or table.get("type") not in makers:
            raise SymconvError(
                f"key 'layers', layer {number}: needs type = one of {', '.join(makers)}"
            )
        options = {k: v for k, v in table.items() if k != "type"}
        kernel = options.pop("kernel", None)
        try:
            if table["type"] in ("conv", "pool"):
                if kernel is None:
                    raise SymconvError("needs a kernel")
                layers.append(makers[table["type"]](kernel, **options))
            elif table["type"] == "dense":
                layers.append(dense(options.pop("out_features"), **options))
            else:
                layers.append(flatten(**options))
        except (TypeError, KeyError) as error:
            raise SymconvError(f"key 'layers', layer {number}: {error}") from None
        except SymconvError as error:
            raise SymconvError(f"key 'layers', layer {number}: {error}") from None
    shape = tuple(params["input"]) if isinstance(params["input"], (list, tuple)) else None
    if not shape or not all(isinstance(n, int) for n in shape):
        raise SymconvError("key 'input' must be [channels, height, width] (or [channels, length])")
    stack = Stack(shape, layers)
    last_spatial = next(
        (row for row in reversed(stack.rows) if row.receptive_field[1] is not None), stack.rows[0]
    )
    field = last_spatial.receptive_field[0]
    values = {
        "input_shape": latex_shape(shape),
        "layers": [row.name for row in stack.rows[1:]],
        "table": stack_latex_table(stack),
        "field_layer": last_spatial.name,
    }
    answers = (
        _answer(
            "output_shape",
            "output shape",
            _shape_value(stack.output_shape),
            latex_shape(stack.output_shape),
        ),
        _answer("weights", "weights in all", stack.weight_count, str(stack.weight_count)),
        _answer("field", "receptive field", field, str(field)),
    )
    return Derived(values, answers)


def _equivariance(params: dict[str, Any]) -> Derived:
    conv = _conv(params, shared=not _flag(params, "unshared"))
    result = translation_equivariance(conv)
    verdict = "yes" if result.commutes else "no"
    values = {
        **_common(conv),
        "unshared": not conv.spec.shared,
        "message": latex_escape(result.message),
        "rows": ", ".join(map(str, result.differing_rows)),
    }
    answers = (
        Answer("commutes", "does it commute with shifts", result.commutes, verdict),
        _answer(
            "rows",
            "rows that differ",
            result.differing_rows,
            ", ".join(map(str, result.differing_rows)) or "none",
        ),
    )
    return Derived(values, answers)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "elements",
            "output dimension, first and last element",
            CONV_DEFAULTS,
            ("input", "kernel"),
            _elements,
            3.5,
        ),
        Kind(
            "matrix",
            "the matrix of the convolution",
            CONV_DEFAULTS,
            ("input", "kernel"),
            _matrix,
            6.0,
        ),
        Kind(
            "unshared",
            "the matrix and weight count without weight sharing",
            CONV_DEFAULTS,
            ("input", "kernel"),
            _unshared,
            6.0,
        ),
        Kind(
            "size-formula",
            "the general output-size formula",
            {"dilation": False},
            (),
            _size_formula,
            4.0,
        ),
        Kind(
            "shapes",
            "input tensor and filter shapes",
            {"image": None, "channels": None, "kernel": None, "filters": None},
            ("image", "channels", "kernel"),
            _shapes,
            3.0,
        ),
        Kind(
            "counts",
            "output shape and weights of a CNN layer against a dense layer",
            {
                "image": None,
                "channels": None,
                "kernel": None,
                "filters": None,
                "stride": 1,
                "padding": 0,
            },
            ("image", "channels", "kernel", "filters"),
            _counts,
            5.0,
        ),
        Kind(
            "transpose",
            "output size, weights and matrix of a transposed convolution",
            {
                "input": None,
                "kernel": None,
                "stride": 1,
                "padding": 0,
                "dilation": 1,
                "output_padding": 0,
                "in_channels": None,
                "out_channels": None,
            },
            ("input", "kernel"),
            _transpose,
            5.0,
        ),
        Kind(
            "pooling",
            "output size and elements of max or average pooling",
            {
                "input": None,
                "kernel": None,
                "stride": None,
                "padding": 0,
                "ceil_mode": False,
                "mode": "max",
            },
            ("input", "kernel"),
            _pooling,
            3.5,
        ),
        Kind(
            "stack",
            "shapes, weights and receptive field through a stack of layers",
            {"input": None, "layers": None},
            ("input", "layers"),
            _stack,
            6.0,
        ),
        Kind(
            "equivariance",
            "whether a layer commutes with shifting its input",
            {**CONV_DEFAULTS, "unshared": False},
            ("input", "kernel"),
            _equivariance,
            4.0,
        ),
        Kind(
            "text",
            "a free-text question with a model answer",
            {"question": None, "answer": None},
            ("question", "answer"),
            _text,
            4.0,
        ),
    )
}
