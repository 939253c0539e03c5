"""LaTeX from Jinja templates: the environment, its delimiters, and rendering a sheet.

The templates ship inside the package (``symconv/templates``, mapped from the
repository's top-level ``templates/`` at build time). Jinja's default
delimiters clash with LaTeX braces, so templates use ``<< value >>``,
``<% statement %>`` and ``<# comment #>``. A missing value is an error
(``StrictUndefined``). Nothing is escaped here: values reaching templates are
LaTeX made by SymPy or text already escaped by the sheet loader.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from symconv.sheets.model import Sheet

__all__ = ["environment", "render_document"]


def template_loader() -> BaseLoader:
    """The templates inside an installed package, else those of a source checkout.

    An editable install (``pip install -e .``) keeps the templates at the top of
    the checkout rather than inside the package.
    """
    if resources.files("symconv").joinpath("templates").is_dir():
        return PackageLoader("symconv", "templates")
    return FileSystemLoader(Path(__file__).resolve().parent.parent / "templates")


@cache
def environment() -> Environment:
    """The Jinja environment for symconv's LaTeX templates."""
    return Environment(
        loader=template_loader(),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<<",
        variable_end_string=">>",
        comment_start_string="<#",
        comment_end_string="#>",
        line_comment_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )


def render_document(
    sheets: list[Sheet], *, solutions: bool, template: str = "sheet.tex.j2", **extra: Any
) -> str:
    """One LaTeX document holding ``sheets`` (several variants get a page each)."""
    first = sheets[0]
    return (
        environment()
        .get_template(template)
        .render(
            sheets=sheets,
            solutions=solutions,
            title=first.title,
            course=first.course,
            author=first.author,
            date=first.date,
            **extra,
        )
    )
