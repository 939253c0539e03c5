"""Sheets as data: read a TOML definition, draw a seeded variant, derive every answer.

A definition names its variables (with a default and the range a variant may
draw from, or an expression over the others: ``p = "(f - 1) // 2"``), its
``where`` constraints (``where = ["k <= n"]``), then its sections and problems.
Wherever a number goes, ``"$n"`` stands for variable ``n`` and ``"{{ n - 1 }}"``
for a computed one, stack layers included; a text field (title, intro,
question, answer) takes ``{{ n - k + 1 }}`` and ``$...$`` math. Expressions are
read by Jinja's sandbox (:mod:`symconv.sheets.authoring`), never by Python.

Drawing is rejection sampling with ``random.Random(seed)``: a draw that breaks a
``where`` constraint or makes any problem impossible (a kernel larger than its
input, say) is drawn again, so every variant is sound; a text that cannot be
filled in is refused at once. A class set (:func:`parse_class_set`) holds
distinct variants: a seed whose numbers repeat an earlier variant's is passed
over for the next free seed, so every variant is still exactly ``--seed`` of its
number (which is what marking rebuilds).

Beside its kind's keys, a problem takes keys for marking: ``points``,
``partial = false`` (a matrix or shape all or nothing, not entry by entry),
``carried`` (the share of an answer's points given for an error carried
forward, 0.5 by default) and ``uses``, what its answers follow from:
``uses = ["1g.filter_shape"]`` (a problem's id and an answer key; a key alone
is the same problem's) or ``uses = { dense_weights = ["output_shape"] }``.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError
from symconv.files import read_toml
from symconv.layers.parameters import PARAMETERS
from symconv.present.latex import latex_escape
from symconv.sheets.authoring import evaluate, fill, latex_field, names_in
from symconv.sheets.kinds import KINDS
from symconv.sheets.model import CARRIED, Answer, Problem, Section, Sheet

__all__ = [
    "SheetError",
    "TooFewVariantsError",
    "parse_class_set",
    "parse_definition",
    "read_definition",
]

_TOP_KEYS = {"title", "course", "author", "date", "variables", "where", "section"}
_SECTION_KEYS = {"title", "intro", "problem"}
_VARIABLE_KEYS = {"default", "min", "max", "choices"}
_DRAWS = 200  # impossible draws per seed before giving up
_TRIES = 10_000  # draws per seed, those a ``where`` refuses included
_ENUMERABLE = 20_000  # variable ranges this small are counted when a class set runs short
_VARIABLE = re.compile(r"\$[A-Za-z_]\w*")
_NAME = re.compile(r"[A-Za-z_]\w*")
_MAX_PROBLEMS = 26  # lettered (a) to (z)
#: A problem's keys for marking, beside its kind's: ``space`` is for the handout.
_MARKING_KEYS = ("kind", "space", "points", "partial", "carried", "uses")

#: Keys whose value is a whole number (or one per axis), in problems and in stack layers.
_NUMBER_KEYS = {
    "input", "kernel", "stride", "padding", "dilation", "in_channels", "out_channels",
    "element", "image", "channels", "filters", "groups", "output_padding", "out_features",
    "output_size", "parts", "num_parameters", "size", "axes",
}  # fmt: skip
_PADDING_WORDS = ("same", "valid", "full")
#: A block's keys that hold layers: checked layer by layer, not as numbers.
_LAYER_LISTS = ("layers", "shortcut", "branches")


class SheetError(SymconvError):
    """A sheet definition is malformed or asks for something impossible."""


class SheetTextError(SheetError):
    """A text field cannot be filled in or holds refused LaTeX: no variant can mend it."""


class TooFewVariantsError(SheetError):
    """A class set asks for more distinct variants than the sheet's variables allow.

    Attributes:
        distinct: How many distinct sound variants the variables allow.
        asked: How many the class set asked for.
    """

    def __init__(self, name: str, distinct: int, asked: int) -> None:
        super().__init__(
            f"sheet {name!r}: its variables allow only {distinct} distinct "
            f"variant{'s' if distinct != 1 else ''}, not {asked}; ask for {distinct} "
            "or widen the ranges in [variables]"
        )
        self.distinct = distinct
        self.asked = asked


def read_definition(path: Path) -> dict[str, Any]:
    """Parse a TOML sheet file (nothing in it is ever executed)."""
    return read_toml(path, "sheet file", SheetError)


def _check_keys(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SheetError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )


def _known(values: Iterable[str]) -> str:
    """``(variables are k, n)``: what an author may refer to."""
    names = ", ".join(sorted(values)) or "none defined"
    return f"(variables are {names})"


@dataclass(frozen=True)
class _Variables:
    """A sheet's variables: drawn ones (a default and a range), computed ones, constraints."""

    drawn: dict[str, dict[str, Any]]
    computed: dict[str, str]  # name -> expression, in an order that computes each once
    where: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [*self.drawn, *self.computed]

    @property
    def varied(self) -> bool:
        return any(len(_range(spec)) > 1 for spec in self.drawn.values())

    def complete(self, drawn: Mapping[str, Any]) -> dict[str, Any] | None:
        """The drawn values with the computed ones added; a draw ``where`` refuses is ``None``.

        Raises:
            SheetError: A computed variable or a constraint cannot be computed.
        """
        values = dict(drawn)
        for name, expression in self.computed.items():
            try:
                values[name] = evaluate(expression, values)
            except SymconvError as error:
                raise SheetError(f"variable {name!r} = {expression!r}: {error}") from None
        for rule in self.where:
            try:
                if not evaluate(rule, values):
                    return None
            except SymconvError as error:
                raise SheetError(f"where {rule!r}: {error}") from None
        return values

    def draw(self, rng: random.Random) -> dict[str, Any]:
        values = {}
        for name, spec in self.drawn.items():
            if "choices" in spec:
                values[name] = rng.choice(spec["choices"])
            elif "min" in spec:
                values[name] = rng.randint(spec["min"], spec["max"])
            else:
                values[name] = spec["default"]
        return values

    def every_draw(self) -> Iterable[dict[str, Any]] | None:
        """Every value a draw can give, or ``None`` when there are too many to list."""
        ranges = [_range(spec) for spec in self.drawn.values()]
        if math.prod(len(values) for values in ranges) > _ENUMERABLE:
            return None
        return (dict(zip(self.drawn, combination, strict=True))
                for combination in itertools.product(*ranges))  # fmt: skip


def _variables(definition: Mapping[str, Any]) -> _Variables:
    variables = definition.get("variables", {})
    if not isinstance(variables, dict):
        raise SheetError("[variables] must be a table of name = { default = ... }")
    drawn: dict[str, dict[str, Any]] = {}
    computed: dict[str, str] = {}
    for name, spec in variables.items():
        where = f"variable {name!r}"
        if not _NAME.fullmatch(name):
            raise SheetError(f"{where}: a name is letters, digits and _, not starting with a digit")
        if name == "where" and isinstance(spec, list):
            raise SheetError(
                "where belongs at the top of the file, before [variables] (TOML puts a key "
                "written after [variables] inside it)"
            )
        if isinstance(spec, str):
            computed[name] = spec
            continue
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
        drawn[name] = spec
    where_rules = definition.get("where", [])
    if isinstance(where_rules, str):
        where_rules = [where_rules]
    if not isinstance(where_rules, list) or not all(isinstance(r, str) for r in where_rules):
        raise SheetError('where must be a list of conditions, such as where = ["k <= n"]')
    names = [*drawn, *computed]
    reads = {}
    for label, expression in [
        *((f"variable {name!r} = {text!r}", text) for name, text in computed.items()),
        *((f"where {rule!r}", rule) for rule in where_rules),
    ]:
        try:
            used = names_in(expression)
        except SymconvError as error:
            raise SheetError(f"{label}: cannot be read: {error}") from None
        unknown = sorted(used - set(names))
        if unknown:
            raise SheetError(f"{label}: unknown variable {unknown[0]!r} {_known(names)}")
        reads[expression] = used
    return _Variables(drawn, _in_order(computed, reads), tuple(where_rules))


def _in_order(computed: dict[str, str], reads: Mapping[str, set[str]]) -> dict[str, str]:
    """The computed variables in an order where each reads only those before it."""
    ordered: dict[str, str] = {}
    waiting = dict(computed)
    while waiting:
        ready = [
            name for name, expression in waiting.items() if not (reads[expression] & set(waiting))
        ]
        if not ready:
            cycle = ", ".join(sorted(waiting))
            raise SheetError(f"variables {cycle}: each is computed from another (a cycle)")
        for name in ready:
            ordered[name] = waiting.pop(name)
    return ordered


def _resolve(where: str, value: Any, values: Mapping[str, Any]) -> Any:
    """A key's value with ``"$n"`` and ``"{{ ... }}"`` replaced, in lists and tables too."""
    if isinstance(value, str) and _VARIABLE.fullmatch(value):
        name = value[1:]
        if name not in values:
            raise SheetError(f"{where}: unknown variable {value!r} {_known(values)}")
        return values[name]
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        try:
            text = fill(value, values).strip()
        except SymconvError as error:
            raise SheetError(f"{where}: {value!r}: {error}") from None
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if isinstance(value, list):
        return [_resolve(where, item, values) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(f"{where}, key {key!r}", item, values) for key, item in value.items()}
    return value


def _toml(value: Any) -> str:
    """A value as it reads in TOML: ``true``, ``'$k'``, ``[3, 'x']``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    return repr(value)


def _whole(value: Any, key: str) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_whole(item, key) for item in value)
    if key == "padding" and value in _PADDING_WORDS:
        return True
    return isinstance(value, int) and not isinstance(value, bool)


def _check_numbers(
    where: str, table: Mapping[str, Any], given: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Every number key holds whole numbers; ``given`` is what the author wrote.

    Layers are checked where they sit: a problem's ``layers``, and inside a block
    its ``layers``, its ``shortcut`` and each of its ``branches``, each named in the
    file's words (``key 'layers', layer 1 (residual), layers, layer 3 (conv)``).
    """
    for key, value in table.items():
        if key == "layers" and isinstance(value, list):
            _check_layers(f"{where}, key 'layers'", value, given.get(key), values)
        elif key in _NUMBER_KEYS and value is not None and not _whole(value, key):
            words = " or one of 'same', 'valid', 'full'" if key == "padding" else ""
            written = given.get(key, value)
            hint = f" (it gives {_toml(value)})" if written != value else ""
            names = f" {_known(values)}" if isinstance(written, str) else ""
            if isinstance(written, str) and re.fullmatch(r"\s*-?\d+\s*", written):
                names = " (write the number without quotes)"
            raise SheetError(
                f"{where}, key {key!r}: must be a whole number{words}, got "
                f"{_toml(written)}{hint}{names}"
            )


def _check_layers(where: str, layers: list[Any], given: Any, values: Mapping[str, Any]) -> None:
    """The number keys of a list of layers, blocks' own lists of layers included."""
    typed_layers = given if isinstance(given, list) else []
    for number, (layer, typed) in enumerate(zip(layers, typed_layers, strict=False), 1):
        if not (isinstance(layer, dict) and isinstance(typed, dict)):
            continue
        name = layer.get("type", layer.get("block"))
        here = f"{where}, layer {number}" + (f" ({name})" if isinstance(name, str) else "")
        numbers = {key: item for key, item in layer.items() if key not in _LAYER_LISTS}
        _check_numbers(here, numbers, typed, values)
        for key in ("layers", "shortcut"):
            if isinstance(layer.get(key), list):
                _check_layers(f"{here}, {key}", layer[key], typed.get(key), values)
        branches = layer.get("branches")
        typed_branches = typed.get("branches")
        if isinstance(branches, list) and isinstance(typed_branches, list):
            for count, (branch, typed_branch) in enumerate(
                zip(branches, typed_branches, strict=False), 1
            ):
                if isinstance(branch, list):
                    _check_layers(f"{here}, branch {count}", branch, typed_branch, values)


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
    _check_keys(where, table, {*kind.defaults, *_MARKING_KEYS})
    params = {key: value for key, value in table.items() if key not in _MARKING_KEYS}
    missing = [key for key in kind.required if key not in params]
    if missing:
        raise SheetError(f"{where}: missing key {missing[0]!r}")
    texts = {key: params.get(key) for key in ("question", "answer") if key in kind.defaults}
    resolved = {
        key: _resolve(f"{where}, key {key!r}", params.get(key, default), values)
        for key, default in kind.defaults.items()
        if key not in texts
    }
    flags = {key for key, default in kind.defaults.items() if isinstance(default, bool)}
    _check_numbers(where, {k: v for k, v in resolved.items() if k not in flags}, params, values)
    resolved = {key: _tuple_lists(value) for key, value in {**resolved, **texts}.items()}
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
        raise SheetError(f"{where}: {_in_keys(str(error), kind.defaults)}") from None
    space = table.get("space", kind.space)
    if isinstance(space, bool) or not isinstance(space, int | float) or not 0 <= space <= 25:
        raise SheetError(f"{where}: space must be a number of centimetres from 0 to 25")
    points = _points(where, table.get("points"), kind.name)
    partial = table.get("partial", True)
    if not isinstance(partial, bool):
        raise SheetError(f"{where}: partial must be true or false, got {_toml(partial)}")
    carried = table.get("carried", CARRIED)
    if (
        isinstance(carried, bool)
        or not isinstance(carried, int | float | Fraction)
        or not (0 <= carried <= 1)
    ):
        raise SheetError(
            f"{where}: carried must be a share of the points from 0 to 1, got {_toml(carried)}"
        )
    answers = _uses(where, table.get("uses"), derived.answers)
    return Problem(
        problem_id, kind.name, derived.values, answers, float(space), points,
        partial, Fraction(str(carried)),
    )  # fmt: skip


def _uses(where: str, uses: Any, answers: tuple[Answer, ...]) -> tuple[Answer, ...]:
    """The answers with what they follow from as ``uses`` says, for errors carried forward.

    ``uses = { dense_weights = ["output_shape"] }`` sets what each answer named
    follows from (``[]``: nothing); ``uses = ["1g.filter_shape"]`` adds a
    reference to every answer that can follow from ``filter_shape``. A reference
    is a key of the same problem or a problem's id, a dot and a key.
    """
    if uses is None:
        return answers
    form = 'uses = ["1g.filter_shape"] or uses = { weights = ["1g.filter_shape"] }'
    by_key = {answer.key: answer for answer in answers}
    if isinstance(uses, dict):
        wanted = uses
    elif isinstance(uses, list):
        wanted = {}
        for reference in uses:
            if not isinstance(reference, str):
                raise SheetError(f"{where}, key 'uses': each reference is text, such as {form}")
            source = reference.rpartition(".")[2]
            takers = [
                answer.key
                for answer in answers
                if answer.recompute and source in answer.recompute.sources
            ]
            if not takers:
                raise SheetError(
                    f"{where}, key 'uses': no answer of this problem follows from {source!r}"
                    f"{_followers(answers)}"
                )
            for key in takers:  # a reference replaces the one to the same key, if any
                kept = wanted.get(key, list(by_key[key].depends_on))
                wanted[key] = [r for r in kept if r.rpartition(".")[2] != source] + [reference]
    else:
        raise SheetError(f"{where}: uses must be {form}")
    changed = dict(by_key)
    for key, references in wanted.items():
        at = f"{where}, key 'uses', answer {key!r}"
        if key not in by_key:
            raise SheetError(
                f"{at}: the problem has no such answer (its answers: {', '.join(by_key)})"
            )
        if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
            raise SheetError(f"{at}: give a list of references, such as {form}")
        recompute = by_key[key].recompute
        sources = [reference.rpartition(".")[2] for reference in references]
        for reference, source in zip(references, sources, strict=True):
            if not re.fullmatch(r"(\d+[a-z]\.)?[A-Za-z_]\w*", reference):
                raise SheetError(f"{at}: {reference!r} is not a key or a problem's id and a key")
            if reference == key:
                raise SheetError(f"{at}: an answer cannot follow from itself")
            if recompute is None or source not in recompute.sources:
                raise SheetError(
                    f"{at}: it cannot be worked out from {source!r}{_followers(answers)}"
                )
        if len(set(sources)) < len(sources):
            raise SheetError(f"{at}: each key may be used once, got {_toml(references)}")
        changed[key] = replace(by_key[key], depends_on=tuple(dict.fromkeys(references)))
    return tuple(changed[answer.key] for answer in answers)


def _followers(answers: tuple[Answer, ...]) -> str:
    """``(weights follows from filter_shape; ...)``: what ``uses`` may name, or that none may."""
    follow = [
        f"{answer.key} from {', '.join(answer.recompute.sources)}"
        for answer in answers
        if answer.recompute is not None
    ]
    return (
        f" (answers that follow from others: {'; '.join(follow)})"
        if follow
        else (" (no answer of this kind follows from another)")
    )


def _check_uses(sheet_name: str, problems: list[Problem]) -> None:
    """Every ``uses`` reference names an answer, and the answer follows from its right value.

    An answer recomputed from the key's values of what it uses must be the key
    itself: a reference to another layer's answer is refused here.
    """
    by_id = {problem.id: problem for problem in problems}
    for problem in problems:
        for answer in problem.answers:
            if not answer.depends_on or answer.recompute is None or answer.value is None:
                continue
            at = f"sheet {sheet_name!r}, problem {problem.id}, answer {answer.key!r}, uses"
            given = {}
            for reference in answer.depends_on:
                where_id, _, source = reference.rpartition(".")
                other = by_id.get(where_id or problem.id)
                if other is None:
                    raise SheetError(f"{at} {reference!r}: the sheet has no problem {where_id!r}")
                try:
                    given[source] = other.answer(source).value
                except KeyError:
                    raise SheetError(
                        f"{at} {reference!r}: problem {other.id} has no answer {source!r}"
                    ) from None
            value = answer.recompute(given)
            if value != answer.value:
                raise SheetError(
                    f"{at} {', '.join(answer.depends_on)}: those answers give {value}, not "
                    f"{answer.value}; they must be about the same layer"
                )


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
_KEY_NAMES = {
    parameter.name: parameter.key
    for parameter in PARAMETERS.values()
    if parameter.key and parameter.key != parameter.name and parameter.name != "shared"
}  # input_size is the key input, and so on; shared=False is the key unshared (not renamed)
#: ... and in the kinds that ask about a layer on images (``image``, ``channels``, ``filters``).
_IMAGE_KEY_NAMES = {
    "input_size": "image", "input": "image", "kernel_size": "kernel",
    "in_channels": "channels", "out_channels": "filters",
}  # fmt: skip
#: Python's and SymPy's words in a layer's message, said as a TOML author writes them.
_TOML_WORDS = (
    (re.compile(r" or a SymPy expression such as Symbol\('\w+'\)"), ""),
    (re.compile(r"\bTrue or False\b"), "true or false"),
    (re.compile(r"\bgot True\b"), "got true"),
    (re.compile(r"\bgot False\b"), "got false"),
    (re.compile(r" \((?:str|float|bool|int|list|tuple|dict|NoneType)\)"), ""),
    (re.compile(r"\ban integer\b"), "a whole number"),
    (re.compile(r"add flatten\(\)"), 'add { type = "flatten" } before it'),
)


def _in_keys(message: str, keys: Mapping[str, Any] | None = None) -> str:
    """A layer's message in the sheet's words: ``input_size`` said as the key ``input``, and so on.

    >>> _in_keys("in_channels must be an integer >= 1, got 'x' (str)", {"image": None})
    "channels must be a whole number >= 1, got 'x'"
    """
    names = _IMAGE_KEY_NAMES if keys is not None and "image" in keys else _KEY_NAMES
    if keys is not None and "circular" not in keys:  # a stack's layer takes padding_mode itself
        names = {name: key for name, key in names.items() if name != "padding_mode"}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(names) + r")(?![\w-])")
    message = pattern.sub(lambda match: names[match.group(1)], message)
    for words, toml in _TOML_WORDS:
        message = words.sub(toml, message)
    return message


def _text(where: str, table: Mapping[str, Any], key: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise SheetError(f"{where}: {key} must be text, got {value!r}")
    return value


@dataclass(frozen=True)
class _Definition:
    """A checked definition, ready to derive any variant."""

    name: str
    texts: dict[str, str]
    typed: dict[str, str]
    sections: list[Any]
    variables: _Variables
    defaults: dict[str, Any]

    def derive(self, values: Mapping[str, Any], seed: int | None) -> Sheet:
        return _derive(self.name, self.texts, self.typed, self.sections, values, seed)


def _read(
    definition: Mapping[str, Any], name: str, overrides: Mapping[str, str | None] | None
) -> _Definition:
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
    defaults = variables.complete({key: spec["default"] for key, spec in variables.drawn.items()})
    if defaults is None:
        shown = ", ".join(
            f"{key} = {_toml(spec['default'])}" for key, spec in variables.drawn.items()
        )
        raise SheetError(
            f"sheet {name!r}: the variables' defaults ({shown}) break a where condition"
        )
    return _Definition(name, texts, typed, sections, variables, defaults)


def parse_definition(
    definition: Mapping[str, Any],
    *,
    name: str,
    seed: int | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> Sheet:
    """Derive a :class:`Sheet` from a parsed definition, for the default or a seeded variant.

    ``overrides`` replaces ``title``, ``course``, ``author`` or ``date`` (text a
    user typed on the command line: printed as typed, escaped for LaTeX here).

    Raises:
        SheetError: The definition is malformed or a problem is impossible; the
            message names the section, the problem and the key.
    """
    read = _read(definition, name, overrides)
    if seed is None:
        return read.derive(read.defaults, None)
    return _variant(read, seed, {})


def parse_class_set(
    definition: Mapping[str, Any],
    *,
    name: str,
    seeds: Iterable[int | None],
    overrides: Mapping[str, str | None] | None = None,
) -> list[Sheet]:
    """As many distinct variants as ``seeds``: a class set in which no two sheets are alike.

    Each seed gives the sheet :func:`parse_definition` gives it. A seed whose
    variables repeat an earlier variant's is passed over, and the next seed after
    the largest one asked for (and not asked for) takes its place, so each sheet is
    labelled with the seed that makes it alone.

    Raises:
        TooFewVariantsError: The variables allow fewer distinct sound variants than asked.
        SheetError: As :func:`parse_definition`.
    """
    read = _read(definition, name, overrides)
    seeds = list(seeds)
    known: dict[str, Sheet | SheetError] = {}
    sheets: list[Sheet] = []
    seen: set[str] = set()

    def add(seed: int | None) -> None:
        sheet = read.derive(read.defaults, None) if seed is None else _variant(read, seed, known)
        if (key := _key(sheet.parameters)) not in seen:
            seen.add(key)
            sheets.append(sheet)

    for seed in seeds:
        add(seed)
    if len(sheets) < len(seeds):
        _enough(read, len(seeds), known, sample=seeds)
    taken = {seed for seed in seeds if seed is not None}
    following = itertools.count(max(taken, default=-1) + 1)
    for tried, seed in enumerate(following):
        if len(sheets) == len(seeds):
            break
        if tried == 20 * len(seeds) + 200:
            _enough(read, len(seeds), known, sample=seeds, count=True)
        if tried == 1000 * len(seeds) + 10_000:
            raise SheetError(
                f"sheet {name!r}: found {len(sheets)} distinct variants, not {len(seeds)}, "
                f"in {tried} seeds; widen the ranges in [variables]"
            )
        add(seed)
    return sheets


def _key(values: Mapping[str, Any]) -> str:
    """The variables of a variant, as one comparable text."""
    return repr(sorted(values.items()))


def _sound(
    read: _Definition, values: dict[str, Any], known: dict[str, Sheet | SheetError]
) -> Sheet | SheetError:
    """The sheet ``values`` give (unlabelled), or why they give none; remembered in ``known``."""
    key = _key(values)
    if key not in known:
        try:
            known[key] = read.derive(values, None)
        except SheetTextError:
            raise
        except SheetError as error:
            known[key] = error
    return known[key]


def _variant(read: _Definition, seed: int, known: dict[str, Sheet | SheetError]) -> Sheet:
    """The variant of ``seed``: the first draw of ``random.Random(seed)`` that is sound."""
    variables = read.variables
    rng = random.Random(seed)
    last_error: SheetError | None = None
    impossible = 0
    for _ in range(_TRIES):
        try:
            values = variables.complete(variables.draw(rng))
        except SheetError as error:  # a computed variable this draw cannot compute
            values, last_error = None, error
        if values is None or (values == read.defaults and variables.varied):
            continue
        result = _sound(read, values, known)
        if isinstance(result, Sheet):
            return replace(result, seed=seed)
        last_error, impossible = result, impossible + 1
        if impossible == _DRAWS:
            break
    if last_error is None:
        raise SheetError(
            f"sheet {read.name!r}: no draw for seed {seed} meets where "
            f"{' and '.join(variables.where)} in {_TRIES} draws; widen the variables' ranges"
        )
    raise SheetError(
        f"sheet {read.name!r}: no sound variant found for seed {seed} in {_DRAWS} draws "
        f"(last problem: {last_error}); widen the variables' ranges"
    )


def _enough(
    read: _Definition,
    asked: int,
    known: dict[str, Sheet | SheetError],
    *,
    sample: list[int | None],
    count: bool = False,
) -> None:
    """Raise :class:`TooFewVariantsError` when the variables cannot give ``asked`` variants.

    The draws are listed when they are few. Without ``count``, only when fewer
    draws are possible than asked (so counting the sound ones costs less than the
    class set); with it, every possible draw is derived and counted.
    """
    draws = read.variables.every_draw()
    if draws is None:
        return
    candidates: dict[str, dict[str, Any]] = {}
    for drawn in draws:
        try:
            values = read.variables.complete(drawn)
        except SheetError:
            continue
        if values is None or (values == read.defaults and read.variables.varied):
            continue
        candidates[_key(values)] = values
    extra = 1 if None in sample else 0  # the default sheet, when it is one of the set
    if not count and len(candidates) + extra >= asked:
        return
    distinct = extra + sum(
        isinstance(_sound(read, values, known), Sheet) for values in candidates.values()
    )
    if distinct < asked:
        raise TooFewVariantsError(read.name, distinct, asked)


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
    _check_uses(name, [problem for section in built for problem in section.problems])
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
