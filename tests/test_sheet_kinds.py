"""The problem kinds beyond one layer: answers from the engine, compiled by real TeX."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from symconv import ConvTranspose
from symconv.layers.equivariance import translation_equivariance
from symconv.layers.pool import Pool
from symconv.layers.stack import Stack, conv, dense, flatten, pool
from symconv.present.tex import compile_pdf
from symconv.sheets import build_sheet, render_sheet

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "beyond-one-layer.toml"


def example_stack() -> Stack:
    """The stack of problem 1d of the example, built here from its layers."""
    return Stack(
        (3, 32, 32),
        [
            conv(3, out_channels=16, padding=1),
            pool(2),
            conv(3, out_channels=32),
            flatten(),
            dense(10),
        ],
    )


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_answers_are_what_the_engine_derives(seed: int | None) -> None:
    sheet = build_sheet(EXAMPLE, seed=seed)
    n = sheet.parameters["n"]
    up = ConvTranspose(3, 3, stride=2, padding=1, output_padding=1)
    assert sheet.problem("1a").answer("size").value == up.output_shape[0]
    assert sheet.problem("1a").answer("matrix").value == up.matrix()
    average = Pool(n, 2, mode="avg")
    assert sheet.problem("1b").answer("first").value == average.output_element(0)
    assert sheet.problem("1b").answer("last").value == average.output_element(-1)
    assert sheet.problem("1c").answer("size").value == Pool((5, 5), 2, ceil_mode=True).output_shape
    stack = example_stack()
    assert sheet.problem("1d").answer("weights").value == stack.weight_count
    assert sheet.problem("1d").answer("field").value == stack.rows[3].receptive_field[0]
    from symconv import Conv

    for problem, layer in (
        ("1e", Conv(n, 3, padding="same")),
        ("1f", Conv(n, 3, padding="same", padding_mode="circular")),
        ("1g", Conv(n, 3, padding="same", shared=False)),
    ):
        rows = translation_equivariance(layer).differing_rows
        assert sheet.problem(problem).answer("rows").value == rows


def test_the_sheet_with_every_new_kind_compiles_and_shows_its_answers(tmp_path: Path) -> None:
    pdf = compile_pdf(render_sheet(EXAMPLE))
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", tmp_path / "sheet.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    printed = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)  # one number per line, ungrouped
    text = re.sub(r"(?<=\d)\s(?=\d{3}\b)", "", text)  # digits grouped in thousands
    sheet = build_sheet(EXAMPLE)
    assert str(sheet.problem("1d").answer("weights").value) in text
    assert "commutes with the shift" in text
    stack = example_stack()
    # pdftotext reads the table column by column: the MACs header, then one row per line.
    column = printed.split("\nMACs\n", 1)[1].splitlines()[: len(stack.rows)]
    assert column == [str(row.macs) for row in stack.rows]
    assert f"{stack.macs} MACs per forward pass" in printed
    handout = compile_pdf(render_sheet(EXAMPLE, solutions=False))
    (tmp_path / "handout.pdf").write_bytes(handout)
    questions = subprocess.run(
        ["pdftotext", tmp_path / "handout.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    questions = re.sub(r"(?<=\d)\s(?=\d{3}\b)", "", questions)
    assert str(sheet.problem("1d").answer("weights").value) not in questions


def test_a_stack_layer_without_a_kernel_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'title = "x"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "stack"\n'
        'input = [1, 8]\nlayers = [{ type = "conv" }]\n',
        encoding="utf-8",
    )
    from symconv import SymconvError

    with pytest.raises(SymconvError, match=r"problem \(a\).*layers.*layer 1"):
        build_sheet(path)


GROUPED_TRANSPOSE = """
title = "Grouped upsampling"
[[section]]
title = "s"
[[section.problem]]
kind = "transpose"
input = [2, 2]
kernel = 3
stride = 2
in_channels = 4
out_channels = 6
groups = 2
"""


def test_a_grouped_transposed_convolution_says_its_channels_and_groups(tmp_path: Path) -> None:
    path = tmp_path / "grouped.toml"
    path.write_text(GROUPED_TRANSPOSE, encoding="utf-8")
    layer = ConvTranspose((2, 2), 3, stride=2, in_channels=4, out_channels=6, groups=2)
    problem = build_sheet(path).problem("1a")
    assert problem.answer("size").value == layer.output_shape
    assert problem.answer("weights").value == layer.weight_count
    assert problem.answer("matrix").value == layer.matrix()
    forward = layer.forward_conv().spec
    solution = " ".join(render_sheet(path).split())
    assert f"stride {forward.stride[0]}, in {forward.groups} groups, with the same" in solution
    (tmp_path / "sheet.pdf").write_bytes(compile_pdf(render_sheet(path, solutions=False)))
    text = subprocess.run(
        ["pdftotext", tmp_path / "sheet.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    said = " ".join(text.split())
    assert f"{layer.spec.c_out} output channels in {layer.spec.groups} groups" in said
    assert str(layer.weight_count) not in said
