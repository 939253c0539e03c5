"""LaTeX from Jinja templates: the environment and its delimiters.

The templates ship inside the package (``symconv/templates``, mapped from the
repository's top-level ``templates/`` at build time). Jinja's default
delimiters clash with LaTeX braces, so templates use ``<< value >>``,
``<% statement %>`` and ``<# comment #>``. A missing value is an error
(``StrictUndefined``). Nothing is escaped here: values reaching templates are
LaTeX made by SymPy or text already escaped by the sheet loader.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import (
    BaseLoader,
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
)

from symconv.present.latex import grouped

__all__ = ["environment", "points_text", "template_loader"]


def template_loader() -> BaseLoader:
    """The templates inside an installed package, else those of a source checkout.

    An editable install (``pip install -e .``) keeps the templates at the top of
    the checkout rather than inside the package.
    """
    if resources.files("symconv").joinpath("templates").is_dir():
        return PackageLoader("symconv", "templates")
    return FileSystemLoader(Path(__file__).resolve().parents[2] / "templates")


@cache
def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept between runs (Jinja's own cache, in a private folder of
    the temporary directory, keyed by each template's source), so that a command does
    not compile twenty templates every time; none where that folder cannot be made."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def points_text(points: Fraction) -> str:
    """Points as people write them: ``2``, ``1.5``, ``0.25``; a repeating decimal
    to two places (``0.33``).

    A share too small for two places is written as the fraction it is.

    >>> [points_text(Fraction(n, d)) for n, d in [(2, 1), (3, 2), (1, 4), (1, 3), (1, 300)]]
    ['2', '1.5', '0.25', '0.33', '1/300']
    """
    if points.denominator == 1:
        return str(points.numerator)
    denominator = points.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:  # a terminating decimal: exact
        exact = Decimal(points.numerator) / Decimal(points.denominator)
        return format(exact.normalize(), "f")
    rounded = f"{float(points):.2f}".rstrip("0").rstrip(".")
    return rounded if rounded not in ("0", "-0") else f"{points.numerator}/{points.denominator}"


def environment() -> Environment:
    """The Jinja environment for symconv's LaTeX templates (filters ``grouped``:
    99\\,883\\,155, and ``points``: 1.5)."""
    env = Environment(
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
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["grouped"] = grouped
    env.filters["points"] = points_text
    return env
