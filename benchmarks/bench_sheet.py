"""How long rendering a sheet takes, against importing SymPy, in the same run.

The target: ``symconv sheet`` (a fresh process rendering the default solution
sheet to a file) takes at most 1.2 times ``python -c "import sympy"``, the
floor any SymPy-based tool pays (``bench_floor.py`` times it too, with ``symconv
derive`` and a class set of 30 variants). Both are timed as whole processes, the
median of several runs each, interleaved so that machine load hits both alike.

Run ``python benchmarks/bench_sheet.py`` (``--runs N`` for more repeats).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "sheet.tex")
        commands = {
            'python -c "import sympy"': [sys.executable, "-c", "import sympy"],
            "symconv sheet -o sheet.tex": [sys.executable, "-m", "symconv", "sheet", "-o", out],
            "symconv sheet --handout -o sheet.tex": [
                sys.executable,
                "-m",
                "symconv",
                "sheet",
                "--handout",
                "-o",
                out,
            ],
            "symconv sheet --seed 7 -o sheet.tex": [
                sys.executable,
                "-m",
                "symconv",
                "sheet",
                "--seed",
                "7",
                "-o",
                out,
            ],
        }
        for command in commands.values():  # warm the file cache
            _time(command)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_time(command))
    baseline = statistics.median(times['python -c "import sympy"'])
    print(f"Python {sys.version.split()[0]}, median of {args.runs} runs\n")
    print("| command | median s | x import sympy |")
    print("| --- | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median:.3f} | {median / baseline:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
