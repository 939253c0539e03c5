#!/usr/bin/env python
"""Whole networks: from a PyTorch module to symconv's table, beside PyTorch's own flop counter.

Run from the repository root (PyTorch needed: ``pip install -e .[torch]``)::

    python benchmarks/bench_network.py            # 5 runs per row
    python benchmarks/bench_network.py --runs 2   # quicker

For each network of ``tests/torch_nets.py`` (plain PyTorch after torchvision) it
times, on one core, medians of CPU seconds:

- ``from_torch`` to the numeric table at 224 x 224 (``torch.fx`` tracing included;
  a fresh module each run, so nothing is cached between runs);
- ``from_torch`` to the symbolic table in ``H`` and ``W`` (every row's shape, weights
  and MACs as formulas);
- the naive SymPy baseline of that symbolic table: every size as the textbook
  ``floor((n + 2p - d(K - 1) - 1)/s) + 1`` nested layer after layer, the MACs summed,
  then ``sympy.simplify`` of the output size (what one would write without symconv's
  folding of roundings);
- PyTorch's ``FlopCounterMode`` on one forward pass at 224 x 224 (how tools count).

Every count is checked: symconv's MACs equal half of the flop counter's total,
its weights ``sum(p.numel())``, and the symbolic table at 224 x 224 the numeric one.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import cpu_name, progress  # noqa: E402

NETWORKS = ("resnet18", "resnet50", "mobilenet_v2", "googlenet", "densenet121", "squeezenet1_0")


def cpu_seconds(work: Callable[[], Any], runs: int, setup: Callable[[], Any]) -> tuple[float, Any]:
    """Median CPU seconds of ``work(setup())`` over ``runs``, and the last result."""
    times, result = [], None
    for _ in range(runs):
        made = setup()
        start = time.process_time()
        result = work(made)
        times.append(time.process_time() - start)
    return statistics.median(times), result


def naive_symbolic(module: Any, H: Any, W: Any) -> Any:
    """The baseline: the same table with the textbook floors nested layer after layer
    (symconv's folding of roundings switched off), then ``sympy.simplify`` of the output
    sizes and the MACs, as one would tidy them without symconv."""
    from unittest import mock

    import sympy

    from symconv.layers import geometry
    from symconv.network import from_torch

    def textbook(numerator: Any, denominator: Any) -> Any:
        if isinstance(numerator, int) and isinstance(denominator, int):
            return numerator // denominator
        return sympy.floor(numerator / denominator)

    with mock.patch.object(geometry, "whole_floor_div", textbook):
        stack = from_torch(module, (3, H, W))
    return [sympy.simplify(n) for n in stack.output_shape], sympy.simplify(stack.macs)


def bench(name: str, runs: int) -> dict[str, Any]:
    import torch
    from sympy import symbols
    from torch.utils.flop_counter import FlopCounterMode

    import tests.torch_nets as nets
    from symconv.network import from_torch

    make = nets.NETWORKS[name]
    H, W = symbols("H W")
    progress(f"{name}: numeric table")
    numeric_s, numeric = cpu_seconds(lambda m: from_torch(m, (3, 224, 224)), runs, make)
    progress(f"{name}: symbolic table")
    symbolic_s, symbolic = cpu_seconds(lambda m: from_torch(m, (3, H, W)), runs, make)
    progress(f"{name}: naive SymPy baseline")
    naive_s, _ = cpu_seconds(lambda m: naive_symbolic(m, H, W), max(1, runs // 2), make)

    def count(module: Any) -> int:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            module(torch.zeros(1, 3, 224, 224))
        return int(counter.get_total_flops())

    progress(f"{name}: PyTorch's flop counter")
    torch.set_num_threads(1)
    torch_s, flops = cpu_seconds(count, runs, lambda: make().eval())
    module = make()
    checks = {
        "MACs": numeric.macs == flops // 2,
        "weights": numeric.weight_count == sum(p.numel() for p in module.parameters()),
        "symbolic": symbolic.macs.subs({H: 224, W: 224}) == numeric.macs
        and symbolic.weight_count == numeric.weight_count,
    }
    return {
        "name": name,
        "rows": len(numeric.rows),
        "macs": numeric.macs,
        "numeric": numeric_s,
        "symbolic": symbolic_s,
        "naive": naive_s,
        "torch": torch_s,
        "ok": all(checks.values()),
        "checks": checks,
    }


def machine() -> str:
    import sympy
    import torch

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return "\n".join(
        [
            f"- python: {platform.python_implementation()} {platform.python_version()}",
            f"- sympy: {sympy.__version__}; torch: {torch.__version__} (one thread)",
            f"- cpu: {cpu_name()}; nproc {usable} (everything here runs on one core)",
            f"- os: {platform.platform()}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per row (median shown)")
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS)
    options = parser.parse_args(argv)
    results = [bench(name, options.runs) for name in options.networks]
    print("# Whole networks: PyTorch module to symconv's table\n")
    print(machine())
    print("\n## CPU seconds, median of", options.runs, "runs\n")
    print(
        "| network | rows | GMACs at 224 | `from_torch` numeric | `from_torch` in H, W "
        "| naive SymPy in H, W | PyTorch `FlopCounterMode` |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['name']} | {r['rows']} | {r['macs'] / 1e9:.3f} | {r['numeric']:.3f} "
            f"| {r['symbolic']:.3f} | {r['naive']:.3f} | {r['torch']:.3f} |"
        )
    ok = all(r["ok"] for r in results)
    print(
        "\nEvery count equal to PyTorch's (MACs = half the flop counter's total, weights = "
        "sum(p.numel())) and the symbolic table at 224 x 224 equal to the numeric one."
        if ok
        else "\n**SOME COUNTS DIFFER:** "
        + "; ".join(f"{r['name']}: {r['checks']}" for r in results if not r["ok"])
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
