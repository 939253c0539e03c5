"""The sheet kind ``network``: blocks of real networks asked and worked, marked and printed.

Expected values come from ``symconv.stack`` networks built here from the same
layers, and from PyTorch modules written here (weights ``sum(p.numel())``,
MACs half of ``FlopCounterMode``'s total, the output shape of a forward pass).
Marking goes through ``symconv check``; the handout must change with every
option that changes an answer; the example sheet compiles with real TeX.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from symconv import stack as nn
from symconv.answers.feedback import SLIP_HINTS
from symconv.marking.answer_template import answer_template
from symconv.marking.marks import mark_answers
from symconv.present.tex import compile_pdf
from symconv.sheets import Sheet, build_sheet, render_sheets
from symconv.sheets.kinds.network import MAKERS, PRESETS
from symconv.sheets.kinds.stack import sheet_keys
from symconv.sheets.loader import SheetError, parse_definition

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "networks.toml"
SEEDS = (None, 1, 2, 5)


# --------------------------------------------------------------------------
# Helpers: a sheet of one network problem, PyTorch's counts


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


def network_text(layers: list[Any], input_shape: tuple[int, ...], **keys: Any) -> str:
    extra = "".join(f"{key} = {toml_value(value)}\n" for key, value in keys.items())
    return (
        'title = "Networks"\n[[section]]\ntitle = "S"\n[[section.problem]]\nkind = "network"\n'
        f"input = {toml_value(list(input_shape))}\nlayers = {toml_value(layers)}\n{extra}"
    )


def network_sheet(layers: list[Any], input_shape: tuple[int, ...], **keys: Any) -> Sheet:
    return parse_definition(tomllib.loads(network_text(layers, input_shape, **keys)), name="n")


def answers(sheet: Sheet, problem: str = "1a") -> dict[str, Any]:
    return {answer.key: answer.value for answer in sheet.problem(problem).answers}


def torch_oracle(module: Any, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    """Output shape, parameters (``sum(p.numel())``) and MACs (half the flop count)."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module.eval()(torch.zeros(1, *shape))
    parameters = sum(p.numel() for p in module.parameters())
    return tuple(out.shape[1:]), parameters, counter.get_total_flops() // 2


def torch_biases(module: Any) -> int:
    """Biases as PyTorch names them (a batch norm's shift is its ``bias``)."""
    return sum(p.numel() for name, p in module.named_parameters() if name.endswith("bias"))


def torch_bottleneck(channels: int, width: int, out: int, stride: int = 1) -> Any:
    """torchvision's Bottleneck (v1.5), written out: 1x1, 3x3 (the stride), 1x1, the add, a ReLU."""
    torch = pytest.importorskip("torch")

    class Bottleneck(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(channels, width, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(width)
            self.conv2 = torch.nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(width)
            self.conv3 = torch.nn.Conv2d(width, out, 1, bias=False)
            self.bn3 = torch.nn.BatchNorm2d(out)
            self.relu = torch.nn.ReLU()
            self.downsample = (
                torch.nn.Sequential(
                    torch.nn.Conv2d(channels, out, 1, stride=stride, bias=False),
                    torch.nn.BatchNorm2d(out),
                )
                if stride != 1 or channels != out
                else None
            )

        def forward(self, x: Any) -> Any:
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(y + identity)

    return Bottleneck()


def torch_fire(channels: int, squeeze: int, expand: int) -> Any:
    """SqueezeNet's Fire, as torchvision writes it (biases on every convolution)."""
    torch = pytest.importorskip("torch")

    class Fire(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.squeeze = torch.nn.Conv2d(channels, squeeze, 1)
            self.expand1x1 = torch.nn.Conv2d(squeeze, expand, 1)
            self.expand3x3 = torch.nn.Conv2d(squeeze, expand, 3, padding=1)
            self.relu = torch.nn.ReLU()

        def forward(self, x: Any) -> Any:
            x = self.relu(self.squeeze(x))
            return torch.cat([self.relu(self.expand1x1(x)), self.relu(self.expand3x3(x))], 1)

    return Fire()


def torch_factorised(channels: int, c7: int) -> Any:
    """The example's Inception-style block: 1x1; 1x1, 1x7, 7x1; average pool, 1x1."""
    torch = pytest.importorskip("torch")

    def conv(c_in: int, c_out: int, kernel: Any, padding: Any = 0) -> Any:
        return torch.nn.Sequential(
            torch.nn.Conv2d(c_in, c_out, kernel, padding=padding), torch.nn.ReLU()
        )

    class Block(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.branch1 = conv(channels, 192, 1)
            self.branch7 = torch.nn.Sequential(
                conv(channels, c7, 1), conv(c7, c7, (1, 7), (0, 3)), conv(c7, 192, (7, 1), (3, 0))
            )
            self.pool = torch.nn.Sequential(
                torch.nn.AvgPool2d(3, stride=1, padding=1), conv(channels, 192, 1)
            )

        def forward(self, x: Any) -> Any:
            return torch.cat([self.branch1(x), self.branch7(x), self.pool(x)], 1)

    return Block()


def torch_mbconv(channels: int) -> Any:
    """torchvision's MBConv with expand ratio 1, stride 1, written out: a 3x3 depthwise
    convolution, batch norm, SiLU, squeeze and excitation (a quarter of the channels),
    a 1x1 projection, batch norm, the add."""
    torch = pytest.importorskip("torch")

    class MBConv(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.depthwise = torch.nn.Sequential(
                torch.nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                torch.nn.BatchNorm2d(channels),
                torch.nn.SiLU(),
            )
            self.scales = torch.nn.Sequential(
                torch.nn.AdaptiveAvgPool2d(1),
                torch.nn.Conv2d(channels, channels // 4, 1),
                torch.nn.SiLU(),
                torch.nn.Conv2d(channels // 4, channels, 1),
                torch.nn.Sigmoid(),
            )
            self.project = torch.nn.Sequential(
                torch.nn.Conv2d(channels, channels, 1, bias=False), torch.nn.BatchNorm2d(channels)
            )

        def forward(self, x: Any) -> Any:
            y = self.depthwise(x)
            return x + self.project(y * self.scales(y))

    return MBConv()


# --------------------------------------------------------------------------
# The example sheet's answers: from the stack built here, and from PyTorch


def bottleneck_stack(channels: int, width: int, out: int, size: int, stride: int = 1) -> Any:
    main = [
        nn.conv(1, out_channels=width), nn.batchnorm(), nn.relu(),
        nn.conv(3, out_channels=width, stride=stride, padding=1), nn.batchnorm(), nn.relu(),
        nn.conv(1, out_channels=out), nn.batchnorm(),
    ]  # fmt: skip
    shortcut = None
    if stride != 1 or channels != out:
        shortcut = [nn.conv(1, out_channels=out, stride=stride), nn.batchnorm()]
    return nn.Stack((channels, size, size), [nn.residual(*main, shortcut=shortcut), nn.relu()])


def factorised_stack(c7: int) -> Any:
    def conv(kernel: Any, out: int, padding: Any = 0) -> list[Any]:
        return [nn.conv(kernel, out_channels=out, padding=padding, bias=True), nn.relu()]

    branches = (
        conv(1, 192),
        [*conv(1, c7), *conv((1, 7), c7, (0, 3)), *conv((7, 1), 192, (3, 0))],
        [nn.pool(3, stride=1, padding=1, mode="avg"), *conv(1, 192)],
    )
    return nn.Stack((768, 17, 17), [nn.concat(*branches)])


def fire_stack(channels: int, squeeze: int, expand: int) -> Any:
    return nn.Stack(
        (channels, 55, 55),
        [
            nn.conv(1, out_channels=squeeze, bias=True),
            nn.relu(),
            nn.concat(
                [nn.conv(1, out_channels=expand, bias=True), nn.relu()],
                [nn.conv(3, out_channels=expand, padding=1, bias=True), nn.relu()],
            ),
        ],
    )


def mbconv_stack(channels: int, size: int) -> Any:
    scales = nn.gate(
        nn.adaptive_pool(1),
        nn.conv(1, out_channels=channels // 4, bias=True),
        nn.activation("silu"),
        nn.conv(1, out_channels=channels, bias=True),
        nn.activation("sigmoid"),
    )
    block = nn.residual(
        nn.conv(3, out_channels=channels, padding=1, groups=channels),
        nn.batchnorm(),
        nn.activation("silu"),
        scales,
        nn.conv(1, out_channels=channels),
        nn.batchnorm(),
    )
    return nn.Stack((channels, size, size), [block])


def field_of(stack: Any) -> Any:
    """The receptive field of the last spatial output, over every path."""
    last = next(row for row in reversed(stack.rows) if row.receptive_field[1] is not None)
    return last.receptive_field[0]


def example_stacks(sheet: Sheet) -> dict[str, Any]:
    v = sheet.parameters
    w, size = v["w"], v["size"]
    return {
        "1a": bottleneck_stack(4 * w, w, 4 * w, size),
        "1b": bottleneck_stack(4 * w, 2 * w, 8 * w, size, stride=2),
        "1c": factorised_stack(v["c7"]),
        "2a": fire_stack(v["fire_in"], v["squeeze"], 4 * v["squeeze"]),
        "3a": mbconv_stack(v["mb"], size),
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_the_examples_answers_are_what_the_stack_derives(seed: int | None) -> None:
    sheet = build_sheet(EXAMPLE, seed=seed)
    for problem, stack in example_stacks(sheet).items():
        found = answers(sheet, problem)
        expected = {
            "output_shape": stack.output_shape,
            "weights": stack.weight_count - stack.bias_count,
            "biases": stack.bias_count,
            "parameters": stack.weight_count,
            "macs": stack.macs,
            "field": field_of(stack),
        }
        assert found == {key: expected[key] for key in found}, problem
    assert list(answers(sheet, "1a")) == ["output_shape", "weights", "macs", "field"]
    assert list(answers(sheet, "1b")) == ["output_shape", "parameters", "macs"]
    # by default all is asked, the three counts as the network has biases
    assert list(answers(sheet, "2a")) == [
        "output_shape", "weights", "biases", "parameters", "macs", "field",
    ]  # fmt: skip
    assert list(answers(sheet, "3a")) == ["weights", "macs", "field"]


@pytest.mark.torch
@pytest.mark.parametrize("seed", SEEDS)
def test_the_examples_answers_are_what_pytorch_counts(seed: int | None) -> None:
    sheet = build_sheet(EXAMPLE, seed=seed)
    v = sheet.parameters
    w, size = v["w"], v["size"]
    modules = {
        "1a": (torch_bottleneck(4 * w, w, 4 * w), (4 * w, size, size)),
        "1b": (torch_bottleneck(4 * w, 2 * w, 8 * w, stride=2), (4 * w, size, size)),
        "1c": (torch_factorised(768, v["c7"]), (768, 17, 17)),
        "2a": (torch_fire(v["fire_in"], v["squeeze"], 4 * v["squeeze"]), (v["fire_in"], 55, 55)),
        "3a": (torch_mbconv(v["mb"]), (v["mb"], size, size)),
    }
    for problem, (module, shape) in modules.items():
        output_shape, parameters, macs = torch_oracle(module, shape)
        biases = torch_biases(module)
        expected = {
            "output_shape": output_shape,
            "weights": parameters - biases,
            "biases": biases,
            "parameters": parameters,
            "macs": macs,
        }
        found = answers(sheet, problem)
        assert {key: found[key] for key in expected if key in found} == {
            key: expected[key] for key in expected if key in found
        }, problem


@pytest.mark.torch
def test_the_briefs_bottleneck_against_pytorch() -> None:
    """The ResNet-50 bottleneck at 256 x 56 x 56 as an instructor writes it."""
    layers = [
        {"type": "residual", "layers": [
            {"type": "conv", "kernel": 1, "out_channels": 64}, {"type": "batchnorm"},
            {"type": "relu"},
            {"type": "conv", "kernel": 3, "out_channels": 64, "padding": 1},
            {"type": "batchnorm"}, {"type": "relu"},
            {"type": "conv", "kernel": 1, "out_channels": 256}, {"type": "batchnorm"}]},
        {"type": "relu"},
    ]  # fmt: skip
    sheet = network_sheet(layers, (256, 56, 56))
    output_shape, parameters, macs = torch_oracle(torch_bottleneck(256, 64, 256), (256, 56, 56))
    found = answers(sheet)
    assert found["output_shape"] == output_shape
    assert found["parameters"] == parameters
    assert found["macs"] == macs
    stack = bottleneck_stack(256, 64, 256, 56)
    assert found["field"] == stack.rows[-1].receptive_field[0] == field_of(stack)


def test_the_field_is_the_largest_over_every_path() -> None:
    """A branch of one 1 x 1 convolution beside one of two 3 x 3s: the concat sees 5."""
    layers = [
        {"type": "concat", "branches": [
            [{"type": "conv", "kernel": 1}],
            [{"type": "conv", "kernel": 3, "padding": 1}, {"type": "conv", "kernel": 3,
                                                            "padding": 1}]]},
    ]  # fmt: skip
    stack = nn.Stack(
        (2, 9, 9),
        [nn.concat([nn.conv(1)], [nn.conv(3, padding=1), nn.conv(3, padding=1)])],
    )
    assert answers(network_sheet(layers, (2, 9, 9)))["field"] == stack.rows[-1].receptive_field[0]
    assert stack.rows[-1].receptive_field[0] == max(
        stack.rows[1].receptive_field[0], stack.rows[3].receptive_field[0]
    )


def test_a_field_that_differs_per_axis_is_asked_per_axis() -> None:
    layers = [{"type": "conv", "kernel": [1, 7], "padding": [0, 3]}]
    sheet = network_sheet(layers, (1, 9, 9))
    stack = nn.Stack((1, 9, 9), [nn.conv((1, 7), padding=(0, 3))])
    assert answers(sheet)["field"] == tuple(f[0] for f in stack.rows[-1].receptive_fields)
    question = render_sheets([sheet], solutions=False)
    assert "along the height and along the width" in question


# --------------------------------------------------------------------------
# Gates, upsampling, group, instance and layer norms, PReLU


SQUEEZE_EXCITE: dict[str, Any] = {"type": "gate", "layers": [
    {"type": "adaptive_pool", "output_size": 1},
    {"type": "conv", "kernel": 1, "out_channels": 2, "bias": True}, {"type": "relu"},
    {"type": "conv", "kernel": 1, "out_channels": 8, "bias": True},
    {"type": "activation", "name": "sigmoid"}]}  # fmt: skip
NEW_LAYERS: list[Any] = [
    {"type": "conv", "kernel": 3, "out_channels": 8, "padding": 1},
    {"type": "groupnorm", "groups": 4},
    {"type": "prelu", "num_parameters": 8},
    {"type": "residual", "layers": [
        {"type": "conv", "kernel": 3, "out_channels": 8, "padding": 1},
        {"type": "instancenorm", "affine": True}, SQUEEZE_EXCITE]},
    {"type": "upsample", "scale_factor": 2, "mode": "bilinear"},
    {"type": "layernorm", "axes": 2},
    {"type": "concat", "branches": [[], [{"type": "prelu"}, SQUEEZE_EXCITE]]},
    {"type": "upsample", "size": [15, 17], "mode": "nearest"},
]  # fmt: skip


def new_layers_stack() -> Any:
    def squeeze_excite() -> Any:
        return nn.gate(
            nn.adaptive_pool(1), nn.conv(1, out_channels=2, bias=True), nn.relu(),
            nn.conv(1, out_channels=8, bias=True), nn.activation("sigmoid"),
        )  # fmt: skip

    return nn.Stack(
        (3, 6, 6),
        [
            nn.conv(3, out_channels=8, padding=1),
            nn.groupnorm(4),
            nn.prelu(8),
            nn.residual(
                nn.conv(3, out_channels=8, padding=1),
                nn.instancenorm(affine=True),
                squeeze_excite(),
            ),
            nn.upsample(2, mode="bilinear"),
            nn.layernorm(2),
            nn.concat([], [nn.prelu(), squeeze_excite()]),
            nn.upsample(size=(15, 17)),
        ],
    )


def test_the_new_layers_answer_as_the_stack_built_here() -> None:
    stack = new_layers_stack()
    assert answers(network_sheet(NEW_LAYERS, (3, 6, 6))) == {
        "output_shape": stack.output_shape,
        "weights": stack.weight_count - stack.bias_count,
        "biases": stack.bias_count,
        "parameters": stack.weight_count,
        "macs": stack.macs,
        "field": field_of(stack),
    }


@pytest.mark.torch
def test_the_new_layers_against_pytorch() -> None:
    """Norms' shifts are PyTorch's ``bias``, PReLU's slopes its ``weight``; a gate's
    multiplication, upsampling and the norms count no MACs."""
    torch = pytest.importorskip("torch")

    class SqueezeExcite(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scales = torch.nn.Sequential(
                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Conv2d(8, 2, 1), torch.nn.ReLU(),
                torch.nn.Conv2d(2, 8, 1), torch.nn.Sigmoid(),
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            return x * self.scales(x)

    class Network(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = torch.nn.Sequential(
                torch.nn.Conv2d(3, 8, 3, padding=1, bias=False), torch.nn.GroupNorm(4, 8),
                torch.nn.PReLU(8),
            )  # fmt: skip
            self.block = torch.nn.Sequential(
                torch.nn.Conv2d(8, 8, 3, padding=1, bias=False),
                torch.nn.InstanceNorm2d(8, affine=True), SqueezeExcite(),
            )  # fmt: skip
            self.up = torch.nn.Upsample(scale_factor=2, mode="bilinear")
            self.norm = torch.nn.LayerNorm([12, 12])
            self.branch = torch.nn.Sequential(torch.nn.PReLU(), SqueezeExcite())
            self.resize = torch.nn.Upsample(size=(15, 17), mode="nearest")

        def forward(self, x: Any) -> Any:
            x = self.head(x)
            x = self.norm(self.up(x + self.block(x)))
            return self.resize(torch.cat([x, self.branch(x)], 1))

    module = Network()
    output_shape, parameters, macs = torch_oracle(module, (3, 6, 6))
    biases = torch_biases(module)
    assert answers(network_sheet(NEW_LAYERS, (3, 6, 6))) | {"field": None} == {
        "output_shape": output_shape,
        "weights": parameters - biases,
        "biases": biases,
        "parameters": parameters,
        "macs": macs,
        "field": None,
    }


def test_a_gate_in_a_residual_is_worded_and_numbered_as_blocks_are() -> None:
    """Its layers numbered within it (1.3.1 in the residual 1, 3.2.2.1 in branch 2 of the
    concat 3), its own row, multiply, after them, in the question and the solution's table."""
    layers = [NEW_LAYERS[3], NEW_LAYERS[4], NEW_LAYERS[6]]
    sheet = network_sheet(layers, (8, 6, 6))
    written = new_layers_stack().layers
    stack = nn.Stack((8, 6, 6), [written[3], written[4], written[6]])
    assert answers(sheet)["parameters"] == stack.weight_count
    paths = [row.path for row in stack.rows[1:]]
    assert paths[:8] == ["1.1", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3"]
    assert "3.2.2.1" in paths and paths[-2:] == ["3.2.2", "3"]
    question = handout(sheet)
    for path in paths:
        assert f"\\item[{path}]" in question, path
    assert (
        "\\item[1.3] a gate (squeeze and excitation): the block's input multiplied elementwise "
        "by the output of these layers, the scales spread over the axes where they have size 1:"
    ) in question
    assert "\\item[3.2.2.1] global average pooling" in question
    assert "1.3.1 is layer 1 of block 1.3" not in question  # said of the first block
    assert "1.1 is layer 1 of block 1" in question
    key = render_sheets([sheet], solutions=True)
    assert "(\\emph{add}, \\emph{multiply}, \\emph{concat}) after its layers" in key
    for path in paths:
        assert re.search(rf"^{re.escape(path)} & ", key, re.MULTILINE), path


def test_the_new_layers_are_said_with_what_their_counts_depend_on() -> None:
    question = " ".join(handout(network_sheet(NEW_LAYERS, (3, 6, 6))).split())
    assert (
        "group normalisation over 4 groups of channels, with a learnt scale (counted as a "
        "weight) and shift (counted as a bias) per channel" in question
    )
    assert "instance normalisation, each channel normalised alone, with a learnt scale" in question
    assert "layer normalisation over the last 2 axes (the height and width)" in question
    assert (
        "a learnt slope for negative inputs per channel, 8 in all (counted as weights)" in question
    )
    assert "one learnt slope for negative inputs, shared by every channel" in question
    assert "upsampling by a factor of 2, bilinear interpolation" in question
    assert "upsampling to $15 \\times 17$ per channel, nearest neighbour" in question
    assert "not a gate's multiplications" in question
    key = " ".join(render_sheets([network_sheet(NEW_LAYERS, (3, 6, 6))], solutions=True).split())
    assert "(and a norm's scales and PReLU's slopes)" in key
    assert "(a norm's shifts among them)" in key


# --------------------------------------------------------------------------
# Presets are the layers they stand for


PRESET_CASES = [
    ({"block": "bottleneck", "width": 16}, (64, 8, 8), lambda: bottleneck_stack(64, 16, 64, 8)),
    (
        {"block": "bottleneck", "width": 16, "channels": 32, "stride": 2},
        (24, 8, 8),
        lambda: bottleneck_stack(24, 16, 32, 8, stride=2),
    ),
    ({"block": "fire", "squeeze": 8, "expand": 16}, (24, 55, 55), lambda: fire_stack(24, 8, 16)),
]


@pytest.mark.parametrize(("preset", "shape", "written"), PRESET_CASES)
def test_a_preset_is_the_stack_it_stands_for(preset, shape, written) -> None:
    stack = written()
    assert answers(network_sheet([preset], shape)) == {
        "output_shape": stack.output_shape,
        "weights": stack.weight_count - stack.bias_count,
        "biases": stack.bias_count,
        "parameters": stack.weight_count,
        "macs": stack.macs,
        "field": field_of(stack),
    }


def written_out(preset: dict[str, Any], channels: int) -> list[Any]:
    from symconv.sheets.kinds.network import expand_preset

    return expand_preset("here", preset, channels)


INCEPTION = {"block": "inception", "ch1x1": 64, "ch3x3red": 96, "ch3x3": 128, "ch5x5red": 16,
             "ch5x5": 32, "pool_proj": 32}  # fmt: skip
WRITTEN_OUT = [*(case[0] for case in PRESET_CASES), INCEPTION]


def test_every_preset_is_compared_with_its_layers_written_out() -> None:
    assert {preset["block"] for preset in WRITTEN_OUT} == set(PRESETS)


@pytest.mark.parametrize("preset", WRITTEN_OUT)
def test_a_preset_reads_and_answers_as_its_layers_written_out(preset) -> None:
    shape = (192, 28, 28) if preset["block"] == "inception" else (24, 8, 8)
    as_preset = network_sheet([preset], shape)
    as_layers = network_sheet(written_out(preset, shape[0]), shape)
    assert as_preset.problem("1a").answers == as_layers.problem("1a").answers
    assert render_sheets([as_preset], solutions=True) == render_sheets([as_layers], solutions=True)


@pytest.mark.torch
def test_the_inception_preset_against_pytorch() -> None:
    """GoogLeNet's inception (3a), each convolution a BasicConv2d, the paper's 5 x 5."""
    torch = pytest.importorskip("torch")

    def basic(c_in: int, c_out: int, kernel: int, padding: int = 0) -> Any:
        return torch.nn.Sequential(
            torch.nn.Conv2d(c_in, c_out, kernel, padding=padding, bias=False),
            torch.nn.BatchNorm2d(c_out),
            torch.nn.ReLU(),
        )

    class Inception(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.b1 = basic(192, 64, 1)
            self.b2 = torch.nn.Sequential(basic(192, 96, 1), basic(96, 128, 3, 1))
            self.b3 = torch.nn.Sequential(basic(192, 16, 1), basic(16, 32, 5, 2))
            self.b4 = torch.nn.Sequential(
                torch.nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True), basic(192, 32, 1)
            )

        def forward(self, x: Any) -> Any:
            return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)

    found = answers(network_sheet([INCEPTION], (192, 28, 28)))
    output_shape, parameters, macs = torch_oracle(Inception(), (192, 28, 28))
    assert (found["output_shape"], found["parameters"], found["macs"]) == (
        output_shape, parameters, macs,
    )  # fmt: skip


# --------------------------------------------------------------------------
# Marking with symconv check


def filled(template: str, sheet: Sheet) -> str:
    """The answer template with every answer the key's own LaTeX."""
    lines, table = [], None
    for line in template.splitlines():
        heading = re.fullmatch(r"\[(\w+)\]", line)
        if heading:
            table = heading.group(1)
        entry = re.fullmatch(r"(\w+) = ''", line)
        if entry and table is not None:
            latex = sheet.problem(table).answer(entry.group(1)).latex
            line = f"{entry.group(1)} = {json.dumps(latex)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", [None, 3])
def test_symconv_check_gives_the_keys_own_answers_full_marks(
    seed: int | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from symconv.cli import main

    sheet = build_sheet(EXAMPLE, seed=seed)
    answer_file = tmp_path / "answers.toml"
    answer_file.write_text(filled(answer_template(sheet), sheet), encoding="utf-8")
    assert main(["check", str(answer_file), "--sheet", str(EXAMPLE)]) == 0
    report = mark_answers(tomllib.loads(answer_file.read_text()), sheet=str(EXAMPLE))
    keys = {(p.id, a.key) for p in sheet.problems() for a in p.answers}
    assert {(m.question, m.key) for m in report.marks if m.marked} == keys
    assert (report.score, report.right) == (report.total, len(keys))
    capsys.readouterr()
    # one answer wrong: a MACs count one off
    wrong = tomllib.loads(answer_file.read_text())
    wrong["1a"]["macs"] = str(sheet.problem("1a").answer("macs").value + 1)
    answer_file.write_text(
        "\n".join(
            [f"seed = {seed}" if seed is not None else "", 'student = "S"']
            + [
                f"[{question}]\n"
                + "\n".join(f"{key} = {json.dumps(value)}" for key, value in table.items())
                for question, table in wrong.items()
                if isinstance(table, dict)
            ]
        ),
        encoding="utf-8",
    )
    assert main(["check", str(answer_file), "--sheet", str(EXAMPLE)]) == 1
    assert re.search(r"1a macs\s+wrong", capsys.readouterr().out)


def marks(sheet_text: str, tmp_path: Path, given: dict[str, str]) -> dict[str, Any]:
    path = tmp_path / "network.toml"
    path.write_text(sheet_text, encoding="utf-8")
    report = mark_answers({"1a": given}, sheet=str(path))
    return {mark.key: mark for mark in report.marks}


def test_wrong_answers_are_wrong_and_slips_are_named(tmp_path: Path) -> None:
    layers = [
        {"type": "conv", "kernel": 3, "out_channels": 8, "padding": 1}, {"type": "batchnorm"},
        {"type": "residual", "layers": [{"type": "conv", "kernel": 3, "padding": 1}]},
    ]  # fmt: skip
    text = network_text(layers, (3, 16, 12))
    stack = nn.Stack(
        (3, 16, 12),
        [
            nn.conv(3, out_channels=8, padding=1),
            nn.batchnorm(),
            nn.residual(nn.conv(3, padding=1)),
        ],
    )
    weights = stack.weight_count - stack.bias_count
    c, h, w = stack.output_shape
    right = {
        "output_shape": f"{c} x {h} x {w}",
        "weights": str(weights),
        "biases": str(stack.bias_count),
        "parameters": str(stack.weight_count),
        "macs": str(stack.macs),
        "field": str(field_of(stack)),
    }
    assert {key: m.status for key, m in marks(text, tmp_path, right).items()} == dict.fromkeys(
        right, "right"
    )
    found = marks(
        text,
        tmp_path,
        {
            "output_shape": f"{h} x {w} x {c}",
            "weights": str(stack.weight_count),
            "parameters": str(weights),
            "macs": str(2 * stack.macs),
            "field": str(field_of(stack) - 2),
        },
    )
    assert {key: found[key].status for key in ("output_shape", "weights", "parameters",
                                               "macs", "field")} == dict.fromkeys(
        ("output_shape", "weights", "parameters", "macs", "field"), "wrong"
    )  # fmt: skip
    assert SLIP_HINTS["channels_last"] in found["output_shape"].message
    assert SLIP_HINTS["parameters_for_weights"] in found["weights"].message
    assert SLIP_HINTS["weights_for_parameters"] in found["parameters"].message
    assert SLIP_HINTS["flops_for_macs"] in found["macs"].message
    weights_given = marks(text, tmp_path, {"macs": str(stack.weight_count)})["macs"]
    assert SLIP_HINTS["weights_for_macs"] in weights_given.message


def test_parameters_carried_from_the_students_own_weights(tmp_path: Path) -> None:
    layers = [{"type": "conv", "kernel": 3, "out_channels": 4, "bias": True}]
    text = network_text(layers, (2, 8, 8))
    stack = nn.Stack((2, 8, 8), [nn.conv(3, out_channels=4, bias=True)])
    weights = stack.weight_count - stack.bias_count
    found = marks(
        text,
        tmp_path,
        {"weights": str(weights + 1), "biases": str(stack.bias_count),
         "parameters": str(stack.weight_count + 1)},
    )  # fmt: skip
    assert found["weights"].status == "wrong"
    assert 0 < found["parameters"].earned < found["parameters"].points
    assert "carried" in found["parameters"].message


# --------------------------------------------------------------------------
# Every option that changes an answer changes the handout

BASE_INPUT = (4, 12, 12)
BASE_LAYERS: list[dict[str, Any]] = [
    {"type": "conv", "kernel": 3, "out_channels": 8, "stride": 1, "padding": 1, "dilation": 1,
     "groups": 1, "bias": False, "padding_mode": "zeros"},
    {"type": "batchnorm"},
    {"type": "pool", "kernel": 3, "stride": 2, "padding": 0, "dilation": 1, "mode": "max",
     "ceil_mode": False},
    {"type": "residual",
     "layers": [{"type": "conv", "kernel": 3, "out_channels": 8, "padding": "same"},
                {"type": "relu"}],
     "shortcut": [{"type": "conv", "kernel": 1, "out_channels": 8}]},
    {"type": "concat", "branches": [
        [{"type": "conv_transpose", "kernel": 3, "out_channels": 4, "padding": 1}],
        [],
        [{"type": "channel_split", "parts": 2}, {"type": "channel_shuffle", "groups": 2}]]},
    {"type": "conv_transpose", "kernel": 3, "out_channels": 8, "stride": 2, "padding": 1,
     "output_padding": 0, "dilation": 1, "groups": 1, "bias": False},
    {"type": "adaptive_pool", "output_size": 3, "mode": "avg"},
    {"type": "activation", "name": "sigmoid"},
    {"type": "channel_split", "parts": 2},
    {"type": "channel_shuffle", "groups": 2},
    {"type": "upsample", "scale_factor": 2, "mode": "bilinear", "align_corners": False},
    {"type": "groupnorm", "groups": 2, "affine": True},
    {"type": "instancenorm", "affine": True},
    {"type": "layernorm", "axes": 2, "affine": True, "bias": True},
    {"type": "prelu", "num_parameters": 1},
    {"type": "gate", "layers": [
        {"type": "conv", "kernel": 3, "out_channels": 1, "padding": 1, "bias": True},
        {"type": "activation", "name": "sigmoid"}]},
    {"type": "upsample", "size": [8, 8], "mode": "nearest"},
    {"type": "flatten"},
    {"type": "dense", "out_features": 10, "bias": False},
]  # fmt: skip

#: Where a layer is: its index at the top, then into a block's ``layers``, ``shortcut`` or branch.
RESIDUAL, CONCAT, GATE = (3,), (4,), (15,)
CHANGES: list[tuple[tuple[Any, ...], str, Any]] = [
    ((0,), "kernel", 5),
    ((0,), "out_channels", 6),
    ((0,), "stride", 2),
    ((0,), "padding", 0),
    ((0,), "dilation", 2),
    ((0,), "groups", 2),
    ((0,), "bias", True),
    ((0,), "padding_mode", "circular"),
    ((0,), "kernel", [1, 3]),
    ((0,), "padding", [[0, 0], [2, 3]]),
    ((2,), "kernel", 2),
    ((2,), "stride", 1),
    ((2,), "padding", 1),
    ((2,), "dilation", 2),
    ((2,), "mode", "avg"),
    ((2,), "ceil_mode", True),
    ((*RESIDUAL, "layers", 0), "bias", True),
    ((*RESIDUAL, "layers", 0), "dilation", 2),
    ((*RESIDUAL, "shortcut", 0), "bias", True),
    ((*RESIDUAL,), "shortcut", None),
    ((*CONCAT, "branches", 0, 0), "out_channels", 6),
    ((*CONCAT, "branches", 0, 0), "bias", True),
    ((*CONCAT, "branches", 0, 0), "groups", 2),
    ((*CONCAT, "branches", 2, 0), "parts", 4),
    ((*CONCAT,), "branches", [[], []]),
    ((5,), "kernel", 4),
    ((5,), "out_channels", 4),
    ((5,), "stride", 1),
    ((5,), "padding", 0),
    ((5,), "output_padding", 1),
    ((5,), "dilation", 2),
    ((5,), "groups", 2),
    ((5,), "bias", True),
    ((6,), "output_size", 2),
    ((6,), "output_size", [2, 3]),
    ((6,), "mode", "max"),
    ((7,), "name", "tanh"),
    ((8,), "parts", 4),
    ((9,), "groups", 4),
    ((10,), "scale_factor", 3),
    ((10,), "mode", "nearest"),
    ((10,), "align_corners", True),
    ((11,), "groups", 4),
    ((11,), "affine", False),
    ((12,), "affine", False),
    ((13,), "axes", 3),
    ((13,), "affine", False),
    ((13,), "bias", False),
    ((14,), "num_parameters", 4),
    ((*GATE, "layers", 0), "out_channels", 4),
    ((*GATE, "layers", 0), "bias", False),
    ((*GATE,), "layers", [{"type": "adaptive_pool", "output_size": 1}]),
    ((16,), "size", [7, 9]),
    ((18,), "out_features", 7),
    ((18,), "bias", True),
]
#: Options that change the words but none of the numbers.
SAME_NUMBERS = {
    ("pool", "mode"), ("adaptive_pool", "mode"), ("conv", "padding_mode"),
    ("activation", "name"), ("channel_shuffle", "groups"),
    ("groupnorm", "groups"),  # any number of groups that divides the channels: 2 x C weights
}  # fmt: skip


def layer_at(layers: list[Any], where: tuple[Any, ...]) -> dict[str, Any]:
    found: Any = layers
    for step in where:
        found = found[step]
    return found


def changed(where: tuple[Any, ...], key: str, value: Any) -> list[dict[str, Any]]:
    layers = copy.deepcopy(BASE_LAYERS)
    table = layer_at(layers, where)
    if value is None:
        del table[key]
    else:
        table[key] = value
    return layers


def test_every_network_layer_option_is_in_the_list_of_changes() -> None:
    options = {(kind, name) for kind, maker in MAKERS.items() for name in sheet_keys(maker)}
    changed_options = {
        (layer_at(BASE_LAYERS, where)["type"], key)
        for where, key, _ in CHANGES
        if layer_at(BASE_LAYERS, where)["type"] in MAKERS
    }
    assert options == changed_options
    blocks = {layer_at(BASE_LAYERS, where)["type"] for where, _, _ in CHANGES} - set(MAKERS)
    assert blocks == {"residual", "concat", "gate"}


def build(layers: list[Any]) -> Sheet:
    return network_sheet(layers, BASE_INPUT)


def handout(sheet: Sheet) -> str:
    text = render_sheets([sheet], solutions=False)
    return text[text.index(r"\section") :]


@pytest.mark.parametrize(("where", "key", "value"), CHANGES, ids=str)
def test_a_change_that_changes_an_answer_changes_the_handout(where, key, value) -> None:
    base, other = build(BASE_LAYERS), build(changed(where, key, value))
    if (layer_at(BASE_LAYERS, where)["type"], key) in SAME_NUMBERS:
        assert answers(base) == answers(other)
    else:
        assert answers(base) != answers(other)
    assert handout(base) != handout(other)


@pytest.mark.parametrize(
    "ask",
    [["output_shape"], ["weights", "biases"], ["parameters"], ["macs"], ["field"],
     ["output_shape", "macs", "field"]],
)  # fmt: skip
def test_ask_chooses_the_questions_and_the_answers(ask: list[str]) -> None:
    everything = build(BASE_LAYERS)
    asked = network_sheet(BASE_LAYERS, BASE_INPUT, ask=ask)
    assert list(answers(asked)) == ask
    assert all(answers(asked)[key] == answers(everything)[key] for key in ask)
    assert handout(asked) != handout(everything)


def test_ask_takes_only_what_a_network_answers() -> None:
    with pytest.raises(SheetError, match=r"key 'ask'.*'output_shape'.*'macs', 'field'"):
        network_sheet(BASE_LAYERS, BASE_INPUT, ask=["weights", "flops"])


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_every_change_reads_differently_on_the_printed_handout(tmp_path: Path) -> None:
    """One handout with the network as it is, then once per change: each reads differently."""
    sheets = [build(BASE_LAYERS), *(build(changed(*change)) for change in CHANGES)]
    (tmp_path / "handout.pdf").write_bytes(compile_pdf(render_sheets(sheets, solutions=False)))
    text = subprocess.run(
        ["pdftotext", tmp_path / "handout.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    questions = [" ".join(block.split()) for block in re.split(r"\n\s*\(a\)\s", text)[1:]]
    questions = [q[: q.index("What is the output shape")] for q in questions]
    assert len(questions) == len(sheets)
    for change, question in zip(CHANGES, questions[1:], strict=True):
        assert question != questions[0], f"{change} does not show on the handout"


# --------------------------------------------------------------------------
# Mistakes in nested layers: one line, where it is in the file's words

MISTAKES = {
    "an unknown key three deep": (
        [
            {
                "type": "residual",
                "layers": [{"type": "relu"}, {"type": "relu"}, {"type": "conv", "kernal": 3}],
            }
        ],
        r"problem \(a\) \(network\): key 'layers', layer 1 \(residual\), layers, layer 3 "
        r"\(conv\): unknown key 'kernal'; allowed: type, kernel, ",
    ),
    "a word for a number in a branch": (
        [{"type": "concat", "branches": [[], [{"type": "pool", "kernel": "k"}]]}],
        r"key 'layers', layer 1 \(concat\), branch 2, layer 1 \(pool\), key 'kernel': must be a "
        r"whole number, got 'k' \(variables are k\)",
    ),
    "a fraction in a shortcut": (
        [
            {
                "type": "residual",
                "layers": [{"type": "relu"}],
                "shortcut": [{"type": "conv", "kernel": 1, "stride": 1.5}],
            }
        ],
        r"layer 1 \(residual\), shortcut, layer 1 \(conv\), key 'stride': must be a whole number",
    ),
    "an add of other shapes": (
        [{"type": "residual", "layers": [{"type": "conv", "kernel": 3, "out_channels": 8}]}],
        r"key 'layers', layer 1 \(residual\): its layers give 8 x 6 x 6 but its input is "
        r"4 x 8 x 8; an add needs equal shapes",
    ),
    "a concat of other sizes": (
        [{"type": "concat", "branches": [[{"type": "conv", "kernel": 3}], []]}],
        r"layer 1 \(concat\): branch 1 gives 4 x 6 x 6 but branch 2 gives 4 x 8 x 8",
    ),
    "a branch that is not a list": (
        [{"type": "concat", "branches": [{"type": "relu"}]}],
        r"layer 1 \(concat\), branch 1 must be a list of layers",
    ),
    "a block key a block does not take": (
        [{"type": "residual", "layers": [{"type": "relu"}], "branches": []}],
        r"layer 1 \(residual\): unknown key 'branches'; allowed: type, layers, shortcut",
    ),
    "a residual without layers": (
        [{"type": "residual"}],
        r"layer 1 \(residual\): needs layers",
    ),
    "an unknown type": (
        [{"type": "relu"}, {"type": "dropout"}],
        r"key 'layers', layer 2: needs type = one of conv, .*prelu, residual, gate, concat",
    ),
    "a missing kernel in a branch": (
        [{"type": "concat", "branches": [[{"type": "conv"}]]}],
        r"layer 1 \(concat\), branch 1, layer 1 \(conv\): needs a kernel",
    ),
    "a preset's unknown key": (
        [{"block": "bottleneck", "width": 4, "depth": 3}],
        r"layer 1 \(bottleneck\): unknown key 'depth'; allowed: block, width, channels, stride",
    ),
    "a gate without layers": (
        [{"type": "gate"}],
        r"key 'layers', layer 1 \(gate\): needs layers = \[\.\.\.\], the layers whose output "
        r"multiplies the input",
    ),
    "a gate whose scales do not spread over its input": (
        [{"type": "gate", "layers": [{"type": "conv", "kernel": 3, "out_channels": 8}]}],
        r"key 'layers', layer 1 \(gate\): its input is 4 x 8 x 8 but its layers give 8 x 6 x 6; "
        r"a gate multiplies its input by values of the same shape, or of size 1",
    ),
    "a gate's key a gate does not take": (
        [{"type": "gate", "layers": [{"type": "relu"}], "shortcut": []}],
        r"layer 1 \(gate\): unknown key 'shortcut'; allowed: type, layers$",
    ),
    "a word for a number in a gate in a residual": (
        [
            {
                "type": "residual",
                "layers": [{"type": "gate", "layers": [{"type": "prelu", "num_parameters": "k"}]}],
            }
        ],
        r"key 'layers', layer 1 \(residual\), layers, layer 1 \(gate\), layers, layer 1 "
        r"\(prelu\), key 'num_parameters': must be a whole number, got 'k' \(variables are k\)",
    ),
    "an upsampling by a factor and to a size": (
        [{"type": "upsample", "scale_factor": 2, "size": [4, 4]}],
        r"layer 1 \(upsample\): upsample takes either scale_factor or size, not both or neither",
    ),
    "an upsampling mode PyTorch lacks": (
        [{"type": "upsample", "scale_factor": 2, "mode": "cubic"}],
        r"layer 1 \(upsample\): mode must be one of 'nearest', .*'trilinear'; got 'cubic'",
    ),
    "corners aligned in nearest upsampling": (
        [{"type": "upsample", "scale_factor": 2, "align_corners": True}],
        r"layer 1 \(upsample\): align_corners applies to the linear modes only",
    ),
    "a fraction in an upsampling size": (
        [{"type": "upsample", "size": [4, 4.5]}],
        r"layer 1 \(upsample\), key 'size': must be a whole number, got \[4, 4\.5\]",
    ),
    "groups that do not divide the channels": (
        [{"type": "groupnorm", "groups": 3}],
        r"layer 1 \(groupnorm\): groups=3 must divide the input channels 4",
    ),
    "a group norm without groups": (
        [{"type": "groupnorm"}],
        r"layer 1 \(groupnorm\): needs a groups",
    ),
    "a word for affine": (
        [{"type": "instancenorm", "affine": "yes"}],
        r"layer 1 \(instancenorm\): affine must be true or false, got 'yes'",
    ),
    "a layer norm over more axes than there are": (
        [{"type": "layernorm", "axes": 4}],
        r"layer 1 \(layernorm\): axes=4: the input 4 x 8 x 8 has 3",
    ),
    "slopes neither one nor per channel": (
        [{"type": "prelu", "num_parameters": 3}],
        r"layer 1 \(prelu\): num_parameters=3 must be 1 or the input channels 4",
    ),
    "an unknown preset": (
        [{"block": "vgg"}],
        r"layer 1: block must be one of bottleneck, fire, inception",
    ),
}


@pytest.mark.parametrize("case", list(MISTAKES), ids=list(MISTAKES))
def test_a_mistake_in_nested_layers_says_where(case: str, tmp_path: Path, capsys) -> None:
    from symconv.cli import main

    layers, message = MISTAKES[case]
    text = network_text(layers, (4, 8, 8)).replace(
        'title = "Networks"\n', 'title = "Networks"\n[variables]\nk = 3\n'
    )
    with pytest.raises(SheetError, match=message):
        parse_definition(tomllib.loads(text), name="n")
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["sheet", str(path), "-o", str(tmp_path / "out.tex")]) != 0
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and re.search(message, err), err
    assert not (tmp_path / "out.tex").exists()


def test_blocks_nested_deeper_than_a_sheet_prints_are_refused() -> None:
    layers: list[Any] = [{"type": "relu"}]
    for _ in range(5):
        layers = [{"type": "residual", "layers": layers}]
    with pytest.raises(SheetError, match=r"lists deep, and a sheet prints at most"):
        network_sheet(layers, (1, 4, 4))


# --------------------------------------------------------------------------
# The example sheet on paper


def pdflatex(tex: Path) -> str:
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex.name],
        cwd=tex.parent, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return tex.with_suffix(".log").read_text(errors="replace")


def overfull(log: str) -> list[str]:
    boxes = r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)[^\n]*"
    return [m.group(0) for m in re.finditer(boxes, log) if float(m.group(1)) > 1.0]


def first_line(page: str) -> str:
    lines = ("".join(c for c in line if c.isprintable()).strip() for line in page.splitlines())
    return next((line for line in lines if len(line) > 2 or line.isdigit()), "")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
@pytest.mark.parametrize("solutions", [True, False], ids=["key", "handout"])
def test_the_example_prints_whole_questions_and_nothing_past_the_margin(
    solutions: bool, tmp_path: Path
) -> None:
    sheets = [build_sheet(EXAMPLE, seed=seed) for seed in range(8)]
    tex = tmp_path / "networks.tex"
    tex.write_text(render_sheets(sheets, solutions=solutions), encoding="utf-8")
    log = pdflatex(tex)
    assert overfull(log) == []
    assert "taller than a page" not in log
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tex.with_suffix(".pdf")), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pages = [page for page in text.split("\f") if page.strip()]
    for number, page in enumerate(pages, 1):
        if re.search(r"Variant \d+, [^\n]*page 1 of", page):
            continue
        line = first_line(page)
        assert re.match(r"^\([a-z]\)|^\d+(\s|$)", line), (number, line)
    if solutions:
        grouped = re.sub(r"(?<=\d) (?=\d{3}\b)", "", " ".join(text.split()))
        for sheet in sheets:
            for problem in sheet.problems():
                macs = problem.answer("macs").value
                assert f"{macs} MACs per forward pass" in grouped, (sheet.seed, problem.id)
    else:
        assert "MACs per forward pass" not in " ".join(text.split())
