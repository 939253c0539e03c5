"""``symconv derive --model FILE.onnx --input 3x224x224``: a network's table from the command line.

The model is a small branchy network written in PyTorch and exported to ONNX in
the test; PyTorch's own counts (``sum(p.numel())``, half of ``FlopCounterMode``'s
total, the output's shape) are the oracle for what the command prints.
"""

from __future__ import annotations

import json
import re
import warnings

import pytest
from sympy import Symbol, parse_expr

from tests.cli_runner import run

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytestmark = pytest.mark.torch


class Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.side = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        y = self.conv2(torch.relu(self.conv1(x))) + x
        return torch.cat([y, self.side(x)], dim=1)


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 7, stride=2, padding=3)
        self.pool = torch.nn.MaxPool2d(3, stride=2, padding=1)
        self.block = Block()
        self.head = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(12, 10)

    def forward(self, x):
        x = self.block(self.pool(self.stem(x)))
        return self.fc(torch.flatten(self.head(x), 1))


def oracle(module, shape):
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module(torch.zeros(1, *shape))
    return (
        tuple(out.shape[1:]),
        sum(p.numel() for p in module.parameters()),
        (counter.get_total_flops() // 2),
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    net = Net().eval()
    path = tmp_path_factory.mktemp("model") / "net.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on its own future
        torch.onnx.export(
            net, (torch.zeros(1, 3, 64, 64),), str(path), dynamo=False,
            dynamic_axes={"input": {2: "H", 3: "W"}}, input_names=["input"],
        )  # fmt: skip
    return net, path


@pytest.mark.parametrize("size", [(64, 64), (97, 61)])
def test_the_table_totals_are_pytorchs_counts(model, capsys, size) -> None:
    net, path = model
    shape, weights, macs = oracle(net, (3, *size))
    status, out, err = run(
        ["derive", "--model", str(path), "--input", f"3x{size[0]}x{size[1]}"], capsys
    )
    assert (status, err) == (0, "")
    total = next(line for line in out.splitlines() if line.startswith("total:"))
    assert total == (
        f"total: output {' x '.join(map(str, shape))}, {weights:,} weights (biases included), "
        f"{macs:,} MACs"
    )
    assert "FLOPs = 2 x MACs" in out


def test_json_is_the_table_for_tools_and_formulas_read_back(model, capsys) -> None:
    net, path = model
    status, out, _ = run(["derive", "--model", str(path), "--input", "3xHxW", "--json"], capsys)
    assert status == 0
    record = json.loads(out)
    H, W = Symbol("H", integer=True, positive=True), Symbol("W", integer=True, positive=True)
    macs = parse_expr(record["total"]["macs"], local_dict={"H": H, "W": W})
    for size in [(64, 64), (97, 61), (33, 200)]:
        _shape, weights, expected = oracle(net, (3, *size))
        assert macs.subs({H: size[0], W: size[1]}) == expected
        assert record["total"]["weights"] == weights
    assert [row["path"] for row in record["rows"]][:3] == ["", "stem", "pool"]


def test_latex_is_a_booktabs_longtable(model, capsys) -> None:
    _, path = model
    status, out, _ = run(["derive", "--model", str(path), "--input", "3x64x64", "--latex"], capsys)
    assert status == 0
    assert out.startswith(r"\begin{longtable}")
    assert r"\toprule" in out and r"\bottomrule" in out and "total" in out


def test_without_input_the_files_own_shape_is_used(model, capsys) -> None:
    _net, path = model
    status, out, _ = run(["derive", "--model", str(path), "--json"], capsys)
    record = json.loads(out)
    assert status == 0 and record["input_shape"][0] == 3


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--model", "{path}", "--input", "3x2.5x4"], "each axis must be a whole number"),
        (["--model", "{path}", "--input", "3x0x4"], "a whole number from 1"),
        (["--model", "{path}", "--input", "3x64x64", "--stride", "2"], "--stride is for one"),
        (["--model", "{path}", "--input", "3x64x64", "--circular"], "--circular is for one"),
        (["--model", "{path}", "--input", "3x64x64", "--groups", "2"], "--groups is for one"),
        (["--model", "{path}", "--input", "3"], "channels x sizes"),
        (["--model", "{path}", "--input", "3x64x64", "--kernel", "3"], "--kernel is for one"),
        (["--model", "{path}", "--input", "3x64x64", "--json", "--latex"], "choose one"),
        (["--model", "missing.onnx", "--input", "3x64x64"], "no such file"),
        (["--model", "net.pt", "--input", "3x64x64"], ".onnx"),
        (["--input", "9", "--kernel", "3", "--json"], "give --model"),
        (["--input", "3x64x64", "--kernel", "3"], "goes with --model"),
        (["--input", "9"], "--kernel is required"),
    ],
)
def test_a_wrong_network_command_is_one_line(model, capsys, argv, words) -> None:
    _, path = model
    status, out, err = run(["derive", *(a.replace("{path}", str(path)) for a in argv)], capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err
    assert re.match(r"symconv: error: ", err)


def test_without_onnx_the_command_says_what_to_install(model, capsys, monkeypatch) -> None:
    import sys

    _, path = model
    monkeypatch.setitem(sys.modules, "onnx", None)
    status, out, err = run(["derive", "--model", str(path), "--input", "3x64x64"], capsys)
    assert status == 2 and out == ""
    assert err == "symconv: error: reading an ONNX model needs onnx: pip install symconv[onnx]\n"


def test_sizes_may_be_multiples_of_a_symbol(model, capsys) -> None:
    """The advice for sizes that must agree (H = 4*h + 1) can be typed on the command line."""
    net, path = model
    status, out, _ = run(
        ["derive", "--model", str(path), "--input", "3x4*h+1x8w", "--json"], capsys
    )
    assert status == 0
    record = json.loads(out)
    h, w = Symbol("h", integer=True, positive=True), Symbol("w", integer=True, positive=True)
    macs = parse_expr(record["total"]["macs"], local_dict={"h": h, "w": w})
    for size in [(16, 4), (24, 9)]:
        _, _, expected = oracle(net, (3, 4 * size[0] + 1, 8 * size[1]))
        assert macs.subs({h: size[0], w: size[1]}) == expected
