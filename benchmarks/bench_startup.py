#!/usr/bin/env python
"""Start-up of the commands, as whole processes, against importing SymPy in the same run.

Run from the repository root::

    python benchmarks/bench_startup.py             # 7 interleaved rounds, about a minute
    python benchmarks/bench_startup.py --runs 3    # quicker

The yardstick is ``python -c "import sympy"``, which every SymPy-based tool pays.
Two more rows show what SymPy and Jinja themselves add on first use, before any
of symconv's work: SymPy's first evaluated sum (``a + b``) imports
``sympy.tensor.tensor`` and with it ``sympy.combinatorics``, and a command that
renders templates also imports Jinja. Each command's process is timed whole:
wall time, and the CPU time the child used (user + system, which machine load
disturbs less). Rounds are interleaved so that load hits every command alike;
the table shows medians.

Python is left to write its bytecode caches, as it does for an installed
package (``PYTHONDONTWRITEBYTECODE`` is removed from the children's
environment), and one untimed round runs first. Every command is checked to
exit with 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import cpu_name, progress  # noqa: E402

FIRST_SUM = "a, b = sympy.Symbol('a'), sympy.Symbol('b'); a + b"
LAYER = "--input 256 256 --kernel 5 --stride 2 --in-channels 3 --out-channels 32"


def commands(folder: Path) -> dict[str, list[str]]:
    """Name shown in the table -> the command run."""
    python = sys.executable
    # What the installed ``symconv`` script runs (``python -m`` would add runpy's own work).
    symconv = [python, "-c", "import sys; from symconv.cli import main; sys.exit(main())"]
    return {
        'python -c "import sympy"': [python, "-c", "import sympy"],
        "SymPy's first sum: `import sympy; a + b`": [python, "-c", f"import sympy; {FIRST_SUM}"],
        "with Jinja: `import sympy, jinja2; a + b`": [
            python,
            "-c",
            f"import sympy, jinja2; {FIRST_SUM}",
        ],
        "symconv derive --input 9 --kernel 3": [
            *symconv,
            "derive",
            "--input",
            "9",
            "--kernel",
            "3",
        ],
        f"symconv derive {LAYER}": [*symconv, "derive", *LAYER.split()],
        "symconv sheet -o sheet.tex": [*symconv, "sheet", "-o", str(folder / "sheet.tex")],
        "symconv sheet --handout --seed 7 -o sheet.tex": [
            *symconv,
            *["sheet", "--handout", "--seed", "7", "-o", str(folder / "handout.tex")],
        ],
        "symconv sheet --variants 30 -o class.tex": [
            *symconv,
            *["sheet", "--variants", "30", "-o", str(folder / "class.tex")],
        ],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    cpu, wall = _children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=REPO)
    return time.perf_counter() - wall, _children_cpu() - cpu


def measure(runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each command over ``runs`` interleaved rounds."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(REPO)  # this checkout's symconv
    with tempfile.TemporaryDirectory() as name:
        todo = commands(Path(name))
        for command in todo.values():  # bytecode caches, file cache
            run(command, env)
        walls: dict[str, list[float]] = {name: [] for name in todo}
        cpus: dict[str, list[float]] = {name: [] for name in todo}
        for n in range(runs):
            progress(f"round {n + 1} of {runs}")
            for label, command in todo.items():
                wall, cpu = run(command, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
    return {
        label: (statistics.median(walls[label]), statistics.median(cpus[label])) for label in walls
    }


def report(medians: dict[str, tuple[float, float]], runs: int) -> str:
    import sympy

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wall0, cpu0 = next(iter(medians.values()))
    lines = [
        f"{cores} cores ({cpu_name()}), {platform.python_implementation()} "
        f"{platform.python_version()}, SymPy {sympy.__version__}; median of {runs} rounds\n",
        "| command | wall s | x `import sympy` | CPU s | x `import sympy` |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, (wall, cpu) in medians.items():
        name = label if "`" in label else f"`{label}`"
        lines.append(f"| {name} | {wall:.3f} | {wall / wall0:.2f} | {cpu:.3f} | {cpu / cpu0:.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved rounds (default 7)")
    args = parser.parse_args()
    print(report(measure(args.runs), args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
