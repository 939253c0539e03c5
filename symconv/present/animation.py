"""Animations: the sliding window at every output, one frame each, as LaTeX, PDF pages or a GIF.

A frame is a figure of :mod:`symconv.present.figures` made of two parts: the
layer's unmarked picture, the same in every frame, and the marks of one
position (the window's taps, the highlighted element, veiled channels and the
arrow). A convolution has one frame per output element, a transposed
convolution one per input element, which it scatters onto the outputs it
reaches. When every channel of a layer fits in a picture, every channel is
drawn and the positions include the channel, so that a grouped convolution
shows which input channels each output leaves out; otherwise one channel
stands for all, as in a still figure, and the positions are spatial.

The LaTeX is one document: the unmarked picture is typeset once (a PDF form
XObject under pdfTeX and LuaTeX, so the PDF holds it once), and each frame
draws its marks over it on a page of its own. Every page has the same size, so
that ``\\includegraphics[page=N]{window.pdf}`` and Beamer overlays line up, and
the ``animate`` package plays it as it is
(``\\animategraphics[autoplay,loop]{2}{window}{}{}``).

>>> from symconv import Conv, ConvTranspose
>>> animation = animation_frames(Conv(5, 3, stride=2))
>>> len(animation.frames), animation.positions
(2, ((0,), (1,)))
>>> len(animation_frames(ConvTranspose(3, 2, stride=2)).frames)
3
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symconv.errors import SymconvError
from symconv.present.figures import Figure, channels_fit, layout_and_marks

if TYPE_CHECKING:
    from symconv.layers.conv import Conv
    from symconv.layers.transpose import ConvTranspose

__all__ = [
    "GIF_INSTALL",
    "Animation",
    "animation_frames",
    "animation_gif",
    "key_frames",
    "render_animation",
    "require_pillow",
]

GIF_INSTALL = "pip install symconv[gif]"
#: How long each frame of a GIF stays, in milliseconds.
GIF_DELAY_MS = 800
_TIMEOUT = 600


@dataclass(frozen=True)
class Animation:
    """The frames of a layer's animation.

    Attributes:
        background: The unmarked picture, with room for every frame's arrow.
        frames: Each frame's marks, drawn over the background.
        positions: The element each frame is about: an output index of a
            convolution, an input index of a transposed convolution (with the
            channel first when every channel is drawn).
    """

    background: Figure
    frames: tuple[Figure, ...]
    positions: tuple[tuple[int, ...], ...]

    def still(self, frame: int) -> Figure:
        """Frame ``frame`` (negative from the end) as a figure of its own, for a sheet or a slide.

        >>> from symconv import Conv
        >>> still = animation_frames(Conv(5, 3)).still(-1)
        >>> [cell.label for cell in still.cells if cell.style == "target"]
        ['y_{3}']
        """
        return self.background.overlaid(self.frames[frame])


def animation_frames(layer: Conv | ConvTranspose, *, channels: bool | None = None) -> Animation:
    """The frames of ``layer``'s animation, one per output (transposed: per input) element.

    Args:
        layer: A 1-D or 2-D :class:`~symconv.Conv` or :class:`~symconv.ConvTranspose`.
        channels: Draw every channel (positions include the channel), or one
            for all (spatial positions); by default every channel when they fit.

    Raises:
        SymconvError: The layer has more than 2 spatial axes or is too large to draw.
    """
    every = channels_fit(layer) if channels is None else channels and layer.spec.has_channels
    background, marks, shape = layout_and_marks(layer, every)
    positions = tuple(itertools.product(*map(range, shape)))
    frames = tuple(marks(position) for position in positions)
    extents = [frame.arrow_extent for frame in frames if frame.arrow is not None]
    extent = (
        (
            min(e[0] for e in extents),
            min(e[1] for e in extents),
            max(e[2] for e in extents),
            max(e[3] for e in extents),
        )
        if extents
        else None
    )
    return Animation(replace(background, extent=extent), frames, positions)


def key_frames(
    layer: Conv | ConvTranspose, which: tuple[int, ...] = (0, -1), *, channels: bool | None = None
) -> tuple[Figure, ...]:
    """Some frames of the animation as still figures: by default the first and the last.

    A sheet template draws them with ``figures/stills.tex.j2`` (each one centred
    and shrunk to the line), given them as ``stills``.

    >>> from symconv import Conv
    >>> first, last = key_frames(Conv(5, 3))
    >>> [[cell.label for cell in still.cells if cell.style == "tap"] for still in (first, last)]
    [['x_{1}', 'x_{2}', 'x_{3}'], ['x_{3}', 'x_{4}', 'x_{5}']]
    """
    animation = animation_frames(layer, channels=channels)
    return tuple(animation.still(frame) for frame in which)


def render_animation(animation: Animation | Conv | ConvTranspose) -> str:
    """The LaTeX document of an animation (or of a layer's): one page per frame, all one size."""
    from symconv.present.render import environment

    if not isinstance(animation, Animation):
        animation = animation_frames(animation)
    # Each distinct marked cell (style and symbol) is typeset once, wherever it is placed.
    pieces: dict[tuple[str, str], int] = {}
    places = [
        [
            (cell.x, cell.y, pieces.setdefault((cell.style, cell.label), len(pieces)))
            for cell in frame.cells
        ]
        for frame in animation.frames
    ]
    return (
        environment()
        .get_template("animation.tex.j2")
        .render(
            animation=animation,
            pieces=list(pieces),
            frames=list(zip(animation.frames, places, strict=True)),
        )
    )


def require_pillow() -> Any:
    """Pillow's ``Image`` module, or the one line that says how to install it.

    Raises:
        SymconvError: Pillow is not installed.
    """
    try:
        from PIL import Image
    except ImportError:
        raise SymconvError(f"writing a GIF needs Pillow: {GIF_INSTALL}") from None
    return Image


def animation_gif(pdf: bytes, *, dpi: int = 150, delay: int = GIF_DELAY_MS) -> bytes:
    """An animated GIF of a compiled animation: each page a frame, ``delay`` ms each, looping.

    The pages are rasterised by one run of poppler's ``pdftoppm`` and put
    together by Pillow, every frame with the same palette (so that no colour
    flickers from one frame to the next).

    Raises:
        SymconvError: Pillow is not installed, or ``pdftoppm`` is missing or failed.
    """
    from symconv.present.tex import TEX_INSTALL, TexError

    image = require_pillow()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise TexError(f"pdftoppm not found; install poppler-utils: {TEX_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="symconv-gif-") as folder:
        Path(folder, "frames.pdf").write_bytes(pdf)
        try:
            result = subprocess.run(
                [pdftoppm, "-r", str(dpi), "frames.pdf", "frame"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TexError(f"pdftoppm did not finish within {_TIMEOUT} s") from None
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise TexError(f"pdftoppm failed: {last}")
        # pdftoppm numbers the pages with as many digits as the last one has.
        pages = sorted(Path(folder).glob("frame-*.ppm"))
        if not pages:
            raise TexError("pdftoppm wrote no page")
        first, last = (image.open(pages[n]).convert("RGB") for n in (0, -1))
        # One palette for every frame, from the first and the last side by side.
        sample = image.new("RGB", (first.width * 2, first.height), "white")
        sample.paste(first, (0, 0))
        sample.paste(last, (first.width, 0))
        palette = sample.quantize(colors=255, dither=image.Dither.NONE)

        def indexed(path: Path) -> Any:
            with image.open(path) as page:
                return page.convert("RGB").quantize(palette=palette, dither=image.Dither.NONE)

        frames = [indexed(path) for path in pages]
        buffer = io.BytesIO()
        frames[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=delay,
            loop=0,
        )
        return buffer.getvalue()
