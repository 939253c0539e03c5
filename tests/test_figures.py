"""Figures: the geometry against the convolution, and the pictures compiled by real TeX."""

from __future__ import annotations

import math
import subprocess
import zlib
from pathlib import Path

import pytest

from symconv import Conv, SymconvError
from symconv.cli import main
from symconv.present.figures import (
    render_figure,
    sparsity_figure,
    text_matrix_pattern,
    text_window,
    window_figure,
)
from symconv.present.tex import compile_pdf

TARGET_FILL = (253, 174, 107)  # the highlighted output cell (templates/figures/colours.tex.j2)
TAP_FILL = (198, 219, 239)

SPECS = {
    "1-D": Conv(9, 3),
    "1-D same": Conv(9, 3, padding="same"),
    "1-D stride 2": Conv(9, 3, stride=2, padding=1),
    "1-D dilation 2": Conv(9, 3, dilation=2),
    "2-D padding": Conv((5, 5), 3, padding=1),
    "2-D stride 2": Conv((6, 6), 2, stride=2),
    "2-D dilation 2": Conv((6, 6), 3, dilation=2, padding=2),
    "2-D circular": Conv((4, 5), 3, padding=1, padding_mode="circular"),
    "2-D channels": Conv((4, 4), 3, in_channels=3, out_channels=2),
}


def ppm_pixels(
    pdf: bytes, tmp_path: Path, dpi: int = 40
) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Rasterise a PDF with pdftoppm and read its PPM: width, height and the colours used."""
    source = tmp_path / "figure.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-singlefile", source, tmp_path / "figure"], check=True
    )
    data = (tmp_path / "figure.ppm").read_bytes()
    magic, width, height, _maximum, pixels = data.split(maxsplit=4)
    assert magic == b"P6"
    w, h = int(width), int(height)
    colours = {tuple(pixels[i : i + 3]) for i in range(0, 3 * w * h, 3)}
    return w, h, colours  # type: ignore[return-value]


def near(colour: tuple[int, int, int], colours: set[tuple[int, int, int]], slack: int = 6) -> bool:
    return any(all(abs(a - b) <= slack for a, b in zip(colour, c, strict=True)) for c in colours)


@pytest.mark.parametrize("name", list(SPECS))
def test_window_marks_exactly_the_taps_that_meet_the_output(name: str) -> None:
    conv = SPECS[name]
    at = tuple(n - 1 for n in conv.spec.output_size)
    figure = window_figure(conv, at)
    taps = [c for c in figure.cells if c.style in ("tap", "tap-padding")]
    assert len(taps) == math.prod(conv.spec.kernel_size)
    targets = [c for c in figure.cells if c.style == "target"]
    assert len(targets) == 1
    outputs = [c for c in figure.cells if c.style in ("output", "target")]
    assert len(outputs) == math.prod(conv.spec.output_size)
    # Taps on the input (not padding) are the inputs of that output element.
    element = conv.output_element((0, *at) if conv.spec.has_channels else at)
    inputs = {s for s in element.free_symbols if s.name.startswith("x_")}
    assert len([c for c in taps if c.style == "tap"]) >= len(inputs) / conv.spec.c_in


@pytest.fixture(scope="module")
def compiled() -> dict[str, bytes]:
    """Every spec's window figure, compiled once by pdflatex."""
    return {
        name: compile_pdf(render_figure(window_figure(conv, -1 if conv.ndim == 1 else (-1, 0))))
        for name, conv in SPECS.items()
    }


@pytest.mark.parametrize("name", list(SPECS))
def test_window_figures_compile(compiled: dict[str, bytes], name: str) -> None:
    assert compiled[name].startswith(b"%PDF")


def test_the_highlighted_output_and_the_window_are_drawn(
    compiled: dict[str, bytes], tmp_path: Path
) -> None:
    _, _, colours = ppm_pixels(compiled["2-D padding"], tmp_path)
    assert near(TARGET_FILL, colours)
    assert near(TAP_FILL, colours)
    assert len(colours) > 10  # not blank


def test_the_picture_grows_with_the_grid(tmp_path: Path) -> None:
    small = ppm_pixels(compile_pdf(render_figure(window_figure(Conv(4, 3)))), tmp_path)
    large = ppm_pixels(compile_pdf(render_figure(window_figure(Conv(12, 3)))), tmp_path)
    assert large[0] > small[0]


def test_sparsity_figure_draws_one_cell_per_matrix_entry() -> None:
    conv = Conv(6, 3, padding=1)
    figure = sparsity_figure(conv)
    weights = [c for c in figure.cells if c.style == "weight"]
    shared_nonzeros = len(conv.matrix().todok())
    unshared_nonzeros = len(Conv(6, 3, padding=1, shared=False).matrix().todok())
    assert len(weights) == shared_nonzeros + unshared_nonzeros


@pytest.mark.parametrize(
    ("conv", "named"),
    [
        (Conv(9, 3), {"shared": True, "unshared": True}),  # k_1 .. k_21 in 9 columns
        (Conv((3, 3), 2), {"shared": True, "unshared": True}),  # k_1,1; k_1 .. k_16
        (Conv((4, 4), 3, padding=1), {"shared": False, "unshared": False}),  # 16 small columns
        (Conv(16, 2), {"shared": True, "unshared": True}),  # k_1 .. k_30, two digits
        (Conv(16, 8, padding=3), {"shared": True, "unshared": False}),  # k_8 fits, k_120 not
    ],
)
def test_a_pattern_names_its_weights_only_where_the_names_fit(
    conv: Conv, named: dict[str, bool]
) -> None:
    figure = sparsity_figure(conv)
    cols = math.prod(conv.input_shape)
    panels = {"shared": [], "unshared": []}  # type: dict[str, list[str]]
    for cell in figure.cells:
        if cell.style == "weight":
            panels["shared" if cell.x < cols else "unshared"].append(cell.label)
    longest = {panel: max(len(label) for label in labels) for panel, labels in panels.items()}
    for panel, labels in panels.items():
        assert all(labels) if named[panel] else not any(labels)
    widest = 8 if cols <= 12 else 6  # "k_{1,1}" and "k_{99}" in LaTeX
    assert all(longest[panel] <= widest for panel in panels if named[panel])


def png_rows(data: bytes) -> list[list[tuple[int, int, int]]]:
    """Oracle: decode an 8-bit RGB PNG (what pdftoppm writes) with zlib and the PNG filters."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, chunks, header = 8, [], b""
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    assert header[8] == 8 and header[9] == 2, "8-bit RGB expected"
    raw = zlib.decompress(b"".join(chunks))
    stride = 3 * width
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - 3] if x >= 3 else 0
            up, corner = previous[x], (previous[x - 3] if x >= 3 else 0)
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                options = (
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - corner), 2, corner),
                )
                line[x] = (line[x] + min(options)[2]) & 255
        rows.append([tuple(line[i : i + 3]) for i in range(0, stride, 3)])
        previous = line
    return rows  # type: ignore[return-value]


def png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the colours used of a PNG."""
    rows = png_rows(data)
    return len(rows[0]), len(rows), {pixel for row in rows for pixel in row}


def png_margins(data: bytes) -> tuple[int, int, int, int]:
    """Blank pixels between the picture's ink and each edge: left, top, right, bottom."""
    rows = png_rows(data)
    inked = [[x for x, pixel in enumerate(row) if min(pixel) < 250] for row in rows]
    ys = [y for y, xs in enumerate(inked) if xs]
    assert ys, "a blank image"
    left = min(xs[0] for xs in inked if xs)
    right = max(xs[-1] for xs in inked if xs)
    return left, ys[0], len(rows[0]) - 1 - right, len(rows) - 1 - ys[-1]


def test_figure_command_writes_a_png_with_the_highlighted_output(tmp_path: Path) -> None:
    out = tmp_path / "window.png"
    options = ["--kernel", "3", "--png", "--dpi", "60"]
    assert (
        main(
            [
                "figure",
                "--input",
                "7",
                "--stride",
                "2",
                "--padding",
                "1",
                "--at",
                "1",
                *options,
                "-o",
                str(out),
            ]
        )
        == 0
    )
    width, _, colours = png_pixels(out.read_bytes())
    assert near(TARGET_FILL, colours)
    assert near(TAP_FILL, colours)
    wider = tmp_path / "wider.png"
    assert main(["figure", "--input", "14", *options, "-o", str(wider)]) == 0
    assert png_pixels(wider.read_bytes())[0] > width


MARGIN_CASES = {
    "window 1-D": ["--input", "9", "--kernel", "3"],
    "window 1-D, last output, caption wider than the grids": [
        "--input", "4", "--kernel", "2", "--stride", "2", "--padding", "1", "--dilation", "2",
        "--circular", "--at", "-1",
    ],
    "window 2-D": ["--input", "6", "6", "--kernel", "3", "--padding", "1"],
    "matrix 1-D": ["--input", "9", "--kernel", "3", "--kind", "matrix"],
    "matrix 2-D": ["--input", "4", "4", "--kernel", "3", "--padding", "1", "--kind", "matrix"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(MARGIN_CASES))
def test_a_png_figure_is_cropped_to_the_picture_with_an_even_margin(
    name: str, tmp_path: Path
) -> None:
    dpi = 100
    out = tmp_path / "figure.png"
    assert main(["figure", *MARGIN_CASES[name], "--png", "--dpi", str(dpi), "-o", str(out)]) == 0
    margins = png_margins(out.read_bytes())
    # Small: under 0.15 inch on every side; nothing cut off: some white on every side.
    assert all(2 <= margin <= 0.15 * dpi for margin in margins), margins
    # Even: the four sides within 3 pixels (ink and TeX's boxes differ by a pixel or two).
    assert max(margins) - min(margins) <= 3, margins


def test_figure_command_prints_latex_without_output_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["figure", "--input", "5", "--kernel", "3", "--kind", "matrix"]) == 0
    assert r"\begin{tikzpicture}" in capsys.readouterr().out


def test_too_large_or_3d_convolutions_are_refused_clearly() -> None:
    with pytest.raises(SymconvError, match="too large"):
        window_figure(Conv((100, 100), 3))
    with pytest.raises(SymconvError, match="1-D and 2-D"):
        window_figure(Conv((3, 3, 3), 2))


def test_text_window_marks_the_taps_and_the_output() -> None:
    conv = Conv((5, 5), 3, stride=2, padding=1)
    grid = "".join(line for line in text_window(conv, (1, 1)).splitlines() if line.startswith("  "))
    assert grid.count("#") == math.prod(conv.spec.kernel_size)
    assert grid.count("*") == 1


def test_text_matrix_pattern_has_one_letter_per_nonzero() -> None:
    conv = Conv(7, 3, padding="same")
    rows = text_matrix_pattern(conv).splitlines()[: math.prod(conv.output_shape)]
    letters = sum(ch != "." for row in rows for ch in row)
    assert letters == len(conv.matrix().todok())
