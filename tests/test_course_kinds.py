"""The kinds backward, groups, cost and im2col: answers from the engine, real TeX, marking."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sympy import Add, Rational, Symbol, flatten, latex

from symconv import Conv
from symconv.layers.formulas import layer_formulas
from symconv.marking.marks import mark_answers
from symconv.present.tex import compile_pdf
from symconv.sheets import build_sheet, render_sheet
from symconv.sheets.kinds import KINDS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "backpropagation.toml"
NEW_KINDS = ("backward", "groups", "cost", "im2col")


def test_the_new_kinds_are_registered() -> None:
    assert set(NEW_KINDS) <= set(KINDS)
    kinds = {problem.kind for problem in build_sheet(EXAMPLE).problems()}
    assert set(NEW_KINDS) <= kinds


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_answers_are_what_the_engine_derives(seed: int | None) -> None:
    sheet = build_sheet(EXAMPLE, seed=seed)
    n, c = sheet.parameters["n"], sheet.parameters["c"]
    for problem, conv in (
        ("1a", Conv(n, 3)),
        ("1b", Conv(n, 3, stride=2, bias=True)),
        ("1c", Conv((4, 4), 2, padding=1)),
    ):
        grads = conv.backward()
        answers = sheet.problem(problem)
        assert answers.answer("input_first").value == flatten(grads.input)[0]
        assert answers.answer("input_last").value == flatten(grads.input)[-1]
        assert answers.answer("kernel_first").value == flatten(grads.kernel)[0]
    bias = Conv(n, 3, stride=2, bias=True).backward().bias
    assert bias is not None
    assert sheet.problem("1b").answer("bias").value == bias[0]

    depthwise = Conv((56, 56), 3, padding=1, in_channels=c, out_channels=c, groups=c)
    full = Conv((56, 56), 3, padding=1, in_channels=c, out_channels=c)
    assert sheet.problem("2a").answer("filter_shape").value == depthwise.filter_shape
    assert sheet.problem("2a").answer("weights").value == depthwise.weight_count
    assert sheet.problem("2a").answer("full_weights").value == full.weight_count
    assert sheet.problem("2a").answer("macs").value == depthwise.macs

    grouped = Conv((56, 56), 3, padding=1, in_channels=32, out_channels=64, groups=4)
    separable = (
        Conv((56, 56), 3, padding=1, in_channels=32, out_channels=32, groups=32).weight_count
        + Conv((56, 56), 1, in_channels=32, out_channels=64).weight_count
    )
    full = Conv((56, 56), 3, padding=1, in_channels=32, out_channels=64)
    assert sheet.problem("2b").answer("weights").value == grouped.weight_count
    assert sheet.problem("2b").answer("separable_weights").value == separable
    assert sheet.problem("2b").answer("ratio").value == Rational(separable, full.weight_count)
    formulas = layer_formulas(2)
    assert sheet.problem("2b").answer("ratio").value == formulas.evaluate(
        formulas.separable_ratio, K=full.spec.kernel_size[0], C_out=full.spec.c_out
    )

    layer = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
    assert sheet.problem("2c").answer("macs").value == layer.macs
    assert sheet.problem("2c").answer("flops").value == layer.flops
    assert sheet.problem("2c").answer("dense_macs").value == layer.dense_weight_count

    strided = Conv(n, 3, stride=2)
    assert sheet.problem("3a").answer("matrix").value == strided.patch_matrix()
    assert sheet.problem("3a").answer("shape").value == strided.patch_matrix().shape
    channels = Conv((4, 4), 2, in_channels=2, out_channels=3)
    assert sheet.problem("3b").answer("matrix").value == channels.patch_matrix()


def _text(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", path, "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"(?<=\d)\s(?=\d{3}\b)", "", text)  # digits grouped in thousands


def test_the_sheet_with_every_new_kind_compiles_and_shows_its_working(tmp_path: Path) -> None:
    sheet = build_sheet(EXAMPLE)
    text = _text(compile_pdf(render_sheet(EXAMPLE)), tmp_path / "sheet.pdf")
    assert str(sheet.problem("2c").answer("macs").value) in text
    assert str(sheet.problem("2a").answer("weights").value) in text
    assert "feeds" in text and "full correlation" in text and "zero inserted" in text
    questions = _text(compile_pdf(render_sheet(EXAMPLE, solutions=False)), tmp_path / "q.pdf")
    assert str(sheet.problem("2c").answer("macs").value) not in questions
    assert "feeds" not in questions


def test_right_answers_mark_right_and_a_kernel_left_unflipped_marks_wrong() -> None:
    sheet = build_sheet(EXAMPLE)
    right = {
        problem.id: {a.key: a.latex for a in problem.answers if a.value is not None}
        for problem in sheet.problems()
    }
    report = mark_answers(right, sheet=EXAMPLE)
    assert report.all_right, report.text()
    # dL/dx_1 of a stride-1 layer written with the kernel not flipped: g_1 k_3 instead of g_1 k_1.
    wrong = {**right, "1a": {**right["1a"], "input_first": "g_1 k_3"}}
    marks = {(m.question, m.key): m for m in mark_answers(wrong, sheet=EXAMPLE).marks}
    assert marks[("1a", "input_first")].status == "wrong"
    # MACs counted without the padding taps: the answer of the layer's nonzero products.
    layer = Conv((56, 56), 3, padding=1, in_channels=32, out_channels=32, groups=32)
    unpadded = sum(len(e.args) for e in flatten(layer.output()))
    assert unpadded < layer.macs
    off = {**right, "2a": {**right["2a"], "macs": str(unpadded)}}
    marks = {(m.question, m.key): m for m in mark_answers(off, sheet=EXAMPLE).marks}
    assert marks[("2a", "macs")].status == "wrong"


def test_groups_needs_groups_that_divide(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'title = "x"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "groups"\n'
        "image = 8\nchannels = 3\nfilters = 4\nkernel = 3\ngroups = 2\n",
        encoding="utf-8",
    )
    from symconv import SymconvError

    with pytest.raises(SymconvError, match="groups"):
        build_sheet(path)


def test_backward_working_names_the_outputs_an_input_feeds() -> None:
    sheet = build_sheet(EXAMPLE)
    n = sheet.parameters["n"]
    grads = Conv(n, 3, stride=2, bias=True).backward()
    middle = sheet.problem("1b").values["kernel"]
    # k_1 meets one input in every output: one path per term of dL/dk_1.
    assert len(middle["paths"]) == len(Add.make_args(grads.kernel[0]))
    assert [output for output, _ in middle["paths"]] == [
        latex(Symbol(f"y_{r + 1}")) for r in range(grads.upstream.shape[0])
    ]


def test_a_stack_problem_takes_groups_batchnorm_and_relu(tmp_path: Path) -> None:
    from symconv.layers.stack import Stack, batchnorm, conv, relu

    path = tmp_path / "block.toml"
    path.write_text(
        'title = "x"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "stack"\n'
        "input = [8, 16, 16]\nlayers = [\n"
        '  { type = "conv", kernel = 3, padding = 1, groups = 8 },\n'
        '  { type = "batchnorm" },\n  { type = "relu" },\n'
        '  { type = "conv", kernel = 1, out_channels = 16 },\n]\n',
        encoding="utf-8",
    )
    stack = Stack(
        (8, 16, 16), [conv(3, padding=1, groups=8), batchnorm(), relu(), conv(1, out_channels=16)]
    )
    problem = build_sheet(path).problem("1a")
    # A batch norm's shift is a bias (PyTorch's BatchNorm.bias): weights and parameters differ.
    assert problem.answer("weights").value == stack.weight_count - stack.bias_count
    assert problem.answer("parameters").value == stack.weight_count
    assert problem.answer("output_shape").value == stack.output_shape
    compile_pdf(render_sheet(path))


def test_feedback_on_gradients_names_the_slip() -> None:
    from symconv import check

    grads = Conv(7, 3).backward()
    expected = grads.input[3]  # g_2 k_3 + g_3 k_2 + g_4 k_1
    terms = sorted(Add.make_args(expected), key=str)
    unflipped = Add(
        *(
            t.xreplace({k: Symbol(f"k_{4 - int(k.name[2:])}")})
            for t in terms
            for k in t.free_symbols
            if k.name.startswith("k")
        )
    )
    verdict = check(str(unflipped), expected)
    assert not verdict.ok and "backwards" in verdict.message
    missing = Add(*terms[1:])
    verdict = check(str(missing), expected)
    assert not verdict.ok and f"missing {terms[0]}" in verdict.message


@pytest.mark.parametrize("padding", [1, 2])
def test_macs_without_the_padding_are_wrong_with_a_hint(tmp_path: Path, padding: int) -> None:
    sheet_file = tmp_path / "cost.toml"
    sheet_file.write_text(
        'title = "Cost"\n[[section]]\ntitle = "Cost"\n  [[section.problem]]\n  kind = "cost"\n'
        f"  image = 12\n  channels = 3\n  kernel = 5\n  filters = 4\n  padding = {padding}\n",
        encoding="utf-8",
    )
    sheet = build_sheet(str(sheet_file))
    conv = Conv((12, 12), 5, padding=padding, in_channels=3, out_channels=4)
    # The slip, computed here from the windows: taps that land inside the input.
    inside = (
        sum(1 for o in range(conv.output_shape[1]) for j in range(5) if 0 <= o + j - padding < 12)
        ** 2
        * 3
        * 4
    )
    assert inside < conv.macs
    problem = sheet.problems()[0].id
    report = mark_answers(
        {problem: {"macs": str(inside), "flops": str(conv.macs)}}, sheet=str(sheet_file)
    )
    marks = {mark.key: mark for mark in report.marks}
    assert marks["macs"].status == "wrong"
    assert "padding included" in marks["macs"].message
    assert marks["flops"].status == "wrong"
    assert "twice" in marks["flops"].message
    right = mark_answers({problem: {"macs": str(conv.macs)}}, sheet=str(sheet_file))
    assert {m.key: m.status for m in right.marks}["macs"] == "right"
    # A wrong answer that is no known slip gets no such hint.
    other = mark_answers({problem: {"macs": str(conv.macs + 1)}}, sheet=str(sheet_file))
    assert "padding" not in {m.key: m for m in other.marks}["macs"].message
