r"""Marking a class: unreadable files, the instructor's sheet, points, and the report formats.

Answer files are written from the derived sheet (its answers' LaTeX, or a
programmatic mistake); expected scores are counted from the sheet, points
from the sheet definition the test writes, never typed in.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest
import sympy
from cli_runner import run
from test_marking import answer_file, marked, shifted_x

from symconv.marking.marks import (
    AnswerFileError,
    mark_file,
    mark_files,
    marking_sheet,
    points_text,
    read_answer_file,
)
from symconv.sheets import SheetError, build_sheet

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEFAULT = build_sheet()
TOTAL = len(marked(DEFAULT))
FIRST = DEFAULT.problem("1a").answer("first")
WRONG_FIRST = {("1a", "first"): sympy.latex(shifted_x(FIRST.value))}


def builtin_definition() -> str:
    return (
        resources.files("symconv.sheets")
        .joinpath("builtin", "weight-sharing.toml")
        .read_text(encoding="utf-8")
    )


# --------------------------------------------------------------------------
# Files that cannot be read: one line each, the others marked


def _write(text: str | bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return make


def _link(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(path.parent / target)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


BROKEN: list[tuple[str, Callable[[Path], None], str]] = [
    ("malformed TOML", _write("[1a\nsize = 7\n"), r"not valid TOML at line 1, column \d+"),
    ("unclosed string", _write('student = "a"\n[1a]\nsize = "7\n'), r"not valid TOML at line 3"),
    (
        "not UTF-8",
        _write(b'student = "a"\nsize = "\xe9"\n'),
        r"not UTF-8 text \(byte 0xe9 on line 2\)",
    ),
    ("symlink loop", lambda path: path.symlink_to(path), r"a symbolic link loop"),
    ("dangling link", _link("gone.txt"), r"a dangling symbolic link"),
    ("folder named x.toml", lambda path: path.mkdir(), r"a folder, not a file"),
    ("named pipe", _fifo, r"not a regular file"),
    ("seed not a number", _write('seed = "seven"\n'), r"seed must be a whole number"),
    ("deeply nested", _write("a = " + "[" * 50_000 + "]" * 50_000 + "\n"), r"TOML"),
    (
        "too large",
        _write("# " + "x" * 1_100_000 + "\n"),
        r"too large \(1,100,0\d\d bytes; at most 1,000,000\)",
    ),
]


@pytest.mark.parametrize(
    ("make", "reason"), [(m, r) for _, m, r in BROKEN], ids=[name for name, _, _ in BROKEN]
)
def test_one_unreadable_file_is_a_line_and_the_class_is_marked(
    tmp_path: Path, capsys, make, reason: str
):
    folder = tmp_path / "class"
    folder.mkdir()
    answer_file(folder / "ada.toml", DEFAULT, header={"student": "ada"})
    answer_file(folder / "zed.toml", DEFAULT, header={"student": "zed"}, change=WRONG_FIRST)
    make(folder / "broken.toml")
    status, out, err = run(["check", str(folder)], capsys)
    assert (status, err) == (1, ""), (out, err)
    assert re.search(rf"^ada\s+{TOTAL}/{TOTAL}", out, re.MULTILINE), out
    assert re.search(rf"^zed\s+{TOTAL - 1}/{TOTAL}", out, re.MULTILINE), out
    line = next(line for line in out.splitlines() if "broken.toml" in line)
    assert re.search(reason, line), line
    assert "2 answer files marked, 1 could not be marked" in out
    assert "Traceback" not in out
    # The library says the same, reason without the file's name.
    marks = mark_files(sorted(folder.glob("*.toml")))
    assert [r.student for r in marks.reports] == ["ada", "zed"]
    assert [u.name for u in marks.unmarked] == ["broken.toml"]
    assert re.search(reason, marks.unmarked[0].reason)
    assert "broken.toml" not in marks.unmarked[0].reason


# A pipe is refused before it is opened (it would block); a seed is checked when marking.
_NOT_READING = {"named pipe", "seed not a number"}


@pytest.mark.parametrize(
    ("make", "reason"),
    [(m, r) for name, m, r in BROKEN if name not in _NOT_READING],
    ids=[name for name, _, _ in BROKEN if name not in _NOT_READING],
)
def test_read_answer_file_says_why_in_one_line(tmp_path: Path, make, reason: str):
    path = tmp_path / "broken.toml"
    make(path)
    with pytest.raises(AnswerFileError, match=reason) as raised:
        read_answer_file(path)
    assert "\n" not in str(raised.value)


def test_a_class_of_unreadable_files_exits_two_listing_each(tmp_path: Path, capsys):
    for name, make, _ in BROKEN[:4]:
        make(tmp_path / f"{name.replace(' ', '-')}.toml")
    status, out, err = run(["check", str(tmp_path)], capsys)
    assert status == 2
    assert "0 answer files marked, 4 could not be marked" in out
    for name, _, reason in BROKEN[:4]:
        line = next(line for line in out.splitlines() if name.replace(" ", "-") in line)
        assert re.search(reason, line), line
    assert err.count("\n") == 1 and "none of the 4 answer files" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("output", ["text", "--json", "--csv", "--gradescope"])
def test_a_single_unreadable_file_exits_two_with_one_line(tmp_path: Path, capsys, output):
    path = tmp_path / "broken.toml"
    path.write_text("[1a\n", encoding="utf-8")
    options = [] if output == "text" else [output]
    status, out, err = run(["check", str(path), *options], capsys)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "broken.toml" in lines[0] and "not valid TOML" in lines[0]
    if output == "--gradescope":  # Gradescope still gets results telling the student why
        results = json.loads(out)
        assert (results["score"], results["max_score"], results["tests"]) == (0, TOTAL, [])
        assert "not valid TOML at line 1" in results["output"]
    else:
        assert out == ""


# --------------------------------------------------------------------------
# The instructor chooses the sheet


TEXT_ONLY = """\
title = "Only words"
[[section]]
title = "Talk"
  [[section.problem]]
  kind = "text"
  question = "Why share weights?"
  answer = "Fewer weights, and equivariance."
"""


def test_an_answer_file_cannot_choose_its_own_sheet(tmp_path: Path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "mine.toml").write_text(TEXT_ONLY, encoding="utf-8")
    path = folder / "sly.toml"
    path.write_text('sheet = "mine.toml"\nstudent = "sly"\n', encoding="utf-8")
    status, out, err = run(["check", str(path)], capsys)
    assert (status, err) == (1, "")
    assert f"score 0/{TOTAL}" in out
    assert "note: the file names sheet 'mine.toml'; marked against weight-sharing" in out
    report = mark_file(path)
    assert (report.sheet, report.total) == (DEFAULT.name, TOTAL)


def test_a_file_naming_the_marked_sheet_gets_no_note(tmp_path: Path):
    path = answer_file(tmp_path / "a.toml", DEFAULT, header={"sheet": DEFAULT.name})
    assert mark_file(path).notes == ()


def test_a_sheet_with_nothing_to_mark_is_the_instructors_error(tmp_path: Path, capsys):
    sheet = tmp_path / "words.toml"
    sheet.write_text(TEXT_ONLY, encoding="utf-8")
    answers = answer_file(tmp_path / "a.toml", DEFAULT)
    status, out, err = run(["check", str(answers), "--sheet", str(sheet)], capsys)
    assert (status, out) == (2, "")
    assert re.fullmatch(r"symconv: error: sheet 'words' has nothing to mark.*\n", err)
    with pytest.raises(Exception, match="nothing to mark"):
        marking_sheet(sheet)


def test_the_instructors_sheet_file_marks_the_class(tmp_path: Path, capsys):
    definition = tmp_path / "course" / "strided.toml"
    definition.parent.mkdir()
    definition.write_text(
        (EXAMPLES / "strided-convolutions.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    sheet = build_sheet(definition)
    folder = tmp_path / "class"
    folder.mkdir()
    answer_file(folder / "a.toml", sheet)
    status, out, _ = run(["check", str(folder), "--sheet", str(definition)], capsys)
    assert status == 0, out
    assert f"a: sheet {sheet.name}" in out
    assert re.search(rf"^a\s+{len(marked(sheet))}/{len(marked(sheet))}", out, re.MULTILINE)


def test_an_unknown_instructor_sheet_is_one_line(tmp_path: Path, capsys):
    path = answer_file(tmp_path / "a.toml", DEFAULT)
    status, out, err = run(["check", str(path), "--sheet", "no-such-sheet"], capsys)
    assert (status, out) == (2, "")
    assert err.startswith("symconv: error: unknown sheet 'no-such-sheet'") and err.count("\n") == 1


def test_the_files_seed_is_kept_unless_the_instructor_gives_one(tmp_path: Path, capsys):
    seed = next(
        s
        for s in range(1, 100)
        if build_sheet(seed=s).problem("1a").answer("size").value
        != DEFAULT.problem("1a").answer("size").value
    )
    variant = build_sheet(seed=seed)
    path = answer_file(tmp_path / "v.toml", variant, header={"seed": seed})
    assert mark_file(path).all_right
    overridden = mark_file(path, seed=seed + 1000)
    assert overridden.seed == seed + 1000
    assert overridden.notes == (f"the file names seed {seed}; marked against seed {seed + 1000}",)
    status, out, _ = run(["check", str(path), "--seed", str(seed + 1000)], capsys)
    assert status == 1 and f"marked against seed {seed + 1000}" in out


@pytest.mark.parametrize("blank", ["''", '""', '"   "'])
def test_an_empty_answer_is_missing(tmp_path: Path, blank: str):
    path = tmp_path / "e.toml"
    path.write_text(f"[1a]\nsize = {blank}\n", encoding="utf-8")
    mark = next(m for m in mark_file(path).marks if (m.question, m.key) == ("1a", "size"))
    assert (mark.status, mark.message) == ("missing", "no answer")


# --------------------------------------------------------------------------
# Points


POINTS = {"elements": "1.5", "size-formula": "4", "counts": "0"}


def sheet_with_points(folder: Path) -> Path:
    """The built-in sheet with points on its first problem of some kinds."""
    text = builtin_definition()
    for kind, points in POINTS.items():
        text = text.replace(f'kind = "{kind}"\n', f'kind = "{kind}"\n  points = {points}\n', 1)
    path = folder / "pointed.toml"
    path.write_text(text, encoding="utf-8")
    return path


def expected_points(sheet_path: Path) -> dict[tuple[str, str], Fraction]:
    """Each marked answer's points, computed here from the definition's problems."""
    sheet = build_sheet(sheet_path)
    first_of_kind: dict[str, str] = {}
    for problem in sheet.problems():
        first_of_kind.setdefault(problem.kind, problem.id)
    points = {}
    for problem in sheet.problems():
        keys = [a.key for a in problem.answers if problem.kind != "text"]
        for key in keys:
            given = POINTS.get(problem.kind) if first_of_kind[problem.kind] == problem.id else None
            share = Fraction(given) / len(keys) if given is not None else Fraction(1)
            points[problem.id, key] = share
    return points


def test_points_are_shared_by_a_problems_answers(tmp_path: Path, capsys):
    sheet_path = sheet_with_points(tmp_path)
    sheet = build_sheet(sheet_path)
    points = expected_points(sheet_path)
    path = answer_file(tmp_path / "s.toml", sheet, change=WRONG_FIRST)
    report = mark_file(path, sheet=sheet_path)
    total = sum(points.values())
    assert report.total == total
    assert report.score == total - points["1a", "first"]
    assert (report.right, report.marked) == (len(points) - 1, len(points))
    assert {(m.question, m.key): m.points for m in report.marks if m.marked} == points
    status, out, _ = run(["check", str(path), "--sheet", str(sheet_path)], capsys)
    assert status == 1
    score = f"score {points_text(report.score)}/{points_text(total)}"
    assert f"{score} ({len(points) - 1} of {len(points)} answers right)" in out
    assert re.search(r"1a first\s+wrong\s+0/0\.5\b", out), out
    assert re.search(r"1f valid\s+right\s+2/2\b", out), out


def test_without_points_every_answer_is_worth_one(tmp_path: Path):
    report = mark_file(answer_file(tmp_path / "a.toml", DEFAULT, change=WRONG_FIRST))
    assert (report.score, report.total, report.right) == (TOTAL - 1, TOTAL, TOTAL - 1)
    assert all(m.points == 1 for m in report.marks if m.marked)


@pytest.mark.parametrize(
    ("points", "match"),
    [
        ("-1", "points must be a number from 0 to 1000"),
        ('"two"', "points must be a number from 0 to 1000"),
        ("true", "points must be a number from 0 to 1000"),
        ("1001", "points must be a number from 0 to 1000"),
        ("nan", "points must be a number from 0 to 1000"),
    ],
)
def test_malformed_points_are_refused(tmp_path: Path, points: str, match: str):
    text = builtin_definition().replace(
        'kind = "matrix"\n', f'kind = "matrix"\n  points = {points}\n', 1
    )
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SheetError, match=rf"problem \(c\) \(matrix\): {match}"):
        build_sheet(path)


def test_points_on_a_text_problem_are_refused(tmp_path: Path):
    path = tmp_path / "t.toml"
    path.write_text(TEXT_ONLY + "  points = 2\n", encoding="utf-8")
    with pytest.raises(SheetError, match="points on a text problem"):
        build_sheet(path)


def test_an_unknown_problem_key_lists_points_as_allowed(tmp_path: Path):
    text = builtin_definition().replace('kind = "matrix"\n', 'kind = "matrix"\n  pionts = 2\n', 1)
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SheetError, match=r"unknown key 'pionts'; allowed: .*points"):
        build_sheet(path)


@pytest.mark.parametrize(
    ("points", "text"),
    [
        (Fraction(2), "2"),
        (Fraction(3, 2), "1.5"),
        (Fraction(1, 4), "0.25"),
        (Fraction(1, 3), "0.33"),
    ],
)
def test_points_print_compactly(points: Fraction, text: str):
    assert points_text(points) == text


# --------------------------------------------------------------------------
# Formats


def class_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    answer_file(folder / "ada.toml", DEFAULT, header={"student": "Ada"})
    answer_file(folder / "bob.toml", DEFAULT, header={"student": "Bob"}, change=WRONG_FIRST)
    (folder / "broken.toml").write_text("[1a\n", encoding="utf-8")
    return folder


def test_csv_has_a_row_per_file_and_a_column_per_answer(tmp_path: Path, capsys):
    folder = class_folder(tmp_path)
    status, out, err = run(["check", str(folder), "--csv"], capsys)
    assert (status, err) == (1, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    answers = [f"{q} {a.key}" for q, a in marked(DEFAULT)]
    assert list(rows[0]) == [
        "file",
        "student",
        "variant",
        *answers,
        "score",
        "total",
        "right",
        "error",
    ]
    by_file = {row["file"]: row for row in rows}
    assert set(by_file) == {"ada.toml", "bob.toml", "broken.toml"}
    ada, bob, broken = by_file["ada.toml"], by_file["bob.toml"], by_file["broken.toml"]
    assert all(ada[column] == "1" for column in answers)
    assert bob["1a first"] == "0" and all(bob[c] == "1" for c in answers if c != "1a first")
    assert (ada["score"], ada["total"], bob["score"]) == (str(TOTAL), str(TOTAL), str(TOTAL - 1))
    assert (ada["student"], ada["variant"], ada["error"]) == ("Ada", "", "")
    assert broken["error"].startswith("not valid TOML at line 1")
    assert all(broken[c] == "" for c in answers)


def test_json_of_a_class_has_points_and_the_files_not_marked(tmp_path: Path, capsys):
    folder = class_folder(tmp_path)
    status, out, _ = run(["check", str(folder), "--json"], capsys)
    assert status == 1
    items = json.loads(out)
    reports = [item for item in items if "error" not in item]
    assert [(r["student"], r["score"], r["total"], r["right"]) for r in reports] == [
        ("Ada", TOTAL, TOTAL, TOTAL),
        ("Bob", TOTAL - 1, TOTAL, TOTAL - 1),
    ]
    mark = next(m for m in reports[1]["marks"] if (m["question"], m["key"]) == ("1a", "first"))
    assert (mark["points"], mark["earned"], mark["status"]) == (1, 0, "wrong")
    errors = [item for item in items if "error" in item]
    assert [Path(e["source"]).name for e in errors] == ["broken.toml"]


def test_gradescope_results_for_one_submission(tmp_path: Path, capsys):
    sheet_path = sheet_with_points(tmp_path)
    points = expected_points(sheet_path)
    sheet = build_sheet(sheet_path)
    path = answer_file(tmp_path / "sub.toml", sheet, change=WRONG_FIRST)
    status, out, _ = run(["check", str(path), "--gradescope", "--sheet", str(sheet_path)], capsys)
    assert status == 1
    results = json.loads(out)
    assert {"score", "max_score", "output", "tests"} <= set(results)
    tests = results["tests"]
    assert len(tests) == len(points)
    assert sum(Fraction(str(t["max_score"])) for t in tests) == sum(points.values())
    assert Fraction(str(results["max_score"])) == sum(points.values())
    assert Fraction(str(results["score"])) == sum(points.values()) - points["1a", "first"]
    by_name = {t["name"].split(":")[0]: t for t in tests}
    first = by_name["1a first"]
    assert (first["status"], first["score"]) == ("failed", 0)
    assert "off by" in first["output"]
    right = by_name["1f valid"]
    assert (right["status"], right["score"], right["max_score"]) == ("passed", 2, 2)
    assert all(set(t) == {"name", "score", "max_score", "status", "output"} for t in tests)


def test_gradescope_refuses_a_folder_in_one_line(tmp_path: Path, capsys):
    status, out, err = run(["check", str(class_folder(tmp_path)), "--gradescope"], capsys)
    assert (status, out) == (2, "")
    assert re.fullmatch(r"symconv: error: --gradescope marks one submission.*folder\n", err)


@pytest.mark.parametrize("output", ["text", "--json", "--csv", "--gradescope"])
def test_dash_o_writes_the_same_as_standard_output(tmp_path: Path, capsys, output):
    source = (
        answer_file(tmp_path / "a.toml", DEFAULT)
        if output == "--gradescope"
        else class_folder(tmp_path)
    )
    options = [] if output == "text" else [output]
    printed = run(["check", str(source), *options], capsys)
    target = tmp_path / "out" / "report"
    target.parent.mkdir()
    status, out, err = run(["check", str(source), *options, "-o", str(target)], capsys)
    assert (status, out) == (printed[0], "")
    assert err == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == printed[1]
    assert [p.name for p in target.parent.iterdir()] == ["report"]  # no temporary file left


@pytest.mark.parametrize("output", ["text", "--csv"])
def test_dash_o_into_a_missing_folder_is_refused(tmp_path: Path, capsys, output):
    options = [] if output == "text" else [output]
    target = tmp_path / "missing" / "grades.csv"
    status, out, err = run(
        ["check", str(class_folder(tmp_path)), *options, "-o", str(target)], capsys
    )
    assert (status, out) == (2, "")
    assert re.fullmatch(r"symconv: error: cannot write .*folder .*missing' does not exist\n", err)
    assert not target.parent.exists()


def test_formats_are_exclusive(tmp_path: Path, capsys):
    status, _, err = run(["check", str(tmp_path), "--csv", "--json"], capsys)
    assert status == 2 and "not allowed with" in err


def test_help_documents_the_exit_status(capsys):
    status, out, _ = run(["check", "--help"], capsys)
    assert status == 0
    assert "exit status" in out and "nothing could be marked" in out


# --------------------------------------------------------------------------
# A large class


def written(answer_value: object, latex: str, style: int) -> str:
    """A right answer as students write it: the sheet's LaTeX, or SymPy syntax."""
    if style % 2 and isinstance(answer_value, sympy.Expr):
        return sympy.sstr(answer_value)
    return latex


def test_two_hundred_files_with_broken_ones_are_all_reported(tmp_path: Path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    seeds = [None, 3, 11]
    sheets = {seed: build_sheet(seed=seed) for seed in seeds}
    wrong_of: dict[str, int] = {}
    for n in range(200):
        seed = seeds[n % len(seeds)]
        sheet = sheets[seed]
        header = {"student": f"student {n:03d}"} | ({"seed": seed} if seed is not None else {})
        change = {
            (q, a.key): written(a.value, a.latex, n)
            for q, a in marked(sheet)
            if a.value is not None
        }
        if n % 7 == 0:  # a few wrong answers
            first = sheet.problem("1a").answer("first").value
            change["1a", "first"] = sympy.latex(shifted_x(first))
        wrong_of[f"student {n:03d}"] = int(n % 7 == 0)
        answer_file(folder / f"s{n:03d}.toml", sheet, header=header, change=change)
    broken = {"b-toml.toml": "not valid TOML", "b-loop.toml": "symbolic link loop"}
    (folder / "b-toml.toml").write_text("student = \n", encoding="utf-8")
    (folder / "b-loop.toml").symlink_to(folder / "b-loop.toml")
    (folder / "b-dir.toml").mkdir()
    broken["b-dir.toml"] = "a folder"

    status, out, err = run(["check", str(folder), "--csv"], capsys)
    assert (status, err) == (1, "")
    rows = {row["file"]: row for row in csv.DictReader(io.StringIO(out))}
    assert len(rows) == 203
    for n in range(200):
        row = rows[f"s{n:03d}.toml"]
        total = len(marked(sheets[seeds[n % len(seeds)]]))
        assert row["student"] == f"student {n:03d}"
        assert (row["score"], row["total"]) == (str(total - wrong_of[row["student"]]), str(total))
    for name, reason in broken.items():
        assert reason in rows[name]["error"]
    summary = run(["check", str(folder)], capsys)[1]
    assert "200 answer files marked, 3 could not be marked" in summary


# --------------------------------------------------------------------------
# What students control stays in its place


def test_a_students_name_cannot_break_lines_or_send_escapes(tmp_path: Path, capsys):
    name = "Eve\nscore 99/99\x1b[2J"
    path = answer_file(tmp_path / "eve.toml", DEFAULT, header={"student": name})
    status, out, _ = run(["check", str(tmp_path)], capsys)
    assert status == 0
    assert "\x1b" not in out
    assert not any(line.startswith("score 99/99") for line in out.splitlines())
    assert "Eve score 99/99?[2J: sheet" in out
    assert mark_file(path).student == name  # the data keeps what was written


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)"])
def test_csv_cells_a_student_controls_are_not_formulas(tmp_path: Path, capsys, name: str):
    answer_file(tmp_path / "a.toml", DEFAULT, header={"student": name})
    status, out, _ = run(["check", str(tmp_path), "--csv"], capsys)
    assert status == 0
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["student"] == "'" + name


def test_the_instructors_sheet_file_in_the_class_folder_is_not_a_student(tmp_path: Path, capsys):
    sheet_path = sheet_with_points(tmp_path)
    answer_file(tmp_path / "a.toml", build_sheet(sheet_path), header={"student": "a"})
    status, out, _ = run(["check", str(tmp_path), "--sheet", str(sheet_path)], capsys)
    assert status == 0, out
    assert "1 answer file marked" in out
    assert not re.search(r"^pointed", out, re.MULTILINE)


def test_a_student_that_is_not_text_is_marked_with_a_note(tmp_path: Path):
    path = answer_file(tmp_path / "n.toml", DEFAULT, header={"student": 3})
    report = mark_file(path)
    assert (report.all_right, report.student, report.name) == (True, "", "n")
    assert report.notes == ("student should be text in quotes, got 3",)


def test_a_flood_of_unknown_entries_is_counted_not_listed(tmp_path: Path, capsys):
    path = answer_file(tmp_path / "f.toml", DEFAULT)
    with path.open("a", encoding="utf-8") as out:
        out.write("[junk]\n" + "".join(f'k{n} = "{"x" * 200}"\n' for n in range(1000)))
    report = mark_file(path)
    assert len(report.ignored) == 1000
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 0
    listed = [line for line in out.splitlines() if line.strip().startswith("ignored:")]
    assert len(listed) == 21 and listed[-1].strip() == "ignored: 980 more entries"
    assert max(len(line) for line in listed) < 100
