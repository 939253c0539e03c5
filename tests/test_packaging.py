"""The package as users get it: a wheel that builds quietly and carries its data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Build the wheel from a copy of the checkout; return it with everything the build printed."""
    where = tmp_path_factory.mktemp("wheel")
    source = where / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(where), str(source)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = where.glob("symconv-*.whl")
    return wheel, result.stdout + result.stderr


def test_the_build_prints_no_setuptools_warning(built_wheel: tuple[Path, str]) -> None:
    _, output = built_wheel
    warnings = [
        line
        for line in output.splitlines()
        if ("Warning" in line and "setuptools" in line) or "deprecated" in line.lower()
    ]
    assert not warnings, "\n".join(warnings)
    assert "absent from the `packages` configuration" not in output


def test_the_wheel_carries_every_template_and_builtin_sheet(built_wheel: tuple[Path, str]) -> None:
    wheel, _ = built_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {
        "symconv/templates/" + path.relative_to(ROOT / "templates").as_posix()
        for path in (ROOT / "templates").rglob("*.tex.j2")
    }
    sheets = {
        "symconv/sheets/builtin/" + path.name
        for path in (ROOT / "symconv" / "sheets" / "builtin").glob("*.toml")
    }
    assert templates and sheets
    assert templates | sheets <= names, sorted((templates | sheets) - names)
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "symconv").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert modules <= names, sorted(modules - names)


def test_the_licence_is_an_spdx_expression(built_wheel: tuple[Path, str]) -> None:
    wheel, _ = built_wheel
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    assert "License-Expression: MIT" in text
