"""Each parameter of a convolution, once, against the four places that take it.

:mod:`symconv.layers.parameters` describes every parameter; the single layer
(:class:`~symconv.Conv`), the stack's :func:`~symconv.stack.conv`, the command
line's options and a sheet's keys must all take it under the name it gives,
with its default, and mean the same layer by it.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from symconv import Conv
from symconv import stack as nn
from symconv.cli.options import conv_from_args
from symconv.cli.parser import build_parser
from symconv.layers.parameters import PARAMETERS, REQUIRED, Parameter
from symconv.sheets.kinds.base import CONV_DEFAULTS, conv_from

#: A value other than the default for each parameter, and the layer around it.
OTHER: dict[str, Any] = {
    "input_size": 11,
    "kernel_size": 5,
    "stride": 2,
    "dilation": 2,
    "padding": 1,
    "in_channels": 2,
    "out_channels": 3,
    "padding_mode": "circular",
    "shared": False,
    "flip": True,
    "bias": True,
    "groups": 2,
    "input_letter": "z",
    "kernel_letter": "w",
    "bias_letter": "c",
}
#: What a layer needs beside the parameter for the value to be allowed.
CONTEXT: dict[str, dict[str, Any]] = {
    "groups": {"in_channels": 4, "out_channels": 4},
    "padding_mode": {"padding": 1},
}
ALL = list(PARAMETERS.values())


def test_every_parameter_has_another_value_here() -> None:
    assert set(OTHER) == set(PARAMETERS)


@pytest.mark.parametrize("parameter", ALL, ids=lambda p: p.name)
def test_the_single_layer_takes_it_with_its_default(parameter: Parameter) -> None:
    argument = inspect.signature(Conv).parameters[parameter.name]
    empty = argument.default is inspect.Parameter.empty
    assert empty if parameter.default is REQUIRED else argument.default == parameter.default


@pytest.mark.parametrize("parameter", ALL, ids=lambda p: p.name)
def test_the_stack_layer_takes_it_under_its_name_with_its_default(parameter: Parameter) -> None:
    arguments = inspect.signature(nn.conv).parameters
    if parameter.stack is None:
        assert parameter.name not in arguments
        return
    default = arguments[parameter.stack].default
    assert (
        default is inspect.Parameter.empty
        if parameter.default is REQUIRED
        else default == parameter.default
    )


def _single(parameter: Parameter) -> Conv:
    arguments = {"input_size": 9, "kernel_size": 3, **CONTEXT.get(parameter.name, {})}
    return Conv(**{**arguments, parameter.name: OTHER[parameter.name]})


def _tokens(parameter: Parameter, arguments: dict[str, Any]) -> list[str]:
    tokens = []
    for name, value in arguments.items():
        described = PARAMETERS[name]
        assert described.option is not None
        if described.switch is not None:
            tokens.append(described.option)
        else:
            tokens += [described.option, str(value)]
    return tokens


@pytest.mark.parametrize("parameter", [p for p in ALL if p.option], ids=lambda p: p.name)
def test_the_command_line_option_gives_the_same_layer(parameter: Parameter) -> None:
    arguments = {"input_size": 9, "kernel_size": 3, **CONTEXT.get(parameter.name, {})}
    arguments[parameter.name] = OTHER[parameter.name]
    args = build_parser().parse_args(["derive", *_tokens(parameter, arguments)])
    assert conv_from_args(args) == _single(parameter)


def test_every_option_of_one_convolution_is_a_described_parameter() -> None:
    parser = build_parser()
    derive = next(
        action for action in parser._actions if hasattr(action, "choices") and action.choices
    ).choices["derive"]
    group = next(g for g in derive._action_groups if g.title.startswith("the convolution"))
    options = {name for action in group._group_actions for name in action.option_strings}
    described = {p.option for p in ALL if p.option}
    assert {name for name in options if name.startswith("--")} == described


@pytest.mark.parametrize("parameter", [p for p in ALL if p.key], ids=lambda p: p.name)
def test_the_sheet_key_gives_the_same_layer(parameter: Parameter) -> None:
    keys = {**CONV_DEFAULTS, "input": 9, "kernel": 3}
    for name, value in {**CONTEXT.get(parameter.name, {}), parameter.name: None}.items():
        described = PARAMETERS[name]
        value = OTHER[name] if value is None else value
        keys[described.key] = True if described.switch is not None else value
    assert conv_from(keys) == _single(parameter)


@pytest.mark.parametrize("parameter", [p for p in ALL if p.stack], ids=lambda p: p.name)
def test_the_stack_layer_means_the_same_layer(parameter: Parameter) -> None:
    single = {"input_size": 9, "kernel_size": 3, "in_channels": 4, "out_channels": 4}
    single[parameter.name] = OTHER[parameter.name]
    made = Conv(**single)
    stacked = {"kernel": 3, "out_channels": 4, parameter.stack: OTHER[parameter.name]}
    row = nn.Stack((4, 9), [nn.conv(**stacked)]).rows[-1]
    assert (row.shape, row.weights, row.macs) == (made.output_shape, made.weight_count, made.macs)
