"""Sheets through real TeX: compile them, read the PDFs back with pdftotext.

TeX Live and poppler-utils are installed wherever these tests run (CI installs
them first), so nothing is skipped. Each distinct document is compiled once, in
a module-scoped fixture; the numbers looked for in a PDF are derived here by the
engine from the sheet's parameters, never copied from a sheet.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from symconv import Conv, SymconvError, render_sheet
from symconv.cli import main
from symconv.present.tex import TexError, compile_pdf
from symconv.sheets import Sheet, build_sheet

ROOT = Path(__file__).resolve().parents[1]
VARIANT_SEED, CLI_SEED = 3, 8


# --------------------------------------------------------------------------
# Helpers


def pdf_text(pdf: Path) -> str:
    """What a reader sees: the PDF's text, through pdftotext."""
    assert pdf.read_bytes().startswith(b"%PDF"), pdf
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def compiled(source: str, path: Path) -> str:
    """Compile LaTeX ``source`` with :func:`compile_pdf`, keep it at ``path``, return its text."""
    path.write_bytes(compile_pdf(source))
    return pdf_text(path)


def as_read(number: int) -> str:
    """A number as a pattern: from five digits on, its groups of three may be spaced apart."""
    digits = str(number)
    if len(digits) < 5:
        return digits
    head = len(digits) % 3 or 3
    return r"\s?".join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


def shows(text: str, *numbers: int) -> bool:
    """``text`` shows the number, or the shape ``a × b × c``, as a whole (not inside 1260)."""
    pattern = r"\s*×\s*".join(as_read(n) for n in numbers)
    return re.search(rf"(?<!\d){pattern}(?!\d)", text) is not None


def image_layer(sheet: Sheet, **options) -> Conv:
    """The image layer of problems 1g/1h, from the sheet's parameters."""
    v = sheet.parameters
    return Conv(
        (v["image"], v["image"]),
        v["size"],
        stride=v["stride"],
        in_channels=v["channels"],
        out_channels=v["filters"],
        **options,
    )


def solution_numbers(sheet: Sheet) -> dict[str, tuple[int, ...]]:
    """Numbers a sheet's solutions derive that its questions do not give away."""
    v = sheet.parameters
    layer = image_layer(sheet)
    valid, same = Conv(v["n"], v["k"]), Conv(v["n"], v["k"], padding="same")
    return {
        "output shape of the layer": layer.output_shape,
        "weights of the layer": (layer.weight_count,),
        "weights with bias": (image_layer(sheet, bias=True).weight_count,),
        "weights of the dense layer": (layer.dense_weight_count,),
        "filter shape": layer.filter_shape,
        "valid matrix shape": (valid.output_shape[0], valid.input_shape[0]),
        "same matrix shape": (same.output_shape[0], same.input_shape[0]),
        "unshared weights": (Conv(v["n"], v["k"], shared=False).weight_count,),
    }


def all_numbers(sheet: Sheet) -> dict[str, tuple[int, ...]]:
    """Every number a solution sheet must show: the solution-only ones and the sizes."""
    v = sheet.parameters
    return {
        **solution_numbers(sheet),
        "valid output size": Conv(v["n"], v["k"]).output_shape,
        "same output size": Conv(v["n"], v["k"], padding="same").output_shape,
        "input shape": image_layer(sheet).input_shape,
    }


def model_answers() -> list[str]:
    text = (ROOT / "symconv" / "sheets" / "builtin" / "weight-sharing.toml").read_text()
    return [
        problem["answer"]
        for section in tomllib.loads(text)["section"]
        for problem in section["problem"]
        if problem["kind"] == "text"
    ]


# --------------------------------------------------------------------------
# The documents, each compiled once


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdfs")


@pytest.fixture(scope="module")
def solutions_text(pdfs) -> str:
    return compiled(render_sheet(), pdfs / "solutions.pdf")


@pytest.fixture(scope="module")
def handout_text(pdfs) -> str:
    return compiled(render_sheet(solutions=False), pdfs / "handout.pdf")


@pytest.fixture(scope="module")
def variant_text(pdfs) -> str:
    return compiled(render_sheet(seed=VARIANT_SEED), pdfs / "variant.pdf")


@pytest.fixture(scope="module")
def cli_variant(tmp_path_factory) -> tuple[int, str, Path]:
    """``symconv sheet --seed N --pdf -o FILE`` in-process: (status, stderr, the file)."""
    folder = tmp_path_factory.mktemp("cli")
    output = folder / "variant.pdf"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = main(["sheet", "--seed", str(CLI_SEED), "--pdf", "-o", str(output)])
    return status, stderr.getvalue(), output


HOSTILE = {
    "title": r"\input{/etc/passwd}",
    "course": "#$%&_^~{}",
    "author": r"\end{document}",
}


@pytest.fixture(scope="module")
def hostile_text(pdfs) -> str:
    return compiled(render_sheet(solutions=False, **HOSTILE), pdfs / "hostile.pdf")


# --------------------------------------------------------------------------
# What the PDFs show


@pytest.mark.parametrize("what", list(all_numbers(build_sheet())))
def test_solutions_show_the_derived_numbers(solutions_text, what):
    numbers = all_numbers(build_sheet())[what]
    assert shows(solutions_text, *numbers), f"{what} {numbers} not in the solutions"


def test_solutions_show_every_solution(solutions_text):
    sheet = build_sheet()
    assert solutions_text.count("Solution.") == len(sheet.problems())
    assert sheet.title in solutions_text


@pytest.mark.parametrize("what", list(solution_numbers(build_sheet())))
def test_handout_hides_the_solution_numbers(handout_text, what):
    numbers = solution_numbers(build_sheet())[what]
    assert not shows(handout_text, *numbers), f"{what} {numbers} is on the handout"


def test_handout_has_the_questions_and_no_solutions(handout_text):
    sheet = build_sheet()
    assert "Solution" not in handout_text
    assert "Worked solutions" not in handout_text
    for heading in [sheet.title, *(section.title for section in sheet.sections)]:
        assert heading in handout_text
    words = " ".join(handout_text.split())
    for answer in model_answers():
        opening = " ".join(answer.split()[:6])
        assert opening not in words, f"model answer {opening!r}... is on the handout"


def test_variants_differ_in_their_numbers():
    """The checks below only mean something if the variants' numbers differ."""
    default, variant, other = (build_sheet(seed=s) for s in (None, VARIANT_SEED, CLI_SEED))
    dense = [image_layer(s).dense_weight_count for s in (default, variant, other)]
    assert len(set(dense)) == 3


@pytest.mark.parametrize("what", list(all_numbers(build_sheet(seed=VARIANT_SEED))))
def test_variant_shows_its_own_numbers(variant_text, what):
    numbers = all_numbers(build_sheet(seed=VARIANT_SEED))[what]
    assert shows(variant_text, *numbers), f"{what} {numbers} not in variant {VARIANT_SEED}"


def before_first_section(text: str, sheet: Sheet) -> str:
    """The title block: the text up to the first section, less that section's number."""
    return re.sub(r"\s1\s*$", "", text[: text.index(sheet.sections[0].title)])


def test_variant_is_labelled_with_its_seed_and_not_the_default(variant_text, solutions_text):
    variant, default = build_sheet(seed=VARIANT_SEED), build_sheet()
    assert shows(before_first_section(variant_text, variant), VARIANT_SEED)
    assert not re.search(r"\d", before_first_section(solutions_text, default))
    assert not shows(variant_text, image_layer(default).dense_weight_count)


def test_cli_pdf_writes_the_variant(cli_variant):
    status, stderr, output = cli_variant
    assert status == 0, stderr
    assert len(stderr.splitlines()) == 1 and output.name in stderr
    assert [p.name for p in output.parent.iterdir()] == [output.name]  # no aux or partial files
    sheet = build_sheet(seed=CLI_SEED)
    text = pdf_text(output)
    assert shows(before_first_section(text, sheet), CLI_SEED)
    for what, numbers in all_numbers(sheet).items():
        assert shows(text, *numbers), f"{what} {numbers} not in variant {CLI_SEED}"


@pytest.mark.parametrize("field", HOSTILE)
def test_hostile_text_prints_as_plain_text(hostile_text, field):
    lines = [line.strip() for line in hostile_text.splitlines()]
    assert HOSTILE[field] in lines, f"{HOSTILE[field]!r} not shown as typed:\n{hostile_text[:300]}"


def test_hostile_text_neither_reads_files_nor_ends_the_document(hostile_text):
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    assert passwd not in hostile_text
    sheet = build_sheet()
    assert sheet.sections[-1].title in hostile_text  # the document went on to the end


def test_multiline_texts_from_toml_compile(pdfs):
    """A TOML multi-line string may hold a blank line, in a title as well as in prose."""
    path = pdfs / "paragraphs.toml"
    path.write_text(
        'title = "Paragraphs"\n'
        '[[section]]\ntitle = """First line\n\nsecond line"""\n'
        'intro = """One paragraph.\n\nAnother paragraph."""\n'
        '[[section.problem]]\nkind = "text"\n'
        'question = """Part one.\n\nPart two?"""\nanswer = "Yes."\n',
        encoding="utf-8",
    )
    text = compiled(render_sheet(path), pdfs / "paragraphs.pdf")
    words = " ".join(text.split())
    for phrase in ("First line", "second line", "Another paragraph.", "Part two?"):
        assert phrase in words


# --------------------------------------------------------------------------
# When TeX fails


def test_latex_error_reports_the_first_error_in_one_line():
    source = "\n".join(
        [
            r"\documentclass{article}",
            r"\begin{document}",
            "Fine so far.",
            r"\undefinedmacro",
            r"x^2 outside math",
            r"\end{document}",
        ]
    )
    first_error_line = source.splitlines().index(r"\undefinedmacro") + 1
    with pytest.raises(TexError) as info:
        compile_pdf(source)
    message = str(info.value)
    assert "\n" not in message
    assert "Undefined control sequence" in message
    assert f"line {first_error_line}" in message
    assert isinstance(info.value, SymconvError)


def test_missing_tex_names_the_install_command(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    with pytest.raises(TexError) as info:
        compile_pdf(render_sheet())
    assert "apt-get install" in str(info.value)
    assert "texlive" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_cli_pdf_without_tex_fails_in_one_line_and_writes_nothing(
    capsys, workdir, tmp_path, monkeypatch
):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    status = main(["sheet", "--pdf", "-o", "sheet.pdf"])
    _, err = capsys.readouterr()
    assert status != 0
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "apt-get install" in err
    assert list(workdir.iterdir()) == []


FAILING_TEX = """#!/bin/sh
printf '%%PDF-1.5 half a PDF' > sheet.pdf
printf 'This is a fake TeX\\n! Fake failure here.\\nl.7 \\\\oops\\n' > sheet.log
exit 1
"""


def test_cli_pdf_failing_tex_keeps_the_old_file_and_leaves_no_part(
    capsys, workdir, tmp_path, monkeypatch
):
    """A TeX run that writes half a PDF and fails: the old output stays whole."""
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    for name in ("latexmk", "pdflatex"):
        (fake / name).write_text(FAILING_TEX)
        (fake / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    (workdir / "sheet.pdf").write_bytes(b"%PDF the previous sheet")
    status = main(["sheet", "--pdf", "-o", "sheet.pdf"])
    _, err = capsys.readouterr()
    assert status != 0
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "Fake failure here." in err and "line 7" in err
    assert [p.name for p in workdir.iterdir()] == ["sheet.pdf"]
    assert (workdir / "sheet.pdf").read_bytes() == b"%PDF the previous sheet"


def test_compile_reads_no_file_outside_its_folder(tmp_path):
    """TeX runs paranoid: an absolute \\input is refused (unrestricted, this one compiles)."""
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRETWORD\n")
    with pytest.raises(TexError):
        compile_pdf(
            f"\\documentclass{{article}}\\begin{{document}}\\input{{{secret}}}\\end{{document}}"
        )


def test_compile_runs_no_shell_command(tmp_path):
    marker = tmp_path / "shell-escape-ran"
    pdf = compile_pdf(
        "\\documentclass{article}\n\\begin{document}\n"
        f"\\immediate\\write18{{touch {marker}}}Text.\n\\end{{document}}\n"
    )
    assert pdf.startswith(b"%PDF")
    assert not marker.exists()


# --------------------------------------------------------------------------
# Installed from a wheel


def test_installed_package_writes_the_sheet_from_anywhere(tmp_path):
    """``pip install .`` into a clean venv: the templates and sheets ship in the package."""
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"

    def pip(*args: str) -> None:
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *args],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pip(*dependencies)
    pip("--no-deps", str(source))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=elsewhere, capture_output=True, text=True, env=env, check=False
        )

    where = run(str(python), "-c", "import symconv; print(symconv.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    written = run(str(venv / "bin" / "symconv"), "sheet", "-o", "out.tex")
    assert written.returncode == 0, written.stderr
    assert (elsewhere / "out.tex").read_text(encoding="utf-8") == render_sheet()

    listed = run(str(venv / "bin" / "symconv"), "sheet", "--list")
    assert listed.returncode == 0 and "weight-sharing" in listed.stdout
