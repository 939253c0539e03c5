"""Worksheets without TeX: every answer against the engine, seeds, escaping, TOML, the CLI.

The sheet's answers are derived by the engine, so the expected values here are
derived by the engine too -- from the sheet's *parameters*, rebuilt into a
:class:`symconv.Conv` by a table written in this file -- or by an independent
oracle (window counting, plain arithmetic, a parser of the printed LaTeX).
Nothing is copied from a rendered sheet.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from call_count import calls
from cli_runner import run
from sympy import Matrix, floor
from sympy.parsing.sympy_parser import parse_expr

import symconv
from symconv import Conv, SymconvError, output_size, render_sheet
from symconv.present.matrices import FULL_COLS, FULL_ROWS, MatrixView
from symconv.sheets import Problem, Sheet, build_sheet, render_sheets, sheet_names

SEEDS = range(1, 11)
VARIANTS = [None, *SEEDS]  # None: the default sheet


def variant_id(seed: int | None) -> str:
    return "default" if seed is None else f"seed{seed}"


# --------------------------------------------------------------------------
# Oracles


def windows(width: int, kernel: int, *, stride=1, before=0, after=0, dilation=1) -> int:
    """Oracle: walk the padded input and count the positions where the window fits."""
    padded = width + before + after
    span = dilation * (kernel - 1) + 1
    return sum(1 for start in range(0, padded, stride) if start + span <= padded)


def tex_shape(shape: tuple[int, ...]) -> str:
    r"""A shape as it is written on paper, ``3 \times 5 \times 5``."""
    return r" \times ".join(str(n) for n in shape)


def tex_symbol(tex: str, by_name: dict[str, sympy.Symbol]) -> sympy.Symbol:
    """Read ``k_{1,2}`` back as the symbol named ``k_1,2`` (names are 1-based, per the API)."""
    match = re.fullmatch(r"([a-zA-Z])_\{([\d,]+)\}", tex)
    assert match, f"not a symbol: {tex!r}"
    name = f"{match[1]}_{match[2]}"
    assert name in by_name, f"{tex!r} names {name}, which is not in {sorted(by_name)}"
    return by_name[name]


def parse_sum(tex: str, expected: sympy.Expr) -> sympy.Expr:
    r"""Read a printed sum of products (``k_{1} x_{1} + k_{2} x_{2}``, or ``0``) back into SymPy."""
    if tex == "0":
        return sympy.S.Zero
    by_name = {s.name: s for s in sympy.sympify(expected).free_symbols}
    return sympy.Add(
        *(
            sympy.Mul(*(tex_symbol(factor, by_name) for factor in term.split()))
            for term in tex.split(" + ")
        )
    )


DOTS = {r"\cdots", r"\vdots", r"\ddots"}


def shown_indices(count: int, hidden: tuple[tuple[int, int], ...]) -> list[int | None]:
    """Oracle: the indices a printed grid shows, with one ``None`` per run left out."""
    left_out = {i - 1 for first, last in hidden for i in range(first, last + 1)}
    shown: list[int | None] = []
    for index in range(count):
        if index not in left_out:
            shown.append(index)
        elif not shown or shown[-1] is not None:
            shown.append(None)
    return shown


def assert_matrix_tex(tex: str, matrix: Matrix, view: MatrixView) -> None:
    r"""The printed ``bmatrix`` shows the entries of ``matrix`` at the right places, and every
    row it shows shows all its weights (the columns left out are zero there)."""
    assert tex == view.latex
    match = re.fullmatch(r"\\begin\{bmatrix\} (.*) \\end\{bmatrix\}", tex, re.DOTALL)
    assert match, tex[:80]
    grid = [row.split(" & ") for row in match[1].split(r" \\ ")]
    assert len({len(row) for row in grid}) == 1, "ragged matrix"
    rows = shown_indices(matrix.rows, view.hidden_rows)
    cols = shown_indices(matrix.cols, view.hidden_cols)
    assert len(rows) == len(grid) and len(cols) == len(grid[0])
    if matrix.rows <= FULL_ROWS and matrix.cols <= FULL_COLS:
        assert None not in rows and None not in cols, "a small matrix is offered in full"
    for shown_row, r in zip(grid, rows, strict=True):
        for cell, c in zip(shown_row, cols, strict=True):
            if r is None or c is None:
                assert cell in DOTS, (r, c, cell)
            else:
                assert parse_sum(cell, matrix[r, c]) == matrix[r, c], (r, c, cell)
        if r is not None and view.rows_whole:
            weights = {c for c in range(matrix.cols) if matrix[r, c] != 0}
            assert weights <= set(cols), f"row {r + 1} hides weights"


def parse_formula(tex: str, expected: sympy.Expr) -> sympy.Expr:
    r"""Read a printed size formula (``\left\lfloor{\frac{W + 2 p - K}{s}}\right\rfloor + 1``)."""
    text = tex.replace(r"\left\lfloor{", "floor(").replace(r"}\right\rfloor", ")")
    text = text.replace(r"\left(", "(").replace(r"\right)", ")")
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", text)
    assert not set(text) & set("\\{}"), f"unexpected LaTeX in {tex!r}"
    text = re.sub(r"(?<=[\w)])\s+(?=[\w(])", "*", text)  # implicit products: 2 p, d (K - 1)
    names = {s.name: s for s in expected.free_symbols}
    return parse_expr(text, local_dict={**names, "floor": floor})


# How LaTeX prints each escape; any other special character would be interpreted.
PRINTED = {
    r"\texttt{\char95}": "_",
    r"\texttt{\char94}": "^",
    r"\texttt{\char126}": "~",
    r"\textbackslash{}": "\\",
    r"\textasciicircum{}": "^",
    r"\textasciitilde{}": "~",
    r"\textless{}": "<",
    r"\textgreater{}": ">",
    r"\textbar{}": "|",
    r"\{": "{",
    r"\}": "}",
    r"\$": "$",
    r"\&": "&",
    r"\#": "#",
    r"\_": "_",
    r"\%": "%",
}
SPECIAL = set("\\{}$&#^_%~")


def printed_text(tex: str) -> str:
    """Oracle: what LaTeX prints for ``tex``, failing on any character it would interpret."""
    out, i = [], 0
    while i < len(tex):
        escape = next((e for e in PRINTED if tex.startswith(e, i)), None)
        if escape:
            out.append(PRINTED[escape])
            i += len(escape)
        else:
            assert tex[i] not in SPECIAL, f"raw {tex[i]!r} at {i} of {tex!r}"
            out.append(tex[i])
            i += 1
    return "".join(out)


# --------------------------------------------------------------------------
# Reading a rendered sheet


def solution_blocks(source: str) -> list[str]:
    return re.findall(r"\\begin\{solution\}(.*?)\\end\{solution\}", source, re.DOTALL)


def question_blocks(source: str) -> list[str]:
    """Each problem's question: from its ``\\item`` to its solution or its answer space."""
    return re.findall(r"\\item\n(.*?)(?=\\begin\{solution\}|\\answerspace)", source, re.DOTALL)


def header(source: str) -> str:
    """The title block, before the first section."""
    return source[source.index(r"\begin{document}") : source.index(r"\section")]


def occurs(fragment: str, text: str) -> bool:
    """``fragment`` occurs in ``text`` as a whole (``21`` is not found in ``x_{210}``)."""
    return re.search(rf"(?<![\w.]){re.escape(fragment)}(?![\w.])", text) is not None


def is_small_integer(tex: str) -> bool:
    """A bare number below 100: questions are full of them (lengths, indices, counts), so
    its absence from a handout means nothing; its presence in the solution is still checked."""
    return re.fullmatch(r"\d{1,2}", tex) is not None


@functools.cache
def built(name: str | Path = "weight-sharing", seed: int | None = None) -> tuple[Sheet, str, str]:
    """A derived sheet with its solutions and its handout, built once per test session."""
    sheet = build_sheet(name, seed=seed)
    return (
        sheet,
        render_sheets([sheet], solutions=True),
        render_sheets([sheet], solutions=False),
    )


# --------------------------------------------------------------------------
# Checking one problem's answers against the engine


def check_elements(problem: Problem, conv: Conv) -> None:
    shape = conv.output_shape
    assert [a.key for a in problem.answers] == ["size", "first", "last"]
    size = problem.answer("size")
    assert size.value == (shape[0] if len(shape) == 1 else shape)
    assert size.latex == tex_shape(shape)
    for key, index in (("first", (0,) * len(shape)), ("last", (-1,) * len(shape))):
        answer, expected = problem.answer(key), conv.output_element(index)
        assert answer.value == expected, key
        assert parse_sum(answer.latex, expected) == expected, key


def check_matrix(problem: Problem, conv: Conv) -> None:
    matrix = Matrix(conv.matrix())
    rows, cols = math.prod(conv.output_shape), math.prod(conv.input_shape)
    assert matrix.shape == (rows, cols)
    assert [a.key for a in problem.answers] == ["shape", "matrix"]
    assert problem.answer("shape").value == (rows, cols)
    assert re.findall(r"\d+", problem.answer("shape").latex) == [str(rows), str(cols)]
    assert Matrix(problem.answer("matrix").value) == matrix
    assert_matrix_tex(problem.answer("matrix").latex, matrix, problem.values["views"][0])


def check_unshared(problem: Problem, conv: Conv) -> None:
    assert not conv.spec.shared
    matrix = Matrix(conv.matrix())
    assert [a.key for a in problem.answers] == ["matrix", "weights"]
    assert Matrix(problem.answer("matrix").value) == matrix
    assert_matrix_tex(problem.answer("matrix").latex, matrix, problem.values["views"][0])
    weights = problem.answer("weights")
    assert weights.value == conv.weight_count
    # Oracle: without sharing (and without bias) every weight sits in the matrix once.
    assert weights.value == len(matrix.free_symbols)
    assert weights.latex == str(conv.weight_count)


def check_size_formula(problem: Problem, keys: tuple[str, ...]) -> None:
    assert tuple(a.key for a in problem.answers) == keys
    for answer in problem.answers:
        names = {s.name: s for s in answer.value.free_symbols}
        assert {"W", "K"} <= set(names) <= {"W", "K", "s", "p", "d"}, names
        stride, pad, dil = names.get("s", 1), names.get("p", 0), names.get("d", 1)
        engine = output_size(names["W"], names["K"], stride=stride, padding=pad, dilation=dil)
        assert sympy.simplify(answer.value - engine) == 0, answer.key
        # Oracle: count window positions for every small layer in the formula's domain.
        order = [names.get(n, sympy.Dummy()) for n in "WKspd"]
        value = sympy.lambdify(order, answer.value, modules="math")
        printed = sympy.lambdify(order, parse_formula(answer.latex, answer.value), modules="math")
        small = {
            "W": range(1, 13),
            "K": range(1, 6),
            "s": range(1, 4) if "s" in names else [1],
            "p": range(3) if "p" in names else [0],
            "d": range(1, 3) if "d" in names else [1],
        }
        grid = (small[n] for n in "WKspd")
        for w, k, s, p, d in itertools.product(*grid):
            expected = windows(w, k, stride=s, before=p, after=p, dilation=d)
            if expected == 0:
                continue  # the kernel does not fit: outside the formula's domain
            assert value(w, k, s, p, d) == expected, (answer.key, w, k, s, p, d)
            assert printed(w, k, s, p, d) == expected, (answer.latex, w, k, s, p, d)


def check_shapes(problem: Problem, conv: Conv) -> None:
    assert [a.key for a in problem.answers] == ["input_shape", "filter_shape"]
    for answer, shape in zip(problem.answers, (conv.input_shape, conv.filter_shape), strict=True):
        assert answer.value == shape
        assert answer.latex == tex_shape(shape)


def check_counts(problem: Problem, conv: Conv) -> None:
    assert [a.key for a in problem.answers] == ["output_shape", "weights", "dense_weights"]
    expected = {
        "output_shape": conv.output_shape,
        "weights": conv.weight_count,
        "dense_weights": conv.dense_weight_count,
    }
    for key, value in expected.items():
        assert problem.answer(key).value == value, key
    assert problem.answer("output_shape").latex == tex_shape(conv.output_shape)
    assert problem.answer("weights").latex == str(conv.weight_count)
    assert problem.answer("dense_weights").latex == str(conv.dense_weight_count)


def check_text(problem: Problem, model_answer: str) -> None:
    answer = problem.answer("text")
    printed = model_answer.replace(r"\$", "$")  # a dollar sign outside math is written \$
    assert answer.value == printed
    assert printed_text(answer.latex) == printed


CHECKS: dict[str, Callable[[Problem, Any], None]] = {
    "elements": check_elements,
    "matrix": check_matrix,
    "unshared": check_unshared,
    "size-formula": check_size_formula,
    "shapes": check_shapes,
    "counts": check_counts,
    "text": check_text,
}


# --------------------------------------------------------------------------
# The built-in weight-sharing sheet


def builtin_definition() -> dict[str, Any]:
    path = resources.files("symconv.sheets").joinpath("builtin", "weight-sharing.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def model_answer(definition: dict[str, Any], problem_id: str) -> str:
    """The model answer a definition gives for problem ``2a`` (section 2, first part)."""
    section, letter = int(problem_id[:-1]), problem_id[-1]
    return definition["section"][section - 1]["problem"][ord(letter) - ord("a")]["answer"]


def one_d(**options: Any) -> Callable[[dict[str, Any]], Conv]:
    return lambda v: Conv(v["n"], v["k"], **options)


def image_layer(v: dict[str, Any], **options: Any) -> Conv:
    return Conv(
        (v["image"], v["image"]),
        v["size"],
        in_channels=v["channels"],
        out_channels=v["filters"],
        **options,
    )


# What each problem of the built-in sheet is about, in the engine's terms, from the
# sheet's parameters (its TOML variables): a Conv, the formula keys, or the model answer.
WEIGHT_SHARING: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "1a": ("elements", one_d()),
    "1b": ("elements", one_d(padding="same")),
    "1c": ("matrix", one_d()),
    "1d": ("matrix", one_d(padding="same")),
    "1e": ("unshared", one_d(shared=False)),
    "1f": ("size-formula", lambda v: ("valid", "general")),
    "1g": ("shapes", image_layer),
    "1h": ("counts", lambda v: image_layer(v, stride=v["stride"])),
    "2a": ("text", lambda v: model_answer(builtin_definition(), "2a")),
    "2b": ("text", lambda v: model_answer(builtin_definition(), "2b")),
    "2c": ("text", lambda v: model_answer(builtin_definition(), "2c")),
    "2d": ("text", lambda v: model_answer(builtin_definition(), "2d")),
}


@pytest.mark.parametrize("seed", VARIANTS, ids=variant_id)
def test_builtin_sheet_has_the_problems_of_its_definition(seed):
    sheet, _, _ = built("weight-sharing", seed)
    assert [(p.id, p.kind) for p in sheet.problems()] == [
        (problem_id, kind) for problem_id, (kind, _) in WEIGHT_SHARING.items()
    ]
    assert sheet.seed == seed


@pytest.mark.parametrize("problem_id", WEIGHT_SHARING)
@pytest.mark.parametrize("seed", VARIANTS, ids=variant_id)
def test_builtin_answers_equal_what_the_engine_derives(seed, problem_id):
    sheet, _, _ = built("weight-sharing", seed)
    kind, expected = WEIGHT_SHARING[problem_id]
    CHECKS[kind](sheet.problem(problem_id), expected(sheet.parameters))


@pytest.mark.parametrize("seed", VARIANTS, ids=variant_id)
def test_builtin_numbers_against_arithmetic_oracles(seed):
    """The numbers students check, without the engine: window counts and products."""
    sheet, _, _ = built("weight-sharing", seed)
    v = sheet.parameters
    n, k = v["n"], v["k"]
    assert sheet.problem("1a").answer("size").value == len(np.correlate(np.ones(n), np.ones(k)))
    assert sheet.problem("1b").answer("size").value == len(
        np.correlate(np.ones(n), np.ones(k), mode="same")
    )
    assert sheet.problem("1e").answer("weights").value == windows(n, k) * k

    image, channels, filters, size = v["image"], v["channels"], v["filters"], v["size"]
    assert sheet.problem("1g").answer("input_shape").value == (channels, image, image)
    assert sheet.problem("1g").answer("filter_shape").value == (channels, size, size)
    side = windows(image, size, stride=v["stride"])
    counts = sheet.problem("1h")
    assert counts.answer("output_shape").value == (filters, side, side)
    assert counts.answer("weights").value == filters * channels * size * size
    assert counts.answer("dense_weights").value == (channels * image**2) * (filters * side**2)


def as_printed(tex: str) -> str:
    r"""Oracle: a number of five digits or more is printed in groups of three (``99\,883``)."""
    if not re.fullmatch(r"\d{5,}", tex):
        return tex
    head = len(tex) % 3 or 3
    return r"\,".join([tex[:head], *(tex[i : i + 3] for i in range(head, len(tex), 3))])


def assert_answers_in_solutions_not_in_handout(sheet: Sheet, solutions: str, handout: str):
    """Each answer's LaTeX sits in its own problem's solution, and nowhere in the handout."""
    blocks = solution_blocks(solutions)
    assert len(blocks) == len(sheet.problems())
    assert solution_blocks(handout) == []
    missing, leaks = [], []
    for problem, block in zip(sheet.problems(), blocks, strict=True):
        for answer in problem.answers:
            where = f"{problem.id} {answer.key} ({answer.latex[:60]!r})"
            if as_printed(answer.latex) not in block:
                missing.append(where)
            if not is_small_integer(answer.latex) and occurs(as_printed(answer.latex), handout):
                leaks.append(where)
    assert not missing, "answers missing from their solution: " + "; ".join(missing)
    assert not leaks, "answers printed on the handout: " + "; ".join(leaks)


@pytest.mark.parametrize("seed", VARIANTS, ids=variant_id)
def test_builtin_answers_are_in_the_solutions_and_not_in_the_handout(seed):
    assert_answers_in_solutions_not_in_handout(*built("weight-sharing", seed))


@pytest.mark.parametrize("seed", [None, 4], ids=variant_id)
def test_handout_asks_the_same_questions_as_the_solutions(seed):
    sheet, solutions, handout = built("weight-sharing", seed)
    questions = question_blocks(solutions)
    assert len(questions) == len(sheet.problems())
    assert question_blocks(handout) == questions
    body = handout[handout.index(r"\begin{document}") :]
    assert body.count(r"\answerspace{") == len(sheet.problems())


@pytest.mark.parametrize("seed", [None, 3], ids=variant_id)
def test_render_sheet_is_the_rendered_build(seed):
    _, solutions, handout = built("weight-sharing", seed)
    assert render_sheet(seed=seed) == solutions
    assert render_sheet(seed=seed, solutions=False) == handout
    assert symconv.render_sheet is render_sheet
    assert solutions.startswith(r"\documentclass")
    assert solutions.rstrip().endswith(r"\end{document}")


# --------------------------------------------------------------------------
# Seeds


def test_same_seed_gives_the_identical_sheet_twice():
    for seed in SEEDS:
        assert render_sheet(seed=seed) == render_sheet(seed=seed)
        assert render_sheet(seed=seed, solutions=False) == render_sheet(seed=seed, solutions=False)
        assert build_sheet(seed=seed).parameters == build_sheet(seed=seed).parameters


def test_same_seed_gives_the_same_sheet_in_another_process():
    """A variant is reproducible across runs: no dependence on hash randomisation."""
    code = "import sys; from symconv import render_sheet; sys.stdout.write(render_sheet(seed=7))"
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(result.stdout)
    assert outputs == {built("weight-sharing", 7)[1]}


def without_label(source: str, seed: int) -> str:
    return header(source).replace(str(seed), "") + source[source.index(r"\section") :]


def test_different_seeds_give_different_sheets():
    sheets = {seed: built("weight-sharing", seed) for seed in SEEDS}
    for a, b in itertools.combinations(SEEDS, 2):
        text_a, text_b = without_label(sheets[a][1], a), without_label(sheets[b][1], b)
        assert text_a != text_b, (a, b)
        assert sheets[a][2] != sheets[b][2], (a, b)

    def answers(seed):
        return [str(a.value) for p in sheets[seed][0].problems() for a in p.answers]

    pairs = list(itertools.combinations(SEEDS, 2))
    differing = sum(answers(a) != answers(b) for a, b in pairs)
    assert differing >= 0.9 * len(pairs)


@pytest.mark.parametrize("seed", SEEDS)
def test_variant_has_other_numbers_than_the_default(seed):
    default, _, _ = built("weight-sharing", None)
    variant, _, _ = built("weight-sharing", seed)
    assert variant.parameters != default.parameters
    assert [a.value for p in variant.problems() for a in p.answers] != [
        a.value for p in default.problems() for a in p.answers
    ]


@pytest.mark.parametrize("seed", [0, 1, 7, 10])
def test_variant_is_labelled_with_its_seed(seed):
    source = render_sheet(seed=seed)
    assert occurs(str(seed), header(source))
    assert occurs(str(seed), header(render_sheet(seed=seed, solutions=False)))
    assert not re.search(r"\d", header(render_sheet()))


@pytest.mark.parametrize("seed", [True, "3", 2.0])
def test_seed_must_be_an_integer(seed):
    with pytest.raises(SymconvError, match="seed"):
        build_sheet(seed=seed)


# --------------------------------------------------------------------------
# Names and errors


def test_builtin_sheets_are_listed():
    assert "weight-sharing" in sheet_names()


def test_unknown_sheet_raises_an_error_naming_it():
    with pytest.raises((LookupError, ValueError)) as info:
        render_sheet("no-such-sheet")
    assert isinstance(info.value, SymconvError)
    assert "no-such-sheet" in str(info.value)
    assert "weight-sharing" in str(info.value)  # says what exists


def test_render_sheets_needs_a_sheet():
    with pytest.raises(SymconvError):
        render_sheets([])


# --------------------------------------------------------------------------
# Hostile text


HOSTILE = {
    "title": r"\input{/etc/passwd}",
    "course": "#$%&_^~{}\\",
    "author": r"\end{document}",
    "date": r"50% of {x} costs $5 \\ \relax ~ a_b^c <|>",
}


def marked(field: str, text: str) -> str:
    return f"@{field}@{text}@/{field}@"


def marked_region(source: str, field: str) -> str:
    match = re.search(rf"@{field}@(.*?)@/{field}@", source, re.DOTALL)
    assert match, f"{field} missing from the source"
    return match[1]


@pytest.mark.parametrize("solutions", [True, False], ids=["solutions", "handout"])
def test_hostile_title_course_author_date_are_escaped(solutions):
    source = render_sheet(
        solutions=solutions, **{field: marked(field, text) for field, text in HOSTILE.items()}
    )
    for field, text in HOSTILE.items():
        assert printed_text(marked_region(source, field)) == text, field
    assert r"\input{" not in source
    assert r"\relax" not in source
    assert source.count(r"\end{document}") == 1
    assert source.rstrip().endswith(r"\end{document}")


def test_cli_title_is_escaped(capsys):
    status, out, _ = run(["sheet", "--title", marked("title", HOSTILE["title"])], capsys)
    assert status == 0
    assert printed_text(marked_region(out, "title")) == HOSTILE["title"]
    assert r"\input{" not in out


# --------------------------------------------------------------------------
# A sheet of our own, in TOML

MY_SHEET = r"""
title = '@title@My own \sheet #1@/title@'
course = "Deep learning"

[variables]
w = { default = 6, min = 5, max = 8 }
taps = { default = 2, choices = [2, 3] }
channels = { default = 3, choices = [1, 3, 4] }
filters = 4

[[section]]
title = '@section@Shapes & sizes {50%}@/section@'
intro = 'Answer every part; $x$ is the input.'

  [[section.problem]]
  kind = "elements"
  input = ["$w", "$w"]
  kernel = "$taps"
  stride = 2
  padding = 1
  in_channels = 2
  out_channels = "$filters"
  bias = true

  [[section.problem]]
  kind = "elements"
  input = "$w"
  kernel = 3
  dilation = 2
  padding = 2
  circular = true
  flip = true

  [[section.problem]]
  kind = "matrix"
  input = [3, 3]
  kernel = 2
  padding = [[0, 1], [1, 0]]

  [[section.problem]]
  kind = "matrix"
  input = 12
  kernel = "$taps"
  stride = 2

  [[section.problem]]
  kind = "unshared"
  input = "$w"
  kernel = "$taps"
  stride = 2

  [[section.problem]]
  kind = "size-formula"
  dilation = true
  space = 2.5

[[section]]
title = "Images"

  [[section.problem]]
  kind = "shapes"
  image = [32, 48]
  channels = "$channels"
  kernel = [3, 5]

  [[section.problem]]
  kind = "counts"
  image = 28
  channels = 1
  kernel = 5
  filters = "$filters"
  padding = 2

  [[section.problem]]
  kind = "text"
  question = '@question@Why \emph{share} weights?@/question@'
  answer = '@answer@\input{/etc/passwd} #\$%&_^~{}\ \end{document}@/answer@'
"""

MY_PROBLEMS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "1a": (
        "elements",
        lambda v: Conv(
            (v["w"], v["w"]),
            v["taps"],
            stride=2,
            padding=1,
            in_channels=2,
            out_channels=v["filters"],
            bias=True,
        ),
    ),
    "1b": (
        "elements",
        lambda v: Conv(v["w"], 3, dilation=2, padding=2, padding_mode="circular", flip=True),
    ),
    "1c": ("matrix", lambda v: Conv((3, 3), 2, padding=((0, 1), (1, 0)))),
    "1d": ("matrix", lambda v: Conv(12, v["taps"], stride=2)),
    "1e": ("unshared", lambda v: Conv(v["w"], v["taps"], stride=2, shared=False)),
    "1f": ("size-formula", lambda v: ("valid", "general", "dilated")),
    "2a": ("shapes", lambda v: Conv((32, 48), (3, 5), in_channels=v["channels"])),
    "2b": (
        "counts",
        lambda v: Conv((28, 28), 5, padding=2, in_channels=1, out_channels=v["filters"]),
    ),
    "2c": ("text", lambda v: model_answer(tomllib.loads(MY_SHEET), "2c")),
}
MY_SEEDS = [None, 1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def my_sheet(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sheets") / "my-sheet.toml"
    path.write_text(MY_SHEET, encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", MY_SEEDS, ids=variant_id)
def test_own_sheet_has_its_problems(my_sheet, seed):
    sheet, _, _ = built(my_sheet, seed)
    assert sheet.name == "my-sheet"
    assert [(p.id, p.kind) for p in sheet.problems()] == [
        (problem_id, kind) for problem_id, (kind, _) in MY_PROBLEMS.items()
    ]
    assert sheet.parameters["filters"] == tomllib.loads(MY_SHEET)["variables"]["filters"]


@pytest.mark.parametrize("problem_id", MY_PROBLEMS)
@pytest.mark.parametrize("seed", MY_SEEDS, ids=variant_id)
def test_own_sheet_answers_equal_what_the_engine_derives(my_sheet, seed, problem_id):
    sheet, _, _ = built(my_sheet, seed)
    kind, expected = MY_PROBLEMS[problem_id]
    CHECKS[kind](sheet.problem(problem_id), expected(sheet.parameters))


@pytest.mark.parametrize("seed", MY_SEEDS, ids=variant_id)
def test_own_sheet_answers_are_in_the_solutions_and_not_in_the_handout(my_sheet, seed):
    assert_answers_in_solutions_not_in_handout(*built(my_sheet, seed))


def test_own_sheet_variables_stay_in_their_ranges(my_sheet):
    variables = tomllib.loads(MY_SHEET)["variables"]
    for seed in range(1, 30):
        values = build_sheet(my_sheet, seed=seed).parameters
        assert variables["w"]["min"] <= values["w"] <= variables["w"]["max"]
        assert values["taps"] in variables["taps"]["choices"]
        assert values["channels"] in variables["channels"]["choices"]


def test_own_sheet_texts_are_escaped(my_sheet):
    _, solutions, handout = built(my_sheet, None)
    expected = {
        "title": r"My own \sheet #1",
        "section": "Shapes & sizes {50%}",
        "question": r"Why \emph{share} weights?",
        "answer": r"\input{/etc/passwd} #$%&_^~{}\ \end{document}",
    }
    for field, text in expected.items():
        assert printed_text(marked_region(solutions, field)) == text, field
    for field in ("title", "section", "question"):
        assert printed_text(marked_region(handout, field)) == expected[field], field
    for source in (solutions, handout):
        assert r"\input{" not in source and r"\emph{share" not in source
        assert source.count(r"\end{document}") == 1


def test_own_sheet_by_path_or_by_string(my_sheet):
    assert render_sheet(str(my_sheet)) == render_sheet(my_sheet) == built(my_sheet, None)[1]


# --------------------------------------------------------------------------
# Broken definitions

OK_PROBLEM = '[[section.problem]]\nkind = "size-formula"\n'
ELEMENTS = 'kind = "elements"\ninput = 9\nkernel = 3\n'


def one_section(second_problem: str, *, top: str = "", section: str = "") -> str:
    """A sheet whose section 1 has a sound problem (a), then ``second_problem`` as (b)."""
    return (
        f"{top}\n[[section]]\ntitle = 'S'\n{section}\n{OK_PROBLEM}\n"
        f"[[section.problem]]\n{second_problem}\n"
    )


BROKEN: dict[str, tuple[str, list[str]]] = {
    "unknown top-level key": (
        one_section(ELEMENTS, top='colour = "red"'),
        ["broken", "colour"],
    ),
    "unknown key in a section": (
        one_section(ELEMENTS, section="colour = 1"),
        ["section 1", "colour"],
    ),
    "unknown key in a problem": (
        one_section(ELEMENTS + "kernal = 3"),
        ["section 1, problem (b)", "kernal"],
    ),
    "unknown kind": (
        one_section('kind = "matrx"\ninput = 9\nkernel = 3'),
        ["section 1, problem (b)", "kind", "matrx"],
    ),
    "kind given as a list": (
        one_section('kind = ["elements"]\ninput = 9\nkernel = 3'),
        ["section 1, problem (b)", "kind"],
    ),
    "no kind": (
        one_section("input = 9\nkernel = 3"),
        ["section 1, problem (b)", "kind"],
    ),
    "missing required key": (
        one_section('kind = "elements"\ninput = 9'),
        ["section 1, problem (b)", "kernel"],
    ),
    "kernel larger than the input": (
        one_section('kind = "elements"\ninput = 3\nkernel = 5'),
        ["section 1, problem (b)", "kernel"],
    ),
    "kernel larger than the image": (
        one_section('kind = "counts"\nimage = 4\nchannels = 3\nkernel = 5\nfilters = 8'),
        ["section 1, problem (b)", "kernel"],
    ),
    "stride zero": (
        one_section(ELEMENTS + "stride = 0"),
        ["section 1, problem (b)", "stride"],
    ),
    "unknown padding word": (
        one_section(ELEMENTS + 'padding = "half"'),
        ["section 1, problem (b)", "padding", "half"],
    ),
    "unknown variable": (
        one_section('kind = "elements"\ninput = "$q"\nkernel = 3', top="[variables]\nn = 9"),
        ["section 1, problem (b)", "input", "$q"],
    ),
    "circular that is not true or false": (
        one_section(ELEMENTS + 'circular = "no"'),
        ["section 1, problem (b)", "circular"],
    ),
    "dilation flag that is not true or false": (
        one_section('kind = "size-formula"\ndilation = "no"'),
        ["section 1, problem (b)", "dilation"],
    ),
    "text answer that is not text": (
        one_section('kind = "text"\nquestion = "Why?"\nanswer = 5'),
        ["section 1, problem (b)", "answer"],
    ),
    "problem in a later section": (
        one_section(ELEMENTS) + "[[section]]\n[[section.problem]]\nkind = 'elements'\ninput = 2\n",
        ["section 2, problem (a)", "kernel"],
    ),
    "unknown key in a variable": (
        one_section(ELEMENTS, top="[variables]\nn = { default = 9, maxx = 12 }"),
        ["variable 'n'", "maxx"],
    ),
    "no section": ('title = "Nothing"\n', ["broken", "section"]),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_definition_raises_an_error_naming_where_and_what(tmp_path, case):
    text, fragments = BROKEN[case]
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SymconvError) as info:
        build_sheet(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_seeded_variant_that_is_never_sound_says_so(tmp_path):
    path = tmp_path / "tight.toml"
    path.write_text(
        one_section(
            'kind = "elements"\ninput = "$n"\nkernel = 5',
            top="[variables]\nn = { default = 9, min = 2, max = 4 }",
        ),
        encoding="utf-8",
    )
    assert build_sheet(path).parameters == {"n": 9}  # the default is sound
    with pytest.raises(SymconvError) as info:
        build_sheet(path, seed=3)
    for fragment in ("seed 3", "section 1, problem (b)", "kernel"):
        assert fragment in str(info.value)


BAD_FILES: dict[str, tuple[bytes | None, list[str]]] = {
    "bad TOML syntax": (b'title = "unclosed\n[[section]]\n', ["not valid TOML", "line 1"]),
    "not UTF-8": ('title = "\u00dcbung"\n'.encode("latin-1"), ["UTF-8"]),
    "missing file": (None, ["cannot read"]),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_unreadable_file_raises_an_error_naming_the_file(tmp_path, case):
    data, fragments = BAD_FILES[case]
    path = tmp_path / "sheet.toml"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(SymconvError) as info:
        render_sheet(path)
    assert str(path) in str(info.value)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_large_input_costs_what_a_small_one_does(tmp_path):
    """The engine derives y_1 and y_n of a long input without building every x_i; a
    sheet asking for them does as much work for 300 000 inputs as for 30."""
    counts = {}
    for n in (30, 300_000):
        path = tmp_path / f"long-{n}.toml"
        path.write_text(one_section(f'kind = "elements"\ninput = {n}\nkernel = 3'), "utf-8")
        build_sheet(path)  # the first build of a size fills caches a second one reuses
        problem = build_sheet(path).problem("1b")
        counts[n] = calls(lambda path=path: build_sheet(path))
        conv = Conv(n, 3)
        assert (problem.answer("first").value, problem.answer("last").value) == (
            conv.output_element(0),
            conv.output_element(-1),
        )
    assert counts[300_000] < 2 * counts[30], counts


# --------------------------------------------------------------------------
# symconv sheet


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty current directory, to see every file a command leaves behind."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_cli_sheet_writes_the_solutions_to_stdout(capsys, workdir):
    status, out, err = run(["sheet"], capsys)
    assert (status, err) == (0, "")
    assert out == built("weight-sharing", None)[1]
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["--handout"], {"solutions": False}),
        (["--seed", "5"], {"seed": 5}),
        (["--seed", "5", "--handout"], {"seed": 5, "solutions": False}),
        (["--title", "Quiz 3", "--course", "ML"], {"title": "Quiz 3", "course": "ML"}),
    ],
)
def test_cli_sheet_options_match_render_sheet(capsys, workdir, argv, options):
    status, out, err = run(["sheet", *argv], capsys)
    assert (status, err) == (0, "")
    assert out == render_sheet(**options)


def test_cli_sheet_writes_the_file_given_with_o(capsys, workdir):
    status, out, err = run(["sheet", "--seed", "2", "-o", "sheet.tex"], capsys)
    assert status == 0
    assert out == ""
    assert len(err.splitlines()) == 1 and "sheet.tex" in err
    assert (workdir / "sheet.tex").read_text(encoding="utf-8") == render_sheet(seed=2)
    assert sorted(p.name for p in workdir.iterdir()) == ["sheet.tex"]


def test_cli_sheet_renders_an_own_toml_file(capsys, workdir, my_sheet):
    status, out, err = run(["sheet", str(my_sheet), "--handout"], capsys)
    assert (status, err) == (0, "")
    assert out == built(my_sheet, None)[2]


def test_cli_sheet_list_names_the_builtin_sheets(capsys):
    status, out, err = run(["sheet", "--list"], capsys)
    assert (status, err) == (0, "")
    for name in sheet_names():
        line = next(line for line in out.splitlines() if line.split()[0] == name)
        assert build_sheet(name).title in line
    assert "weight-sharing" in out


def test_cli_sheet_variants_write_a_class_set_and_its_key(capsys, workdir):
    status, _, _ = run(["sheet", "--variants", "3", "--seed", "4", "-o", "class.tex"], capsys)
    assert status == 0
    sheets = [build_sheet(seed=seed) for seed in (4, 5, 6)]
    assert (workdir / "class.tex").read_text() == render_sheets(sheets, solutions=False)
    assert (workdir / "class-key.tex").read_text() == render_sheets(sheets, solutions=True)
    assert sorted(p.name for p in workdir.iterdir()) == ["class-key.tex", "class.tex"]


FAILURES: dict[str, tuple[list[str], str]] = {
    "unknown sheet": (["no-such-sheet", "-o", "x.tex"], "no-such-sheet"),
    "unknown sheet to stdout": (["no-such-sheet"], "no-such-sheet"),
    "bad TOML": (["{inputs}/bad.toml", "-o", "x.tex"], "bad.toml"),
    "not UTF-8": (["{inputs}/latin1.toml", "-o", "x.tex"], "latin1.toml"),
    "broken definition": (["{inputs}/broken.toml", "-o", "x.tex"], "section 1, problem (b)"),
    "missing TOML file": (["missing.toml", "-o", "x.tex"], "missing.toml"),
    "-o into a missing folder": (["-o", "missing/x.tex"], "missing"),
    "-o into a missing nested folder": (["--handout", "-o", "missing/deeper/x.tex"], "missing"),
    "-o onto a folder": (["-o", "{inputs}"], "inputs"),
    "class set into a missing folder": (["--variants", "2", "-o", "missing/c.tex"], "missing"),
    "seed that is not a number": (["--seed", "seven"], "seven"),
}


@pytest.fixture
def inputs(tmp_path) -> Path:
    """Broken inputs, kept out of the working directory."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "bad.toml").write_text('title = "unclosed\n', encoding="utf-8")
    (folder / "latin1.toml").write_bytes('title = "\u00dcbung"\n'.encode("latin-1"))
    (folder / "broken.toml").write_text(one_section(ELEMENTS + "kernal = 3"), encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", FAILURES)
def test_cli_sheet_failure_is_one_line_and_leaves_nothing(capsys, tmp_path, workdir, inputs, case):
    argv, named = FAILURES[case]
    before = sorted(p.name for p in inputs.iterdir())
    argv = [arg.replace("{inputs}", str(inputs)) for arg in argv]
    status, out, err = run(["sheet", *argv], capsys)
    assert status != 0
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert named in err
    assert list(workdir.iterdir()) == []  # no file, no partial file, no folder created
    assert sorted(p.name for p in inputs.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "work"]


def test_cli_sheet_failure_keeps_an_existing_output_file(capsys, workdir):
    (workdir / "x.tex").write_text("the previous sheet\n")
    status, _, _ = run(["sheet", "no-such-sheet", "-o", "x.tex"], capsys)
    assert status != 0
    assert (workdir / "x.tex").read_text() == "the previous sheet\n"
    assert [p.name for p in workdir.iterdir()] == ["x.tex"]
