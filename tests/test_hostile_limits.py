r"""A hard limit: whatever the text, ``check()`` returns within its time limit and
the process stays far below 1 GB.

Every case runs in a child process (forked, so it starts with symconv already
imported) that is killed if it outlives a generous wall limit; the child
measures its own check's time and the growth of its peak RSS (``resource``).
The bounds here are guards against hangs and blow-ups on a slow, shared CI
machine, not a benchmark: ``benchmarks/bench_check.py --hostile`` prints the
real figures. This is the only test module that asserts on time, and only as a guard
against hangs: how work grows with the input is measured by counting calls.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sympy
from call_count import calls
from sympy import Symbol
from test_parsing import HOSTILE, expected_values

from symconv import Conv, check, output_size
from symconv.answers.reading import read_expression, significant_digits

#: The time limit each hostile check is given.
LIMIT = 1.0
#: The wall limit of a child: the time limit, the 0.5 s the contract allows, and slack
#: for a slow machine. A child still running then has ignored its limit.
WALL = LIMIT + 3.0
#: Growth of the child's peak resident memory allowed (the contract: under 1 GB).
MEMORY = 1 << 30

W, K, s = sympy.symbols("W K s", integer=True, positive=True)
p = Symbol("p", integer=True, nonnegative=True)
SIZE = output_size(W, K, stride=s, padding=p)
ELEMENT = Conv(9, 3).output_element(0)
COUNT = Conv((16, 16), 5, in_channels=3, out_channels=32).weight_count


def _sum_of(letters: str, power: int) -> str:
    return "(" + " + ".join(letters) + f")^{{{power}}}"


#: The inputs that ran past the limit, escaped, or grew to gigabytes in 0.1.
CASES: dict[str, tuple[str, Any]] = {
    "2000 spaces then x": (" " * 2000 + "x", COUNT),
    "2000 newlines then a number": ("\n" * 2000 + str(COUNT), COUNT),
    "max of 200 symbols": ("max(" + ", ".join(f"a_{i}" for i in range(200)) + ")", SIZE),
    "max of 60 symbols": ("max(" + ", ".join(f"a_{i}" for i in range(60)) + ")", SIZE),
    "max of 60 sizes": ("max(" + ", ".join(["W", "K", "s", "p"] * 15) + ")", SIZE),
    "Mod of a power 400": ("Mod(W^{400}+1, W^{399}+W+1)", SIZE),
    "Mod of sums to the 400th": (f"Mod({_sum_of('abcdefgh', 400)}, {_sum_of('ab', 400)})", SIZE),
    "Mod of quadratics": ("Mod((a+b+c+d+e+f+g+h)^{2}, (a+b+c)^{2}+W)", SIZE),
    "many Mods of quadratics": (
        " + ".join(f"Mod((a+b+c+d+e+f+g+h+{i})^2, (a+b+c)^2+W)" for i in range(30)),
        SIZE,
    ),
    "floor of a product of powers": ("floor((a+b+c+d)^4 (e+f+g+h)^4/s)", SIZE),
    "floor of quartics": ("floor((a+b+c+d+e+f+g+h)^4/((a+b+c)^4+W))", SIZE),
    "max of quartics": (
        "max(" + ", ".join(_sum_of("abcdefgh"[:n], 4) for n in range(1, 9)) + ")",
        SIZE,
    ),
    "element plus 1100 zero terms": (str(ELEMENT) + " + 0" * 1100, ELEMENT),
    "size plus 1100 zero terms": (str(SIZE) + " + 0*W" * 1100, SIZE),
    "1200 terms": (" + ".join(f"k_{i} x_{i}" for i in range(1200)), ELEMENT),
    "a power 16 of the element's symbols": (
        _sum_of([str(v) for v in sorted(ELEMENT.free_symbols, key=str)], 16),  # type: ignore[arg-type]
        ELEMENT,
    ),
    "a tower of powers": ("((W^{400})^{400})^{400}", SIZE),
    "6000 factors": (" ".join(["W"] * 6000), SIZE),
    "1500 floors": (" + ".join(["floor(W/s)"] * 1500), SIZE),
    "bmod as a function": (r"\bmod(W, s)", SIZE),
    "an unclosed right": (r"\left(W\right", SIZE),
    "a float for sqrt 2": ("1.41e0", sympy.sqrt(2)),
    "many max of sizes": (" + ".join(f"max(W, K, s, {i})" for i in range(400)), SIZE),
    "a sum of 10000 terms": (r"\sum_{j=1}^{10000} k_j x_j", ELEMENT),
    "a sum too long": (r"\sum_{j=1}^{1000000} k_j x_j", ELEMENT),
    "digit groups 5000 long": (" ".join(["999"] * 5000), COUNT),
    "1000 floors": (" + ".join(f"floor(W/{i})" for i in range(1, 1000)), SIZE),
    "700 ceilings": (" + ".join(f"ceiling((W+{i})/(s+{i}))" for i in range(1, 700)), SIZE),
    "a sum of long sums": (
        r"\sum_{j=1}^{2000} (" + " + ".join(f"k_{i} x_{i}" for i in range(300)) + ")",
        ELEMENT,
    ),
    "a sum of sums": (r"\sum_{i=1}^{2000} \sum_{j=1}^{2000} k_i x_j", ELEMENT),
}


#: Cases that are right answers, only long: right they must stay.
RIGHT = {
    "2000 newlines then a number",
    "element plus 1100 zero terms",
    "size plus 1100 zero terms",
    "a float for sqrt 2",
}


@dataclass(frozen=True)
class Measured:
    ok: bool
    message: str
    seconds: float
    memory: int  # bytes of peak RSS growth


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _in_child(work: Callable[[], tuple[bool, str]], results: Any) -> None:
    # A child that runs away is stopped by the kernel, not the CI machine.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    start_memory = max(_rss(), 0)
    start = time.perf_counter()
    ok, message = work()
    seconds = time.perf_counter() - start
    results.put(Measured(ok, message, seconds, max(_peak() - start_memory, 0)))


def measured(work: Callable[[], tuple[bool, str]], wall: float = WALL) -> Measured:
    """``work()`` in a forked child: its result, seconds and memory; fails past ``wall``."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_in_child, args=(work, results))
    child.start()
    child.join(wall + 2.0)  # forking and reporting back take a moment too
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"still running after {wall + 2.0:.1f} s")
    return results.get(timeout=10)  # type: ignore[no-any-return]


def _checked(answer: str, expected: Any, *, thread: bool = False) -> Callable[[], tuple[bool, str]]:
    """The check as work for a child; ``thread``: in a thread of its own, where no alarm
    can ring and the budgets and clock checks alone must keep the limit."""

    def work() -> tuple[bool, str]:
        verdict = check(answer, expected, time_limit=LIMIT)
        return verdict.ok, verdict.message

    def in_a_thread() -> tuple[bool, str]:
        result: list[tuple[bool, str]] = []
        worker = threading.Thread(target=lambda: result.append(work()))
        worker.start()
        worker.join()
        return result[0]

    return in_a_thread if thread else work


@pytest.mark.parametrize("thread", [False, True], ids=["main thread", "other thread"])
@pytest.mark.parametrize("case", CASES)
def test_a_hostile_answer_stays_within_the_limits(case: str, thread: bool):
    answer, expected = CASES[case]
    result = measured(_checked(answer, expected, thread=thread))
    assert result.ok == (case in RIGHT), result.message
    assert result.seconds < WALL, f"{result.seconds:.2f} s: {result.message[:200]}"
    assert result.memory < MEMORY, f"{result.memory >> 20} MB"


@pytest.mark.parametrize("answer", list(HOSTILE.values()), ids=list(HOSTILE))
def test_an_answer_built_to_attack_the_reader_stays_within_the_limits(answer: str):
    values = expected_values()

    def work() -> tuple[bool, str]:
        verdicts = [check(answer, value, time_limit=LIMIT) for value in values.values()]
        return any(v.ok for v in verdicts), " | ".join(v.message[:80] for v in verdicts)

    result = measured(work, wall=len(values) * (LIMIT + 0.5) + 3.0)
    assert not result.ok, result.message
    assert result.memory < MEMORY, f"{result.memory >> 20} MB"


@pytest.mark.parametrize("exponent", [16, 40])
def test_expanding_a_power_respects_the_time_limit(exponent: int):
    # 31 characters whose expansion has millions of terms: decided without expanding.
    answer = _sum_of([str(v) for v in sorted(ELEMENT.free_symbols, key=str)], exponent)  # type: ignore[arg-type]
    result = measured(_checked(answer, ELEMENT))
    assert not result.ok


@pytest.mark.parametrize("blank", [" ", "\n", "\t", "\u2009"])
def test_significant_digits_of_long_blank_text_is_instant(blank: str):
    def work() -> tuple[bool, str]:
        digits = [significant_digits(blank * 2000 + tail) for tail in ("x", "2400", "")]
        return False, repr(digits)

    result = measured(work)
    assert result.seconds < 1.0, f"{result.seconds:.2f} s"


def test_reading_is_linear_in_the_length_of_the_answer():
    counts = []
    for count in (300, 1200):
        text = " + ".join(f"k_{i} x_{i}" for i in range(count))
        counts.append(calls(lambda text=text: read_expression(text)))
    # Four times the text: a linear reader makes about four times the calls, a quadratic
    # one sixteen times.
    assert counts[1] < 6 * counts[0], counts
