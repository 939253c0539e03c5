#!/usr/bin/env python
"""Benchmark of marking answer files (``symconv check``) against a naive SymPy baseline.

Run from the repository root::

    python benchmarks/bench_check.py             # 60 files, 1,140 answers, ~20 s
    python benchmarks/bench_check.py --quick     # 12 files, smoke run
    python benchmarks/bench_check.py --files 120 --runs 5
    python benchmarks/bench_check.py --hostile   # only the hostile answers, ~30 s
    python benchmarks/bench_check.py --class-only    # only table 4, a class folder

Machine information and Markdown tables go to stdout, progress to stderr. The
script imports the ``symconv`` of this checkout and exits with status 1 if any
answer is marked other than intended.

What is measured
----------------
A class of answer files is written into a temporary folder: ``--files`` students
(default 60), each answering every marked question of the weight-sharing sheet
(19 answers each, 1,140 in all), the students spread over the default sheet and
three seeded variants the way a class with variants is. Each answer is drawn by
a seeded random generator from the ways people write it, built programmatically
from the derived sheet (no answer is typed in here):

- right, as the sheet prints it (LaTeX) or in SymPy syntax;
- right but in another form: terms in another order, plain ``k_1 x_1`` LaTeX,
  ``floor((W + 2p - K + s)/s)`` for the general size, thousands separators,
  scientific notation to 4 significant digits, a shape as ``a x b x c``;
- wrong the usual ways: x indices off by one, the kernel flipped, a term
  dropped, the floor omitted, the ``+ 1`` omitted, a shape transposed or one
  size off, a count off in its last digit, a wrong digit in scientific
  notation, a matrix entry changed or the matrix transposed.

Every answer carries the mark it should get ("right" or "wrong"), known by
construction. Table 1 times ``symconv.marking.marks.mark_file`` over every file (TOML
reading, parsing each answer, deciding it, feedback), with SymPy's cache and
marking's sheet cache cleared before each run, so every run derives its sheets
afresh; the median of ``--runs`` runs. Target: 1,000 answers in under 10 s.

Why the naive baseline is what it is
------------------------------------
Without symconv one would compare a SymPy object of the answer with the derived
value: ``sympy.simplify(given - expected) == 0`` for formulas (and entrywise
for matrices), ``==`` for shapes and counts. The baseline is handed the answers
**already as SymPy objects** (built alongside the text, not parsed: SymPy's own
``parse_latex`` needs ANTLR and ``sympify`` calls ``eval``), so it does no
reading at all and gives no feedback; its time is only the comparisons. It
cannot prove ``floor`` identities, and it takes ``9.988e10`` for its exact
value, so it disagrees with the intended marks there; table 1 counts how often.

Table 3 (``--hostile``) runs each hostile input of ``tests/test_hostile_limits.py``
(the red-team inputs that once ran past the limit, escaped, or grew to
gigabytes) in a forked child at the default time limit and reports its seconds
and the growth of its peak resident memory, against the contract: the time
limit plus 0.5 s, and under 1 GB.

Table 2 splits both by kind of answer: ``check()`` on each answer's text
against the derived value (the same work ``mark_file`` does per answer), and
the baseline on its object, in ms per answer.

Table 4 marks a class folder the way an instructor does, as a whole process:
``symconv check FOLDER --csv -o grades.csv`` on ``--class-files`` students
(default 200, written as above) plus three broken files (malformed TOML, a
symbolic link loop, a folder named ``x.toml``). The CSV is read back: every
student must have a row with each answer's points as intended, and every broken
file a row with its reason. Target: 200 files in under 10 s, Python's start
and symconv's import included.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's symconv

import sympy  # noqa: E402
from machine import START, cpu_name, progress  # noqa: E402
from sympy import Add, Expr, Integer, Matrix, Symbol, floor  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

import symconv  # noqa: E402
from symconv import check  # noqa: E402
from symconv.marking import marks as marking_module  # noqa: E402
from symconv.marking.marks import mark_file  # noqa: E402
from symconv.sheets import Answer, Sheet, build_sheet  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_ANSWERS = 1000
TARGET_CLASS_FILES = 200
BROKEN_FILES = ("broken-toml.toml", "broken-loop.toml", "broken-folder.toml")
VARIANTS = (None, 1, 2, 3)


# Answers as people write them ----------------------------------------------


@dataclass(frozen=True)
class Written:
    """One answer as a student wrote it: the text, the same as a SymPy object, the intended mark."""

    kind: str  # e.g. "element: x off by one"
    text: str
    value: Any  # what the naive baseline is handed instead of the text
    right: bool


def latex_plain(expr: Expr) -> str:
    """``k_{1} x_{1}`` written ``k_1 x_1`` (single-digit indices only, as LaTeX allows)."""
    import re

    return re.sub(r"_\{(\d)\}", r"_\1", sympy.latex(expr))


def reindexed(expr: Any, letter: str, index: Callable[[int], int]) -> Any:
    mapping = {}
    for symbol in expr.free_symbols:
        name, _, number = symbol.name.partition("_")
        if name == letter and number.isdigit():
            mapping[symbol] = Symbol(f"{letter}_{index(int(number))}")
    return expr.xreplace(mapping)


def sum_text(terms: list[Expr]) -> str:
    return " + ".join(sympy.latex(t) for t in terms)


def kernel_size(sheet: Sheet) -> int:
    return max(
        int(v.name.split("_")[1])
        for p in sheet.problems()
        for a in p.answers
        if isinstance(a.value, Expr)
        for v in a.value.free_symbols
        if v.name.startswith("k_")
    )


def matrix_latex(matrix: Matrix) -> str:
    rows = (" & ".join(sympy.latex(v) for v in matrix.row(i)) for i in range(matrix.rows))
    return "\\begin{bmatrix}\n" + " \\\\\n".join(rows) + "\n\\end{bmatrix}"


def scientific(value: int, digits: int, bump: int = 0) -> tuple[str, Any]:
    """``value`` to ``digits`` significant digits, the last one moved by ``bump``: text, value."""
    exponent = len(str(value)) - 1
    mantissa = round(sympy.Rational(value, 10 ** (exponent - digits + 1))) + bump
    if mantissa >= 10**digits:
        mantissa, exponent = mantissa // 10, exponent + 1
    text = str(mantissa)
    shown = text[0] + "." + text[1:]
    exact = sympy.Rational(mantissa) * Integer(10) ** (exponent - digits + 1)
    return rf"{shown} \times 10^{{{exponent}}}", exact


def ways(answer: Answer, sheet: Sheet) -> list[Written]:
    """Every way this benchmark writes ``answer``: right ones first, then wrong ones."""
    value = answer.value
    out: list[Written] = []
    if isinstance(value, sympy.MatrixBase):
        m = Matrix(value)
        out += [
            Written("matrix: right, LaTeX", matrix_latex(m), m, True),
            Written("matrix: right, SymPy", sympy.sstr(m), m, True),
        ]
        changed = m.copy()
        i, j = sorted(m.todok())[len(m.todok()) // 2]
        changed[i, j] = 0
        out.append(Written("matrix: wrong, entry changed", matrix_latex(changed), changed, False))
        if m.rows != m.cols:
            out.append(Written("matrix: wrong, transposed", matrix_latex(m.T), m.T, False))
        return out
    if isinstance(value, tuple):
        a_x_b = " x ".join(map(str, value))
        out += [
            Written("shape: right, LaTeX", answer.latex, value, True),
            Written("shape: right, a x b", a_x_b, value, True),
            Written("shape: right, tuple", str(value), value, True),
        ]
        reordered = tuple(reversed(value))
        if reordered == value:
            reordered = value[1:] + value[:1]
        if reordered != value:
            out.append(Written("shape: wrong, axes reordered", str(reordered), reordered, False))
        off = (value[0] + 1, *value[1:])
        out.append(Written("shape: wrong, one size off", " x ".join(map(str, off)), off, False))
        return out
    if isinstance(value, int):
        out += [
            Written("count: right", str(value), value, True),
            Written("count: right, separators", f"{value:,}", value, True),
            Written("count: wrong, last digit", str(value + 1), value + 1, False),
        ]
        if value >= 10**6:
            text, exact = scientific(value, 4)
            out.append(Written("count: right, scientific", text, exact, True))
            text, exact = scientific(value, 4, bump=1)
            out.append(Written("count: wrong, scientific digit", text, exact, False))
        return out
    assert isinstance(value, Expr)
    if value.has(floor):
        (inner,) = value.atoms(floor)
        numerator, denominator = sympy.fraction(inner.args[0])
        alternative = f"floor(({sympy.sstr(numerator)} + {denominator})/{denominator})"
        alt_value = floor((numerator + denominator) / denominator)
        unfloored = value.replace(floor, lambda argument: argument)
        return [
            Written("size formula: right, LaTeX", answer.latex, value, True),
            Written("size formula: right, SymPy", sympy.sstr(value), value, True),
            Written("size formula: right, floor((W+2p-K+s)/s)", alternative, alt_value, True),
            Written("size formula: wrong, floor omitted", sympy.latex(unfloored), unfloored, False),
            Written("size formula: wrong, + 1 omitted", sympy.latex(value - 1), value - 1, False),
        ]
    if not any(v.name.startswith("x_") for v in value.free_symbols):
        return [
            Written("size formula: right, LaTeX", answer.latex, value, True),
            Written("size formula: right, reordered", f"1 + {sympy.sstr(value - 1)}", value, True),
            Written("size formula: wrong, off by one", sympy.sstr(value + 1), value + 1, False),
        ]
    terms = list(Add.make_args(value))
    size = kernel_size(sheet)
    shifted = reindexed(value, "x", lambda i: i + 1)
    flipped = reindexed(value, "k", lambda i: size + 1 - i)
    out += [
        Written("element: right, LaTeX", answer.latex, value, True),
        Written("element: right, SymPy", sympy.sstr(value), value, True),
        Written("element: right, k_1 x_1", latex_plain(value), value, True),
        Written("element: right, terms reversed", sum_text(terms[::-1]), value, True),
        Written("element: wrong, x off by one", sympy.latex(shifted), shifted, False),
        Written("element: wrong, a term dropped", sum_text(terms[:-1]), Add(*terms[:-1]), False),
    ]
    if flipped != value:
        out.append(Written("element: wrong, kernel flipped", sympy.latex(flipped), flipped, False))
    return out


def pick(options: list[Written], rng: random.Random) -> Written:
    """Right 60% of the time, as a class that has mostly understood."""
    right = [w for w in options if w.right]
    wrong = [w for w in options if not w.right]
    return rng.choice(right if rng.random() < 0.6 or not wrong else wrong)


@dataclass(frozen=True)
class Student:
    path: Path
    seed: int | None
    answers: dict[tuple[str, str], Written]


def toml_string(text: str) -> str:
    import json

    return json.dumps(text)


def write_class(folder: Path, files: int, rng: random.Random) -> list[Student]:
    sheets = {seed: build_sheet(seed=seed) for seed in VARIANTS}
    students = []
    for n in range(files):
        seed = VARIANTS[n % len(VARIANTS)]
        sheet = sheets[seed]
        lines = [f'student = "student {n + 1:03d}"']
        if seed is not None:
            lines.append(f"seed = {seed}")
        answers = {}
        for problem in sheet.problems():
            if problem.kind == "text":
                continue
            lines.append(f"\n[{problem.id}]")
            for answer in problem.answers:
                written = pick(ways(answer, sheet), rng)
                answers[problem.id, answer.key] = written
                lines.append(f"{answer.key} = {toml_string(written.text)}")
        path = folder / f"student-{n + 1:03d}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        students.append(Student(path, seed, answers))
    return students


# The naive baseline ----------------------------------------------------------


def naive_right(given: Any, expected: Any) -> bool:
    """``simplify(given - expected) == 0`` on SymPy objects; ``==`` for shapes."""
    if isinstance(expected, tuple):
        return tuple(given) == expected
    if isinstance(expected, sympy.MatrixBase):
        if given.shape != expected.shape:
            return False
        difference = Matrix(given) - Matrix(expected)
        return all(sympy.simplify(entry) == 0 for entry in difference)
    return bool(sympy.simplify(given - expected) == 0)


# Runs --------------------------------------------------------------------------


def clear_caches() -> None:
    # The derived sheets and the verdicts marking remembers for texts it has seen.
    for name in ("_derived", "_remembered"):
        cache = getattr(marking_module, name, None)
        if cache is not None and hasattr(cache, "cache_clear"):
            cache.cache_clear()
    clear_cache()
    gc.collect()


def run_symconv(students: list[Student]) -> tuple[float, list[Any]]:
    clear_caches()
    start = time.perf_counter()
    reports = [mark_file(student.path) for student in students]
    return time.perf_counter() - start, reports


def run_naive(students: list[Student]) -> tuple[float, int]:
    sheets = {seed: build_sheet(seed=seed) for seed in VARIANTS}
    clear_cache()
    gc.collect()
    agree = 0
    start = time.perf_counter()
    for student in students:
        sheet = sheets[student.seed]
        for (question, key), written in student.answers.items():
            verdict = naive_right(written.value, sheet.problem(question).answer(key).value)
            agree += verdict == written.right
    return time.perf_counter() - start, agree


def per_kind(students: list[Student]) -> dict[str, dict[str, Any]]:
    """check() and the baseline on every answer, grouped by kind."""
    sheets = {seed: build_sheet(seed=seed) for seed in VARIANTS}
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"n": 0, "symconv": 0.0, "naive": 0.0, "symconv ok": 0, "naive ok": 0}
    )
    clear_cache()
    for student in students:
        sheet = sheets[student.seed]
        for (question, key), written in student.answers.items():
            expected = sheet.problem(question).answer(key).value
            row = rows[written.kind]
            start = time.perf_counter()
            verdict = check(written.text, expected)
            row["symconv"] += time.perf_counter() - start
            start = time.perf_counter()
            naive = naive_right(written.value, expected)
            row["naive"] += time.perf_counter() - start
            row["n"] += 1
            row["symconv ok"] += verdict.ok == written.right
            row["naive ok"] += naive == written.right
    return dict(sorted(rows.items()))


def write_broken(folder: Path) -> None:
    """Three files no one can read, as they turn up in a class folder."""
    toml, loop, directory = (folder / name for name in BROKEN_FILES)
    toml.write_text("student = \n[1a\n", encoding="utf-8")
    loop.symlink_to(loop)
    directory.mkdir()


def run_class(folder: Path, grades: Path) -> tuple[float, int]:
    """``symconv check FOLDER --csv -o grades.csv`` as a whole process: seconds, exit status."""
    command = [sys.executable, "-m", "symconv", "check", str(folder), "--csv", "-o", str(grades)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"symconv check failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, done.returncode


def class_agreement(students: list[Student], grades: Path) -> tuple[int, int, list[str]]:
    """Answers marked as intended and broken files listed, read back from the CSV."""
    rows = {row["file"]: row for row in csv.DictReader(grades.open(encoding="utf-8"))}
    agree, problems = 0, []
    for student in students:
        row = rows.get(student.path.name)
        if row is None or row["error"]:
            problems.append(f"{student.path.name}: not reported")
            continue
        for (question, key), written in student.answers.items():
            earned = row[f"{question} {key}"]
            if (earned != "0") == written.right:
                agree += 1
            else:
                problems.append(
                    f"{student.path.name} {question} {key}: {earned} for {written.text}"
                )
    listed = sum(bool(rows.get(name, {}).get("error")) for name in BROKEN_FILES)
    problems += [
        f"{name}: not listed" for name in BROKEN_FILES if not rows.get(name, {}).get("error")
    ]
    return agree, listed, problems


def class_benchmark(args: argparse.Namespace) -> tuple[str, list[str]]:
    """Table 4: a class folder marked by the command, as an instructor runs it."""
    rng = random.Random(args.seed + 1)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        answers_folder = root / "class"
        answers_folder.mkdir()
        progress(f"writing a class of {args.class_files} answer files and 3 broken ones")
        students = write_class(answers_folder, args.class_files, rng)
        write_broken(answers_folder)
        grades = root / "grades.csv"
        times = []
        for run in range(args.runs):
            progress(f"symconv check FOLDER --csv, run {run + 1}/{args.runs}")
            seconds, _ = run_class(answers_folder, grades)
            times.append(seconds)
        agree, listed, problems = class_agreement(students, grades)
    answers = sum(len(s.answers) for s in students)
    seconds = statistics.median(times)
    # Python's start is a fixed cost: a smaller class keeps the whole target.
    target = TARGET_SECONDS * max(1.0, args.class_files / TARGET_CLASS_FILES)
    met = "**met**" if seconds < target else "**MISSED**"
    text = "\n".join(
        [
            f"\n## 4. A class folder: {args.class_files} answer files and "
            f"{len(BROKEN_FILES)} broken ones, `symconv check FOLDER --csv -o grades.csv`\n",
            table(
                [
                    "files",
                    "answers",
                    "median s (runs)",
                    "ms / file",
                    "as intended",
                    "broken listed",
                ],
                [
                    [
                        f"{args.class_files} + {len(BROKEN_FILES)}",
                        f"{answers:,}",
                        f"{seconds:.2f} ({args.runs})",
                        f"{seconds / args.class_files * 1e3:.1f}",
                        f"{agree}/{answers}",
                        f"{listed}/{len(BROKEN_FILES)}",
                    ]
                ],
            ),
            f"\nTarget: {TARGET_CLASS_FILES} files in under {TARGET_SECONDS:g} s (a whole "
            f"process, Python's start and symconv's import included): {met}.",
        ]
    )
    return text, problems


# Reporting ---------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "| --- |" + " ---: |" * (len(header) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine_info(args: argparse.Namespace) -> str:
    cpu = cpu_name()
    return "\n".join(
        [
            f"- files: {args.files}, class files: {args.class_files}, runs: {args.runs}, "
            f"random seed: {args.seed}",
            f"- python: {platform.python_implementation()} {platform.python_version()}",
            f"- sympy: {sympy.__version__}",
            f"- symconv: {symconv.__version__} from {Path(symconv.__file__).parent}",
            f"- cpu: {cpu}; {os.cpu_count()} logical cores (everything here runs on one)",
            f"- os: {platform.platform()}",
        ]
    )


def hostile() -> int:
    """Table 3: each hostile input of the test suite in a forked child, at the default
    time limit: seconds and growth of peak memory, against the contract."""
    import multiprocessing
    import resource

    sys.path.insert(0, str(REPO / "tests"))
    from test_hostile_limits import CASES

    from symconv.answers.checking import TIME_LIMIT

    def child(answer: str, expected: Any, results: Any) -> None:
        with open("/proc/self/statm") as statm:
            before = int(statm.read().split()[1]) * resource.getpagesize()
        start = time.perf_counter()
        verdict = check(answer, expected)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        results.put((seconds, max(peak - before, 0), verdict.message.splitlines()[0][:60]))

    context = multiprocessing.get_context("fork")
    rows, worst = [], 0.0
    for name, (answer, expected) in CASES.items():
        progress(f"hostile: {name}")
        results = context.Queue()
        process = context.Process(target=child, args=(answer, expected, results))
        process.start()
        process.join(TIME_LIMIT + 10)
        if process.is_alive():
            process.kill()
            rows.append([name, "killed", "", ""])
            worst = math.inf
            continue
        seconds, memory, message = results.get(timeout=10)
        worst = max(worst, seconds)
        rows.append([name, f"{seconds:.2f}", f"{memory / 2**20:.0f}", message.replace("|", "/")])
    print(f"\n## 3. Hostile answers against the limit ({TIME_LIMIT:g} s + 0.5 s, 1 GB)\n")
    print(table(["input", "seconds", "MB of peak growth", "verdict"], rows))
    within = worst <= TIME_LIMIT + 0.5
    print(f"\nWorst: {worst:.2f} s; " + ("within the limit." if within else "OVER THE LIMIT."))
    return 0 if within else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=60, help="answer files (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the answers")
    parser.add_argument("--quick", action="store_true", help="12 files, 1 run")
    parser.add_argument(
        "--hostile", action="store_true", help="only table 3: hostile answers against the limit"
    )
    parser.add_argument(
        "--class-files", type=int, default=TARGET_CLASS_FILES, help="files of table 4 (200)"
    )
    parser.add_argument("--class-only", action="store_true", help="only table 4")
    args = parser.parse_args(argv)
    if args.hostile:
        print(machine_info(args))
        return hostile()
    if args.quick:
        args.files, args.runs, args.class_files = 12, 1, 20
    if args.class_only:
        print("# symconv class-marking benchmark\n")
        print(machine_info(args))
        text, problems = class_benchmark(args)
        print(text)
        print("\n".join(f"- {problem}" for problem in problems[:20]) or "Every file as intended.")
        return 1 if problems else 0

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        progress(f"writing {args.files} answer files")
        students = write_class(Path(folder), args.files, rng)
        answers = sum(len(s.answers) for s in students)
        progress("warm-up")
        mark_file(students[0].path)
        symconv_times, naive_times = [], []
        reports: list[Any] = []
        naive_agree = 0
        for run in range(args.runs):
            progress(f"symconv mark_file, run {run + 1}/{args.runs}")
            seconds, reports = run_symconv(students)
            symconv_times.append(seconds)
            progress(f"naive simplify, run {run + 1}/{args.runs}")
            seconds, naive_agree = run_naive(students)
            naive_times.append(seconds)
        progress("per kind of answer")
        kinds = per_kind(students)

    symconv_agree = 0
    mismatches = []
    for student, report in zip(students, reports, strict=True):
        for mark in report.marks:
            written = student.answers.get((mark.question, mark.key))
            if written is None:
                continue
            intended = "right" if written.right else "wrong"
            if mark.status == intended:
                symconv_agree += 1
            else:
                mismatches.append(
                    (student.path.name, mark.question, mark.key, mark.status, written)
                )
    right_share = sum(w.right for s in students for w in s.answers.values()) / answers

    symconv_s = statistics.median(symconv_times)
    naive_s = statistics.median(naive_times)
    met = "**met**" if symconv_s * TARGET_ANSWERS / answers < TARGET_SECONDS else "**MISSED**"

    print("# symconv answer-checking benchmark\n")
    print(machine_info(args))
    print(
        f"\n## 1. Marking {answers:,} answers in {args.files} files "
        f"({right_share:.0%} written right)\n"
    )
    print(
        table(
            [
                "method",
                "answers",
                "median s (runs)",
                "ms / answer",
                "answers / s",
                "marks as intended",
            ],
            [
                [
                    "symconv `mark_file` (reads TOML, parses text, decides, feedback)",
                    f"{answers:,}",
                    f"{symconv_s:.2f} ({args.runs})",
                    f"{symconv_s / answers * 1e3:.2f}",
                    f"{answers / symconv_s:,.0f}",
                    f"{symconv_agree}/{answers}",
                ],
                [
                    "naive `simplify(given - expected) == 0` on SymPy objects (no parsing)",
                    f"{answers:,}",
                    f"{naive_s:.2f} ({args.runs})",
                    f"{naive_s / answers * 1e3:.2f}",
                    f"{answers / naive_s:,.0f}",
                    f"{naive_agree}/{answers}",
                ],
            ],
        )
    )
    print(
        f"\nTarget: {TARGET_ANSWERS:,} answers in under {TARGET_SECONDS:g} s; symconv takes "
        f"{symconv_s * TARGET_ANSWERS / answers:.2f} s per {TARGET_ANSWERS:,}: {met}. "
        f"symconv / naive time: {symconv_s / naive_s:.2f}x (the naive is handed parsed objects "
        "and gives no feedback)."
    )
    print("\n## 2. By kind of answer: `check()` on the text vs the naive on the object\n")
    rows = []
    for kind, row in kinds.items():
        rows.append(
            [
                kind,
                str(row["n"]),
                f"{row['symconv'] / row['n'] * 1e3:.2f}",
                f"{row['symconv ok']}/{row['n']}",
                f"{row['naive'] / row['n'] * 1e3:.2f}",
                f"{row['naive ok']}/{row['n']}",
            ]
        )
    print(
        table(
            ["answer", "n", "symconv ms", "symconv as intended", "naive ms", "naive as intended"],
            rows,
        )
    )
    class_text, class_problems = class_benchmark(args)
    print(class_text)
    elapsed = time.perf_counter() - START
    print(f"\nTotal wall time {elapsed:.0f} s.")
    if class_problems:
        print(f"\n**{len(class_problems)} problems in the class folder:**\n")
        print("\n".join(f"- {problem}" for problem in class_problems[:20]))
        return 1
    if mismatches:
        print(f"\n**{len(mismatches)} answers marked other than intended:**\n")
        for name, question, key, status, written in mismatches[:20]:
            print(
                f"- {name} {question} {key}: {status}, intended {written.kind!r}: `{written.text}`"
            )
        return 1
    print("Every answer was marked as intended.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
