r"""Text for LaTeX: the one escaper for user text, author math, and grouped digits.

Everything a person typed (a title, a question, a model answer) goes through
:func:`author_text`: plain text is escaped, ``$...$`` is passed through as math
unless it holds a command that reads or writes files, runs a shell or defines
macros; those are refused with one line. Numbers of many digits are grouped
in thousands with thin spaces, as printed in books.

Text is set in T1 fonts read as UTF-8 (the templates' preamble), so accented
letters and the quotation marks of European languages (« » „ “) go through as
typed; symbols that need math (≤ ∞ ✓, Greek letters) become ``\ensuremath{...}``; straight
double quotes become opening and closing quotes. Any other character is refused,
named, before TeX runs (:class:`CharacterError`).

>>> author_text(r"50% of $y = Kx$")
'50\\% of $y = Kx$'
>>> grouped(99883155456)
'99\\,883\\,155\\,456'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from symconv.errors import SymconvError

__all__ = [
    "FORBIDDEN_COMMANDS",
    "MATH_SYMBOLS",
    "CharacterError",
    "MathError",
    "author_text",
    "grouped",
    "latex_escape",
]

# The T1 text fonts have every ASCII character, so the PDF shows (and pdftotext
# reads back) what was typed.
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

#: Characters that need math, by their Unicode names, and the math they stand for.
_MATH_NAMES = {
    **{
        f"GREEK SMALL LETTER {name.upper().replace('LAMBDA', 'LAMDA')}": rf"\{name}"
        for name in (
            *("alpha", "beta", "gamma", "delta", "zeta", "eta", "theta", "iota", "kappa"),
            *("lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "chi", "psi"),
            "omega",
        )
    },
    "GREEK SMALL LETTER EPSILON": r"\varepsilon",
    "GREEK SMALL LETTER PHI": r"\varphi",
    "GREEK SMALL LETTER FINAL SIGMA": r"\varsigma",
    "GREEK SMALL LETTER OMICRON": "o",
    "GREEK LUNATE EPSILON SYMBOL": r"\epsilon",
    "GREEK THETA SYMBOL": r"\vartheta",
    "GREEK PHI SYMBOL": r"\phi",
    "GREEK PI SYMBOL": r"\varpi",
    "GREEK RHO SYMBOL": r"\varrho",
    **{
        f"GREEK CAPITAL LETTER {name.upper().replace('LAMBDA', 'LAMDA')}": rf"\{name}"
        for name in (
            *("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi"),
            *("Psi", "Omega"),
        )
    },
    # Capitals that look like Latin ones are printed as those.
    **{
        f"GREEK CAPITAL LETTER {name}": rf"\mathrm{{{latin}}}"
        for name, latin in (
            ("ALPHA", "A"),
            ("BETA", "B"),
            ("EPSILON", "E"),
            ("ZETA", "Z"),
            ("ETA", "H"),
            ("IOTA", "I"),
            ("KAPPA", "K"),
            ("MU", "M"),
            ("NU", "N"),
            ("OMICRON", "O"),
            ("RHO", "P"),
            ("TAU", "T"),
            ("CHI", "X"),
        )
    },
    "LESS-THAN OR EQUAL TO": r"\leq",
    "GREATER-THAN OR EQUAL TO": r"\geq",
    "NOT EQUAL TO": r"\neq",
    "ALMOST EQUAL TO": r"\approx",
    "IDENTICAL TO": r"\equiv",
    "TILDE OPERATOR": r"\sim",
    "ASYMPTOTICALLY EQUAL TO": r"\simeq",
    "APPROXIMATELY EQUAL TO": r"\cong",
    "PROPORTIONAL TO": r"\propto",
    "MUCH LESS-THAN": r"\ll",
    "MUCH GREATER-THAN": r"\gg",
    "INFINITY": r"\infty",
    "MINUS SIGN": "-",
    "MINUS-OR-PLUS SIGN": r"\mp",
    "DOT OPERATOR": r"\cdot",
    "RING OPERATOR": r"\circ",
    "ASTERISK OPERATOR": r"\ast",
    "SQUARE ROOT": r"\surd",
    "N-ARY SUMMATION": r"\sum",
    "N-ARY PRODUCT": r"\prod",
    "INTEGRAL": r"\int",
    "PARTIAL DIFFERENTIAL": r"\partial",
    "NABLA": r"\nabla",
    "FOR ALL": r"\forall",
    "THERE EXISTS": r"\exists",
    "THERE DOES NOT EXIST": r"\nexists",
    "EMPTY SET": r"\emptyset",
    "ELEMENT OF": r"\in",
    "NOT AN ELEMENT OF": r"\notin",
    "CONTAINS AS MEMBER": r"\ni",
    "SUBSET OF": r"\subset",
    "SUPERSET OF": r"\supset",
    "SUBSET OF OR EQUAL TO": r"\subseteq",
    "SUPERSET OF OR EQUAL TO": r"\supseteq",
    "INTERSECTION": r"\cap",
    "UNION": r"\cup",
    "LOGICAL AND": r"\wedge",
    "LOGICAL OR": r"\vee",
    "CIRCLED PLUS": r"\oplus",
    "CIRCLED TIMES": r"\otimes",
    "CIRCLED DOT OPERATOR": r"\odot",
    "RIGHTWARDS DOUBLE ARROW": r"\Rightarrow",
    "LEFTWARDS DOUBLE ARROW": r"\Leftarrow",
    "LEFT RIGHT DOUBLE ARROW": r"\Leftrightarrow",
    "LEFT RIGHT ARROW": r"\leftrightarrow",
    "RIGHTWARDS ARROW FROM BAR": r"\mapsto",
    "LONG RIGHTWARDS ARROW": r"\longrightarrow",
    "LEFT FLOOR": r"\lfloor",
    "RIGHT FLOOR": r"\rfloor",
    "LEFT CEILING": r"\lceil",
    "RIGHT CEILING": r"\rceil",
    "DIVIDES": r"\mid",
    "PARALLEL TO": r"\parallel",
    "DOWN TACK": r"\top",
    "UP TACK": r"\perp",
    "SCRIPT SMALL L": r"\ell",
    "PLANCK CONSTANT OVER TWO PI": r"\hbar",
    "SET MINUS": r"\setminus",
    "MIDLINE HORIZONTAL ELLIPSIS": r"\cdots",
    "VERTICAL ELLIPSIS": r"\vdots",
    "DOWN RIGHT DIAGONAL ELLIPSIS": r"\ddots",
    "CHECK MARK": r"\checkmark",
    "BLACK STAR": r"\bigstar",
    "WHITE SQUARE": r"\square",
    "BLACK SQUARE": r"\blacksquare",
    "WHITE UP-POINTING TRIANGLE": r"\triangle",
    "PRIME": "'",
    "DOUBLE PRIME": "''",
    **{f"DOUBLE-STRUCK CAPITAL {letter}": rf"\mathbb{{{letter}}}" for letter in "NZQRC"},
    **{f"SUBSCRIPT {digit.upper()}": f"_{{{n}}}" for n, digit in enumerate(_DIGITS)},
    # Superscript one, two and three are letters of the text fonts; the others are math.
    **{f"SUPERSCRIPT {_DIGITS[n].upper()}": f"^{{{n}}}" for n in (0, 4, 5, 6, 7, 8, 9)},
}
MATH_SYMBOLS = {unicodedata.lookup(name): math for name, math in _MATH_NAMES.items()}

# Characters the T1 and TS1 fonts print as typed (LaTeX reads them as UTF-8): the
# Latin letters of European languages, their quotation marks, dashes and a few signs.
_HOLES = {0xB8, 0x126, 0x127, 0x138, 0x13F, 0x140, 0x149, 0x166, 0x167, 0x17F}
_TYPED = frozenset(
    [chr(code) for code in range(0xA0, 0x180) if code not in _HOLES]
    + [chr(code) for code in range(0x218, 0x21C)]  # Romanian S and T with comma below
    + [chr(code) for code in range(0x2010, 0x2016)]  # hyphens and dashes
    + [chr(code) for code in range(0x2018, 0x2023) if code not in (0x201B, 0x201F)]  # quotes
    + [chr(code) for code in range(0xFB00, 0xFB05)]  # ff, fi, fl, ffi, ffl as one letter
    + [
        unicodedata.lookup(name)
        for name in (
            "BULLET",
            "HORIZONTAL ELLIPSIS",
            "PER MILLE SIGN",
            "SINGLE LEFT-POINTING ANGLE QUOTATION MARK",
            "SINGLE RIGHT-POINTING ANGLE QUOTATION MARK",
            "FRACTION SLASH",
            "EURO SIGN",
            "TRADE MARK SIGN",
            "NUMERO SIGN",
            "DEGREE CELSIUS",
            "LEFTWARDS ARROW",
            "UPWARDS ARROW",
            "RIGHTWARDS ARROW",
            "DOWNWARDS ARROW",
        )
    ]
)
_CONTROL = frozenset("\t\n\r")
#: After these a straight double quote opens a quotation; elsewhere it closes one.
_OPENS_AFTER = frozenset(
    " \t\n\r([{<-/\N{EN DASH}\N{EM DASH}\N{LEFT SINGLE QUOTATION MARK}"
    "\N{LEFT DOUBLE QUOTATION MARK}"
    "\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}\N{DOUBLE LOW-9 QUOTATION MARK}"
    "\N{SINGLE LOW-9 QUOTATION MARK}"
)

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


class CharacterError(SymconvError):
    """Text holds a character the sheet's fonts cannot print."""

    def __init__(self, char: str, where: str = "") -> None:
        name = unicodedata.name(char, "")
        code = f"U+{ord(char):04X}" + (f" {name}" if name else "")
        super().__init__(
            f"the character {char!r} ({code}) cannot be printed{where}; leave it out or write "
            "it otherwise (letters with accents, « » „ “, Greek letters and symbols such as "
            "≤ ∞ ✓ print)"
        )
        self.char = char


def _unprintable(char: str) -> bool:
    return not (" " <= char <= "~" or char in _CONTROL)


def latex_escape(text: str, *, after: str = "") -> str:
    r"""Text a user typed, made safe to print verbatim in LaTeX.

    ``after`` is the character before ``text`` (where it continues other
    text), which says whether a straight double quote opens or closes.

    >>> latex_escape(r"50% of \input{x}")
    '50\\% of \\textbackslash{}input\\{x\\}'
    >>> latex_escape('the "same" padding: n ≤ 9, «Faltung», ∞')
    "the ``same'' padding: n \\ensuremath{\\leq} 9, «Faltung», \\ensuremath{\\infty}"

    Raises:
        CharacterError: A character the fonts cannot print, such as ``☃``.
    """
    out: list[str] = []
    previous = after
    for char in unicodedata.normalize("NFC", text):
        if char in _LATEX_SPECIALS:
            out.append(_LATEX_SPECIALS[char])
        elif char == '"':
            out.append("``" if not previous or previous in _OPENS_AFTER else "''")
        elif char == "," and previous == ",":
            out.append("{},")  # not the ligature „ of T1 fonts
        elif char in MATH_SYMBOLS:
            out.append(rf"\ensuremath{{{MATH_SYMBOLS[char]}}}")
        elif char in _TYPED or not _unprintable(char):
            out.append(char)
        else:
            raise CharacterError(char)
        previous = char
    return "".join(out)


#: Digits typed as subscripts and superscripts, which run together: x₁₂ is x_{12}.
_SCRIPT_DIGITS = {
    **{unicodedata.lookup(f"SUBSCRIPT {name.upper()}"): ("_", str(n))
       for n, name in enumerate(_DIGITS)},
    **{unicodedata.lookup(f"SUPERSCRIPT {name.upper()}"): ("^", str(n))
       for n, name in enumerate(_DIGITS) if n > 3 or n == 0},
    "\N{SUPERSCRIPT ONE}": ("^", "1"),
    "\N{SUPERSCRIPT TWO}": ("^", "2"),
    "\N{SUPERSCRIPT THREE}": ("^", "3"),
}  # fmt: skip
_PRIMES = {"\N{PRIME}": r"\prime", "\N{DOUBLE PRIME}": r"\prime\prime"}


def _math_characters(math: str) -> str:
    r"""Author math with its symbols typed as Unicode (≤, ∞) written as commands; a run
    of subscript or superscript digits is one script, primes join a superscript.

    >>> _math_characters("x₁₂ ≤ f\N{PRIME}⁴")
    'x_{12} \\ensuremath{\\leq} f^{\\prime 4}'
    """
    out: list[str] = []
    script = ""  # "_" or "^" while a run of script digits or primes goes on
    body: list[str] = []

    def close() -> None:
        nonlocal script
        if script:
            out.append(f"{script}{{{' '.join(body) if script == '^' else ''.join(body)}}}")
        script = ""
        body.clear()

    for char in math:
        kind = _SCRIPT_DIGITS.get(char)
        if char in _PRIMES:
            if script != "^":
                close()
                script = "^"
            body.append(_PRIMES[char])
        elif kind is not None:
            if script != kind[0]:
                close()
                script = kind[0]
            if script == "^" and body and body[-1].isdigit():
                body[-1] += kind[1]
            else:
                body.append(kind[1])
        else:
            close()
            if char in MATH_SYMBOLS:
                out.append(rf"\ensuremath{{{MATH_SYMBOLS[char]}}}")
            elif _unprintable(char):
                raise CharacterError(char, " in math ($...$)")
            else:
                out.append(char)
    close()
    return "".join(out)


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
    'costs \\$5; $\\frac{a}{b}$ and\\_so'
    >>> author_text(r"$\input{/etc/passwd}$")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    symconv.present.latex.MathError: \input is not allowed in math ($...$)
    """
    out: list[str] = []
    plain: list[str] = []
    i = start = 0  # start: where the plain text being gathered began
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
        out.append(latex_escape("".join(plain), after=text[start - 1 : start]))
        plain = []
        math = unicodedata.normalize("NFC", math)  # checked as it will be printed
        out.append("$" + _math_characters(_checked_math(math)) + "$")
        i = start = end + 1
    out.append(latex_escape("".join(plain), after=text[start - 1 : start]))
    return "".join(out)


def grouped(number: int) -> str:
    r"""An integer for math mode, its digits grouped in thousands from 10 000 on.

    >>> grouped(2400), grouped(508032), grouped(-12345)
    ('2400', '508\\,032', '-12\\,345')
    """
    if abs(number) < _GROUP:
        return str(number)
    return f"{number:,}".replace(",", r"\,")
