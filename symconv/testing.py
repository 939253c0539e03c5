"""Assertions for test suites that verify hand derivations.

>>> from symconv import Conv
>>> assert_equivalent("k_1 x_1 + k_2 x_2 + k_3 x_3", Conv(9, 3).output_element(0))
>>> assert_equivalent("k_1 x_2 + k_2 x_3 + k_3 x_4", Conv(9, 3).output_element(0))
Traceback (most recent call last):
...
AssertionError: Wrong: the indices of x are off by 1 (x_2 where x_1 belongs)
"""

from __future__ import annotations

from typing import Any

from symconv.answers.checking import check

__all__ = ["assert_equivalent"]


def assert_equivalent(answer: Any, expected: Any, **options: Any) -> None:
    """Raise ``AssertionError`` with :func:`symconv.check`'s feedback unless ``answer`` is right.

    ``options`` go to :func:`symconv.check` (``time_limit``).
    """
    verdict = check(answer, expected, **options)
    if not verdict:
        raise AssertionError(verdict.message)
