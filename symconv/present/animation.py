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

The LaTeX is one document, compiled by one TeX run: the unmarked picture and
each distinct marked cell are typeset once (PDF form XObjects under pdfTeX and
LuaTeX, so the PDF holds each once), and each page places the picture and its
frame's marked cells, and draws the frame's veils and arrow. Every page has the same size, so
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
import re
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

    The pages are rasterised by poppler's ``pdftoppm`` (one run, unless the
    pages would fill more than a few hundred megabytes, then one run per batch)
    and written by Pillow one at a time, each as the rectangle where it differs
    from the one before, with the palette of its own colours.

    Raises:
        SymconvError: Pillow is not installed, or ``pdftoppm`` is missing or failed.
    """
    from symconv.present.tex import TEX_INSTALL, TexError

    image = require_pillow()
    from PIL import GifImagePlugin, ImageChops

    tools = {name: shutil.which(name) for name in ("pdftoppm", "pdfinfo")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        raise TexError(f"{missing[0]} not found; install poppler-utils: {TEX_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="symconv-gif-") as folder:
        Path(folder, "frames.pdf").write_bytes(pdf)
        info = _poppler([str(tools["pdfinfo"]), "frames.pdf"], folder)
        count = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
        size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.MULTILINE)
        if count is None or size is None:
            raise TexError("pdfinfo found no pages in the PDF")
        pages = int(count[1])
        width, height = (float(side) / 72 * dpi for side in size.groups())
        batch = max(1, int(_PIXELS_AT_ONCE // ((width + 1) * (height + 1))))
        out = io.BytesIO()
        previous: Any = None
        for first in range(1, pages + 1, batch):
            last = min(first + batch - 1, pages)
            command = [str(tools["pdftoppm"]), "-r", str(dpi), "-f", str(first), "-l", str(last)]
            _poppler([*command, "frames.pdf", "frame"], folder)
            # pdftoppm numbers the pages with as many digits as the last one has.
            for path in sorted(Path(folder).glob("frame-*.ppm")):
                with image.open(path) as page:
                    frame = page.convert("RGB")
                path.unlink()
                # Each piece has a palette of its own: exact for the few colours it has
                # (Pillow maps colours onto a given palette only approximately).
                if previous is None:
                    box = (0, 0, *frame.size)
                    piece = frame.quantize(colors=_CLEAR, dither=image.Dither.NONE)
                    header, _ = GifImagePlugin.getheader(piece, info={"loop": 0})
                    out.write(b"".join(header))
                else:
                    # Only the rectangle where this frame differs (a pixel, when it does
                    # not), its unchanged pixels clear so that they compress to nothing.
                    delta = ImageChops.difference(previous, frame)
                    box = delta.getbbox() or (0, 0, 1, 1)
                    piece = frame.crop(box).quantize(colors=_CLEAR, dither=image.Dither.NONE)
                    unchanged = delta.crop(box).convert("L").point([255, *[0] * 255], "1")
                    piece.paste(_CLEAR, mask=unchanged)
                chunks = GifImagePlugin.getdata(
                    piece,
                    offset=box[:2],
                    duration=delay,
                    transparency=_CLEAR,
                    include_color_table=previous is not None,
                )
                out.writelines(chunks)
                previous = frame
        out.write(b";")
        return out.getvalue()


#: A frame's colours are 0 to 254; 255 is a pixel that it leaves as it was.
_CLEAR = 255
#: Pixels of the pages one pdftoppm run writes (as PPM, three bytes each).
_PIXELS_AT_ONCE = 100_000_000


def _poppler(command: list[str], folder: str) -> str:
    """Run a poppler tool in ``folder``, bounded in time; its standard output."""
    from symconv.present.tex import TexError

    name = Path(command[0]).name
    try:
        result = subprocess.run(
            command,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TexError(f"{name} did not finish within {_TIMEOUT} s") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise TexError(f"{name} failed: {last}")
    return result.stdout
