"""One description of a convolution's parameters, for every place that takes them.

:class:`~symconv.Conv` takes its parameters as arguments, a stack's
:func:`~symconv.stack.conv` the ones a layer of a network has, the command
line as options, a sheet as keys. Each :class:`Parameter` says once what the
parameter is called in each of them, its default, whether it goes per axis,
and what it means; the command line's options and the sheets' keys and
defaults are made from this table, and a test holds the layers' signatures to
it, so that the four cannot drift apart.

>>> PARAMETERS["stride"].option, PARAMETERS["stride"].key, PARAMETERS["stride"].default
('--stride', 'stride', 1)
>>> PARAMETERS["padding_mode"].option, PARAMETERS["padding_mode"].switch
('--circular', 'circular')
>>> sheet_defaults("stride", "circular")
{'stride': 1, 'circular': False}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["PARAMETERS", "REQUIRED", "Parameter", "conv_arguments", "sheet_defaults"]

#: A parameter without a default: it must be given.
REQUIRED: Any = object()


@dataclass(frozen=True)
class Parameter:
    """One parameter of a convolution, as each place that takes it names it."""

    #: The argument of :class:`~symconv.Conv`.
    name: str
    default: Any
    #: What values it takes: sizes (one or one per axis), a padding, a count, a word, a letter.
    kind: Literal["sizes", "padding", "count", "flag", "word", "letter"]
    #: What it means, in words (the command line's help).
    words: str
    #: The argument of the stack's ``conv()``; ``None`` when a stack layer has no such thing.
    stack: str | None = None
    #: The command-line option; ``None`` when the command line does not offer it.
    option: str | None = None
    #: The key of a sheet's problem; ``None`` when sheets do not take it.
    key: str | None = None
    #: For an option or key that is a yes/no switch: the value it sets (``--circular``
    #: sets ``padding_mode="circular"``, ``--unshared`` sets ``shared=False``).
    switch: Any = None
    metavar: str = ""


_ALL = (
    Parameter(
        "input_size", REQUIRED, "sizes",
        "input size, one number per spatial axis: 9, or 6 6 for a 6x6 image",
        option="--input", key="input", metavar="N",
    ),
    Parameter(
        "kernel_size", REQUIRED, "sizes",
        "kernel size: one number for every axis, or one per axis",
        stack="kernel", option="--kernel", key="kernel", metavar="K",
    ),
    Parameter(
        "stride", 1, "sizes", "stride, one number or one per axis",
        stack="stride", option="--stride", key="stride", metavar="S",
    ),
    Parameter(
        "dilation", 1, "sizes", "dilation, one number or one per axis",
        stack="dilation", option="--dilation", key="dilation", metavar="D",
    ),
    Parameter(
        "padding", 0, "padding",
        "valid, same, full, an amount per side, or BEFORE:AFTER; one value or one per axis",
        stack="padding", option="--padding", key="padding", metavar="P",
    ),
    Parameter(
        "in_channels", None, "count", "input channels",
        option="--in-channels", key="in_channels", metavar="C",
    ),
    Parameter(
        "out_channels", None, "count", "output channels (filters)",
        stack="out_channels", option="--out-channels", key="out_channels", metavar="C",
    ),
    Parameter(
        "padding_mode", "zeros", "word", "circular padding (wraps around)",
        stack="padding_mode", option="--circular", key="circular", switch="circular",
    ),
    Parameter(
        "shared", True, "flag", "locally connected: a separate kernel at every output position",
        option="--unshared", key="unshared", switch=False,
    ),
    Parameter(
        "flip", False, "flag",
        "true convolution (kernel reversed), as numpy.convolve; default: cross-correlation",
        option="--flip", key="flip", switch=True,
    ),
    Parameter(
        "bias", False, "flag", "add a bias per output channel",
        stack="bias", option="--bias", key="bias", switch=True,
    ),
    Parameter(
        "groups", 1, "count",
        "split the channels into G groups, as PyTorch (G = in channels: depthwise)",
        stack="groups", option="--groups", key="groups", metavar="G",
    ),
    Parameter(
        "input_letter", "x", "letter", "input letter", option="--input-letter", metavar="L"
    ),
    Parameter(
        "kernel_letter", "k", "letter", "kernel letter", option="--kernel-letter", metavar="L"
    ),
    Parameter("bias_letter", "b", "letter", "bias letter"),
)  # fmt: skip

#: Every parameter of :class:`~symconv.Conv`, by its argument's name, in its order.
PARAMETERS: Mapping[str, Parameter] = {parameter.name: parameter for parameter in _ALL}


def sheet_defaults(*keys: str) -> dict[str, Any]:
    """The defaults of these sheet keys (a switch's key defaults to off).

    Raises:
        KeyError: A key no parameter has.
    """
    by_key = {parameter.key: parameter for parameter in _ALL if parameter.key}
    defaults: dict[str, Any] = {}
    for key in keys:
        parameter = by_key[key]
        if parameter.switch is not None:
            defaults[key] = False
        else:
            defaults[key] = None if parameter.default is REQUIRED else parameter.default
    return defaults


def conv_arguments(values: Mapping[str, Any], *, by: Literal["key", "option"]) -> dict[str, Any]:
    """:class:`~symconv.Conv`'s arguments from a sheet's keys (``by="key"``) or the
    command line's options (``by="option"``, named as argparse stores them).

    A switch that is on sets its value; one that is off, or a key not given, leaves
    the parameter to its default.

    >>> conv_arguments({"input": 9, "kernel": 3, "circular": True}, by="key")
    {'input_size': 9, 'kernel_size': 3, 'padding_mode': 'circular'}
    """
    arguments = {}
    for parameter in _ALL:
        name = parameter.key if by == "key" else parameter.option
        if name is None:
            continue
        if by == "option":
            name = name.lstrip("-").replace("-", "_")
        if name not in values:
            continue
        value = values[name]
        if parameter.switch is not None:
            if value is True:
                arguments[parameter.name] = parameter.switch
        else:
            arguments[parameter.name] = value
    return arguments
