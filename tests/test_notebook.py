"""The example notebook runs top to bottom in a real kernel, and shows rich output."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "weight-sharing.ipynb"


def test_example_notebook_runs_headless(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    rich = [o for o in outputs if o.output_type == "execute_result"]
    # The Conv displays as LaTeX, the failing check as HTML feedback.
    assert any("text/latex" in o.data and "bmatrix" in o.data["text/latex"] for o in rich)
    assert any("text/html" in o.data and "off by" in o.data["text/html"] for o in rich)
