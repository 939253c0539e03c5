"""Every sheet at many seeds, through real TeX: nothing runs off the page, every page is named.

Each built-in and example sheet (and two of our own: one of wide layers, one
using the authoring features) is rendered at 30 seeds as ONE class set per mode
(solutions and handout) and compiled once with pdflatex; the log must report no
overfull box wider than 1 pt, figures and matrices included. The class set's
pages are then read back with pdftotext, each naming its own variant and
numbering its own pages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from symconv.sheets import build_sheet, render_sheets, sheet_names

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(30)
TOLERANCE_PT = 1.0

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

WIDE = """
title = "Wide layers"
[variables]
w = { default = 6, min = 5, max = 8 }
k = { default = 3, choices = [2, 3, 4] }
s = { default = 2, choices = [1, 2] }
c = { default = 2, choices = [1, 2, 3] }
n = { default = 14, min = 10, max = 16 }

[[section]]
title = "Images and long inputs"
intro = "An input of {{ w }} by {{ w }} pixels; a kernel of {{ k * k }} weights per channel."
  [[section.problem]]
  kind = "elements"
  input = ["$w", "$w"]
  kernel = "$k"
  stride = "$s"
  padding = 1
  figure = true
  element = [2, 2]
  [[section.problem]]
  kind = "matrix"
  input = ["$w", "$w"]
  kernel = "$k"
  stride = "$s"
  padding = 1
  [[section.problem]]
  kind = "matrix"
  input = ["$w", "$w"]
  kernel = 3
  in_channels = "$c"
  out_channels = 2
  [[section.problem]]
  kind = "unshared"
  input = ["$w", "$w"]
  kernel = "$k"
  stride = "$s"
  [[section.problem]]
  kind = "unshared"
  input = "$n"
  kernel = "$k"
  dilation = 2
  [[section.problem]]
  kind = "matrix"
  input = "$n"
  kernel = "$k"
  padding = "full"
  [[section.problem]]
  kind = "elements"
  input = "$n"
  kernel = "$k"
  dilation = 3
  padding = "same"
  circular = true
  figure = true
  [[section.problem]]
  kind = "transpose"
  input = ["$w", "$w"]
  kernel = 3
  stride = 2
  padding = 1
  [[section.problem]]
  kind = "equivariance"
  input = ["$w", "$w"]
  kernel = 3
  padding = "same"
  [[section.problem]]
  kind = "counts"
  image = [224, 224]
  channels = 3
  filters = 64
  kernel = 7
  stride = 2
  padding = 3
  [[section.problem]]
  kind = "stack"               # long layer names and MACs in the hundreds of millions
  input = [3, 224, 224]
  layers = [
    { type = "conv", kernel = 7, out_channels = 64, stride = 2, padding = 3, bias = true },
    { type = "batchnorm" },
    { type = "relu" },
    { type = "pool", kernel = 3, stride = 2, padding = 1 },
    { type = "conv", kernel = 3, out_channels = 64, padding = 1, groups = 64 },
    { type = "conv", kernel = 1, out_channels = 128 },
    { type = "flatten" },
    { type = "dense", out_features = 1000, bias = true },
  ]
"""

AUTHORED = r"""
title = "Outputs of a {{ n }}-long input"
[variables]
n = { default = 9, min = 7, max = 12 }
k = { default = 3, choices = [2, 3, 4] }

[[section]]
title = "Counting outputs"
intro = "A {{ k }}-tap kernel over {{ n }} inputs gives {{ n - k + 1 }} outputs: $y = Kx$."
  [[section.problem]]
  kind = "elements"
  input = "$n"
  kernel = "$k"
  element = 2
  question = 'Which of the {{ n - k + 1 }} outputs of $\mathbf{y} = K\mathbf{x}$ is $y_2$?'
  [[section.problem]]
  kind = "text"
  question = "Why are there {{ n - k + 1 }} outputs and not {{ n }}?"
  answer = "The window of {{ k }} taps fits at {{ n - k + 1 }} positions: $n - k + 1$."
"""


def own_sheets(folder: Path) -> dict[str, Path]:
    for name, text in (("wide", WIDE), ("authored", AUTHORED)):
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return {name: folder / f"{name}.toml" for name in ("wide", "authored")}


def every_sheet(folder: Path) -> dict[str, str | Path]:
    sheets: dict[str, str | Path] = {name: name for name in sheet_names()}
    sheets.update({path.stem: path for path in sorted((ROOT / "examples").glob("*.toml"))})
    sheets.pop("answers", None)  # an answer file, not a sheet
    sheets.update(own_sheets(folder))
    return sheets


def pdflatex(tex: Path, runs: int = 1) -> str:
    """Compile in ``tex``'s folder (no shell escape, no files outside it); return the log."""
    environment = {**os.environ, "openin_any": "p", "openout_any": "p"}
    for _ in range(runs):
        result = subprocess.run(
            [
                "pdflatex",
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-no-shell-escape",
                tex.name,
            ],
            cwd=tex.parent,
            capture_output=True,
            text=True,
            env=environment,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
        log = tex.with_suffix(".log").read_text(errors="replace")
        assert result.returncode == 0, f"{tex.name}: " + next(
            (line for line in log.splitlines() if line.startswith("!")), "LaTeX failed"
        )
    return log


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path, str]]:
    """Every sheet as a 30-variant class set, solutions and handout, compiled two at a time."""
    folder = tmp_path_factory.mktemp("layout")
    jobs = []
    for name, source in every_sheet(folder).items():
        sheets = [build_sheet(source, seed=seed) for seed in SEEDS]
        for mode, solutions in (("key", True), ("handout", False)):
            tex = folder / f"{name}-{mode}.tex"
            tex.write_text(render_sheets(sheets, solutions=solutions), encoding="utf-8")
            # The built-in handout is read back page by page: its page references need two runs.
            runs = 2 if (name, mode) == ("weight-sharing", "handout") else 1
            jobs.append(((name, mode), tex, runs))
    with ThreadPoolExecutor(max_workers=2) as pool:
        logs = list(pool.map(lambda job: pdflatex(job[1], job[2]), jobs))
    return {
        key: (tex.with_suffix(".pdf"), log) for (key, tex, _), log in zip(jobs, logs, strict=True)
    }


def overfull(log: str) -> list[str]:
    """Overfull boxes wider than the tolerance, each with the line TeX reported."""
    found = []
    boxes = r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)[^\n]*"
    for match in re.finditer(boxes, log):
        if float(match.group(1)) > TOLERANCE_PT:
            found.append(match.group(0))
    return found


def test_every_sheet_was_compiled(compiled):
    names = {name for name, _ in compiled}
    assert {"weight-sharing", "beyond-one-layer", "strided-convolutions", "wide"} <= names


@pytest.mark.parametrize("mode", ["key", "handout"])
def test_nothing_runs_off_the_page(compiled, mode):
    problems = {name: overfull(log) for (name, kind), (_, log) in compiled.items() if kind == mode}
    assert not {name: boxes for name, boxes in problems.items() if boxes}


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_every_page_of_a_class_set_names_its_variant_and_its_page(compiled):
    pdf, _ = compiled[("weight-sharing", "handout")]
    footers = []
    for number, page in enumerate(pages(pdf), start=1):
        found = re.findall(r"Variant (\d+), page (\d+) of (\d+)", page)
        assert len(found) == 1, f"page {number} of the class set names no variant: {page[-200:]!r}"
        footers.append(tuple(int(n) for n in found[0]))
    seeds = list(dict.fromkeys(seed for seed, _, _ in footers))
    assert seeds == list(SEEDS)  # every variant, in order, each once
    for seed in seeds:
        own = [(page, total) for s, page, total in footers if s == seed]
        assert [page for page, _ in own] == list(range(1, len(own) + 1)), seed
        assert {total for _, total in own} == {len(own)}, seed


def test_a_handout_starts_each_variant_with_its_title_and_a_name_field(compiled):
    pdf, _ = compiled[("weight-sharing", "handout")]
    firsts = [page for page in pages(pdf) if re.search(r"Variant \d+, page 1 of", page)]
    assert len(firsts) == len(SEEDS)
    for seed, page in zip(SEEDS, firsts, strict=True):
        assert "Name:" in page
        assert re.search(rf"^Variant {seed}$", page, re.MULTILINE), page[:300]


def test_the_authored_sheet_prints_its_numbers_math_and_wording(compiled):
    from symconv import Conv

    pdf, _ = compiled[("authored", "key")]
    read = pages(pdf)
    for seed in SEEDS:
        sheet = build_sheet(pdf.parent / "authored.toml", seed=seed)
        n, k = sheet.parameters["n"], sheet.parameters["k"]
        text = "\n".join(page for page in read if re.search(rf"Variant {seed}, [^\n]*page", page))
        assert f"Outputs of a {n}-long input" in text
        assert f"gives {n - k + 1} outputs" in text
        assert f"Which of the {n - k + 1} outputs of" in text
        element = sheet.problem("1a").answer("element")
        assert element.value == Conv(n, k).output_element(1)
        assert f"not {n}?" in text


def test_pdf_says_in_one_line_when_a_sheet_runs_past_the_margin(tmp_path, monkeypatch, capsys):
    from symconv.cli import main

    word = "unbreakable" * 12
    sheet = tmp_path / "long.toml"
    sheet.write_text(
        f'title = "t"\n[[section]]\ntitle = "s"\nintro = "{word}"\n'
        '[[section.problem]]\nkind = "size-formula"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["sheet", str(sheet), "--pdf", "-o", "long.pdf"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[1] == "wrote long.pdf"
    assert err[0].startswith("symconv: warning: the PDF has 1 line running past the margin")
    assert (tmp_path / "long.pdf").read_bytes().startswith(b"%PDF")
    assert main(["sheet", "--pdf", "-o", "fits.pdf"]) == 0
    assert capsys.readouterr().err == "wrote fits.pdf\n"


# --------------------------------------------------------------------------
# Page breaks: a question is never split from its solution or its room to write

QUESTION_START = re.compile(r"^\(([a-z])\)")
SECTION_START = re.compile(r"^\d+(\s|$)")


def first_line(page: str) -> str:
    """The page's first line of text; pdftotext reads a raised ``T`` (a transpose in the
    first line) as a line of its own above it, so lines of one or two signs are skipped
    (a section's number, read as a line of its own, is kept)."""
    lines = ("".join(c for c in line if c.isprintable()).strip() for line in page.splitlines())
    return next((line for line in lines if len(line) > 2 or line.isdigit()), "")


@pytest.mark.parametrize("mode", ["key", "handout"])
def test_every_page_after_a_variants_first_starts_a_question_or_a_section(compiled, mode):
    broken = {}
    for (name, kind), (pdf, _) in compiled.items():
        if kind != mode:
            continue
        for number, page in enumerate(pages(pdf), start=1):
            if re.search(r"Variant \d+, [^\n]*page 1 of", page):
                continue
            line = first_line(page)
            if not (QUESTION_START.match(line) or SECTION_START.match(line)):
                broken.setdefault(name, []).append((number, line[:60]))
    assert not broken


def test_no_question_of_any_sheet_is_taller_than_a_page(compiled):
    tall = {key: re.findall(r"symconv: question \S+", log) for key, (_, log) in compiled.items()}
    assert not {key: found for key, found in tall.items() if found}


def long_text_sheet(folder: Path, words: int) -> Path:
    sheet = folder / "long-answer.toml"
    sheet.write_text(
        'title = "Long"\n[[section]]\ntitle = "s"\n'
        '[[section.problem]]\nkind = "size-formula"\n'
        f'[[section.problem]]\nkind = "text"\nquestion = "Why?"\nanswer = "{"word " * words}"\n',
        encoding="utf-8",
    )
    return sheet


def test_a_question_taller_than_a_page_is_reported_and_set_across_pages(
    tmp_path, monkeypatch, capsys
):
    from symconv.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["sheet", str(long_text_sheet(tmp_path, 2500)), "--pdf", "-o", "long.pdf"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "symconv: warning: taller than a page, so continued on the next: question 1b"
    read = pages(tmp_path / "long.pdf")
    assert len(read) >= 3 and first_line(read[1]).startswith("word")
    # A question that fits is never reported.
    assert main(["sheet", str(long_text_sheet(tmp_path, 300)), "--pdf", "-o", "fits.pdf"]) == 0
    assert capsys.readouterr().err == "wrote fits.pdf\n"


def test_duplex_class_sets_give_every_variant_an_even_number_of_pages(tmp_path):
    sheets = [build_sheet(seed=seed) for seed in range(1, 7)]
    plain, duplex = tmp_path / "plain.tex", tmp_path / "duplex.tex"
    plain.write_text(render_sheets(sheets, solutions=True), encoding="utf-8")
    duplex.write_text(render_sheets(sheets, solutions=True, duplex=True), encoding="utf-8")
    counts = {}
    for tex in (plain, duplex):
        pdflatex(tex, runs=2)
        footers = [
            re.findall(r"Variant (\d+), [^\n]*page (\d+) of (\d+)", page)
            for page in pages(tex.with_suffix(".pdf"))
        ]
        counts[tex.stem] = {}
        for found in footers:
            assert len(found) == 1
            seed, page, total = (int(n) for n in found[0])
            counts[tex.stem].setdefault(seed, []).append((page, total))
    for seed, own in counts["duplex"].items():
        pages_of = [page for page, _ in own]
        assert pages_of == list(range(1, len(own) + 1)) and {t for _, t in own} == {len(own)}
        plain_count = len(counts["plain"][seed])
        assert len(own) == plain_count + plain_count % 2, seed
    # The test means something only if some variant has an odd number of pages.
    assert any(len(own) % 2 for own in counts["plain"].values())


def test_points_an_author_gives_are_printed_beside_every_marked_question(tmp_path):
    source = tmp_path / "points.toml"
    source.write_text(
        'title = "Points"\n[[section]]\ntitle = "s"\n'
        '[[section.problem]]\nkind = "elements"\ninput = 9\nkernel = 3\npoints = 2.5\n'
        '[[section.problem]]\nkind = "size-formula"\n'
        '[[section.problem]]\nkind = "text"\nquestion = "Why?"\nanswer = "So."\n',
        encoding="utf-8",
    )
    sheet = build_sheet(source)
    tex = tmp_path / "points.tex"
    tex.write_text(render_sheets([sheet], solutions=False), encoding="utf-8")
    pdflatex(tex)
    text = " ".join(" ".join(pages(tex.with_suffix(".pdf"))).split())
    from symconv.present.render import points_text

    for problem in sheet.problems():
        label = f"({problem.id[-1]})"
        shown = re.search(re.escape(label) + r" \[([\d.]+) points?\]", text)
        if problem.marked_keys:
            assert shown and shown.group(1) == points_text(problem.worth), problem.id
        else:
            assert not shown
    # A sheet that gives no points shows none.
    tex.write_text(render_sheets([build_sheet()], solutions=False), encoding="utf-8")
    pdflatex(tex)
    assert " point" not in " ".join(pages(tex.with_suffix(".pdf")))


def test_the_command_line_pads_a_class_set_for_duplex_printing(tmp_path, monkeypatch):
    from symconv.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["sheet", "--variants", "2", "--duplex", "-o", "class.tex"]) == 0
    assert main(["sheet", "--variants", "2", "-o", "plain.tex"]) == 0
    for name, padded in (("class", True), ("class-key", True), ("plain", False)):
        source = (tmp_path / f"{name}.tex").read_text(encoding="utf-8")
        assert (r"\duplextrue" in source) == padded, name
