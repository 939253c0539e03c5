"""The kinds of problem a sheet can pose, one module each, every answer derived by the engine.

A kind declares the keys it accepts (with their defaults) and turns validated
parameters into template values and :class:`~symconv.sheets.model.Answer`
objects. Wording and layout live in ``templates/problems/<kind>.tex.j2`` and
``templates/solutions/<kind>.tex.j2``; a new kind is a module here with a
``KIND``, listed below, and its two templates.

>>> sorted(KINDS)[:3]
['counts', 'elements', 'equivariance']
"""

from __future__ import annotations

from symconv.sheets.kinds import (
    counts,
    elements,
    equivariance,
    matrix,
    pooling,
    shapes,
    size_formula,
    stack,
    text,
    transpose,
    unshared,
)
from symconv.sheets.kinds.base import Derived, Kind

__all__ = ["KINDS", "Derived", "Kind"]

#: Every kind by name, in the order ``symconv sheet`` documents them.
KINDS: dict[str, Kind] = {
    module.KIND.name: module.KIND
    for module in (
        elements,
        matrix,
        unshared,
        size_formula,
        shapes,
        counts,
        transpose,
        pooling,
        stack,
        equivariance,
        text,
    )
}
