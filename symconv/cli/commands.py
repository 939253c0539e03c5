"""What each command does once its options are read: derive, sheet, check, figure, export."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symconv.cli.options import DEFAULT_SHEET, conv_from_args, layer_arguments
from symconv.errors import SymconvError

if TYPE_CHECKING:
    from symconv.marking.marks import ClassMarks


MAX_PRINTED_TAPS = 1_000_000
#: Bytes SymPy takes per nonzero entry of a layer's sparse matrix, its symbols included
#: (about 100, measured with tracemalloc on ``Conv(n, 3).matrix()`` for n up to 10^5).
BYTES_PER_NONZERO = 100


def memory_size(count: int) -> str:
    """A number of bytes as a person reads it: ``'300 GB'``, ``'1.5 MB'``.

    >>> memory_size(299_999_999_400), memory_size(1_500_000), memory_size(999)
    ('300 GB', '1.5 MB', '999 bytes')
    """
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return (
                f"{count / size:.2g} {unit}"
                if count < 10 * size
                else f"{round(count / size):,} {unit}"
            )
    return f"{count} bytes"


def out_of_memory(args: argparse.Namespace) -> str:
    """Why a command ran out of memory, and what to ask for instead, in one sentence.

    For a layer the need is estimated from its count of multiply-adds (every
    nonzero of its matrix, padding taps included), never by building anything.
    """
    if args.command in ("derive", "figure"):
        try:
            conv = conv_from_args(args)
        except SymconvError:
            conv = None
        if conv is not None:
            nonzeros = conv.macs
            shape = " x ".join(str(n) for n in conv.input_shape)
            need = memory_size(nonzeros * BYTES_PER_NONZERO)
            what = "its gradients" if getattr(args, "backward", False) else "the full matrix"
            instead = (
                "fewer entries (--max-outputs) or a smaller --input"
                if getattr(args, "backward", False)
                else "elements (--element) or rows (--max-rows)"
            )
            return (
                f"out of memory: input {shape} needs about {need} for {what} "
                f"({nonzeros:,} nonzero weights); ask for {instead} instead"
            )
    return f"out of memory: symconv {args.command} needs more than this machine has to give"


def run_derive(args: argparse.Namespace) -> int:
    from sympy import latex

    from symconv.present.display import latex_summary, pretty, text_summary
    from symconv.present.figures import text_matrix_pattern, text_window

    if args.model is not None:
        from symconv.cli.network import run_network

        return run_network(args)
    if args.json:
        raise SymconvError("--json prints a network's table: give --model FILE")
    conv = conv_from_args(args)
    spec = conv.spec
    taps = spec.c_in * math.prod(
        min(k, w) for k, w in zip(spec.kernel_size, spec.input_size, strict=True)
    )
    if taps > MAX_PRINTED_TAPS:
        raise SymconvError(
            f"each output element sums up to {taps:,} products, too many to print "
            f"(at most {MAX_PRINTED_TAPS:,}); the shapes and counts are "
            f"input {conv.input_shape}, output {conv.output_shape}, "
            f"{conv.weight_count:,} weights"
        )
    if args.at and not args.show:
        raise SymconvError("--at chooses where --show draws the window; add --show")
    if args.show:
        window = text_window(conv, tuple(args.at) if args.at else None)
        pattern = text_matrix_pattern(conv)
        print(f"{conv!r}\n{window}\n\n{pattern}")
        return 0
    if args.backward:
        if args.element is not None or args.show:
            raise SymconvError("--backward prints the gradients; leave out --element and --show")
        # A sum over every output position (dL/dk, dL/db) is printed from its ends,
        # built alone: the work does not grow with the layer.
        from symconv.present.backward import latex_backward, text_backward

        backward = latex_backward if args.latex else text_backward
        print(backward(conv, max_entries=args.max_outputs))
        return 0
    if args.element is not None:
        element = conv.output_element(tuple(args.element))
        print(latex(element) if args.latex else pretty(element, wrap_line=False))
        return 0
    summary = latex_summary if args.latex else text_summary
    print(
        summary(conv, max_rows=args.max_rows, max_cols=args.max_cols, max_outputs=args.max_outputs)
    )
    return 0


#: What each output format is called and the file names it takes.
_FORMATS = {"tex": ("LaTeX", ".tex"), "pdf": ("a PDF", ".pdf"), "png": ("a PNG image", ".png")}


def _output_format(output: str | None, requested: str, flags: dict[str, str]) -> None:
    """Refuse an output file whose name says another format than the one requested.

    ``requested`` is the format the options ask for (``"tex"`` without a flag);
    ``flags`` maps each format to the option that asks for it.
    """
    if output is None:
        return
    suffix = Path(output).suffix.lower()
    named = next((fmt for fmt, (_, ending) in _FORMATS.items() if ending == suffix), None)
    what, ending = _FORMATS[requested]
    if named == requested:
        return
    if named is None or (named != "tex" and named not in flags):
        endings = " or ".join(_FORMATS[fmt][1] for fmt in ("tex", *flags))
        raise SymconvError(
            f"-o {output!r}: the file name must end in {endings}, the format written "
            f"(here {what}, {ending})"
        )
    asked = (
        f"with {flags[requested]}"
        if requested in flags
        else "without " + " or ".join(flags.values())
    )
    if named in flags and requested in flags:
        fix = f"use {flags[named]} instead of {flags[requested]}"
    elif named in flags:
        fix = f"add {flags[named]}"
    else:
        fix = f"leave out {flags[requested]}"
    raise SymconvError(
        f"-o {output!r} names {_FORMATS[named][0]}, but {asked} the command writes "
        f"{what}: {fix}, or name a {ending} file"
    )


def writable(path: Path | str) -> Path:
    """A file to write, checked before any work is done: not a folder, in a folder that exists.

    Raises:
        SymconvError: ``path`` is a folder, a name under a file (``notes.txt/x.tex``)
            or in a folder that does not exist; in one line.
    """
    path = Path(path)
    if path.is_dir():
        raise SymconvError(f"cannot write {str(path)!r}: it is a folder; name a file in it")
    folder = path.parent
    for above in (folder, *folder.parents):
        if above.is_dir():
            break
        if above.exists() or above.is_symlink():
            raise SymconvError(
                f"cannot write {str(path)!r}: {str(above)!r} is a file, not a folder"
            )
    if not folder.is_dir():
        raise SymconvError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    return path


def _sheet_output(args: argparse.Namespace, stem: str) -> Path:
    suffix = ".pdf" if args.pdf else ".tex"
    return writable(args.output if args.output else f"{stem}{suffix}")


def _write(path: Path, latex_source: str, pdf: bool) -> None:
    from symconv.files import write_atomic

    write_atomic(path, _pdf(latex_source) if pdf else latex_source)


def _pdf(latex_source: str) -> bytes:
    """Compile, and say in one line when something runs past the margin."""
    from symconv.present.tex import compile_document

    compiled = compile_document(latex_source)
    if compiled.overfull:
        widest, line = max(compiled.overfull, key=lambda box: box[0])
        where = f" (line {line} of the LaTeX source)" if line else ""
        more = len(compiled.overfull) - 1
        print(
            f"symconv: warning: the PDF has {len(compiled.overfull)} line"
            f"{'s' if more else ''} running past the margin, the widest by {widest:g} pt{where}",
            file=sys.stderr,
        )
    if compiled.too_tall:
        print(
            "symconv: warning: taller than a page, so continued on the next: question "
            + ", ".join(compiled.too_tall),
            file=sys.stderr,
        )
    return compiled.pdf


def _header_texts(args: argparse.Namespace) -> dict[str, str | None]:
    """--title, --course, --author and --date, each checked to be printable."""
    from symconv.present.latex import latex_escape

    texts = {"title": args.title, "course": args.course, "author": args.author, "date": args.date}
    for key, text in texts.items():
        try:
            latex_escape(text or "")
        except SymconvError as error:
            raise SymconvError(f"--{key}: {error}") from None
    return texts


def run_sheet(args: argparse.Namespace) -> int:
    if args.answer_template:
        return _answer_template(args)
    from symconv.files import write_atomic
    from symconv.sheets import build_sheet, build_sheets, render_sheets, sheet_names

    if args.list:
        for name in sheet_names():
            print(f"{name:20}  {build_sheet(name).title}")
        return 0
    if args.output is not None:
        writable(args.output)
    _output_format(args.output, "pdf" if args.pdf else "tex", {"pdf": "--pdf"})
    name = args.name or DEFAULT_SHEET
    texts = _header_texts(args)
    if args.variants is not None and args.handout:
        raise SymconvError("--variants writes the handouts and their key; leave out --handout")
    if args.variants is not None:
        first = 1 if args.seed is None else args.seed
        sheets = build_sheets(name, range(first, first + args.variants), **texts)
        stem = Path(name).stem if str(name).endswith(".toml") else name
        handouts = _sheet_output(args, f"{stem}-class")
        key = writable(handouts.with_name(f"{handouts.stem}-key{handouts.suffix}"))
        # Build both documents before writing either, so a failure leaves no file behind.
        sources = [
            (handouts, render_sheets(sheets, solutions=False, duplex=args.duplex)),
            (key, render_sheets(sheets, solutions=True, duplex=args.duplex)),
        ]
        outputs = [(path, _pdf(text) if args.pdf else text) for path, text in sources]
        for path, data in outputs:
            write_atomic(path, data)
        print(f"wrote {handouts} ({args.variants} variants) and its key {key}", file=sys.stderr)
        return 0
    sheet = build_sheet(name, seed=args.seed, **texts)
    source = render_sheets([sheet], solutions=not args.handout, duplex=args.duplex)
    if args.output is None and not args.pdf:
        sys.stdout.write(source)
        return 0
    stem = (
        sheet.name
        + ("-handout" if args.handout else "")
        + (f"-seed{args.seed}" if args.seed is not None else "")
    )
    path = _sheet_output(args, stem)
    _write(path, source, args.pdf)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _check_output(args: argparse.Namespace) -> Path | None:
    """The ``-o`` file, its folder checked before any marking is done."""
    if args.output is None:
        return None
    return writable(args.output)


def _check_format(args: argparse.Namespace, marks: ClassMarks, folder: bool) -> str:
    """The marks in the format asked for."""
    from symconv.marking.reports import (
        class_text,
        gradescope_results,
        gradescope_unmarked,
        marks_csv,
        marks_json,
    )

    if args.gradescope:
        if marks.reports:
            return json.dumps(gradescope_results(marks.reports[0]), indent=2) + "\n"
        return json.dumps(gradescope_unmarked(marks.unmarked[0], marks.sheet), indent=2) + "\n"
    if args.csv:
        return marks_csv(marks)
    if args.json:
        if folder:
            return marks_json(marks)
        return json.dumps(marks.reports[0].as_dict(), indent=2) + "\n"
    if folder:
        return class_text(marks)
    return marks.reports[0].text() + "\n"


def _answer_files(folder: Path, sheet: str | None) -> list[Path]:
    """The folder's answer files, less the instructor's sheet file if it lies there."""
    from symconv.marking.marks import answer_files

    files = answer_files(folder)
    if sheet is None or not sheet.endswith(".toml") or not Path(sheet).is_file():
        return files
    kept = [file for file in files if not (file.is_file() and file.samefile(sheet))]
    if not kept:
        raise SymconvError(f"no answer files (*.toml) in {str(folder)!r} besides the sheet")
    return kept


def run_check(args: argparse.Namespace) -> int:
    from symconv.files import write_atomic
    from symconv.marking.marks import mark_files

    path = Path(args.answers)
    output = _check_output(args)
    folder = path.is_dir()
    if folder and args.gradescope:
        raise SymconvError(
            f"--gradescope marks one submission, an answer file; {str(path)!r} is a folder"
        )
    files = _answer_files(path, args.sheet) if folder else [path]
    marks = mark_files(files, sheet=args.sheet, seed=args.seed)
    if not marks.reports and not folder and not args.gradescope:
        raise SymconvError(marks.unmarked[0].text())
    text = _check_format(args, marks, folder)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
        print(f"wrote {output}", file=sys.stderr)
    if not marks.reports:
        if folder:
            print(
                f"symconv: error: none of the {len(marks.unmarked)} answer files in "
                f"{str(path)!r} could be marked",
                file=sys.stderr,
            )
        else:
            print(f"symconv: error: {marks.unmarked[0].text()}", file=sys.stderr)
        return 2
    return 0 if marks.all_right else 1


def run_export(args: argparse.Namespace) -> int:
    from symconv.export import default_output, export

    out = Path(args.output) if args.output else default_output(args.sheet, args.format)
    left_out = export(
        args.sheet,
        args.format,
        args.variants,
        out,
        first_seed=1 if args.seed is None else args.seed,
        wheel=args.wheel,
    )
    for line in left_out:
        print(f"symconv: not exported: {line}", file=sys.stderr)
    print(
        f"wrote {out} ({args.variants} variant{'' if args.variants == 1 else 's'})", file=sys.stderr
    )
    return 0


def _answer_template(args: argparse.Namespace) -> int:
    """``symconv sheet --answer-template``: the empty answer file of a sheet."""
    clashes = [
        option
        for option, given in (
            ("--handout", args.handout),
            ("--pdf", args.pdf),
            ("--variants", args.variants is not None),
            ("--list", args.list),
        )
        if given
    ]
    if clashes:
        raise SymconvError(f"--answer-template writes a TOML answer file; leave out {clashes[0]}")
    from symconv.files import write_atomic
    from symconv.marking.answer_template import answer_template
    from symconv.sheets import build_sheet

    name = args.name or DEFAULT_SHEET
    if args.output is not None:
        writable(args.output)
    text = answer_template(build_sheet(name, seed=args.seed), name)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    write_atomic(writable(args.output), text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def run_figure(args: argparse.Namespace) -> int:
    from symconv.files import write_atomic
    from symconv.present.figures import (
        render_figure,
        scatter_figure,
        sparsity_figure,
        window_figure,
    )
    from symconv.present.tex import pdf_to_png

    if args.animate:
        return _run_animation(args)
    if args.delay is not None:
        raise SymconvError("--delay times the frames of --animate -o FILE.gif; add --animate")
    if args.png and args.pdf:
        raise SymconvError("--png and --pdf ask for two formats; give one")
    requested = "png" if args.png else "pdf" if args.pdf else "tex"
    if args.output is not None:
        writable(args.output)
    _output_format(args.output, requested, {"pdf": "--pdf", "png": "--png"})
    if args.transposed and args.kind == "matrix":
        raise SymconvError("--kind matrix draws a convolution's matrix; leave out --transposed")
    layer = _figure_layer(args)
    at = tuple(args.at) if args.at else None
    if args.kind == "matrix":
        figure = sparsity_figure(layer)
    elif args.transposed:
        figure = scatter_figure(layer, at)
    else:
        figure = window_figure(layer, at)
    source = render_figure(figure)
    if args.png or args.pdf:
        pdf = _pdf(source)
        data: str | bytes = pdf_to_png(pdf, dpi=args.dpi) if args.png else pdf
        suffix = ".png" if args.png else ".pdf"
    else:
        data, suffix = source, ".tex"
    if args.output is None and isinstance(data, str):
        sys.stdout.write(data)
        return 0
    path = writable(args.output if args.output else f"convolution-{args.kind}{suffix}")
    write_atomic(path, data)
    print(f"wrote {path}", file=sys.stderr)
    return 0


#: What --animate writes, by the ending of -o.
_ANIMATIONS = {
    ".pdf": "a page per frame",
    ".gif": "an animation",
    ".tex": "the frames' LaTeX",
}


def _run_animation(args: argparse.Namespace) -> int:
    """``symconv figure --animate -o FILE``: a frame per position, in the format FILE names."""
    from symconv.files import write_atomic
    from symconv.present.animation import (
        GIF_DELAY_MS,
        animation_frames,
        animation_gif,
        render_animation,
        require_pillow,
    )

    kinds = ", ".join(f"{ending} ({what})" for ending, what in _ANIMATIONS.items())
    clashes = [
        option
        for option, given in (
            ("--pdf", args.pdf),
            ("--png", args.png),
            ("--at", args.at),
            ("--kind matrix", args.kind == "matrix"),
        )
        if given
    ]
    if clashes:
        raise SymconvError(
            f"--animate draws the window at every position in the format -o names; "
            f"leave out {clashes[0]}"
        )
    if args.output is None:
        raise SymconvError(f"--animate writes a file: give -o FILE ending in {kinds}")
    suffix = Path(args.output).suffix.lower()
    if suffix not in _ANIMATIONS:
        raise SymconvError(f"-o {args.output!r}: --animate writes {kinds}; name one of those")
    if args.delay is not None and suffix != ".gif":
        raise SymconvError(f"--delay times a GIF's frames; leave it out for {suffix}")
    path = writable(args.output)
    if suffix == ".gif":
        require_pillow()
    animation = animation_frames(_figure_layer(args))
    source = render_animation(animation)
    data: str | bytes = source
    if suffix != ".tex":
        pdf = _pdf(source)
        delay = GIF_DELAY_MS if args.delay is None else args.delay
        data = pdf if suffix == ".pdf" else animation_gif(pdf, dpi=args.dpi, delay=delay)
    write_atomic(path, data)
    count = len(animation.frames)
    print(f"wrote {path} ({count} frame{'s' if count != 1 else ''})", file=sys.stderr)
    return 0


def _figure_layer(args: argparse.Namespace) -> Any:
    """The convolution the options describe, or with --transposed the transposed one."""
    if not args.transposed:
        if args.output_padding is not None:
            raise SymconvError(
                "--output-padding belongs to a transposed convolution; add --transposed"
            )
        return conv_from_args(args)
    from symconv.layers.transpose import ConvTranspose

    for option, given in (
        ("--circular", args.circular),
        ("--unshared", args.unshared),
        ("--flip", args.flip),
    ):
        if given:
            raise SymconvError(f"a transposed convolution (--transposed) takes no {option}")
    if not all(isinstance(amount, int) for amount in args.padding):
        raise SymconvError(
            "--transposed takes --padding as an amount per axis, the outputs cropped from "
            "each side as in PyTorch, not a name or BEFORE:AFTER"
        )

    extra = args.output_padding or [0]
    return ConvTranspose(
        **layer_arguments(args), output_padding=extra[0] if len(extra) == 1 else tuple(extra)
    )
