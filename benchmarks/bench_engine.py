#!/usr/bin/env python
"""Benchmark of symconv's engine against the dense SymPy way of doing the same thing.

Run from the repository root::

    python benchmarks/bench_engine.py            # full run, a minute or two on 2 cores
    python benchmarks/bench_engine.py --quick    # smoke run, well under 20 s

Machine information and Markdown tables go to stdout, progress to stderr. The
script imports the ``symconv`` of this checkout (not whatever else is installed)
and exits with status 1 if any correctness check fails.

What is measured
----------------
1. 1-D ``Conv(n, 3)`` for n = 10^3, 10^4, 10^5: ``matrix()`` and ``output()``,
   each on a fresh ``Conv``. Both should cost time linear in the nonzeros of
   ``M`` (nnz = 3 (n - 2), also the number of ``k*x`` products in ``y``), so the
   microseconds-per-nonzero column should stay roughly flat as n grows.
2. 2-D ``Conv((H, H), 3, in_channels=3, out_channels=16)`` for H = 16, 32, 64:
   the same two calls.
3. One output element of the worksheet's layer ``Conv((256, 256), 5, stride=2,
   in_channels=3, out_channels=32)``: ``output_element((31, 125, 125))``, median
   of many calls with SymPy's cache warm and cleared, the ``Conv`` constructor
   timed apart. Target: below 5 ms.
4. symconv against a naive SymPy baseline, measured in the same run.

Why the naive baseline is what it is
------------------------------------
Without symconv one derives ``y = M x`` by writing the dense matrix from its
index rule and multiplying::

    M = sympy.Matrix(m, n, lambda i, j: k[j - i*s] if 0 <= j - i*s < K else 0)
    y = M * x            # x = sympy.Matrix(sympy.symbols(f"x_1:{n + 1}"))

In 2-D with channels the same rule splits the row into ``(c_out, oy, ox)`` and
the column into ``(c_in, iy, ix)`` and reads ``k[c_out, c_in, iy - oy*s, ix -
ox*s]``. The rules here first turn the (SymPy ``Integer``) indices SymPy passes
them into Python ints; the literal one-liner above is about 2x slower in 1-D and
8x in 2-D, so the baseline gets the benefit of the doubt and the speed-ups are
conservative. The symbols follow symconv's names (``k_1``, ``x_1,2,3``) so that
the results can be compared. Creating the symbols is not timed.

The dense method is O(m n): at n = 10^4 its matrix has 10^8 entries, nearly all
zero. So it runs whole only for small sizes; for large ones it is timed on a
block of the first r rows of the full-width dense matrix: building those rows,
then the r-row ``M x``. Building costs the same for every dense row, so the
block gives the naive's per-row throughput. ``M x`` is different: SymPy keeps
``M`` sparse inside, and most of the product's time is one pass over ``x``
(SymPy multiplies every ``x_j`` by 0 to look for infinities), about the same
for 1 row as for 80. The whole-run estimate is therefore ``build(block) * m / r
+ multiply(block)``: the multiplication is counted once, which can only
underestimate the naive, so speed-ups against it are lower bounds. Table 4
says of every naive figure whether it is a whole run or a block.

symconv is always run whole; its rows per second are its number of rows over
the time of the whole ``matrix()`` or ``output()``. Every naive result is
checked against symconv's (whole runs: all rows; blocks: the rows of the
block): the nonzero entries of ``M`` must be equal and each ``y_i`` must agree
with symconv's after ``expand`` of the difference.

Timing: ``time.perf_counter``. SymPy's cache is cleared and the garbage
collector run before every timed call (untimed), so repeats do not get their
symbols for free, and no large result is kept alive between cases, so the
collector never walks an earlier case's objects. A call whose first run takes
under 0.2 s is repeated to 5 runs, under 1.5 s to 3 runs, anything slower runs
once; the tables give the median and the number of runs.
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
from pathlib import Path
from typing import Literal, TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's symconv

import sympy  # noqa: E402
from machine import START, cpu_name, progress  # noqa: E402
from sympy import Array, Expr, Matrix, Symbol  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

import symconv  # noqa: E402
from symconv import Conv  # noqa: E402

S = TypeVar("S")
T = TypeVar("T")


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
    """Time ``run(setup())``; ``setup``, cache clearing and garbage collection are not timed.

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
        del argument, result


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
    """One convolution, as symconv is asked for it (no padding)."""

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
    def order(self) -> tuple[int, int]:
        """Sort key: 1-D cases first, each by size."""
        return (1, self.size) if isinstance(self.size, int) else (2, math.prod(self.size))

    @property
    def label(self) -> str:
        if isinstance(self.size, int):
            return f"1-D n={self.size:,}"
        height, width = self.size
        return f"2-D {height}x{width}, {self.in_channels}->{self.out_channels} ch"


def conv_2d(height: int) -> Case:
    """The 2-D case of table 2: ``Conv((H, H), 3, in_channels=3, out_channels=16)``."""
    return Case((height, height), kernel=3, in_channels=3, out_channels=16)


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


# One case: symconv whole, the naive on a block ---------------------------


#: How much of the naive to run on a case: no naive, all rows, or the first N rows.
NaivePlan = Literal["none", "whole"] | int


@dataclass(frozen=True)
class NaiveResult:
    """The naive baseline on the rows ``block`` of a case."""

    block: range
    build: Timing
    multiply: Timing
    correct: bool


@dataclass(frozen=True)
class CaseResult:
    """symconv's ``matrix()`` and ``output()`` of one case, and the naive's figures if run."""

    case: Case
    shape: tuple[int, int]
    nnz: int
    matrix_time: Timing
    output_time: Timing
    naive: NaiveResult | None

    @property
    def rows(self) -> int:
        return self.shape[0]


def bench_case(case: Case, naive_plan: NaivePlan) -> CaseResult:
    """Time symconv (whole) and the naive (per plan) on ``case``, and compare their results.

    The naive runs first, while little else is alive; of symconv's results only
    the rows of the naive's block are kept, for the check.
    """
    rows = math.prod(case.conv().output_shape)
    block = range(0)
    naive_entries: dict[tuple[int, int], Expr] = {}
    naive_outputs: list[Expr] = []
    if naive_plan != "none":
        block = range(rows if naive_plan == "whole" else min(int(naive_plan), rows))
        what = "whole" if len(block) == rows else f"first {len(block)} rows"
        build_rows, x = naive_formulation(case)
        progress(f"naive   {case.label}: build dense M ({what})")
        build, dense = timed(lambda: block, build_rows)
        progress(f"naive   {case.label}: M*x ({what})")
        multiply, y = timed(lambda: dense, lambda matrix: matrix * x)
        naive_entries, naive_outputs = dense.todok(), list(y)
        del build_rows, x, dense, y

    progress(f"symconv {case.label}: matrix()")
    matrix_time, matrix = timed(case.conv, lambda conv: conv.matrix())
    shape, nnz = matrix.shape, matrix.nnz()
    symconv_entries = (
        {(i - block.start, j): v for (i, j), v in matrix.todok().items() if i in block}
        if block
        else {}
    )
    del matrix
    progress(f"symconv {case.label}: output()")
    output_time, output = timed(case.conv, lambda conv: conv.output())
    symconv_outputs = list(output.reshape(len(output)))[block.start : block.stop]
    del output

    naive: NaiveResult | None = None
    if naive_plan != "none":
        progress(f"check   {case.label}")
        correct = naive_entries == symconv_entries and len(naive_outputs) == len(symconv_outputs)
        correct = correct and all(
            sympy.expand(got - want) == 0
            for got, want in zip(naive_outputs, symconv_outputs, strict=True)
        )
        naive = NaiveResult(block, build, multiply, correct)
    return CaseResult(case, shape, nnz, matrix_time, output_time, naive)


# The worksheet's element -------------------------------------------------


WORKSHEET = Case((256, 256), kernel=5, stride=2, in_channels=3, out_channels=32)
WORKSHEET_INDEX = (31, 125, 125)
TARGET_MS = 5.0


@dataclass(frozen=True)
class ElementResult:
    construct_ms: float
    warm_ms: float
    cold_ms: float
    calls: int
    cold_calls: int
    terms: int
    naive: NaiveResult | None


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
    naive: NaiveResult | None = None
    if with_naive:
        _, out_h, out_w = conv.output_shape
        channel, i, j = WORKSHEET_INDEX
        row = (channel * out_h + i) * out_w + j
        block = range(row, row + 1)
        build_rows, x = naive_formulation(WORKSHEET)
        progress("naive   worksheet layer: build one dense row of M (196,608 entries)")
        build, dense = timed(lambda: block, build_rows)
        progress("naive   worksheet layer: that row times x")
        multiply, y = timed(lambda: dense, lambda matrix: matrix * x)
        naive = NaiveResult(block, build, multiply, sympy.expand(y[0] - element) == 0)
    return ElementResult(
        construct_ms=construct * 1e3,
        warm_ms=warm * 1e3,
        cold_ms=cold * 1e3,
        calls=calls,
        cold_calls=cold_calls,
        terms=len(element.args),
        naive=naive,
    )


# Reporting ---------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A Markdown table; ``align`` has an ``l`` or ``r`` per column (default: first left)."""
    align = align or "l" + "r" * (len(header) - 1)
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " if a == "l" else " ---: " for a in align) + "|",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def seconds(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def factor(value: float) -> str:
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2g}x"


def with_runs(timing: Timing) -> str:
    return f"{seconds(timing.seconds)} ({timing.runs})"


def verdict(correct: bool) -> str:
    return "equal" if correct else "**MISMATCH**"


def machine_info(quick: bool) -> str:
    """Python, SymPy, symconv and machine details, as a Markdown list."""
    cpu = cpu_name()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    git = ["git", "-C", str(REPO)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "symconv"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
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


def engine_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for result in results:
        cells = [result.case.label, f"{result.shape[0]:,} x {result.shape[1]:,}", f"{result.nnz:,}"]
        for timing in (result.matrix_time, result.output_time):
            cells += [
                with_runs(timing),
                rate(result.nnz / timing.seconds),
                f"{timing.seconds / result.nnz * 1e6:.2f}",
            ]
        rows.append(cells)
    header = ["case", "M shape", "nnz"]
    for call in ("matrix()", "output()"):
        header += [f"{call} s (runs)", f"{call} nnz/s", f"{call} us/nnz"]
    return table(header, rows)


def element_table(result: ElementResult) -> str:
    met = "**met**" if result.cold_ms < TARGET_MS else "**MISSED**"
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
            f"median of {result.cold_calls}, fresh Conv each; target < {TARGET_MS:g} ms: {met}",
        ],
        ["terms in the element", str(result.terms), "C_in * 5 * 5 = 75"],
    ]
    naive = result.naive
    if naive is not None:
        total_ms = (naive.build.seconds + naive.multiply.seconds) * 1e3
        rows += [
            [
                "naive: that one row of dense M (3*256*256 = 196,608 entries), times x",
                f"{total_ms:,.0f} ms",
                f"whole run of that row: build {seconds(naive.build.seconds)} s "
                f"({naive.build.runs}) + M*x {seconds(naive.multiply.seconds)} s "
                f"({naive.multiply.runs}); result {verdict(naive.correct)} to symconv's",
            ],
            [
                "speed-up of `output_element` (cache cleared) over the naive row",
                factor(total_ms / result.cold_ms),
                "",
            ],
        ]
    return table(["measurement", "value", "note"], rows, align="lrl")


def naive_whole_seconds(result: CaseResult, naive: NaiveResult) -> float:
    """The naive's whole-run time: measured, or for a block ``build * m / r + multiply``."""
    scale = result.rows / len(naive.block)
    return naive.build.seconds * scale + naive.multiply.seconds


def naive_runs_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for result in results:
        naive = result.naive
        assert naive is not None
        whole = len(naive.block) == result.rows
        rows.append(
            [
                result.case.label,
                f"{result.shape[0]:,} x {result.shape[1]:,}",
                f"whole run ({result.rows:,} rows)"
                if whole
                else f"per-row: first {len(naive.block)} of {result.rows:,} rows",
                with_runs(naive.build),
                with_runs(naive.multiply),
                seconds(naive_whole_seconds(result, naive))
                if whole
                else f"~{seconds(naive_whole_seconds(result, naive))} (est.)",
                verdict(naive.correct),
            ]
        )
    return table(
        [
            "case",
            "M shape",
            "naive measured on",
            "build M s (runs)",
            "M*x s (runs)",
            "naive whole run s",
            "check vs symconv",
        ],
        rows,
    )


def throughput_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for result in results:
        naive = result.naive
        assert naive is not None
        whole = len(naive.block) == result.rows
        naive_y_rate = result.rows / naive_whole_seconds(result, naive)
        symconv_y_rate = result.rows / result.output_time.seconds
        naive_m_rate = len(naive.block) / naive.build.seconds
        symconv_m_rate = result.rows / result.matrix_time.seconds
        rows.append(
            [
                result.case.label,
                "whole" if whole else "per-row",
                rate(naive_m_rate),
                rate(symconv_m_rate),
                factor(symconv_m_rate / naive_m_rate),
                rate(naive_y_rate),
                rate(symconv_y_rate),
                factor(symconv_y_rate / naive_y_rate),
            ]
        )
    return table(
        [
            "case",
            "naive figures",
            "M: naive rows/s",
            "M: symconv matrix() rows/s",
            "speed-up M",
            "y: naive rows/s",
            "y: symconv output() rows/s",
            "speed-up y",
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
    naive: tuple[tuple[Case, NaivePlan], ...]

    def cases(self) -> dict[Case, NaivePlan]:
        """Every case to run, each once, with how much of the naive to run on it."""
        cases: dict[Case, NaivePlan] = {Case(n): "none" for n in self.sizes_1d}
        cases.update({conv_2d(h): "none" for h in self.sizes_2d})
        cases.update(self.naive)
        return dict(sorted(cases.items(), key=lambda item: item[0].order))


FULL = Plan(
    sizes_1d=(10**3, 10**4, 10**5),
    sizes_2d=(16, 32, 64),
    element_calls=300,
    element_cold_calls=100,
    naive_element_row=True,
    naive=(
        (Case(100), "whole"),
        (Case(300), "whole"),
        (Case(1000), "whole"),
        (Case(10**4), 20),
        (Case(10**5), 4),
        (conv_2d(8), "whole"),
        (conv_2d(64), 20),
    ),
)

QUICK = Plan(
    sizes_1d=(10**3, 10**4),
    sizes_2d=(16,),
    element_calls=50,
    element_cold_calls=20,
    naive_element_row=False,
    naive=(
        (Case(100), "whole"),
        (Case(10**4), 5),
        (conv_2d(6), "whole"),
        (conv_2d(16), 5),
    ),
)


def warm_up() -> None:
    """Run every code path once on a tiny case, so no import cost lands in a measurement."""
    for case in (Case(9), conv_2d(5)):
        conv = case.conv()
        conv.matrix()
        conv.output()
        conv.output_element(-1 if case.in_channels is None else (0, 0, 0))
        build_rows, x = naive_formulation(case)
        build_rows(range(2)) * x


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes; under 20 s")
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL

    warm_up()
    element = bench_element(plan.element_calls, plan.element_cold_calls, plan.naive_element_row)
    results = {case: bench_case(case, naive) for case, naive in plan.cases().items()}
    engine_1d = [results[Case(n)] for n in plan.sizes_1d]
    engine_2d = [results[conv_2d(h)] for h in plan.sizes_2d]
    compared = [results[case] for case, _ in plan.naive]

    elapsed = time.perf_counter() - START
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    checks = [result.naive.correct for result in compared if result.naive is not None]
    checks += [element.naive.correct] if element.naive is not None else []

    print("# symconv engine benchmark\n")
    print(machine_info(options.quick))
    print("\n## 1. 1-D `Conv(n, 3)`: matrix() and output(), fresh Conv each run\n")
    print(engine_table(engine_1d))
    print("\n## 2. 2-D `Conv((H, H), 3, in_channels=3, out_channels=16)`\n")
    print(engine_table(engine_2d))
    print(
        "\nnnz: nonzeros of M, which is also the number of k*x products in y. "
        "Linear growth shows as a flat us/nnz column. (runs): median of that many runs."
    )
    print(
        "\n## 3. One element of `Conv((256, 256), 5, stride=2, in_channels=3, out_channels=32)`\n"
    )
    print(element_table(element))
    print("\n## 4. symconv against the naive dense SymPy baseline (same run)\n")
    print(
        "Naive: `M = sympy.Matrix(m, n, rule)` then `y = M*x`, dense, O(m*n). "
        "symconv is always run whole (`matrix()`, `output()` of the full layer).\n"
    )
    print("### 4a. The naive runs\n")
    print(naive_runs_table(compared))
    print(
        "\n'whole run': the entire naive computation was run and checked. 'per-row': "
        "only the first r rows of the full-width dense M were built and multiplied by x, "
        "and checked against symconv's rows; the whole run is estimated as "
        "build * m/r + M*x, counting the multiplication once (its time is mostly a fixed "
        "pass over x), which can only underestimate the naive."
    )
    print("\n### 4b. Throughput at the same size, rows of M (= output elements) per second\n")
    print(throughput_table(compared))
    print(
        "\nM: building the matrix (naive: dense `sympy.Matrix(m, n, rule)`, rows/s of the "
        "rows built; symconv: `matrix()`). y: the outputs (naive: build M + M*x, rows/s "
        "from the whole-run time of 4a, estimated for 'per-row' cases; symconv: "
        "`output()`, which does not build M). speed-up = symconv rows/s / naive rows/s."
    )
    print(
        f"\nTotal wall time {elapsed:.0f} s, peak memory {peak_mb:,.0f} MB. "
        + ("All checks passed." if all(checks) else "**SOME CHECKS FAILED.**")
    )
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
