"""pytest plugin (registered through the ``pytest11`` entry point).

A bare ``assert check(answer, expected)`` that fails gets the verdict's full
feedback as a report section, not only the short ``repr`` pytest prints.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from symconv.answers.verdict import Verdict

__all__ = ["pytest_runtest_makereport"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    """Attach the messages of the failing verdicts that an assertion looked at."""
    outcome: Any = yield
    excinfo = call.excinfo
    if excinfo is None or not excinfo.errisinstance(AssertionError):
        return
    verdicts: list[Verdict] = []
    for entry in excinfo.traceback:
        for value in entry.frame.f_locals.values():
            if isinstance(value, Verdict) and not value and value not in verdicts:
                verdicts.append(value)
    if verdicts:
        report = outcome.get_result()
        report.sections.append(
            ("symconv check", "\n\n".join(verdict.message for verdict in verdicts))
        )
