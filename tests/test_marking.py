r"""``symconv check``: marking answer files against a derived sheet.

Answer files are written into ``tmp_path`` from the derived sheet itself: its
answers' LaTeX for a student who got everything right, and programmatic
mistakes (an index shifted, a count plus one, a shape transposed) for one who
did not. The command is run in-process through :func:`symconv.cli.main`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy
from cli_runner import run
from sympy import Symbol

from symconv import check
from symconv.marking.marks import mark_file
from symconv.sheets import Answer, Sheet, build_sheet

DEFAULT = build_sheet()


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's for the BMP)."""
    return json.dumps(text)


def marked(sheet: Sheet) -> list[tuple[str, Answer]]:
    """Every answer that is marked (free text is not), with its question."""
    return [
        (problem.id, answer)
        for problem in sheet.problems()
        if problem.kind != "text"
        for answer in problem.answers
    ]


def full_latex(answer: Answer) -> str:
    """The answer's LaTeX; a matrix the sheet elides is written out in full instead."""
    if r"\cdots" not in answer.latex:
        return answer.latex
    matrix = sympy.Matrix(answer.value)
    rows = (" & ".join(sympy.latex(v) for v in matrix.row(i)) for i in range(matrix.rows))
    return "\\begin{bmatrix}" + " \\\\ ".join(rows) + "\\end{bmatrix}"


def answer_file(
    path: Path,
    sheet: Sheet,
    *,
    header: dict[str, Any] | None = None,
    change: dict[tuple[str, str], str | None] | None = None,
    extra: str = "",
) -> Path:
    """Write the sheet's answers to ``path``; ``change`` replaces (or with None omits) some."""
    change = change or {}
    lines = [f"{key} = {json.dumps(value)}" for key, value in (header or {}).items()]
    current = None
    for question, answer in marked(sheet):
        text = change.get((question, answer.key), full_latex(answer))
        if text is None:
            continue
        if question != current:
            lines.append(f"\n[{question}]")
            current = question
        lines.append(f"{answer.key} = {toml_string(text)}")
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def line_of(output: str, question: str, key: str) -> str:
    match = re.search(rf"^\s*{re.escape(question)} {re.escape(key)}\s+(.*)$", output, re.MULTILINE)
    assert match, f"no line for {question} {key} in:\n{output}"
    return match.group(1)


def shifted_x(expr: sympy.Expr) -> sympy.Expr:
    """Every x index one higher: the classic off-by-one."""
    return expr.xreplace(
        {
            v: Symbol(f"x_{int(v.name.split('_')[1]) + 1}")
            for v in expr.free_symbols
            if v.name.startswith("x_")
        }
    )


# --------------------------------------------------------------------------
# One student


def test_all_right_exits_zero_with_a_full_score(tmp_path: Path, capsys):
    path = answer_file(tmp_path / "ada.toml", DEFAULT, header={"student": "Ada"})
    status, out, err = run(["check", str(path)], capsys)
    total = len(marked(DEFAULT))
    assert (status, err) == (0, ""), out
    assert f"score {total}/{total}" in out
    assert "Ada" in out
    for question, answer in marked(DEFAULT):
        assert line_of(out, question, answer.key).startswith("right")
    report = mark_file(path)
    assert (report.score, report.total, report.all_right) == (total, total, True)


def test_answers_in_sympy_syntax_are_right_too(tmp_path: Path, capsys):
    change = {
        (q, a.key): sympy.sstr(a.value) if isinstance(a.value, sympy.Basic) else str(a.value)
        for q, a in marked(DEFAULT)
    }
    path = answer_file(tmp_path / "sympy.toml", DEFAULT, change=change)
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 0, out


def test_wrong_answers_are_marked_wrong_with_feedback(tmp_path: Path, capsys):
    first = DEFAULT.problem("1a").answer("first")
    weights = DEFAULT.problem("1h").answer("weights")
    shape = DEFAULT.problem("1c").answer("shape")
    general = DEFAULT.problem("1f").answer("general")
    wrong = {
        ("1a", "first"): sympy.latex(shifted_x(first.value)),
        ("1h", "weights"): str(weights.value + 1),
        ("1c", "shape"): " \\times ".join(map(str, reversed(shape.value))),
        ("1f", "general"): sympy.latex(general.value.replace(sympy.floor, lambda a: a)),
    }
    path = answer_file(tmp_path / "bob.toml", DEFAULT, change=wrong)
    status, out, err = run(["check", str(path)], capsys)
    total = len(marked(DEFAULT))
    assert (status, err) == (1, "")
    assert f"score {total - len(wrong)}/{total}" in out
    for question, answer in marked(DEFAULT):
        line = line_of(out, question, answer.key)
        if (question, answer.key) in wrong:
            assert line.startswith("wrong"), line
            # The feedback is the verdict's, first line, without its "Wrong: ".
            feedback = check(wrong[question, answer.key], answer).message.splitlines()[0]
            assert feedback.removeprefix("Wrong: ") in line
        else:
            assert line.startswith("right"), line
    assert "off by" in line_of(out, "1a", "first")
    assert "floor" in line_of(out, "1f", "general")
    assert "transpose" in line_of(out, "1c", "shape")


def test_missing_answers_are_marked_missing(tmp_path: Path, capsys):
    omitted = {(q, a.key): None for q, a in marked(DEFAULT) if q == "1d"}
    omitted["1h", "dense_weights"] = None
    path = answer_file(tmp_path / "partial.toml", DEFAULT, change=omitted)
    status, out, _ = run(["check", str(path)], capsys)
    total = len(marked(DEFAULT))
    assert status == 1
    for question, key in omitted:
        assert line_of(out, question, key).startswith("missing")
    assert f"score {total - len(omitted)}/{total}" in out


def test_free_text_questions_are_listed_but_not_marked(tmp_path: Path, capsys):
    path = answer_file(tmp_path / "ada.toml", DEFAULT)
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 0
    texts = [p for p in DEFAULT.problems() if p.kind == "text"]
    assert texts
    for problem in texts:
        for answer in problem.answers:
            assert line_of(out, problem.id, answer.key).startswith("not marked")


def test_unknown_questions_and_keys_are_listed_as_ignored(tmp_path: Path, capsys):
    known = {p.id for p in DEFAULT.problems()}
    unknown_question = next(f"{n}z" for n in range(1, 100) if f"{n}z" not in known)
    extra = f'\n[{unknown_question}]\nanswer = "42"\n'
    path = answer_file(tmp_path / "extra.toml", DEFAULT, extra=extra)
    # An unknown key inside a known question, too.
    text = path.read_text(encoding="utf-8").replace("[1a]\n", '[1a]\nguess = "3"\n', 1)
    path.write_text(text, encoding="utf-8")
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 0, out  # ignored entries do not count against the student
    assert f"ignored: {unknown_question} answer" in out
    assert "ignored: 1a guess" in out
    report = mark_file(path)
    assert set(report.ignored) == {f"{unknown_question} answer", "1a guess"}


def test_json_output_parses_and_has_the_scores(tmp_path: Path, capsys):
    wrong = {("1h", "weights"): str(DEFAULT.problem("1h").answer("weights").value - 1)}
    path = answer_file(tmp_path / "j.toml", DEFAULT, header={"student": "Jo"}, change=wrong)
    status, out, err = run(["check", str(path), "--json"], capsys)
    assert (status, err) == (1, "")
    data = json.loads(out)
    total = len(marked(DEFAULT))
    assert (data["score"], data["total"], data["student"]) == (total - 1, total, "Jo")
    statuses = {(m["question"], m["key"]): m["status"] for m in data["marks"]}
    assert statuses["1h", "weights"] == "wrong"
    assert sum(status == "right" for status in statuses.values()) == total - 1
    mark = next(m for m in data["marks"] if (m["question"], m["key"]) == ("1h", "weights"))
    assert str(DEFAULT.problem("1h").answer("weights").value) in mark["message"]


def test_a_counterexample_reaches_the_json(tmp_path: Path, capsys):
    general = DEFAULT.problem("1f").answer("general")
    unfloored = general.value.replace(sympy.floor, lambda a: a)
    path = answer_file(
        tmp_path / "f.toml", DEFAULT, change={("1f", "general"): sympy.latex(unfloored)}
    )
    _, out, _ = run(["check", str(path), "--json"], capsys)
    mark = next(m for m in json.loads(out)["marks"] if m["key"] == "general")
    point = mark["counterexample"]
    assert set(point) == {v.name for v in general.value.free_symbols}
    values = {v: sympy.Integer(point[v.name]) for v in general.value.free_symbols}
    assert general.value.xreplace(values) != unfloored.xreplace(values)


def test_unreadable_answers_are_marked_unreadable(tmp_path: Path, capsys):
    path = answer_file(tmp_path / "u.toml", DEFAULT, change={("1a", "first"): "k_1 x_1 + # k_2"})
    status, out, _ = run(["check", str(path)], capsys)
    assert status == 1
    line = line_of(out, "1a", "first")
    assert line.startswith("unreadable") and "column" in line


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("{size}", "right"),
        ("{size}.0", "right"),
        ("{size_plus}.0", "wrong"),
        ("{size_plus}", "wrong"),
    ],
)
def test_numbers_written_as_toml_numbers(tmp_path: Path, capsys, value: str, status: str):
    size = DEFAULT.problem("1a").answer("size").value
    path = tmp_path / "n.toml"
    path.write_text("[1a]\nsize = " + value.format(size=size, size_plus=size + 1) + "\n")
    code, out, err = run(["check", str(path)], capsys)
    assert code == 1  # the other answers are missing
    assert "Traceback" not in err
    assert line_of(out, "1a", "size").startswith(status)


# --------------------------------------------------------------------------
# Variants


def differing_seed() -> tuple[int, Sheet]:
    """The first seed whose sheet has another answer than the default to some question."""
    for seed in range(1, 200):
        sheet = build_sheet(seed=seed)
        if any(sheet.problem(q).answer(a.key).value != a.value for q, a in marked(DEFAULT)):
            return seed, sheet
    raise AssertionError("no seed changes any answer")


def test_seed_marks_against_that_variant(tmp_path: Path, capsys):
    seed, variant = differing_seed()
    path = answer_file(tmp_path / "v.toml", variant)
    status, out, _ = run(["check", str(path), "--seed", str(seed)], capsys)
    assert status == 0, out
    assert f"variant {seed}" in out
    # The seed may be named in the file instead.
    named = answer_file(tmp_path / "named.toml", variant, header={"seed": seed})
    status, out, _ = run(["check", str(named)], capsys)
    assert status == 0, out


def test_default_answers_fail_against_a_variant_exactly_where_they_differ(tmp_path: Path, capsys):
    seed, variant = differing_seed()
    path = answer_file(tmp_path / "default.toml", DEFAULT)
    status, out, _ = run(["check", str(path), "--seed", str(seed)], capsys)
    assert status == 1
    differ = {
        (q, a.key) for q, a in marked(DEFAULT) if variant.problem(q).answer(a.key).value != a.value
    }
    assert differ
    for question, answer in marked(DEFAULT):
        line = line_of(out, question, answer.key)
        expected = "wrong" if (question, answer.key) in differ else "right"
        assert line.startswith(expected), (question, answer.key, line)
    # Against the default sheet the same file is all right.
    assert run(["check", str(path)], capsys)[0] == 0


# --------------------------------------------------------------------------
# A class


def test_a_folder_gives_every_report_and_a_class_summary(tmp_path: Path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    first = DEFAULT.problem("1a").answer("first")
    weights = DEFAULT.problem("1h").answer("weights")
    students: dict[str, dict[tuple[str, str], str | None]] = {
        "ada": {},
        "bob": {("1a", "first"): sympy.latex(shifted_x(first.value))},
        "cy": {
            ("1a", "first"): sympy.latex(shifted_x(first.value)),
            ("1h", "weights"): str(weights.value + 1),
        },
    }
    for name, change in students.items():
        answer_file(folder / f"{name}.toml", DEFAULT, header={"student": name}, change=change)
    (folder / "notes.txt").write_text("not an answer file")
    status, out, err = run(["check", str(folder)], capsys)
    assert (status, err) == (1, "")
    total = len(marked(DEFAULT))
    summary = out[out.index("answer files marked") :]
    for name, change in students.items():
        score = rf"^{name}\s+{total - len(change)}/{total}\s+{total - len(change)}/{total}$"
        assert re.search(score, summary, re.MULTILINE), (score, summary)
    for question, answer in marked(DEFAULT):
        right = sum((question, answer.key) not in change for change in students.values())
        pattern = rf"^{question} {answer.key}\s+{right}/{len(students)}$"
        assert re.search(pattern, summary, re.MULTILINE), (pattern, summary)
    assert "notes" not in out


def test_a_folder_as_json_is_a_list_of_reports(tmp_path: Path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a", "b"):
        answer_file(folder / f"{name}.toml", DEFAULT, header={"student": name})
    status, out, _ = run(["check", str(folder), "--json"], capsys)
    assert status == 0
    reports = json.loads(out)
    total = len(marked(DEFAULT))
    assert [(r["student"], r["score"], r["total"]) for r in reports] == [
        ("a", total, total),
        ("b", total, total),
    ]


# --------------------------------------------------------------------------
# Failures: exit 2, one line on stderr, no traceback


def one_line_failure(status: int, out: str, err: str) -> str:
    assert status == 2, (status, out, err)
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


BAD_FILES: dict[str, Callable[[Path], Path]] = {
    "bad toml": lambda d: _write(d / "bad.toml", "[1a\nsize = 7\n"),
    "unclosed string": lambda d: _write(d / "bad.toml", '[1a]\nsize = "7\n'),
    "missing file": lambda d: d / "missing.toml",
    "empty folder": lambda d: _mkdir(d / "empty"),
    "not utf-8": lambda d: _write_bytes(d / "latin1.toml", b'[1a]\nsize = "\xe9"\n'),
    "bad seed": lambda d: _write(d / "s.toml", 'seed = "seven"\n'),
    "a folder named x.toml": lambda d: _mkdir(d / "x.toml"),
    "dangling link": lambda d: _symlink(d / "dangling.toml", d / "nowhere.toml"),
    "symlink loop": lambda d: _symlink(d / "loop.toml", d / "loop.toml"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _symlink(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("make", list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_input_exits_two_with_one_line_and_no_traceback(tmp_path: Path, capsys, make):
    path = make(tmp_path)
    status, out, err = run(["check", str(path)], capsys)
    line = one_line_failure(status, out, err)
    assert line.startswith("symconv: error:")


def test_bad_toml_names_the_file(tmp_path: Path, capsys):
    path = _write(tmp_path / "broken.toml", "[1a\n")
    line = one_line_failure(*run(["check", str(path)], capsys))
    assert "broken.toml" in line and "TOML" in line


@pytest.mark.parametrize(
    "answer",
    [
        "Mod(1, 0)",
        "-" * 3000 + "1",
        "f(W, K)",
        "[1, 2] + 1",
    ],
    ids=["mod zero", "3000 minus signs", "function of two", "list plus one"],
)
def test_a_malformed_answer_is_marked_not_a_crash(tmp_path: Path, capsys, answer: str):
    path = answer_file(tmp_path / "m.toml", DEFAULT, change={("1f", "general"): answer})
    status, out, err = run(["check", str(path)], capsys)
    assert status == 1, err
    assert "Traceback" not in err
    assert line_of(out, "1f", "general").split()[0] in ("unreadable", "wrong")


@pytest.mark.parametrize("answer", [r"\bmod(W, s)", r"\left(W\right", "1.41e0", "7 = 9"])
def test_an_answer_that_once_escaped_check_is_marked_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answer: str
):
    path = answer_file(tmp_path / "odd.toml", DEFAULT, change={("1f", "general"): answer})
    status, out, err = run(["check", str(path)], capsys)
    assert (status, err) == (1, ""), err
    assert "Traceback" not in out
    assert not line_of(out, "1f", "general").startswith("right")
