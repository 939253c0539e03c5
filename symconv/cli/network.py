"""``symconv derive --model FILE --input 3x224x224``: a whole network's table.

The input shape is read here, by hand: numbers and names of symbols only
(``3xHxW``), never evaluated. The model is read by :mod:`symconv.network`.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError

#: One axis of ``--input 3xHxW``: a whole number from 1, a symbol's name, or a whole
#: multiple of one plus or minus a number (``16*h``, ``16h``, ``4*h+1``).
_AXIS = re.compile(
    r"(?:(?P<number>[1-9][0-9]*)"
    r"|(?:(?P<times>[1-9][0-9]*)\*?)?(?P<name>[A-Za-z][A-Za-z0-9_]*)"
    r"(?:(?P<sign>[+-])(?P<shift>[0-9]+))?)\Z"
)

#: Readers of a model file by its extension.
MODEL_KINDS = {".onnx": "an ONNX file"}


def network_shape(tokens: list[str]) -> tuple[Any, ...]:
    """``["3x224x224"]`` or ``["3", "224", "224"]`` as a shape; names become whole symbols.

    >>> network_shape(["3x224x224"])
    (3, 224, 224)
    >>> network_shape(["3xHxW"])
    (3, H, W)
    >>> network_shape(["3x16*hx4w+1"])
    (3, 16*h, 4*w + 1)
    >>> network_shape(["3x2.5"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.errors.SymconvError: --input 3x2.5: each axis must be a whole number from 1 or ...
    """
    from sympy import Symbol

    text = "x".join(token.replace(" ", "") for token in tokens)
    axes = re.split(r"(?<![*+-])[x×,](?![*+-])", text) if text else []
    shape: list[Any] = []
    for axis in axes:
        match = _AXIS.match(axis)
        if match is None:
            raise SymconvError(
                f"--input {text}: each axis must be a whole number from 1 or a name such as H "
                f"(or 16*h, 4*h+1), got {axis!r}"
            )
        if match["number"]:
            shape.append(int(match["number"]))
            continue
        size: Any = Symbol(match["name"], integer=True, positive=True)
        size = int(match["times"] or 1) * size
        if match["sign"]:
            size += int(match["shift"]) * (1 if match["sign"] == "+" else -1)
        shape.append(size)
    if len(shape) < 2:
        raise SymconvError(
            f"--input {text or '(nothing)'}: a network's input is channels x sizes, such as "
            "3x224x224 or 3xHxW"
        )
    return tuple(shape)


def read_model(path: Path, shape: tuple[Any, ...] | None) -> Any:
    """The :class:`~symconv.stack.Stack` of a model file."""
    if path.suffix.lower() not in MODEL_KINDS:
        kinds = ", ".join(f"{ext} ({what})" for ext, what in MODEL_KINDS.items())
        raise SymconvError(f"--model {path}: symconv reads {kinds}; got {path.suffix or 'none'}")
    if not path.is_file():
        raise SymconvError(f"--model {path}: no such file")
    from symconv.network import from_onnx

    try:
        return from_onnx(path, shape)
    except ModuleNotFoundError as missing:  # the optional extra, said in one line
        raise SymconvError(str(missing)) from None


def run_network(args: argparse.Namespace) -> int:
    """Print the table of ``--model`` on ``--input``: text, ``--latex`` or ``--json``."""
    from symconv.layers.parameters import PARAMETERS
    from symconv.present.tables import network_latex_table, network_record, network_text_table

    # Every option of one convolution left at its default, or it would be ignored.
    given = {
        parameter.option: getattr(args, parameter.option.lstrip("-").replace("-", "_"))
        for parameter in PARAMETERS.values()
        if parameter.option and parameter.option != "--input"
    }
    defaults = {
        parameter.option: False
        if parameter.switch is not None
        else [parameter.default]
        if parameter.kind in ("sizes", "padding")
        else parameter.default
        for parameter in PARAMETERS.values()
        if parameter.option and parameter.option != "--input"
    }
    defaults["--kernel"] = None
    other = [option for option, value in given.items() if value != defaults[option]]
    other += [
        option
        for option, used in (
            ("--element", args.element is not None),
            ("--backward", args.backward),
            ("--show", args.show),
        )
        if used
    ]
    if other:
        raise SymconvError(
            f"--model prints the network's table; {other[0]} is for one convolution: leave it out"
        )
    if args.latex and args.json:
        raise SymconvError("--latex and --json are two formats: choose one")
    shape = network_shape(args.input) if args.input else None
    stack = read_model(Path(args.model), shape)
    if args.json:
        print(json.dumps(network_record(stack), indent=2))
    elif args.latex:
        print(network_latex_table(stack))
    else:
        print(network_text_table(stack))
    return 0
