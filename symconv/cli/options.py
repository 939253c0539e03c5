"""Options shared by the commands: the parser class, option types, the convolution's options, and
mistyped options named with the closest valid one."""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symconv.layers.conv import Conv


# Each command imports what it uses, so ``symconv derive`` starts without the
# checker, the sheets or Jinja. The name of the default sheet is repeated here
# (a test keeps it equal to ``symconv.sheets.DEFAULT_SHEET``) for the help texts.
DEFAULT_SHEET = "weight-sharing"


class Parser(argparse.ArgumentParser):
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


def _values(parameter: Any, *, network: bool) -> dict[str, Any]:
    """argparse's arguments for one parameter of the description table."""
    from symconv.layers.parameters import REQUIRED

    if parameter.switch is not None:
        return {"action": "store_true"}
    if parameter.kind == "letter":
        return {"default": parameter.default}
    if parameter.kind == "count":
        return {
            "type": int,
            **({} if parameter.default is None else {"default": parameter.default}),
        }
    several: dict[str, Any] = {
        "nargs": "+",
        "type": _padding if parameter.kind == "padding" else int,
    }
    if parameter.name == "input_size" and network:
        several["type"] = str
    if parameter.default is not REQUIRED:
        several["default"] = [parameter.default]
    return several


def add_conv_options(parser: argparse.ArgumentParser, *, network: bool = False) -> None:
    """The options of one convolution, made from the layers' description of their parameters
    (:mod:`symconv.layers.parameters`); ``network``: ``--input`` may be a network's shape."""
    from symconv.layers.parameters import PARAMETERS, REQUIRED

    shape = parser.add_argument_group("the convolution (mirrors symconv.Conv)")
    short = {"--input": "-i", "--kernel": "-k", "--stride": "-s", "--dilation": "-d",
             "--padding": "-p"}  # fmt: skip
    for parameter in PARAMETERS.values():
        if parameter.option is None:
            continue
        words = parameter.words
        if parameter.default is REQUIRED:
            if parameter.name == "input_size" and network:
                words += "; with --model the network's input, such as 3x224x224 or 3xHxW"
        elif parameter.switch is None and parameter.default is not None:
            words += f" (default: {parameter.default})"
        shape.add_argument(
            parameter.option,
            *((short[parameter.option],) if parameter.option in short else ()),
            required=parameter.default is REQUIRED and not network,
            help=words,
            **({"metavar": parameter.metavar} if parameter.metavar else {}),
            **_values(parameter, network=network),
        )


def positive(token: str) -> int:
    try:
        value = int(token)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {token!r}")
    return value


def seed_number(token: str) -> int:
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
    from symconv.errors import SymconvError
    from symconv.layers.conv import Conv

    if args.input is None or args.kernel is None:
        missing = "--input" if args.input is None else "--kernel"
        raise SymconvError(f"{missing} is required (or --model FILE for a whole network)")
    for token in args.input:
        if not isinstance(token, int) and not str(token).isdigit():
            raise SymconvError(
                f"--input {' '.join(map(str, args.input))}: one convolution's input is sizes "
                "as whole numbers (9, or 6 6); a shape such as 3x224x224 goes with --model FILE"
            )
    args.input = [int(token) for token in args.input]

    return Conv(**layer_arguments(args))


def layer_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The layer's arguments the convolution options give, named as :class:`Conv` names
    them (:mod:`symconv.layers.parameters`): one value, or a tuple of one per axis."""
    from symconv.layers.parameters import conv_arguments

    options = conv_arguments(vars(args), by="option")
    if len(args.padding) == 1 and isinstance(args.padding[0], tuple):
        options["padding"] = (args.padding[0],) * len(args.input)
    for name, value in options.items():
        if isinstance(value, list):
            options[name] = _one_or_tuple(value)
    return options


#: Products in one output element beyond which the terminal is spared the element.


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name for action in parser._actions for name in action.option_strings if name[:2] == "--"
    ]


def unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """``unknown command 'drive'; did you mean 'derive'?`` when the command is no command.

    The command is the first word that is not an option (the top level has none
    that take a value).
    """
    commands = list(_subcommands(parser))
    word = next((token for token in argv if not token.startswith("-")), None)
    if word is None or word in commands:
        return None
    close = difflib.get_close_matches(word, commands, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "the commands are " + ", ".join(commands)
    return f"symconv: error: unknown command {word!r}; {hint} (see 'symconv --help')"


def mistyped_option(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
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


def in_options(message: str) -> str:
    """A layer's message with its parameter names said as the options that set them."""
    return _PARAMETER.sub(lambda match: _OPTION_NAMES[match.group(1)], message)
