"""Authoring a sheet: variables and arithmetic in text, $math$, reworded questions, chosen elements.

Expected numbers come from the variant's own parameters through plain
arithmetic or from the engine (``Conv``), never from a printed sheet.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_runner import run

from symconv import Conv, SymconvError
from symconv.present.display import sum_latex
from symconv.present.latex import author_text, grouped, latex_escape
from symconv.sheets import SheetError, build_sheet, render_sheets

SHEET = r"""
title = "Outputs of a {{ n }}-long input"
[variables]
n = { default = 9, min = 7, max = 12 }
k = { default = 3, choices = [2, 3, 4] }

[[section]]
title = "Counting outputs"
intro = "A {{ k }}-tap kernel gives {{ n - k + 1 }} outputs: $y = Kx$."
  [[section.problem]]
  kind = "elements"
  input = "$n"
  kernel = "$k"
  element = 2
  question = 'In your words: how many outputs, and what is $y_2$?'
"""


def sheet_file(tmp_path: Path, text: str = SHEET) -> Path:
    path = tmp_path / "sheet.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [None, 0, 1, 2, 3])
def test_text_fields_take_the_variables_math_and_the_own_wording(tmp_path, seed):
    sheet = build_sheet(sheet_file(tmp_path), seed=seed)
    n, k = sheet.parameters["n"], sheet.parameters["k"]
    source = render_sheets([sheet])
    assert f"Outputs of a {n}-long input" in source
    assert f"A {k}-tap kernel gives {n - k + 1} outputs: $y = Kx$." in source
    assert "In your words: how many outputs, and what is $y_2$?" in source
    assert "What is the \\textbf{output dimension}" not in source  # the default wording is gone
    element = sheet.problem("1a").answer("element")
    expected = Conv(n, k).output_element(1)  # y_2, 1-based as printed
    assert element.value == expected
    solution = re.search(r"\\begin\{solution\}(.*?)\\end\{solution\}", source, re.DOTALL)
    assert solution and f"y_{{2}} = {sum_latex(expected)}" in solution[1]


@pytest.mark.parametrize(
    ("element", "index"), [(1, (0,)), (3, (2,)), ([2, 3], (1, 2)), ([1, 1], (0, 0))]
)
def test_element_is_one_based_per_axis(tmp_path, element, index):
    size = "[6, 6]" if isinstance(element, list) else "9"
    text = (
        f'title = "t"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "elements"\n'
        f"input = {size}\nkernel = 3\nelement = {element}\n"
    )
    problem = build_sheet(sheet_file(tmp_path, text)).problem("1a")
    conv = Conv((6, 6) if isinstance(element, list) else 9, 3)
    assert problem.answer("element").value == conv.output_element(index)


@pytest.mark.parametrize(
    ("element", "named"),
    [(0, "from 1 to 7"), (8, "from 1 to 7"), ("2", "whole number"), ([1, 2], "1 number")],
)
def test_a_bad_element_is_refused_naming_the_key(tmp_path, element, named):
    value = f'"{element}"' if isinstance(element, str) else element
    text = (
        f'title = "t"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "elements"\n'
        f"input = 9\nkernel = 3\nelement = {value}\n"
    )
    with pytest.raises(SheetError, match="element") as info:
        build_sheet(sheet_file(tmp_path, text))
    assert named in str(info.value)


HOSTILE_MATH = [
    r"$\input{/etc/passwd}$",
    r"$\include{x}$",
    r"$\write18{rm -rf /}$",
    r"$\immediate\write18{ls}$",
    r"$\def\x{1}$",
    r"$\newcommand{\x}{1}$",
    r"$\openout1=x$",
    r"$\read16 to \x$",
    r"$\catcode`\@=11$",
    r"$^^5cinput{x}$",
    r"$\end{document}$",
    r"$x % hidden$",
    "a lone $ sign",
]


@pytest.mark.parametrize("text", HOSTILE_MATH)
def test_file_shell_and_definition_commands_in_math_are_refused_in_one_line(tmp_path, text):
    toml = f"title = 't'\n[[section]]\ntitle = 's'\nintro = '{text}'\n" + (
        '[[section.problem]]\nkind = "size-formula"\n'
    )
    with pytest.raises(SheetError) as info:
        build_sheet(sheet_file(tmp_path, toml))
    message = str(info.value)
    assert "\n" not in message and "section 1, key 'intro'" in message


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ n.__class__ }}",
        "{{ cycler }}",
        "{{ 9 ** 9999 }}",
        "{{ 'x' * 100000000 }}",
        "{% for i in range(10**9) %}x{% endfor %}",
        "{{ undefined_name }}",
        "{{ n + }}",
    ],
)
def test_nothing_of_python_is_reachable_from_a_text_field(tmp_path, text):
    toml = (
        f'title = "t"\n[variables]\nn = 3\n[[section]]\ntitle = "s"\nintro = "{text}"\n'
        '[[section.problem]]\nkind = "size-formula"\n'
    )
    with pytest.raises(SheetError) as info:
        build_sheet(sheet_file(tmp_path, toml), seed=1)
    assert "\n" not in str(info.value) and "key 'intro'" in str(info.value)


def test_latex_outside_math_is_printed_as_text(tmp_path):
    toml = (
        "title = 't'\n[[section]]\ntitle = 's'\n"
        "intro = '\\input{/etc/passwd} costs \\$5 \\def\\x'\n"
        '[[section.problem]]\nkind = "size-formula"\n'
    )
    source = render_sheets([build_sheet(sheet_file(tmp_path, toml))])
    assert r"\input{" not in source and r"\def\x" not in source
    assert latex_escape(r"\input{/etc/passwd} costs $5 \def\x") in source


def test_the_command_line_refuses_a_hostile_sheet_in_one_line(tmp_path, capsys):
    toml = "title = '{{ \"\".__class__ }}'\n[[section]]\ntitle = 's'\n" + (
        '[[section.problem]]\nkind = "size-formula"\n'
    )
    status, out, err = run(["sheet", str(sheet_file(tmp_path, toml))], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err and "unsafe" in err


@pytest.mark.parametrize(
    "kind", ["elements", "matrix", "unshared", "equivariance", "transpose", "pooling"]
)
def test_every_derived_kind_takes_its_own_question(tmp_path, kind):
    extra = 'padding = "same"\n' if kind == "equivariance" else ""
    toml = (
        f'title = "t"\n[variables]\nn = 8\n[[section]]\ntitle = "s"\n[[section.problem]]\n'
        f'kind = "{kind}"\ninput = 8\nkernel = 3\n{extra}'
        "question = 'Reworded for {{ n }} inputs: find $M$.'\n"
    )
    sheet = build_sheet(sheet_file(tmp_path, toml))
    source = render_sheets([sheet], solutions=False)
    assert "Reworded for 8 inputs: find $M$." in source
    assert sheet.problem("1a").answers  # the derived answers stay


@pytest.mark.parametrize("kind", ["size-formula", "shapes", "counts", "stack"])
def test_the_other_derived_kinds_take_a_question_too(tmp_path, kind):
    keys = {
        "size-formula": "",
        "shapes": "image = 32\nchannels = 3\nkernel = 5\n",
        "counts": "image = 32\nchannels = 3\nkernel = 5\nfilters = 8\n",
        "stack": 'input = [1, 16]\nlayers = [{ type = "conv", kernel = 3 }]\n',
    }[kind]
    toml = (
        f'title = "t"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "{kind}"\n'
        f"{keys}question = 'Own words.'\n"
    )
    source = render_sheets([build_sheet(sheet_file(tmp_path, toml))], solutions=False)
    assert "Own words." in source


def test_allowed_keys_list_every_key_a_problem_accepts(tmp_path):
    toml = (
        'title = "t"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "elements"\n'
        "input = 9\nkernel = 3\nkernal = 3\n"
    )
    with pytest.raises(SheetError, match="kernal") as info:
        build_sheet(sheet_file(tmp_path, toml))
    allowed = str(info.value).split("allowed: ")[1].split(", ")
    assert {"space", "kind", "question", "element", "figure", "input", "kernel"} <= set(allowed)


def test_a_stack_layer_key_typo_lists_the_layers_keys(tmp_path):
    toml = (
        'title = "t"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "stack"\n'
        'input = [1, 16]\nlayers = [{ type = "conv", kernel = 3, bogus = 1 }]\n'
    )
    with pytest.raises(SheetError, match="bogus") as info:
        build_sheet(sheet_file(tmp_path, toml))
    assert "allowed: type, kernel, out_channels, stride, padding" in str(info.value)


def test_author_text_and_grouping_units():
    assert author_text(r"a_b $x_b$") == r"a\_b $x_b$"
    assert grouped(99883155456) == r"99\,883\,155\,456"
    assert grouped(9999) == "9999" and grouped(10000) == r"10\,000"


def test_a_layers_error_names_the_sheets_keys(tmp_path):
    toml = (
        'title = "t"\n[[section]]\ntitle = "s"\n[[section.problem]]\nkind = "elements"\n'
        "input = 3\nkernel = 5\n"
    )
    with pytest.raises(SheetError) as info:
        build_sheet(sheet_file(tmp_path, toml))
    message = str(info.value)
    assert "kernel 5" in message and "input 3" in message
    assert "input_size" not in message and "kernel_size" not in message


@pytest.mark.parametrize(
    "expression",
    [
        "((((9**64)**64)**64)**64)",
        "'x' | center(10**7)",
        "'%10000000d' % 1",
        "'{:>10000000}'.format(1)",
        "'x' | indent(10**7)",
        "10**30",
    ],
)
def test_a_computation_too_large_for_a_sheet_is_refused_at_once(expression):
    from symconv.sheets.authoring import evaluate, fill

    with pytest.raises(SymconvError):
        evaluate(expression, {})
    with pytest.raises(SymconvError):
        fill("{{ " + expression + " }}", {})


def test_the_arithmetic_a_sheet_needs_is_still_allowed():
    from symconv.sheets.authoring import evaluate

    values = {"n": 9, "k": 3, "f": 5}
    assert evaluate("(f - 1) // 2", values) == (values["f"] - 1) // 2
    assert evaluate("n % 2", values) == values["n"] % 2
    assert evaluate("2 ** 64", values) == 2**64
    assert evaluate("[n, k] | max", values) == max(values["n"], values["k"])
