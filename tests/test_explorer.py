"""The explorer shows what the library derives: driven through its widgets' traitlets, read back
from the HTML of its views, and compared with a layer built directly with the same options."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from sympy import Expr, Integer, S, Symbol

import symconv
from symconv import Conv, ConvTranspose, SymconvError
from symconv.layers.symbols import symbol_name, unravel
from symconv.present.explorer import NEEDS_WIDGETS, ExplorerOptions, NotebookExtraMissing

# Reading the views back --------------------------------------------------------------


def shown_expression(fragment: str) -> Expr:
    """The sum a view shows, read back from its HTML (``<i>k</i><sub>1</sub> <i>x</i>...``)."""
    text = re.sub(r"<(?!/?(?:i|sub)>)[^>]*>", "", fragment).strip()
    assert "⋯" not in text, "an elided sum cannot be read back whole"
    total: Expr = S.Zero
    for sign, term in re.findall(r"(^|[+−])\s*([^+−]+)", text):
        coefficient, _, factors = term.rpartition("·")
        symbols = re.findall(r"<i>(\w+)</i>(?:<sub>([\d,]+)</sub>)?", factors)
        if symbols:
            product: Expr = Integer(coefficient or 1)
            for letter, subscript in symbols:
                product *= Symbol(f"{letter}_{subscript}" if subscript else letter)
        else:
            product = Integer(factors.strip())
        total += -product if sign == "−" else product
    return total


def shown_element(html: str) -> tuple[Expr, Expr]:
    """The name and the expression of the output an element view shows."""
    name, _, expression = html.partition(" = ")
    return shown_expression(name), shown_expression(expression)


def selected_matrix_row(html: str) -> tuple[int, dict[int, Expr], set[int]]:
    """The highlighted row of a matrix view, its entries shown by column, the columns marked."""
    rows = re.findall(r'<tr data-row="(\d+)" class="symconv-selected">(.*?)</tr>', html)
    assert len(rows) == 1, "exactly one row is highlighted"
    row, cells = rows[0]
    entries = {
        int(col): shown_expression(text)
        for col, text in re.findall(r'<td data-col="(\d+)"[^>]*>(.*?)</td>', cells)
    }
    columns = {int(c) for c in re.findall(r'<th data-col="(\d+)" class="symconv-column">', html)}
    return int(row), entries, columns


def figure_columns(html: str) -> set[int]:
    """Input columns a figure marks as read by the window (a tap, or read through a wrap)."""
    cells = re.findall(r'<td class="symconv-(?:tap|reached)" data-col="(\d+)"', html)
    return {int(c) for c in cells}


def figure_target(html: str) -> list[str]:
    return re.findall(r'<td class="symconv-target" title="([^"]+)"', html)


def shown_sizes(html: str) -> tuple[int, ...]:
    found = re.findall(r'data-axis="(\d+)">(\d+)<', html)
    by_axis = {int(axis): int(size) for axis, size in found}
    return tuple(by_axis[axis] for axis in sorted(by_axis))


def set_controls(explorer: Any, settings: dict[str, Any]) -> None:
    for name, value in settings.items():
        explorer.controls[name].value = value


def check_views(explorer: Any, layer: Conv | ConvTranspose, row: int) -> None:
    """Every view shows output ``row`` of ``layer``, as the library derives it."""
    assert explorer.layer == layer
    assert explorer.row == row
    assert explorer.error_view.value == ""
    index = unravel(row, layer.output_shape)
    name, element = shown_element(explorer.element_view.value)
    assert name == Symbol(symbol_name("y", index))
    assert element == layer.output_element(index)
    assert shown_sizes(explorer.size_view.value) == layer.spec.output_size
    assert " × ".join(map(str, layer.output_shape)) in explorer.size_view.value
    matrix = layer.matrix()  # built whole here, by the library, as the oracle
    nonzero = {c for c in range(matrix.cols) if matrix[row, c] != 0}
    shown_row, entries, columns = selected_matrix_row(explorer.matrix_view.value)
    assert shown_row == row
    assert columns == nonzero
    assert entries == {c: matrix[row, c] for c in entries}
    assert nonzero <= set(entries)
    assert figure_target(explorer.figure_view.value) == [symbol_name("y", index)]
    assert figure_columns(explorer.figure_view.value) == nonzero


# Driving the widgets -------------------------------------------------------------------

SCENARIOS = [
    ({"stride": 2, "padding": 1}, lambda: Conv(9, 3, stride=2, padding=1)),
    (
        {"kernel_size": 4, "padding": "same", "flip": True},
        lambda: Conv(9, 4, padding="same", flip=True),
    ),
    (
        {"padding": 1, "padding_mode": "circular"},
        lambda: Conv(9, 3, padding=1, padding_mode="circular"),
    ),
    (
        {"shared": False, "padding": "full", "bias": True},
        lambda: Conv(9, 3, padding="full", shared=False, bias=True),
    ),
    ({"dilation": 2, "stride": 3}, lambda: Conv(9, 3, dilation=2, stride=3)),
    (
        {"ndim": 2, "input_size": 5, "input_height": 4, "kernel_height": 2, "padding": 1},
        lambda: Conv((4, 5), (2, 3), padding=1),
    ),
    (
        {
            "ndim": 2, "input_size": 4, "input_height": 4, "channels": True,
            "in_channels": 4, "out_channels": 2, "groups": 2, "bias": True,
        },
        lambda: Conv((4, 4), 3, in_channels=4, out_channels=2, groups=2, bias=True),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "expected"),
    SCENARIOS,
    ids=[",".join(f"{name}={value}" for name, value in s.items()) for s, _ in SCENARIOS],
)
def test_each_view_shows_the_selected_output_of_the_layer_set(
    settings: dict[str, Any], expected: Any
) -> None:
    explorer = symconv.explore()
    set_controls(explorer, settings)
    layer = expected()
    rows = math.prod(layer.output_shape)
    assert explorer.controls["output"].max == rows - 1
    for row in sorted({0, rows // 2, rows - 1}):
        explorer.controls["output"].value = row
        check_views(explorer, layer, row)


def test_a_transposed_convolution_shows_the_inputs_that_reach_the_output() -> None:
    explorer = symconv.explore()
    set_controls(explorer, {"transposed": True, "stride": 2, "padding": 1, "output_padding": 1})
    layer = ConvTranspose(9, 3, stride=2, padding=1, output_padding=1)
    assert explorer.controls["shared"].disabled and not explorer.controls["output_padding"].disabled
    for row in (0, 5, math.prod(layer.output_shape) - 1):
        explorer.controls["output"].value = row
        check_views(explorer, layer, row)
    set_controls(
        explorer,
        {"ndim": 2, "input_size": 3, "input_height": 3, "channels": True, "in_channels": 2,
         "out_channels": 4, "groups": 2},
    )  # fmt: skip
    grouped = ConvTranspose((3, 3), 3, stride=2, padding=1, output_padding=1, in_channels=2,
                            out_channels=4, groups=2)  # fmt: skip
    explorer.controls["output"].value = 60
    check_views(explorer, grouped, 60)


def test_the_explorer_starts_where_its_arguments_say() -> None:
    explorer = symconv.explore((5, 6), 3, stride=2, in_channels=2, out_channels=3, output=-1)
    layer = Conv((5, 6), 3, stride=2, in_channels=2, out_channels=3)
    check_views(explorer, layer, math.prod(layer.output_shape) - 1)
    assert explorer.controls["input_height"].value == 5
    assert explorer.controls["channels"].value


def test_a_smaller_layer_keeps_the_selected_output_inside_it() -> None:
    explorer = symconv.explore(12, 3, output=-1)
    explorer.controls["stride"].value = 3
    layer = Conv(12, 3, stride=3)
    check_views(explorer, layer, math.prod(layer.output_shape) - 1)
    assert explorer.player.max == explorer.controls["output"].max


def test_the_player_steps_the_window_along_the_outputs() -> None:
    explorer = symconv.explore(9, 3, stride=2)
    layer = Conv(9, 3, stride=2)
    assert explorer.player.max == math.prod(layer.output_shape) - 1
    explorer.player.value = 2
    check_views(explorer, layer, 2)


@pytest.mark.parametrize(
    ("settings", "build"),
    [
        ({"input_size": 5, "kernel_size": 7}, lambda: Conv(5, 7)),
        (
            {"channels": True, "in_channels": 4, "out_channels": 4, "groups": 3},
            lambda: Conv(9, 3, in_channels=4, out_channels=4, groups=3),
        ),
        ({"transposed": True, "padding": "same"}, lambda: ConvTranspose(9, 3, padding="same")),
        (
            {"transposed": True, "stride": 2, "output_padding": 2},
            lambda: ConvTranspose(9, 3, stride=2, output_padding=2),
        ),
    ],
    ids=["kernel-too-large", "groups-not-dividing", "named-padding-transposed", "output-padding"],
)
def test_an_invalid_combination_shows_the_layers_message_in_the_widget(
    settings: dict[str, Any], build: Any
) -> None:
    with pytest.raises(SymconvError) as refused:
        build()
    explorer = symconv.explore()
    set_controls(explorer, settings)
    message = str(refused.value)
    assert "\n" not in message
    assert explorer.layer is None
    assert unescape(re.sub(r"<[^>]+>", "", explorer.error_view.value)) == message
    assert explorer.matrix_view.value == explorer.element_view.value == ""
    explorer.controls["transposed"].value = False
    explorer.controls["channels"].value = False
    explorer.controls["input_size"].value = 9
    explorer.controls["kernel_size"].value = 3
    explorer.controls["padding"].value = 0
    check_views(explorer, Conv(9, 3, stride=explorer.controls["stride"].value), 0)


def test_a_large_layer_derives_only_the_rows_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    derived: list[int] = []
    matrix_row = Conv.matrix_row

    def counted(self: Conv, row: int) -> Any:
        derived.append(row)
        return matrix_row(self, row)

    def refused(self: Conv) -> Any:
        raise AssertionError("the whole matrix was built")

    monkeypatch.setattr(Conv, "matrix_row", counted)
    monkeypatch.setattr(Conv, "matrix", refused)
    monkeypatch.setattr(Conv, "output", refused)
    explorer = symconv.explore((32, 32), 5, in_channels=8, out_channels=8, padding="same")
    row = 4000
    derived.clear()
    explorer.controls["output"].value = row
    layer = Conv((32, 32), 5, in_channels=8, out_channels=8, padding="same")
    assert len(set(derived)) <= 10
    shown_row, entries, columns = selected_matrix_row(explorer.matrix_view.value)
    weights = matrix_row(layer, row)
    assert shown_row == row
    assert columns <= set(weights) and entries == {c: weights.get(c, 0) for c in entries}
    assert "⋯" in explorer.matrix_view.value and "⋯" in explorer.element_view.value
    assert f"({len(weights)} terms)" in explorer.element_view.value
    assert shown_sizes(explorer.size_view.value) == layer.spec.output_size


def test_a_layer_too_large_to_draw_says_so_in_the_figure() -> None:
    explorer = symconv.explore(40, 9, dilation=5, padding="full")
    assert explorer.error_view.value == ""
    assert "too large to draw" in explorer.figure_view.value
    assert (
        shown_sizes(explorer.size_view.value)
        == Conv(40, 9, dilation=5, padding="full").spec.output_size
    )


def test_the_arguments_it_shows_start_a_new_explorer_in_the_same_state() -> None:
    explorer = symconv.explore()
    set_controls(explorer, {"ndim": 2, "stride": 2, "padding": "same", "bias": True, "output": 7})
    again = eval(explorer.arguments(), {"symconv": symconv})
    assert again.options() == explorer.options()
    assert again.layer == explorer.layer and again.row == explorer.row


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"input_size": (4, 4, 4)}, "input_size"),
        ({"input_size": (5, 5), "stride": (1, 2)}, "stride"),
        ({"padding": "most"}, "padding"),
        ({"in_channels": 3}, "in_channels"),
    ],
)
def test_a_start_the_explorer_has_no_control_for_is_refused(
    arguments: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(SymconvError) as refused:
        ExplorerOptions.from_arguments(**arguments)
    assert parameter in str(refused.value)
    with pytest.raises(SymconvError):
        symconv.explore(**arguments)


def test_the_page_is_the_views_as_they_are(tmp_path: Path) -> None:
    explorer = symconv.explore((6, 7), 3, stride=2, padding=1, output=5)
    path = tmp_path / "explorer.html"
    page = explorer.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    for view in (explorer.element_view, explorer.size_view, explorer.figure_view):
        assert view.value in page
    assert explorer.matrix_view.value in page


# Without ipywidgets, and in a real kernel ------------------------------------------------


def test_without_ipywidgets_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError) as missing:
        symconv.explore()
    assert isinstance(missing.value, SymconvError) and isinstance(
        missing.value, NotebookExtraMissing
    )
    assert str(missing.value) == NEEDS_WIDGETS
    assert str(missing.value) == "symconv.explore needs ipywidgets: pip install symconv[notebook]"


def test_importing_symconv_loads_no_widgets() -> None:
    code = (
        "import sys, symconv\nfrom symconv import Conv\nsymconv.explore\n"
        "print(sorted(m for m in sys.modules if m.startswith(('ipywidgets', 'symconv.present'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "ipywidgets" not in loaded and "explorer_widget" not in loaded


def test_the_explorer_runs_in_a_kernel_and_redraws_on_a_change(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import symconv\nexplorer = symconv.explore(9, 3)\nexplorer"),
        nbformat.v4.new_code_cell(
            'explorer.controls["stride"].value = 2\n'
            'explorer.controls["output"].value = 3\n'
            "print(explorer.element_view.value)\n"
            "print(explorer.matrix_view.value)\n"
            "print(explorer.size_view.value)"
        ),
    ]
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    shown, printed = (cell.outputs for cell in notebook.cells)
    assert "application/vnd.jupyter.widget-view+json" in shown[0]["data"]
    element, matrix, size = printed[0]["text"].splitlines()
    layer = Conv(9, 3, stride=2)
    name, expression = shown_element(element)
    assert name == Symbol(symbol_name("y", unravel(3, layer.output_shape)))
    assert expression == layer.output_element(3)
    row, _, columns = selected_matrix_row(matrix)
    assert row == 3 and columns == set(layer.matrix_row(3))
    assert shown_sizes(size) == layer.spec.output_size
