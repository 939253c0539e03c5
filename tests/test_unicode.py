"""Unicode in a sheet's text: printed by TeX and read back, or refused by name before TeX runs.

Oracles: LaTeX's own tables of the characters its UTF-8 input sets up for the T1
and TS1 fonts (``t1enc.dfu``, ``ts1enc.dfu``, ``utf8enc.dfu``), pdflatex itself
(with lost characters made errors), pdftotext reading the PDF back, and
:mod:`unicodedata` for what a character may read back as.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from cli_runner import run

from symconv.errors import SymconvError
from symconv.present.latex import MATH_SYMBOLS, CharacterError, author_text, latex_escape
from symconv.present.tex import compile_pdf
from symconv.sheets import build_sheet, render_sheets

#: The characters of the issue, as an author types them.
ASKED = "≤ ∞ α − ✓ « » „ “ é ü ß"  # noqa: RUF001
QUOTED = 'Die "Faltung" und "Korrelation"'


def sheet_text(intro: str, question: str = "Why?", title: str = "Faltung") -> str:
    """A sheet of one free-text problem; the texts are TOML literal strings."""
    return (
        f"title = '{title}'\n[[section]]\ntitle = 'Words'\nintro = '''{intro}'''\n"
        f"[[section.problem]]\nkind = 'text'\nquestion = '''{question}'''\n"
        "answer = 'Because.'\n"
    )


def pdf_text(pdf: Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def declared_characters() -> set[str]:
    """Every character LaTeX's UTF-8 input declares for the T1 and TS1 fonts, or for any."""
    found = set()
    for table in ("t1enc.dfu", "ts1enc.dfu", "utf8.def"):
        path = subprocess.run(
            ["kpsewhich", table], capture_output=True, text=True, check=True
        ).stdout.strip()
        text = Path(path).read_text(encoding="utf-8")
        codes = re.findall(r"^\\DeclareUnicodeCharacter\{([0-9A-F]+)\}", text, re.MULTILINE)
        found |= {chr(int(code, 16)) for code in codes}
    return found


def typed_characters() -> list[str]:
    """The characters above ASCII that the escaper hands to LaTeX as they are."""
    return [
        chr(code)
        for code in range(0xA0, 0x10000)
        if not (0xD800 <= code < 0xE000)
        and chr(code) not in MATH_SYMBOLS
        and _passes(chr(code))
        and latex_escape(chr(code)) == chr(code)
    ]


def _passes(char: str) -> bool:
    try:
        latex_escape(char)
    except CharacterError:
        return False
    return True


# --------------------------------------------------------------------------
# The escaper


@pytest.mark.parametrize(
    ("typed", "quoted"),
    [
        ('"Faltung"', "``Faltung''"),
        ('die "Faltung", bitte', "die ``Faltung'', bitte"),
        ('("same")', "(``same'')"),
        ('he said: "a" and "b".', "he said: ``a'' and ``b''."),
        ('line\n"two"', "line\n``two''"),
    ],
)
def test_straight_double_quotes_open_and_close(typed: str, quoted: str):
    assert latex_escape(typed) == quoted


def test_quotes_around_math_open_before_it_and_close_after_it():
    assert author_text('"$x$" is "$y$"') == "``$x$'' is ``$y$''"


@pytest.mark.parametrize("char", sorted(set(ASKED) - {" "}))
def test_the_asked_characters_are_printable(char: str):
    escaped = latex_escape(char)
    if char in MATH_SYMBOLS:
        assert escaped == rf"\ensuremath{{{MATH_SYMBOLS[char]}}}"
    else:
        assert escaped == char


def test_combining_accents_are_composed_first():
    assert latex_escape("e\u0301") == "\u00e9"


def test_the_characters_passed_on_are_the_ones_latex_declares():
    typed = set(typed_characters())
    assert typed, "nothing above ASCII passes"
    assert typed <= declared_characters(), sorted(typed - declared_characters())


@pytest.mark.parametrize("char", ["☃", "\u0007", "\u200b", "😀", "Ħ"])
def test_other_characters_are_refused_by_name(char: str):
    with pytest.raises(CharacterError) as info:
        latex_escape(f"a {char} b")
    message = str(info.value)
    assert f"U+{ord(char):04X}" in message and repr(char) in message
    assert "\n" not in message
    assert isinstance(info.value, SymconvError)


def test_a_character_math_cannot_hold_is_refused_in_math():
    with pytest.raises(CharacterError, match=r"'é' \(U\+00E9.*in math"):
        author_text("$é$")
    assert author_text("$a ≤ b$") == r"$a \ensuremath{\leq} b$"


# --------------------------------------------------------------------------
# Through TeX


@pytest.fixture(scope="module")
def asked_pdf(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("unicode")
    sheet = folder / "umlaut.toml"
    sheet.write_text(sheet_text(f"{ASKED} {QUOTED}", question=ASKED), encoding="utf-8")
    pdf = folder / "umlaut.pdf"
    status = _main(["sheet", str(sheet), "--pdf", "-o", str(pdf)])
    assert status == 0
    return pdf_text(pdf)


def _main(argv: list[str]) -> int:
    from symconv.cli import main

    return main(argv)


@pytest.mark.parametrize("char", sorted(set(ASKED) - {" "}))
def test_the_pdf_reads_back_each_asked_character(asked_pdf: str, char: str):
    assert char in asked_pdf


def test_straight_quotes_print_as_opening_and_closing_quotes(asked_pdf: str):
    opening, closing = "\N{LEFT DOUBLE QUOTATION MARK}", "\N{RIGHT DOUBLE QUOTATION MARK}"
    expected = QUOTED.replace(' "', f" {opening}").replace('" ', f"{closing} ")
    expected = re.sub(r'"$', closing, expected)
    assert '"' not in expected
    assert " ".join(expected.split()) in " ".join(asked_pdf.split())


def test_every_printable_character_compiles_without_a_lost_glyph(tmp_path: Path):
    """Every character the escaper lets through, on one sheet: pdflatex loses none
    (``\\tracinglostchars=3`` makes a glyph missing from a font an error), and the
    letters of the T1 fonts and the quotation marks read back as themselves."""
    chars = [*typed_characters(), *MATH_SYMBOLS]
    assert len(chars) > 300
    sheet = build_sheet(_sheet_file(tmp_path, sheet_text(" ".join(chars))))
    source = render_sheets([sheet], solutions=False)
    source = source.replace(r"\begin{document}", "\\begin{document}\\tracinglostchars=3", 1)
    assert r"\tracinglostchars=3" in source
    pdf = tmp_path / "all.pdf"
    pdf.write_bytes(compile_pdf(source))
    text = unicodedata.normalize("NFC", pdf_text(pdf))
    glyphs = [c for c in chars if unicodedata.category(c)[0] == "L" and ord(c) < 0x100]
    glyphs += [c for c in chars if unicodedata.category(c) in ("Pi", "Pf", "Sc")]
    glyphs += ["\N{EN DASH}", "\N{EM DASH}"]  # other dashes read back as these or hyphens
    assert len(glyphs) > 60
    assert [c for c in glyphs if c not in text] == []


def _sheet_file(folder: Path, text: str) -> Path:
    path = folder / "sheet.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------
# Refused before TeX runs


@pytest.mark.parametrize("pdf", [False, True], ids=["tex", "pdf"])
def test_an_unprintable_character_names_the_field_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pdf: bool, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    sheet = tmp_path / "snow.toml"
    sheet.write_text(sheet_text("Schnee: ☃"), encoding="utf-8")
    output = tmp_path / ("snow.pdf" if pdf else "snow.tex")
    status, out, err = run(
        ["sheet", str(sheet), "-o", str(output), *(["--pdf"] if pdf else [])], capsys
    )
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("symconv: error: section 1, key 'intro': the character '☃' (U+2603")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snow.toml"]


def test_an_unprintable_title_option_names_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["sheet", "--title", "Snow ☃", "-o", "x.tex"], capsys)
    assert status == 2 and out == ""
    assert err.startswith("symconv: error: --title: the character '☃' (U+2603")
    assert list(tmp_path.iterdir()) == []


def test_runs_of_script_digits_and_primes_in_math_compile(tmp_path: Path):
    """x₁₂, x⁴⁵ and f prime ⁴ are one subscript or superscript each (TeX refuses a double one)."""
    math = ["x₁₂", "x⁴⁵", "f\N{PRIME}⁴", "x₁⁴", "y²³", "g\N{DOUBLE PRIME}"]
    intro = " ".join(f"${m}$" for m in math)
    printed = author_text(intro)
    assert "_{12}" in printed and "^{45}" in printed and r"^{\prime 4}" in printed
    sheet = build_sheet(_sheet_file(tmp_path, sheet_text(intro)))
    pdf = tmp_path / "scripts.pdf"
    pdf.write_bytes(compile_pdf(render_sheets([sheet], solutions=False)))
    assert pdf.read_bytes().startswith(b"%PDF")
