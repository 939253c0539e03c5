"""Animations: one frame per output (transposed: per input) element, read back from real TeX.

Every frame's marks are checked against the layer's own derivation: the
window's inputs are the symbols of that output element, the outputs a
transposed convolution's input reaches are those whose element holds it, and
the frame count is the size of ``output_shape`` (``input_shape``). Each spec's
animation is compiled once (a module-scoped fixture); its pages are read back
with ``pdftotext -raw``, which keeps the order the page draws in (the unmarked
picture, then the frame's marks), so a page's marks are what it holds beyond
the picture every page shares. Hypothesis checks the same relation on many
more layers without TeX.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from symconv import Conv, ConvTranspose, SymconvError
from symconv.present.animation import (
    Animation,
    animation_frames,
    animation_gif,
    key_frames,
    render_animation,
)
from symconv.present.figures import MAX_CELLS, channels_fit, scatter_figure, window_figure
from symconv.present.render import environment
from symconv.present.tex import Compiled, compile_document, overfull_boxes

Layer = Conv | ConvTranspose

SPECS: dict[str, Layer] = {
    "1-D": Conv(9, 3),
    "1-D stride 2, padding 1": Conv(7, 3, stride=2, padding=1),
    "1-D unshared, flipped, 'same'": Conv(6, 3, padding="same", shared=False, flip=True),
    "1-D circular": Conv(5, 3, padding=1, padding_mode="circular"),
    "2-D stride 2, dilation 2, padding 1": Conv((7, 7), 3, stride=2, dilation=2, padding=1),
    "2-D padding, rectangular kernel": Conv((4, 5), (2, 3), padding=((1, 0), (1, 1))),
    "transposed 1-D stride 2, padding 1, output padding 1": ConvTranspose(
        4, 3, stride=2, padding=1, output_padding=1
    ),
    "transposed 2-D stride 2": ConvTranspose((3, 3), 3, stride=2),
    "grouped 1-D, 4 channels in 2 groups": Conv(
        6, 3, padding=1, in_channels=4, out_channels=4, groups=2
    ),
    "grouped 2-D, 2 to 4 channels in 2 groups": Conv(
        (3, 3), 2, in_channels=2, out_channels=4, groups=2
    ),
    "transposed grouped, 2 channels in 2 groups": ConvTranspose(
        3, 2, stride=2, in_channels=2, out_channels=4, groups=2
    ),
}
GIFS = ("1-D stride 2, padding 1", "2-D stride 2, dilation 2, padding 1", "transposed 2-D stride 2")
LABEL = re.compile(r"[xyk]\d+(?:,\d+)*|0")


# --------------------------------------------------------------------------
# The oracle: what each frame must mark, from the layer's own derivation


def token(name: str) -> str:
    """A symbol's name as pdftotext reads it: ``x_1,2`` and ``x_{1,2}`` read ``x1,2``."""
    return re.sub(r"\\color\{[^}]*\}|[_{}]", "", name)


def output_token(index: tuple[int, ...]) -> str:
    return "y" + ",".join(str(i + 1) for i in index)


def symbols_of(expression: Any, letter: str) -> set[str]:
    return {token(s.name) for s in expression.free_symbols if s.name.startswith(f"{letter}_")}


def frame_count(layer: Layer) -> int:
    """Output elements of a convolution, input elements of a transposed one (every channel)."""
    shape = layer.input_shape if isinstance(layer, ConvTranspose) else layer.output_shape
    return math.prod(shape)


class Oracle:
    """What the frame about each element must mark, derived by the layer itself.

    For a convolution: the output and the inputs of its element (the window on
    the input; the rest of the window lies in the zero padding). For a transposed
    convolution: the input and every output whose element holds it. The weights
    are those of the elements (a 1-D picture of one channel writes each tap's
    weight). When one channel stands for all (``every`` false), the frames are
    about channel 1 and the symbols are named without their channel. A picture
    too wide to name its cells (``named`` false) names only the marked element.
    """

    def __init__(self, layer: Layer, every: bool, named: bool = True) -> None:
        self.layer, self.every, self.named = layer, every, named
        self.one_for_all = layer.spec.has_channels and not every
        self.transposed = isinstance(layer, ConvTranspose)
        self.reached: dict[Any, list[tuple[int, ...]]] = {}
        if self.transposed:
            for position in itertools.product(*map(range, layer.output_shape)):
                for symbol in layer.output_element(position).free_symbols:
                    self.reached.setdefault(symbol, []).append(position)

    def name(self, token_: str) -> str | None:
        """A token as the picture names it; ``None`` for another channel than channel 1."""
        if not self.one_for_all:
            return token_
        channel, _, spatial = token_[1:].partition(",")
        return token_[0] + spatial if channel == "1" else None

    def marks(self, index: tuple[int, ...]) -> dict[str, Any]:
        layer, spec = self.layer, self.layer.spec
        full = (0, *index) if self.one_for_all else index
        if isinstance(layer, Conv):
            element = layer.output_element(full)
            window = {self.name(t) for t in symbols_of(element, spec.input_letter)} - {None}
            read = spec.group_in_channels if spec.has_channels and self.every else 1
            return {
                "target": self.name(output_token(full)),
                "window": window,
                "taps": math.prod(spec.kernel_size) * read,
                "weights": symbols_of(element, spec.kernel_letter),
            }
        assert isinstance(layer, ConvTranspose)
        source = layer.input_symbols[full]
        outputs = self.reached.get(source, [])
        return {
            "target": self.name(token(source.name)),
            "window": {self.name(output_token(o)) for o in outputs} - {None},
            "taps": None,  # a tap the padding crops carries no symbol
            "weights": {token(layer.output_element(o).coeff(source).name) for o in outputs},
        }

    def check(self, index: tuple[int, ...], marks: Counter[str]) -> None:
        """The tokens a frame adds to the unmarked picture are exactly what it must mark."""
        spec = self.layer.spec
        want = self.marks(index)
        assert marks[want["target"]] == 1, (index, marks)
        rest = marks - Counter({want["target"]: 1})
        if not self.named:
            assert not rest, (index, marks)
            return
        window = {t for t in rest if t[0] == ("y" if self.transposed else "x")}
        weights = {t for t in rest if t[0] == "k"}
        assert window == want["window"], (index, window, want["window"])
        assert set(rest) <= window | weights | {"0"}, (index, rest)
        if want["taps"] is not None and spec.padding_mode == "zeros":
            # One mark per tap: an input's symbol, or 0 where the tap meets the padding.
            assert sum(rest[t] for t in window) + rest["0"] == want["taps"], (index, marks)
        else:
            assert rest["0"] == 0, (index, marks)
        if spec.ndim == 1 and not spec.has_channels:
            assert sum(rest[t] for t in weights) == spec.kernel_size[0], (index, marks)
            assert weights >= want["weights"], (weights, want["weights"])
        else:
            assert not weights, (index, marks)


# --------------------------------------------------------------------------
# Real TeX, once per spec


def pdf_pages(pdf: bytes, folder: Path) -> list[str]:
    """Each page's text in drawing order (``pdftotext -raw``)."""
    path = folder / "frames.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text.split("\f")[:-1]


def page_sizes(pdf: bytes, folder: Path) -> list[str]:
    path = folder / "sizes.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "100000", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.findall(r"^Page\s+\d+ size:\s+(.*)$", info, re.MULTILINE)


def labels(text: str) -> Counter[str]:
    return Counter(word for word in text.split() if LABEL.fullmatch(word))


@pytest.fixture(scope="module")
def animations() -> dict[str, tuple[Animation, Compiled]]:
    """Every spec's animation, compiled once by pdflatex."""
    result = {}
    for name, layer in SPECS.items():
        animation = animation_frames(layer)
        result[name] = (animation, compile_document(render_animation(animation)))
    return result


@pytest.mark.parametrize("name", list(SPECS))
def test_one_page_per_element_every_page_one_size_nothing_overfull(
    animations: dict[str, tuple[Animation, Compiled]], name: str, tmp_path: Path
) -> None:
    animation, compiled = animations[name]
    count = frame_count(SPECS[name])
    assert len(animation.frames) == len(animation.positions) == count
    assert compiled.overfull == ()
    sizes = page_sizes(compiled.pdf, tmp_path)
    assert len(sizes) == count
    assert len(set(sizes)) == 1, set(sizes)


@pytest.mark.parametrize("name", list(SPECS))
def test_every_page_marks_its_element_and_its_window(
    animations: dict[str, tuple[Animation, Compiled]], name: str, tmp_path: Path
) -> None:
    layer = SPECS[name]
    animation, compiled = animations[name]
    pages = pdf_pages(compiled.pdf, tmp_path)
    assert len(pages) == frame_count(layer)
    # The unmarked picture holds every symbol, once: each input, each output (padding as 0).
    picture = Counter(token(c.label) for c in animation.background.cells if c.label)
    inputs = {token(s.name) for s in layer.input_symbols.reshape(len(layer.input_symbols))}
    outputs = {output_token(i) for i in itertools.product(*map(range, layer.output_shape))}
    assert {t for t in picture if t[0] == "x"} == inputs
    assert {t for t in picture if t[0] == "y"} == outputs
    oracle = Oracle(layer, animation.background.channels is not None)
    for page, position in zip(pages, animation.positions, strict=True):
        read = labels(page)
        assert read >= picture, position  # every symbol of the picture is on every page
        oracle.check(position, read - picture)


@pytest.mark.parametrize("name", GIFS)
def test_a_gif_shows_each_page_in_turn(
    animations: dict[str, tuple[Animation, Compiled]], name: str, tmp_path: Path
) -> None:
    """Frame N of the GIF, as a viewer composes it, is page N as pdftoppm draws it."""
    from PIL import Image, ImageChops, ImageStat

    _, compiled = animations[name]
    dpi = 40
    data = animation_gif(compiled.pdf, dpi=dpi, delay=500)
    (tmp_path / "frames.pdf").write_bytes(compiled.pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "frames.pdf", "page"], cwd=tmp_path, check=True)
    pages = sorted(tmp_path.glob("page-*.ppm"))
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == len(pages) == frame_count(SPECS[name])
        assert gif.info["duration"] == 500
        for number, page in enumerate(pages):
            gif.seek(number)
            with Image.open(page) as drawn:
                difference = ImageChops.difference(gif.convert("RGB"), drawn.convert("RGB"))
            # The palette rounds antialiased edges a little; nothing else differs.
            assert max(ImageStat.Stat(difference).mean) < 1.5, (number, difference.getbbox())


def test_a_frame_past_the_picture_is_reported_as_overfull() -> None:
    """The check that frames stay inside the page is TeX's own: a frame whose arrow
    leaves the picture makes an overfull box."""
    animation = animation_frames(Conv(5, 3))
    *_, right, top = animation.background.extent or (0, 0, 0, 0)
    stray = replace(animation.frames[0], arrow=(0.5, top, right + 3, top + 3))
    compiled = compile_document(render_animation(replace(animation, frames=(stray,))))
    assert compiled.overfull


def test_key_frames_in_a_sheet_are_the_first_and_the_last_window(tmp_path: Path) -> None:
    conv = Conv((4, 4), 3, padding=1)
    stills = key_frames(conv)
    first, last = (window_figure(conv, at) for at in ((0, 0), (-1, -1)))
    assert [sorted(map(repr, still.cells)) for still in stills] == [
        sorted(map(repr, figure.cells)) for figure in (first, last)
    ]
    body = environment().get_template("figures/stills.tex.j2").render(stills=stills)
    colours = environment().get_template("figures/colours.tex.j2").render()
    document = (
        "\\documentclass{article}\\usepackage{amsmath}\\usepackage{graphicx}\\usepackage{tikz}"
        f"\\usetikzlibrary{{patterns}}{colours}\\newsavebox{{\\fitbox}}"
        f"\\begin{{document}}{body}\\end{{document}}"
    )
    compiled = compile_document(document)
    assert compiled.overfull == ()
    # Two whole pictures: every symbol twice (a marked cell replaces the cell it marks).
    picture = Counter(token(c.label) for c in first.cells if c.label)
    assert labels(" ".join(pdf_pages(compiled.pdf, tmp_path))) == picture + picture


# --------------------------------------------------------------------------
# The command line


def test_animate_writes_a_gif_a_pdf_and_the_latex(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    options = ["figure", "--input", "5", "5", "--kernel", "3", "--stride", "2", "--animate"]
    count = frame_count(Conv((5, 5), 3, stride=2))
    gif, pdf, tex = (tmp_path / f"window.{ending}" for ending in ("gif", "pdf", "tex"))
    status, _, err = run([*options, "--dpi", "30", "-o", str(gif)], capsys)
    assert status == 0 and f"({count} frames)" in err
    with Image.open(gif) as image:
        assert image.n_frames == count
    assert run([*options, "-o", str(pdf)], capsys)[0] == 0
    assert len(page_sizes(pdf.read_bytes(), tmp_path)) == count
    assert run([*options, "-o", str(tex)], capsys)[0] == 0
    assert tex.read_text().count("\\shipout") == count


def test_animate_a_transposed_convolution_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scatter.tex"
    argv = ["figure", "--input", "3", "--kernel", "3", "--stride", "2", "--padding", "1"]
    status, _, err = run([*argv, "--transposed", "--animate", "-o", str(out)], capsys)
    assert status == 0, err
    layer = ConvTranspose(3, 3, stride=2, padding=1)
    assert out.read_text().count("\\shipout") == frame_count(layer)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--animate"], "give -o FILE ending in .pdf"),
        (["--animate", "-o", "window.png"], "--animate writes .pdf"),
        (["--animate", "-o", "window.gif", "--at", "1"], "leave out --at"),
        (["--animate", "-o", "window.pdf", "--pdf"], "leave out --pdf"),
        (["--animate", "-o", "window.pdf", "--kind", "matrix"], "leave out --kind matrix"),
        (["--animate", "-o", "window.pdf", "--delay", "100"], "--delay times a GIF"),
        (["--delay", "100"], "add --animate"),
        (["--output-padding", "1"], "add --transposed"),
        (["--transposed", "--padding", "same"], "an amount per axis"),
        (["--transposed", "--circular"], "takes no --circular"),
        (["--transposed", "--kind", "matrix"], "leave out --transposed"),
    ],
)
def test_animate_refuses_in_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a if not a.startswith("window.") else str(tmp_path / a) for a in argv]
    status, _, err = run(["figure", "--input", "5", "--kernel", "3", *argv], capsys)
    assert status == 2
    assert message in err and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


def test_a_gif_without_pillow_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    out = tmp_path / "window.gif"
    status, _, err = run(["figure", "-i", "5", "-k", "3", "--animate", "-o", str(out)], capsys)
    assert status == 2
    assert err == "symconv: error: writing a GIF needs Pillow: pip install symconv[gif]\n"
    assert not out.exists()


# --------------------------------------------------------------------------
# Many more layers, without TeX


@st.composite
def layers(draw: st.DrawFn) -> Layer:
    """A 1-D or 2-D layer such as symconv figure draws: strides, dilations, padding,
    channels and groups, or a transposed convolution."""
    ndim = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    channels: dict[str, int] = {}
    if draw(st.booleans()):
        groups = draw(st.sampled_from([1, 2]))
        channels = {
            "in_channels": groups * draw(st.integers(1, 2)),
            "out_channels": groups * draw(st.integers(1, 2)),
            "groups": groups,
        }
    if draw(st.booleans()):
        size = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
        padding = tuple(
            draw(st.integers(0, (k - 1) * d)) for k, d in zip(kernel, dilation, strict=True)
        )
        output_padding = tuple(
            draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
        )
        try:
            return ConvTranspose(
                size, kernel, stride=stride, dilation=dilation, padding=padding,
                output_padding=output_padding, **channels,
            )  # fmt: skip
        except SymconvError:
            return ConvTranspose(size, kernel, stride=stride, dilation=dilation, **channels)
    size = tuple(
        draw(st.integers(span, span + 4))
        for span in ((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
    )
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.tuples(*(st.tuples(st.integers(0, 2), st.integers(0, 2)) for _ in range(ndim))),
        )
    )
    try:
        return Conv(
            size if ndim > 1 else size[0], kernel, stride=stride, dilation=dilation,
            padding=padding, padding_mode=draw(st.sampled_from(["zeros", "circular"])),
            shared=draw(st.booleans()), flip=draw(st.booleans()), **channels,
        )  # fmt: skip
    except SymconvError:  # such as circular padding that wraps more than once
        reject()


@settings(max_examples=60, deadline=None)
@given(layers())
def test_every_frame_marks_what_the_layer_derives(layer: Layer) -> None:
    animation = animation_frames(layer)
    every = animation.background.channels is not None
    # One channel for all when every channel would not fit: a frame per spatial position.
    spatial = layer.spec.input_size if isinstance(layer, ConvTranspose) else layer.spec.output_size
    assert len(animation.frames) == (frame_count(layer) if every else math.prod(spatial))
    assert every == (layer.spec.has_channels and channels_fit(layer))
    picture = {(c.x, c.y) for c in animation.background.cells}
    left, bottom, right, top = animation.background.extent or (0, 0, 0, 0)
    window = "output" if isinstance(layer, ConvTranspose) else "input"
    named = any(c.label for c in animation.background.cells if c.style == window)
    oracle = Oracle(layer, every, named)
    for frame, position in zip(animation.frames, animation.positions, strict=True):
        oracle.check(position, Counter(token(c.label) for c in frame.cells if c.label))
        # A marked cell covers a cell of the picture; only notes (weights) lie outside it.
        assert all((c.x, c.y) in picture for c in frame.cells if c.style != "note")
        assert frame.scale == animation.background.scale
        x0, y0, x1, y1 = frame.arrow_extent
        assert left <= x0 and bottom <= y0 and x1 <= right and y1 <= top


def test_a_still_is_the_figure_of_that_position() -> None:
    conv = Conv((5, 5), 3, stride=2, padding=1)
    animation = animation_frames(conv)
    last = animation.still(-1)
    figure = window_figure(conv, (-1, -1))
    assert sorted(map(repr, last.cells)) == sorted(map(repr, figure.cells))
    transposed = ConvTranspose(3, 3, stride=2)
    assert animation_frames(transposed).still(1).cells == scatter_figure(transposed, 1).cells


def test_channels_too_many_to_draw_are_one_channel_for_all() -> None:
    """As a still figure draws them: spatial positions, the caption naming channel 1."""
    conv = Conv((6, 6), 3, in_channels=16, out_channels=8)
    animation = animation_frames(conv)
    assert len(animation.frames) == math.prod(conv.spec.output_size)
    assert animation.background.channels is None
    rows = Conv(6, 3, in_channels=16, out_channels=8)  # 1-D: a row per channel, all fit
    assert rows.spec.c_in <= MAX_CELLS
    assert len(animation_frames(rows).frames) == frame_count(rows)


def test_the_overfull_check_reads_vertical_boxes_too() -> None:
    assert overfull_boxes("Overfull \\vbox (12.0pt too high) has occurred") == ((12.0, None),)


# --------------------------------------------------------------------------
# A sheet's problem shows frames of the animation


def _elements_sheet(figure: Any) -> Any:
    from symconv.sheets.loader import parse_definition

    value = str(figure).lower() if isinstance(figure, bool) else f'"{figure}"'
    return parse_definition(
        {
            "title": "Frames",
            "section": [
                {
                    "title": "One layer",
                    "problem": [
                        {"kind": "elements", "input": 7, "kernel": 3, "stride": 2,
                         "padding": 1, "figure": figure}
                    ],
                }
            ],
        },
        name=f"frames-{value}",
    )  # fmt: skip


@pytest.mark.parametrize(("figure", "which"), [("first-last", (0, -1)), ("last", (-1,))])
def test_a_sheet_shows_the_first_and_last_frames(
    figure: str, which: tuple[int, ...], tmp_path: Path
) -> None:
    from symconv.sheets import render_sheets

    conv = Conv(7, 3, stride=2, padding=1)
    text = render_sheets([_elements_sheet(figure)], solutions=True)
    compiled = compile_document(text)
    assert not compiled.overfull
    page = " ".join(pdf_pages(compiled.pdf, tmp_path))
    for frame in which:
        index = tuple(n - 1 if frame == -1 else 0 for n in conv.output_shape)
        assert output_token(index) in labels(page)
        window = symbols_of(conv.output_element(index), "x")
        assert all(token(name) in labels(page) for name in window)
    assert not render_sheets([_elements_sheet(figure)], solutions=False).count("tikzpicture")


def test_a_sheet_figure_that_is_no_frame_is_refused() -> None:
    with pytest.raises(SymconvError, match="'first-last'"):
        _elements_sheet("middle")
