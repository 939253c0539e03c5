"""Pictures of a convolution: the sliding window and the matrix's sparsity pattern.

The geometry is computed here, as plain cells (position, label, style); the
TikZ layout lives in ``templates/figures/``. The same geometry drives the text
pictures of ``symconv derive --show``.

Input cells are drawn with the padding around them (shaded; with circular
padding they show the input they wrap to), the kernel placed at one output
position (its taps marked, so stride and dilation are visible), and the output
grid beside it with that output highlighted.

>>> from symconv import Conv
>>> print(text_window(Conv(5, 3, padding=1, stride=2), 1))
input  0 x x x x x 0
window     # # #
output . * .
"""

from __future__ import annotations

import colorsys
import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from symconv.errors import SymconvError
from symconv.layers.expressions import normalize_index
from symconv.layers.geometry import conv_taps
from symconv.layers.matrix import convolution_entries
from symconv.present.describe import LayerFacts, describe
from symconv.present.matrices import term_latex

if TYPE_CHECKING:
    from symconv.layers.conv import Conv

__all__ = [
    "Cell",
    "Figure",
    "render_figure",
    "sparsity_figure",
    "text_matrix_pattern",
    "text_window",
    "window_figure",
]

Style = Literal[
    "input",
    "padding",
    "wrapped",
    "tap",
    "tap-padding",
    "output",
    "target",
    "weight",
    "empty",
    "note",
]

#: Largest grid (cells per side) a figure draws.
MAX_CELLS = 48
CELL = 0.6  # centimetres
# The arrow from the window to its output: TikZ's ``bend left=20`` with its default
# looseness (control points at 0.3915 of the distance), sampled to find its extent.
_BEND = 20.0
_LOOSENESS = 0.3915
_SAMPLES = 200

Point = tuple[float, float]


@dataclass(frozen=True)
class Cell:
    """One square of a figure, its lower-left corner in cell units (y grows upwards)."""

    x: float
    y: float
    label: str
    style: Style
    tone: int = 0  # which weight colour, for sparsity pictures


@dataclass(frozen=True)
class Figure:
    """What a template draws: cells, captions and an arrow, in cell units.

    A standalone figure's page is measured by TeX from the picture, so no size is
    estimated here (the captions' widths are known only to TeX).
    """

    cells: tuple[Cell, ...]
    captions: tuple[tuple[float, float, str, int], ...]
    arrow: tuple[float, float, float, float] | None = None  # from (x, y) to (x, y)
    scale: float = CELL
    tones: int = 0
    layer: LayerFacts | None = None

    @property
    def palette(self) -> list[tuple[int, int, int]]:
        """One light colour (RGB) per distinct weight, consecutive weights far apart in hue."""
        colours = []
        for n in range(self.tones):
            hue, saturation = (n * 0.618034) % 1.0, 0.25 + 0.15 * (n % 3)
            red, green, blue = colorsys.hsv_to_rgb(hue, saturation, 1.0)
            colours.append((round(255 * red), round(255 * green), round(255 * blue)))
        return colours

    @property
    def arrow_curve(self) -> tuple[Point, Point, Point, Point]:
        """The arrow as a cubic Bezier curve: start, two control points, end.

        The control points are those of TikZ's ``to[bend left=20]``: leaving the
        start 20 degrees left of the straight line and reaching the end 20 degrees
        right of it, each at 0.3915 of the line's length (TikZ's default looseness).

        >>> Figure((), (), arrow=(0.0, 0.0, 10.0, 0.0)).arrow_curve[1]
        (3.679, 1.339)
        """
        if self.arrow is None:
            raise SymconvError("this figure has no arrow")
        x0, y0, x1, y1 = self.arrow
        direction = math.atan2(y1 - y0, x1 - x0)
        reach = _LOOSENESS * math.hypot(x1 - x0, y1 - y0)
        bend = math.radians(_BEND)
        first = (x0 + reach * math.cos(direction + bend), y0 + reach * math.sin(direction + bend))
        second = (x1 - reach * math.cos(direction - bend), y1 - reach * math.sin(direction - bend))
        start, one, two, end = (
            (round(x, 3), round(y, 3)) for x, y in ((x0, y0), first, second, (x1, y1))
        )
        return start, one, two, end

    @property
    def arrow_extent(self) -> tuple[float, float, float, float]:
        """Left, bottom, right and top of the arrow's curve itself (not its control points).

        >>> Figure((), (), arrow=(0.0, 0.0, 10.0, 0.0)).arrow_extent
        (0.0, 0.0, 10.0, 1.004)
        """
        points = self.arrow_curve
        xs, ys = [], []
        for step in range(_SAMPLES + 1):
            t = step / _SAMPLES
            weights = ((1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t**2 * (1 - t), t**3)
            xs.append(sum(w * x for w, (x, _) in zip(weights, points, strict=True)))
            ys.append(sum(w * y for w, (_, y) in zip(weights, points, strict=True)))
        return (
            round(min(xs), 3),
            round(min(ys), 3),
            round(max(xs), 3),
            round(max(ys), 3),
        )


def _position(conv: Conv, at: object) -> tuple[int, ...]:
    spatial = conv.spec.output_size
    if at is None:
        return (0,) * len(spatial)
    return normalize_index(at, spatial)


def _spatial_2d(values: tuple[int, ...]) -> tuple[int, int]:
    return (1, values[0]) if len(values) == 1 else (values[0], values[1])


def window_figure(conv: Conv, at: object = None) -> Figure:
    """The padded input, the kernel at output ``at`` (default: the first), and the output.

    ``at`` indexes the spatial output (no channel), negative entries from the end.

    Raises:
        SymconvError: The convolution has more than 2 spatial axes or is too large to draw.
    """
    spec = conv.spec
    if spec.ndim > 2:
        raise SymconvError(f"figures draw 1-D and 2-D convolutions; this one has {spec.ndim} axes")
    position = _position(conv, at)
    rows, cols = _spatial_2d(spec.input_size)
    (top, bottom), (left, right) = (
        ((0, 0), spec.padding[0]) if spec.ndim == 1 else (spec.padding[0], spec.padding[1])
    )
    padded_rows, padded_cols = rows + top + bottom, cols + left + right
    out_rows, out_cols = _spatial_2d(spec.output_size)
    if max(padded_rows, padded_cols, out_rows, out_cols) > MAX_CELLS:
        raise SymconvError(
            f"the input is too large to draw ({padded_rows} x {padded_cols} cells with padding; "
            f"at most {MAX_CELLS} per side): draw a smaller convolution"
        )
    at_row, at_col = (0, position[0]) if spec.ndim == 1 else position
    taps = _padded_taps(conv, (at_row, at_col))
    labels = padded_cols <= 16
    kernel_symbols = conv.kernel_symbols
    cells = []
    for r in range(padded_rows):
        for c in range(padded_cols):
            inside = top <= r < top + rows and left <= c < left + cols
            source = ((r - top) % rows, (c - left) % cols)
            if inside:
                style: Style = "input"
                label = _input_label(conv, source) if labels else ""
            elif spec.padding_mode == "circular":
                style, label = "wrapped", (_input_label(conv, source) if labels else "")
            else:
                style, label = "padding", "0" if labels else ""
            if (r, c) in taps:
                style = "tap" if inside or spec.padding_mode == "circular" else "tap-padding"
                _, j = taps[(r, c)]
                if labels and spec.shared and not spec.has_channels and spec.ndim == 1:
                    # The weight each tap carries, written under the input it meets.
                    weight = spec.kernel_size[0] - 1 - j if spec.flip else j
                    symbol = term_latex(kernel_symbols[weight])
                    cells.append(Cell(c, -1, f"\\color{{tapcolor}}{symbol}", "note"))
            cells.append(Cell(c, padded_rows - 1 - r, label, style))
    gap = 2.0
    offset_x = padded_cols + gap
    offset_y = (padded_rows - out_rows) / 2
    for r in range(out_rows):
        for c in range(out_cols):
            target = (r, c) == (at_row, at_col)
            name = ",".join(str(v + 1) for v in ((c,) if spec.ndim == 1 else (r, c)))
            label = f"y_{{{name}}}" if (target or out_cols <= 16) else ""
            cells.append(
                Cell(
                    offset_x + c,
                    offset_y + out_rows - 1 - r,
                    label,
                    "target" if target else "output",
                )
            )
    below = -1.9 if spec.ndim == 1 else -0.9
    shaded = any(map(any, spec.padding))
    captions = (
        (padded_cols / 2, below, "input-padded" if shaded else "input", 0),
        (offset_x + out_cols / 2, min(offset_y, 0) + below, "output", 0),
        ((offset_x + out_cols) / 2, below - 0.9, "layer", 0),
    )
    rows_of = [r for r, _ in taps] or [0]
    cols_of = [c for _, c in taps] or [0]
    window_centre = (
        (min(cols_of) + max(cols_of)) / 2 + 0.5,
        padded_rows - (min(rows_of) + max(rows_of)) / 2 - 0.5,
    )
    target_centre = (offset_x + at_col + 0.5, offset_y + out_rows - at_row - 0.5)
    return Figure(
        tuple(cells),
        captions,
        arrow=(window_centre[0], padded_rows + 0.3, target_centre[0], offset_y + out_rows + 0.3),
        layer=describe(spec),
    )


def _input_label(conv: Conv, index: tuple[int, int]) -> str:
    spec = conv.spec
    name = ",".join(str(v + 1) for v in ((index[1],) if spec.ndim == 1 else index))
    return f"{spec.input_letter}_{{{name}}}"


def _padded_taps(conv: Conv, at: tuple[int, int]) -> dict[tuple[int, int], tuple[int, int]]:
    """Cells of the padded grid that the window at output ``at`` covers, with the tap there.

    The geometry core's taps on the padded input (no padding of its own), so
    every tap gets its cell, taps in the padding included.
    """
    spec = conv.spec
    per_axis = [
        conv_taps(
            position,
            size + before + after,
            kernel,
            stride=stride,
            dilation=dilation,
        )
        for position, size, (before, after), kernel, stride, dilation in zip(
            at[2 - spec.ndim :], spec.input_size, spec.padding, spec.kernel_size, spec.stride,
            spec.dilation, strict=True,
        )
    ]  # fmt: skip
    if spec.ndim == 1:
        return {(0, cell): (0, tap) for tap, cell in per_axis[0]}
    return {(r, c): (i, j) for i, r in per_axis[0] for j, c in per_axis[1]}


def sparsity_figure(conv: Conv) -> Figure:
    """The matrix pattern: shared weights (one colour per weight) beside unshared ones."""
    from symconv.layers.conv import Conv as ConvClass

    spec = conv.spec
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    if max(rows, cols) > MAX_CELLS:
        raise SymconvError(
            f"the matrix is too large to draw ({rows} x {cols}; at most {MAX_CELLS} per side)"
        )
    shared = ConvClass.from_spec(replace(spec, shared=True, bias=False))
    unshared = ConvClass.from_spec(replace(spec, shared=False, bias=False))
    cells: list[Cell] = []
    captions: list[tuple[float, float, str, int]] = []
    tones = 0
    for panel, (layer, title) in enumerate(((shared, "shared"), (unshared, "unshared"))):
        left = panel * (cols + 2)
        entries = convolution_entries(layer.spec)
        symbols = sorted(set(entries.values()), key=_natural)
        labels = _names_fit(symbols, cols)
        tone_of = {symbol: n for n, symbol in enumerate(symbols)}
        tones = max(tones, len(symbols))
        for r in range(rows):
            for c in range(cols):
                value = entries.get((r, c))
                if value is None:
                    cells.append(Cell(left + c, rows - 1 - r, "", "empty"))
                else:
                    label = term_latex(value) if labels else ""
                    cells.append(Cell(left + c, rows - 1 - r, label, "weight", tone_of[value]))
        captions.append((left + cols / 2, -0.9, title, layer.weight_count))
    return Figure(
        tuple(cells),
        tuple(captions),
        scale=0.45 if cols > 12 else CELL,
        tones=tones,
    )


def _names_fit(symbols: list[Any], cols: int) -> bool:
    """Whether every weight's name fits in its cell: cells shrink past 12 columns.

    >>> from sympy import Symbol
    >>> one, twelve, pair = Symbol("k_1"), Symbol("k_12"), Symbol("k_1,2")
    >>> _names_fit([one, twelve], 16), _names_fit([pair], 16), _names_fit([pair], 12)
    (True, False, True)
    """
    longest = max((len(str(symbol).partition("_")[2]) for symbol in symbols), default=0)
    return cols <= 16 and longest <= (3 if cols <= 12 else 2)


def _natural(symbol: object) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", str(symbol))]


def render_figure(figure: Figure, *, standalone: bool = True) -> str:
    """LaTeX of a figure: a document of its own size, or the bare ``tikzpicture``."""
    from symconv.present.render import environment

    template = "figure.tex.j2" if standalone else "figures/picture.tex.j2"
    return environment().get_template(template).render(figure=figure)


# Text pictures -----------------------------------------------------------------


def text_window(conv: Conv, at: object = None) -> str:
    """The window at output ``at`` drawn with characters (1-D: one line each; 2-D: grids)."""
    figure = window_figure(conv, at)
    symbol = {
        "input": "x",
        "padding": "0",
        "wrapped": "~",
        "tap": "#",
        "tap-padding": "#",
        "output": ".",
        "target": "*",
    }
    spec = conv.spec
    inputs = [c for c in figure.cells if c.style not in ("output", "target", "note")]
    outputs = [c for c in figure.cells if c.style in ("output", "target")]
    if spec.ndim == 1:
        ordered = sorted(inputs, key=lambda c: c.x)
        line = " ".join(
            "0" if c.style in ("padding", "tap-padding") else "~" if c.style == "wrapped" else "x"
            for c in ordered
        )
        window = " ".join("#" if c.style.startswith("tap") else " " for c in ordered).rstrip()
        out = " ".join(symbol[c.style] for c in sorted(outputs, key=lambda c: c.x))
        return f"input  {line}\nwindow {window}\noutput {out}"
    lines = []
    for grid, title in ((inputs, "input (# = window)"), (outputs, "output (* = this output)")):
        lines.append(title)
        for y in sorted({c.y for c in grid}, reverse=True):
            row = sorted((c for c in grid if c.y == y), key=lambda c: c.x)
            lines.append("  " + " ".join(symbol[c.style] for c in row))
    return "\n".join(lines)


def text_matrix_pattern(conv: Conv) -> str:
    """Which matrix entries hold which weight: letters a, b, c... for k_1, k_2, k_3..."""
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    if max(rows, cols) > 80:
        raise SymconvError(
            f"the matrix is too large to draw ({rows} x {cols}; at most 80 per side)"
        )
    entries = convolution_entries(conv.spec)
    order = sorted(
        set(entries.values()), key=lambda w: [int(n) for n in re.findall(r"\d+", str(w))]
    )
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    letter = {w: letters[n] if n < len(letters) else "#" for n, w in enumerate(order)}
    lines = [
        "".join(letter[entries[(r, c)]] if (r, c) in entries else "." for c in range(cols))
        for r in range(rows)
    ]
    legend = ", ".join(f"{letter[w]} = {w}" for w in order[:12]) + (
        " ..." if len(order) > 12 else ""
    )
    return "\n".join([*lines, legend])
