"""PrairieLearn questions: ``questions/<sheet>-<problem>/`` per problem with a number
or formula to mark, each with ``info.json``, ``question.html`` and ``server.py``.

``server.py`` is a few lines calling :func:`generate_variant` and
:func:`grade_submission`: ``generate(data)`` draws one of the exported seeds from
PrairieLearn's ``variant_seed`` and puts the sheet's sizes in ``data["params"]``
and the key in ``data["correct_answers"]``; ``grade(data)`` marks
``data["submitted_answers"]`` as ``symconv check`` does. PrairieLearn's
Python must have symconv installed.

>>> str(question_uuid("weight-sharing", "1a")) == str(question_uuid("weight-sharing", "1a"))
True
"""

from __future__ import annotations

import html
import json
import shutil
import uuid
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from sympy.matrices import MatrixBase

from symconv.export.common import question_html, sheet_argument, write_folder_atomic
from symconv.marking.marks import mark_answers
from symconv.sheets import build_sheet
from symconv.sheets.model import Problem, Sheet

__all__ = [
    "generate_variant",
    "grade_submission",
    "plain_answer",
    "question_uuid",
    "write_prairielearn",
]

#: The namespace of every exported question's uuid (uuid5 of the sheet and problem).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pypi.org/project/symconv/")


def question_uuid(sheet: str, problem: str) -> uuid.UUID:
    """The fixed uuid of a sheet's problem, the same at every export."""
    return uuid.uuid5(NAMESPACE, f"{sheet}/{problem}")


def plain_answer(value: Any) -> str:
    """An answer as a student would type it: ``64 x 62 x 62``, ``k_1*x_1 + k_2*x_2``."""
    if isinstance(value, tuple):
        return " x ".join(str(size) for size in value)
    if isinstance(value, MatrixBase):
        return str(value.tolist())
    return str(value)


def _sheet(sheet: str, here: str | None) -> str:
    return str(Path(here).parent / sheet) if here and sheet.endswith(".toml") else sheet


def generate_variant(
    data: dict[str, Any], sheet: str, problem_id: str, seeds: Sequence[int], here: str | None = None
) -> None:
    """PrairieLearn's ``generate``: a variant from ``data["variant_seed"]``, its sizes
    and question in ``data["params"]``, its key in ``data["correct_answers"]``.
    ``here`` is ``server.py``'s ``__file__``, beside which a sheet file lies."""
    seed = seeds[int(data.get("variant_seed", 0)) % len(seeds)]
    derived = build_sheet(_sheet(sheet, here), seed=seed)
    problem = derived.problem(problem_id)
    params = {
        name: value
        for name, value in derived.parameters.items()
        if isinstance(value, int | float | str)
    }
    data["params"].update(params)
    data["params"]["seed"] = seed
    data["params"]["question"] = question_html(problem)
    for answer in problem.answers:
        if answer.key in problem.marked_keys:
            data["correct_answers"][answer.key] = plain_answer(answer.value)


def grade_submission(
    data: dict[str, Any], sheet: str, problem_id: str, here: str | None = None
) -> None:
    """PrairieLearn's ``grade``: each submitted answer marked by symconv's checker
    (``data["partial_scores"]`` with its feedback), and the score."""
    submitted = {
        key: value
        for key, value in data.get("submitted_answers", {}).items()
        if isinstance(value, str)
    }
    report = mark_answers(
        {"seed": data["params"]["seed"], problem_id: submitted},
        sheet=_sheet(sheet, here),
        source="submission",
    )
    earned = total = Fraction(0)
    for mark in report.marks:
        if mark.question != problem_id or not mark.marked:
            continue
        share = mark.earned / mark.points if mark.points else Fraction(0)
        message = mark.message or mark.status
        data["partial_scores"][mark.key] = {
            "score": float(share),
            "weight": float(mark.points),
            "feedback": message,
        }
        data.setdefault("feedback", {})[mark.key] = message
        earned += mark.earned
        total += mark.points
    data["score"] = float(earned / total) if total else 0.0


def _info(derived: Sheet, problem: Problem) -> dict[str, Any]:
    return {
        "uuid": str(question_uuid(derived.name, problem.id)),
        "type": "v3",
        "title": f"{derived.title}: {problem.id}",
        "topic": derived.title,
        "tags": ["symconv", derived.name, problem.kind],
    }


def _question_html(problem: Problem) -> str:
    lines = ["<pl-question-panel>", "  <p>{{{params.question}}}</p>", "</pl-question-panel>"]
    for answer in problem.answers:
        if answer.key in problem.marked_keys:
            label = html.escape(answer.label[:1].upper() + answer.label[1:])
            lines.append(
                f'<pl-string-input answers-name="{html.escape(answer.key)}" '
                f'label="{label}:" size="40" display="block"></pl-string-input>'
            )
    return "\n".join(lines) + "\n"


def _server(sheet: str, problem_id: str, seeds: Sequence[int]) -> str:
    return f'''"""A symconv question: the variant and its key from symconv, marked by symconv."""

from symconv.export.prairielearn import generate_variant, grade_submission

SHEET = {sheet!r}
PROBLEM = {problem_id!r}
SEEDS = {list(seeds)!r}


def generate(data):
    generate_variant(data, SHEET, PROBLEM, SEEDS, __file__)


def grade(data):
    grade_submission(data, SHEET, PROBLEM, __file__)
'''


def write_prairielearn(sheets: Sequence[Sheet], sheet: str | Path, out: Path) -> list[str]:
    """Write a question folder per marked problem under ``out/questions``; returns the
    problems left out (free text), a line each."""
    argument, sheet_file = sheet_argument(sheet)
    first = sheets[0]
    seeds = [variant.seed for variant in sheets if variant.seed is not None]
    marked = [problem for problem in first.problems() if problem.marked_keys]

    def fill(work: Path) -> list[Path]:
        entries = []
        for problem in marked:
            entry = Path("questions") / f"{first.name}-{problem.id}"
            folder = work / entry
            folder.mkdir(parents=True)
            (folder / "info.json").write_text(
                json.dumps(_info(first, problem), indent=2) + "\n", encoding="utf-8"
            )
            (folder / "question.html").write_text(_question_html(problem), encoding="utf-8")
            (folder / "server.py").write_text(
                _server(argument, problem.id, seeds), encoding="utf-8"
            )
            if sheet_file is not None:
                shutil.copyfile(sheet_file, folder / argument)
            entries.append(entry)
        return entries

    write_folder_atomic(out, fill)
    return [
        f"{first.name} {problem.id}: free text, not marked; left out"
        for problem in first.problems()
        if not problem.marked_keys
    ]
