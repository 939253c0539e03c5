#!/usr/bin/env python
"""The gradients against the forward pass they mirror: CPU time per product.

Run from the repository root::

    python benchmarks/bench_backward.py            # full run, about a minute and a half
    python benchmarks/bench_backward.py --quick    # smoke run, about 20 s

Machine information and Markdown tables go to stdout, progress to stderr. The
script imports the ``symconv`` of this checkout and exits with status 1 if the
gradients differ from the ones collected tap by tap.

What is measured
----------------
For each layer, ``output()`` (one product ``k x`` per tap) and ``backward()``
(``dL/dx`` and ``dL/dk``: two products per tap, ``g k`` and ``g x``), and the
parts of ``backward()``: making the symbols (``g``, ``x``, ``k``), ``dL/dx``,
``dL/dk``, and both gradients collected tap by tap and sorted (the path taken
where the name order does not hold, and the path of every layer before).
Products are counted in the results (the terms of every sum), not typed in.
The figure that matters is the cost per product of ``backward()`` over that of
``output()``.

How it is timed
---------------
The calls run interleaved (one round of all of them, then the next, so machine
load hits all alike), each on a fresh ``Conv`` (for the parts, fresh symbols)
made untimed, with SymPy's cache cleared and the garbage collector run first,
and the young-generation collection that the new objects cost timed at the
end of each call (as in ``bench_floor.py``); time is process CPU time
(``time.process_time``), the median of 5 rounds (3 with ``--quick``). The
gradients are checked against the ones collected tap by tap;
``tests/test_gradients_bulk.py`` checks both against SymPy's ``Add`` of ``Mul``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's symconv

from bench_floor import machine, table  # noqa: E402
from machine import progress  # noqa: E402
from sympy import Add, Mul  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from symconv import Conv  # noqa: E402
from symconv.layers.containers import gc_paused  # noqa: E402
from symconv.layers.gradient_sums import GradientSums  # noqa: E402
from symconv.layers.symbols import SymbolTable  # noqa: E402


@dataclass(frozen=True)
class Case:
    label: str
    make: Callable[[], Conv]


def cases(quick: bool) -> list[Case]:
    n = 10_000 if quick else 100_000
    return [
        Case(
            "2-D 3x32x32, 16 filters 3x3",
            lambda: Conv((32, 32), 3, in_channels=3, out_channels=16),
        ),
        Case(f"1-D `Conv({n:_}, 3)`", lambda: Conv(n, 3)),
    ]


# Timing -------------------------------------------------------------------

#: Makes what a call needs (untimed) and returns the call to time.
Prepared = Callable[[], Callable[[], Any]]


def cpu_time(prepare: Prepared) -> tuple[float, Any]:
    """CPU seconds of one prepared call, SymPy's cache cleared and garbage collected first."""
    call = prepare()
    clear_cache()
    gc.collect()
    start = time.process_time()
    result = call()
    gc.collect(0)  # the young collection the new objects cost, timed as bench_floor does
    return time.process_time() - start, result


def _making_symbols(case: Case) -> Callable[[], Any]:
    spec = case.make().spec  # untimed, as for every other call
    return _paused(lambda: GradientSums(spec, SymbolTable(spec), "g"))


def interleaved(calls: dict[str, Prepared], runs: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Median CPU time of each call over ``runs`` rounds of all of them; the last results."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    results: dict[str, Any] = {}
    for _ in range(runs):
        for name, prepare in calls.items():
            results.pop(name, None)
            seconds, results[name] = cpu_time(prepare)
            times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}, results


def _sums(case: Case) -> GradientSums:
    spec = case.make().spec
    return GradientSums(spec, SymbolTable(spec), "g")


def _paused(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` with the garbage collector paused, as ``backward()`` runs its parts."""

    def run() -> Any:
        with gc_paused():
            return call()

    return run


def calls(case: Case) -> dict[str, Prepared]:
    """Each timed call of one layer, by the name its row is printed under."""
    return {
        FORWARD: lambda: case.make().output,
        BACKWARD: lambda: case.make().backward,
        SYMBOLS: lambda: _making_symbols(case),
        INPUT: lambda: _paused(_sums(case).input),
        KERNEL: lambda: _paused(_sums(case).kernel),
        TAP_BY_TAP: lambda: _paused(_sums(case).tap_by_tap),
    }


FORWARD = "`output()`"
BACKWARD = "`backward()`"
SYMBOLS = "part: the symbols `g`, `x`, `k`"
INPUT = "part: `dL/dx`"
KERNEL = "part: `dL/dk`"
TAP_BY_TAP = "`dL/dx`, `dL/dk` tap by tap and sorted (before)"


# Checking and counting ------------------------------------------------------


def products(entries: Sequence[Any]) -> int:
    """The products in a list of sums (zero entries count none)."""
    return sum(len(Add.make_args(entry)) for entry in entries if entry != 0)


def flat(array: Any) -> list[Any]:
    return list(array.reshape(len(array)))


def structure(entry: Any) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """An entry's class and, term by term in its ``args`` order, the class and factors' names.

    ``srepr`` is no check of the order: it prints a sum's terms sorted again
    (and slowly, for the sums of 900 products of ``dL/dk``).
    """
    return type(entry).__name__, tuple(
        (type(term).__name__, *(factor.name for factor in Mul.make_args(term)))
        for term in Add.make_args(entry)
    )


def identical(got: Sequence[Any], expected: Sequence[Any]) -> bool:
    """Same classes, same terms in the same order, factors of the same names, everywhere."""
    return len(got) == len(expected) and list(map(structure, got)) == list(map(structure, expected))


@dataclass(frozen=True)
class Row:
    call: str
    products: int
    seconds: float


@dataclass(frozen=True)
class CaseResult:
    case: Case
    rows: list[Row]
    equal: bool

    def per_product(self, call: str) -> float:
        row = next(r for r in self.rows if r.call == call)
        return row.seconds / row.products


def bench_case(case: Case, runs: int) -> CaseResult:
    progress(f"{case.label}: output(), backward() and its parts, {runs} rounds")
    times, results = interleaved(calls(case), runs)
    grads = results[BACKWARD]
    collected = results[TAP_BY_TAP]
    dx, dk = flat(grads.input), flat(grads.kernel)
    equal = identical(dx, collected[0]) and identical(dk, collected[1])
    equal = equal and identical(dx, results[INPUT]) and identical(dk, results[KERNEL])
    backward = products(dx) + products(dk)
    counts = {
        FORWARD: products(flat(results[FORWARD])),
        BACKWARD: backward,
        SYMBOLS: backward,
        INPUT: products(dx),
        KERNEL: products(dk),
        TAP_BY_TAP: backward,
    }
    rows = [Row(name, counts[name], times[name]) for name in times]
    return CaseResult(case, rows, equal)


# Reporting ----------------------------------------------------------------


def calls_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for result in results:
        forward = result.per_product(FORWARD)
        for row in result.rows:
            per_product = row.seconds / row.products
            rows.append(
                [
                    result.case.label,
                    row.call,
                    f"{row.products:,}",
                    f"{row.seconds:.3f}",
                    f"{per_product * 1e6:.3f}",
                    f"{per_product / forward:.2f}x",
                ]
            )
    header = ["case", "call", "products", "CPU s", "µs per product", "vs `output()` per product"]
    return table(header, rows)


def ratio_table(results: Sequence[CaseResult]) -> str:
    rows = []
    for result in results:
        forward = result.per_product(FORWARD)
        backward = result.per_product(BACKWARD)
        before = result.per_product(TAP_BY_TAP)
        rows.append(
            [
                result.case.label,
                f"{forward * 1e6:.3f}",
                f"{backward * 1e6:.3f}",
                f"**{backward / forward:.2f}x**",
                f"{before / forward:.2f}x",
                "equal" if result.equal else "**DIFFERENT**",
            ]
        )
    header = [
        "case",
        "`output()` µs per product",
        "`backward()` µs per product",
        "backward / forward",
        "tap by tap (gradients only) / forward",
        "results",
    ]
    return table(header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smaller 1-D layer, fewer rounds")
    options = parser.parse_args(argv)
    runs = 3 if options.quick else 5
    layers = cases(options.quick)
    for case in layers:  # warm up: imports and first-call costs
        case.make().output(), case.make().backward()
    results = [bench_case(case, runs) for case in layers]

    print("# The gradients against the forward pass\n")
    print(machine())
    print(f"\n## Per product: `backward()` against `output()` (CPU, median of {runs})\n")
    print(ratio_table(results))
    print("\n## Every call\n")
    print(calls_table(results))
    ok = all(result.equal for result in results)
    print(
        "\nThe gradients equal the ones collected tap by tap."
        if ok
        else "\n**SOME GRADIENTS DIFFER.**"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
