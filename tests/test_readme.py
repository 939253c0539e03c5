"""The README's examples run, and its test command is the one CI runs."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_examples_run() -> None:
    result = doctest.testfile(
        str(ROOT / "README.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert commands is not None
    lines = [ln for ln in commands.group(1).splitlines() if ln and not ln.startswith("#")]
    test_command = lines[1]
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_test_file_example_passes() -> None:
    """The course test file shown in the README runs and its tests pass."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)  # the project's own README
        tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
        assert tests
        for test in tests:
            test()


def test_readme_network_table_is_what_its_commands_print(tmp_path: Path) -> None:
    """The README's ResNet-50 table: its two commands run, and print the lines it shows."""
    import os
    import subprocess
    import sys

    import pytest

    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```text\n\$ (.*?export-onnx.*?)\n\$ (.*?)\n(.*?)```", readme, re.S)
    assert block is not None
    export, derive, shown = block.groups()
    bin_dir = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def run(command: str) -> str:
        words = command.replace(".venv/bin/", "").split()
        if words[0] == "python":
            words[0] = sys.executable
            words[1] = str(ROOT / words[1])
        done = subprocess.run(
            words, cwd=tmp_path, env=environment, capture_output=True, text=True, check=True
        )
        return done.stdout

    run(export)
    printed = run(derive).splitlines()
    lines = [line for line in shown.rstrip("\n").splitlines() if line != "..."]
    assert all(line in printed for line in lines)
    assert len(printed) > len(lines)  # the excerpt leaves rows out, where it says "..."
