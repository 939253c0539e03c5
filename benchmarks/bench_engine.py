#!/usr/bin/env python
"""Benchmark of symconv's engine against the dense SymPy way of doing the same thing.

Run from the repository root::

    python benchmarks/bench_engine.py            # full run, about a minute on 2 cores
    python benchmarks/bench_engine.py --quick    # smoke run, well under 20 s

Machine information and Markdown tables go to stdout, progress to stderr. The
script imports the ``symconv`` of this checkout (not whatever else is installed)
and exits with status 1 if any correctness check fails.

What is measured
----------------
1. 1-D ``Conv(n, 3)`` for n = 10^3, 10^4, 10^5: ``matrix()`` and ``output()``,
   each on a fresh ``Conv``. Both should cost time linear in the nonzeros of
   ``M`` (nnz = 3 (n - 2), also the number of ``k*x`` products in ``y``), so the
   microseconds-per-nonzero column should stay flat as n grows.
2. 2-D ``Conv((H, H), 3, in_channels=3, out_channels=16)`` for H = 16, 32, 64:
   the same two calls.
3. One output element of the worksheet's layer ``Conv((256, 256), 5, stride=2,
   in_channels=3, out_channels=32)``: ``output_element((31, 125, 125))``, median
   of many calls, with SymPy's cache warm and cold, and the ``Conv`` constructor
   timed apart. Target: below 5 ms.
4. symconv against a naive SymPy baseline, measured in the same run.

Why the naive baseline is what it is
------------------------------------
Without symconv one derives ``y = M x`` by writing the dense matrix from its
index rule and multiplying::

    M = sympy.Matrix(m, n, lambda i, j: k[j - i*s] if 0 <= j - i*s < K else 0)
    y = M * x            # x = sympy.Matrix(sympy.symbols("x_1:%d" % (n + 1)))

In 2-D with channels the same rule splits the row into ``(c_out, oy, ox)`` and
the column into ``(c_in, iy, ix)`` and reads ``k[c_out, c_in, iy - oy*s, ix -
ox*s]``. The rules here first turn the (SymPy ``Integer``) indices SymPy passes
into Python ints; the literal one-liner above is about 2x slower in 1-D and 8x
in 2-D, so the baseline is given the benefit of the doubt and the speed-ups are
conservative. The symbols follow symconv's names (``k_1``, ``x_1,2,3``) so the
results can be compared. Creating the symbols is not timed.

The dense method is O(m n): at n = 10^4 its matrix has 10^8 entries, nearly all
zero, and would take about ten minutes. So it runs whole only for small sizes;
for large ones it is timed on a block of the first r rows of the full-width
dense matrix (building those rows, then the r-row ``M x``). Every dense row
costs the same, so rows per second of the block is the naive throughput at
that size. symconv's rows per second is its number of rows divided by the time
of the whole ``matrix()`` or ``output()``. Table 4 says of every naive figure
whether it is a whole run or a block, and extrapolates blocks to a whole run.

Every naive result is checked against symconv's (whole runs: all rows; blocks:
the rows of the block): the nonzero entries of ``M`` must be equal and each
``y_i`` must agree with symconv's after ``expand`` of the difference.

Timing: ``time.perf_counter``; SymPy's cache is cleared and the garbage
collector run before every timed call (untimed), so repeats do not get their
symbols for free. A call whose first run takes under 0.2 s is repeated to 5
runs, under 1.5 s to 3 runs, anything slower runs once; tables give the median
and the number of runs.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's symconv

import sympy  # noqa: E402
from sympy import Array, Expr, Matrix, SparseMatrix, Symbol  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

import symconv  # noqa: E402
from symconv import Conv  # noqa: E402

S = TypeVar("S")
T = TypeVar("T")

START = time.perf_counter()


def progress(message: str) -> None:
    """A progress line on stderr, so that stdout stays clean Markdown."""
    print(f"[{time.perf_counter() - START:6.1f} s] {message}", file=sys.stderr, flush=True)


# Timing ------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Median wall time of ``runs`` runs, in seconds."""

    seconds: float
    runs: int


def planned_runs(first: float) -> int:
    """How many runs a call gets, from the duration of its first run."""
    return 5 if first < 0.2 else 3 if first < 1.5 else 1


def timed(setup: Callable[[], S], run: Callable[[S], T]) -> tuple[Timing, T]:
    """Time ``run(setup())``; ``setup`` and cache clearing are not timed.

    Returns the median timing and the result of the last run.
    """
    times: list[float] = []
    while True:
        argument = setup()
        clear_cache()
        gc.collect()
        start = time.perf_counter()
        result = run(argument)
        times.append(time.perf_counter() - start)
        if len(times) >= planned_runs(times[0]):
            return Timing(statistics.median(times), len(times)), result
        del result


def median_of(calls: int, setup: Callable[[], S], run: Callable[[S], object]) -> float:
    """Median of ``calls`` timed ``run(setup())``, for calls of a millisecond or less."""
    times = []
    for _ in range(calls):
        argument = setup()
        start = time.perf_counter()
        run(argument)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# The convolutions --------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One convolution, as symconv is asked for it (valid padding)."""

    size: int | tuple[int, int]
    kernel: int = 3
    stride: int = 1
    in_channels: int | None = None
    out_channels: int | None = None

    def conv(self) -> Conv:
        return Conv(
            self.size,
            self.kernel,
            stride=self.stride,
            in_channels=self.in_channels,
            out_channels=self.out_channels,
        )

    @property
    def label(self) -> str:
        if isinstance(self.size, int):
            return f"1-D n={self.size:,}"
        height, width = self.size
        return f"2-D {height}x{width}, {self.in_channels}->{self.out_channels} ch"


@dataclass
class SymconvRun:
    """symconv's ``matrix()`` and ``output()`` of one case, with the results of the last run."""

    case: Case
    shape: tuple[int, int]
    nnz: int
    matrix_time: Timing
    output_time: Timing
    matrix: SparseMatrix
    outputs: list[Expr]

    @property
    def rows(self) -> int:
        return self.shape[0]


@cache
def run_symconv(case: Case) -> SymconvRun:
    """Time ``matrix()`` and ``output()`` of ``case``, each on a fresh ``Conv`` (memoised)."""
    progress(f"symconv {case.label}: matrix()")
    matrix_time, matrix = timed(case.conv, lambda conv: conv.matrix())
    progress(f"symconv {case.label}: output()")
    output_time, output = timed(case.conv, lambda conv: conv.output())
    return SymconvRun(
        case=case,
        shape=matrix.shape,
        nnz=matrix.nnz(),
        matrix_time=matrix_time,
        output_time=output_time,
        matrix=matrix,
        outputs=list(output.reshape(len(output))),
    )


# The naive dense baseline ------------------------------------------------


DenseRows = Callable[[range], Matrix]


def naive_1d(n: int, kernel: int, stride: int) -> tuple[DenseRows, Matrix]:
    """Rows of the dense matrix of ``Conv(n, kernel, stride=stride)`` by its index rule, and x."""
    k = sympy.symbols(f"k_1:{kernel + 1}")
    x = Matrix(sympy.symbols(f"x_1:{n + 1}"))

    def rows(block: range) -> Matrix:
        first = block.start

        def entry(i: int, j: int) -> Expr | int:
            offset = int(j) - (first + int(i)) * stride
            return k[offset] if 0 <= offset < kernel else 0

        return Matrix(len(block), n, entry)

    return rows, x


def naive_2d(
    size: tuple[int, int], kernel: int, stride: int, c_in: int, c_out: int
) -> tuple[DenseRows, Matrix]:
    """Rows of the dense matrix of a 2-D convolution with channels, by its index rule, and x."""
    height, width = size
    out_h = (height - kernel) // stride + 1
    out_w = (width - kernel) // stride + 1
    k = Array(
        [
            Symbol(f"k_{o},{c},{a},{b}")
            for o in range(1, c_out + 1)
            for c in range(1, c_in + 1)
            for a in range(1, kernel + 1)
            for b in range(1, kernel + 1)
        ],
        (c_out, c_in, kernel, kernel),
    )
    x = Matrix(
        [
            Symbol(f"x_{c},{i},{j}")
            for c in range(1, c_in + 1)
            for i in range(1, height + 1)
            for j in range(1, width + 1)
        ]
    )

    def rows(block: range) -> Matrix:
        first = block.start

        def entry(i: int, j: int) -> Expr | int:
            o, rest = divmod(first + int(i), out_h * out_w)
            oy, ox = divmod(rest, out_w)
            c, rest = divmod(int(j), height * width)
            iy, ix = divmod(rest, width)
            a, b = iy - oy * stride, ix - ox * stride
            return k[o, c, a, b] if 0 <= a < kernel and 0 <= b < kernel else 0

        return Matrix(len(block), c_in * height * width, entry)

    return rows, x


def naive_formulation(case: Case) -> tuple[DenseRows, Matrix]:
    """The naive dense formulation of ``case``: a builder of rows of M, and x."""
    if isinstance(case.size, int):
        assert case.in_channels is None and case.out_channels is None
        return naive_1d(case.size, case.kernel, case.stride)
    assert case.in_channels is not None and case.out_channels is not None
    return naive_2d(case.size, case.kernel, case.stride, case.in_channels, case.out_channels)


def agrees(naive_matrix: Matrix, naive_y: Matrix, reference: SymconvRun, block: range) -> bool:
    """Whether the naive rows ``block`` of M and y equal symconv's."""
    naive_entries = naive_matrix.todok()
    symconv_entries = {
        (i - block.start, j): value
        for (i, j), value in reference.matrix.todok().items()
        if i in block
    }
    if naive_entries != symconv_entries:
        return False
    expected = reference.outputs[block.start : block.stop]
    return len(expected) == naive_y.rows and all(
        sympy.expand(got - want) == 0 for got, want in zip(naive_y, expected, strict=True)
    )


@dataclass
class Comparison:
    """The naive baseline on (a block of rows of) one case, beside symconv on the whole case."""

    symconv: SymconvRun
    block: range
    build: Timing
    multiply: Timing
    correct: bool

    @property
    def whole(self) -> bool:
        return len(self.block) == self.symconv.rows

    @property
    def naive_rows_per_second(self) -> float:
        return len(self.block) / (self.build.seconds + self.multiply.seconds)

    @property
    def naive_build_rows_per_second(self) -> float:
        return len(self.block) / self.build.seconds


def compare(case: Case, rows: int | None) -> Comparison:
    """Run the naive baseline on the first ``rows`` rows of ``case`` (``None``: whole)."""
    reference = run_symconv(case)
    block = range(reference.rows if rows is None else min(rows, reference.rows))
    what = "whole" if len(block) == reference.rows else f"first {len(block)} rows"
    build_rows, x = naive_formulation(case)
    progress(f"naive   {case.label}: build dense M ({what})")
    build, matrix = timed(lambda: block, build_rows)
    progress(f"naive   {case.label}: M*x ({what})")
    multiply, y = timed(lambda: matrix, lambda m: m * x)
    progress(f"check   {case.label}")
    return Comparison(reference, block, build, multiply, agrees(matrix, y, reference, block))


# The worksheet's element -------------------------------------------------


WORKSHEET = Case((256, 256), kernel=5, stride=2, in_channels=3, out_channels=32)
WORKSHEET_INDEX = (31, 125, 125)
TARGET_MS = 5.0


@dataclass
class ElementResult:
    construct_ms: float
    warm_ms: float
    cold_ms: float
    calls: int
    cold_calls: int
    terms: int
    naive: Timing | None
    correct: bool | None


def bench_element(calls: int, cold_calls: int, with_naive: bool) -> ElementResult:
    """``output_element`` of the worksheet's layer, and the naive dense row it equals."""
    progress(f"symconv worksheet layer: Conv() x{calls}, output_element x{calls} + {cold_calls}")
    construct = median_of(calls, lambda: None, lambda _: WORKSHEET.conv())
    conv = WORKSHEET.conv()
    element = conv.output_element(WORKSHEET_INDEX)
    warm = median_of(calls, lambda: conv, lambda c: c.output_element(WORKSHEET_INDEX))

    def cold_setup() -> Conv:
        fresh = WORKSHEET.conv()
        clear_cache()
        return fresh

    cold = median_of(cold_calls, cold_setup, lambda c: c.output_element(WORKSHEET_INDEX))
    naive: Timing | None = None
    correct: bool | None = None
    if with_naive:
        progress("naive   worksheet layer: one dense row of M (196,608 entries) times x")
        _, out_h, out_w = conv.output_shape
        c, i, j = WORKSHEET_INDEX
        row = (c * out_h + i) * out_w + j
        build_rows, x = naive_formulation(WORKSHEET)
        naive, y = timed(lambda: range(row, row + 1), lambda block: build_rows(block) * x)
        correct = sympy.expand(y[0] - element) == 0
    return ElementResult(
        construct_ms=construct * 1e3,
        warm_ms=warm * 1e3,
        cold_ms=cold * 1e3,
        calls=calls,
        cold_calls=cold_calls,
        terms=len(element.args),
        naive=naive,
        correct=correct,
    )


# Reporting ---------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; every column but the first right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def seconds(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def factor(value: float) -> str:
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2g}x"


def verdict(correct: bool | None) -> str:
    return "n/a" if correct is None else "equal" if correct else "**MISMATCH**"


def machine_info(quick: bool) -> str:
    """Python, SymPy, symconv and machine details, as a Markdown list."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "symconv"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        revision = commit + (" (with uncommitted changes in symconv/)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        revision = "unknown"
    from sympy.external.gmpy import GROUND_TYPES

    return "\n".join(
        [
            f"- mode: {'--quick' if quick else 'full'}",
            f"- python: {platform.python_implementation()} {platform.python_version()}",
            f"- sympy: {sympy.__version__} (ground types: {GROUND_TYPES})",
            f"- symconv: {symconv.__version__} from {Path(symconv.__file__).parent}, "
            f"git {revision}",
            f"- cpu: {cpu}; {os.cpu_count()} logical cores, {usable} usable "
            "(everything here runs on one core)",
            f"- os: {platform.platform()}",
        ]
    )


def engine_table(runs: Sequence[SymconvRun]) -> str:
    rows = []
    for run in runs:
        cells = [run.case.label, f"{run.shape[0]:,} x {run.shape[1]:,}", f"{run.nnz:,}"]
        for timing in (run.matrix_time, run.output_time):
            cells += [
                f"{seconds(timing.seconds)} ({timing.runs})",
                rate(run.nnz / timing.seconds),
                f"{timing.seconds / run.nnz * 1e6:.2f}",
            ]
        rows.append(cells)
    return table(
        [
            "case", "M shape", "nnz",
            "matrix() s (runs)", "matrix() nnz/s", "matrix() us/nnz",
            "output() s (runs)", "output() nnz/s", "output() us/nnz",
        ],
        rows,
    )


def element_table(result: ElementResult) -> str:
    ok = result.cold_ms < TARGET_MS
    rows = [
        ["`Conv(...)` construction", f"{result.construct_ms:.3f} ms", f"median of {result.calls}"],
        [
            "`output_element((31, 125, 125))`, SymPy cache warm",
            f"{result.warm_ms:.3f} ms",
            f"median of {result.calls} calls on one Conv",
        ],
        [
            "`output_element((31, 125, 125))`, SymPy cache cleared",
            f"{result.cold_ms:.3f} ms",
            f"median of {result.cold_calls}, fresh Conv each; target < {TARGET_MS:g} ms: "
            + ("**met**" if ok else "**MISSED**"),
        ],
        ["terms in the element", str(result.terms), "C_in * 5 * 5 = 75"],
    ]
    if result.naive is not None:
        rows += [
            [
                "naive: that one row of dense M (3*256*256 = 196,608 entries), times x",
                f"{result.naive.seconds * 1e3:,.0f} ms",
                f"{result.naive.runs} run(s); whole run of that row; result "
                f"{verdict(result.correct)} to symconv's",
            ],
            [
                "speed-up of `output_element` (cold) over the naive row",
                factor(result.naive.seconds * 1e3 / result.cold_ms),
                "",
            ],
        ]
    return table(["measurement", "value", "note"], rows)


def comparison_table(comparisons: Sequence[Comparison]) -> str:
    rows = []
    for item in comparisons:
        run = item.symconv
        naive_rate = item.naive_rows_per_second
        symconv_rate = run.rows / run.output_time.seconds
        whole_seconds = run.rows / naive_rate
        if item.whole:
            measured = f"whole run ({run.rows:,} rows)"
            naive_whole = seconds(whole_seconds)
        else:
            measured = f"per-row: first {len(item.block)} of {run.rows:,} rows"
            naive_whole = f"~{seconds(whole_seconds)} (extrapolated)"
        rows.append(
            [
                run.case.label,
                f"{run.shape[0]:,} x {run.shape[1]:,}",
                measured,
                f"{seconds(item.build.seconds)} ({item.build.runs})",
                f"{seconds(item.multiply.seconds)} ({item.multiply.runs})",
                rate(naive_rate),
                naive_whole,
                rate(symconv_rate),
                seconds(run.output_time.seconds),
                factor(symconv_rate / naive_rate),
                factor((run.rows / run.matrix_time.seconds) / item.naive_build_rows_per_second),
                verdict(item.correct),
            ]
        )
    return table(
        [
            "case", "M shape", "naive measured on",
            "naive build M s (runs)", "naive M*x s (runs)", "naive rows/s",
            "naive whole run s", "symconv output() rows/s", "symconv output() s",
            "speed-up y", "speed-up M", "check",
        ],
        rows,
    )


# Main --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Sizes of one benchmark run."""

    sizes_1d: tuple[int, ...]
    sizes_2d: tuple[int, ...]
    element_calls: int
    element_cold_calls: int
    naive_element_row: bool
    naive_whole: tuple[Case, ...]
    naive_blocks: tuple[tuple[Case, int], ...]


def conv_2d(height: int) -> Case:
    return Case((height, height), kernel=3, in_channels=3, out_channels=16)


FULL = Plan(
    sizes_1d=(10**3, 10**4, 10**5),
    sizes_2d=(16, 32, 64),
    element_calls=300,
    element_cold_calls=100,
    naive_element_row=True,
    naive_whole=(Case(100), Case(300), Case(1000), conv_2d(8)),
    naive_blocks=((Case(10**4), 20), (Case(10**5), 4), (conv_2d(64), 20)),
)

QUICK = Plan(
    sizes_1d=(10**3, 10**4),
    sizes_2d=(16,),
    element_calls=50,
    element_cold_calls=20,
    naive_element_row=False,
    naive_whole=(Case(100), Case(300), conv_2d(6)),
    naive_blocks=((Case(10**4), 5), (conv_2d(16), 5)),
)


def warm_up() -> None:
    """Run every code path once on a tiny case, so no import cost lands in a measurement."""
    for case in (Case(9), conv_2d(5)):
        conv = case.conv()
        conv.matrix()
        conv.output()
        build_rows, x = naive_formulation(case)
        build_rows(range(2)) * x


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes; under 20 s")
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL

    warm_up()
    engine_1d = [run_symconv(Case(n)) for n in plan.sizes_1d]
    engine_2d = [run_symconv(conv_2d(h)) for h in plan.sizes_2d]
    element = bench_element(plan.element_calls, plan.element_cold_calls, plan.naive_element_row)
    comparisons = [compare(case, None) for case in plan.naive_whole]
    comparisons += [compare(case, rows) for case, rows in plan.naive_blocks]

    elapsed = time.perf_counter() - START
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    all_correct = all(item.correct for item in comparisons) and element.correct is not False

    print("# symconv engine benchmark\n")
    print(machine_info(options.quick))
    print("\n## 1. 1-D `Conv(n, 3)`: matrix() and output(), fresh Conv each run\n")
    print(engine_table(engine_1d))
    print("\n## 2. 2-D `Conv((H, H), 3, in_channels=3, out_channels=16)`\n")
    print(engine_table(engine_2d))
    print(
        "\nnnz: nonzeros of M, which is also the number of k*x products in y. "
        "Linear growth shows as a flat us/nnz column."
    )
    print(
        "\n## 3. One element of `Conv((256, 256), 5, stride=2, in_channels=3, "
        "out_channels=32)`\n"
    )
    print(element_table(element))
    print("\n## 4. symconv against the naive dense SymPy baseline (same run)\n")
    print(comparison_table(comparisons))
    print(
        "\nNaive: `M = sympy.Matrix(m, n, rule)` then `y = M*x`, dense, O(m*n). "
        "'whole run' rows ran the entire naive computation; 'per-row' rows built and "
        "multiplied only the first rows of the full-width dense M, and their whole-run "
        "time is extrapolated (every dense row costs the same). symconv figures are always "
        "whole runs: rows/s = rows of M / time of the whole output(). "
        "speed-up y = symconv output() rows/s over naive (build M + M*x) rows/s; "
        "speed-up M = symconv matrix() rows/s over naive build-M rows/s. "
        "check: the naive M's nonzeros and y (after expand) equal symconv's on the rows "
        "that were run."
    )
    print(
        f"\nTotal wall time {elapsed:.0f} s, peak memory {peak_mb:,.0f} MB. "
        + ("All checks passed." if all_correct else "**SOME CHECKS FAILED.**")
    )
    return 0 if all_correct else 1


if __name__ == "__main__":
    sys.exit(main())
