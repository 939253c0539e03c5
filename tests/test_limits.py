"""The budgets' plumbing: the alarm behind the deadline leaves the process as it found it."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from symconv import Conv, check
from symconv.answers.limits import Deadline, Interrupted, OutOfTime, alarm, current_deadline

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="Unix timers only")


def test_the_alarm_restores_the_handler_and_the_timer():
    def mine(signum: int, frame: Any) -> None:
        raise AssertionError("the caller's handler must not ring")

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        with alarm(60.0):
            assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_the_alarm_leaves_a_timer_someone_else_set_alone():
    signal.setitimer(signal.ITIMER_REAL, 60.0)
    previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        with alarm(0.001):
            assert signal.getitimer(signal.ITIMER_REAL)[0] > 1.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_alarm_interrupts_a_step_that_checks_no_clock():
    with pytest.raises(Interrupted), alarm(0.01):
        while True:
            pass


def test_a_deadline_that_has_passed_raises():
    with pytest.raises(OutOfTime):
        Deadline(-1.0).tick()


def test_check_leaves_no_deadline_behind():
    element = Conv(9, 3).output_element(0)
    assert check(element, element)
    assert not check("k_1 x_1", element, time_limit=0.0)
    assert current_deadline.get() is None
