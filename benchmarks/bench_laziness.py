#!/usr/bin/env python
"""What ``symconv derive`` costs as the layer grows, the rows it prints held fixed.

Run from the repository root::

    python benchmarks/bench_laziness.py            # sizes up to 10^6 (and 2000 x 2000)
    python benchmarks/bench_laziness.py --quick    # up to 10^5

For each command and size, in one process: CPU seconds (median of 3) and peak
traced memory (tracemalloc) of ``symconv derive ...`` with its output thrown
away. The naive baseline, in the same run, prints the same entries from the
whole objects (``Conv.matrix()`` and ``Conv.backward()`` built first), as a
program without symconv's row-by-row derivation would; it is run only where it
fits in memory and time (up to 10^5). Every printed output of symconv is checked
equal to the baseline's where both run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import cpu_name, progress


def measure(work: Callable[[], Any], runs: int = 3) -> tuple[float, float, Any]:
    """Median CPU seconds, peak traced MiB of one more run, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = work()
        times.append(time.process_time() - start)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, result


def derive(argv: list[str]) -> str:
    from symconv.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["derive", *argv])
    assert status == 0, argv
    return out.getvalue()


def naive(argv: list[str]) -> str:
    """The same command with every entry read from the whole matrix and gradient."""
    from unittest import mock

    from symconv.cli.options import conv_from_args
    from symconv.cli.parser import build_parser
    from symconv.layers import gradients

    conv = conv_from_args(build_parser().parse_args(["derive", *argv]))
    conv.matrix()  # what a program without row-by-row derivation builds first
    whole = gradients.Gradients(conv.spec)

    class FromTheWhole:
        def __init__(self, spec: Any) -> None:
            self.input_shape, self.kernel_shape = whole.input.shape, whole.kernel.shape
            self.bias_shape = None if whole.bias is None else whole.bias.shape

        def _at(self, array: Any, flat: int) -> Any:
            from symconv.layers.symbols import unravel

            return array[unravel(flat, array.shape)]

        def input(self, flat: int) -> Any:
            return self._at(whole.input, flat)

        def kernel_ends(self, flat: int, keep: int) -> Any:
            return self._at(whole.kernel, flat)

        def bias_ends(self, flat: int, keep: int) -> Any:
            return self._at(whole.bias, flat)

    with mock.patch.object(gradients, "GradientEntries", FromTheWhole):
        return derive(argv)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 10^5 only")
    options = parser.parse_args(argv)
    sizes = [10**3, 10**4, 10**5] + ([] if options.quick else [10**6])
    cases = [(f"--input {n} --kernel 3 --backward", ["-i", str(n), "-k", "3", "--backward"], n)
             for n in sizes]  # fmt: skip
    cases += [(f"--input {n} --kernel 3", ["-i", str(n), "-k", "3"], n) for n in sizes]
    if not options.quick:
        big = ["-i", "2000", "2000", "-k", "3", "--in-channels", "3", "--out-channels", "8"]
        cases.append(("2000 x 2000, 3 to 8 channels, --bias --backward",
                      [*big, "--bias", "--backward"], 4 * 10**6))  # fmt: skip
    derive(["-i", "9", "-k", "3", "--backward"])  # imports and first calls
    rows, ok = [], True
    for label, args, size in cases:
        progress(label)
        seconds, peak, printed = measure(lambda args=args: derive(args))
        if size <= 10**5:
            progress(f"{label}: naive baseline")
            base_seconds, base_peak, expected = measure(lambda args=args: naive(args), runs=1)
            ok &= printed == expected
            base = f"{base_seconds:.3f} | {base_peak:.1f}"
        else:
            base = "— | —"
        rows.append(f"| `derive {label}` | {seconds:.3f} | {peak:.1f} | {base} |")
    print("# derive: the rows it prints, whatever the layer's size\n")
    print(f"{cpu_name()}, CPython {sys.version.split()[0]}; CPU seconds (median of 3), peak MiB\n")
    print("| command | symconv s | symconv MiB | whole objects first s | MiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print("\nPrinted output equal to the baseline's." if ok else "\n**OUTPUTS DIFFER.**")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
