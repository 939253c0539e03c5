r"""Reading answers as people write them: SymPy syntax, LaTeX, numbers, shapes, matrices.

Every expected value comes from the library (``Conv``'s symbols, matrices and
shapes, ``output_size``'s formulas, the derived sheet) or from an oracle
written here (the LaTeX of a matrix built by hand from its entries, a number
rounded with ``fractions``). Nothing is copied from the worksheet.

The second half throws hostile input at :func:`symconv.check`: code that would
run under ``eval``, TeX primitives that read or write files, numbers and
nesting built to exhaust time or the stack. Each must give a falsy verdict (or
a ``SymconvError``) quickly, with nothing executed and no file opened.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import math
import os
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
import sympy
import sympy.parsing.sympy_parser
from sympy import Add, Matrix, Symbol, ceiling, floor

from symconv import Conv, SymconvError, check, output_size
from symconv.answers.reading import (
    AnswerSyntaxError,
    read_expression,
    read_matrix,
    read_number,
    read_shape,
    significant_digits,
)
from symconv.sheets import build_sheet

# Plain symbols, as the parser makes them (no assumptions).
W, K, s, p, d = sympy.symbols("W K s p d")

def element_from_symbols(conv: Conv, position: int) -> sympy.Expr:
    """Oracle: output ``position`` of an unpadded 1-D ``conv`` as sum_j k_j x_{position + j}."""
    k, x = list(conv.kernel_symbols), list(conv.input_symbols)
    return Add(*(k[j] * x[position + j] for j in range(len(k))))


def tex_name(symbol: Symbol) -> str:
    """``k_1,2`` written as LaTeX by hand: ``k_{1,2}``."""
    letter, _, index = symbol.name.partition("_")
    return f"{letter}_{{{index}}}" if index else letter


def tex_matrix(matrix: Matrix, environment: str) -> str:
    """Oracle: LaTeX of a matrix of symbols and zeros, written entry by entry."""
    rows = [
        " & ".join(tex_name(v) if isinstance(v, Symbol) else str(v) for v in matrix.row(i))
        for i in range(matrix.rows)
    ]
    return f"\\begin{{{environment}}}\n" + " \\\\\n".join(rows) + f"\n\\end{{{environment}}}"


# --------------------------------------------------------------------------
# Formulas in SymPy syntax and in LaTeX


def test_sympy_syntax_element_reads_as_the_engines_element():
    conv = Conv(9, 3)
    kernel, inputs = list(conv.kernel_symbols), list(conv.input_symbols)
    pairs = zip(kernel, inputs[: len(kernel)], strict=True)
    text = " + ".join(f"{k.name}*{x.name}" for k, x in pairs)
    assert read_expression(text) == conv.output_element(0) == element_from_symbols(conv, 0)


@pytest.mark.parametrize(
    "template",
    [
        "{k1} {x1} + {k2} {x2}",  # LaTeX: products side by side
        "{k1}{x1}+{k2}{x2}",  # no spaces at all
        r"{k1} \cdot {x1} + {k2} \cdot {x2}",
        r"{k1} \times {x1} + {k2} \times {x2}",
        "$ {k1} {x1} + {k2} {x2} $",  # inline maths
        "y_1 = {k1} {x1} + {k2} {x2}",  # the left-hand side is dropped
    ],
)
@pytest.mark.parametrize("braces", [False, True], ids=["k_1", "k_{1}"])
def test_latex_element_reads_as_the_engines_element(template: str, braces: bool):
    conv = Conv(2, 2)  # one output: k_1 x_1 + k_2 x_2
    (k1, k2), (x1, x2) = list(conv.kernel_symbols), list(conv.input_symbols)
    names = {
        "k1": k1,
        "k2": k2,
        "x1": x1,
        "x2": x2,
    }
    text = template.format(**{key: tex_name(v) if braces else v.name for key, v in names.items()})
    assert read_expression(text) == conv.output_element(0)


@pytest.mark.parametrize(
    "text",
    [
        r"\left\lfloor \frac{W+2p-K}{s} \right\rfloor + 1",
        r"\lfloor \frac{W+2p-K}{s} \rfloor + 1",
        r"\lfloor (W + 2p - K)/s \rfloor + 1",
        "⌊(W + 2p − K)/s⌋ + 1",  # Unicode floor brackets and minus sign
        "floor((W + 2*p - K)/s) + 1",
        r"\operatorname{floor}\left(\frac{W+2p-K}{s}\right) + 1",
        r"\left\lfloor{\frac{W + 2 p - K}{s}}\right\rfloor + 1",  # sympy.latex's spelling
    ],
)
def test_floor_formula_in_every_spelling_reads_as_output_size(text: str):
    assert read_expression(text) == output_size(W, K, stride=s, padding=p)


@pytest.mark.parametrize(
    "text", [r"\left\lceil \frac{W}{s} \right\rceil", r"\lceil W/s \rceil", "⌈W/s⌉", "ceiling(W/s)"]
)
def test_ceiling_reads_as_same_padding_size(text: str):
    assert read_expression(text) == output_size(W, K, stride=s, padding="same")


def test_dilated_formula_round_trips_through_sympy_latex():
    formula = output_size(W, K, stride=s, padding=p, dilation=d)
    assert read_expression(sympy.latex(formula)) == formula
    assert read_expression(sympy.sstr(formula)) == formula


def test_latex_letters_side_by_side_are_a_product_but_sympy_names_are_kept():
    # LaTeX: 2Wp is 2*W*p. SymPy syntax: a multi-letter name is one symbol.
    assert read_expression(r"\frac{2Wp}{s}") == 2 * W * p / s
    assert read_expression("Wp") == Symbol("Wp")


# --------------------------------------------------------------------------
# Symbol names normalised to the engine's


@pytest.mark.parametrize("spelling", ["k_{position}", "k_{{{position}}}", "k_{{ {position} }}"])
def test_one_index_names_match_kernel_symbols(spelling: str):
    conv = Conv(12, 11)
    for symbol in conv.kernel_symbols:
        text = spelling.format(position=symbol.name.split("_")[1])
        assert read_expression(text) == symbol, text
    assert read_expression(spelling.format(position=1)) == conv.kernel_symbols[0]


@pytest.mark.parametrize("separator", [",", ", "])
def test_several_indices_match_kernel_and_input_symbols(separator: str):
    conv = Conv((3, 4), 2, in_channels=2, out_channels=3)
    kernel, inputs = conv.kernel_symbols, conv.input_symbols
    for symbols in (kernel, inputs):
        for symbol in sympy.flatten(symbols.tolist()):
            letter, _, index = symbol.name.partition("_")
            text = f"{letter}_{{{separator.join(index.split(','))}}}"
            assert read_expression(text) == symbol, text
    assert read_expression("k_{1,2}") == Conv((2, 2), 2).kernel_symbols[0, 1]


def test_two_dimensional_element_in_latex_reads_as_the_engines_element():
    conv = Conv((3, 3), 2, in_channels=2, out_channels=2)
    element = conv.output_element((1, 1, 0))
    text = " + ".join(
        " ".join(tex_name(f) for f in sorted(term.args, key=str)) for term in Add.make_args(element)
    )
    assert read_expression(text) == element


@pytest.mark.parametrize("text", ["k_{12}", "k_12", "k12", r"\frac{k_12}{1}"])
def test_a_subscript_of_several_digits_is_one_index_in_both_syntaxes(text: str):
    # What students mean by k_12, even unbraced in LaTeX, is the twelfth tap.
    twelve = Conv(12, 12).kernel_symbols[11]
    assert read_expression(text) == twelve


# --------------------------------------------------------------------------
# Numbers


def rounded_scientific(value: int, digits: int) -> tuple[str, int]:
    """Oracle: ``value`` rounded to ``digits`` significant digits as (mantissa, exponent)."""
    exponent = len(str(value)) - 1
    scaled = Fraction(value, 10 ** (exponent - digits + 1))
    assert scaled - math.floor(scaled) != Fraction(1, 2), "a tie: pick other digits"
    mantissa = round(scaled)
    if mantissa == 10**digits:
        mantissa, exponent = 10 ** (digits - 1), exponent + 1
    text = str(mantissa)
    return (text[0] + ("." + text[1:] if digits > 1 else "")), exponent


@pytest.mark.parametrize("digits", [2, 4, 5])
def test_scientific_notation_reads_as_its_exact_value(digits: int):
    layer = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
    mantissa, exponent = rounded_scientific(layer.dense_weight_count, digits)
    value = Fraction(mantissa) * 10**exponent
    for text in (
        rf"{mantissa} \times 10^{{{exponent}}}",
        f"{mantissa}e{exponent}",
        rf"{mantissa} \cdot 10^{{{exponent}}}",
        f"{mantissa}*10**{exponent}",
    ):
        assert read_number(text) == sympy.Rational(value.numerator, value.denominator), text
        assert significant_digits(text) == digits, text


def test_plain_numbers_read_exactly():
    layer = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
    for n in (layer.weight_count, layer.dense_weight_count):
        assert read_number(str(n)) == n
        assert significant_digits(str(n)) is None
        assert read_number(f"{n:,}") == n  # thousands separators
    assert read_number(r"\frac{3}{4}") == sympy.Rational(3, 4)
    assert read_number("-7") == -7
    assert read_number("0.25") == sympy.Rational(1, 4)


# --------------------------------------------------------------------------
# Shapes and matrices


def test_shapes_in_every_notation():
    layer = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
    for shape in (layer.input_shape, layer.filter_shape, layer.output_shape):
        for text in (
            " \\times ".join(map(str, shape)),
            " × ".join(map(str, shape)),
            "x".join(map(str, shape)),
            " x ".join(map(str, shape)),
            str(tuple(shape)),
            str(list(shape)),
            ", ".join(map(str, shape)),
            "$" + " \\times ".join(map(str, shape)) + "$",
        ):
            assert read_shape(text) == tuple(shape), text


def test_matrix_shape_as_a_real_space():
    shape = Conv(9, 3).matrix().shape
    assert read_shape(rf"\mathbb{{R}}^{{{shape[0]} \times {shape[1]}}}") == shape


def test_a_one_axis_shape_written_as_a_python_tuple():
    (length,) = Conv(9, 3).output_shape
    assert read_shape(str((length,))) == (length,)
    assert read_shape(str(length)) == (length,)


@pytest.mark.parametrize("environment", ["bmatrix", "pmatrix", "matrix", "Bmatrix", "vmatrix"])
@pytest.mark.parametrize("padding", [0, "same"])
def test_matrix_environments_read_as_the_engines_matrix(environment: str, padding: Any):
    matrix = Conv(6, 3, padding=padding).matrix()
    assert read_matrix(tex_matrix(matrix, environment)) == matrix


def test_matrix_in_sympy_syntax_and_as_sympy_latex():
    matrix = Conv(5, 2).matrix()
    assert read_matrix(sympy.sstr(Matrix(matrix))) == matrix
    assert read_matrix(str(Matrix(matrix))) == matrix
    assert read_matrix(sympy.latex(matrix)) == matrix
    assert read_matrix(str(Matrix(matrix).tolist())) == matrix


def test_wide_matrix_as_sympy_latex_prints_it():
    # sympy.latex writes a matrix of more than 10 columns as an `array` environment.
    matrix = Conv(12, 3).matrix()
    text = sympy.latex(matrix)
    assert r"\begin{array}" in text
    assert read_matrix(text) == matrix


def test_column_vector_with_a_transpose_mark():
    kernel = Conv(9, 3).kernel_symbols
    row = " & ".join(tex_name(k) for k in kernel)
    assert read_matrix(rf"\begin{{bmatrix}} {row} \end{{bmatrix}}^T") == Matrix(list(kernel))


# --------------------------------------------------------------------------
# Syntax errors point at the column


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("k_1 x_1 + # k_2 x_2", "#"),
        ("k_1 x_1 + k_2 ) x_2", ")"),
        ("k_1 @ x_1", "@"),
        (r"k_1 x_1 + \foo{x}", r"\foo"),
        (r"\frac{W - K}{s} + \input{x}", r"\input"),
        (r"\begin{bmatrix} 1 & 2 \\ 3 & \cdots \end{bmatrix}", r"\cdots"),
        (r"\begin{tabular}{cc} 1 & 2 \end{tabular}", "tabular"),
        ("floor((W - K)/s) ? 1", "?"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, culprit: str):
    with pytest.raises(AnswerSyntaxError) as info:
        read_expression(text) if "matrix" not in text else read_matrix(text)
    error = info.value
    assert isinstance(error, SymconvError)
    assert error.column == text.index(culprit) + 1
    # The message shows the answer with a caret under that column.
    lines = str(error).splitlines()
    caret = next(line for line in lines if line.strip() == "^")
    shown = lines[lines.index(caret) - 1]
    assert shown[caret.index("^")] == culprit[0]


@pytest.mark.parametrize("text", ["(k_1 x_1", "k_1 x_1 +", r"\frac{W}{", r"\lfloor W/s"])
def test_an_answer_that_ends_too_early_points_past_its_end(text: str):
    with pytest.raises(AnswerSyntaxError) as info:
        read_expression(text)
    assert info.value.column == len(text) + 1


@pytest.mark.parametrize("wrapper", ["  {}", "${}$", "$ {} $", "\t{}\n"])
def test_the_column_counts_in_the_answer_as_typed(wrapper: str):
    text = wrapper.format("k_1 x_1 + # k_2 x_2")
    with pytest.raises(AnswerSyntaxError) as info:
        read_expression(text)
    assert info.value.column == text.index("#") + 1


def test_shape_errors_point_at_the_bad_size():
    layer = Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)
    sizes = [str(n) for n in layer.output_shape]
    sizes[1] = sizes[1] + "a"
    text = " x ".join(sizes)
    with pytest.raises(AnswerSyntaxError) as info:
        read_shape(text)
    assert info.value.column == text.index(sizes[1]) + 1


def test_a_syntax_error_in_check_is_an_unreadable_verdict_not_an_exception():
    expected = Conv(9, 3).output_element(0)
    verdict = check("k_1 x_1 + # k_2 x_2", expected)
    assert not verdict
    assert verdict.unreadable
    assert "column 11" in verdict.message


@pytest.mark.parametrize(
    "answer",
    [
        "f(W, K)",  # an unknown function of two arguments
        "(1, 2)/3",
        "[1, 2] + 1",
        "[1] [2]",
        "-[1]",
        "[1]^2",
        r"\frac{[1]}{2}",
        "2^{(1, 2)}",
        "floor([1, 2])",
        "max([1], 2)",
        r"\begin{bmatrix} 1 \end{bmatrix} + 1",
        r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}",
        "Matrix([[1, 2], [3]])",
    ],
)
def test_malformed_answers_are_unreadable_verdicts_not_crashes(answer: str):
    for value in (Conv(9, 3).output_element(0), Conv(9, 3).weight_count, Conv(2, 2).matrix()):
        verdict = check(answer, value)
        assert not verdict
        assert verdict.unreadable, verdict.message


# --------------------------------------------------------------------------
# Hostile input


def expected_values() -> dict[str, Any]:
    """One expected value of every kind ``check`` compares with, all from the library."""
    sheet = build_sheet()
    conv = Conv(9, 3)
    return {
        "element": conv.output_element(0),
        "formula": output_size(W, K, stride=s, padding=p),
        "number": conv.weight_count,
        "big number": sheet.problem("1h").answer("dense_weights").value,
        "shape": Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32).output_shape,
        "matrix": conv.matrix(),
    }


HOSTILE = {
    "import": "__import__('os').system('echo hi')",
    "dunder": "().__class__.__bases__",
    "subclasses": "().__class__.__base__.__subclasses__()",
    "lambda": "lambda: 0",
    "exec": "exec('1')",
    "eval": "eval('1+1')",
    "open": "open('/etc/passwd').read()",
    "getattr": "getattr(x, '__class__')",
    "sympify": "sympify('x')",
    "input": r"\input{/etc/passwd}",
    "include": r"\include{x}",
    "write18": r"\write18{ls}",
    "immediate write18": r"\immediate\write18{rm -rf /}",
    "def": r"\def\x{1}\x",
    "csname": r"\csname input\endcsname{/etc/passwd}",
    "catcode": r"\catcode`\^=7",
    "tower latex": "9^{9^{9}}",
    "tower sympy": "10**10**10",
    "tower huge": "2^{2^{2^{2^{2^{2}}}}}",
    "power of a huge number": "(10^{300})^{300}",
    "product of huge numbers": r"10^{399} \cdot 10^{399} \cdot 10^{399}",
    "huge exponent literal": "1e999999999",
    "tiny exponent literal": "1e-999999999",
    "negative tower": "10**-10**10",
    "symbolic huge power": "W^{9^{9}}",
    "100 kB": "k_1 x_1 + " * 10_000,
    "100 kB of letters": "x" * 100_000,
    "100 kB number": "9" * 100_000,
    "long number": "1" * 5_000,
    "long decimal": "0." + "1" * 5_000,
    "1000 parentheses": "(" * 1000 + "1" + ")" * 1000,
    "1000 braces": "{" * 1000 + "1" + "}" * 1000,
    "1000 open parentheses": "(" * 1000,
    "1000 floors": "⌊" * 1000 + "W" + "⌋" * 1000,
    "1000 fracs": r"\frac{" * 1000 + "1" + "}{2}" * 1000,
    "1000 lefts": r"\left(" * 1000 + "1" + r"\right)" * 1000,
    "1000 brackets": "[" * 1000 + "1" + "]" * 1000,
    "5000 minus signs": "-" * 5000 + "1",
    "5000 plus signs": "+" * 5000 + "1",
    "3000 powers": "2^" * 3000 + "2",
    "floor nesting": "floor(" * 1000 + "W" + ")" * 1000,
    "NUL": "k_1\x00x_1",
    "mod zero": "Mod(1, 0)",
    "bmod zero": r"x_1 \bmod 0",
    "symbolic mod zero": "Mod(W, 0)",
    "division by zero": r"\frac{1}{0}",
    "symbolic division by zero": "W/(s - s)",
    "empty": "",
    "dollars": "$$",
}


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return expected_values()


@pytest.mark.parametrize("answer", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_answers_are_never_right(answer: str, expected: dict[str, Any]):
    # Their time and memory are measured in a child process by test_hostile_limits.py.
    for kind, value in expected.items():
        verdict = check(answer, value)
        assert not verdict, f"{kind}: {verdict!r}"


# --------------------------------------------------------------------------
# Nothing a user typed is executed, no file is opened


def _forbidden(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} was called while checking an answer")

    return call


def test_checking_never_evaluates_or_runs_anything(
    monkeypatch: pytest.MonkeyPatch, expected: dict[str, Any], capfd: pytest.CaptureFixture[str]
):
    # Warm up lazy imports with right answers, before anything is forbidden.
    right = {kind: check(value, value) for kind, value in expected.items()}
    assert all(right.values())
    forbidden = {
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "compile"),
        (os, "system"),
        (os, "popen"),
        (subprocess, "Popen"),
        (sympy, "sympify"),
        (sympy, "parse_expr"),
        (sympy.parsing.sympy_parser, "parse_expr"),
    }
    # Names that symconv's modules imported themselves.
    for module in [m for name, m in sys.modules.items() if name.startswith("symconv")]:
        for name in ("sympify", "parse_expr", "parse_latex", "eval", "exec"):
            if hasattr(module, name):
                forbidden.add((module, name))
    for owner, name in forbidden:
        monkeypatch.setattr(owner, name, _forbidden(name))
    for answer in HOSTILE.values():
        if len(answer) > 20_000:
            continue
        for value in expected.values():
            verdict = check(answer, value)
            assert not verdict
    # Right answers are still read and decided without any of them.
    for value in expected.values():
        text = sympy.latex(value) if isinstance(value, sympy.Basic) else str(value)
        assert check(text, value), text
    monkeypatch.undo()
    out, _ = capfd.readouterr()
    assert "hi" not in out.split()


def test_checking_opens_no_file(monkeypatch: pytest.MonkeyPatch, expected: dict[str, Any]):
    for value in expected.values():
        check(sympy.latex(value) if isinstance(value, sympy.Basic) else str(value), value)
    opened: list[Any] = []

    def no_open(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        raise AssertionError(f"a file was opened: {args!r}")

    for owner, name in ((builtins, "open"), (io, "open"), (os, "open")):
        monkeypatch.setattr(owner, name, no_open)
    try:
        for answer in (
            r"\input{/etc/passwd}",
            r"\include{/etc/passwd}",
            r"\write18{ls}",
            r"\openin1=/etc/passwd",
            "open('/etc/passwd')",
            r"\verbatiminput{/etc/passwd}",
        ):
            for value in expected.values():
                with contextlib.suppress(SymconvError):
                    assert not check(answer, value)
    finally:
        monkeypatch.undo()
    assert opened == []


# --------------------------------------------------------------------------
# What is read is a SymPy object of the allowed kinds only


@pytest.mark.parametrize(
    "text",
    ["sin(W)", "exp(W)", "factorial(W)", "Symbol('x')", "integrate(W, W)", "N(pi)", "Function(f)"],
)
def test_functions_outside_the_allow_list_are_never_called(text: str):
    # Either the answer is refused, or a name followed by parentheses is read as a
    # product of symbols; never as a call.
    try:
        value = read_expression(text)
    except AnswerSyntaxError:
        return
    assert not value.has(sympy.Function), value
    assert all(isinstance(atom, Symbol | sympy.Number) for atom in value.atoms()), value


def test_floor_ceiling_min_max_mod_are_read():
    assert read_expression("floor(W/s)") == floor(W / s)
    assert read_expression("ceil(W/s)") == ceiling(W / s)
    assert read_expression("max(W, K)") == sympy.Max(W, K)
    assert read_expression(r"\min(W, K)") == sympy.Min(W, K)
    assert read_expression("Mod(W, s)") == sympy.Mod(W, s)
