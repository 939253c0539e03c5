"""Marking answer files against a sheet: one student, or a whole class.

An answer file is TOML: a header, then one table per question with one entry
per answer::

    student = "Ada Lovelace"
    seed = 7                   # the variant, if the class had variants

    [1a]
    size = "7"
    first = "k_1 x_1 + k_2 x_2 + k_3 x_3"
    last = 'k_1 x_7 + k_2 x_8 + k_3 x_9'

The sheet is the instructor's choice (``sheet=``, else the built-in default),
never the file's: a ``sheet = ...`` line in the file only earns a note when it
names another sheet. The file's ``seed`` chooses the variant unless the
instructor gives one. The answers are read by :mod:`symconv.answers.reading`
(never evaluated) and checked by :func:`symconv.check` against what the engine
derives for that sheet and variant. Free-text questions are listed, not marked.

Points: a problem's ``points`` in the sheet is shared equally by its marked
answers; without it every answer is worth one point. A wrong matrix earns its
points entry by entry and a wrong shape axis by axis (``partial = false`` on
the problem: all or nothing), and an answer that follows from the student's
own wrong answers earns the problem's ``carried`` share
(:mod:`symconv.marking.credit`).

A class is marked file by file: a file that cannot be read (not TOML, not
UTF-8, a folder, a dangling link...) becomes an :class:`Unmarked` line with
its reason, and the other students are marked all the same.

>>> from symconv.sheets import build_sheet
>>> sheet = build_sheet()
>>> report = mark_answers({"1a": {"size": str(sheet.problem("1a").answer("size").value)}})
>>> report.right, report.score
(1, Fraction(1, 1))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

from symconv.answers.checking import check
from symconv.answers.feedback import SLIP_HINTS
from symconv.answers.verdict import Verdict
from symconv.errors import SymconvError
from symconv.marking.answer_files import (
    MAX_ANSWER_FILE_BYTES,
    AnswerFileError,
    answer_files,
    read_answer_file,
)
from symconv.marking.credit import carried_credit, partial_credit, student_value
from symconv.present.render import points_text
from symconv.sheets import DEFAULT_SHEET, build_sheet
from symconv.sheets.model import Answer, Problem, Sheet

__all__ = [
    "MAX_ANSWER_FILE_BYTES",
    "AnswerFileError",
    "ClassMarks",
    "Mark",
    "Report",
    "Unmarked",
    "answer_files",
    "answer_points",
    "mark_answers",
    "mark_file",
    "mark_files",
    "marking_sheet",
    "one_line",
    "points_number",
    "points_text",
    "read_answer_file",
]

Status = Literal["right", "wrong", "missing", "unreadable", "undecided", "not marked"]
_HEADER_KEYS = {"sheet", "seed", "student"}
#: Entries the sheet does not ask for that a report lists one by one before counting the rest.
MAX_IGNORED_SHOWN = 20


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    r"""Text a student controls (a name, a key, a file name) made safe for one line of a
    terminal: whitespace runs as one space, control characters (escapes) as ``?``.

    >>> one_line("Ada\nLovelace\x1b[31m")
    'Ada Lovelace?[31m'
    """
    return _UNPRINTABLE.sub("?", " ".join(text.split()))


def points_number(points: Fraction) -> int | float:
    """Points for JSON: an integer when whole, else a float."""
    return points.numerator if points.denominator == 1 else round(float(points), 6)


@dataclass(frozen=True)
class Mark:
    """The mark of one answer.

    Attributes:
        points: What the answer is worth (0 for one that is not marked).
        share: The share of ``points`` a wrong answer earns: part of a matrix
            or shape right, or an error carried forward.
    """

    question: str
    key: str
    label: str
    status: Status
    message: str = ""
    counterexample: dict[str, int | Fraction] | None = None
    points: Fraction = Fraction(1)
    share: Fraction = Fraction(0)

    @property
    def marked(self) -> bool:
        """The answer counts (free text and answers too large to check do not)."""
        return self.status != "not marked"

    @property
    def earned(self) -> Fraction:
        """The points given: all of them when right, else the share a wrong answer earns."""
        if self.status == "right":
            return self.points
        return self.points * self.share if self.status == "wrong" else Fraction(0)


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
    def score(self) -> Fraction:
        """Points earned."""
        return sum((mark.earned for mark in self.marks), Fraction(0))

    @property
    def total(self) -> Fraction:
        """Points that could be earned (free text is not marked)."""
        return sum((mark.points for mark in self.marks if mark.marked), Fraction(0))

    @property
    def right(self) -> int:
        """Answers that are right."""
        return sum(mark.status == "right" for mark in self.marks)

    @property
    def marked(self) -> int:
        """Answers that are marked."""
        return sum(mark.marked for mark in self.marks)

    @property
    def all_right(self) -> bool:
        """Every marked answer is right."""
        return self.right == self.marked

    @property
    def name(self) -> str:
        """Who wrote it, on one line: the student's name, else the file's name."""
        return one_line(self.student or Path(self.source).stem)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (a learning platform's import)."""
        return {
            "source": self.source,
            "student": self.student,
            "sheet": self.sheet,
            "seed": self.seed,
            "score": points_number(self.score),
            "total": points_number(self.total),
            "right": self.right,
            "marked": self.marked,
            "marks": [_plain(mark) for mark in self.marks],
            "ignored": list(self.ignored),
            "notes": list(self.notes),
        }

    def text(self) -> str:
        """A line per answer (status, points, feedback), then the score, for a terminal."""
        width = max((len(f"{m.question} {m.key}") for m in self.marks), default=0)
        lines = [
            f"{self.name}: sheet {self.sheet}"
            + (f", variant {self.seed}" if self.seed is not None else "")
        ]
        for mark in self.marks:
            where = f"{mark.question} {mark.key}".ljust(width)
            first = mark.message.splitlines()[0].removeprefix("Wrong: ") if mark.message else ""
            detail = f"  {one_line(first)}" if mark.status != "right" and first else ""
            points = f"{points_text(mark.earned)}/{points_text(mark.points)}" if mark.marked else ""
            lines.append(f"  {where}  {mark.status:10} {points:>5}{detail}".rstrip())
        shown = self.ignored[:MAX_IGNORED_SHOWN]
        lines.extend(f"  ignored: {one_line(item)[:80]}" for item in shown)
        if len(self.ignored) > len(shown):
            lines.append(f"  ignored: {len(self.ignored) - len(shown)} more entries")
        lines.extend(f"  note: {one_line(item)}" for item in self.notes)
        lines.append(
            f"  score {points_text(self.score)}/{points_text(self.total)} "
            f"({self.right} of {self.marked} answers right)"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class Unmarked:
    """An answer file that could not be marked, and why."""

    source: str
    reason: str

    @property
    def name(self) -> str:
        """The file's name."""
        return Path(self.source).name

    def text(self) -> str:
        """One line: the file, then why."""
        return one_line(f"{self.source}: not marked: {self.reason}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"source": self.source, "error": self.reason}


@dataclass(frozen=True)
class ClassMarks:
    """Every answer file of a class: the reports, and the files that could not be marked."""

    sheet: Sheet
    reports: tuple[Report, ...]
    unmarked: tuple[Unmarked, ...] = ()

    @property
    def all_right(self) -> bool:
        """Every file was marked and every answer in it is right."""
        return bool(self.reports) and not self.unmarked and all(r.all_right for r in self.reports)


def _plain(mark: Mark) -> dict[str, Any]:
    """A mark as JSON data: points as numbers, a fractional counterexample value as text."""
    data = asdict(mark)
    data["points"] = points_number(mark.points)
    data["earned"] = points_number(mark.earned)
    data["share"] = points_number(mark.share)
    if mark.counterexample:
        data["counterexample"] = {
            name: value if isinstance(value, int) else str(value)
            for name, value in mark.counterexample.items()
        }
    return data


def _check(answer: Any, expected: Any) -> Verdict:
    """:func:`check`, remembered for text answers: a class writes the same answer often."""
    try:
        return _remembered(answer, expected) if isinstance(answer, str) else check(answer, expected)
    except TypeError:  # a matrix is not hashable: check it afresh
        return check(answer, expected)


def _slips_made(given: Any, answer: Answer, message: str = "") -> list[str]:
    """The hints of the known slips (foreseen by the sheet) that the answer equals,
    less those the checker's ``message`` already gives word for word."""
    return [
        SLIP_HINTS[name]
        for name, wrong in answer.slips
        if SLIP_HINTS[name] not in message and _check(given, wrong).ok
    ]


@lru_cache(maxsize=4096)
def _remembered(answer: str, expected: Any) -> Verdict:
    return check(answer, expected)


def _sheet(name: str, seed: int | None) -> Sheet:
    """The derived sheet, cached while its file (if it is one) is unchanged."""
    path = Path(name)
    try:
        stamp = path.stat().st_mtime_ns if name.endswith(".toml") else None
    except OSError:
        stamp = None  # build_sheet says what is wrong with it
    return _derived(name, seed, stamp)


@cache
def _derived(name: str, seed: int | None, stamp: int | None) -> Sheet:
    return build_sheet(name, seed=seed)


def answer_points(problem: Problem) -> dict[str, Fraction]:
    """What each marked answer of a problem is worth: its ``points`` shared equally,
    else one point each.

    >>> from symconv.sheets import build_sheet
    >>> answer_points(build_sheet().problem("1a"))
    {'size': Fraction(1, 1), 'first': Fraction(1, 1), 'last': Fraction(1, 1)}
    """
    keys = problem.marked_keys
    share = Fraction(1) if problem.points is None else problem.points / max(len(keys), 1)
    return dict.fromkeys(keys, share)


def marking_sheet(sheet: str | Path | None = None, seed: int | None = None) -> Sheet:
    """The instructor's sheet (the built-in default if ``None``), checked to have
    something to mark.

    Raises:
        SymconvError: The sheet cannot be built, or it has only free-text problems.
    """
    name = str(sheet) if sheet is not None else DEFAULT_SHEET
    derived = _sheet(name, seed)
    if not any(problem.marked_keys for problem in derived.problems()):
        raise SymconvError(
            f"sheet {derived.name!r} has nothing to mark: its problems are free text only"
        )
    return derived


def _blank(given: Any) -> bool:
    """No answer: the key is absent, or left empty as the answer template has it."""
    return given is None or (isinstance(given, str) and not given.strip())


def _variant(
    answers: Mapping[str, Any], seed: int | None, source: str
) -> tuple[int | None, list[str]]:
    """The variant to mark against, and a note when the instructor's seed overrides the file's."""
    written = answers.get("seed")
    if seed is not None:
        notes = []
        if written is not None and written != seed:
            notes.append(f"the file names seed {written!r}; marked against seed {seed}")
        return seed, notes
    if written is not None and (isinstance(written, bool) or not isinstance(written, int)):
        raise AnswerFileError(source, f"seed must be a whole number, got {written!r}")
    return written, []


def mark_answers(
    answers: Mapping[str, Any],
    *,
    sheet: str | Path | None = None,
    seed: int | None = None,
    source: str = "answers",
) -> Report:
    """Mark parsed answers (the TOML tables) against a sheet.

    ``sheet`` is the instructor's (default: the built-in sheet); the file's own
    ``sheet`` is only compared with it. ``seed`` overrides the file's ``seed``.

    Raises:
        AnswerFileError: The file's seed is not a whole number.
        SymconvError: The sheet or variant cannot be built, or has nothing to mark.
    """
    name = str(sheet) if sheet is not None else DEFAULT_SHEET
    variant, notes = _variant(answers, seed, source)
    derived = marking_sheet(name, variant)
    named = answers.get("sheet")
    if named is not None and not (
        isinstance(named, str) and named in (name, derived.name, f"{derived.name}.toml")
    ):
        notes.append(f"the file names sheet {named!r}; marked against {derived.name}")
    student = answers.get("student", "")
    if not isinstance(student, str):
        notes.append(f"student should be text in quotes, got {student!r}")
        student = ""
    marks: list[Mark] = []
    known = set()
    # The student's wrong answers as read, for the answers that follow from them.
    wrong_values: dict[tuple[str, str], Any] = {}
    carrying: list[tuple[int, Problem, Answer]] = []
    for problem in derived.problems():
        given = answers.get(problem.id, {})
        if not isinstance(given, dict):
            given = {}
        points = answer_points(problem)
        for answer in problem.answers:
            known.add((problem.id, answer.key))
            where = (problem.id, answer.key, answer.label)
            if problem.kind == "text":
                marks.append(Mark(*where, "not marked", points=Fraction(0)))
            elif answer.value is None:
                marks.append(
                    Mark(
                        *where, "not marked", "too large to mark entry by entry", None, Fraction(0)
                    )
                )
            elif _blank(given.get(answer.key)):
                marks.append(Mark(*where, "missing", "no answer", points=points[answer.key]))
            else:
                verdict = _check(given[answer.key], answer.value)
                status: Status = (
                    "right"
                    if verdict.ok
                    else "unreadable"
                    if verdict.unreadable
                    else "undecided"
                    if not verdict.decided
                    else "wrong"
                )
                message = verdict.message
                share = Fraction(0)
                if status == "wrong":
                    message = " ".join([message, *_slips_made(given[answer.key], answer, message)])
                    credit = problem.partial and partial_credit(
                        _as_read(verdict.answer, given[answer.key], answer.value), answer.value
                    )
                    if credit:
                        share, message = credit.share, _noted(message, credit.note)
                    value = student_value(given[answer.key], answer.value)
                    if value is not None:
                        wrong_values[problem.id, answer.key] = value
                    if answer.depends_on and answer.recompute is not None:
                        carrying.append((len(marks), problem, answer))
                marks.append(
                    Mark(*where, status, message, verdict.counterexample, points[answer.key], share)
                )
    for index, problem, answer in carrying:
        marks[index] = _carried(marks[index], problem, answer, answers, derived, wrong_values)
    ignored = [
        f"{question} {key}" if isinstance(table, dict) else question
        for question, table in answers.items()
        if question not in _HEADER_KEYS
        for key in (table if isinstance(table, dict) else [""])
        if (question, key) not in known
    ]
    return Report(
        source, student, derived.name, variant, tuple(marks), tuple(ignored), tuple(notes)
    )


def _noted(message: str, note: str) -> str:
    """A note added to feedback as a sentence of its own.

    >>> _noted("Wrong: expected 7, got 9", "It follows from your size 9.")
    'Wrong: expected 7, got 9. It follows from your size 9.'
    """
    return f"{message}{'' if message.endswith('.') else '.'} {note}"


def _as_read(read: Any, given: Any, expected: Any) -> Any:
    """The answer as the check read it; a shape's sizes read again when the check kept none."""
    if read is None and isinstance(expected, tuple):
        return student_value(given, expected)
    return read


def _carried(
    mark: Mark,
    problem: Problem,
    answer: Answer,
    answers: Mapping[str, Any],
    sheet: Sheet,
    wrong_values: Mapping[tuple[str, str], Any],
) -> Mark:
    """The mark with the credit of an error carried forward, when the answer earns it."""
    sources = {}
    for reference in answer.depends_on:
        where, _, key = reference.rpartition(".")
        where = where or problem.id
        if (where, key) in wrong_values:
            label = sheet.problem(where).answer(key).label
            name = label if where == problem.id else f"{label} in {where}"
            sources[key] = (name, wrong_values[where, key])
    given = answers[problem.id][answer.key]
    credit = carried_credit(given, answer, problem.carried, sources)
    if credit is None or credit.share <= mark.share:
        return mark
    return replace(mark, share=credit.share, message=_noted(mark.message, credit.note))


def mark_file(path: Path, *, sheet: str | Path | None = None, seed: int | None = None) -> Report:
    """Mark one answer file against the instructor's ``sheet`` (default: the built-in one).

    Raises:
        AnswerFileError: The file cannot be read, is not valid TOML, or its seed is malformed.
        SymconvError: The sheet or its variant cannot be built.
    """
    return mark_answers(read_answer_file(path), sheet=sheet, seed=seed, source=str(path))


def mark_files(
    paths: Iterable[Path], *, sheet: str | Path | None = None, seed: int | None = None
) -> ClassMarks:
    """Mark every file; one that cannot be marked becomes an :class:`Unmarked` line.

    Raises:
        SymconvError: The instructor's sheet (or variant) cannot be built or
            has nothing to mark; no file is marked then.
    """
    derived = marking_sheet(sheet, seed)
    reports = []
    unmarked = []
    for path in paths:
        try:
            reports.append(mark_file(path, sheet=sheet, seed=seed))
        except AnswerFileError as problem:
            unmarked.append(Unmarked(str(path), problem.reason))
        except SymconvError as problem:  # the file's variant of the sheet cannot be built
            unmarked.append(Unmarked(str(path), str(problem)))
        except Exception as problem:  # one student's file never stops the class
            unmarked.append(Unmarked(str(path), f"{type(problem).__name__}: {problem}"))
    return ClassMarks(derived, tuple(reports), tuple(unmarked))
