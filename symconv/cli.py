"""The ``symconv`` command: argument parsing and terminal output only.

Every failure a user can cause prints one line on stderr and exits with status
2; no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symconv import __version__
from symconv.errors import SymconvError

if TYPE_CHECKING:
    from symconv.answers.marking import ClassMarks
    from symconv.layers.conv import Conv

# Each command imports what it uses, so ``symconv derive`` starts without the
# checker, the sheets or Jinja. The name of the default sheet is repeated here
# (a test keeps it equal to ``symconv.sheets.DEFAULT_SHEET``) for the help texts.
DEFAULT_SHEET = "weight-sharing"

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
examples:
  symconv derive --input 9 --kernel 3                  the worksheet's valid convolution
  symconv derive --input 9 --kernel 3 --padding same   'same' padding: the 9x9 matrix
  symconv derive --input 9 --kernel 3 --unshared       a separate kernel per position
  symconv derive --input 256 256 --kernel 5 --stride 2 --in-channels 3 --out-channels 32
  symconv derive --input 6 6 --kernel 3 --latex        LaTeX instead of text
  symconv derive --input 9 --kernel 3 --backward       the gradients, from g = dL/dy
  symconv derive --input 8 8 --kernel 3 --in-channels 4 --out-channels 4 --groups 4
  symconv sheet -o solutions.tex                       the worksheet with worked solutions
"""


_SHEET_EXAMPLES = """\
examples:
  symconv sheet -o solutions.tex             the weight-sharing sheet with worked solutions
  symconv sheet --handout --pdf              weight-sharing-handout.pdf, questions only
  symconv sheet --seed 7 --pdf               a variant with other numbers
  symconv sheet --variants 30 -o class.pdf --pdf   30 variants in one PDF, and class-key.pdf
  symconv sheet my-sheet.toml -o mine.tex    your own sheet, defined in TOML
"""


_CHECK_EXAMPLES = """\
example answer file (answers.toml):
  student = "Ada"

  [1a]
  size = "7"
  first = "k_1 x_1 + k_2 x_2 + k_3 x_3"
  last = 'k_1 x_7 + k_2 x_8 + k_3 x_9'

  [1f]
  general = '\\left\\lfloor \\frac{W + 2p - K}{s} \\right\\rfloor + 1'

examples:
  symconv sheet --answer-template -o answers.toml   the empty file students fill in
  symconv check answers.toml            a line per answer, then the score
  symconv check answers/ --json         a whole class, as JSON
  symconv check answers/ --csv -o grades.csv        one row per student, for a gradebook
  symconv check submission/answers.toml --gradescope -o /autograder/results/results.json

exit status:
  0  every answer of every file is right
  1  some answer is wrong, missing or unreadable, or some file could not be marked
  2  nothing could be marked (no readable answer file), or a usage error such as an
     unknown sheet, a sheet with nothing to mark, or -o into a missing folder
"""


_FIGURE_EXAMPLES = """\
examples:
  symconv figure --input 7 --kernel 3 --stride 2 --padding 1 --at 1 --png -o window.png
  symconv figure --input 5 5 --kernel 3 --dilation 2 --padding 2 --pdf -o dilated.pdf
  symconv figure --input 6 --kernel 3 --kind matrix --png -o pattern.png
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line plus a hint, like the other failures."""

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _padding(token: str) -> Any:
    """One --padding token: a word, an amount, or BEFORE:AFTER."""
    word = token.strip().lower()
    if word in ("valid", "same", "full"):
        return word
    try:
        if ":" in token:
            before, after = token.split(":", 1)
            return (int(before), int(after))
        return int(token)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid padding {token!r}: give an amount (1), BEFORE:AFTER (0:1), "
            "or one of valid, same, full"
        ) from None


def _add_conv_options(parser: argparse.ArgumentParser) -> None:
    shape = parser.add_argument_group("the convolution (mirrors symconv.Conv)")
    shape.add_argument(
        "--input",
        "-i",
        type=int,
        nargs="+",
        required=True,
        metavar="N",
        help="input size, one number per spatial axis: 9, or 6 6 for a 6x6 image",
    )
    shape.add_argument(
        "--kernel",
        "-k",
        type=int,
        nargs="+",
        required=True,
        metavar="K",
        help="kernel size: one number for every axis, or one per axis",
    )
    shape.add_argument(
        "--stride",
        "-s",
        type=int,
        nargs="+",
        default=[1],
        metavar="S",
        help="stride, one number or one per axis (default: 1)",
    )
    shape.add_argument(
        "--dilation",
        "-d",
        type=int,
        nargs="+",
        default=[1],
        metavar="D",
        help="dilation, one number or one per axis (default: 1)",
    )
    shape.add_argument(
        "--padding",
        "-p",
        type=_padding,
        nargs="+",
        default=[0],
        metavar="P",
        help="valid, same, full, an amount per side, or BEFORE:AFTER; "
        "one value or one per axis (default: 0)",
    )
    shape.add_argument("--in-channels", type=int, metavar="C", help="input channels")
    shape.add_argument("--out-channels", type=int, metavar="C", help="output channels (filters)")
    shape.add_argument("--circular", action="store_true", help="circular padding (wraps around)")
    shape.add_argument(
        "--unshared",
        action="store_true",
        help="locally connected: a separate kernel at every output position",
    )
    shape.add_argument(
        "--flip",
        action="store_true",
        help="true convolution (kernel reversed), as numpy.convolve; default: cross-correlation",
    )
    shape.add_argument("--bias", action="store_true", help="add a bias per output channel")
    shape.add_argument(
        "--groups",
        type=int,
        default=1,
        metavar="G",
        help="split the channels into G groups, as PyTorch (G = in channels: depthwise)",
    )
    shape.add_argument(
        "--kernel-letter", default="k", metavar="L", help="kernel letter (default: k)"
    )
    shape.add_argument("--input-letter", default="x", metavar="L", help="input letter (default: x)")


def _positive(token: str) -> int:
    try:
        value = int(token)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {token!r}")
    return value


def _seed(token: str) -> int:
    """A --seed: a whole number from 0."""
    try:
        value = int(token)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0, got {token!r}")
    return value


def _one_or_tuple(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else tuple(values)


def conv_from_args(args: argparse.Namespace) -> Conv:
    """The :class:`Conv` that the convolution options describe."""
    from symconv.layers.conv import Conv

    if len(args.padding) == 1 and isinstance(args.padding[0], tuple):
        padding: Any = (args.padding[0],) * len(args.input)
    else:
        padding = _one_or_tuple(args.padding)
    return Conv(
        _one_or_tuple(args.input),
        _one_or_tuple(args.kernel),
        stride=_one_or_tuple(args.stride),
        padding=padding,
        dilation=_one_or_tuple(args.dilation),
        in_channels=args.in_channels,
        out_channels=args.out_channels,
        padding_mode="circular" if args.circular else "zeros",
        shared=not args.unshared,
        flip=args.flip,
        bias=args.bias,
        groups=args.groups,
        kernel_letter=args.kernel_letter,
        input_letter=args.input_letter,
    )


#: Products in one output element beyond which the terminal is spared the element.
MAX_PRINTED_TAPS = 1_000_000


def _derive(args: argparse.Namespace) -> int:
    from sympy import latex

    from symconv.present.display import latex_summary, pretty, text_summary
    from symconv.present.figures import text_matrix_pattern, text_window

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


def _sheet_output(args: argparse.Namespace, stem: str) -> Path:
    suffix = ".pdf" if args.pdf else ".tex"
    return Path(args.output) if args.output else Path(f"{stem}{suffix}")


def _write(path: Path, latex_source: str, pdf: bool) -> None:
    from symconv.present.tex import write_atomic

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
    return compiled.pdf


def _sheet(args: argparse.Namespace) -> int:
    if args.answer_template:
        return _answer_template(args)
    from symconv.present.tex import write_atomic
    from symconv.sheets import build_sheet, render_sheets, sheet_names

    if args.list:
        for name in sheet_names():
            print(f"{name:20}  {build_sheet(name).title}")
        return 0
    _output_format(args.output, "pdf" if args.pdf else "tex", {"pdf": "--pdf"})
    name = args.name or DEFAULT_SHEET
    texts = {"title": args.title, "course": args.course, "author": args.author, "date": args.date}
    if args.variants is not None and args.handout:
        raise SymconvError("--variants writes the handouts and their key; leave out --handout")
    if args.variants is not None:
        first = 1 if args.seed is None else args.seed
        sheets = [build_sheet(name, seed=first + n, **texts) for n in range(args.variants)]
        stem = Path(name).stem if str(name).endswith(".toml") else name
        handouts = _sheet_output(args, f"{stem}-class")
        key = handouts.with_name(f"{handouts.stem}-key{handouts.suffix}")
        # Build both documents before writing either, so a failure leaves no file behind.
        sources = [
            (handouts, render_sheets(sheets, solutions=False)),
            (key, render_sheets(sheets, solutions=True)),
        ]
        outputs = [(path, _pdf(text) if args.pdf else text) for path, text in sources]
        for path, data in outputs:
            write_atomic(path, data)
        print(f"wrote {handouts} ({args.variants} variants) and its key {key}", file=sys.stderr)
        return 0
    sheet = build_sheet(name, seed=args.seed, **texts)
    source = render_sheets([sheet], solutions=not args.handout)
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
    path = Path(args.output)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SymconvError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise SymconvError(f"cannot write {str(path)!r}: it is a folder")
    return path


def _check_format(args: argparse.Namespace, marks: ClassMarks, folder: bool) -> str:
    """The marks in the format asked for."""
    from symconv.answers.reports import (
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
    from symconv.answers.marking import answer_files

    files = answer_files(folder)
    if sheet is None or not sheet.endswith(".toml") or not Path(sheet).is_file():
        return files
    kept = [file for file in files if not (file.is_file() and file.samefile(sheet))]
    if not kept:
        raise SymconvError(f"no answer files (*.toml) in {str(folder)!r} besides the sheet")
    return kept


def _check(args: argparse.Namespace) -> int:
    from symconv.answers.marking import mark_files
    from symconv.present.tex import write_atomic

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
    from symconv.answers.answer_template import answer_template
    from symconv.present.tex import write_atomic
    from symconv.sheets import build_sheet

    text = answer_template(build_sheet(args.name or DEFAULT_SHEET, seed=args.seed))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    write_atomic(Path(args.output), text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _figure(args: argparse.Namespace) -> int:
    from symconv.present.figures import render_figure, sparsity_figure, window_figure
    from symconv.present.tex import pdf_to_png, write_atomic

    if args.png and args.pdf:
        raise SymconvError("--png and --pdf ask for two formats; give one")
    requested = "png" if args.png else "pdf" if args.pdf else "tex"
    _output_format(args.output, requested, {"pdf": "--pdf", "png": "--png"})
    conv = conv_from_args(args)
    at = tuple(args.at) if args.at else None
    figure = sparsity_figure(conv) if args.kind == "matrix" else window_figure(conv, at)
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
    path = Path(args.output) if args.output else Path(f"convolution-{args.kind}{suffix}")
    write_atomic(path, data)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``symconv`` command and its subcommands."""
    parser = _Parser(
        prog="symconv",
        description="Derive convolution arithmetic symbolically: matrices, output elements, "
        "output sizes, tensor shapes and weight counts, with SymPy.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    derive = commands.add_parser(
        "derive",
        help="print a convolution's shapes, weight counts, matrix and output elements",
        description="Print a convolution's shapes, weight counts, its matrix (elided when "
        "large, only the rows shown are derived), output elements and the general element "
        "formula. Cross-correlation with zero padding unless told otherwise.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_conv_options(derive)
    view = derive.add_argument_group("what to print")
    view.add_argument("--latex", action="store_true", help="print LaTeX (amsmath) instead of text")
    view.add_argument(
        "--element",
        type=int,
        nargs="+",
        metavar="I",
        help="print only the output element at this 0-based index (one number per output "
        "axis, channel first; negative counts from the end)",
    )
    view.add_argument(
        "--max-rows",
        type=_positive,
        default=12,
        metavar="N",
        help="matrix rows shown before eliding (default: 12)",
    )
    view.add_argument(
        "--max-cols",
        type=_positive,
        default=12,
        metavar="N",
        help="matrix columns shown before eliding (default: 12)",
    )
    view.add_argument(
        "--max-outputs",
        type=_positive,
        default=6,
        metavar="N",
        help="output elements listed before eliding (default: 6)",
    )
    view.add_argument(
        "--backward",
        action="store_true",
        help="print the gradients dL/dx, dL/dk (and dL/db) in terms of the upstream g = dL/dy, "
        "and their general formulas",
    )
    view.add_argument(
        "--show",
        action="store_true",
        help="draw the sliding window and the matrix pattern with text characters",
    )
    view.add_argument(
        "--at",
        type=int,
        nargs="+",
        metavar="I",
        help="with --show: the output position (0-based, one number per spatial axis) "
        "where the window is drawn (default: the first)",
    )
    derive.set_defaults(handler=_derive)

    figure = commands.add_parser(
        "figure",
        help="draw a convolution as a TikZ picture (LaTeX, PDF or PNG)",
        description="Draw a 1-D or 2-D convolution: the padded input with the kernel placed at "
        "one output position and that output highlighted (--kind window), or the matrix's "
        "pattern of weights, shared beside unshared (--kind matrix). Without -o the LaTeX "
        "goes to standard output.",
        epilog=_FIGURE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_conv_options(figure)
    drawing = figure.add_argument_group("the picture")
    drawing.add_argument(
        "--kind",
        choices=("window", "matrix"),
        default="window",
        help="the sliding window (default) or the matrix pattern",
    )
    drawing.add_argument(
        "--at",
        type=int,
        nargs="+",
        metavar="I",
        help="output position of the window, 0-based, one number per spatial "
        "axis; negative counts from the end (default: the first)",
    )
    drawing.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    drawing.add_argument("--pdf", action="store_true", help="compile to PDF")
    drawing.add_argument("--png", action="store_true", help="compile to PNG (via pdftoppm)")
    drawing.add_argument(
        "--dpi", type=_positive, default=150, metavar="N", help="PNG resolution (default: 150)"
    )
    figure.set_defaults(handler=_figure)

    sheet = commands.add_parser(
        "sheet",
        help="write a worksheet with worked solutions (or a handout) as LaTeX or PDF",
        description="Write a worksheet as LaTeX: its questions and worked solutions, every "
        "answer derived by symconv. Without NAME, the weight-sharing worksheet. Without -o "
        "the LaTeX goes to standard output.",
        epilog=_SHEET_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sheet.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help=f"a built-in sheet (see --list; default: {DEFAULT_SHEET}) or your own .toml file",
    )
    sheet.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (its folder must exist) instead of standard output",
    )
    sheet.add_argument(
        "--handout", action="store_true", help="questions only, with room to write; no solutions"
    )
    sheet.add_argument(
        "--pdf", action="store_true", help="compile to PDF with TeX Live (latexmk or pdflatex)"
    )
    sheet.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        help="a reproducible variant with other numbers, labelled with its seed",
    )
    sheet.add_argument(
        "--variants",
        type=_positive,
        metavar="N",
        help="a class set: N variants (seeds S, S+1, ... with S from --seed, default 1) in one "
        "handout document, each starting on a new page, numbering its own pages and naming its "
        "variant on every page; plus a key with their solutions, laid out the same way",
    )
    sheet.add_argument("--title", help="title printed on the sheet")
    sheet.add_argument("--course", help="course name printed under the title")
    sheet.add_argument("--author", help="author printed under the title")
    sheet.add_argument("--date", help="date printed under the title")
    sheet.add_argument("--list", action="store_true", help="list the built-in sheets and exit")
    sheet.add_argument(
        "--answer-template",
        action="store_true",
        help="write the empty answer file (TOML) that students fill in for symconv check",
    )
    sheet.set_defaults(handler=_sheet)

    marking = commands.add_parser(
        "check",
        help="mark a file of answers (or a folder of them) against a sheet",
        description="Mark a student's answer file (TOML: one table per question, such as "
        '[1a] with size = "7") against a sheet, every answer checked against what '
        "symconv derives. A folder marks every *.toml in it and adds a class summary; a "
        "file that cannot be read (not TOML, not UTF-8, a folder, a broken link) is "
        "reported in one line and the others are marked all the same. The sheet is "
        "the one given with --sheet (else the built-in default), never the answer file's "
        "own; the file's seed chooses the variant unless --seed is given. A problem's "
        "points = N in the sheet is shared by its answers; otherwise each answer is "
        "worth one point.",
        epilog=_CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    marking.add_argument("answers", metavar="ANSWERS", help="an answer file, or a folder of them")
    marking.add_argument(
        "--sheet",
        metavar="NAME|FILE",
        help=f"the sheet answered: a built-in name or your .toml file (default: {DEFAULT_SHEET})",
    )
    marking.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        help="the variant answered (default: each file's own seed, else the sheet itself)",
    )
    formats = marking.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="the marks as JSON")
    formats.add_argument(
        "--csv",
        action="store_true",
        help="one row per file for a gradebook: points per answer, score, total, error",
    )
    formats.add_argument(
        "--gradescope",
        action="store_true",
        help="Gradescope's autograder results.json for one answer file (not a folder)",
    )
    marking.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE, whole or not at all (its folder must exist) instead of "
        "standard output",
    )
    marking.set_defaults(handler=_check)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name for action in parser._actions for name in action.option_strings if name[:2] == "--"
    ]


def _mistyped_option(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """``unknown option --inptu; did you mean --input?`` for the first option no command knows.

    Checked before argparse parses, which would otherwise report a missing
    required option and never name the typo.
    """
    commands = _subcommands(parser)
    command = next((token for token in argv if token in commands), None)
    known = _long_options(parser) + (_long_options(commands[command]) if command else [])
    for token in argv:
        if token == "--":
            break
        if not token.startswith("--"):
            continue
        name = token.split("=", 1)[0]
        if name in known or any(option.startswith(name) for option in known):
            continue  # exact, or an unambiguous abbreviation argparse accepts
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        where = f"symconv {command}" if command else "symconv"
        return f"{where}: error: unknown option {name}{hint} (see '{where} --help')"
    return None


#: Python parameter names in the layers' messages, and the options that set them.
_OPTION_NAMES = {
    "input_size": "--input",
    "kernel_size": "--kernel",
    "stride": "--stride",
    "dilation": "--dilation",
    "padding": "--padding",
    "in_channels": "--in-channels",
    "out_channels": "--out-channels",
    "input_letter": "--input-letter",
    "kernel_letter": "--kernel-letter",
    "padding_mode": "--circular",
}
_PARAMETER = re.compile(r"(?<![\w-])(" + "|".join(_OPTION_NAMES) + r")(\[\d+\])?(?![\w-])")


def _in_options(message: str) -> str:
    """A layer's message with its parameter names said as the options that set them."""
    return _PARAMETER.sub(lambda match: _OPTION_NAMES[match.group(1)], message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    tokens = list(sys.argv[1:] if argv is None else argv)
    mistyped = _mistyped_option(parser, tokens)
    if mistyped:
        print(mistyped, file=sys.stderr)
        return 2
    args = parser.parse_args(tokens)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except (SymconvError, IndexError, TypeError) as error:
        message = str(error)
        if args.command in ("derive", "figure"):
            message = _in_options(message)
        print(f"symconv: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        # A failure symconv did not foresee still reaches the user as one line.
        first = (str(error).splitlines() or [""])[0]
        print(f"symconv: error: {type(error).__name__}: {first}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
