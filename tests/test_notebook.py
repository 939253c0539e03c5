"""The example notebook runs top to bottom in a real kernel, and shows what it says it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "weight-sharing.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("notebook"))}},
    ).execute()
    return notebook


def result(notebook: Any, fragment: str) -> dict[str, str]:
    """The displayed result of the one code cell whose source holds ``fragment``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and fragment in c.source]
    assert len(cells) == 1, f"{len(cells)} cells hold {fragment!r}"
    results = [o for o in cells[0].outputs if o.output_type == "execute_result"]
    assert len(results) == 1, cells[0].outputs
    return dict(results[0].data)


def test_example_notebook_runs_headless(executed: Any) -> None:
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]


def test_a_right_answer_shows_right(executed: Any) -> None:
    shown = result(executed, r"\left\lfloor")
    assert "Right" in shown["text/html"] and "Wrong" not in shown["text/html"]


@pytest.mark.parametrize("fragment", ["k_1 x_2 + k_2 x_3", '"126 x 126 x 32"'])
def test_a_wrong_answer_shows_wrong_and_why(executed: Any, fragment: str) -> None:
    shown = result(executed, fragment)
    assert "Wrong" in shown["text/html"] and "Right" not in shown["text/html"]


def test_the_first_wrong_answer_says_it_is_off_by_a_shift(executed: Any) -> None:
    assert "off by" in result(executed, "k_1 x_2 + k_2 x_3")["text/html"]


def test_a_convolution_shows_y_equals_m_x_with_its_first_outputs(executed: Any) -> None:
    from symconv import Conv
    from symconv.present.display import sum_latex

    latex = result(executed, "conv = Conv(9, 3)\nconv")["text/latex"]
    conv = Conv(9, 3)
    assert r"\begin{bmatrix} y_{1} \\ y_{2}" in latex
    assert r"\begin{bmatrix} x_{1} \\ x_{2}" in latex
    for index in range(3):
        assert f"y_{{{index + 1}}} &= {sum_latex(conv.output_element(index))}" in latex
