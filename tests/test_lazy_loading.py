"""Each command and each sheet loads what it uses: the lazy registries stay lazy and complete."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import symconv.layers
import symconv.sheets.kinds
from symconv.sheets import build_sheet, build_sheets, render_sheets, sheet_names
from symconv.sheets.kinds import KINDS

EXAMPLES = sorted(
    path
    for path in (Path(__file__).parent.parent / "examples").glob("*.toml")
    if "[[section]]" in path.read_text(encoding="utf-8")
)


def _modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_import_symconv_is_light() -> None:
    modules = _modules_after("import symconv")
    assert "sympy" not in modules
    assert "symconv.answers" not in modules


def test_derive_imports_neither_checker_nor_sheets() -> None:
    modules = _modules_after(
        "import contextlib, io\nfrom symconv.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['derive', '--input', '9', '--kernel', '3'])"
    )
    assert "symconv.layers.conv" in modules
    assert not {"symconv.answers", "symconv.sheets", "jinja2"} & modules


def test_every_kind_module_is_registered_under_its_name() -> None:
    modules = {
        module.name
        for module in pkgutil.iter_modules(symconv.sheets.kinds.__path__)
        if module.name != "base"
    }
    assert {name.replace("-", "_") for name in KINDS} == modules
    for name in KINDS:
        assert name in KINDS
        assert KINDS[name].name == name
    assert "no-such-kind" not in KINDS
    assert KINDS.get("no-such-kind") is None
    with pytest.raises(KeyError):
        KINDS["no-such-kind"]


def test_every_public_layer_name_resolves() -> None:
    for name in symconv.layers.__all__:
        assert getattr(symconv.layers, name).__name__ == name
    assert set(symconv.layers.__all__) <= set(dir(symconv.layers))
    with pytest.raises(AttributeError, match="no attribute"):
        symconv.layers.no_such_name  # noqa: B018


def test_a_sheet_of_one_convolution_loads_no_other_layer_kind() -> None:
    modules = _modules_after(
        "from symconv.sheets import build_sheet, render_sheets\nrender_sheets([build_sheet()])"
    )
    assert "symconv.sheets.kinds.matrix" in modules
    unused = {
        "symconv.sheets.kinds.backward",
        "symconv.sheets.kinds.stack",
        "symconv.layers.gradients",
        "symconv.layers.stack",
        "symconv.layers.pool",
        "symconv.layers.transpose",
    }
    assert not unused & modules


def test_reading_one_layer_module_loads_no_layer_kind() -> None:
    modules = _modules_after("import symconv.layers.symbols")
    assert not {"symconv.layers.conv", "symconv.layers.stack"} & modules


@pytest.mark.parametrize("name", [*sheet_names(), *EXAMPLES], ids=str)
def test_a_class_set_is_the_sheets_built_one_by_one(name: str | Path) -> None:
    seeds = [None, 0, 1, 7]
    together = build_sheets(name, seeds, course="C")
    apart = [build_sheet(name, seed=seed, course="C") for seed in seeds]
    assert [sheet.seed for sheet in together] == seeds
    assert render_sheets(together) == render_sheets(apart)
    assert render_sheets(together, solutions=False) == render_sheets(apart, solutions=False)


def test_a_class_set_checks_every_seed_before_it_reads_the_sheet() -> None:
    from symconv.sheets import SheetError

    with pytest.raises(SheetError, match="seed must be an integer"):
        build_sheets("no-such-sheet", [1, "2"])  # type: ignore[list-item]


def test_a_class_set_takes_its_seeds_from_any_iterable() -> None:
    seeds = [3, 4, 5]
    assert [sheet.seed for sheet in build_sheets(seeds=iter(seeds))] == seeds
