"""The ``symconv`` command: argument parsing and terminal output only.

:mod:`~symconv.cli.parser` declares the commands and their options,
:mod:`~symconv.cli.options` the option types shared by them,
:mod:`~symconv.cli.commands` what each command does.

Every failure a user can cause prints one line on stderr and exits with status
2; no traceback reaches the terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from symconv.cli.commands import MAX_PRINTED_TAPS, out_of_memory
from symconv.cli.options import in_options, mistyped_option, unknown_command
from symconv.cli.parser import build_parser
from symconv.errors import SymconvError

__all__ = ["MAX_PRINTED_TAPS", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    tokens = list(sys.argv[1:] if argv is None else argv)
    mistyped = unknown_command(parser, tokens) or mistyped_option(parser, tokens)
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
            message = in_options(message)
        print(f"symconv: error: {message}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"symconv: error: {out_of_memory(args)}", file=sys.stderr)
        return 2
    except RecursionError:
        print("symconv: error: too deeply nested to work out; ask for less", file=sys.stderr)
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
