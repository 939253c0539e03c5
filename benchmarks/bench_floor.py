#!/usr/bin/env python
"""symconv against the floor: the fastest any SymPy program can build the same objects.

Run from the repository root::

    python benchmarks/bench_floor.py            # full run, a few minutes on 2 cores
    python benchmarks/bench_floor.py --quick    # smoke run, well under a minute

Machine information and Markdown tables go to stdout, progress to stderr. The
script imports the ``symconv`` of this checkout and exits with status 1 if a
result differs from its floor's.

The floors
----------
``matrix()``: the nonzeros written straight into a dict of rows by loops that
know the layer's structure (no window arithmetic at all), wrapped as
``SparseMatrix._fromrep(DomainMatrix.from_rep(SDM(rows, shape, EXRAW)))``,
SymPy's own sparse representation. ``output()``: the symbols made with
``Symbol(name)`` in the same run, each term ``Mul._from_args((k, x), True)``
and each output ``Add._from_args(terms, True)`` in canonical order (known in
advance for these layers), wrapped in an ``Array``. Floors run with the garbage
collector paused, as symconv does: they are the fastest program, not a
straw man.

How it is timed
---------------
Every case runs the floor and symconv alternately (interleaved, so machine load
hits both alike), each call on a fresh ``Conv`` with SymPy's cache cleared and
the garbage collector run first (untimed), and the young-generation collection
that the new objects cost timed for both (see ``cpu_time``); time is process
CPU time (``time.process_time``), the median of several runs. Each result is checked
equal to its floor's (the matrices with ``==``, the outputs element by element
with ``==`` and ``srepr``). Peak memory per nonzero of ``matrix()`` is measured
apart with ``tracemalloc`` (which slows the call, so it is not timed).
Start-up is timed by ``bench_startup.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's symconv

import sympy  # noqa: E402
from machine import cpu_name, progress  # noqa: E402
from sympy import Add, Array, Mul, SparseMatrix, Symbol, srepr  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402
from sympy.polys.domains import EXRAW  # noqa: E402
from sympy.polys.matrices import DomainMatrix  # noqa: E402
from sympy.polys.matrices.sdm import SDM  # noqa: E402

from symconv import Conv  # noqa: E402

# The layers and their floors --------------------------------------------


@dataclass(frozen=True)
class Case:
    """A layer with no padding and stride 1: ``Conv(size, kernel)`` (2-D with channels)."""

    size: int | tuple[int, int]
    kernel: int = 3
    channels: tuple[int, int] | None = None

    def conv(self) -> Conv:
        if self.channels is None:
            return Conv(self.size, self.kernel)
        c_in, c_out = self.channels
        return Conv(self.size, self.kernel, in_channels=c_in, out_channels=c_out)

    @property
    def label(self) -> str:
        if isinstance(self.size, int):
            return f"1-D n = {self.size:,}"
        assert self.channels is not None
        c_in, c_out = self.channels
        return (
            f"2-D {c_in}x{self.size[0]}x{self.size[1]}, {c_out} filters {self.kernel}x{self.kernel}"
        )

    @property
    def nnz(self) -> int:
        if isinstance(self.size, int):
            return (self.size - self.kernel + 1) * self.kernel
        assert self.channels is not None
        c_in, c_out = self.channels
        out = [s - self.kernel + 1 for s in self.size]
        return c_out * math.prod(out) * c_in * self.kernel**2


def _paused(build: Callable[[], Any]) -> Any:
    gc.disable()
    try:
        return build()
    finally:
        gc.enable()


def floor_matrix(case: Case) -> SparseMatrix:
    """The matrix's nonzeros written straight into SymPy's sparse representation."""

    def build() -> SparseMatrix:
        K = case.kernel
        if isinstance(case.size, int):
            n = case.size
            k = [Symbol(f"k_{j + 1}") for j in range(K)]
            m = n - K + 1
            rows = {i: {i + j: k[j] for j in range(K)} for i in range(m)}
            shape = (m, n)
        else:
            assert case.channels is not None
            c_in, c_out = case.channels
            H, W = case.size
            oh, ow = H - K + 1, W - K + 1
            k = _filter_symbols(c_in, c_out, K)
            offsets = [(c * H + a) * W + b for c in range(c_in) for a in range(K) for b in range(K)]
            columns = [[i * W + j + f for f in offsets] for i in range(oh) for j in range(ow)]
            taps = len(offsets)
            rows = {}
            for o in range(c_out):
                weights = k[o * taps : (o + 1) * taps]
                first = o * oh * ow
                for p, row in enumerate(columns):
                    rows[first + p] = dict(zip(row, weights, strict=True))
            shape = (c_out * oh * ow, c_in * H * W)
        return SparseMatrix._fromrep(DomainMatrix.from_rep(SDM(rows, shape, EXRAW)))

    return _paused(build)


def _filter_symbols(c_in: int, c_out: int, K: int) -> list[Symbol]:
    """The 2-D floors' weights ``k_o,c,a,b``, made afresh (inside the timed build)."""
    return [
        Symbol(f"k_{o},{c},{a},{b}")
        for o in range(1, c_out + 1)
        for c in range(1, c_in + 1)
        for a in range(1, K + 1)
        for b in range(1, K + 1)
    ]


def floor_output(case: Case) -> Array:
    """Every output as ``Add._from_args`` of ``Mul._from_args``, symbols made in the run."""

    def build() -> Array:
        K = case.kernel
        if isinstance(case.size, int):
            n = case.size
            k = [Symbol(f"k_{j + 1}") for j in range(K)]
            x = [Symbol(f"x_{j + 1}") for j in range(n)]
            m = n - K + 1
            elements = [
                Add._from_args([Mul._from_args((k[j], x[i + j]), True) for j in range(K)], True)
                for i in range(m)
            ]
            return Array(elements, (m,))
        assert case.channels is not None
        c_in, c_out = case.channels
        H, W = case.size
        oh, ow = H - K + 1, W - K + 1
        k = _filter_symbols(c_in, c_out, K)
        x = [
            Symbol(f"x_{c},{i},{j}")
            for c in range(1, c_in + 1)
            for i in range(1, H + 1)
            for j in range(1, W + 1)
        ]
        offsets = [(c * H + a) * W + b for c in range(c_in) for a in range(K) for b in range(K)]
        windows = [[x[i * W + j + f] for f in offsets] for i in range(oh) for j in range(ow)]
        taps = len(offsets)
        elements = []
        for o in range(c_out):
            weights = k[o * taps : (o + 1) * taps]
            for inputs in windows:
                elements.append(
                    Add._from_args(
                        [Mul._from_args(pair, True) for pair in zip(weights, inputs, strict=True)],
                        True,
                    )
                )
        return Array(elements, (c_out, oh, ow))

    return _paused(build)


# Timing -------------------------------------------------------------------


def cpu_time(call: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of ``call()``, SymPy's cache cleared and garbage collected first.

    Both sides build with the collector paused and leave hundreds of thousands
    of new objects behind; Python traverses them in a young-generation
    collection at its next allocation once the collector is back on. symconv
    turns it back on inside the call, a floor just after, so that collection is
    timed for both (``gc.collect(0)`` at the end), not for one only.
    """
    clear_cache()
    gc.collect()
    start = time.process_time()
    result = call()
    gc.collect(0)
    return time.process_time() - start, result


def interleaved(
    calls: dict[str, Callable[[], Any]], runs: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """Median CPU time of each call over ``runs`` rounds of all of them; the last results."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    results: dict[str, Any] = {}
    for _ in range(runs):
        for name, call in calls.items():
            results.pop(name, None)
            seconds, results[name] = cpu_time(call)
            times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}, results


def peak_bytes(call: Callable[[], Any]) -> int:
    """Peak traced memory of ``call()`` (its result included), SymPy's cache cleared first."""
    clear_cache()
    gc.collect()
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


@dataclass(frozen=True)
class CaseResult:
    case: Case
    matrix: float
    matrix_floor: float
    output: float
    output_floor: float
    equal: bool
    matrix_bytes: int | None
    floor_bytes: int | None


def runs_for(nnz: int, quick: bool) -> int:
    if quick:
        return 3
    return 5 if nnz <= 400_000 else 3


def bench_case(case: Case, quick: bool, memory: bool) -> CaseResult:
    runs = runs_for(case.nnz, quick)
    progress(f"{case.label}: matrix() and its floor, {runs} runs each")
    matrix_times, matrices = interleaved(
        {"floor": lambda: floor_matrix(case), "symconv": lambda: case.conv().matrix()}, runs
    )
    equal = bool(matrices["floor"] == matrices["symconv"])
    del matrices
    progress(f"{case.label}: output() and its floor, {runs} runs each")
    output_times, outputs = interleaved(
        {"floor": lambda: floor_output(case), "symconv": lambda: case.conv().output()}, runs
    )
    got, want = outputs["symconv"], outputs["floor"]
    equal = equal and got.shape == want.shape and got == want
    flat_got, flat_want = list(got.reshape(len(got))), list(want.reshape(len(want)))
    step = max(1, len(flat_got) // 1000)
    equal = equal and all(
        srepr(a) == srepr(b) for a, b in zip(flat_got[::step], flat_want[::step], strict=True)
    )
    del outputs, got, want, flat_got, flat_want
    matrix_bytes = floor_bytes = None
    if memory:
        progress(f"{case.label}: peak memory of matrix() and its floor")
        matrix_bytes = peak_bytes(lambda: case.conv().matrix())
        floor_bytes = peak_bytes(lambda: floor_matrix(case))
    return CaseResult(
        case,
        matrix_times["symconv"],
        matrix_times["floor"],
        output_times["symconv"],
        output_times["floor"],
        equal,
        matrix_bytes,
        floor_bytes,
    )


# Reporting ----------------------------------------------------------------


def machine() -> str:
    from sympy.external.gmpy import GROUND_TYPES

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return "\n".join(
        [
            f"- python: {platform.python_implementation()} {platform.python_version()}",
            f"- sympy: {sympy.__version__} (ground types: {GROUND_TYPES})",
            f"- cpu: {cpu_name()}; nproc {usable} (everything here runs on one core)",
            f"- os: {platform.platform()}",
        ]
    )


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def ratio_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for r in results:
        if math.isnan(r.matrix):
            continue
        rows.append(
            [
                r.case.label,
                f"{r.case.nnz:,}",
                f"{r.matrix_floor:.4f}",
                f"{r.matrix:.4f}",
                f"**{r.matrix / r.matrix_floor:.2f}x**",
                f"{r.output_floor:.4f}",
                f"{r.output:.4f}",
                f"**{r.output / r.output_floor:.2f}x**",
                "equal" if r.equal else "**DIFFERENT**",
            ]
        )
    return table(
        [
            "case",
            "nonzeros",
            "`matrix()` floor s",
            "symconv s",
            "vs floor",
            "`output()` floor s",
            "symconv s",
            "vs floor",
            "results",
        ],
        rows,
    )


def growth_table(results: Sequence[CaseResult]) -> str:
    ones = [r for r in results if isinstance(r.case.size, int) and not math.isnan(r.matrix)]
    rows = []
    for r in ones:
        rows.append(
            [
                r.case.label,
                f"{r.matrix / r.case.nnz * 1e6:.3f}",
                f"{r.matrix_floor / r.case.nnz * 1e6:.3f}",
                f"{r.output / r.case.nnz * 1e6:.3f}",
                f"{r.output_floor / r.case.nnz * 1e6:.3f}",
            ]
        )
    first, last = ones[0], ones[-1]
    rows.append(
        [
            f"growth {first.case.label} -> {last.case.label.split('= ')[-1]}",
            f"{(last.matrix / last.case.nnz) / (first.matrix / first.case.nnz):.2f}x",
            f"{(last.matrix_floor / last.case.nnz) / (first.matrix_floor / first.case.nnz):.2f}x",
            f"{(last.output / last.case.nnz) / (first.output / first.case.nnz):.2f}x",
            f"{(last.output_floor / last.case.nnz) / (first.output_floor / first.case.nnz):.2f}x",
        ]
    )
    return table(
        [
            "case",
            "`matrix()` µs/nnz",
            "floor µs/nnz",
            "`output()` µs/nnz",
            "floor µs/nnz",
        ],
        rows,
    )


def memory_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for r in results:
        if r.matrix_bytes is None or r.floor_bytes is None:
            continue
        rows.append(
            [
                r.case.label,
                f"{r.case.nnz:,}",
                f"{r.matrix_bytes / r.case.nnz:.0f}",
                f"{r.matrix_bytes / 2**20:,.0f}",
                f"{r.floor_bytes / r.case.nnz:.0f}",
            ]
        )
    header = ["case", "nonzeros", "`matrix()` peak B/nnz", "`matrix()` peak MiB", "floor B/nnz"]
    return table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs")
    options = parser.parse_args(argv)
    sizes = (10**3, 10**4) if options.quick else (10**3, 10**4, 10**5, 10**6)
    cases = [Case(n) for n in sizes] + [Case((32, 32), 3, (3, 16))]
    memory_cases = {Case(10**4), Case((32, 32), 3, (3, 16))}
    if not options.quick:
        memory_cases.add(Case(10**5))
    # The large layer: memory only (a single traced build of each).
    large = [] if options.quick else [Case((128, 128), 3, (3, 16))]

    for case in cases[:1] + cases[-1:]:  # warm up: imports and first-call costs
        floor_matrix(case), case.conv().matrix(), floor_output(case), case.conv().output()
    results = [bench_case(case, options.quick, case in memory_cases) for case in cases]
    for case in large:
        progress(f"{case.label}: peak memory of matrix() and its floor")
        memory_only = CaseResult(case, math.nan, math.nan, math.nan, math.nan, True, 0, 0)
        results.append(
            dataclasses.replace(
                memory_only,
                matrix_bytes=peak_bytes(lambda case=case: case.conv().matrix()),
                floor_bytes=peak_bytes(lambda case=case: floor_matrix(case)),
            )
        )

    print("# symconv against the floor\n")
    print(machine())
    print("\n## Time: symconv against the floor, same run (CPU s, median)\n")
    print(ratio_table(results))
    print("\n## Growth: CPU time per nonzero, 1-D `Conv(n, 3)`\n")
    print(growth_table(results))
    print("\n## Memory: peak traced bytes per nonzero while building `matrix()`\n")
    print(memory_table(results))
    ok = all(r.equal for r in results)
    print("\nAll results equal to their floors'." if ok else "\n**SOME RESULTS DIFFER.**")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
