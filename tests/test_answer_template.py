r"""``symconv sheet --answer-template``: the empty answer file, and its round trip through marking.

The template is read back with tomllib; marked empty, every answer is missing;
filled with the derived answers as the sheet prints them (``Answer.latex``),
every answer is right.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from cli_runner import run

from symconv.answers.answer_template import answer_template, plain_text, question_text
from symconv.answers.marking import mark_answers
from symconv.sheets import Sheet, build_sheet

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHEETS = [
    ("weight-sharing", None),
    ("weight-sharing", 7),
    (str(EXAMPLES / "beyond-one-layer.toml"), None),
    (str(EXAMPLES / "strided-convolutions.toml"), 3),
]
IDS = [f"{Path(name).stem}-{seed}" for name, seed in SHEETS]


def marked_keys(sheet: Sheet) -> set[tuple[str, str]]:
    return {
        (problem.id, answer.key)
        for problem in sheet.problems()
        if problem.kind != "text"
        for answer in problem.answers
        if answer.value is not None
    }


def filled(template: str, sheet: Sheet) -> str:
    """The template with every empty answer replaced by the sheet's LaTeX, line by line."""
    lines = []
    table = None
    for line in template.splitlines():
        heading = re.fullmatch(r"\[(\w+)\]", line)
        if heading:
            table = heading.group(1)
        entry = re.fullmatch(r"(\w+) = ''", line)
        if entry and table is not None:
            latex = sheet.problem(table).answer(entry.group(1)).latex
            line = f"{entry.group(1)} = {json.dumps(latex)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("name", "seed"), SHEETS, ids=IDS)
def test_the_template_parses_and_holds_every_answer_key_empty(name: str, seed: int | None):
    sheet = build_sheet(name, seed=seed)
    data = tomllib.loads(answer_template(sheet))
    assert data["student"] == ""
    assert data["sheet"] == sheet.name
    assert data.get("seed") == seed
    entries = {
        (question, key): value
        for question, table in data.items()
        if isinstance(table, dict)
        for key, value in table.items()
    }
    assert set(entries) == marked_keys(sheet)
    assert set(entries.values()) == {""}
    texts = {problem.id for problem in sheet.problems() if problem.kind == "text"}
    assert not texts & set(data)


@pytest.mark.parametrize(("name", "seed"), SHEETS, ids=IDS)
def test_marking_the_empty_template_gives_every_answer_missing(name: str, seed: int | None):
    sheet = build_sheet(name, seed=seed)
    report = mark_answers(tomllib.loads(answer_template(sheet)), sheet=name)
    assert report.seed == seed
    assert {m.status for m in report.marks if m.marked} == {"missing"}
    assert report.marked == len(marked_keys(sheet))
    assert (report.score, report.right, report.ignored, report.notes) == (0, 0, (), ())


@pytest.mark.parametrize(("name", "seed"), SHEETS, ids=IDS)
def test_the_template_filled_with_the_derived_answers_gets_full_marks(name: str, seed: int | None):
    sheet = build_sheet(name, seed=seed)
    report = mark_answers(tomllib.loads(filled(answer_template(sheet), sheet)), sheet=name)
    wrong = [
        (m.question, m.key, m.message) for m in report.marks if m.marked and m.status != "right"
    ]
    assert wrong == []
    assert (report.score, report.right) == (report.total, len(marked_keys(sheet)))


def test_each_key_has_its_question_and_label_above_it():
    sheet = build_sheet()
    text = answer_template(sheet)
    comments = " ".join(
        line.removeprefix("#").strip() for line in text.splitlines() if line.startswith("#")
    )
    for problem in sheet.problems():
        # The question, in plain text, is in the comments (wrapped over lines).
        assert f"({problem.id[-1]}) {question_text(problem)}" in comments
        for answer in problem.answers:
            if problem.kind == "text":
                continue
            label = f"# {problem.id}: {answer.label} (1 point)\n{answer.key} = ''\n"
            assert label in text


def test_text_problems_are_comments_only():
    sheet = build_sheet()
    text = answer_template(sheet)
    texts = [problem for problem in sheet.problems() if problem.kind == "text"]
    assert texts
    for problem in texts:
        assert f"[{problem.id}]" not in text
        assert f"# ({problem.id}: free text, not marked here)" in text


@pytest.mark.parametrize(
    ("latex", "plain"),
    [
        (r"\textbf{output size} $W'$", "output size W'"),
        (r"$\mathbf{y} = \mathbf{K}\mathbf{x}$", "y = Kx"),
        (r"$256 \times 256$", "256 x 256"),
        (r"\texttt{ceil\_mode}", "ceil_mode"),
        (r"$\begin{bmatrix} x_{1} & \cdots & x_{9} \end{bmatrix}^T$", "[x_1, ..., x_9]^T"),
        (r"with ``same'' padding", 'with "same" padding'),
        (r"\emph{not}  shared", "not shared"),
    ],
)
def test_plain_text_strips_latex_markup(latex: str, plain: str):
    assert plain_text(latex) == plain


def test_no_latex_command_is_left_in_the_comments():
    for name, seed in SHEETS:
        lines = answer_template(build_sheet(name, seed=seed)).splitlines()
        after_header = lines[lines.index('student = ""') :]
        comments = [line for line in after_header if line.startswith("#")]
        leftovers = [line for line in comments if re.search(r"\\[A-Za-z]|\$", line)]
        assert leftovers == [], name


# --------------------------------------------------------------------------
# The command


def test_the_command_prints_the_template(capsys):
    status, out, err = run(["sheet", "--answer-template"], capsys)
    assert (status, err) == (0, "")
    assert out == answer_template(build_sheet())


def test_the_command_writes_a_variant_and_marking_it_round_trips(tmp_path: Path, capsys):
    path = tmp_path / "answers.toml"
    status, _, err = run(["sheet", "--answer-template", "--seed", "7", "-o", str(path)], capsys)
    assert (status, err) == (0, f"wrote {path}\n")
    sheet = build_sheet(seed=7)
    assert path.read_text(encoding="utf-8") == answer_template(sheet)
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 1 and "variant 7" in out
    path.write_text(filled(path.read_text(encoding="utf-8"), sheet), encoding="utf-8")
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 0, out


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (["--pdf"], "leave out --pdf"),
        (["--handout"], "leave out --handout"),
        (["--variants", "3"], "leave out --variants"),
        (["-o", "missing/answers.toml"], "folder 'missing' does not exist"),
        (["no-such-sheet"], "unknown sheet 'no-such-sheet'"),
    ],
)
def test_the_command_refuses_in_one_line(
    tmp_path: Path, capsys, monkeypatch, options: list[str], match: str
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["sheet", "--answer-template", *options], capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and match in err
    assert list(tmp_path.iterdir()) == []
