"""The kinds of problem a sheet can pose, one module each, every answer derived by the engine.

A kind declares the keys it accepts (with their defaults) and turns validated
parameters into template values and :class:`~symconv.sheets.model.Answer`
objects. Wording and layout live in ``templates/problems/<kind>.tex.j2`` and
``templates/solutions/<kind>.tex.j2``; a new kind is a module here with a
``KIND``, listed below, and its two templates.

>>> sorted(KINDS)[:4]
['backward', 'cost', 'counts', 'elements']
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from symconv.sheets.kinds.base import Derived, Kind

__all__ = ["KINDS", "Derived", "Kind"]

#: The kinds' modules, in the order ``symconv sheet`` documents them.
_MODULES = (
    "elements",
    "matrix",
    "unshared",
    "size_formula",
    "shapes",
    "counts",
    "transpose",
    "pooling",
    "stack",
    "network",
    "equivariance",
    "backward",
    "groups",
    "cost",
    "im2col",
    "text",
)


class _Kinds(Mapping[str, Kind]):
    """Every kind by name; a kind's module is imported when the kind is first used.

    A sheet of sizes and matrices then never loads what pooling, stacks or
    gradients need.
    """

    def __init__(self, modules: tuple[str, ...]) -> None:
        self._modules = {module.replace("_", "-"): module for module in modules}

    def __getitem__(self, name: str) -> Kind:
        kind: Kind = importlib.import_module(f"{__name__}.{self._modules[name]}").KIND
        return kind

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


#: Every kind by name, in the order ``symconv sheet`` documents them.
KINDS: Mapping[str, Kind] = _Kinds(_MODULES)
