"""Pictures of a convolution: the sliding window and the matrix's sparsity pattern.

The geometry is computed here, as plain cells (position, label, style); the
TikZ layout lives in ``templates/figures/``. The same geometry drives the text
pictures of ``symconv derive --show``.

Input cells are drawn with the padding around them (shaded; with circular
padding they show the input they wrap to), the kernel placed at one output
position (its taps marked, so stride and dilation are visible), and the output
grid beside it with that output highlighted. A transposed convolution is drawn
the other way round: one input highlighted and the outputs it is spread onto
marked, the outputs its padding crops shaded.

A picture is made in two parts, so that an animation
(:mod:`symconv.present.animation`) draws the first once: the layout (every
cell unmarked, the captions) and the marks of one position (the restyled
cells, the weights written under 1-D taps, veils over the channels another
group reads, the arrow). With every channel drawn, channel grids are stacked
(1-D channels as the rows of one matrix).

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
from symconv.layers.geometry import conv_taps, tap_input, transpose_output_size
from symconv.layers.matrix import convolution_entries
from symconv.layers.spec import ConvSpec
from symconv.present.describe import LayerFacts, describe, per_axis
from symconv.present.matrices import term_latex

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from symconv.layers.conv import Conv
    from symconv.layers.transpose import ConvTranspose, TransposeSpec

__all__ = [
    "Cell",
    "Figure",
    "channels_fit",
    "layout_and_marks",
    "render_figure",
    "scatter_figure",
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
#: A rectangle in cell units: left, bottom, right, top.
Box = tuple[float, float, float, float]


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
    #: Rectangles faded out: the channels the marked element has nothing to do with.
    veils: tuple[Box, ...] = ()
    #: A rectangle the picture's box takes in although nothing is drawn there (an
    #: animation's background: where the arrow of any frame reaches).
    extent: Box | None = None
    #: ``(C_in, C_out, groups)`` when every channel is drawn, else ``None``.
    channels: tuple[int, int, int] | None = None
    #: A transposed convolution's output padding (one value, or one per axis), else ``None``.
    transposed: Any = None

    def overlaid(self, marks: Figure) -> Figure:
        """This figure with ``marks`` drawn on it: a marked cell replaces the cell in its
        place, other marks (notes) are added, and the arrow and veils are the marks'.

        >>> plain = Figure((Cell(0, 0, "x_{1}", "input"),), ())
        >>> plain.overlaid(Figure((Cell(0, 0, "x_{1}", "tap"),), ())).cells[0].style
        'tap'
        """
        marked = {(cell.x, cell.y): cell for cell in marks.cells}
        cells = [marked.pop((cell.x, cell.y), cell) for cell in self.cells]
        return replace(self, cells=(*cells, *marked.values()), arrow=marks.arrow, veils=marks.veils)

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


def _spatial_2d(values: tuple[int, ...]) -> tuple[int, int]:
    return (1, values[0]) if len(values) == 1 else (values[0], values[1])


def _index_name(index: tuple[int, ...]) -> str:
    """A symbol's subscript from a 0-based index: ``(0, 2) -> '1,3'``."""
    return ",".join(str(v + 1) for v in index)


@dataclass(frozen=True)
class _Layout:
    """Where a layer's cells go, before any of them is marked.

    ``figure`` is the unmarked picture; ``inputs`` and ``outputs`` find each of
    its cells by ``(channel, row, column)`` of the drawn grids (padding
    included, channel 0 when one channel stands for all), and ``input_blocks``
    and ``output_blocks`` are each drawn channel's rectangle, to be veiled.
    """

    figure: Figure
    inputs: dict[tuple[int, int, int], Cell]
    outputs: dict[tuple[int, int, int], Cell]
    input_blocks: tuple[Box, ...]
    output_blocks: tuple[Box, ...]
    channels: bool
    named: bool  # whether the cells the marks restyle carry their symbols' names


def _stack_height(blocks: int, rows: int) -> tuple[float, float]:
    """The gap between stacked grids of ``rows`` rows, and the height of ``blocks`` of them."""
    gap = 0.5 if rows > 1 else 0.0
    return gap, blocks * rows + (blocks - 1) * gap


def _stack(
    blocks: int, rows: int, cols: int, left: float, bottom: float
) -> tuple[dict[tuple[int, int, int], tuple[float, float]], tuple[Box, ...], float]:
    """Places of the cells of ``blocks`` grids of ``rows x cols``, one under the other.

    1-D channels are the rows of one matrix; 2-D channels are grids half a cell
    apart. Returns each cell's lower-left corner by ``(block, row, column)``,
    each block's rectangle, and the stack's height.
    """
    gap, height = _stack_height(blocks, rows)
    places = {}
    boxes = []
    for block in range(blocks):
        top = bottom + height - block * (rows + gap)
        boxes.append((left, top - rows, left + cols, top))
        for r in range(rows):
            for c in range(cols):
                places[(block, r, c)] = (_tidy(left + c), _tidy(top - 1 - r))
    return places, tuple(boxes), height


#: Widths (points) of a cell's label in TeX's scriptsize Latin Modern: the letter, each digit
#: and each comma of its subscript (measured: ``x_{2,12,14}`` is 26.6 pt), and the room
#: left around it.
_LETTER_PT, _DIGIT_PT, _COMMA_PT, _ROOM_PT = 5.0, 3.4, 2.3, 2.5
_PT_PER_CM = 28.4528


def _fitting_scale(cells: Iterable[Cell]) -> float:
    """The side of a cell (cm): the usual 0.6, or larger so that the longest symbol fits.

    >>> _fitting_scale([Cell(0, 0, "x_{1,2}", "input")])
    0.6
    >>> _fitting_scale([Cell(0, 0, "x_{2,12,14}", "input")])
    1.05
    """
    widest = 0.0
    for cell in cells:
        for subscript in re.findall(r"_\{([\d,]+)\}", cell.label):
            width = _LETTER_PT + _DIGIT_PT * sum(ch.isdigit() for ch in subscript)
            widest = max(widest, width + _COMMA_PT * subscript.count(","))
    side = (widest + _ROOM_PT) / _PT_PER_CM
    return max(CELL, math.ceil(side * 20 - 1e-9) / 20)


def _tidy(value: float) -> float:
    """A whole coordinate as an ``int``, so that the LaTeX reads ``(3, 0)``, not ``(3.0, 0.0)``."""
    return int(value) if float(value).is_integer() else value


def _check_size(spec: Any, *sides: int) -> None:
    if spec.ndim > 2:
        raise SymconvError(f"figures draw 1-D and 2-D convolutions; this one has {spec.ndim} axes")
    rows, cols, *_ = sides
    if max(sides) > MAX_CELLS:
        raise SymconvError(
            f"the input is too large to draw ({rows} x {cols} cells with padding; "
            f"at most {MAX_CELLS} per side): draw a smaller convolution"
        )


def channels_fit(layer: Conv | ConvTranspose) -> bool:
    """Whether every channel of ``layer`` can be drawn: its grids stacked fit in a figure.

    >>> from symconv import Conv
    >>> channels_fit(Conv((5, 5), 3, in_channels=3, out_channels=2)), channels_fit(Conv(5, 3))
    (True, False)
    """
    spec = layer.spec
    if not spec.has_channels or spec.ndim > 2:
        return False
    grids = _window_grids(spec) if isinstance(spec, ConvSpec) else _scatter_grids(spec)
    (in_rows, _), (out_rows, _) = grids
    return all(
        _stack_height(blocks, rows)[1] <= MAX_CELLS
        for blocks, rows in ((spec.c_in, in_rows), (spec.c_out, out_rows))
    )


def _window_grids(spec: ConvSpec) -> tuple[tuple[int, int], tuple[int, int]]:
    """Rows and columns of the padded input and of the output."""
    rows, cols = _spatial_2d(spec.input_size)
    (top, bottom), (left, right) = (
        ((0, 0), spec.padding[0]) if spec.ndim == 1 else (spec.padding[0], spec.padding[1])
    )
    return (rows + top + bottom, cols + left + right), _spatial_2d(spec.output_size)


def _window_layout(conv: Conv, channels: bool) -> _Layout:
    """The padded input (every channel, or one for all) beside the output, nothing marked."""
    spec = conv.spec
    (padded_rows, padded_cols), (out_rows, out_cols) = _window_grids(spec)
    _check_size(spec, padded_rows, padded_cols, out_rows, out_cols)
    rows, cols = _spatial_2d(spec.input_size)
    top, left = (
        (0, spec.padding[0][0]) if spec.ndim == 1 else (spec.padding[0][0], spec.padding[1][0])
    )
    labels = padded_cols <= 16
    in_blocks = spec.c_in if channels else 1
    places, input_blocks, in_height = _stack(in_blocks, padded_rows, padded_cols, 0.0, 0.0)
    inputs = {}
    for (block, r, c), (x, y) in places.items():
        inside = top <= r < top + rows and left <= c < left + cols
        source = ((r - top) % rows, (c - left) % cols)
        channel = block if channels else None
        if inside:
            style: Style = "input"
            label = _input_label(conv, source, channel) if labels else ""
        elif spec.padding_mode == "circular":
            style, label = "wrapped", (_input_label(conv, source, channel) if labels else "")
        else:
            style, label = "padding", "0" if labels else ""
        inputs[(block, r, c)] = Cell(x, y, label, style)
    offset_x = padded_cols + 2.0
    out_blocks = spec.c_out if channels else 1
    out_height = _stack_height(out_blocks, out_rows)[1]
    offset_y = (in_height - out_height) / 2
    places, output_blocks, _ = _stack(out_blocks, out_rows, out_cols, offset_x, offset_y)
    outputs = {
        (block, r, c): Cell(x, y, _output_label(spec, block, r, c, channels), "output")
        if out_cols <= 16
        else Cell(x, y, "", "output")
        for (block, r, c), (x, y) in places.items()
    }
    # A 1-D picture of one channel writes each tap's weight under its input.
    below = -1.9 if spec.ndim == 1 and not channels else -0.9
    shaded = any(map(any, spec.padding))
    captions = [
        (padded_cols / 2, below, "input-padded" if shaded else "input", 0),
        (offset_x + out_cols / 2, min(offset_y, 0) + below, "output", 0),
        ((offset_x + out_cols) / 2, min(offset_y, 0) + below - 0.9, "layer", 0),
    ]
    facts = describe(spec)
    if channels:
        captions.append(((offset_x + out_cols) / 2, min(offset_y, 0) + below - 1.8, "channels", 0))
        facts = replace(facts, channels=None)
    figure = Figure(
        (*inputs.values(), *outputs.values()),
        tuple(captions),
        scale=_fitting_scale((*inputs.values(), *outputs.values())),
        layer=facts,
        channels=(spec.c_in, spec.c_out, spec.groups) if channels else None,
    )
    return _Layout(
        figure, inputs, outputs, input_blocks, output_blocks,
        channels, labels,
    )  # fmt: skip


def _output_label(spec: Any, block: int, r: int, c: int, channels: bool) -> str:
    spatial = (c,) if spec.ndim == 1 else (r, c)
    return f"y_{{{_index_name((block, *spatial) if channels else spatial)}}}"


def _input_label(conv: Conv | ConvTranspose, index: tuple[int, int], channel: int | None) -> str:
    spec = conv.spec
    spatial = (index[1],) if spec.ndim == 1 else index
    name = _index_name(spatial if channel is None else (channel, *spatial))
    return f"{spec.input_letter}_{{{name}}}"


def _group(spec: Any, channel: int, *, of_output: bool) -> range:
    """The channels on the other side that ``channel`` is connected with: its group's."""
    if of_output:
        group = channel // spec.group_out_channels
        return range(group * spec.group_in_channels, (group + 1) * spec.group_in_channels)
    group = channel // spec.group_in_channels
    return range(group * spec.group_out_channels, (group + 1) * spec.group_out_channels)


def _window_marks(conv: Conv, layout: _Layout, index: tuple[int, ...]) -> Figure:
    """What output ``index`` marks: its taps (in every input channel it reads), itself, the arrow.

    ``index`` indexes the output's channel too when every channel is drawn.
    """
    spec = conv.spec
    channel, spatial = (index[0], index[1:]) if layout.channels else (0, index)
    at_row, at_col = (0, spatial[0]) if spec.ndim == 1 else spatial
    taps = _padded_taps(conv, (at_row, at_col))
    read = _group(spec, channel, of_output=True) if layout.channels else range(1)
    cells = []
    for block in read:
        for place in taps:
            cell = layout.inputs[(block, *place)]
            cells.append(replace(cell, style="tap-padding" if cell.style == "padding" else "tap"))
    if layout.named and spec.ndim == 1 and not spec.has_channels:
        # The weight each tap carries, written under the input it meets.
        kernel = conv.kernel_symbols if spec.shared else conv.kernel_symbols[at_col]
        for (r, c), (_, j) in taps.items():
            weight = spec.kernel_size[0] - 1 - j if spec.flip else j
            x = layout.inputs[(0, r, c)].x
            cells.append(Cell(x, -1, f"\\color{{tapcolor}}{term_latex(kernel[weight])}", "note"))
    target = layout.outputs[(channel, at_row, at_col)]
    label = _output_label(spec, channel, at_row, at_col, layout.channels)
    cells.append(replace(target, style="target", label=label))
    cols_of = [c for _, c in taps] or [0]
    window_centre = (min(cols_of) + max(cols_of)) / 2 + 0.5
    return Figure(
        tuple(cells),
        (),
        scale=layout.figure.scale,
        arrow=(
            window_centre,
            layout.input_blocks[read[0]][3] + 0.3,
            target.x + 0.5,
            layout.output_blocks[channel][3] + 0.3,
        ),
        veils=tuple(box for n, box in enumerate(layout.input_blocks) if n not in read),
    )


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


def _scatter_grids(spec: TransposeSpec) -> tuple[tuple[int, int], tuple[int, int]]:
    """Rows and columns of the input and of the output before the padding crops it."""
    return _spatial_2d(spec.input_size), _spatial_2d(_uncropped(spec))


def _uncropped(spec: TransposeSpec) -> tuple[int, ...]:
    """Per axis, the output every tap of every input reaches, and the outputs past it.

    The padding crops ``p`` outputs on each side of the full scatter; an output
    padding larger than ``p`` adds outputs after it that no input reaches.
    """
    return tuple(
        max(transpose_output_size(w, k, stride=s, dilation=d), p + out)
        for w, k, s, d, p, out in zip(
            spec.input_size, spec.kernel_size, spec.stride, spec.dilation, spec.padding,
            spec.output_size, strict=True,
        )
    )  # fmt: skip


def _scatter_layout(layer: ConvTranspose, channels: bool) -> _Layout:
    """The input beside the output of a transposed convolution (the cropped part shaded)."""
    spec = layer.spec
    (rows, cols), (drawn_rows, drawn_cols) = _scatter_grids(spec)
    _check_size(spec, rows, cols, drawn_rows, drawn_cols)
    out_rows, out_cols = _spatial_2d(spec.output_size)
    crop_top, crop_left = (0, spec.padding[0]) if spec.ndim == 1 else spec.padding
    in_blocks = spec.c_in if channels else 1
    out_blocks = spec.c_out if channels else 1
    in_height = _stack_height(in_blocks, rows)[1]
    out_height = _stack_height(out_blocks, drawn_rows)[1]
    # The larger stack from 0 up, the other centred beside it.
    base = max(in_height, out_height)
    places, input_blocks, _ = _stack(in_blocks, rows, cols, 0.0, (base - in_height) / 2)
    inputs = {
        (block, r, c): Cell(
            x, y, _input_label(layer, (r, c), block if channels else None) if cols <= 16 else "",
            "input",
        )
        for (block, r, c), (x, y) in places.items()
    }  # fmt: skip
    offset_x = cols + 2.0
    offset_y = (base - out_height) / 2
    places, output_blocks, _ = _stack(out_blocks, drawn_rows, drawn_cols, offset_x, offset_y)
    outputs = {}
    for (block, r, c), (x, y) in places.items():
        row, col = r - crop_top, c - crop_left
        if 0 <= row < out_rows and 0 <= col < out_cols:
            label = _output_label(spec, block, row, col, channels) if drawn_cols <= 16 else ""
            outputs[(block, r, c)] = Cell(x, y, label, "output")
        else:
            outputs[(block, r, c)] = Cell(x, y, "", "padding")
    below = -1.9 if spec.ndim == 1 and not channels else -0.9
    cropped = any(spec.padding)
    captions = [
        (cols / 2, below, "input", 0),
        (offset_x + drawn_cols / 2, below, "output-cropped" if cropped else "output", 0),
        ((offset_x + drawn_cols) / 2, below - 0.9, "layer", 0),
    ]
    facts = _transposed_facts(spec)
    if channels:
        captions.append(((offset_x + drawn_cols) / 2, below - 1.8, "channels", 0))
        facts = replace(facts, channels=None)
    figure = Figure(
        (*inputs.values(), *outputs.values()),
        tuple(captions),
        scale=_fitting_scale((*inputs.values(), *outputs.values())),
        layer=facts,
        channels=(spec.c_in, spec.c_out, spec.groups) if channels else None,
        transposed=per_axis(spec.output_padding),
    )
    return _Layout(
        figure, inputs, outputs, input_blocks, output_blocks,
        channels, drawn_cols <= 16,
    )  # fmt: skip


def _transposed_facts(spec: TransposeSpec) -> LayerFacts:
    """A transposed convolution's settings for the caption: its padding is what it crops."""
    sides = set(spec.padding)
    return LayerFacts(
        flip=False,
        rule=None,
        padding=tuple((p, p) for p in spec.padding),
        each_side=next(iter(sides)) if len(sides) == 1 else None,
        circular=False,
        kernel=per_axis(spec.kernel_size),
        stride=per_axis(spec.stride),
        dilation=per_axis(spec.dilation),
        dilated=set(spec.dilation) != {1},
        channels=(spec.c_in, spec.c_out) if spec.has_channels else None,
        ndim=spec.ndim,
        groups=spec.groups,
        bias=bool(spec.bias),
    )


def _scatter_marks(layer: ConvTranspose, layout: _Layout, index: tuple[int, ...]) -> Figure:
    """What input ``index`` marks: itself, the outputs it reaches (every output channel of its
    group), the weight of each tap (1-D), and the arrow."""
    spec = layer.spec
    channel, spatial = (index[0], index[1:]) if layout.channels else (0, index)
    crops = spec.padding
    # Input i reaches output i*s + j*d - p through tap j: the convolution's tap
    # relation read backwards (this layer is the adjoint of that convolution).
    reach = [
        [(tap, tap_input(i, tap, stride=s, before=p, dilation=d) + p) for tap in range(k)]
        for i, k, s, d, p in zip(
            spatial, spec.kernel_size, spec.stride, spec.dilation, crops, strict=True
        )
    ]
    places: list[tuple[tuple[int, int], tuple[int, ...]]] = (
        [((0, c), (j,)) for j, c in reach[0]]
        if spec.ndim == 1
        else [((r, c), (i, j)) for i, r in reach[0] for j, c in reach[1]]
    )
    written = range(1)
    if layout.channels:
        written = _group(spec, channel, of_output=False)
    cells = []
    for block in written:
        for place, _ in places:
            cell = layout.outputs[(block, *place)]
            cells.append(replace(cell, style="tap-padding" if cell.style == "padding" else "tap"))
    if layout.named and spec.ndim == 1 and not spec.has_channels:
        for place, taps in places:
            x = layout.outputs[(0, *place)].x
            symbol = term_latex(layer.kernel_symbols[taps[0]])
            cells.append(Cell(x, -1, f"\\color{{tapcolor}}{symbol}", "note"))
    at_row, at_col = (0, spatial[0]) if spec.ndim == 1 else spatial
    source = layout.inputs[(channel, at_row, at_col)]
    label = _input_label(layer, (at_row, at_col), channel if layout.channels else None)
    cells.append(replace(source, style="target", label=label))
    xs = [layout.outputs[(0, *place)].x for place, _ in places]
    return Figure(
        tuple(cells),
        (),
        scale=layout.figure.scale,
        arrow=(
            source.x + 0.5,
            layout.input_blocks[channel][3] + 0.3,
            (min(xs) + max(xs)) / 2 + 0.5,
            layout.output_blocks[written[0]][3] + 0.3,
        ),
        veils=tuple(box for n, box in enumerate(layout.output_blocks) if n not in written),
    )


def layout_and_marks(
    layer: Conv | ConvTranspose, channels: bool
) -> tuple[Figure, Callable[[tuple[int, ...]], Figure], tuple[int, ...]]:
    """A layer's unmarked picture, what marks one position, and the shape of the positions.

    A convolution's frames are its outputs, each with the window it reads; a
    transposed convolution's are its inputs, each with the outputs it is spread
    onto. With ``channels`` every channel is drawn and the positions include
    the channel; without, one channel stands for all and they are spatial.
    """
    from symconv.layers.conv import Conv as ConvClass

    if isinstance(layer, ConvClass):
        conv = layer
        window = _window_layout(conv, channels)
        shape = conv.output_shape if channels else conv.spec.output_size
        return window.figure, lambda index: _window_marks(conv, window, index), shape
    transposed = layer
    scatter = _scatter_layout(transposed, channels)
    shape = transposed.input_shape if channels else transposed.spec.input_size
    return scatter.figure, lambda index: _scatter_marks(transposed, scatter, index), shape


def window_figure(conv: Conv, at: object = None, *, channels: bool = False) -> Figure:
    """The padded input, the kernel at output ``at`` (default: the first), and the output.

    ``at`` indexes the spatial output, negative entries from the end. With
    ``channels=True`` every input and output channel is drawn, ``at`` indexes the
    output with its channel, and the input channels it does not read (another
    group's) are veiled.

    Raises:
        SymconvError: The convolution has more than 2 spatial axes or is too large to draw.
    """
    background, marks, shape = layout_and_marks(conv, channels)
    position = (0,) * len(shape) if at is None else normalize_index(at, shape)
    return background.overlaid(marks(position))


def scatter_figure(layer: ConvTranspose, at: object = None, *, channels: bool = False) -> Figure:
    """A transposed convolution's input ``at`` (default: the first) and the outputs it reaches.

    Each reached output is marked with the tap that carries the input there; the
    outputs that the padding crops are shaded. ``at`` indexes the spatial input,
    negative entries from the end; with ``channels=True`` every channel is drawn
    and ``at`` includes the input channel.

    >>> from symconv import ConvTranspose
    >>> figure = scatter_figure(ConvTranspose(3, 3, stride=2), 1)
    >>> [cell.label for cell in figure.cells if cell.style == "tap"]
    ['y_{3}', 'y_{4}', 'y_{5}']

    Raises:
        SymconvError: The layer has more than 2 spatial axes or is too large to draw.
    """
    background, marks, shape = layout_and_marks(layer, channels)
    position = (0,) * len(shape) if at is None else normalize_index(at, shape)
    return background.overlaid(marks(position))


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
