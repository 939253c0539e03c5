"""A Moodle XML question bank: one Cloze question per problem and variant.

Every whole number a problem asks for (a count, each size of a shape) is a
``NUMERICAL`` sub-question marked exactly (tolerance 0), with the feedback
symconv gives for each slip the sheet foresees. Formulas, matrices and free
text are what Moodle cannot mark: they are left out, and listed.

>>> from symconv.sheets import build_sheet
>>> cloze_numerical(6, 1, [(8, 'The padding # counts')])
'{1:NUMERICAL:=6:0#Right.~%0%8:0#The padding \\\\# counts}'
"""

from __future__ import annotations

import html
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from symconv.export.common import NumericField, numeric_fields, question_html, unmarkable_lines
from symconv.files import write_atomic
from symconv.marking.marks import answer_points
from symconv.sheets.model import Problem, Sheet

__all__ = ["cloze_escape", "cloze_numerical", "moodle_xml", "problem_numbers", "write_moodle"]

_CLOZE_SPECIAL = '\\}#~/"'


def cloze_escape(text: str) -> str:
    """Text inside a Cloze sub-question (its feedback), with Moodle's special
    characters ``} # ~ / " \\`` escaped by a backslash, and HTML escaped."""
    escaped = html.escape(text, quote=False)
    return "".join("\\" + char if char in _CLOZE_SPECIAL else char for char in escaped)


def cloze_numerical(value: int, weight: int, slips: Sequence[tuple[int, str]]) -> str:
    """A NUMERICAL sub-question: ``value`` exactly is right, each slip is worth 0%
    with its hint."""
    parts = [f"={value}:0#Right."]
    parts.extend(f"%0%{wrong}:0#{cloze_escape(hint)}" for wrong, hint in slips)
    return "{" + f"{weight}:NUMERICAL:" + "~".join(parts) + "}"


def problem_numbers(problem: Problem) -> list[tuple[NumericField, Fraction]]:
    """The problem's numbers with the points each is worth (a shape's share its sizes)."""
    points = answer_points(problem)
    found = []
    for answer in problem.answers:
        fields = numeric_fields(answer) if answer.key in points else None
        for field in fields or []:
            found.append((field, points[answer.key] / len(fields or [field])))
    return found


def _question(sheet: Sheet, problem: Problem) -> ET.Element | None:
    fields = problem_numbers(problem)
    if not fields:
        return None
    scale = math.lcm(*(worth.denominator for _, worth in fields))
    lines = [f"<p>{question_html(problem)}</p>"]
    for field, worth in fields:
        weight = max(int(worth * scale), 1)
        label = html.escape(field.label[:1].upper() + field.label[1:], quote=False)
        lines.append(f"<p>{label}: {cloze_numerical(field.value, weight, field.slips)}</p>")
    variant = f", variant {sheet.seed}" if sheet.seed is not None else ""
    question = ET.Element("question", type="cloze")
    ET.SubElement(
        ET.SubElement(question, "name"), "text"
    ).text = f"{sheet.name} {problem.id}{variant}"
    text = ET.SubElement(question, "questiontext", format="html")
    ET.SubElement(text, "text").text = "\n".join(lines)
    feedback = ET.SubElement(question, "generalfeedback", format="html")
    ET.SubElement(feedback, "text").text = ""
    total = sum((worth for _, worth in fields), Fraction(0))
    ET.SubElement(question, "defaultgrade").text = f"{float(total):g}"
    ET.SubElement(question, "penalty").text = "0"
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = f"{sheet.name}-{problem.id}-{sheet.seed}"
    return question


def moodle_xml(sheets: Sequence[Sheet]) -> str:
    """The question bank: a category named after the sheet, then a Cloze question
    per problem (with a number to mark) and variant."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", type="category")
    ET.SubElement(
        ET.SubElement(category, "category"), "text"
    ).text = f"$course$/top/symconv/{sheets[0].name}"
    for sheet in sheets:
        for problem in sheet.problems():
            question = _question(sheet, problem)
            if question is not None:
                quiz.append(question)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"


def write_moodle(sheets: Sequence[Sheet], out: Path) -> list[str]:
    """Write the question bank to ``out``; returns what Moodle cannot mark, a line each."""
    write_atomic(out, moodle_xml(sheets))
    return unmarkable_lines(sheets, "Moodle")
