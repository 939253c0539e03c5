"""Marking answer files against a sheet: one student, or a whole class.

An answer file is TOML. It may say which sheet and variant it answers, then
holds one table per question with one entry per answer::

    sheet = "weight-sharing"   # a built-in name or a .toml sheet; the default
    seed = 7                   # the variant, if the class had variants
    student = "Ada Lovelace"

    [1a]
    size = "7"
    first = "k_1 x_1 + k_2 x_2 + k_3 x_3"
    last = 'k_1 x_7 + k_2 x_8 + k_3 x_9'

The answers are read by :mod:`symconv.answers.reading` (never evaluated) and checked by
:func:`symconv.check` against what the engine derives for that sheet and
variant. Free-text questions are listed but not marked.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal

from symconv.answers.checking import check
from symconv.errors import SymconvError
from symconv.sheets import DEFAULT_SHEET, build_sheet
from symconv.sheets.model import Sheet

__all__ = [
    "Mark",
    "Report",
    "class_summary",
    "mark_answers",
    "mark_file",
    "read_answer_file",
]

Status = Literal["right", "wrong", "missing", "unreadable", "undecided", "not marked"]
_HEADER_KEYS = {"sheet", "seed", "student"}


@dataclass(frozen=True)
class Mark:
    """The mark of one answer."""

    question: str
    key: str
    label: str
    status: Status
    message: str = ""
    counterexample: dict[str, int | Fraction] | None = None


@dataclass(frozen=True)
class Report:
    """One answer file, marked."""

    source: str
    student: str
    sheet: str
    seed: int | None
    marks: tuple[Mark, ...]
    ignored: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def score(self) -> int:
        """Answers that are right."""
        return sum(mark.status == "right" for mark in self.marks)

    @property
    def total(self) -> int:
        """Answers that are marked (free text is not)."""
        return sum(mark.status != "not marked" for mark in self.marks)

    @property
    def all_right(self) -> bool:
        """Every marked answer is right."""
        return self.score == self.total

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (a learning platform's import)."""
        return {
            "source": self.source,
            "student": self.student,
            "sheet": self.sheet,
            "seed": self.seed,
            "score": self.score,
            "total": self.total,
            "marks": [_plain(asdict(mark)) for mark in self.marks],
            "ignored": list(self.ignored),
            "notes": list(self.notes),
        }

    def text(self) -> str:
        """A line per answer, then the score, for a terminal."""
        width = max((len(f"{m.question} {m.key}") for m in self.marks), default=0)
        lines = [
            f"{self.student or self.source}: sheet {self.sheet}"
            + (f", variant {self.seed}" if self.seed is not None else "")
        ]
        for mark in self.marks:
            where = f"{mark.question} {mark.key}".ljust(width)
            first = mark.message.splitlines()[0].removeprefix("Wrong: ") if mark.message else ""
            detail = f"  {first}" if mark.status != "right" and first else ""
            lines.append(f"  {where}  {mark.status}{detail}")
        lines.extend(f"  ignored: {item}" for item in self.ignored)
        lines.extend(f"  note: {item}" for item in self.notes)
        lines.append(f"  score {self.score}/{self.total}")
        return "\n".join(lines)


def _plain(mark: dict[str, Any]) -> dict[str, Any]:
    """A mark as JSON data: a fractional value of a counterexample as text (``1/2``)."""
    if mark["counterexample"]:
        mark["counterexample"] = {
            name: value if isinstance(value, int) else str(value)
            for name, value in mark["counterexample"].items()
        }
    return mark


def _sheet(name: str, seed: int | None) -> Sheet:
    """The derived sheet, cached while its file (if it is one) is unchanged."""
    path = Path(name)
    stamp = path.stat().st_mtime_ns if name.endswith(".toml") and path.exists() else None
    return _derived(name, seed, stamp)


@cache
def _derived(name: str, seed: int | None, stamp: int | None) -> Sheet:
    return build_sheet(name, seed=seed)


def mark_answers(
    answers: dict[str, Any],
    *,
    sheet: str | None = None,
    seed: int | None = None,
    source: str = "answers",
) -> Report:
    """Mark parsed answers (the TOML tables) against a sheet.

    ``sheet`` and ``seed`` override what the answers name themselves.

    Raises:
        SymconvError: The sheet or variant cannot be built, or the header is malformed.
    """
    name = sheet or answers.get("sheet") or DEFAULT_SHEET
    if not isinstance(name, str):
        raise SymconvError(f"{source}: sheet must be a sheet name or a .toml path")
    variant = seed if seed is not None else answers.get("seed")
    notes = []
    if seed is not None and answers.get("seed") not in (None, seed):
        notes.append(f"the file names seed {answers['seed']!r}; marked against seed {seed}")
    if variant is not None and (isinstance(variant, bool) or not isinstance(variant, int)):
        raise SymconvError(f"{source}: seed must be an integer, got {variant!r}")
    student = answers.get("student", "")
    if not isinstance(student, str):
        raise SymconvError(f"{source}: student must be text")
    derived = _sheet(name, variant)
    marks = []
    known = set()
    for problem in derived.problems():
        given = answers.get(problem.id, {})
        if not isinstance(given, dict):
            given = {}
        for answer in problem.answers:
            known.add((problem.id, answer.key))
            if problem.kind == "text":
                marks.append(Mark(problem.id, answer.key, answer.label, "not marked"))
                continue
            if answer.key not in given:
                marks.append(Mark(problem.id, answer.key, answer.label, "missing", "no answer"))
                continue
            if answer.value is None:
                marks.append(
                    Mark(
                        problem.id,
                        answer.key,
                        answer.label,
                        "not marked",
                        "too large to mark entry by entry",
                    )
                )
                continue
            verdict = check(given[answer.key], answer.value)
            status: Status = (
                "right"
                if verdict.ok
                else "unreadable"
                if verdict.unreadable
                else "undecided"
                if not verdict.decided
                else "wrong"
            )
            marks.append(
                Mark(
                    problem.id,
                    answer.key,
                    answer.label,
                    status,
                    verdict.message,
                    verdict.counterexample,
                )
            )
    ignored = [
        f"{question} {key}" if isinstance(table, dict) else question
        for question, table in answers.items()
        if question not in _HEADER_KEYS
        for key in (table if isinstance(table, dict) else [""])
        if (question, key) not in known
    ]
    return Report(
        source, student, Path(name).stem, variant, tuple(marks), tuple(ignored), tuple(notes)
    )


def read_answer_file(path: Path) -> dict[str, Any]:
    """The tables of an answer file; a TOML float stays the text it was written as
    (``9.9883e10`` keeps its five significant digits), nothing in it is executed.

    Raises:
        SymconvError: The file cannot be read or is not valid TOML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise SymconvError(f"cannot read answer file {str(path)!r}: {problem.strerror}") from None
    except UnicodeDecodeError:
        raise SymconvError(f"answer file {str(path)!r} is not UTF-8 text") from None
    try:
        return tomllib.loads(text, parse_float=str)
    except tomllib.TOMLDecodeError as problem:
        raise SymconvError(f"answer file {str(path)!r} is not valid TOML: {problem}") from None


def mark_file(path: Path, *, sheet: str | None = None, seed: int | None = None) -> Report:
    """Mark one answer file.

    Raises:
        SymconvError: The file cannot be read or is not valid TOML.
    """
    answers = read_answer_file(path)
    named = answers.get("sheet")
    if sheet is None and isinstance(named, str) and named.endswith(".toml"):
        # A sheet file named by the answers is found beside them, not where marking runs.
        answers["sheet"] = str(path.parent / named) if not Path(named).is_absolute() else named
    return mark_answers(answers, sheet=sheet, seed=seed, source=str(path))


def class_summary(reports: Iterable[Report]) -> str:
    """A table of every student's score and each question's share of right answers."""
    reports = list(reports)
    lines = ["student                          score"]
    for report in reports:
        lines.append(
            f"{(report.student or Path(report.source).stem)[:30]:32} {report.score}/{report.total}"
        )
    questions: dict[str, list[bool]] = {}
    for report in reports:
        for mark in report.marks:
            if mark.status != "not marked":
                questions.setdefault(f"{mark.question} {mark.key}", []).append(
                    mark.status == "right"
                )
    lines.append("")
    lines.append("question        right")
    for question, results in questions.items():
        lines.append(f"{question:15} {sum(results)}/{len(results)}")
    return "\n".join(lines)


def reports_json(reports: Iterable[Report]) -> str:
    """Every report as JSON."""
    return json.dumps([report.as_dict() for report in reports], indent=2)
