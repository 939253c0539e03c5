"""One vocabulary for counts: weights, biases, and parameters (both), in every kind.

Expected counts come from the layers (``Conv``, ``Stack``) or from arithmetic on
the layer's sizes written here (PyTorch's shapes: a filter is ``C_in/groups x K x K``,
a bias one per output channel, a batch norm a scale and a shift per channel).
The slips' hints are the ones marking names (``SLIP_HINTS``), looked up, not copied.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from symconv import Conv
from symconv.answers.feedback import SLIP_HINTS
from symconv.layers.stack import Stack, batchnorm, conv, dense, flatten, relu
from symconv.marking.marks import mark_answers
from symconv.present.tex import compile_pdf
from symconv.sheets import Sheet, render_sheets
from symconv.sheets.loader import parse_definition


def counts_sheet(tmp_path: Path, **keys: Any) -> Path:
    """A sheet file with one counts problem: CS231n's 10 filters of 5 x 5 on 32 x 32 x 3."""
    layer = {"image": 32, "channels": 3, "kernel": 5, "filters": 10, "padding": 2, **keys}
    lines = "\n".join(f"{key} = {toml_value(value)}" for key, value in layer.items())
    path = tmp_path / "counts.toml"
    path.write_text(
        'title = "Counts"\n[[section]]\ntitle = "S"\n'
        f'[[section.problem]]\nkind = "counts"\n{lines}\n',
        encoding="utf-8",
    )
    return path


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def torch_conv() -> Any:
    """The counts sheet's layer in PyTorch: 10 filters of 5 x 5 over 3 channels, with bias."""
    torch = pytest.importorskip("torch")
    return torch.nn.Conv2d(3, 10, 5, padding=2, bias=True)


def torch_counts(module: Any) -> tuple[int, int]:
    """Weights and biases of a PyTorch module, by the names PyTorch gives its parameters."""
    weights = biases = 0
    for name, parameter in module.named_parameters():
        if name.endswith("bias"):
            biases += parameter.numel()
        else:
            weights += parameter.numel()
    return weights, biases


def marks(path: Path, given: dict[str, str]) -> dict[str, Any]:
    report = mark_answers({"1a": given}, sheet=str(path))
    return {mark.key: mark for mark in report.marks}


def test_a_counts_problem_with_bias_asks_weights_biases_and_parameters(tmp_path: Path) -> None:
    path = counts_sheet(tmp_path, bias=True)
    problem = parse_definition(tomllib.loads(path.read_text()), name="c").problem("1a")
    weights, biases = torch_counts(torch_conv())
    assert problem.answer("weights").value == weights
    assert problem.answer("biases").value == biases
    assert problem.answer("parameters").value == weights + biases
    # the public API's weight_count counts the bias when bias=True: it is the parameters
    with_bias = Conv((32, 32), 5, padding=2, in_channels=3, out_channels=10, bias=True)
    assert problem.answer("parameters").value == with_bias.weight_count


def test_the_cs231n_answer_is_right_where_parameters_are_asked(tmp_path: Path) -> None:
    path = counts_sheet(tmp_path, bias=True, ask=["parameters"])
    weights, biases = torch_counts(torch_conv())
    parameters = weights + biases
    assert marks(path, {"parameters": str(parameters)})["parameters"].status == "right"
    given_weights = marks(path, {"parameters": str(weights)})["parameters"]
    assert given_weights.status == "wrong"
    assert SLIP_HINTS["weights_for_parameters"] in given_weights.message
    problem = parse_definition(tomllib.loads(path.read_text()), name="c").problem("1a")
    assert [a.key for a in problem.answers] == ["output_shape", "parameters", "dense_weights"]


def test_parameters_given_for_the_weights_are_named(tmp_path: Path) -> None:
    path = counts_sheet(tmp_path, bias=True)
    weights, biases = torch_counts(torch_conv())
    mark = marks(path, {"weights": f"{weights + biases} weights"})["weights"]
    assert mark.status == "wrong"
    assert SLIP_HINTS["parameters_for_weights"] in mark.message
    assert SLIP_HINTS["weights_for_parameters"] not in mark.message
    other = marks(path, {"weights": str(weights + biases + 1)})["weights"]
    assert other.status == "wrong" and SLIP_HINTS["parameters_for_weights"] not in other.message
    assert marks(path, {"weights": str(weights)})["weights"].status == "right"


def test_a_bias_counted_on_a_layer_without_is_named(tmp_path: Path) -> None:
    path = counts_sheet(tmp_path)
    problem = parse_definition(tomllib.loads(path.read_text()), name="c").problem("1a")
    assert [a.key for a in problem.answers] == ["output_shape", "weights", "dense_weights"]
    weights, biases = torch_counts(torch_conv())
    mark = marks(path, {"weights": str(weights + biases)})["weights"]
    assert SLIP_HINTS["biases_the_layer_has_not"] in mark.message


def test_ask_takes_only_the_three_counts(tmp_path: Path) -> None:
    from symconv.sheets.loader import SheetError

    path = counts_sheet(tmp_path, bias=True, ask=["weights", "filters"])
    with pytest.raises(SheetError, match=r"key 'ask'.*'weights', 'biases', 'parameters'"):
        parse_definition(tomllib.loads(path.read_text()), name="c")


def test_the_counts_wording_follows_bias_and_ask(tmp_path: Path) -> None:
    def question(**keys: Any) -> str:
        path = counts_sheet(tmp_path, **keys)
        sheet = parse_definition(tomllib.loads(path.read_text()), name="c")
        return render_sheets([sheet], solutions=False)

    plain, biased = question(), question(bias=True)
    only = question(bias=True, ask=["parameters"])
    assert r"\textbf{parameters}" not in plain and r"\textbf{biases}" not in plain
    assert r"\textbf{weights}" in biased and r"\textbf{biases}" in biased
    assert r"\textbf{parameters}" in biased
    assert r"\textbf{parameters}" in only and r"\textbf{weights} do" not in only


# --------------------------------------------------------------------------
# Stacks


def stack_definition(layers: list[dict[str, Any]], input_shape: tuple[int, ...]) -> dict[str, Any]:
    tables = ", ".join(
        "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in layer.items()) + " }"
        for layer in layers
    )
    return tomllib.loads(
        '[[section]]\ntitle = "S"\n[[section.problem]]\nkind = "stack"\n'
        f"input = {toml_value(list(input_shape))}\nlayers = [{tables}]\n"
    )


def test_a_stack_counts_weights_biases_and_parameters_apart() -> None:
    layers = [
        {"type": "conv", "kernel": 3, "out_channels": 8, "padding": 1, "bias": True},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "conv", "kernel": 3, "out_channels": 8, "groups": 4},
        {"type": "flatten"},
        {"type": "dense", "out_features": 5, "bias": True},
    ]
    problem = parse_definition(stack_definition(layers, (4, 6, 6)), name="s").problem("1a")
    torch = pytest.importorskip("torch")
    network = torch.nn.Sequential(
        torch.nn.Conv2d(4, 8, 3, padding=1, bias=True),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, groups=4, bias=False),
        torch.nn.Flatten(),
        torch.nn.LazyLinear(5, bias=True),
    )
    network(torch.zeros(1, 4, 6, 6))  # the dense layer learns its input size
    weights, biases = torch_counts(network)  # a batch norm's shift is its bias, as PyTorch names it
    assert problem.answer("weights").value == weights
    assert problem.answer("biases").value == biases
    assert problem.answer("parameters").value == weights + biases
    stack = Stack(
        (4, 6, 6),
        [
            conv(3, out_channels=8, padding=1, bias=True),
            batchnorm(),
            relu(),
            conv(3, out_channels=8, groups=4),
            flatten(),
            dense(5, bias=True),
        ],
    )
    assert (stack.weight_count, stack.bias_count) == (weights + biases, biases)


BASE_LAYERS: list[dict[str, Any]] = [
    {"type": "conv", "kernel": 3, "out_channels": 8, "stride": 1, "padding": 1, "dilation": 1,
     "groups": 1, "bias": False, "padding_mode": "zeros"},
    {"type": "pool", "kernel": 3, "stride": 2, "padding": 0, "mode": "max", "ceil_mode": False,
     "dilation": 1},
    {"type": "flatten"},
    {"type": "dense", "out_features": 10, "bias": False},
]  # fmt: skip
BASE_INPUT = (4, 12, 12)

#: Every option of every layer a stack problem takes, and another value for it.
CHANGES = [
    (0, "kernel", 5),
    (0, "out_channels", 6),
    (0, "stride", 2),
    (0, "padding", 0),
    (0, "dilation", 2),
    (0, "groups", 2),
    (0, "bias", True),
    (0, "padding_mode", "circular"),
    (0, "kernel", [1, 3]),
    (0, "stride", [1, 2]),
    (0, "padding", [[0, 0], [2, 3]]),
    (1, "kernel", 2),
    (1, "stride", 1),
    (1, "padding", 1),
    (1, "mode", "avg"),
    (1, "ceil_mode", True),
    (1, "dilation", 2),
    (3, "out_features", 7),
    (3, "bias", True),
]


def test_every_stack_layer_option_is_in_the_list_of_changes() -> None:
    import inspect

    from symconv.sheets.kinds.stack import MAKERS, sheet_keys

    options = {(kind, name) for kind, maker in MAKERS.items() for name in sheet_keys(maker)}
    # Every argument of a stack builder is a sheet key but the row's path name.
    assert all(
        set(inspect.signature(maker).parameters) - set(sheet_keys(maker)) <= {"path"}
        for maker in MAKERS.values()
    )
    changed = {(BASE_LAYERS[index]["type"], key) for index, key, _ in CHANGES}
    assert options == changed


def changed(index: int, key: str, value: Any) -> list[dict[str, Any]]:
    layers = [dict(layer) for layer in BASE_LAYERS]
    layers[index][key] = value
    return layers


def build(layers: list[dict[str, Any]]) -> Sheet:
    return parse_definition(stack_definition(layers, BASE_INPUT), name="s")


def answers(sheet: Sheet) -> dict[str, Any]:
    return {a.key: a.value for a in sheet.problem("1a").answers}


def solution_text(sheet: Sheet) -> str:
    text = render_sheets([sheet], solutions=True)
    return text[text.index(r"\begin{solution}") : text.index(r"\end{solution}")]


@pytest.mark.parametrize(("index", "key", "value"), CHANGES, ids=lambda v: str(v))
def test_changing_a_stack_option_changes_the_worked_answer(
    index: int, key: str, value: Any
) -> None:
    base, other = build(BASE_LAYERS), build(changed(index, key, value))
    if key in ("mode", "padding_mode"):  # the same numbers, a different layer in words
        assert answers(base) == answers(other)
        assert solution_text(base) != solution_text(other)
    else:
        assert answers(base) != answers(other)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_changing_a_stack_option_changes_the_handouts_visible_text(tmp_path: Path) -> None:
    """One handout with the stack as it is, then once per change: each reads differently."""
    sheets = [build(BASE_LAYERS), *(build(changed(*change)) for change in CHANGES)]
    (tmp_path / "handout.pdf").write_bytes(compile_pdf(render_sheets(sheets, solutions=False)))
    text = subprocess.run(
        ["pdftotext", "-layout", tmp_path / "handout.pdf", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    questions = [" ".join(block.split()) for block in re.split(r"\n\s*\(a\)\s", text)[1:]]
    questions = [q[: q.index("receptive field")] for q in questions]
    assert len(questions) == len(sheets)
    base = questions[0]
    for change, question in zip(CHANGES, questions[1:], strict=True):
        assert question != base, f"{change} does not show on the handout"
