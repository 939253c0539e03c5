"""``symconv derive --backward`` and ``--groups``: what is printed comes from the library."""

from __future__ import annotations

import re

import pytest
from cli_runner import run
from sympy import latex

from symconv import Conv
from symconv.present.display import elided_sum


def derive(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    status, out, err = run(["derive", *argv], capsys)
    assert status == 0, err
    return out


def fact(out: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}\s{{2,}}(.+)$", out, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{out}"
    return match.group(1).strip()


def test_backward_prints_every_gradient_of_a_small_layer(capsys) -> None:
    conv = Conv(5, 3, stride=2, bias=True)
    grads = conv.backward()
    out = derive(["--input", "5", "--kernel", "3", "--stride", "2", "--bias", "--backward"], capsys)
    for i, value in enumerate(grads.input):
        assert f"dL/dx_{i + 1} = {elided_sum(value)}" in out
    for j, value in enumerate(grads.kernel):
        assert f"dL/dk_{j + 1} = {elided_sum(value)}" in out
    assert grads.bias is not None
    assert f"dL/db = {elided_sum(grads.bias[0])}" in out
    assert str(grads.formulas.input.equation.rhs) in out
    assert str(grads.formulas.kernel.equation.rhs) in out


def test_backward_in_latex(capsys) -> None:
    conv = Conv(9, 3, padding="same")
    out = derive(
        ["--input", "9", "--kernel", "3", "--padding", "same", "--backward", "--latex"], capsys
    )
    assert r"\frac{\partial L}{\partial x_{1}}" in out
    assert latex(conv.backward().formulas.kernel.equation.rhs) in out


def test_groups_reach_the_layer(capsys) -> None:
    conv = Conv((6, 6), 3, in_channels=4, out_channels=8, groups=4)
    argv = ["--input", "6", "6", "--kernel", "3", "--in-channels", "4", "--out-channels", "8"]
    out = derive([*argv, "--groups", "4"], capsys)
    assert fact(out, "groups") == "4"
    assert re.fullmatch(r"1\D+3\D+3", fact(out, "filter shape"))
    assert fact(out, "weights, shared") == str(conv.weight_count)
    assert fact(out, "multiply-adds (MACs)") == str(conv.macs)


def test_groups_that_do_not_divide_fail_in_one_line(capsys) -> None:
    status, out, err = run(
        ["derive", "--input", "6", "--kernel", "3", "--in-channels", "3", "--groups", "2"], capsys
    )
    assert status != 0 and out == ""
    assert "groups" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_backward_refuses_element_and_show(capsys) -> None:
    status, _, err = run(
        ["derive", "--input", "6", "--kernel", "3", "--backward", "--element", "0"], capsys
    )
    assert status != 0 and "--backward" in err
