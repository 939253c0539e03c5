"""Worksheets and their worked solutions, every answer derived by the engine.

A sheet is defined as data (TOML): built-in sheets ship in ``builtin/``, and an
instructor's own file works the same way. :func:`build_sheet` derives a
:class:`Sheet`; :func:`render_sheet` turns it into LaTeX.

>>> sheet_names()
['weight-sharing']
>>> build_sheet().problem("1a").answer("size").value
7
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError
from symconv.present.render import environment
from symconv.sheets.loader import (
    SheetError,
    TooFewVariantsError,
    parse_class_set,
    parse_definition,
    read_definition,
)
from symconv.sheets.model import Answer, Problem, Section, Sheet

__all__ = [
    "Answer",
    "Problem",
    "Section",
    "Sheet",
    "SheetError",
    "TooFewVariantsError",
    "build_sheet",
    "build_sheets",
    "render_sheet",
    "render_sheets",
    "sheet_names",
]

DEFAULT_SHEET = "weight-sharing"


def _builtin() -> Any:
    return resources.files("symconv.sheets").joinpath("builtin")


def sheet_names() -> list[str]:
    """Names of the built-in sheets."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _builtin().iterdir()
        if entry.name.endswith(".toml")
    )


def _definition(name: str | Path) -> tuple[str, dict[str, Any]]:
    if isinstance(name, Path) or str(name).endswith(".toml"):
        path = Path(name)
        return path.stem, read_definition(path)
    if name not in sheet_names():
        raise SheetError(
            f"unknown sheet {name!r}; built-in sheets: {', '.join(sheet_names())} "
            "(or give a .toml file)"
        )
    from symconv.files import parse_toml

    text = _builtin().joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return name, parse_toml(text)


def build_sheet(
    name: str | Path = DEFAULT_SHEET,
    *,
    seed: int | None = None,
    title: str | None = None,
    course: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> Sheet:
    """Derive a sheet: a built-in name or a path to a ``.toml`` file, optionally a variant.

    Raises:
        SheetError: Unknown sheet, unreadable or malformed file, or an impossible
            problem; the message says which.
    """
    texts = {"title": title, "course": course, "author": author, "date": date}
    return build_sheets(name, [seed], **texts)[0]


def build_sheets(
    name: str | Path = DEFAULT_SHEET,
    seeds: Iterable[int | None] = (None,),
    *,
    title: str | None = None,
    course: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> list[Sheet]:
    """One sheet per seed (a class set), from one reading of the definition.

    The sheets are distinct: a seed whose numbers repeat an earlier sheet's is
    passed over for the next seed after the largest asked for, so every sheet is
    the one :func:`build_sheet` gives for its ``seed``.

    >>> [sheet.seed for sheet in build_sheets(seeds=[1, 2, 3])]
    [1, 2, 3]

    Raises:
        TooFewVariantsError: The variables allow fewer distinct variants than seeds
            (its ``distinct`` says how many).
        SheetError: As :func:`build_sheet`, for the first seed that fails.
    """
    seeds = list(seeds)
    for seed in seeds:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise SheetError(f"seed must be an integer, got {seed!r}")
    sheet_name, definition = _definition(name)
    overrides = {"title": title, "course": course, "author": author, "date": date}
    typed = {key: value for key, value in overrides.items() if value is not None}
    if len(seeds) == 1:
        return [parse_definition(definition, name=sheet_name, seed=seeds[0], overrides=typed)]
    return parse_class_set(definition, name=sheet_name, seeds=seeds, overrides=typed)


def render_sheets(sheets: list[Sheet], *, solutions: bool = True, duplex: bool = False) -> str:
    """One LaTeX document with several derived sheets (a class set), each from a new page.

    With ``duplex``, a sheet that ends on an odd page gets a blank page after it, so
    that printed on both sides every sheet starts on a sheet of paper of its own.
    """
    if not sheets:
        raise SymconvError("render_sheets needs at least one sheet")
    first = sheets[0]
    return (
        environment()
        .get_template("sheet.tex.j2")
        .render(
            sheets=sheets,
            solutions=solutions,
            duplex=duplex,
            title=first.title,
            course=first.course,
            author=first.author,
            date=first.date,
        )
    )


def render_sheet(
    name: str | Path = DEFAULT_SHEET,
    *,
    solutions: bool = True,
    seed: int | None = None,
    title: str | None = None,
    course: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> str:
    """LaTeX source of a sheet, with its worked solutions or (``solutions=False``) as a handout.

    >>> tex = render_sheet()
    >>> tex.startswith(r"\\documentclass") and r"k_{1} x_{1} + k_{2} x_{2} + k_{3} x_{3}" in tex
    True
    """
    sheet = build_sheet(name, seed=seed, title=title, course=course, author=author, date=date)
    return render_sheets([sheet], solutions=solutions)
