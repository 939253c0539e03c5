r"""``symconv sheet --answer-template``: the empty answer file, and its round trip through marking.

The template is read back with tomllib; marked empty, every answer is missing;
filled with the derived answers as the sheet prints them (``Answer.latex``),
every answer is right.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest
from cli_runner import run

from symconv.marking.answer_template import answer_template, plain_text, question_text
from symconv.marking.marks import mark_answers
from symconv.sheets import DEFAULT_SHEET, Sheet, build_sheet

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


# --------------------------------------------------------------------------
# An own sheet's template names the sheet it is marked against


def check_line(template: str) -> list[str]:
    """The ``symconv check`` command the template's comment gives, as arguments."""
    lines = [line.removeprefix("#").strip() for line in template.splitlines()]
    command = next(line for line in lines if line.startswith("symconv check "))
    return shlex.split(command)


@pytest.mark.parametrize("folder", ["sheets", "my sheets"])
def test_an_own_sheets_template_names_the_command_that_marks_it(
    tmp_path: Path, capsys, monkeypatch, folder: str
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / folder).mkdir()
    source = f"{folder}/mine.toml"
    shutil.copy(EXAMPLES / "strided-convolutions.toml", source)
    status, _, _ = run(["sheet", source, "--answer-template", "-o", "answers.toml"], capsys)
    assert status == 0
    template = Path("answers.toml").read_text(encoding="utf-8")
    assert tomllib.loads(template)["sheet"] == source
    command = check_line(template)
    assert command[:3] == ["symconv", "check", "FILE"]
    sheet = build_sheet(source)
    arguments = [word if word != "FILE" else "answers.toml" for word in command[1:]]

    status, out, _ = run(arguments, capsys)  # empty: every answer missing, of this sheet
    report = mark_answers(tomllib.loads(template), sheet=source)
    assert status == 1 and f"score 0/{report.total}" in out and "note" not in out
    assert report.marked == len(marked_keys(sheet)) and report.notes == ()

    Path("answers.toml").write_text(filled(template, sheet), encoding="utf-8")
    status, out, _ = run(arguments, capsys)
    assert status == 0, out
    assert f"score {report.total}/{report.total}" in out


def test_the_default_sheets_template_is_marked_by_the_plain_command(tmp_path: Path, capsys):
    template = answer_template(build_sheet(), DEFAULT_SHEET)
    assert template == answer_template(build_sheet())
    assert check_line(template) == ["symconv", "check", "FILE"]
    assert tomllib.loads(template)["sheet"] == DEFAULT_SHEET


# --------------------------------------------------------------------------
# Seeds in answer files


@pytest.mark.parametrize(
    ("seed", "shown"), [("-4", "-4"), ("1.5", "1.5"), ('"seven"', "'seven'"), ("true", "True")]
)
def test_a_seed_that_names_no_variant_is_refused_in_one_line(
    tmp_path: Path, capsys, seed: str, shown: str
):
    path = tmp_path / "answers.toml"
    path.write_text(f'student = "Ada"\nseed = {seed}\n[1a]\nsize = "7"\n', encoding="utf-8")
    status, out, err = run(["check", str(path)], capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert f"seed must be a whole number from 0 (the variant's number), got {shown}" in err
    assert "variant" in err and f"variant {seed}" not in err


def test_a_class_is_marked_though_one_seed_names_no_variant(tmp_path: Path, capsys):
    good = build_sheet(seed=0)
    (tmp_path / "a.toml").write_text(filled(answer_template(good), good), encoding="utf-8")
    (tmp_path / "b.toml").write_text("seed = -4\n", encoding="utf-8")
    status, out, _ = run(["check", str(tmp_path), "--json"], capsys)
    marked, unmarked = json.loads(out)
    assert status == 1  # a file could not be marked
    assert (marked["seed"], marked["score"]) == (0, marked["total"])
    assert unmarked == {
        "source": str(tmp_path / "b.toml"),
        "error": "seed must be a whole number from 0 (the variant's number), got -4",
    }
