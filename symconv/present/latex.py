r"""Text for LaTeX: the one escaper for user text, author math, and grouped digits.

Everything a person typed (a title, a question, a model answer) goes through
:func:`author_text`: plain text is escaped, ``$...$`` is passed through as math
unless it holds a command that reads or writes files, runs a shell or defines
macros; those are refused with one line. Numbers of many digits are grouped
in thousands with thin spaces, as printed in books.

>>> author_text(r"50% of $y = Kx$")
'50\\% of $y = Kx$'
>>> grouped(99883155456)
'99\\,883\\,155\\,456'
"""

from __future__ import annotations

import re
from functools import lru_cache

from symconv.errors import SymconvError

__all__ = [
    "FORBIDDEN_COMMANDS",
    "MathError",
    "author_text",
    "grouped",
    "latex_escape",
]

# The default (OT1) text fonts have no _, ^ or ~ of their own: those come from the
# typewriter font, so the PDF shows (and pdftotext reads back) what was typed.
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\texttt{\char94}",
    "_": r"\texttt{\char95}",
    "%": r"\%",
    "~": r"\texttt{\char126}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

#: Commands refused in author math: files, the shell, definitions, category codes.
FORBIDDEN_COMMANDS = frozenset(
    {
        "input",
        "include",
        "includeonly",
        "InputIfFileExists",
        "openin",
        "openout",
        "read",
        "readline",
        "write",
        "immediate",
        "closein",
        "closeout",
        "def",
        "edef",
        "gdef",
        "xdef",
        "let",
        "futurelet",
        "newcommand",
        "renewcommand",
        "providecommand",
        "DeclareRobustCommand",
        "newenvironment",
        "renewenvironment",
        "catcode",
        "lccode",
        "uccode",
        "csname",
        "expandafter",
        "special",
        "usepackage",
        "RequirePackage",
        "documentclass",
        "makeatletter",
        "directlua",
        "pdfprimitive",
        "primitive",
        "scantokens",
        "everyeof",
        "everypar",
        "everymath",
        "everydisplay",
        "output",
        "shipout",
        "loop",
        "endinput",
        "jobname",
        "pdffiledump",
        "pdfobj",
        "pdfliteral",
        "verbatiminput",
    }
)
_COMMAND = re.compile(r"\\([A-Za-z@]+|.)")
_GROUP = 10_000  # numbers from here on are grouped in thousands


class MathError(SymconvError):
    """Author math holds a command that is not allowed, or a ``$`` is left open."""


def latex_escape(text: str) -> str:
    r"""Text a user typed, made safe to print verbatim in LaTeX.

    >>> latex_escape(r"50% of \input{x}")
    '50\\% of \\textbackslash{}input\\{x\\}'
    """
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


def _checked_math(math: str) -> str:
    for match in _COMMAND.finditer(math):
        name = match.group(1)
        if name in FORBIDDEN_COMMANDS:
            raise MathError(
                f"\\{name} is not allowed in math ($...$): only formulas are; "
                "files, the shell and definitions are refused"
            )
    if re.search(r"\\(begin|end)\s*\{\s*document", math):
        raise MathError("\\begin{document} and \\end{document} are not allowed in math ($...$)")
    if "^^" in math:
        raise MathError("^^ is not allowed in math ($...$): it spells characters by code")
    for char, why in (("%", "it starts a comment"), ("#", "it is a macro parameter")):
        if char in math.replace("\\" + char, ""):
            raise MathError(f"{char} is not allowed in math ($...$): {why}; write \\{char}")
    depth = 0
    for char in math.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise MathError("unbalanced braces in math ($...$)")
    return math


@lru_cache(maxsize=4096)
def author_text(text: str) -> str:
    r"""Text from a sheet's author: escaped, except ``$...$`` math, which is checked.

    A literal dollar is written ``\$``.

    >>> author_text(r"costs \$5; $\frac{a}{b}$ and_so")
    'costs \\$5; $\\frac{a}{b}$ and\\texttt{\\char95}so'
    >>> author_text(r"$\input{/etc/passwd}$")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    symconv.present.latex.MathError: \input is not allowed in math ($...$)
    """
    out: list[str] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(r"\$", i):
            plain.append("$")
            i += 2
            continue
        if text[i] != "$":
            plain.append(text[i])
            i += 1
            continue
        end = i + 1
        while end < len(text) and not (text[end] == "$" and text[end - 1] != "\\"):
            end += 1
        if end >= len(text):
            raise MathError("a $ opens math that is never closed (write \\$ for a dollar sign)")
        math = text[i + 1 : end]
        if not math.strip():
            raise MathError("empty math ($$); write \\$ for a dollar sign")
        out.append(latex_escape("".join(plain)))
        plain = []
        out.append("$" + _checked_math(math) + "$")
        i = end + 1
    out.append(latex_escape("".join(plain)))
    return "".join(out)


def grouped(number: int) -> str:
    r"""An integer for math mode, its digits grouped in thousands from 10 000 on.

    >>> grouped(2400), grouped(508032), grouped(-12345)
    ('2400', '508\\,032', '-12\\,345')
    """
    if abs(number) < _GROUP:
        return str(number)
    return f"{number:,}".replace(",", r"\,")
