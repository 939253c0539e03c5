"""The terminal printer prints exactly what SymPy's pretty printer prints."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy

from symconv import Conv
from symconv.pooling import Pool
from symconv.present.display import pretty

W, K, s, p = sympy.symbols("W K s p", integer=True, positive=True)

CASES = [
    Conv(9, 3).output_element(0),
    Conv(9, 3, bias=True, flip=True).output_element(-1),
    Conv((4, 4), 3, in_channels=2, out_channels=3, padding=1).output_element((2, 1, 1)),
    Conv(9, 3).element_formula().equation,
    Conv((5, 5), 3, stride=2, in_channels=2, out_channels=2).element_formula().equation,
    Pool(4, 2, mode="avg").output_element(0),
    2 * sympy.Symbol("k_1") * sympy.Symbol("x_1") - sympy.Symbol("x_2"),
    -3 * sympy.Symbol("k_1") / 7,
    sympy.floor((W + 2 * p - K) / s) + 1,
    sympy.Matrix([[sympy.Symbol("k_1"), 0], [2 * sympy.Symbol("k_2"), sympy.Rational(1, 2)]]),
]


@pytest.mark.parametrize("expr", CASES, ids=range(len(CASES)))
@pytest.mark.parametrize("wrap_line", [True, False])
def test_the_same_text_as_sympy(expr, wrap_line: bool) -> None:
    assert pretty(expr, wrap_line=wrap_line) == sympy.pretty(expr, wrap_line=wrap_line)


def test_derive_does_not_load_sympy_units() -> None:
    code = (
        "import contextlib, io, sys\nfrom symconv.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['derive', '--input', '9', '--kernel', '3'])\n"
        "print('sympy.physics.units' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
