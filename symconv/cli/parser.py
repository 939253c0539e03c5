"""The ``symconv`` command line: its commands, options, help texts and examples."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from symconv import __version__
from symconv.cli.commands import run_check, run_derive, run_export, run_figure, run_sheet
from symconv.cli.options import DEFAULT_SHEET, Parser, add_conv_options, positive, seed_number

if TYPE_CHECKING:
    pass


_EXAMPLES = """\
examples:
  symconv derive --input 9 --kernel 3                  the worksheet's valid convolution
  symconv derive --input 9 --kernel 3 --padding same   'same' padding: the 9x9 matrix
  symconv derive --input 9 --kernel 3 --unshared       a separate kernel per position
  symconv derive --input 256 256 --kernel 5 --stride 2 --in-channels 3 --out-channels 32
  symconv derive --input 6 6 --kernel 3 --latex        LaTeX instead of text
  symconv derive --input 9 --kernel 3 --backward       the gradients, from g = dL/dy
  symconv derive --input 8 8 --kernel 3 --in-channels 4 --out-channels 4 --groups 4
  symconv derive --model resnet50.onnx --input 3x224x224   a network's table
  symconv derive --model resnet50.onnx --input 3xHxW       ... as formulas in H and W
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
  symconv check answers.toml --sheet mine.toml      answers to your own sheet
  symconv check answers/ --json         a whole class, as JSON
  symconv check answers/ --csv -o grades.csv        one row per student, for a gradebook
  symconv check submission/answers.toml --gradescope -o /autograder/results/results.json

exit status:
  0  every answer of every file is right
  1  some answer is wrong, missing or unreadable, or some file could not be marked
  2  nothing could be marked (no readable answer file), or a usage error such as an
     unknown sheet, a sheet with nothing to mark, or -o into a missing folder
"""


_EXPORT_EXAMPLES = """\
examples:
  symconv export gradescope weight-sharing --variants 30 -o autograder.zip
  symconv export prairielearn weight-sharing --variants 30 -o pl-course
  symconv export moodle my-sheet.toml --variants 10 -o bank.xml
  symconv export qti weight-sharing --variants 10 -o canvas-quiz.zip
"""


def _export_formats() -> str:
    import textwrap

    from symconv.export import FORMATS

    return "formats:\n" + "\n".join(
        textwrap.fill(what, 79, initial_indent=f"  {name:13} ", subsequent_indent=" " * 16)
        for name, (what, _) in FORMATS.items()
    )


_FIGURE_EXAMPLES = """\
examples:
  symconv figure --input 7 --kernel 3 --stride 2 --padding 1 --at 1 --png -o window.png
  symconv figure --input 5 5 --kernel 3 --dilation 2 --padding 2 --pdf -o dilated.pdf
  symconv figure --input 6 --kernel 3 --kind matrix --png -o pattern.png
  symconv figure --input 7 7 --kernel 3 --stride 2 --dilation 2 --padding 1 --animate -o window.gif
  symconv figure --input 3 3 --kernel 3 --stride 2 --transposed --animate -o scatter.gif
  symconv figure --input 6 --kernel 3 --in-channels 4 --out-channels 4 --groups 2 --animate \\
      -o groups.pdf
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``symconv`` command and its subcommands."""
    parser = Parser(
        prog="symconv",
        description="Derive convolution arithmetic symbolically: matrices, output elements, "
        "output sizes, tensor shapes and weight counts, with SymPy.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    derive = commands.add_parser(
        "derive",
        help="print a convolution's shapes, weight counts, matrix and output elements",
        description="Print a convolution's shapes, weight counts, its matrix (elided when "
        "large, only the rows shown are derived), output elements and the general element "
        "formula. Cross-correlation with zero padding unless told otherwise.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_conv_options(derive, network=True)
    whole = derive.add_argument_group("a whole network")
    whole.add_argument(
        "--model",
        metavar="FILE",
        help="an ONNX file: print every layer's path, output shape, weights, MACs and "
        "receptive field, and the totals; --input 3x224x224 (or 3xHxW for formulas) sets "
        "its input, else the file's own",
    )
    whole.add_argument(
        "--json", action="store_true", help="with --model: print the table as JSON, for tools"
    )
    view = derive.add_argument_group("what to print")
    view.add_argument(
        "--latex",
        action="store_true",
        help="print LaTeX (amsmath; with --model a booktabs longtable) instead of text",
    )
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
        type=positive,
        default=12,
        metavar="N",
        help="matrix rows shown before eliding (default: 12)",
    )
    view.add_argument(
        "--max-cols",
        type=positive,
        default=12,
        metavar="N",
        help="matrix columns shown before eliding (default: 12)",
    )
    view.add_argument(
        "--max-outputs",
        type=positive,
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
    derive.set_defaults(handler=run_derive)

    figure = commands.add_parser(
        "figure",
        help="draw a convolution as a TikZ picture (LaTeX, PDF or PNG), or animate it",
        description="Draw a 1-D or 2-D convolution: the padded input with the kernel placed at "
        "one output position and that output highlighted (--kind window), or the matrix's "
        "pattern of weights, shared beside unshared (--kind matrix). A transposed convolution "
        "(--transposed) is drawn as one input scattered onto the outputs it reaches. "
        "Without -o the LaTeX goes to standard output, and a PDF or PNG to "
        "convolution-KIND.pdf or .png (convolution-window.png). --animate draws every "
        "position, one frame each, in the format -o names.",
        epilog=_FIGURE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_conv_options(figure)
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
        help="output position of the window (with --transposed: the input position "
        "scattered), 0-based, one number per spatial axis; negative counts from the end "
        "(default: the first)",
    )
    drawing.add_argument(
        "--transposed",
        action="store_true",
        help="a transposed convolution, as PyTorch's ConvTranspose: --padding crops that "
        "many outputs from each side",
    )
    drawing.add_argument(
        "--output-padding",
        type=int,
        nargs="+",
        metavar="A",
        help="with --transposed: outputs added after (bottom, right), one number or one per "
        "axis (default: 0)",
    )
    drawing.add_argument(
        "--animate",
        action="store_true",
        help="one frame per output position, the window sliding (with --transposed: per input "
        "position, scattered onto the outputs); every channel is drawn when they fit, so "
        "groups show which channels each output reads. -o FILE chooses the format: .pdf "
        "one page per frame, all one size (Beamer overlays, \\includegraphics[page=N], "
        "the animate package); .gif an animation (needs Pillow: pip install symconv[gif]); "
        ".tex the frames' LaTeX",
    )
    drawing.add_argument(
        "--delay",
        type=positive,
        metavar="MS",
        help="with --animate -o FILE.gif: how long each frame stays, in milliseconds "
        "(default: 800)",
    )
    drawing.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (its folder must exist)"
    )
    drawing.add_argument("--pdf", action="store_true", help="compile to PDF")
    drawing.add_argument("--png", action="store_true", help="compile to PNG (via pdftoppm)")
    drawing.add_argument(
        "--dpi",
        type=positive,
        default=150,
        metavar="N",
        help="PNG and GIF resolution (default: 150)",
    )
    figure.set_defaults(handler=run_figure)

    sheet = commands.add_parser(
        "sheet",
        help="write a worksheet with worked solutions (or a handout) as LaTeX or PDF",
        description="Write a worksheet as LaTeX: its questions and worked solutions, every "
        "answer derived by symconv. Without NAME, the weight-sharing worksheet. Without -o "
        "the LaTeX goes to standard output; a PDF (--pdf) and a class set (--variants) go to "
        "files named after the sheet, such as weight-sharing.pdf, or weight-sharing-class.tex "
        "and its key weight-sharing-class-key.tex.",
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
        help="write to FILE (its folder must exist) instead of standard output; with "
        "--variants the handouts, and their key beside them (class.pdf, class-key.pdf)",
    )
    sheet.add_argument(
        "--handout", action="store_true", help="questions only, with room to write; no solutions"
    )
    sheet.add_argument(
        "--pdf", action="store_true", help="compile to PDF with TeX Live (latexmk or pdflatex)"
    )
    sheet.add_argument(
        "--seed",
        type=seed_number,
        metavar="N",
        help="a reproducible variant with other numbers, labelled with its seed",
    )
    sheet.add_argument(
        "--variants",
        type=positive,
        metavar="N",
        help="a class set: N distinct variants (seeds S, S+1, ... with S from --seed, default "
        "1; a seed repeating an earlier variant's numbers is skipped) in one handout "
        "document, each starting on a new page, numbering its own pages and naming its "
        "variant on every page; plus a key with their solutions, laid out the same way",
    )
    sheet.add_argument(
        "--duplex",
        action="store_true",
        help="for printing on both sides: a variant that ends on an odd page gets a blank page, "
        "so every variant starts on a sheet of paper of its own",
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
    sheet.set_defaults(handler=run_sheet)

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
        type=seed_number,
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
    marking.set_defaults(handler=run_check)

    from symconv.export import FORMATS

    exporting = commands.add_parser(
        "export",
        help="write variants of a sheet for Gradescope, PrairieLearn, Moodle or Canvas (QTI)",
        description="Write N variants of a sheet (seeds S, S+1, ... with S from --seed, "
        "default 1, as symconv sheet --variants draws them) for a teaching platform, every "
        "answer the one symconv sheet prints for its seed. The output is written whole or "
        "not at all; without -o it is SHEET-FORMAT.zip, .xml or a folder SHEET-FORMAT. "
        "What a platform cannot mark (formulas and matrices in Moodle and QTI, free text) "
        "is listed on standard error, a line per problem.",
        epilog=_export_formats() + "\n\n" + _EXPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exporting.add_argument(
        "format", metavar="FORMAT", choices=tuple(FORMATS), help="one of: " + ", ".join(FORMATS)
    )
    exporting.add_argument(
        "sheet", metavar="SHEET", help="a built-in sheet name or your own .toml file"
    )
    exporting.add_argument(
        "--variants", type=positive, default=1, metavar="N", help="variants to write (default: 1)"
    )
    exporting.add_argument(
        "--seed", type=seed_number, metavar="S", help="the first variant's seed (default: 1)"
    )
    exporting.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="the file (.zip, .xml) or, for prairielearn, the course folder to write; its "
        "folder must exist",
    )
    exporting.add_argument(
        "--wheel",
        metavar="FILE",
        help="gradescope: a symconv wheel to ship in the autograder, installed instead of "
        "symconv from PyPI",
    )
    exporting.set_defaults(handler=run_export)
    return parser
