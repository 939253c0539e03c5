"""Whole networks read from PyTorch modules and ONNX files, as a :class:`~symconv.stack.Stack`.

:func:`from_torch` traces a ``torch.nn.Module`` with ``torch.fx``;
:func:`from_onnx` reads an ONNX file or ``onnx.ModelProto``. Both fold the
network's graph into the stack's nested :func:`~symconv.stack.residual` and
:func:`~symconv.stack.concat` blocks (:mod:`symconv.network.dataflow`).
PyTorch and ONNX are optional (``pip install symconv[torch]``,
``pip install symconv[onnx]``) and imported only when a function is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symconv.network.onnx_graph import from_onnx
    from symconv.network.torch_graph import from_torch

__all__ = ["from_onnx", "from_torch"]

#: Where each public name lives.
_HOMES = {"from_torch": "symconv.network.torch_graph", "from_onnx": "symconv.network.onnx_graph"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
