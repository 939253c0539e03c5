"""What the benchmarks print besides their tables: the machine they ran on, and progress."""

from __future__ import annotations

import platform
import sys
import time

START = time.perf_counter()


def progress(message: str) -> None:
    """A progress line on stderr, seconds since start, so that stdout stays clean Markdown."""
    print(f"[{time.perf_counter() - START:6.1f} s] {message}", file=sys.stderr, flush=True)


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            return next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                cpu,
            )
    except OSError:
        return cpu
