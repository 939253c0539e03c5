"""The ``symconv`` command line: ``symconv derive`` and the failures users can cause.

Most tests call :func:`symconv.cli.main` in-process; a few run the real entry
point (``python -m symconv`` and the installed ``symconv`` script) to prove it
is wired up. Expected values always come from :class:`symconv.Conv` itself,
never from typed-in constants, so these tests check that the command shows what
the library derives.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run
from sympy import latex, pretty

import symconv
from symconv import Conv
from symconv.cli import main

DERIVE_OPTIONS = (
    "--input", "--kernel", "--stride", "--dilation", "--padding", "--in-channels",
    "--out-channels", "--circular", "--unshared", "--flip", "--bias", "--latex",
)  # fmt: skip

WORKSHEET_LAYER = [
    "--input", "256", "256", "--kernel", "5", "--stride", "2",
    "--in-channels", "3", "--out-channels", "32",
]  # fmt: skip


def derive(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """stdout of a ``symconv derive`` that must succeed."""
    status, out, err = run(["derive", *argv], capsys)
    assert (status, err) == (0, ""), err
    return out


def fact(out: str, label: str) -> str:
    """The value printed next to ``label`` in the summary at the top of ``derive``."""
    match = re.search(rf"^\s*{re.escape(label)}\s{{2,}}(.+?)\s*$", out, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{out}"
    return match.group(1)


def shape_pattern(shape: tuple[int, ...]) -> str:
    """A regex for a shape written as ``4 x 4 x 4`` (or with a multiplication sign)."""
    return r"\s*[x\u00d7]\s*".join(str(n) for n in shape)


def output_line_terms(out: str, index: tuple[int, ...]) -> set[str]:
    """The terms printed for output element ``index`` (0-based) as ``y_1,2 = a + b``."""
    name = "y_" + ",".join(str(i + 1) for i in index)
    match = re.search(rf"^\s*{re.escape(name)} = (.+?)\s*$", out, re.MULTILINE)
    assert match, f"no {name} line in:\n{out}"
    return set(match.group(1).split(" + "))


def pretty_terms(conv: Conv, index: tuple[int, ...]) -> set[str]:
    return {pretty(term) for term in conv.output_element(index).args}


def assert_output_line_shows(out: str, conv: Conv, index: tuple[int, ...]) -> None:
    """The line of output ``index`` shows its terms: all of them, or, when the sum is
    elided as ``a + b + … + y + z   (N terms)``, some of them and the right count."""
    shown = output_line_terms(out, index)
    expected = pretty_terms(conv, index)
    if "…" not in shown:
        assert shown == expected
        return
    last = max(shown, key=lambda term: "terms)" in term)
    count = re.search(r"\((\d+) terms\)", last)
    assert count, shown
    shown = (shown - {"…", last}) | {last[: count.start()].strip()}
    assert shown <= expected
    assert int(count.group(1)) == len(expected)


# --------------------------------------------------------------------------
# derive: what it prints


def test_derive_prints_the_shapes(capsys):
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3"], capsys)
    assert re.fullmatch(shape_pattern(conv.input_shape), fact(out, "input shape"))
    assert re.fullmatch(shape_pattern(conv.filter_shape), fact(out, "filter shape"))
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))


def test_derive_prints_the_weight_counts(capsys):
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3"], capsys)
    assert fact(out, "weights, shared") == str(conv.weight_count)
    assert fact(out, "weights, unshared") == str(Conv(9, 3, shared=False).weight_count)
    assert fact(out, "weights, dense layer") == str(conv.dense_weight_count)


def test_derive_prints_every_output_element_of_a_small_layer(capsys):
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3", "--max-outputs", "100"], capsys)
    for i in range(conv.output_shape[0]):
        assert output_line_terms(out, (i,)) == pretty_terms(conv, (i,))


def test_derive_prints_the_first_and_last_output_elements_when_eliding(capsys):
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3", "--max-outputs", "2"], capsys)
    assert output_line_terms(out, (0,)) == pretty_terms(conv, (0,))
    last = conv.output_shape[0] - 1
    assert output_line_terms(out, (last,)) == pretty_terms(conv, (last,))


def test_derive_prints_the_matrix_rows(capsys):
    """A matrix small enough to print whole shows each entry of ``Conv.matrix()``."""
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3"], capsys)
    matrix = conv.matrix()
    for r in range(matrix.rows):
        cells = [pretty(entry) for entry in matrix.row(r)]
        assert re.search(
            r"^\s*" + r"\s+".join(map(re.escape, cells)) + r"\s*$", out, re.MULTILINE
        ), f"row {r} {cells} missing from:\n{out}"


def test_derive_same_padding(capsys):
    conv = Conv(9, 3, padding="same")
    out = derive(["--input", "9", "--kernel", "3", "--padding", "same"], capsys)
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))
    assert output_line_terms(out, (0,)) == pretty_terms(conv, (0,))
    assert str(conv.padding[0]) in fact(out, "padding (before, after)")


def test_derive_unshared_uses_a_separate_kernel_per_position(capsys):
    conv = Conv(9, 3, shared=False)
    out = derive(["--input", "9", "--kernel", "3", "--unshared"], capsys)
    assert output_line_terms(out, (0,)) == pretty_terms(conv, (0,))
    assert output_line_terms(out, (1,)) == pretty_terms(conv, (1,))
    assert fact(out, "weights, unshared") == str(conv.weight_count)


def test_derive_two_dimensional_input(capsys):
    conv = Conv((6, 6), 3)
    out = derive(["--input", "6", "6", "--kernel", "3"], capsys)
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))
    assert fact(out, "weights, shared") == str(conv.weight_count)
    assert_output_line_shows(out, conv, (0, 0))
    assert_output_line_shows(out, conv, (3, 3))


def test_derive_with_channels_prints_channel_shapes_and_counts(capsys):
    conv = Conv((6, 6), 3, in_channels=2, out_channels=4)
    out = derive(
        ["--input", "6", "6", "--kernel", "3", "--in-channels", "2", "--out-channels", "4"], capsys
    )
    assert re.fullmatch(shape_pattern(conv.input_shape), fact(out, "input shape"))
    assert re.fullmatch(shape_pattern(conv.filter_shape), fact(out, "filter shape"))
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))
    assert fact(out, "weights, shared") == str(conv.weight_count)
    assert fact(out, "weights, dense layer") == str(conv.dense_weight_count)
    assert_output_line_shows(out, conv, (0, 0, 0))
    assert_output_line_shows(out, conv, (3, 3, 3))


def test_derive_with_bias_counts_the_biases(capsys):
    conv = Conv(9, 3, bias=True)
    out = derive(["--input", "9", "--kernel", "3", "--bias"], capsys)
    assert fact(out, "weights, shared") == str(conv.weight_count)
    assert output_line_terms(out, (0,)) == pretty_terms(conv, (0,))


def test_derive_before_after_padding_on_one_axis(capsys):
    """``--padding 0:1`` pads nothing before and one zero after."""
    conv = Conv(9, 3, padding=((0, 1),))
    out = derive(
        ["--input", "9", "--kernel", "3", "--padding", "0:1", "--max-outputs", "100"], capsys
    )
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))
    last = conv.output_shape[0] - 1
    assert output_line_terms(out, (last,)) == pretty_terms(conv, (last,))


def test_derive_one_before_after_padding_applies_to_every_axis(capsys):
    """``--padding`` takes "one value or one per axis": a single ``0:1`` on a 6x6 input
    pads every axis with (0, 1), as ``--padding 0:1 0:1`` does."""
    conv = Conv((6, 6), 3, padding=((0, 1), (0, 1)))
    out = derive(["--input", "6", "6", "--kernel", "3", "--padding", "0:1"], capsys)
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))
    assert fact(out, "padding (before, after)") == fact(
        derive(["--input", "6", "6", "--kernel", "3", "--padding", "0:1", "0:1"], capsys),
        "padding (before, after)",
    )


def test_derive_before_after_padding_per_axis(capsys):
    conv = Conv((6, 6), 3, padding=((0, 1), (2, 0)))
    out = derive(["--input", "6", "6", "--kernel", "3", "--padding", "0:1", "2:0"], capsys)
    assert re.fullmatch(shape_pattern(conv.output_shape), fact(out, "output shape"))


# --------------------------------------------------------------------------
# derive --latex


def test_derive_latex_prints_a_bmatrix_with_latex_subscripts(capsys):
    out = derive(["--input", "9", "--kernel", "3", "--latex"], capsys)
    assert r"\begin{bmatrix}" in out
    assert r"\end{bmatrix}" in out
    assert "k_{1}" in out


def test_derive_latex_prints_the_output_elements_in_latex(capsys):
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3", "--latex"], capsys)
    for term in conv.output_element(0).args:
        assert latex(term) in out


def test_derive_latex_has_no_unicode_pretty_printing(capsys):
    out = derive(["--input", "9", "--kernel", "3", "--latex"], capsys)
    assert not set("₀₁₂₃₄₅₆₇₈₉⋅…⋮⋱") & set(out)


def test_derive_latex_elided_sum_is_valid_latex(capsys):
    """Long sums are elided with a term count; the LaTeX must say ``\\text{...}``
    (a stray tab from an unescaped ``\\t`` would break it)."""
    conv = Conv(30, 20)
    out = derive(["--input", "30", "--kernel", "20", "--latex"], capsys)
    assert "\t" not in out
    assert rf"\text{{({len(conv.output_element(0).args)} terms)}}" in out


# --------------------------------------------------------------------------
# derive --element


def test_derive_element_prints_exactly_that_element_of_the_worksheet_layer(capsys):
    conv = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
    out = derive([*WORKSHEET_LAYER, "--element", "31", "125", "125"], capsys)
    assert out == pretty(conv.output_element((31, 125, 125)), wrap_line=False) + "\n"


def test_derive_element_accepts_negative_indices(capsys):
    conv = Conv(9, 3)
    out = derive(["--input", "9", "--kernel", "3", "--element", "-1"], capsys)
    assert out == pretty(conv.output_element(-1), wrap_line=False) + "\n"


def test_derive_element_with_latex_prints_the_element_in_latex(capsys):
    conv = Conv(9, 3, padding="same")
    out = derive(
        ["--input", "9", "--kernel", "3", "--padding", "same", "--element", "0", "--latex"], capsys
    )
    assert out == latex(conv.output_element(0)) + "\n"


# --------------------------------------------------------------------------
# Failures: status 2, one line on stderr, no traceback

FAILURES = [
    pytest.param(["--input", "3", "--kernel", "5"], "kernel", id="kernel-larger-than-input"),
    pytest.param(
        ["--input", "9", "--kernel", "3", "--padding", "reflect"],
        "reflect",
        id="unknown-padding-word",
    ),
    pytest.param(["--input", "9"], "--kernel", id="missing-kernel"),
    pytest.param(
        ["--input", "9", "--kernel", "3", "--element", "99"], "99", id="element-out-of-range"
    ),
    pytest.param(
        ["--input", "9", "--kernel", "3", "--element", "0", "0"],
        "entries",
        id="element-with-too-many-entries",
    ),
    pytest.param(["--input", "-9", "--kernel", "3"], "-9", id="negative-input"),
    pytest.param(["--input", "9", "--kernel", "-3"], "-3", id="negative-kernel"),
    pytest.param(["--input", "9", "--kernel", "3", "--padding", "-1"], "-1", id="negative-padding"),
    pytest.param(["--input", "9", "--kernel", "3", "--stride", "0"], "stride", id="zero-stride"),
    pytest.param(
        ["--input", "9", "9", "9", "--kernel", "3", "3"], "kernel", id="kernel-of-wrong-length"
    ),
    pytest.param(
        ["--input", "3", "--kernel", "3", "--padding", "4", "--circular"],
        "circular",
        id="circular-padding-larger-than-input",
    ),
    pytest.param(["--input", "nine", "--kernel", "3"], "nine", id="non-numeric-input"),
]


@pytest.mark.parametrize(("argv", "mentioned"), FAILURES)
def test_bad_derive_arguments_exit_with_status_2(argv, mentioned, capsys):
    status, _, _ = run(["derive", *argv], capsys)
    assert status == 2


@pytest.mark.parametrize(("argv", "mentioned"), FAILURES)
def test_bad_derive_arguments_print_one_symconv_line_on_stderr(argv, mentioned, capsys):
    _, out, err = run(["derive", *argv], capsys)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("symconv")
    assert mentioned in lines[0]
    assert out == ""


@pytest.mark.parametrize(("argv", "mentioned"), FAILURES)
def test_bad_derive_arguments_show_no_traceback(argv, mentioned, capsys):
    _, out, err = run(["derive", *argv], capsys)
    assert "Traceback" not in out + err


# --------------------------------------------------------------------------
# Help, version, no command


def test_help_exits_0_and_lists_the_derive_command(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0
    assert "derive" in out


def test_derive_help_exits_0(capsys):
    status, _, _ = run(["derive", "--help"], capsys)
    assert status == 0


@pytest.mark.parametrize("option", DERIVE_OPTIONS)
def test_derive_help_mentions_every_option(option, capsys):
    _, out, _ = run(["derive", "--help"], capsys)
    assert re.search(rf"{re.escape(option)}\b(?!-)", out), f"{option} missing from derive --help"


def test_no_command_prints_help_and_exits_non_zero(capsys):
    status, out, err = run([], capsys)
    assert status != 0
    assert "usage:" in out + err
    assert "derive" in out + err


def test_version_prints_the_package_version(capsys):
    status, out, err = run(["--version"], capsys)
    assert status == 0
    assert symconv.__version__ in out + err


# --------------------------------------------------------------------------
# The real entry points


def test_python_dash_m_symconv_derives():
    conv = Conv(9, 3)
    result = subprocess.run(
        [sys.executable, "-m", "symconv", "derive", "--input", "9", "--kernel", "3"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert fact(result.stdout, "weights, shared") == str(conv.weight_count)
    assert output_line_terms(result.stdout, (0,)) == pretty_terms(conv, (0,))


def test_python_dash_m_symconv_fails_cleanly():
    result = subprocess.run(
        [sys.executable, "-m", "symconv", "derive", "--input", "3", "--kernel", "5"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("symconv")
    assert "Traceback" not in result.stderr


def test_installed_symconv_script_runs():
    script = Path(sys.executable).parent / "symconv"
    if not script.exists():
        pytest.skip(f"no installed symconv script next to {sys.executable}")
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0
    assert symconv.__version__ in result.stdout + result.stderr


def test_derive_refuses_to_print_elements_too_large_for_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An element of 10^8 products is refused in one line instead of filling memory."""
    from symconv.cli import MAX_PRINTED_TAPS

    size = str(MAX_PRINTED_TAPS * 10)
    assert main(["derive", "--input", size, "--kernel", size]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "too many to print" in err


# --------------------------------------------------------------------------
# The output format follows the request, or the command is refused


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["sheet", "-o", "out.pdf"], "--pdf"),
        (["sheet", "--pdf", "-o", "out.tex"], "--pdf"),
        (["sheet", "--handout", "-o", "out.png"], "out.png"),
        (["sheet", "--variants", "2", "-o", "cls.pdf"], "--pdf"),
        (["sheet", "--variants", "2", "--pdf", "-o", "cls.tex"], "--pdf"),
        (["sheet", "-o", "sheet"], ".tex or .pdf"),
        (["figure", "--input", "5", "--kernel", "3", "--png", "-o", "w.pdf"], "--png"),
        (["figure", "--input", "5", "--kernel", "3", "--pdf", "-o", "w.png"], "--png"),
        (["figure", "--input", "5", "--kernel", "3", "-o", "w.pdf"], "--pdf"),
        (["figure", "--input", "5", "--kernel", "3", "--png", "--pdf", "-o", "w.png"], "one"),
    ],
)
def test_an_output_name_of_another_format_is_refused_leaving_no_file(
    argv, named, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(argv, capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and named in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seed", ["-1", "1.5", "seven"])
def test_seed_is_a_whole_number_from_zero(seed, capsys):
    status, out, err = run(["sheet", "--seed", seed], capsys)
    assert status == 2 and out == "" and "from 0" in err and err.count("\n") == 1


def test_seed_zero_is_a_variant(capsys):
    status, out, _ = run(["sheet", "--seed", "0", "--handout"], capsys)
    assert status == 0 and "Variant 0" in out


@pytest.mark.parametrize(
    ("argv", "typo", "meant"),
    [
        (["derive", "--inptu", "9"], "--inptu", "--input"),
        (["derive", "--input", "9", "--kernle", "3"], "--kernle", "--kernel"),
        (["sheet", "--hadnout"], "--hadnout", "--handout"),
        (["figure", "--input", "5", "--kernel", "3", "--stirde", "2"], "--stirde", "--stride"),
        (["check", "answers.toml", "--jsno"], "--jsno", "--json"),
    ],
)
def test_a_mistyped_option_is_named_with_the_closest_valid_one(argv, typo, meant, capsys):
    status, out, err = run(argv, capsys)
    assert status == 2 and out == ""
    assert f"unknown option {typo}; did you mean {meant}?" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "option", "parameter"),
    [
        (["--input", "0", "--kernel", "3"], "--input", "input_size"),
        (["--input", "3", "--kernel", "5"], "--kernel", "kernel_size"),
        (["--input", "9", "--kernel", "3", "--stride", "0"], "--stride", "stride="),
        (["--input", "9", "--kernel", "3", "--in-channels", "0"], "--in-channels", "in_channels"),
        (["--input", "9", "--kernel", "3", "--input-letter", "1 2"], "--input-letter", "letter"),
    ],
)
def test_errors_speak_of_options_not_python_parameters(argv, option, parameter, capsys):
    status, out, err = run(["derive", *argv], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert option in err
    assert not re.search(r"\b(input_size|kernel_size|in_channels|input_letter)\b", err)


@pytest.mark.parametrize(
    ("argv", "conv"),
    [
        (["--input", "6", "6", "--kernel", "3", "--stride", "2"], Conv((6, 6), 3, stride=2)),
        (
            ["--input", "5", "5", "--kernel", "3", "--stride", "2", "--padding", "1"],
            Conv((5, 5), 3, stride=2, padding=1),
        ),
        (["--input", "40", "--kernel", "5", "--dilation", "2"], Conv(40, 5, dilation=2)),
    ],
    ids=["6x6 stride 2", "5x5 stride 2 padding 1", "dilated 1-D"],
)
def test_an_elided_matrix_shows_every_shown_rows_weights(argv, conv, capsys):
    out = derive([*argv, "--latex"], capsys)
    body = re.search(r"M = \\begin\{bmatrix\} (.*?) \\end\{bmatrix\}", out)
    assert body
    rows = {
        tuple(latex(entries[c]) for c in sorted(entries))
        for entries in (conv.matrix_row(r) for r in range(math.prod(conv.output_shape)))
    }
    for row in body[1].split(r" \\ "):
        cells = row.split(" & ")
        if r"\vdots" in cells:
            continue
        weights = tuple(c for c in cells if c not in ("0", r"\cdots", r"\ddots"))
        assert weights, f"a row shown as all zeros: {row}"
        assert weights in rows, f"a row shown without all its weights: {row}"
