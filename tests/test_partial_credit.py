"""Partial credit (matrices entry by entry, shapes axis by axis) and errors carried forward.

Answers are the derived sheet's own values with programmatic mistakes; what a
mistake should earn is counted from the derived values (a matrix's entries, a
shape's axes) and what follows from a wrong earlier answer is recomputed with
numpy, never copied by hand.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from cli_runner import run

from symconv.answers.checking import LISTED
from symconv.answers.feedback import shape_text
from symconv.marking.credit import partial_credit, student_value
from symconv.marking.marks import ClassMarks, Mark, Report, mark_answers, points_number
from symconv.marking.reports import gradescope_results, marks_csv
from symconv.present.render import points_text
from symconv.sheets import SheetError, build_sheet
from symconv.sheets.model import CARRIED, Sheet

DEFAULT = build_sheet()

#: The layer of the sheet written below: its shapes problem and its counts problem agree.
LAYER = {"image": 12, "channels": 3, "kernel": 3, "filters": 4}


def layer_sheet(
    tmp_path: Path, counts: str = "", matrix: str = "", shapes: dict[str, int] | None = None
) -> Path:
    """A sheet asking a layer's shapes (1a; ``shapes`` changes its layer), its counts with
    a bias (1b) and a matrix (1c)."""
    keys = "\n".join(f"  {key} = {value}" for key, value in LAYER.items())
    shapes_keys = "\n".join(f"  {key} = {value}" for key, value in (LAYER | (shapes or {})).items())
    text = f"""title = "Carried"

[[section]]
title = "One layer"

  [[section.problem]]
  kind = "shapes"
{shapes_keys}

  [[section.problem]]
  kind = "counts"
{keys}
  bias = true
  points = 5
{counts}

  [[section.problem]]
  kind = "matrix"
  input = 6
  kernel = 3
  points = 2
{matrix}
"""
    path = tmp_path / "layer.toml"
    path.write_text(text, encoding="utf-8")
    return path


def the_mark(report: Report, question: str, key: str) -> Mark:
    return next(m for m in report.marks if (m.question, m.key) == (question, key))


def matrix_text(matrix: sympy.MatrixBase) -> str:
    return str(matrix.tolist())


def points_of(sheet: Sheet, question: str, key: str) -> Fraction:
    """What one answer is worth, from the problem's points (or one each)."""
    problem = sheet.problem(question)
    return problem.points / len(problem.marked_keys) if problem.points else Fraction(1)


# --------------------------------------------------------------------------
# Matrices entry by entry


def test_one_wrong_entry_earns_all_but_its_share_and_is_named():
    expected = DEFAULT.problem("1c").answer("matrix").value
    given = expected.copy()
    row, column = 0, expected.cols - 1
    given[row, column] = expected[0, 0] + 1
    report = mark_answers({"1c": {"matrix": matrix_text(given)}})
    mark = the_mark(report, "1c", "matrix")
    entries = expected.rows * expected.cols
    assert mark.status == "wrong"
    assert mark.earned == points_of(DEFAULT, "1c", "matrix") * Fraction(entries - 1, entries)
    where = f"row {row + 1}, column {column + 1}: expected {expected[row, column]}"
    assert f"{where}, got {given[row, column]}" in mark.message
    assert f"{entries - 1} of {entries} entries right" in mark.message


def test_many_wrong_entries_are_listed_a_few_then_counted():
    expected = DEFAULT.problem("1d").answer("matrix").value
    given = expected.applyfunc(lambda entry: entry + 1 if entry != 0 else entry)
    wrong = sum(entry != 0 for entry in expected)
    assert wrong > LISTED
    mark = the_mark(mark_answers({"1d": {"matrix": matrix_text(given)}}), "1d", "matrix")
    assert f"and {wrong - LISTED} more" in mark.message
    entries = len(expected)
    assert mark.earned == points_of(DEFAULT, "1d", "matrix") * Fraction(entries - wrong, entries)


@pytest.mark.parametrize("written", ["", "[[k_1, k_2", "3", "drop a row", "transpose"])
def test_a_blank_unreadable_or_misshapen_matrix_earns_nothing(written: str):
    expected = DEFAULT.problem("1c").answer("matrix").value
    if written == "drop a row":
        written = matrix_text(expected[1:, :])
    elif written == "transpose":
        written = matrix_text(expected.T)
    mark = the_mark(mark_answers({"1c": {"matrix": written}}), "1c", "matrix")
    assert (mark.earned, mark.share) == (0, 0)
    if mark.status == "wrong" and written.startswith("[["):
        assert f"{expected.rows} x {expected.cols}" in mark.message  # the dimensions it should have


def test_partial_false_makes_a_matrix_all_or_nothing(tmp_path: Path):
    for partial, matrix in [(True, ""), (False, "  partial = false")]:
        sheet_path = layer_sheet(tmp_path, matrix=matrix)
        sheet = build_sheet(sheet_path)
        assert sheet.problem("1c").partial is partial
        expected = sheet.problem("1c").answer("matrix").value
        given = expected.copy()
        given[0, 0] = 0
        report = mark_answers({"1c": {"matrix": matrix_text(given)}}, sheet=sheet_path)
        mark = the_mark(report, "1c", "matrix")
        share = Fraction(len(expected) - 1, len(expected)) if partial else 0
        assert mark.earned == points_of(sheet, "1c", "matrix") * share
        assert ("entries right" in mark.message) is partial


# --------------------------------------------------------------------------
# Shapes axis by axis


def test_a_shape_earns_its_points_axis_by_axis():
    expected = DEFAULT.problem("1h").answer("output_shape").value
    given = (*expected[:-1], expected[-1] + 1)
    mark = the_mark(mark_answers({"1h": {"output_shape": shape_text(given)}}), "1h", "output_shape")
    axes = len(expected)
    assert mark.earned == points_of(DEFAULT, "1h", "output_shape") * Fraction(axes - 1, axes)
    fewer = the_mark(
        mark_answers({"1h": {"output_shape": shape_text(expected[1:])}}), "1h", "output_shape"
    )
    assert (fewer.status, fewer.earned) == ("wrong", 0)


def test_partial_credit_reads_what_the_check_read():
    matrix = sympy.Matrix([[1, 2], [3, 4]])
    assert partial_credit(matrix, matrix) is None  # right: nothing partial about it
    assert partial_credit(matrix[:1, :], matrix) is None
    assert student_value("not a shape", (3, 4)) is None


# --------------------------------------------------------------------------
# Errors carried forward on the built-in sheet


def _dense_from(output_shape: tuple[int, ...]) -> int:
    """numpy's count of a dense layer's weights from the built-in 1h layer's input."""
    input_shape = DEFAULT.problem("1g").answer("input_shape").value
    return int(np.prod(input_shape, dtype=object) * np.prod(output_shape, dtype=object))


def wrong_output_shape() -> tuple[int, ...]:
    expected = DEFAULT.problem("1h").answer("output_shape").value
    return (expected[0], *(size + 1 for size in expected[1:]))


def test_dense_weights_following_from_a_wrong_output_shape_are_carried():
    problem = DEFAULT.problem("1h")
    assert problem.carried == CARRIED
    shape = wrong_output_shape()
    answers = {"1h": {"output_shape": shape_text(shape), "dense_weights": str(_dense_from(shape))}}
    mark = the_mark(mark_answers(answers), "1h", "dense_weights")
    assert mark.status == "wrong"
    assert mark.earned == points_of(DEFAULT, "1h", "dense_weights") * problem.carried
    assert f"follows from your output tensor shape {shape_text(shape)}" in mark.message
    assert f"{problem.carried} of the points carried" in mark.message


def test_a_right_answer_is_never_reduced_by_a_wrong_earlier_one():
    right = DEFAULT.problem("1h").answer("dense_weights").value
    answers = {"1h": {"output_shape": shape_text(wrong_output_shape()), "dense_weights": right}}
    mark = the_mark(mark_answers(answers), "1h", "dense_weights")
    assert (mark.status, mark.earned) == ("right", points_of(DEFAULT, "1h", "dense_weights"))


def test_an_answer_wrong_both_ways_earns_nothing():
    shape = wrong_output_shape()
    given = _dense_from(shape) + 1
    assert given != DEFAULT.problem("1h").answer("dense_weights").value
    answers = {"1h": {"output_shape": shape_text(shape), "dense_weights": str(given)}}
    mark = the_mark(mark_answers(answers), "1h", "dense_weights")
    assert (mark.status, mark.earned) == ("wrong", 0)
    assert "carried" not in mark.message


def test_a_right_earlier_answer_carries_nothing():
    right_shape = DEFAULT.problem("1h").answer("output_shape").value
    given = _dense_from(wrong_output_shape())  # what another shape would give
    answers = {"1h": {"output_shape": shape_text(right_shape), "dense_weights": str(given)}}
    mark = the_mark(mark_answers(answers), "1h", "dense_weights")
    assert (mark.status, mark.earned) == ("wrong", 0)


@pytest.mark.parametrize("seed", [None, 3, 11])
def test_every_answer_recomputed_from_the_key_is_the_key(seed: int | None):
    sheet = build_sheet(seed=seed)
    recomputed = [
        answer for problem in sheet.problems() for answer in problem.answers if answer.recompute
    ]
    assert recomputed
    for answer in recomputed:
        assert answer.recompute is not None
        assert answer.recompute() == answer.value, answer.key
    dense = sheet.problem("1h").answer("dense_weights")
    assert dense.depends_on == ("output_shape",)
    shapes = sheet.problem("1g")
    assert dense.value == int(
        np.prod(shapes.answer("input_shape").value, dtype=object)
        * np.prod(sheet.problem("1h").answer("output_shape").value, dtype=object)
    )


# --------------------------------------------------------------------------
# uses and carried on a sheet written here


def carried_layer(tmp_path: Path, counts: str) -> tuple[Path, Sheet, dict[str, Any]]:
    """The sheet, and answers with a wrong filter shape and counts that follow from it."""
    path = layer_sheet(tmp_path, counts=counts)
    sheet = build_sheet(path)
    filter_shape = sheet.problem("1a").answer("filter_shape").value
    wrong_filter = (filter_shape[0], *(size + 2 for size in filter_shape[1:]))
    weights = int(np.prod(wrong_filter)) * LAYER["filters"]
    biases = sheet.problem("1b").answer("biases").value
    answers = {
        "1a": {"filter_shape": shape_text(wrong_filter)},
        "1b": {"weights": str(weights), "biases": str(biases), "parameters": str(weights + biases)},
    }
    return path, sheet, answers


def test_uses_carries_an_error_from_another_problem_with_the_sheets_share(tmp_path: Path):
    path, sheet, answers = carried_layer(tmp_path, '  carried = 0.25\n  uses = ["1a.filter_shape"]')
    problem = sheet.problem("1b")
    assert problem.carried == Fraction("0.25")
    assert problem.answer("weights").depends_on == ("1a.filter_shape",)
    report = mark_answers(answers, sheet=path)
    weights = the_mark(report, "1b", "weights")
    assert weights.earned == points_of(sheet, "1b", "weights") * problem.carried
    assert "shape of one filter in 1a" in weights.message
    assert f"{problem.carried} of the points carried" in weights.message
    # The parameters follow from the student's own weights and biases within 1b.
    parameters = the_mark(report, "1b", "parameters")
    assert parameters.earned == points_of(sheet, "1b", "parameters") * problem.carried
    assert the_mark(report, "1b", "biases").status == "right"


def test_without_uses_nothing_follows_from_another_problem(tmp_path: Path):
    path, _, answers = carried_layer(tmp_path, "")
    report = mark_answers(answers, sheet=path)
    assert the_mark(report, "1b", "weights").earned == 0


def test_carried_zero_turns_carrying_off(tmp_path: Path):
    path, _, answers = carried_layer(tmp_path, '  carried = 0\n  uses = ["1a.filter_shape"]')
    report = mark_answers(answers, sheet=path)
    assert the_mark(report, "1b", "weights").earned == 0
    assert the_mark(report, "1b", "parameters").earned == 0


def test_uses_as_a_table_sets_what_one_answer_follows_from(tmp_path: Path):
    path = layer_sheet(tmp_path, counts="  uses = { dense_weights = [] }")
    sheet = build_sheet(path)
    assert sheet.problem("1b").answer("dense_weights").depends_on == ()
    output = sheet.problem("1b").answer("output_shape").value
    shape = (output[0], output[1] + 1, output[2])
    input_shape = sheet.problem("1a").answer("input_shape").value
    dense = int(np.prod(input_shape) * np.prod(shape))
    answers = {"1b": {"output_shape": shape_text(shape), "dense_weights": str(dense)}}
    assert the_mark(mark_answers(answers, sheet=path), "1b", "dense_weights").earned == 0


@pytest.mark.parametrize(
    ("counts", "shapes", "match"),
    [
        ('  uses = ["1a.output_shape"]', None, "problem 1a has no answer 'output_shape'"),
        ('  uses = ["9z.filter_shape"]', None, "no problem '9z'"),
        ('  uses = ["1a.filters"]', None, "no answer of this problem follows from"),
        ("  uses = { weights = ['output_shape'] }", None, "cannot be worked out from"),
        ("  uses = { dense_weights = ['dense_weights'] }", None, "cannot follow from itself"),
        ("  uses = { nothing = ['output_shape'] }", None, "no such answer"),
        ("  uses = { weights = ['1a.filter_shape', 'filter_shape'] }", None, "used once"),
        ("  uses = 3", None, "uses must be"),
        ('  uses = ["1a.filter_shape"]', {"channels": 1}, "same layer"),
        ('  uses = ["1a.filter_shape"]', {"filters": 7}, None),  # a filter's shape is the same
        ('  uses = ["1a.filter_shape"]\n  stride = 2\n  padding = 1', None, None),
        ("  carried = 2", None, "carried must be a share"),
        ("  carried = true", None, "carried must be a share"),
        ('  partial = "yes"', None, "partial must be true or false"),
    ],
)
def test_malformed_uses_carried_and_partial_are_refused(
    tmp_path: Path, counts: str, shapes: dict[str, int] | None, match: str | None
):
    path = layer_sheet(tmp_path, counts=counts, shapes=shapes)
    if match is None:
        assert build_sheet(path).problem("1b").answer("weights").depends_on == ("1a.filter_shape",)
        return
    with pytest.raises(SheetError, match=match):
        build_sheet(path)


def test_a_reference_in_a_list_joins_or_replaces_the_kinds_own(tmp_path: Path):
    path = layer_sheet(tmp_path, counts='  uses = ["1a.input_shape", "1a.filter_shape"]')
    problem = build_sheet(path).problem("1b")
    assert problem.answer("dense_weights").depends_on == ("output_shape", "1a.input_shape")
    assert problem.answer("weights").depends_on == ("1a.filter_shape",)
    path = layer_sheet(tmp_path, counts='  uses = ["1a.input_shape"]', shapes={"image": 13})
    with pytest.raises(SheetError, match="same layer"):
        build_sheet(path)


# --------------------------------------------------------------------------
# Reports


def test_reports_show_fractional_points(tmp_path: Path):
    expected = DEFAULT.problem("1c").answer("matrix").value
    given = expected.copy()
    given[0, 0] = 0
    shape = wrong_output_shape()
    answers = {
        "student": "Ada",
        "1c": {"matrix": matrix_text(given)},
        "1h": {"output_shape": shape_text(shape), "dense_weights": str(_dense_from(shape))},
    }
    report = mark_answers(answers)
    fractional = [m for m in report.marks if m.earned.denominator != 1]
    assert len(fractional) >= 2
    text = report.text()
    for mark in fractional:
        assert f"{points_text(mark.earned)}/{points_text(mark.points)}" in text
    assert f"score {points_text(report.score)}/" in text

    row = next(csv.DictReader(io.StringIO(marks_csv(ClassMarks(DEFAULT, (report,))))))
    for mark in fractional:
        cell = row[f"{mark.question} {mark.key}"]
        assert cell == str(points_number(mark.earned))
        assert abs(Fraction(cell) - mark.earned) < Fraction(1, 10**6)
    assert abs(Fraction(row["score"]) - report.score) < Fraction(1, 10**6)

    results = json.loads(json.dumps(gradescope_results(report)))
    assert results["score"] == pytest.approx(float(report.score))
    scores = {test["name"].split(":")[0]: test["score"] for test in results["tests"]}
    for mark in fractional:
        assert scores[f"{mark.question} {mark.key}"] == pytest.approx(float(mark.earned))
    data = json.loads(json.dumps(report.as_dict()))
    assert data["score"] == pytest.approx(float(report.score))


def test_symconv_check_says_what_was_carried_and_gives_fractional_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    shape = wrong_output_shape()
    path = tmp_path / "jo.toml"
    path.write_text(
        f'student = "Jo"\n\n[1h]\noutput_shape = "{shape_text(shape)}"\n'
        f'dense_weights = "{_dense_from(shape)}"\n',
        encoding="utf-8",
    )
    report = mark_answers({"1h": {"output_shape": shape_text(shape),
                                  "dense_weights": str(_dense_from(shape))}})  # fmt: skip
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 1
    for key in ("output_shape", "dense_weights"):
        mark = the_mark(report, "1h", key)
        assert 0 < mark.earned < mark.points
        line = next(line for line in out.splitlines() if f"1h {key}" in line)
        assert f"{points_text(mark.earned)}/{points_text(mark.points)}" in line
    assert "of the points carried" in out
    status, out, _ = run(["check", str(path), "--json"], capsys)
    marks = {(m["question"], m["key"]): m for m in json.loads(out)["marks"]}
    dense = the_mark(report, "1h", "dense_weights")
    assert marks["1h", "dense_weights"]["earned"] == pytest.approx(float(dense.earned))
    assert marks["1h", "dense_weights"]["share"] == pytest.approx(float(dense.share))
