"""TeX at the edge: compiling LaTeX to PDF (files are read and written by :mod:`symconv.files`).

PDFs are compiled in a temporary directory
with latexmk (or pdflatex), shell escape off and halting on the first error,
which is reported in one line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError

__all__ = [
    "TEX_INSTALL",
    "Compiled",
    "TexError",
    "compile_document",
    "compile_pdf",
    "overfull_boxes",
    "pdf_to_png",
]

TEX_INSTALL = (
    "apt-get install -y --no-install-recommends texlive-latex-base "
    "texlive-latex-recommended texlive-pictures lmodern latexmk poppler-utils"
)
_TIMEOUT = 120


class TexError(SymconvError):
    """LaTeX could not be compiled, or no TeX engine is installed."""


def _run(command: list[str], folder: str, env: dict[str, str] | None = None) -> Any:
    """Run a TeX or poppler tool in ``folder``, bounded in time, reading nothing from stdin."""
    try:
        return subprocess.run(
            command,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TexError(f"{Path(command[0]).name} did not finish within {_TIMEOUT} s") from None


def _first_error(log: str) -> str:
    """The first ``! ...`` error of a TeX log, with its line number when given."""
    lines = log.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("!"):
            context = (re.match(r"^l\.(\d+)", later) for later in lines[number : number + 12])
            where = next((m.group(1) for m in context if m), None)
            return line[1:].strip() + (f" (line {where} of the LaTeX source)" if where else "")
    return "see the TeX log"


#: Overfull boxes up to this width are invisible on paper and not reported.
OVERFULL_TOLERANCE_PT = 1.0
_OVERFULL = re.compile(
    r"^Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)([^\n]*)", re.MULTILINE
)
_LINE = re.compile(r"lines? (\d+)")
_TOO_TALL = re.compile(r"^symconv: question (\S+) is taller than a page", re.MULTILINE)


@dataclass(frozen=True)
class Compiled:
    """A compiled document and what TeX said about its layout.

    Attributes:
        pdf: The PDF's bytes.
        overfull: ``(points, source line)`` of each box wider than the page allows
            by more than :data:`OVERFULL_TOLERANCE_PT` (line ``None`` when TeX gave none).
        too_tall: The questions of a sheet (``"1c"``) too tall for one page, which
            are the only ones broken across pages.
    """

    pdf: bytes
    overfull: tuple[tuple[float, int | None], ...]
    too_tall: tuple[str, ...] = ()


def overfull_boxes(log: str) -> tuple[tuple[float, int | None], ...]:
    r"""The overfull boxes of a TeX log beyond the tolerance, as ``(points, source line)``.

    >>> overfull_boxes(r"Overfull \hbox (33.5pt too wide) in paragraph at lines 120--121")
    ((33.5, 120),)
    >>> overfull_boxes(r"Overfull \hbox (0.4pt too wide) detected at line 9")
    ()
    """
    boxes = []
    for match in _OVERFULL.finditer(log):
        line = _LINE.search(match.group(2))
        if float(match.group(1)) > OVERFULL_TOLERANCE_PT:
            boxes.append((float(match.group(1)), int(line.group(1)) if line else None))
    return tuple(boxes)


def compile_pdf(source: str) -> bytes:
    """Compile LaTeX ``source`` and return the PDF's bytes.

    Raises:
        TexError: No TeX engine is installed (the message gives the install
            command), or compiling failed (the message gives TeX's first error).
    """
    return compile_document(source).pdf


def compile_document(source: str) -> Compiled:
    """Compile LaTeX ``source``: the PDF and the boxes that run past the margins.

    Raises:
        TexError: As :func:`compile_pdf`.
    """
    latexmk, pdflatex = shutil.which("latexmk"), shutil.which("pdflatex")
    if pdflatex is None:
        raise TexError(f"no TeX engine found (pdflatex); install TeX Live: {TEX_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="symconv-tex-") as folder:
        tex = Path(folder) / "sheet.tex"
        tex.write_text(source, encoding="utf-8")
        flags = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
        command = (
            [latexmk, "-pdf", "-quiet", *flags, tex.name]
            if latexmk
            else [pdflatex, *flags, tex.name]
        )
        environment = {**os.environ, "openin_any": "p", "openout_any": "p"}
        runs = 1 if latexmk else 2  # pdflatex alone: a second run settles references
        for _ in range(runs):
            result = _run(command, folder, environment)
            if result.returncode != 0:
                failed = Path(folder, "sheet.log")
                text = failed.read_text(errors="replace") if failed.exists() else result.stdout
                first = _first_error(text)
                if re.search(r"File `[^']+\.sty' not found", first):
                    first += f"; install TeX Live: {TEX_INSTALL}"
                raise TexError(f"LaTeX failed: {first}")
        log_path = Path(folder, "sheet.log")
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        too_tall = tuple(dict.fromkeys(_TOO_TALL.findall(log)))
        return Compiled(Path(folder, "sheet.pdf").read_bytes(), overfull_boxes(log), too_tall)


def pdf_to_png(pdf: bytes, *, dpi: int = 150) -> bytes:
    """The first page of a PDF as PNG, through poppler's ``pdftoppm``.

    Raises:
        TexError: ``pdftoppm`` is missing (the message gives the install command) or failed.
    """
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise TexError(f"pdftoppm not found; install poppler-utils: {TEX_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="symconv-png-") as folder:
        source = Path(folder) / "figure.pdf"
        source.write_bytes(pdf)
        result = _run(
            [pdftoppm, "-png", "-singlefile", "-r", str(dpi), source.name, "figure"], folder
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise TexError(f"pdftoppm failed: {last}")
        return (Path(folder) / "figure.png").read_bytes()
