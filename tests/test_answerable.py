"""Every problem can be answered from its handout.

For every problem kind and every key that changes the worked answer, the
question a student reads must change too: a handout that reads the same for two
layers with different answers hides something the answer needs (the padding, the
flip, the dilation, the shape's order). Figures are off, so the words and the
math of the question alone must say it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sympy import srepr

from symconv.sheets import render_sheets
from symconv.sheets.kinds import KINDS
from symconv.sheets.loader import SheetError, parse_definition
from symconv.sheets.model import Sheet

#: A problem of each kind, and for each key the other values it may take.
CONV_CHANGES: dict[str, list[Any]] = {
    "input": [10, [6, 5]],
    "kernel": [2, 4],
    "stride": [2],
    "padding": [1, "same", "full", [[0, 1]], [[1, 0]]],
    "dilation": [2],
    "circular": [True],
    "flip": [True],
    "bias": [True],
    "in_channels": [2],
    "out_channels": [2],
}
IMAGE_CHANGES: dict[str, list[Any]] = {
    "image": [30, [32, 24]],
    "channels": [1, 4],
    "kernel": [5],
    "filters": [8],
    "stride": [2],
    "padding": [1],
}
CASES: dict[str, tuple[list[dict[str, Any]], dict[str, list[Any]]]] = {
    "elements": (
        [
            {"input": 9, "kernel": 3},
            {"input": 9, "kernel": 3, "padding": 1},
            {"input": [5, 5], "kernel": 2},
        ],
        {**CONV_CHANGES, "element": [3]},
    ),
    "matrix": (
        [
            {"input": 7, "kernel": 3},
            {"input": 7, "kernel": 3, "padding": 1},
            {"input": [4, 4], "kernel": 2},
        ],
        CONV_CHANGES,
    ),
    "unshared": ([{"input": 7, "kernel": 3}, {"input": [4, 4], "kernel": 2}], CONV_CHANGES),
    "im2col": ([{"input": 7, "kernel": 3}, {"input": [4, 4], "kernel": 2}], CONV_CHANGES),
    "backward": (
        [{"input": 6, "kernel": 3}, {"input": 6, "kernel": 3, "padding": 1}],
        {**CONV_CHANGES, "groups": [2]},
    ),
    "equivariance": (
        [{"input": 8, "kernel": 3, "padding": "same"}],
        {**CONV_CHANGES, "unshared": [True]},
    ),
    "transpose": (
        [{"input": 4, "kernel": 3}, {"input": 4, "kernel": 3, "stride": 2}],
        {
            "input": [5],
            "kernel": [2],
            "stride": [2, 3],
            "padding": [1],
            "dilation": [2],
            "output_padding": [1],
            "in_channels": [2],
            "out_channels": [2],
            "groups": [2],
        },
    ),
    "pooling": (
        [{"input": 7, "kernel": 2}, {"input": [5, 5], "kernel": 2}],
        {
            "input": [8],
            "kernel": [3],
            "stride": [1, 3],
            "padding": [1],
            "ceil_mode": [True],
            "mode": ["avg"],
        },
    ),
    "size-formula": ([{}], {"dilation": [True]}),
    "shapes": ([{"image": 32, "channels": 3, "kernel": 3, "filters": 16}], IMAGE_CHANGES),
    "counts": (
        [
            {"image": 32, "channels": 3, "kernel": 3, "filters": 16},
            {"image": 32, "channels": 3, "kernel": 3, "filters": 16, "bias": True},
        ],
        {**IMAGE_CHANGES, "bias": [True, False], "ask": [["parameters"], ["weights", "biases"]]},
    ),
    "cost": (
        [{"image": 32, "channels": 4, "kernel": 3, "filters": 8}],
        {**IMAGE_CHANGES, "groups": [2, 4]},
    ),
    "groups": (
        [{"image": 32, "channels": 4, "kernel": 3, "filters": 8, "groups": 2}],
        {**IMAGE_CHANGES, "channels": [8], "filters": [16], "groups": [4], "separable": [True]},
    ),
}


def sheet_of(problem: dict[str, Any]) -> Sheet:
    definition = {"title": "t", "section": [{"title": "s", "problem": [problem]}]}
    return parse_definition(definition, name="answerable")


def handout(sheet: Sheet) -> str:
    """The handout's body as LaTeX, with the sheet's own name (the same for both) left out."""
    source = render_sheets([sheet], solutions=False)
    return source[source.index(r"\section") :]


def answers(sheet: Sheet) -> tuple[tuple[str, str], ...]:
    return tuple(
        (answer.key, srepr(answer.value))
        for problem in sheet.problems()
        for answer in problem.answers
    )


def changes() -> list[tuple[str, dict[str, Any], str, Any]]:
    found = []
    for kind, (bases, keys) in CASES.items():
        for base in bases:
            for key, values in keys.items():
                found.extend((kind, base, key, value) for value in values if base.get(key) != value)
    return found


def test_every_kind_and_key_is_covered():
    # A new kind or key must say here how a handout shows it.
    covered = {kind: set(keys) for kind, (_, keys) in CASES.items()}
    for kind in KINDS.values():
        if kind.name in ("text", "stack", "network"):  # free text; stacks, networks: own tests
            continue
        keys = set(kind.defaults) - {"question", "figure"}
        assert keys <= covered.get(kind.name, set()), (kind.name, keys - covered[kind.name])


@pytest.mark.parametrize(
    ("kind", "base", "key", "value"),
    changes(),
    ids=[f"{k}-{i}-{key}={v}" for i, (k, _, key, v) in enumerate(changes())],
)
def test_a_change_that_changes_the_answer_changes_the_handout(kind, base, key, value):
    before = sheet_of({"kind": kind, **base})
    try:
        after = sheet_of({"kind": kind, **base, key: value})
    except SheetError:
        pytest.skip("not a valid problem")
    if answers(after) == answers(before):
        return
    assert handout(after) != handout(before), f"{kind}: {key} = {value!r} is not shown"


@pytest.mark.parametrize("rule", ["same", "full"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [2, 3, 4])
@pytest.mark.parametrize("dilation", [1, 2])
def test_a_named_padding_states_its_amounts_unless_they_are_the_textbook_ones(
    rule, stride, kernel, dilation
):
    from symconv import Conv

    problem = {"kind": "elements", "input": 9, "kernel": kernel, "stride": stride}
    problem |= {"padding": rule, "dilation": dilation}
    text = handout(sheet_of(problem))
    ((before, after),) = Conv(
        9, kernel, stride=stride, padding=rule, dilation=dilation
    ).spec.padding
    textbook = stride == 1 and before == after and (rule == "same" or dilation == 1)
    stated = {
        f"$d(K - 1) = {before}$ zeros on each side",
        f"padding ({before} on each side)",
        f"padding ({before} before and {after} after)",
    }
    shown = [phrase for phrase in stated if phrase in text]
    assert bool(shown) != textbook, (text[:400], shown)
