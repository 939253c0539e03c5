"""Marked answer files as text, JSON, CSV for a gradebook, and Gradescope's ``results.json``.

Every format carries points (score and total) and, where it has room, the
number of right answers; files that could not be marked are listed with why.

>>> from symconv.sheets import build_sheet
>>> columns = csv_columns(ClassMarks(build_sheet(), ()))
>>> columns[:3], columns[3:6]
(['file', 'student', 'variant'], ['1a size', '1a first', '1a last'])
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from symconv.marking.marks import (
    ClassMarks,
    Report,
    Unmarked,
    answer_points,
    one_line,
    points_number,
    points_text,
)
from symconv.sheets.model import Sheet

__all__ = [
    "class_summary",
    "class_text",
    "csv_columns",
    "gradescope_results",
    "gradescope_unmarked",
    "marks_csv",
    "marks_json",
    "sheet_total",
    "spreadsheet_cell",
]


def class_summary(marks: ClassMarks) -> str:
    """Every student's score and right answers, the files not marked, and each
    question's share of right answers."""
    reports = marks.reports
    width = max([len(report.name[:40]) for report in reports] + [len("student")])
    lines = [
        f"{len(reports)} answer file{'' if len(reports) == 1 else 's'} marked"
        + (f", {len(marks.unmarked)} could not be marked" if marks.unmarked else ""),
        "",
        f"{'student':{width}}  {'score':>11}  {'right':>7}",
    ]
    for report in reports:
        score = f"{points_text(report.score)}/{points_text(report.total)}"
        right = f"{report.right}/{report.marked}"
        lines.append(f"{report.name[:40]:{width}}  {score:>11}  {right:>7}")
    if marks.unmarked:
        lines.append("")
        lines.append("could not be marked:")
        lines.extend(
            f"  {one_line(unmarked.source)}: {one_line(unmarked.reason)}"
            for unmarked in marks.unmarked
        )
    questions: dict[str, list[bool]] = {}
    for report in reports:
        for mark in report.marks:
            if mark.marked:
                questions.setdefault(f"{mark.question} {mark.key}", []).append(
                    mark.status == "right"
                )
    if questions:
        width = max(len(question) for question in questions)
        lines.append("")
        lines.append(f"{'question':{width}}  right")
        for question, results in questions.items():
            lines.append(f"{question:{width}}  {sum(results)}/{len(results)}")
    return "\n".join(lines)


def class_text(marks: ClassMarks) -> str:
    """Each report, then the class summary (which lists the files not marked)."""
    parts = [report.text() for report in marks.reports]
    parts.append(class_summary(marks))
    return "\n\n".join(parts) + "\n"


def marks_json(marks: ClassMarks) -> str:
    """A list with every report, then every file not marked (``source`` and ``error``)."""
    items: list[dict[str, Any]] = [report.as_dict() for report in marks.reports]
    items.extend(unmarked.as_dict() for unmarked in marks.unmarked)
    return json.dumps(items, indent=2) + "\n"


def _sheet_keys(sheet: Sheet) -> list[str]:
    return [f"{problem.id} {key}" for problem in sheet.problems() for key in answer_points(problem)]


def csv_columns(marks: ClassMarks) -> list[str]:
    """``file``, ``student``, ``variant``, one column per marked answer (``1a size``),
    then ``score``, ``total``, ``right`` and ``error``."""
    answers = _sheet_keys(marks.sheet)
    for report in marks.reports:  # a variant's keys are the sheet's; any other is kept too
        answers.extend(
            key
            for key in (f"{m.question} {m.key}" for m in report.marks if m.marked)
            if key not in answers
        )
    return ["file", "student", "variant", *answers, "score", "total", "right", "error"]


def spreadsheet_cell(text: str) -> str:
    """Text a student controls, kept from being read as a formula by a spreadsheet
    (``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``), as OWASP advises for CSV.

    >>> spreadsheet_cell("=1+1"), spreadsheet_cell("Ada")
    ("'=1+1", 'Ada')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell_points(points: Fraction) -> str:
    """Points for a gradebook's cell: whole, else to six places, so that a column sums
    to the score however many answers earned part of their points.

    >>> _cell_points(Fraction(3)), _cell_points(Fraction(62, 63)), _cell_points(Fraction(3, 2))
    ('3', '0.984127', '1.5')
    """
    return str(points_number(points))


def _row(report: Report, columns: list[str]) -> dict[str, str]:
    row = {
        "file": spreadsheet_cell(Path(report.source).name),
        "student": spreadsheet_cell(report.student),
        "variant": "" if report.seed is None else str(report.seed),
        "score": _cell_points(report.score),
        "total": _cell_points(report.total),
        "right": str(report.right),
        "error": "",
    }
    row.update({f"{mark.question} {mark.key}": _cell_points(mark.earned) for mark in report.marks})
    return {column: row.get(column, "") for column in columns}


def _unmarked_row(unmarked: Unmarked, columns: list[str]) -> dict[str, str]:
    row = {"file": spreadsheet_cell(unmarked.name), "error": unmarked.reason}
    return {column: row.get(column, "") for column in columns}


def marks_csv(marks: ClassMarks) -> str:
    """One row per answer file for a gradebook: the points earned per answer, the
    score and total; a file not marked has its reason in ``error``."""
    columns = csv_columns(marks)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_row(report, columns) for report in marks.reports)
    writer.writerows(_unmarked_row(unmarked, columns) for unmarked in marks.unmarked)
    return out.getvalue()


def sheet_total(sheet: Sheet) -> Fraction:
    """The points a sheet gives in all."""
    return sum(
        (points for problem in sheet.problems() for points in answer_points(problem).values()),
        Fraction(0),
    )


def gradescope_results(report: Report) -> dict[str, Any]:
    """Gradescope's autograder ``results.json`` for one submission: one test per
    marked answer, its feedback as the test's output."""
    tests = [
        {
            "name": f"{mark.question} {mark.key}: {mark.label}",
            "score": points_number(mark.earned),
            "max_score": points_number(mark.points),
            "status": "passed" if mark.status == "right" else "failed",
            "output": mark.message or mark.status,
        }
        for mark in report.marks
        if mark.marked
    ]
    output = [
        f"Sheet {report.sheet}"
        + (f", variant {report.seed}" if report.seed is not None else "")
        + f": {report.right} of {report.marked} answers right."
    ]
    output.extend(f"Note: {note}" for note in report.notes)
    output.extend(f"Ignored: {item}" for item in report.ignored)
    return {
        "score": points_number(report.score),
        "max_score": points_number(report.total),
        "output": "\n".join(output),
        "tests": tests,
    }


def gradescope_unmarked(unmarked: Unmarked, sheet: Sheet) -> dict[str, Any]:
    """Gradescope's ``results.json`` for a submission that could not be marked:
    no points, and why, so the student can fix the file and resubmit."""
    return {
        "score": 0,
        "max_score": points_number(sheet_total(sheet)),
        "output": f"Your answer file {unmarked.name} could not be marked: {unmarked.reason}.",
        "tests": [],
    }
