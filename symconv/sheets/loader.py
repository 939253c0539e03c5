"""Sheets as data: read a TOML definition, draw a seeded variant, derive every answer.

A definition names its variables (with a default and the range a variant may
draw from), then its sections and problems. A problem's value ``"$n"`` refers to
variable ``n``; a text field (title, intro, question, answer) takes
``{{ n - k + 1 }}`` and ``$...$`` math (:mod:`symconv.sheets.authoring`).
Drawing is rejection sampling with ``random.Random(seed)``: a draw that makes
any problem impossible (a kernel larger than its input, say) is drawn again, so
every variant is sound; a text that cannot be filled in is refused at once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError
from symconv.present.latex import latex_escape
from symconv.present.tex import read_toml
from symconv.sheets.authoring import latex_field
from symconv.sheets.kinds import KINDS
from symconv.sheets.model import Problem, Section, Sheet

__all__ = ["SheetError", "parse_definition", "read_definition"]

_TOP_KEYS = {"title", "course", "author", "date", "variables", "section"}
_SECTION_KEYS = {"title", "intro", "problem"}
_VARIABLE_KEYS = {"default", "min", "max", "choices"}
_DRAWS = 200
_VARIABLE = re.compile(r"\$[A-Za-z_]\w*")
_MAX_PROBLEMS = 26  # lettered (a) to (z)


class SheetError(SymconvError):
    """A sheet definition is malformed or asks for something impossible."""


class SheetTextError(SheetError):
    """A text field cannot be filled in or holds refused LaTeX: no variant can mend it."""


def read_definition(path: Path) -> dict[str, Any]:
    """Parse a TOML sheet file (nothing in it is ever executed)."""
    return read_toml(path, "sheet file", SheetError)


def _check_keys(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SheetError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )


def _variables(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    variables = definition.get("variables", {})
    if not isinstance(variables, dict):
        raise SheetError("[variables] must be a table of name = { default = ... }")
    checked: dict[str, dict[str, Any]] = {}
    for name, spec in variables.items():
        where = f"variable {name!r}"
        if not isinstance(spec, dict):
            spec = {"default": spec}
        _check_keys(where, spec, _VARIABLE_KEYS)
        if "default" not in spec:
            raise SheetError(f"{where}: needs a default")
        if "choices" in spec and not (isinstance(spec["choices"], list) and spec["choices"]):
            raise SheetError(f"{where}: choices must be a non-empty list")
        if ("min" in spec) != ("max" in spec):
            raise SheetError(f"{where}: give both min and max, or neither")
        if "min" in spec and not (
            isinstance(spec["min"], int)
            and isinstance(spec["max"], int)
            and spec["min"] <= spec["max"]
        ):
            raise SheetError(f"{where}: min and max must be integers with min <= max")
        checked[name] = spec
    return checked


def _draw(variables: Mapping[str, Mapping[str, Any]], rng: random.Random) -> dict[str, Any]:
    values = {}
    for name, spec in variables.items():
        if "choices" in spec:
            values[name] = rng.choice(spec["choices"])
        elif "min" in spec:
            values[name] = rng.randint(spec["min"], spec["max"])
        else:
            values[name] = spec["default"]
    return values


def _substitute(where: str, value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and _VARIABLE.fullmatch(value):
        name = value[1:]
        if name not in values:
            known = ", ".join(sorted(values)) or "none defined"
            raise SheetError(f"{where}: unknown variable {value!r}; variables: {known}")
        return values[name]
    if isinstance(value, list):
        return [_substitute(where, item, values) for item in value]
    return value


def _tuple_lists(value: Any) -> Any:
    """TOML has arrays, Conv wants tuples (``[[0, 1]]`` is one (before, after) pair)."""
    return tuple(_tuple_lists(item) for item in value) if isinstance(value, list) else value


def _problem(
    where: str, problem_id: str, table: Mapping[str, Any], values: Mapping[str, Any]
) -> Problem:
    if not isinstance(table, dict) or "kind" not in table:
        raise SheetError(f"{where}: needs kind = one of {', '.join(KINDS)}")
    kind = KINDS.get(table["kind"]) if isinstance(table["kind"], str) else None
    if kind is None:
        raise SheetError(f"{where}: unknown kind {table['kind']!r}; kinds: {', '.join(KINDS)}")
    where = f"{where} ({kind.name})"
    _check_keys(where, table, {*kind.defaults, "kind", "space", "points"})
    params = {key: value for key, value in table.items() if key not in ("kind", "space", "points")}
    missing = [key for key in kind.required if key not in params]
    if missing:
        raise SheetError(f"{where}: missing key {missing[0]!r}")
    resolved = {
        key: _tuple_lists(_substitute(f"{where}, key {key!r}", params.get(key, default), values))
        for key, default in kind.defaults.items()
    }
    for key in ("question", "answer"):
        if key in kind.defaults and resolved[key] is not None:
            if not isinstance(resolved[key], str):
                raise SheetError(f"{where}: {key} must be text, got {resolved[key]!r}")
            try:
                resolved[key], plain = latex_field(f"key {key!r}", resolved[key], values)
            except SymconvError as error:
                raise SheetTextError(f"{where}, {error}") from None
            resolved[f"{key}_source"] = plain
    try:
        derived = kind.derive(resolved)
    except (SymconvError, TypeError) as error:
        raise SheetError(f"{where}: {_in_keys(str(error))}") from None
    space = table.get("space", kind.space)
    if isinstance(space, bool) or not isinstance(space, int | float) or not 0 <= space <= 25:
        raise SheetError(f"{where}: space must be a number of centimetres from 0 to 25")
    points = _points(where, table.get("points"), kind.name)
    return Problem(problem_id, kind.name, derived.values, derived.answers, float(space), points)


def _points(where: str, points: Any, kind: str) -> Fraction | None:
    """A problem's ``points``: a number from 0 to 1000, read exactly (``1.5`` is 3/2)."""
    if points is None:
        return None
    if isinstance(points, bool) or not isinstance(points, int | float) or not 0 <= points <= 1000:
        raise SheetError(f"{where}: points must be a number from 0 to 1000, got {points!r}")
    if kind == "text":
        raise SheetError(
            f"{where}: points on a text problem would never be given (it is not marked)"
        )
    return Fraction(str(points))


#: The layers' parameter names, said as the keys of a sheet that set them.
_KEY_NAMES = {"input_size": "input", "kernel_size": "kernel", "padding_mode": "circular"}
_PARAMETER = re.compile(r"(?<![\w-])(" + "|".join(_KEY_NAMES) + r")(?![\w-])")


def _in_keys(message: str) -> str:
    """A layer's message with ``input_size`` said as the sheet's key ``input``, and so on."""
    return _PARAMETER.sub(lambda match: _KEY_NAMES[match.group(1)], message)


def _text(where: str, table: Mapping[str, Any], key: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise SheetError(f"{where}: {key} must be text, got {value!r}")
    return value


def parse_definition(
    definition: Mapping[str, Any],
    *,
    name: str,
    seed: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Sheet:
    """Derive a :class:`Sheet` from a parsed definition, for the default or a seeded variant.

    ``overrides`` replaces ``title``, ``course``, ``author`` or ``date`` (text a
    user typed on the command line: printed as typed, escaped for LaTeX here).

    Raises:
        SheetError: The definition is malformed or a problem is impossible; the
            message names the section, the problem and the key.
    """
    _check_keys(f"sheet {name!r}", definition, _TOP_KEYS)
    variables = _variables(definition)
    sections = definition.get("section", [])
    if not isinstance(sections, list) or not sections:
        raise SheetError(f"sheet {name!r}: needs at least one [[section]]")
    texts = {
        key: _text(f"sheet {name!r}", definition, key)
        for key in ("title", "course", "author", "date")
    }
    typed = {key: value for key, value in (overrides or {}).items() if value is not None}

    defaults = {key: spec["default"] for key, spec in variables.items()}
    if seed is None:
        return _derive(name, texts, typed, sections, defaults, None)
    rng = random.Random(seed)
    last_error: SheetError | None = None
    for _ in range(_DRAWS):
        values = _draw(variables, rng)
        if values == defaults and any(len(_range(spec)) > 1 for spec in variables.values()):
            continue
        try:
            return _derive(name, texts, typed, sections, values, seed)
        except SheetTextError:
            raise
        except SheetError as error:
            last_error = error
    raise SheetError(
        f"sheet {name!r}: no sound variant found for seed {seed} in {_DRAWS} draws "
        f"(last problem: {last_error}); widen the variables' ranges"
    )


def _range(spec: Mapping[str, Any]) -> list[Any]:
    if "choices" in spec:
        return list(spec["choices"])
    if "min" in spec:
        return list(range(spec["min"], spec["max"] + 1))
    return [spec["default"]]


def _derive(
    name: str,
    texts: Mapping[str, str],
    typed: Mapping[str, str],
    sections: list[Any],
    values: Mapping[str, Any],
    seed: int | None,
) -> Sheet:
    built = []
    for number, section in enumerate(sections, start=1):
        where = f"section {number}"
        if not isinstance(section, dict):
            raise SheetError(f"{where}: must be a table")
        _check_keys(where, section, _SECTION_KEYS)
        problems = section.get("problem", [])
        if not isinstance(problems, list) or not problems:
            raise SheetError(f"{where}: needs at least one [[section.problem]]")
        if len(problems) > _MAX_PROBLEMS:
            raise SheetError(
                f"{where}: has {len(problems)} problems; at most {_MAX_PROBLEMS} "
                "(lettered a to z) per section"
            )
        parts = []
        for index, table in enumerate(problems):
            letter = chr(ord("a") + index)
            parts.append(
                _problem(f"{where}, problem ({letter})", f"{number}{letter}", table, values)
            )
        built.append(
            Section(
                _one_line(where, "title", _text(where, section, "title"), values),
                _field(where, "intro", _text(where, section, "intro"), values),
                tuple(parts),
            )
        )
    head = {
        key: _one_line(f"sheet {name!r}", key, texts[key], values)
        for key in ("title", "course", "author", "date")
    }
    head.update({key: latex_escape(" ".join(text.split())) for key, text in typed.items()})
    return Sheet(
        name=name,
        title=head["title"] or latex_escape(name),
        sections=tuple(built),
        parameters=dict(values),
        seed=seed,
        course=head["course"],
        author=head["author"],
        date=head["date"],
    )


def _field(where: str, key: str, text: str, values: Mapping[str, Any]) -> str:
    """An author's text field, filled in for this variant and made LaTeX."""
    try:
        return latex_field(f"{where}, key {key!r}", text, values)[0]
    except SymconvError as error:
        raise SheetTextError(str(error)) from None


def _one_line(where: str, key: str, text: str, values: Mapping[str, Any]) -> str:
    """A title or name: filled in, its line breaks and blank lines folded into spaces."""
    return _field(where, key, " ".join(text.split()), values)
