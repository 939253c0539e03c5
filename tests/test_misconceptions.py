"""The classic misconceptions, named by marking wherever a kind's answer can show them.

Every wrong value fed here is computed in the test with plain integer arithmetic
(the textbook formula with the one mistake made), not by the rule in
``symconv.sheets.slips`` that the sheet uses; the sentences are looked up in
``SLIP_HINTS``, not copied. A right answer names no slip, and a slip whose value
equals the right answer for a question is not named at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import Symbol, ceiling, floor

from symconv import Conv
from symconv.answers.feedback import SLIP_HINTS
from symconv.marking.marks import mark_answers
from symconv.sheets.kinds import KINDS
from symconv.sheets.model import Answer
from symconv.sheets.slips import CHANNELS_LAST


def conv_size(w: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (w + 2 * p - d * (k - 1) - 1) // s + 1


def conv_size_ceil(w: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return -(-(w + 2 * p - d * (k - 1) - 1) // s) + 1


def conv_size_one_side(w: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (w + p - d * (k - 1) - 1) // s + 1


def conv_size_undilated(w: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (w + 2 * p - k) // s + 1


def transpose_size(w: int, k: int, s: int = 1, p: int = 0, d: int = 1, a: int = 0) -> int:
    return (w - 1) * s - 2 * p + d * (k - 1) + a + 1


def derived(kind: str, **params: Any) -> dict[str, Answer]:
    """The answers of one problem of ``kind``."""
    found = KINDS[kind].derive({**KINDS[kind].defaults, **params})
    return {answer.key: answer for answer in found.answers}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def sheet_file(tmp_path: Path, kind: str, **params: Any) -> Path:
    lines = "\n".join(f"{key} = {toml_value(value)}" for key, value in params.items())
    path = tmp_path / f"{kind}.toml"
    path.write_text(
        f'title = "Slips"\n[[section]]\ntitle = "S"\n[[section.problem]]\nkind = "{kind}"\n'
        f"{lines}\n",
        encoding="utf-8",
    )
    return path


def marked(path: Path, key: str, given: Any) -> Any:
    report = mark_answers({"1a": {key: given}}, sheet=str(path))
    return next(mark for mark in report.marks if mark.key == key)


def named(path: Path, key: str, given: Any) -> set[str]:
    """The slips whose sentence marking gives for ``given``."""
    mark = marked(path, key, given)
    return {name for name, hint in SLIP_HINTS.items() if hint in (mark.message or "")}


def shape_text(shape: Any) -> str:
    return " x ".join(map(str, shape)) if isinstance(shape, tuple) else str(shape)


# Output sizes of a convolution (elements, cost) ---------------------------------------

ELEMENTS = [
    dict(input=10, kernel=3, stride=2, padding=1, dilation=2),
    dict(input=12, kernel=4, stride=3, padding=2),
    dict(input=9, kernel=3, stride=2, padding=2, dilation=3),
    dict(input=7, kernel=2, stride=2),
]


def size_slips_of(w: int, k: int, s: int, p: int, d: int) -> dict[str, int]:
    right = conv_size(w, k, s, p, d)
    wrong = {
        "ceil_for_floor": conv_size_ceil(w, k, s, p, d),
        "missing_plus_one": right - 1,
        "padding_one_side": conv_size_one_side(w, k, s, p, d),
        "dilation_ignored": conv_size_undilated(w, k, s, p, d),
    }
    return {name: value for name, value in wrong.items() if value != right and value >= 1}


@pytest.mark.parametrize("params", ELEMENTS)
def test_size_slips_of_a_convolution_are_named(tmp_path: Path, params: dict[str, Any]):
    path = sheet_file(tmp_path, "elements", **params)
    w, k = params["input"], params["kernel"]
    s, p, d = params.get("stride", 1), params.get("padding", 0), params.get("dilation", 1)
    slips = size_slips_of(w, k, s, p, d)
    assert slips, "each spec is chosen to show some slip"
    for name, value in slips.items():
        assert name in named(path, "size", str(value)), (name, value)
    assert marked(path, "size", str(conv_size(w, k, s, p, d))).status == "right"
    assert not named(path, "size", str(conv_size(w, k, s, p, d)))


@given(
    st.integers(1, 30), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)
)
@settings(max_examples=60, deadline=None)
def test_every_size_slip_has_the_value_of_its_mistake(w: int, k: int, s: int, p: int, d: int):
    if d * (k - 1) + 1 > w + 2 * p:
        return  # the kernel does not fit: no such layer
    answers = derived("elements", input=w, kernel=k, stride=s, padding=p, dilation=d)
    assert dict(answers["size"].slips) == size_slips_of(w, k, s, p, d)


def test_a_two_dimensional_layer_with_channels_names_its_slips(tmp_path: Path):
    params = dict(
        input=[11, 11], kernel=3, stride=2, padding=1, dilation=2, in_channels=2, out_channels=6
    )
    path = sheet_file(tmp_path, "elements", **params)
    right = conv_size(11, 3, 2, 1, 2)
    assert marked(path, "size", f"6 x {right} x {right}").status == "right"
    for name, value in size_slips_of(11, 3, 2, 1, 2).items():
        assert name in named(path, "size", f"6 x {value} x {value}")
    assert CHANNELS_LAST in named(path, "size", f"{right} x {right} x 6")


COST = [
    dict(image=32, channels=3, kernel=5, filters=8, stride=2, padding=1),
    dict(image=28, channels=4, kernel=3, filters=6, stride=2, padding=2),
]


@pytest.mark.parametrize("params", COST)
def test_cost_output_shape_slips(tmp_path: Path, params: dict[str, Any]):
    path = sheet_file(tmp_path, "cost", **params)
    w, k, s, p = params["image"], params["kernel"], params["stride"], params["padding"]
    c = params["filters"]
    right = conv_size(w, k, s, p)
    assert marked(path, "output_shape", f"{c} x {right} x {right}").status == "right"
    for name, value in size_slips_of(w, k, s, p, 1).items():
        assert name in named(path, "output_shape", f"{c} x {value} x {value}")
    assert CHANNELS_LAST in named(path, "output_shape", f"{right} x {right} x {c}")


# Shapes: channels last --------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [dict(image=32, channels=3, kernel=5, filters=8), dict(image=[20, 24], channels=6, kernel=3)],
)
def test_channels_last_shapes_are_named(tmp_path: Path, params: dict[str, Any]):
    path = sheet_file(tmp_path, "shapes", **params)
    image = params["image"]
    h, w = (image, image) if isinstance(image, int) else image
    c, k = params["channels"], params["kernel"]
    assert CHANNELS_LAST in named(path, "input_shape", f"{h} x {w} x {c}")
    assert CHANNELS_LAST in named(path, "filter_shape", f"{k} x {k} x {c}")
    assert not named(path, "input_shape", f"{c} x {h} x {w}")
    assert marked(path, "filter_shape", f"{c} x {k} x {k}").status == "right"


def test_channels_last_is_not_named_when_the_orders_agree():
    answers = derived("shapes", image=3, channels=3, kernel=3)
    assert answers["input_shape"].slips == ()
    assert answers["filter_shape"].slips == ()


def test_grouped_filter_shape_channels_last_and_biases(tmp_path: Path):
    params = dict(image=16, channels=8, kernel=3, filters=12, groups=4)
    path = sheet_file(tmp_path, "groups", **params)
    per_group = 8 // 4
    assert CHANNELS_LAST in named(path, "filter_shape", f"3 x 3 x {per_group}")
    weights = 12 * per_group * 3 * 3
    assert "biases_the_layer_has_not" in named(path, "weights", str(weights + 12))
    assert "biases_the_layer_has_not" in named(path, "full_weights", str(12 * 8 * 9 + 12))
    assert not named(path, "weights", str(weights))


# Transposed convolutions ------------------------------------------------------------

TRANSPOSE = [
    dict(input=3, kernel=3, stride=2, padding=1, dilation=2, output_padding=1),
    dict(input=5, kernel=4, stride=2, padding=1),
    dict(input=4, kernel=3, stride=3, padding=2, output_padding=2),
]


def transpose_slips_of(w: int, k: int, s: int, p: int, d: int, a: int) -> dict[str, int]:
    right = transpose_size(w, k, s, p, d, a)
    wrong = {
        "transpose_as_convolution": conv_size(w, k, s, p, d) if d * (k - 1) < w + 2 * p else 0,
        "missing_plus_one": right - 1,
        "padding_one_side": (w - 1) * s - p + d * (k - 1) + a + 1,
        "dilation_ignored": (w - 1) * s - 2 * p + (k - 1) + a + 1,
        "output_padding_left_out": right - a,
    }
    return {name: value for name, value in wrong.items() if value != right and value >= 1}


@pytest.mark.parametrize("params", TRANSPOSE)
def test_transposed_size_slips_are_named(tmp_path: Path, params: dict[str, Any]):
    path = sheet_file(tmp_path, "transpose", **params)
    args = (
        params["input"], params["kernel"], params["stride"], params["padding"],
        params.get("dilation", 1), params.get("output_padding", 0),
    )  # fmt: skip
    slips = transpose_slips_of(*args)
    assert "transpose_as_convolution" in slips
    for name, value in slips.items():
        assert name in named(path, "size", str(value)), (name, value)
    assert marked(path, "size", str(transpose_size(*args))).status == "right"
    assert not named(path, "size", str(transpose_size(*args)))
    weights = params["kernel"]
    assert "biases_the_layer_has_not" in named(path, "weights", str(weights + 1))


@given(
    st.integers(1, 8), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 3),
    st.integers(0, 2),
)  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_transposed_slips_have_the_values_of_their_mistakes(
    w: int, k: int, s: int, p: int, d: int, a: int
):
    assume(a < max(s, d) and a <= p + s - 1 and transpose_size(w, k, s, p, d, a) >= 1)
    answers = derived("transpose", input=w, kernel=k, stride=s, padding=p, dilation=d,
                      output_padding=a)  # fmt: skip
    assert dict(answers["size"].slips) == transpose_slips_of(w, k, s, p, d, a)


def test_transposed_with_channels_names_channels_last(tmp_path: Path):
    params = dict(input=[3, 3], kernel=3, stride=2, in_channels=4, out_channels=6)
    path = sheet_file(tmp_path, "transpose", **params)
    n = transpose_size(3, 3, 2)
    assert marked(path, "size", f"6 x {n} x {n}").status == "right"
    assert CHANNELS_LAST in named(path, "size", f"{n} x {n} x 6")
    m = conv_size(3, 3, 2)
    assert "transpose_as_convolution" in named(path, "size", f"6 x {m} x {m}")


# Pooling ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(input=10, kernel=3, stride=2, padding=1),
        dict(input=11, kernel=3, stride=2, padding=1, ceil_mode=True),
        dict(input=12, kernel=2, stride=3, ceil_mode=True),
        dict(input=10, kernel=2, stride=3, ceil_mode=True),
    ],
)
def test_pooling_size_slips_are_named(tmp_path: Path, params: dict[str, Any]):
    import torch

    path = sheet_file(tmp_path, "pooling", **params)
    w, k, s = params["input"], params["kernel"], params["stride"]
    p, ceil_mode = params.get("padding", 0), params.get("ceil_mode", False)
    pooled = torch.nn.MaxPool1d(k, s, p, ceil_mode=ceil_mode)(torch.zeros(1, 1, w))
    right = pooled.shape[-1]
    rounded = conv_size_ceil if ceil_mode else conv_size
    wrong = {
        ("floor_for_ceil" if ceil_mode else "ceil_for_floor"): (
            conv_size(w, k, s, p) if ceil_mode else conv_size_ceil(w, k, s, p)
        ),
        "missing_plus_one": rounded(w, k, s, p) - 1,
        "padding_one_side": (
            -(-(w + p - k) // s) + 1 if ceil_mode else conv_size_one_side(w, k, s, p)
        ),
    }
    wrong = {name: value for name, value in wrong.items() if value != right}
    assert wrong
    for name, value in wrong.items():
        assert name in named(path, "size", str(value)), (name, value)
    assert marked(path, "size", str(right)).status == "right"
    assert not named(path, "size", str(right))


# The general formula ----------------------------------------------------------------

W, K, s, p, d = (Symbol(n, integer=True, positive=True) for n in ("W", "K", "s", "p", "d"))
SYMBOLIC = {
    "general": {
        "ceil_for_floor": r"\left\lceil \frac{W + 2p - K}{s} \right\rceil + 1",
        "missing_plus_one": r"\left\lfloor \frac{W + 2p - K}{s} \right\rfloor",
        "padding_one_side": r"\left\lfloor \frac{W + p - K}{s} \right\rfloor + 1",
    },
    "dilated": {
        "ceil_for_floor": r"\left\lceil \frac{W + 2p - d(K-1) - 1}{s} \right\rceil + 1",
        "missing_plus_one": r"\left\lfloor \frac{W + 2p - d(K-1) - 1}{s} \right\rfloor",
        "padding_one_side": r"\left\lfloor \frac{W + p - d(K-1) - 1}{s} \right\rfloor + 1",
        "dilation_ignored": r"\left\lfloor \frac{W + 2p - K}{s} \right\rfloor + 1",
    },
    "valid": {"missing_plus_one": "W - K"},
}


@pytest.mark.parametrize(
    ("key", "name", "written"),
    [(key, name, text) for key, slips in SYMBOLIC.items() for name, text in slips.items()],
)
def test_symbolic_slips_of_the_size_formula_are_named(
    tmp_path: Path, key: str, name: str, written: str
):
    path = sheet_file(tmp_path, "size-formula", dilation=True)
    assert name in named(path, key, written)


def test_the_right_formulas_name_no_slip(tmp_path: Path):
    path = sheet_file(tmp_path, "size-formula", dilation=True)
    right = {
        "valid": "W - K + 1",
        "general": r"\left\lfloor \frac{W + 2p - K}{s} \right\rfloor + 1",
        "dilated": r"\left\lfloor \frac{W + 2p - d(K - 1) - 1}{s} \right\rfloor + 1",
    }
    for key, written in right.items():
        assert marked(path, key, written).status == "right"
        assert not named(path, key, written)


def test_a_missing_floor_is_said_by_the_checker(tmp_path: Path):
    path = sheet_file(tmp_path, "size-formula")
    mark = marked(path, "general", r"\frac{W + 2p - K}{s} + 1")
    assert mark.status == "wrong" and "floor is missing" in mark.message


def test_symbolic_slips_equal_their_numbers():
    # The symbolic slips, evaluated, agree with the integer arithmetic above.
    slips = dict(derived("size-formula", dilation=True)["dilated"].slips)
    for w, k, st_, pad, dil in [(20, 3, 2, 1, 2), (17, 4, 3, 2, 1), (9, 2, 1, 0, 3)]:
        point = {W: w, K: k, s: st_, p: pad, d: dil}
        expected = size_slips_of(w, k, st_, pad, dil)
        for name, value in expected.items():
            by_name = {sym.name: number for sym, number in point.items()}
            formula = slips[name].xreplace(
                {sym: by_name[sym.name] for sym in slips[name].free_symbols}
            )
            assert int(formula) == value
    assert not any(f.has(floor) for n, f in slips.items() if n == "ceil_for_floor")
    assert slips["ceil_for_floor"].has(ceiling)


# Flipped kernels --------------------------------------------------------------------


def correlation_text(conv: Conv, index: int, flip: bool) -> str:
    """``k_1 x_i + ...`` with the kernel reversed when ``flip``, by index arithmetic."""
    k = conv.spec.kernel_size[0]
    start = index * conv.spec.stride[0]
    terms = [f"k_{(k - j) if flip else (j + 1)} x_{start + j + 1}" for j in range(k)]
    return " + ".join(terms)


@pytest.mark.parametrize(("n", "k", "stride"), [(9, 3, 1), (10, 4, 2)])
def test_an_unflipped_kernel_where_flip_was_asked_is_named(
    tmp_path: Path, n: int, k: int, stride: int
):
    path = sheet_file(tmp_path, "elements", input=n, kernel=k, stride=stride, flip=True)
    conv = Conv(n, k, stride=stride, flip=True)
    last = conv.output_shape[0] - 1
    assert marked(path, "first", correlation_text(conv, 0, flip=True)).status == "right"
    assert "kernel_not_flipped" in named(path, "first", correlation_text(conv, 0, flip=False))
    assert "kernel_not_flipped" in named(path, "last", correlation_text(conv, last, flip=False))
    assert not named(path, "last", correlation_text(conv, last, flip=True))


def test_a_flipped_kernel_where_none_was_asked_is_named(tmp_path: Path):
    path = sheet_file(tmp_path, "elements", input=9, kernel=3)
    conv = Conv(9, 3)
    assert marked(path, "first", correlation_text(conv, 0, flip=False)).status == "right"
    assert "kernel_flipped" in named(path, "first", correlation_text(conv, 0, flip=True))


def test_a_symmetric_window_names_no_flip():
    answers = derived("elements", input=5, kernel=1, flip=True)
    assert answers["first"].slips == ()


# Biases -----------------------------------------------------------------------------


def test_unshared_biases_the_layer_has_not(tmp_path: Path):
    path = sheet_file(tmp_path, "unshared", input=7, kernel=3)
    outputs = conv_size(7, 3)
    weights = outputs * 3
    assert marked(path, "weights", str(weights)).status == "right"
    assert "biases_the_layer_has_not" in named(path, "weights", str(weights + outputs))


def test_stack_output_written_channels_last(tmp_path: Path):
    path = tmp_path / "stack.toml"
    path.write_text(
        'title = "S"\n[[section]]\ntitle = "S"\n[[section.problem]]\nkind = "stack"\n'
        "input = [3, 16, 16]\n"
        'layers = [{type = "conv", out_channels = 8, kernel = 3}]\n',
        encoding="utf-8",
    )
    n = conv_size(16, 3)
    assert marked(path, "output_shape", f"8 x {n} x {n}").status == "right"
    assert CHANNELS_LAST in named(path, "output_shape", f"{n} x {n} x 8")


# Every slip has a sentence, and only a differing slip is attached --------------------


def test_every_slip_a_kind_names_has_a_sentence():
    samples = [
        derived("elements", input=10, kernel=3, stride=2, padding=1, dilation=2, flip=True),
        derived("transpose", input=3, kernel=3, stride=2, padding=1, dilation=2,
                output_padding=1, in_channels=2, out_channels=3),
        derived("pooling", input=10, kernel=2, stride=3, ceil_mode=True),
        derived("size-formula", dilation=True),
        derived("cost", image=32, channels=3, kernel=5, filters=8, stride=2, padding=1),
        derived("groups", image=16, channels=8, kernel=3, filters=12, groups=4),
    ]  # fmt: skip
    names = {name for answers in samples for a in answers.values() for name, _ in a.slips}
    assert names <= set(SLIP_HINTS)
    assert {"ceil_for_floor", "floor_for_ceil", "missing_plus_one", "padding_one_side",
            "dilation_ignored", "transpose_as_convolution", CHANNELS_LAST,
            "kernel_not_flipped", "biases_the_layer_has_not"} <= names  # fmt: skip


@given(st.integers(3, 12), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2))
@settings(max_examples=40, deadline=None)
def test_no_slip_has_the_right_value(w: int, k: int, stride: int, padding: int):
    for answers in (
        derived("elements", input=w, kernel=k, stride=stride, padding=padding),
        derived("cost", image=w, channels=2, kernel=k, filters=2, stride=stride,
                padding=padding),
        derived("transpose", input=w, kernel=k, stride=stride),
        derived("pooling", input=w, kernel=k, stride=stride, padding=min(padding, k // 2)),
    ):  # fmt: skip
        for answer in answers.values():
            assert all(wrong != answer.value for _, wrong in answer.slips)


# Counts and matrices -----------------------------------------------------------------


def test_counts_output_shape_slips(tmp_path: Path):
    params = dict(image=31, channels=3, kernel=4, filters=7, stride=3, padding=2)
    path = sheet_file(tmp_path, "counts", **params)
    right = conv_size(31, 4, 3, 2)
    assert marked(path, "output_shape", f"7 x {right} x {right}").status == "right"
    slips = size_slips_of(31, 4, 3, 2, 1)
    assert {"ceil_for_floor", "missing_plus_one", "padding_one_side"} <= set(slips)
    for name, value in slips.items():
        assert name in named(path, "output_shape", f"7 x {value} x {value}")
    assert CHANNELS_LAST in named(path, "output_shape", f"{right} x {right} x 7")


def test_matrix_shape_rows_from_a_size_slip(tmp_path: Path):
    path = sheet_file(tmp_path, "matrix", input=10, kernel=3, stride=2, padding=1, dilation=2)
    right = conv_size(10, 3, 2, 1, 2)
    assert marked(path, "shape", f"{right} x 10").status == "right"
    for name, value in size_slips_of(10, 3, 2, 1, 2).items():
        assert name in named(path, "shape", f"{value} x 10")


@pytest.mark.parametrize("flip", [True, False])
def test_a_matrix_with_the_kernel_the_wrong_way_round(tmp_path: Path, flip: bool):
    n, k = 5, 3
    path = sheet_file(tmp_path, "matrix", input=n, kernel=k, flip=flip)
    rows = conv_size(n, k)

    def matrix(reversed_kernel: bool) -> str:
        lines = []
        for row in range(rows):
            cells = ["0"] * n
            for j in range(k):
                cells[row + j] = f"k_{k - j if reversed_kernel else j + 1}"
            lines.append(" & ".join(cells))
        return r"\begin{bmatrix}" + r" \\ ".join(lines) + r"\end{bmatrix}"

    assert marked(path, "matrix", matrix(flip)).status == "right"
    expected = "kernel_not_flipped" if flip else "kernel_flipped"
    assert expected in named(path, "matrix", matrix(not flip))
    assert not named(path, "matrix", matrix(flip))
