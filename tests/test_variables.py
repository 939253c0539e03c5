"""Variables an author can trust: computed variables, ``where``, numbers from expressions,
distinct class sets, and errors in the words of the TOML file.

Expected values come from the engine (``Conv``, ``Stack``) fed with the sheet's own
parameters, or from plain Python written here (the old drawing rule, counting the
variants a range allows); nothing is copied from a rendered sheet.
"""

from __future__ import annotations

import itertools
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest

from symconv import Conv, SymconvError
from symconv.layers.stack import Stack, conv, dense, flatten, pool
from symconv.sheets import build_sheet
from symconv.sheets.loader import (
    SheetError,
    TooFewVariantsError,
    parse_class_set,
    parse_definition,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def sheet(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def elements(top: str, problem: str) -> dict[str, Any]:
    """A definition with ``top`` (variables, where) and one problem of kind ``elements``."""
    return sheet(
        f'{top}\n[[section]]\ntitle = "S"\n[[section.problem]]\nkind = "elements"\n{problem}'
    )


# --------------------------------------------------------------------------
# Computed variables and where


COMPUTED = """
[variables]
n = { default = 9, min = 7, max = 14 }
f = { default = 3, choices = [3, 5, 7] }
p = "(f - 1) // 2"
"""


@pytest.mark.parametrize("seed", [None, *range(8)])
def test_a_computed_variable_is_computed_from_the_drawn_ones(seed: int | None) -> None:
    definition = elements(COMPUTED, 'input = "$n"\nkernel = "$f"\npadding = "$p"')
    built = parse_definition(definition, name="computed", seed=seed)
    n, f, p = (built.parameters[key] for key in ("n", "f", "p"))
    assert p * 2 + 1 == f  # the expression, checked by its inverse
    assert built.problem("1a").answer("size").value == Conv(n, f, padding=p).output_shape[0]


@pytest.mark.parametrize("seed", range(6))
def test_braces_give_a_number_wherever_a_number_goes(seed: int) -> None:
    definition = elements(COMPUTED, 'input = "{{ n + 2 }}"\nkernel = "$f"\nstride = "{{ f - 1 }}"')
    built = parse_definition(definition, name="braces", seed=seed)
    n, f = built.parameters["n"], built.parameters["f"]
    expected = Conv(n + 2, f, stride=f - 1).output_shape[0]
    assert built.problem("1a").answer("size").value == expected


def test_computed_variables_may_read_each_other_in_any_order() -> None:
    top = '[variables]\nq = "p + 1"\np = "n * 2"\nn = { default = 4, min = 3, max = 9 }'
    for seed in range(5):
        values = parse_definition(
            elements(top, 'input = "$q"\nkernel = 3'), name="x", seed=seed
        ).parameters
        assert values["p"] == 2 * values["n"] and values["q"] == values["p"] + 1


WHERE = """
where = ["k <= n - 2", "k != 4"]
[variables]
n = { default = 6, min = 3, max = 8 }
k = { default = 3, min = 2, max = 6 }
"""


def test_every_variant_meets_where() -> None:
    definition = elements(WHERE, 'input = "$n"\nkernel = "$k"')
    drawn = [parse_definition(definition, name="w", seed=seed).parameters for seed in range(60)]
    assert all(v["k"] <= v["n"] - 2 and v["k"] != 4 for v in drawn)
    # the constraint is what limits them: without it, some seed draws k > n - 2
    free = elements(
        WHERE.replace('where = ["k <= n - 2", "k != 4"]', ""), 'input = 9\nkernel = "$k"'
    )
    unconstrained = [parse_definition(free, name="w", seed=seed).parameters for seed in range(60)]
    assert any(v["k"] > v["n"] - 2 or v["k"] == 4 for v in unconstrained)


def test_defaults_that_break_where_are_refused() -> None:
    definition = elements(
        WHERE.replace("default = 6", "default = 4"), 'input = "$n"\nkernel = "$k"'
    )
    with pytest.raises(SheetError, match=r"defaults \(n = 4, k = 3\) break a where"):
        parse_definition(definition, name="w")


def test_where_that_no_draw_meets_says_so() -> None:
    definition = elements(
        'where = ["n < 7 or n == 9"]\n[variables]\nn = { default = 9, min = 7, max = 12 }',
        'input = "$n"\nkernel = 3',
    )
    with pytest.raises(SheetError, match=r"seed 4 meets where n < 7 or n == 9"):
        parse_definition(definition, name="w", seed=4)


SEEDS_OF_BEFORE = range(25)


@pytest.mark.parametrize("seed", SEEDS_OF_BEFORE)
def test_a_single_seed_draws_as_before(seed: int) -> None:
    """Without computed variables or where, ``--seed N`` draws what it always drew."""
    definition = tomllib.loads((EXAMPLES / "strided-convolutions.toml").read_text())
    variables = definition["variables"]
    rng = random.Random(seed)
    defaults = {name: spec["default"] for name, spec in variables.items()}
    while True:  # the rule of earlier releases, every draw of this sheet being sound
        drawn = {
            name: rng.choice(spec["choices"])
            if "choices" in spec
            else rng.randint(spec["min"], spec["max"])
            for name, spec in variables.items()
        }
        if drawn != defaults:
            break
    assert build_sheet(EXAMPLES / "strided-convolutions.toml", seed=seed).parameters == drawn


# --------------------------------------------------------------------------
# Stack layers take variables


def test_stack_layers_take_variables_and_expressions() -> None:
    definition = sheet(
        """
[variables]
c = { default = 8, choices = [4, 8, 16] }
f = { default = 3, choices = [3, 5] }
[[section]]
title = "S"
  [[section.problem]]
  kind = "stack"
  input = [3, 32, 32]
  layers = [
    { type = "conv", kernel = "$f", out_channels = "$c", padding = "{{ (f - 1) // 2 }}" },
    { type = "pool", kernel = 2 },
    { type = "flatten" },
    { type = "dense", out_features = "{{ c * 2 }}" },
  ]
"""
    )
    for seed in range(5):
        built = parse_definition(definition, name="stack", seed=seed)
        c, f = built.parameters["c"], built.parameters["f"]
        stack = Stack(
            (3, 32, 32),
            [conv(f, out_channels=c, padding=(f - 1) // 2), pool(2), flatten(), dense(2 * c)],
        )
        problem = built.problem("1a")
        assert problem.answer("output_shape").value == stack.output_shape[0]
        assert problem.answer("weights").value == stack.weight_count


# --------------------------------------------------------------------------
# Class sets are distinct


STRIDED = tomllib.loads((EXAMPLES / "strided-convolutions.toml").read_text())


def test_a_class_set_of_30_holds_30_different_variants() -> None:
    sheets = parse_class_set(STRIDED, name="strided", seeds=range(1, 31))
    keys = [tuple(sorted(s.parameters.items())) for s in sheets]
    assert len(sheets) == 30 and len(set(keys)) == 30
    # before, seeds 1 and 3 gave the same numbers: one of them is now passed over
    alone = [parse_definition(STRIDED, name="strided", seed=s).parameters for s in range(1, 31)]
    assert len({tuple(sorted(v.items())) for v in alone}) < 30


def test_each_variant_of_a_class_set_is_the_sheet_of_its_seed() -> None:
    """Marking rebuilds a student's variant from its seed: the two must agree."""
    sheets = parse_class_set(STRIDED, name="strided", seeds=range(1, 31))
    for variant in sheets:
        alone = parse_definition(STRIDED, name="strided", seed=variant.seed)
        assert variant.parameters == alone.parameters
        assert [a.value for p in variant.problems() for a in p.answers] == [
            a.value for p in alone.problems() for a in p.answers
        ]
    seeds = [variant.seed for variant in sheets]
    assert seeds == sorted(seeds) and seeds[0] == 1 and len(set(seeds)) == 30
    # a seed is passed over only for a repeat of an earlier variant
    passed_over = sorted(set(range(1, max(seeds) + 1)) - set(seeds))
    earlier = {s: parse_definition(STRIDED, name="strided", seed=s).parameters for s in seeds}
    for seed in passed_over:
        repeat = parse_definition(STRIDED, name="strided", seed=seed).parameters
        assert repeat in [values for s, values in earlier.items() if s < seed]


def test_a_class_set_is_the_same_every_time() -> None:
    first = parse_class_set(STRIDED, name="strided", seeds=range(5, 25))
    again = parse_class_set(STRIDED, name="strided", seeds=range(5, 25))
    assert [(s.seed, s.parameters) for s in first] == [(s.seed, s.parameters) for s in again]


TIGHT = """
[variables]
n = { default = 6, min = 3, max = 8 }
k = { default = 3, choices = [3, 5] }
"""


def sound_variants(ns: range, ks: list[int], default: tuple[int, int]) -> int:
    """Oracle: (n, k) pairs whose kernel fits its input, the default left out."""
    return sum(1 for n, k in itertools.product(ns, ks) if k <= n and (n, k) != default)


def test_a_class_set_larger_than_the_variables_allow_names_the_count() -> None:
    definition = elements(TIGHT, 'input = "$n"\nkernel = "$k"')
    distinct = sound_variants(range(3, 9), [3, 5], (6, 3))
    with pytest.raises(TooFewVariantsError) as info:
        parse_class_set(definition, name="tight", seeds=range(1, distinct + 2))
    assert info.value.distinct == distinct
    assert f"allow only {distinct} distinct variants" in str(info.value)
    assert "\n" not in str(info.value)
    every = parse_class_set(definition, name="tight", seeds=range(1, distinct + 1))
    assert len({tuple(sorted(s.parameters.items())) for s in every}) == distinct


def test_too_few_variants_counts_what_where_leaves() -> None:
    definition = elements('where = ["n != 7"]' + TIGHT, 'input = "$n"\nkernel = "$k"')
    distinct = sound_variants(range(3, 9), [3, 5], (6, 3)) - 2  # n = 7 with k = 3 or 5
    with pytest.raises(TooFewVariantsError) as info:
        parse_class_set(definition, name="tight", seeds=range(40))
    assert info.value.distinct == distinct


# --------------------------------------------------------------------------
# The sandbox, and errors in the words of the file

NOT_PYTHON = ("SymPy", "Symbol(", "(str)", "(float)", "(bool)", "True", "integer", "Traceback")

AUTHOR_MISTAKES = {
    "a number in quotes": (
        'input = "$n"\nkernel = "3"',
        ["section 1, problem (a) (elements), key 'kernel'", "whole number", "without quotes"],
    ),
    "a variable that does not exist": (
        'input = "$n"\nkernel = "$filters"',
        ["key 'kernel'", "unknown variable '$filters'", "(variables are k, n)"],
    ),
    "arithmetic outside braces": (
        'input = "$n + 1"\nkernel = 3',
        ["key 'input'", "must be a whole number, got '$n + 1'", "(variables are k, n)"],
    ),
    "a fraction": (
        'input = "$n"\nkernel = 2.5',
        ["key 'kernel'", "must be a whole number, got 2.5"],
    ),
    "a flag for a number": (
        'input = "$n"\nkernel = true',
        ["key 'kernel'", "got true"],
    ),
    "braces that give no whole number": (
        'input = "{{ n / 2 }}"\nkernel = 3',
        ["key 'input'", "it gives"],
    ),
}


@pytest.mark.parametrize("case", AUTHOR_MISTAKES)
def test_an_author_mistake_is_reported_in_the_files_words(case: str) -> None:
    problem, fragments = AUTHOR_MISTAKES[case]
    top = "[variables]\nn = { default = 9, min = 7, max = 12 }\nk = 3"
    with pytest.raises(SheetError) as info:
        parse_definition(elements(top, problem), name="mine")
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert not any(word in message for word in NOT_PYTHON), message


STACK_MISTAKES = {
    "a word for a kernel": ('{ type = "conv", kernel = "x" }', ["layer 1 (conv), key 'kernel'"]),
    "a padding word": (
        '{ type = "conv", kernel = 3, padding = "half" }',
        ["padding", "whole number", "'same'"],
    ),
    "a padding word for pooling": (
        '{ type = "pool", kernel = 3, padding = "same" }',
        ["padding", "whole number"],
    ),
    "bias in quotes": ('{ type = "conv", kernel = 3, bias = "yes" }', ["bias", "true or false"]),
    "dense before flatten": ('{ type = "dense", out_features = 3 }', ['type = "flatten"']),
    # a stack's convolution takes padding_mode itself (a single layer's sheet key is circular)
    "an unknown key": ('{ type = "conv", kernel = 3, kernal = 3 }', ["kernal", "padding_mode"]),
    "a padding mode": (
        '{ type = "conv", kernel = 3, padding_mode = "mirror" }',
        ["padding_mode must be one of 'zeros', 'circular', 'reflect', 'replicate'"],
    ),
}


@pytest.mark.parametrize("case", STACK_MISTAKES)
def test_a_stack_layer_mistake_is_reported_in_the_files_words(case: str) -> None:
    layer, fragments = STACK_MISTAKES[case]
    definition = sheet(
        '[[section]]\ntitle = "S"\n[[section.problem]]\nkind = "stack"\n'
        f"input = [3, 8, 8]\nlayers = [{layer}]\n"
    )
    with pytest.raises(SheetError) as info:
        parse_definition(definition, name="mine")
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert not any(word in message for word in NOT_PYTHON), message


VARIABLE_MISTAKES = {
    "reads nothing known": (
        '[variables]\np = "(f - 1) // 2"',
        ["variable 'p'", "unknown variable 'f'"],
    ),
    "a cycle": ('[variables]\np = "q + 1"\nq = "p - 1"', ["p, q", "cycle"]),
    "bad syntax": ('[variables]\nn = 3\np = "n +"', ["variable 'p'", "cannot be read"]),
    "where naming nothing": ('where = ["m > 2"]\n[variables]\nn = 3', ["where 'm > 2'", "'m'"]),
    "where not a list": ("where = 3\n[variables]\nn = 3", ["where must be a list"]),
    "python reached for": ('[variables]\nn = 3\np = "n.__class__"', ["variable 'p'"]),
}


@pytest.mark.parametrize("case", VARIABLE_MISTAKES)
def test_a_variable_mistake_is_refused_in_one_line(case: str) -> None:
    top, fragments = VARIABLE_MISTAKES[case]
    with pytest.raises(SymconvError) as info:
        parse_definition(elements(top, "input = 9\nkernel = 3"), name="mine")
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_build_sheets_gives_a_distinct_class_set_and_the_cli_says_how_many_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli_runner import run

    from symconv.sheets import build_sheets

    path = EXAMPLES / "strided-convolutions.toml"
    sheets = build_sheets(path, range(1, 31))
    assert len({tuple(sorted(s.parameters.items())) for s in sheets}) == 30
    assert all(s.parameters == build_sheet(path, seed=s.seed).parameters for s in sheets)
    ranges = STRIDED["variables"]
    sizes = range(ranges["n"]["min"], ranges["n"]["max"] + 1)
    # every draw of this sheet is sound (kernels up to 4, inputs from 8); the default is left out
    every = len(sizes) * len(ranges["k"]["choices"]) * len(ranges["s"]["choices"]) - 1
    code, _, err = run(
        ["sheet", str(path), "--variants", str(every + 1), "-o", str(tmp_path / "c.tex")], capsys
    )
    assert code != 0 and f"allow only {every} distinct variants" in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
