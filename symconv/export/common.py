"""What every export shares: the variants, which answers a platform can mark by
number, a question's text as HTML, and writing the output whole or not at all.

>>> from symconv.sheets import build_sheet
>>> problem = build_sheet(seed=1).problem("1h")
>>> [field.value for field in numeric_fields(problem.answer("output_shape"))] == list(
...     problem.answer("output_shape").value)
True
>>> answer_kind(build_sheet().problem("1a").answer("first"))
'a formula'
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from sympy import Integer
from sympy.matrices import MatrixBase

from symconv.answers.feedback import SLIP_HINTS
from symconv.export import ExportError
from symconv.marking.answer_template import plain_text
from symconv.present.render import environment
from symconv.sheets import build_sheets
from symconv.sheets.model import Answer, Problem, Sheet

__all__ = [
    "NumericField",
    "answer_kind",
    "exported_sheets",
    "numeric_fields",
    "question_html",
    "sheet_argument",
    "slip_hint",
    "unmarkable_lines",
    "write_folder_atomic",
]


@dataclass(frozen=True)
class NumericField:
    """One number a platform marks exactly: a count, or one size of a shape.

    Attributes:
        label: What it is ("output tensor shape, size 2 of 3").
        value: The number, as derived.
        slips: Known wrong numbers with the hint each earns.
    """

    label: str
    value: int
    slips: tuple[tuple[int, str], ...] = ()


def _whole(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (not a yes or no), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Integer):
        return int(value)
    return None


def slip_hint(name: str) -> str:
    """What symconv tells a student who made the slip ``name``, or a plain "Wrong."
    for a slip it has no words for."""
    return SLIP_HINTS.get(name, "Wrong.")


def _slips(pairs: list[tuple[str, int]], right: int) -> tuple[tuple[int, str], ...]:
    """Known wrong numbers with their hints, one entry per number (hints of slips that
    give the same number are joined), leaving out any equal to the right one."""
    hints: dict[int, list[str]] = {}
    for name, wrong in pairs:
        if wrong != right and slip_hint(name) not in hints.setdefault(wrong, []):
            hints[wrong].append(slip_hint(name))
    return tuple((wrong, " ".join(texts)) for wrong, texts in hints.items())


def numeric_fields(answer: Answer) -> list[NumericField] | None:
    """The numbers an answer consists of (one for a count, one per size of a shape),
    or ``None`` when it is not made of whole numbers (a formula, a matrix, text).

    A slip that gives a wrong shape is a slip of each size it gets wrong.
    """
    number = _whole(answer.value)
    if number is not None:
        pairs = [
            (name, wrong) for name, value in answer.slips if (wrong := _whole(value)) is not None
        ]
        return [NumericField(answer.label, number, _slips(pairs, number))]
    if not isinstance(answer.value, tuple) or not answer.value:
        return None
    sizes = [_whole(size) for size in answer.value]
    if any(size is None for size in sizes):
        return None
    fields = []
    for index, size in enumerate(sizes):
        assert size is not None
        pairs = [
            (name, wrong)
            for name, value in answer.slips
            if isinstance(value, tuple)
            and len(value) == len(sizes)
            and (wrong := _whole(value[index])) is not None
        ]
        label = f"{answer.label}, size {index + 1} of {len(sizes)}"
        fields.append(NumericField(label, size, _slips(pairs, size)))
    return fields


def answer_kind(answer: Answer) -> str:
    """What an answer is, in words, for the list of what a platform cannot mark."""
    if isinstance(answer.value, MatrixBase):
        return "a matrix"
    if isinstance(answer.value, bool):
        return "a yes or no"
    if isinstance(answer.value, str):
        return "free text"
    if getattr(answer.value, "free_symbols", None):
        return "a formula"
    return "an expression"


def unmarkable_lines(sheets: Sequence[Sheet], platform: str) -> list[str]:
    """One line per problem with answers ``platform`` cannot mark by number, naming them."""
    lines = []
    first = sheets[0]
    for problem in first.problems():
        if problem.kind == "text" or not problem.marked_keys:
            lines.append(f"{first.name} {problem.id}: free text, not marked; left out")
            continue
        skipped = [
            f"{answer.label} ({answer_kind(answer)})"
            for answer in problem.answers
            if answer.key in problem.marked_keys and numeric_fields(answer) is None
        ]
        if skipped:
            lines.append(
                f"{first.name} {problem.id}: {platform} cannot mark "
                + ", ".join(skipped)
                + "; left out (mark it with symconv check)"
            )
    return lines


def exported_sheets(sheet: str | Path, variants: int, first_seed: int = 1) -> list[Sheet]:
    """The variants exported: seeds ``first_seed``, ``first_seed + 1``, ... as ``symconv
    sheet --variants`` draws them (a seed repeating an earlier variant is passed over)."""
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
        raise ExportError(f"variants must be a whole number from 1, got {variants!r}")
    return build_sheets(sheet, range(first_seed, first_seed + variants))


def sheet_argument(sheet: str | Path) -> tuple[str, Path | None]:
    """How an export names the sheet: a built-in name, or the file name under which
    its file (returned too) ships beside the export, keeping the sheet's name.

    >>> sheet_argument("weight-sharing"), sheet_argument("examples/mine.toml")
    (('weight-sharing', None), ('mine.toml', PosixPath('examples/mine.toml')))
    """
    if str(sheet).endswith(".toml") or isinstance(sheet, Path):
        return Path(sheet).name, Path(sheet)
    return str(sheet), None


_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)


def _text_html(latex: str) -> str:
    # Sentinels keep the spaces at the ends, which plain_text strips, and keep a
    # command at an end from running into the next word.
    text = plain_text(f"\x01{latex}\x01")[1:-1]
    return html.escape(text, quote=False)


def question_html(problem: Problem) -> str:
    r"""The problem's question as HTML: words as text, math as MathJax ``\(...\)``,
    everything escaped; empty when its template cannot be rendered alone.

    >>> from symconv.sheets import build_sheet
    >>> question_html(build_sheet().problem("1f"))[:40]
    'A \\(W \\times W\\) input is convolved with'
    """
    try:
        template = environment().get_template(f"problems/{problem.kind}.tex.j2")
        latex = template.render(problem=problem)
    except TemplateError:
        return ""
    parts = []
    last = 0
    for match in _MATH.finditer(latex):
        parts.append(_text_html(latex[last : match.start()]))
        parts.append(r"\(" + html.escape(match.group(1).strip(), quote=False) + r"\)")
        last = match.end()
    parts.append(_text_html(latex[last:]))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def write_folder_atomic(folder: Path, fill: Callable[[Path], list[Path]]) -> None:
    """Build the entries of ``folder`` in a temporary folder beside them, then move
    each into place, replacing an entry of the same name; a failure leaves nothing.

    ``fill`` writes into the temporary folder it is given and returns the top-level
    entries (relative paths) to move.
    """
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"cannot write {str(folder)!r}: it is a file, not a folder")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {str(folder)!r}: folder {str(parent)!r} does not exist")
    try:
        work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.", suffix=".part"))
    except OSError as error:
        raise ExportError(f"cannot write {str(folder)!r}: {error.strerror}") from None
    try:
        entries = fill(work / "out")
        (work / "out").mkdir(exist_ok=True)
        folder.mkdir(exist_ok=True)
        for entry in entries:
            target = folder / entry
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                old = work / "old"
                target.replace(old)
                (work / "out" / entry).replace(target)
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            else:
                (work / "out" / entry).replace(target)
    except OSError as error:
        raise ExportError(f"cannot write {str(folder)!r}: {error.strerror}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
