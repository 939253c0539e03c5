"""The ``symconv`` command: argument parsing and terminal output only.

Every failure a user can cause prints one line on stderr and exits with status
2; no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from sympy import latex, pretty

from symconv import __version__
from symconv.conv import Conv
from symconv.display import latex_summary, text_summary
from symconv.errors import SymconvError

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
examples:
  symconv derive --input 9 --kernel 3                  the worksheet's valid convolution
  symconv derive --input 9 --kernel 3 --padding same   'same' padding: the 9x9 matrix
  symconv derive --input 9 --kernel 3 --unshared       a separate kernel per position
  symconv derive --input 256 256 --kernel 5 --stride 2 --in-channels 3 --out-channels 32
  symconv derive --input 6 6 --kernel 3 --latex        LaTeX instead of text
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


def _one_or_tuple(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else tuple(values)


def conv_from_args(args: argparse.Namespace) -> Conv:
    """The :class:`Conv` that the convolution options describe."""
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
        kernel_letter=args.kernel_letter,
        input_letter=args.input_letter,
    )


def _derive(args: argparse.Namespace) -> int:
    conv = conv_from_args(args)
    if args.element is not None:
        element = conv.output_element(tuple(args.element))
        print(latex(element) if args.latex else pretty(element, wrap_line=False))
        return 0
    summary = latex_summary if args.latex else text_summary
    print(
        summary(conv, max_rows=args.max_rows, max_cols=args.max_cols, max_outputs=args.max_outputs)
    )
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
    derive.set_defaults(handler=_derive)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except (SymconvError, IndexError, TypeError) as error:
        print(f"symconv: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
