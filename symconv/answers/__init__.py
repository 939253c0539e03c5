"""Answers: read what a person wrote into a typed value, decide it, explain it.

The pipeline, one module per stage:

- :mod:`~symconv.answers.reading` (with :mod:`~symconv.answers.lexing` and
  :mod:`~symconv.answers.parser`): text into SymPy objects, never through ``eval``;
- :mod:`~symconv.answers.values`: any answer into a number, shape, matrix,
  formula or yes/no;
- :mod:`~symconv.answers.deciding` (with :mod:`~symconv.answers.domain` and
  :mod:`~symconv.answers.evaluation`): equal or not, proved or searched;
- :mod:`~symconv.answers.feedback`: what is wrong, and a likely cause;
- :mod:`~symconv.answers.checking`: :func:`check`, the entry point, returning a
  :class:`~symconv.answers.verdict.Verdict`;
- :mod:`~symconv.answers.pytest_plugin`: verdicts in pytest's reports.

Marking files of answers is :mod:`symconv.marking`, which calls :func:`check`.
"""

from symconv.answers.checking import check
from symconv.answers.verdict import Verdict

__all__ = ["Verdict", "check"]
