r"""The empty answer file a student fills in: every key of a sheet, each under its question.

The file is TOML that ``symconv check`` reads back: a header (``student``, the
sheet, the variant's ``seed``), then one table per marked problem with every
answer key as an empty literal string (``size = ''``: inside single quotes a
backslash is kept, so LaTeX such as ``\frac{W}{s}`` needs no escaping). Above
each table its question is a comment in plain text, and above each key what
it asks for. Free-text problems appear as comments only.

>>> from symconv.sheets import build_sheet
>>> text = answer_template(build_sheet())
>>> "[1a]" in text and "size = ''" in text
True
>>> plain_text(r"Let $\mathbf{k} = \begin{bmatrix} k_{1} & k_{2} \end{bmatrix}^T$.")
'Let k = [k_1, k_2]^T.'
"""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

from jinja2 import TemplateError

from symconv.marking.marks import answer_points, points_text
from symconv.present.latex import MATH_SYMBOLS
from symconv.present.render import environment
from symconv.sheets import DEFAULT_SHEET
from symconv.sheets.model import Problem, Sheet

__all__ = ["answer_template", "check_command", "plain_text", "question_text"]

_WIDTH = 88
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
#: The escaper's LaTeX for characters typed in plain text (``\\textless{}`` for ``<``), undone.
_TYPED = {
    **{rf"\ensuremath{{{math}}}": char for char, math in MATH_SYMBOLS.items()},
    r"\textless{}": "<",
    r"\textgreater{}": ">",
    r"\textbar{}": "|",
    r"\textasciicircum{}": "^",
    r"\textasciitilde{}": "~",
}
_TYPED_PATTERN = re.compile("|".join(re.escape(latex) for latex in sorted(_TYPED, key=len)[::-1]))
_REPLACEMENTS = [
    (re.compile(r"\\begin\{[a-z]*matrix\*?\}\s*"), "["),
    (re.compile(r"\s*\\end\{[a-z]*matrix\*?\}"), "]"),
    (re.compile(r"\s*&\s*"), ", "),
    (re.compile(r"\s*\\\\\s*"), "; "),
    (re.compile(r"``|''"), '"'),
    (re.compile(r"\\(times|cdot)(?![A-Za-z])\s*"), "x "),
    (re.compile(r"\\(cdots|ldots|dots|vdots|ddots)(?![A-Za-z])"), "..."),
    (re.compile(r"\\([_%&#$])"), r"\1"),
    (re.compile(r"\\[,;:! ]"), " "),
    (re.compile(r"\\(left|right|big|Big|bigg|Bigg)(?![A-Za-z])"), ""),
    # A styling or text command keeps its argument: \textbf{output size} -> output size.
    (re.compile(r"\\[A-Za-z]+\*?(?=\{)"), ""),
    (re.compile(r"\\([A-Za-z]+)"), r"\1"),
    (re.compile(r"[{}$~]"), ""),
    (re.compile(r"\s+"), " "),
]


def plain_text(latex: str) -> str:
    r"""LaTeX text made readable in a plain-text comment: math and styling commands
    dropped, matrices as ``[a, b]``, ``\times`` as ``x``.

    >>> plain_text(r"A $W \times W$ input with \textbf{stride} $s$ and ``same'' padding")
    'A W x W input with stride s and "same" padding'
    >>> plain_text(r"$s \ensuremath{\geq} 1$, \ensuremath{\infty} \textless{} 1")
    's ≥ 1, ∞ < 1'
    """
    text = _TYPED_PATTERN.sub(lambda match: _TYPED[match.group(0)], latex)
    for pattern, replacement in _REPLACEMENTS:
        text = pattern.sub(replacement, text)
    return text.strip()


def question_text(problem: Problem) -> str:
    """The problem's question as printed on the handout, in plain text (empty if
    its template cannot be rendered alone: the answers' labels still say what is asked)."""
    try:
        template = environment().get_template(f"problems/{problem.kind}.tex.j2")
        return plain_text(template.render(problem=problem))
    except TemplateError:
        return ""


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=f"# {indent}",
        subsequent_indent="# " + " " * len(indent),
        break_long_words=False,
        break_on_hyphens=False,
    ) or ["#"]


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else '"' + key.replace('"', '\\"') + '"'


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_command(source: str | Path) -> str:
    """The command that marks an answer file against the sheet ``source``: a built-in
    name or the sheet's file, as given to ``symconv sheet``.

    >>> check_command("weight-sharing"), check_command("my sheets/mine.toml")
    ('symconv check FILE', "symconv check FILE --sheet 'my sheets/mine.toml'")
    """
    if str(source) == DEFAULT_SHEET:
        return "symconv check FILE"
    return f"symconv check FILE --sheet {shlex.quote(str(source))}"


def answer_template(sheet: Sheet, source: str | Path | None = None) -> str:
    """The answer file for ``sheet`` (and its variant), every answer empty.

    ``source`` is the sheet as given to ``symconv sheet`` (a built-in name or a
    ``.toml`` file; default: the sheet's name). The file records it as its
    ``sheet``, and its comment names the ``symconv check`` command that marks it
    against that sheet.

    >>> from symconv.sheets import build_sheet
    >>> mine = "examples/strided-convolutions.toml"
    >>> text = answer_template(build_sheet(mine), mine)
    >>> lines = text.splitlines()
    >>> f'sheet = "{mine}"' in lines and f"#   symconv check FILE --sheet {mine}" in lines
    True
    """
    source = sheet.name if source is None else str(source)
    variant = f", variant {sheet.seed}" if sheet.seed is not None else ""
    lines = [
        *_comment(f"Answers to the sheet {plain_text(sheet.title)} ({sheet.name}{variant})."),
        *_comment(
            "Write each answer between the single quotes as you would on paper, in LaTeX "
            r"such as \frac{W-K}{s}+1 or in plain text such as (W-K)/s+1. A matrix may span "
            "lines between triple quotes: '''...'''. Then mark it with:"
        ),
        f"#   {check_command(source)}",
        f"student = {_string('')}",
        f"sheet = {_string(source)}",
    ]
    if sheet.seed is not None:
        lines.append(f"seed = {sheet.seed}")
    for number, section in enumerate(sheet.sections, start=1):
        lines += ["", "", *_comment(f"{number}. {plain_text(section.title)}")]
        for problem in section.problems:
            letter = problem.id.removeprefix(str(number))
            points = answer_points(problem)
            lines.append("")
            lines += _comment(question_text(problem), f"({letter}) ")
            if not points:
                lines.append(f"# ({problem.id}: free text, not marked here)")
                continue
            lines.append(f"[{_key(problem.id)}]")
            for answer in problem.answers:
                if answer.key not in points:
                    lines.append(f"# {answer.key}: {answer.label} (too large to mark; not asked)")
                    continue
                worth = points_text(points[answer.key])
                unit = "point" if worth == "1" else "points"
                lines.append(f"# {problem.id}: {plain_text(answer.label)} ({worth} {unit})")
                lines.append(f"{_key(answer.key)} = ''")
    return "\n".join(lines) + "\n"
