"""An ONNX model read as a :class:`~symconv.stack.Stack`.

:func:`from_onnx` reads the nodes of an ONNX graph (in the file's order, which
ONNX keeps topological) as stack layers or joins, and folds the graph into
nested residual and concat blocks (:mod:`symconv.network.dataflow`).

What it reads: ``Conv``, ``ConvTranspose``, ``MaxPool``, ``AveragePool``,
``GlobalAveragePool``, ``GlobalMaxPool``, ``BatchNormalization``,
``InstanceNormalization``, ``LayerNormalization``, ``Resize`` and ``Upsample``
(nearest as PyTorch's, linear), ``PRelu``, ``Relu`` and the other elementwise
operators, ``Add`` (of two tensors: a residual; of a constant: a bias or an
elementwise step), ``Mul`` of two tensors (a value by scales computed from it:
a gate), ``Concat`` and ``Split`` on channels, ``Flatten``, ``Gemm`` and
``MatMul`` with a weight initializer, ``Reshape`` to ``(N, features)``, the
``Reshape``/``Transpose``/``Reshape`` of a channel shuffle, ``ReduceMean`` over
the spatial axes, ``Identity`` and ``Dropout``; and the constants and shape
arithmetic that feed ``Reshape`` and ``Resize``.
Anything else is an error naming the node and its operator.

Weights are counted from the shapes of the initializers each layer uses (a
batch norm's running mean and variance are not weights). A network exported
by ``torch.onnx.export`` in evaluation mode has its batch norms folded into
the convolutions before them; export with
``training=torch.onnx.TrainingMode.TRAINING`` to keep them as layers. PyTorch
exports a group norm as reshapes around an instance norm, which is refused.

The ``onnx`` package is an optional dependency (``pip install symconv[onnx]``),
imported when :func:`from_onnx` is called.
"""

from __future__ import annotations

import contextlib
import importlib
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sympy import Symbol

from symconv.errors import SymconvError
from symconv.layers import stack
from symconv.network.dataflow import (
    Node,
    Shuffle,
    check_weights,
    nest,
    per_axis,
    read_view,
    swaps_groups,
)

__all__ = ["from_onnx"]


@dataclass(frozen=True)
class _Tensor:
    """A tensor of the graph: the dataflow node that computes it, its number of axes,
    and how far a channel shuffle written as reshapes has come."""

    name: str
    rank: int
    shuffle: Shuffle | None = None


@dataclass
class _Part:
    """One output of a ``Split`` on channels; a dataflow node once something reads it."""

    tensor: _Tensor
    parts: int
    path: str
    name: str
    read: _Tensor | None = None


@dataclass(frozen=True)
class _Sizes:
    """Sizes read from a tensor's shape at run time: ``items`` holds each entry (a number,
    or ``None`` where unknown); ``items`` is ``None`` when even their count is unknown."""

    items: tuple[int | None, ...] | None
    scalar: bool = False


class _Unused:
    """An output no layer of a stack reads (a batch norm's running statistics)."""


#: Elementwise operators: shape kept, no weights.
_ELEMENTWISE = frozenset(
    {
        "Relu",
        "Sigmoid",
        "Tanh",
        "LeakyRelu",
        "Elu",
        "Selu",
        "Celu",
        "HardSigmoid",
        "HardSwish",
        "Softplus",
        "Softsign",
        "Gelu",
        "Mish",
        "Clip",
        "Softmax",
        "LogSoftmax",
        "Abs",
        "Neg",
        "Exp",
        "Log",
        "Erf",
        "Sqrt",
        "Reciprocal",
        "ThresholdedRelu",
        "Shrink",
        "Floor",
        "Ceil",
        "Round",
        "Sign",
    }
)
#: Arithmetic with a constant: elementwise, shape kept.
_ARITHMETIC = frozenset(
    {
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Pow",
    }
)
#: Operators that compute on shapes and constants, never on a layer's output.
_SHAPE_OPS = frozenset(
    {
        "Shape",
        "Gather",
        "Unsqueeze",
        "Squeeze",
        "Concat",
        "Cast",
        "Slice",
        "Mul",
        "Div",
        "Add",
        "Sub",
        "Floor",
        "Ceil",
        "Range",
        "ConstantOfShape",
        "Reshape",
        "Identity",
        "Size",
        "Expand",
        "Equal",
        "Where",
        "Max",
        "Min",
    }
)


def _import(name: str, extra: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ModuleNotFoundError(
            f"reading an ONNX model needs {name}: pip install symconv[{extra}]"
        ) from None


def _qualified(scopes: list[str]) -> str:
    """Torch's export scopes as the module's qualified name: a scope that extends the one
    before it (``layer1`` then ``layer1.0``, a child of a ``Sequential``) stands for both.

    >>> _qualified(["layer1", "layer1.0", "downsample", "downsample.0"])
    'layer1.0.downsample.0'
    """
    parts: list[str] = []
    for scope in scopes:
        if parts and scope.startswith(parts[-1] + "."):
            parts[-1] = scope
        else:
            parts.append(scope)
    return ".".join(parts)


def _path(node: Any) -> str:
    """The module a torch-exported node came from (``/layer1/layer1.0/conv1/Conv`` ->
    ``layer1.0.conv1``), else the node's name, else its first output."""
    scopes = [part for part in str(node.name).split("/") if part]
    if len(scopes) >= 2:
        return _qualified(scopes[:-1])
    if len(scopes) == 1 and str(node.name).startswith("/"):  # a function of the top module
        return scopes[0].lower()
    return str(node.name or node.output[0])


def _scope(node: Any) -> str | None:
    """The module a torch-exported join is written in (``/layer1/layer1.0/Add`` -> ``layer1.0``)."""
    scopes = [part for part in str(node.name).split("/") if part]
    return _qualified(scopes[:-1]) if len(scopes) >= 2 else None


class _Reader:
    """Reads an ONNX graph node by node into dataflow :class:`Node` objects."""

    def __init__(
        self, onnx: Any, numpy: Any, graph: Any, shape: tuple[Any, ...], shapes: dict[str, Any]
    ) -> None:
        self.onnx = onnx
        self.numpy = numpy
        self.shapes = shapes  # each tensor's sizes, as far as ONNX's shape inference knows them
        self.initializers = {init.name: init for init in graph.initializer}
        self.values: dict[str, Any] = {}
        self.constants: dict[str, Any] = {}
        self.nodes: list[Node] = []
        self.held: dict[str, tuple[int, str]] = {}
        self.dense: dict[str, int] = {}  # a MatMul's output: its node, which an Add may give a bias
        self.features: dict[str, int] = {}  # the features a dense layer reads, by its path
        self.input_shape = shape
        self.rank = len(shape) + 1
        self.source = ""

    # ------------------------------------------------------------------ values

    def _refuse(self, node: Any, reason: str) -> SymconvError:
        return SymconvError(f"layer {_path(node)} (ONNX {node.op_type}) cannot be read: {reason}")

    def constant(self, name: str) -> Any:
        """The value of a constant input (an initializer or a ``Constant``), or ``None``."""
        if name in self.constants:
            return self.constants[name]
        if name in self.initializers:
            value = self.onnx.numpy_helper.to_array(self.initializers[name])
            self.constants[name] = value
            return value
        return None

    def _known(self, name: str) -> Any:
        """A constant, or sizes read at run time whose values shape inference knows."""
        value = self.constant(name)
        sizes = self.values.get(name)
        if value is not None or not isinstance(sizes, _Sizes) or sizes.items is None:
            return value
        if None in sizes.items:
            return None
        items = self.numpy.array(sizes.items, dtype="int64")
        return items.reshape(()) if sizes.scalar else items

    def _dims(self, node: Any, name: str, what: str) -> tuple[int, ...]:
        """The shape of a weight initializer."""
        if name in self.initializers:
            return tuple(int(d) for d in self.initializers[name].dims)
        value = self.constants.get(name)
        if value is None:
            raise self._refuse(node, f"its {what} {name} is no initializer of the model")
        return tuple(int(d) for d in value.shape)

    def _tensor(self, node: Any, name: str, *, shuffling: bool = False) -> _Tensor:
        value = self.values.get(name)
        if isinstance(value, _Part):
            if value.read is None:
                layer = self._build(node, stack.channel_split, value.parts, path=value.path)
                self.nodes.append(Node(value.name, (value.tensor.name,), (layer,), path=value.path))
                value.read = _Tensor(value.name, value.tensor.rank)
            value = value.read
        if isinstance(value, _Tensor):
            if value.shuffle is not None and not shuffling:
                raise self._refuse(
                    node, "it reads the channels regrouped by a reshape; a channel shuffle is "
                    "a reshape to (N, groups, C/groups, ...), a transpose of axes 1 and 2 "
                    "and a reshape back",
                )  # fmt: skip
            return value
        raise self._refuse(node, f"it needs a layer's output where it reads {name!r}")

    def _is_tensor(self, name: str) -> bool:
        return isinstance(self.values.get(name), _Tensor | _Part)

    def _layers(self, node: Any, x: _Tensor, layers: list[Any], rank: int, **kw: Any) -> _Tensor:
        name = str(node.output[0])
        weighted = kw.get("weights") is not None
        path = kw.get("path") or _path(node)
        self.nodes.append(Node(name, (x.name,), tuple(layers), path=path, weighted=weighted))
        if weighted:
            self.held[path] = (kw["weights"], f"ONNX {node.op_type}")
        return _Tensor(name, rank)

    def _build(self, node: Any, make: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return make(*args, **kwargs)
        except SymconvError as error:
            raise self._refuse(node, str(error)) from None

    def _unique_path(self, node: Any) -> str:
        path = _path(node)
        return path if path not in self.held else str(node.output[0])

    @staticmethod
    def _attributes(node: Any, onnx: Any) -> dict[str, Any]:
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    # ----------------------------------------------------------------- reading

    def read(self, graph: Any, source: str) -> str:
        self.source = source
        self.values[source] = _Tensor(source, self.rank)
        for node in graph.node:
            attributes = self._attributes(node, self.onnx)
            inputs = [str(name) for name in node.input]
            if node.op_type == "Constant":
                self.constants[node.output[0]] = self._constant_attribute(node, attributes)
                continue
            if not any(self._is_tensor(name) for name in inputs):
                self._shape_arithmetic(node, inputs, attributes)
                continue
            handler = getattr(self, f"_op_{node.op_type}", None)
            if handler is None:
                if node.op_type in _ELEMENTWISE:
                    handler = self._elementwise
                else:
                    raise self._refuse(node, "symconv's stack has no such layer")
            result = handler(node, inputs, attributes)
            self.values[str(node.output[0])] = result
            for extra in node.output[1:]:
                self.values.setdefault(str(extra), _Unused())
        outputs = [str(output.name) for output in graph.output]
        if len(outputs) != 1:
            raise SymconvError(f"the model has {len(outputs)} outputs; a stack has one")
        value = self.values.get(outputs[0])
        if not isinstance(value, _Tensor | _Part) or (
            isinstance(value, _Tensor) and value.shuffle is not None
        ):
            raise SymconvError(f"the model's output {outputs[0]} is no layer's output")
        if isinstance(value, _Part):
            return self._tensor(graph.node[-1], outputs[0]).name
        return value.name

    def _constant_attribute(self, node: Any, attributes: dict[str, Any]) -> Any:
        numpy = self.numpy
        if "value" in attributes:
            return self.onnx.numpy_helper.to_array(attributes["value"])
        for key in ("value_int", "value_float"):
            if key in attributes:
                return numpy.array(attributes[key])
        for key in ("value_ints", "value_floats"):
            if key in attributes:
                return numpy.array(list(attributes[key]))
        raise self._refuse(node, f"a constant given as {sorted(attributes)}")

    def _shape_arithmetic(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> None:
        """Constants and run-time sizes that feed a ``Reshape``, computed as far as they go."""
        if node.op_type not in _SHAPE_OPS:
            raise self._refuse(node, "symconv's stack has no such layer")
        values = [self._known(name) if name else None for name in inputs]
        sizes = [self.values.get(name) for name in inputs]
        output = str(node.output[0])
        if all(v is not None or not name for v, name in zip(values, inputs, strict=True)):
            try:
                self.constants[output] = self._evaluate(node, values, attributes)
                return
            except (ValueError, TypeError, IndexError):
                pass
        self.values[output] = self._sizes(node, values, sizes, attributes)

    def _evaluate(self, node: Any, values: list[Any], attributes: dict[str, Any]) -> Any:
        numpy, op = self.numpy, node.op_type
        if op in ("Add", "Sub", "Mul", "Div", "Max", "Min", "Equal"):
            functions = {
                "Add": numpy.add, "Sub": numpy.subtract, "Mul": numpy.multiply,
                "Div": numpy.floor_divide if values[0].dtype.kind in "iu" else numpy.divide,
                "Max": numpy.maximum, "Min": numpy.minimum, "Equal": numpy.equal,
            }  # fmt: skip
            return functions[op](values[0], values[1])
        if op in ("Cast", "Identity", "Floor", "Ceil"):
            return {"Floor": numpy.floor, "Ceil": numpy.ceil}.get(op, numpy.asarray)(values[0])
        if op == "Unsqueeze":
            axes = attributes.get("axes", values[1] if len(values) > 1 else None)
            if axes is None:
                raise ValueError(op)
            return numpy.expand_dims(values[0], tuple(int(a) for a in axes))
        if op == "Squeeze":
            axes = attributes.get("axes", values[1] if len(values) > 1 else None)
            if axes is None:
                return numpy.squeeze(values[0])
            return numpy.squeeze(values[0], tuple(int(a) for a in axes))
        if op == "Concat":
            return numpy.concatenate([numpy.atleast_1d(v) for v in values], attributes["axis"])
        if op == "Gather":
            return numpy.take(values[0], values[1], axis=attributes.get("axis", 0))
        if op == "Reshape":
            return numpy.reshape(values[0], values[1])
        raise ValueError(op)

    def _sizes(
        self, node: Any, values: list[Any], sizes: list[Any], attributes: dict[str, Any]
    ) -> _Sizes:
        op = node.op_type
        first = sizes[0] if isinstance(sizes[0], _Sizes) else None
        if op == "Gather" and values[1] is not None and self.numpy.ndim(values[1]) == 0:
            known = first.items if first is not None else None
            index = int(values[1])
            if known is not None and -len(known) <= index < len(known):
                return _Sizes((known[index],), scalar=True)
            return _Sizes((None,), scalar=True)
        if op == "Gather" and values[1] is not None and self.numpy.ndim(values[1]) == 1:
            # some sizes by a list of indices (chunk's channels, exported with named sizes)
            known = first.items if first is not None else None
            indices = [int(i) for i in values[1]]
            if known is not None and all(-len(known) <= i < len(known) for i in indices):
                return _Sizes(tuple(known[i] for i in indices))
            return _Sizes((None,) * len(indices))
        if op == "Unsqueeze" and first is not None and first.scalar:
            return _Sizes(first.items)
        if op in ("Cast", "Identity") and first is not None:
            return first
        if op == "Concat":
            items: list[int | None] = []
            for value, size in zip(values, sizes, strict=True):
                if value is not None:
                    items.extend(int(v) for v in self.numpy.atleast_1d(value))
                elif isinstance(size, _Sizes) and size.items is not None and not size.scalar:
                    items.extend(size.items)
                else:
                    return _Sizes(None)
            return _Sizes(tuple(items))
        scalar = all(
            (isinstance(s, _Sizes) and s.scalar) or (v is not None and self.numpy.ndim(v) == 0)
            for v, s in zip(values, sizes, strict=True)
        )
        return _Sizes((None,) if scalar else None, scalar=scalar)

    # ----------------------------------------------------------------- layers

    def _spatial(self, node: Any, x: _Tensor, kernel: list[int]) -> None:
        if len(kernel) != x.rank - 2:
            raise self._refuse(
                node, f"a kernel over {len(kernel)} axes on an input with {x.rank - 2} "
                "spatial axes",
            )  # fmt: skip

    def _padding(self, node: Any, attributes: dict[str, Any], spatial: int) -> Any:
        auto = attributes.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        if auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
            if auto == "SAME_LOWER":
                raise self._refuse(node, "auto_pad SAME_LOWER puts the extra zero first")
            return "same" if auto == "SAME_UPPER" else "valid"
        pads = [int(p) for p in attributes.get("pads", [0] * (2 * spatial))]
        before, after = pads[:spatial], pads[spatial:]
        if before == after:
            return per_axis(before)
        return tuple(zip(before, after, strict=True))

    def _weights(self, inputs: list[str], positions: tuple[int, ...]) -> int:
        return sum(
            math.prod(self.initializers[inputs[i]].dims)
            if inputs[i] in self.initializers
            else int(self.constants[inputs[i]].size)
            for i in positions
            if i < len(inputs) and inputs[i]
        )

    def _op_Conv(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        shape = self._dims(node, inputs[1], "weight")
        kernel = list(attributes.get("kernel_shape", shape[2:]))
        self._spatial(node, x, kernel)
        spatial = len(kernel)
        bias = len(inputs) > 2 and bool(inputs[2])
        path = self._unique_path(node)
        layer = self._build(node, stack.conv, per_axis(kernel), out_channels=shape[0],
            stride=per_axis(attributes.get("strides", [1] * spatial)),
            padding=self._padding(node, attributes, spatial),
            dilation=per_axis(attributes.get("dilations", [1] * spatial)),
            groups=int(attributes.get("group", 1)), bias=bias, path=path,
        )  # fmt: skip
        weights = self._weights(inputs, (1, 2))
        return self._layers(node, x, [layer], x.rank, weights=weights, path=path)

    def _op_ConvTranspose(
        self, node: Any, inputs: list[str], attributes: dict[str, Any]
    ) -> _Tensor:
        x = self._tensor(node, inputs[0])
        shape = self._dims(node, inputs[1], "weight")
        kernel = list(attributes.get("kernel_shape", shape[2:]))
        self._spatial(node, x, kernel)
        spatial = len(kernel)
        if "output_shape" in attributes:
            raise self._refuse(node, "an output_shape attribute; give pads and output_padding")
        groups = int(attributes.get("group", 1))
        path = self._unique_path(node)
        layer = self._build(node, stack.conv_transpose, per_axis(kernel),
            out_channels=shape[1] * groups,
            stride=per_axis(attributes.get("strides", [1] * spatial)),
            padding=self._padding(node, attributes, spatial),
            output_padding=per_axis(attributes.get("output_padding", [0] * spatial)),
            dilation=per_axis(attributes.get("dilations", [1] * spatial)),
            groups=groups, bias=len(inputs) > 2 and bool(inputs[2]), path=path,
        )  # fmt: skip
        weights = self._weights(inputs, (1, 2))
        return self._layers(node, x, [layer], x.rank, weights=weights, path=path)

    def _pool(self, node: Any, inputs: list[str], attributes: dict[str, Any], mode: str) -> _Tensor:
        x = self._tensor(node, inputs[0])
        if len(node.output) > 1 and node.output[1]:
            raise self._refuse(node, "it returns indices too")
        kernel = list(attributes["kernel_shape"])
        self._spatial(node, x, kernel)
        spatial = len(kernel)
        layer = self._build(node, stack.pool, per_axis(kernel),
            stride=per_axis(attributes.get("strides", [1] * spatial)),
            padding=self._padding(node, attributes, spatial),
            dilation=per_axis(attributes.get("dilations", [1] * spatial)),
            mode=mode, ceil_mode=bool(attributes.get("ceil_mode", 0)), path=_path(node),
        )  # fmt: skip
        return self._layers(node, x, [layer], x.rank)

    def _op_MaxPool(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        return self._pool(node, inputs, attributes, "max")

    def _op_AveragePool(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        return self._pool(node, inputs, attributes, "avg")

    def _global(self, node: Any, inputs: list[str], mode: str) -> _Tensor:
        x = self._tensor(node, inputs[0])
        layer = self._build(node, stack.adaptive_pool, 1, mode=mode, path=_path(node))
        return self._layers(node, x, [layer], x.rank)

    def _op_GlobalAveragePool(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        return self._global(node, inputs, "avg")

    def _op_GlobalMaxPool(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        return self._global(node, inputs, "max")

    def _op_BatchNormalization(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        path = self._unique_path(node)
        layer = stack.batchnorm(path=path)
        return self._layers(node, x, [layer], x.rank, weights=self._weights(inputs, (1, 2)),
            path=path)  # fmt: skip

    def _op_InstanceNormalization(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        path = self._unique_path(node)
        # PyTorch's instance norm without affine exports constant ones and zeros
        affine = all(name in self.initializers for name in inputs[1:3])
        layer = stack.instancenorm(affine=affine, path=path)
        weights = self._weights(inputs, (1, 2)) if affine else None
        return self._layers(node, x, [layer], x.rank, weights=weights, path=path)

    def _op_LayerNormalization(
        self, node: Any, inputs: list[str], attributes: dict[str, Any]
    ) -> _Tensor:
        x = self._tensor(node, inputs[0])
        axis = int(attributes.get("axis", -1)) % x.rank
        if axis == 0:
            raise self._refuse(node, "it normalises over the batch axis too")
        path = self._unique_path(node)
        bias = len(inputs) > 2 and bool(inputs[2])
        layer = self._build(node, stack.layernorm, None if axis == 1 else x.rank - axis,
            bias=bias, path=path)  # fmt: skip
        weights = self._weights(inputs, (1, 2))
        return self._layers(node, x, [layer], x.rank, weights=weights, path=path)

    def _op_PRelu(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        path = self._unique_path(node)
        if inputs[1] not in self.initializers and self.constant(inputs[1]) is None:
            raise self._refuse(node, "its slopes are computed, not stored")
        count = self._weights(inputs, (1,))
        layer = self._build(node, stack.prelu, count, path=path)
        return self._layers(node, x, [layer], x.rank, weights=count, path=path)

    def _op_Resize(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        text = {
            key: (value.decode() if isinstance(value, bytes) else str(value))
            for key, value in attributes.items()
            if key in ("mode", "coordinate_transformation_mode", "nearest_mode")
        }
        mode = text.get("mode", "nearest")
        how = text.get("coordinate_transformation_mode", "half_pixel")
        if mode == "nearest" and how == "asymmetric" and text.get("nearest_mode") == "floor":
            chosen, corners = "nearest", False
        elif mode == "linear" and how in ("half_pixel", "pytorch_half_pixel", "align_corners"):
            chosen = {1: "linear", 2: "bilinear", 3: "trilinear"}.get(x.rank - 2, "linear")
            corners = how == "align_corners"
        else:
            raise self._refuse(
                node, f"mode {mode!r} with coordinates {how!r}; a stack reads PyTorch's "
                "nearest (asymmetric, floor) and linear (half_pixel, align_corners) modes",
            )  # fmt: skip
        if attributes.get("antialias") or attributes.get("axes") is not None:
            raise self._refuse(node, "antialias or axes")
        scales = self._known(inputs[2]) if len(inputs) > 2 and inputs[2] else None
        sizes = self._known(inputs[3]) if len(inputs) > 3 and inputs[3] else None
        if scales is not None and scales.size:
            factors = [float(v) for v in scales.ravel()]
            if factors[:2] != [1.0, 1.0]:
                raise self._refuse(node, f"scales {factors} change the batch or channels")
            options: dict[str, Any] = {"scale_factor": per_axis(_nice(factors[2:]))}
        elif sizes is not None and sizes.size:
            options = {"size": per_axis([int(v) for v in sizes.ravel()[2:]])}
        else:
            raise self._refuse(node, "scales or sizes computed at run time")
        layer = self._build(node, stack.upsample, mode=chosen, align_corners=corners,
            path=_path(node), **options)  # fmt: skip
        return self._layers(node, x, [layer], x.rank)

    def _op_Upsample(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        """The operator ``Resize`` replaced (opsets 7 to 9): scales, nearest or linear."""
        mode = attributes.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        resize = {"mode": mode, "nearest_mode": "floor"}
        resize["coordinate_transformation_mode"] = (
            "asymmetric" if mode == "nearest" else "half_pixel"
        )
        if "scales" in attributes:
            self.constants[f"{node.output[0]}/scales"] = self.numpy.array(attributes["scales"])
            inputs = [inputs[0], "", f"{node.output[0]}/scales"]
        else:
            inputs = [inputs[0], "", inputs[1]]
        return self._op_Resize(node, inputs, resize)

    def _elementwise(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        path = _path(node)
        name = str(node.op_type).lower()
        layer = stack.relu(path=path) if name == "relu" else stack.activation(name, path=path)
        return self._layers(node, x, [layer], x.rank)

    def _pass(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0], shuffling=True)
        if x.shuffle is not None:
            return x
        return self._layers(node, x, [], x.rank)

    _op_Identity = _pass
    _op_Dropout = _pass
    _op_Cast = _pass

    def _arithmetic(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        tensors = [name for name in inputs if self._is_tensor(name)]
        if len(tensors) == 2 and node.op_type == "Mul":
            first, second = (self._tensor(node, name) for name in tensors)
            if first.rank != second.rank:
                raise self._refuse(
                    node, f"it multiplies tensors of {first.rank} and {second.rank} axes"
                )
            name = str(node.output[0])
            self.nodes.append(
                Node(name, (first.name, second.name), join="multiply", path=_scope(node))
            )
            return _Tensor(name, first.rank)
        if len(tensors) == 2 and node.op_type in ("Add", "Sum"):
            self._check_initializers(node, inputs)
            first, second = (self._tensor(node, name) for name in tensors)
            if first.rank != second.rank:
                raise self._refuse(node, f"it adds tensors of {first.rank} and {second.rank} axes")
            name = str(node.output[0])
            self.nodes.append(Node(name, (first.name, second.name), join="add", path=_scope(node)))
            return _Tensor(name, first.rank)
        if len(tensors) > 1:
            raise self._refuse(
                node, "it combines tensors elementwise; a stack joins branches by addition "
                "(a residual), concatenation or multiplying a value by scales computed from "
                "it (a gate)",
            )  # fmt: skip
        x = self._tensor(node, tensors[0])
        if node.op_type == "Add" and x.name in self.dense:
            return self._dense_bias(node, x, [name for name in inputs if name != tensors[0]])
        self._check_initializers(node, inputs)
        layer = stack.activation(str(node.op_type).lower(), path=_path(node))
        return self._layers(node, x, [layer], x.rank)

    def _check_initializers(self, node: Any, inputs: list[str]) -> None:
        """Refuses arithmetic with an initializer that is no layer's bias (a layer scale,
        a positional embedding): no stack layer holds its weights. The exporter writes
        numbers (``x * 0.5``) as ``Constant`` nodes, parameters as initializers."""
        for name in inputs:
            if name in self.initializers:
                dims = tuple(int(d) for d in self.initializers[name].dims)
                shape = " x ".join(str(d) for d in dims) or "()"
                raise SymconvError(
                    f"layer {name} (an initializer of shape {shape} used by {_path(node)}, "
                    f"ONNX {node.op_type}) cannot be read: symconv counts the parameters of "
                    "the layers it reads, and a stack has no layer holding a parameter used "
                    f"directly; its {math.prod(dims)} weights would count for nothing"
                )

    _op_Add = _arithmetic
    _op_Sub = _arithmetic
    _op_Mul = _arithmetic
    _op_Div = _arithmetic
    _op_Pow = _arithmetic
    _op_Sum = _arithmetic

    def _dense_bias(self, node: Any, x: _Tensor, constants: list[str]) -> _Tensor:
        """``MatMul`` then ``Add`` of a constant: one dense layer with a bias."""
        index = self.dense.pop(x.name)
        dense = self.nodes[index]
        layer = dense.layers[0]
        bias = self._weights(constants, (0,))
        if bias != layer.out_features:
            raise self._refuse(node, f"a bias of {bias} values after {layer.out_features} outputs")
        path = dense.path or _path(node)
        with_bias = stack.dense(layer.out_features, bias=True, path=path)
        self.nodes[index] = Node(dense.name, dense.inputs, (with_bias,), path=path, weighted=True)
        count, kind = self.held[path]
        self.held[path] = (count + bias, kind)
        return x

    def _dense_input(self, node: Any, x: _Tensor) -> None:
        if x.rank != 2:
            raise self._refuse(
                node, f"a product over the last of {x.rank} axes; a stack's dense layer "
                "reads a flat input (flatten first)",
            )  # fmt: skip

    def _op_Gemm(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        self._dense_input(node, x)
        if attributes.get("transA", 0):
            raise self._refuse(node, "transA=1: the input is read transposed")
        shape = self._dims(node, inputs[1], "weight")
        out = shape[0] if attributes.get("transB", 0) else shape[1]
        path = self._unique_path(node)
        self.features[path] = shape[1] if attributes.get("transB", 0) else shape[0]
        bias = len(inputs) > 2 and bool(inputs[2])
        layer = stack.dense(out, bias=bias, path=path)
        weights = math.prod(shape) + (out if bias else 0)
        return self._layers(node, x, [layer], 2, weights=weights, path=path)

    def _op_MatMul(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        self._dense_input(node, x)
        shape = self._dims(node, inputs[1], "weight")
        if len(shape) != 2:
            raise self._refuse(node, f"a weight of shape {shape}, not a matrix")
        path = self._unique_path(node)
        self.features[path] = shape[0]
        layer = stack.dense(shape[1], path=path)
        result = self._layers(node, x, [layer], 2, weights=math.prod(shape), path=path)
        self.dense[result.name] = len(self.nodes) - 1
        return result

    def _op_Flatten(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        if attributes.get("axis", 1) != 1:
            raise self._refuse(node, f"axis={attributes['axis']}; a stack flattens from axis 1")
        return self._flatten(node, x)

    def _flatten(self, node: Any, x: _Tensor) -> _Tensor:
        layers = [] if x.rank == 2 else [stack.flatten(path=_path(node))]
        return self._layers(node, x, layers, 2)

    def _op_Concat(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        parts = [self._tensor(node, name) for name in inputs]
        if attributes.get("axis") not in (1, 1 - parts[0].rank):
            raise self._refuse(
                node, f"axis={attributes.get('axis')}; a stack concatenates channels"
            )
        name = str(node.output[0])
        self.nodes.append(
            Node(name, tuple(p.name for p in parts), join="concat", path=_scope(node))
        )
        return _Tensor(name, parts[0].rank)

    def _op_Split(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> Any:
        x = self._tensor(node, inputs[0])
        if attributes.get("axis", 0) not in (1, 1 - x.rank):
            raise self._refuse(node, f"axis={attributes.get('axis', 0)}; a stack splits channels")
        sections = attributes.get("split")
        if sections is None and len(inputs) > 1 and inputs[1]:
            sections = self.constant(inputs[1])
        parts = len(node.output)
        if sections is not None and len({int(s) for s in sections}) != 1:
            raise self._refuse(node, f"unequal parts {list(sections)}; a stack splits evenly")
        path = _path(node)
        for number, output in enumerate(node.output):
            self.values[str(output)] = _Part(x, parts, f"{path}.{number}", str(output))
        return self.values[str(node.output[0])]

    def _op_Shape(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Sizes:
        x = self._tensor(node, inputs[0], shuffling=True)
        known = self.shapes.get(inputs[0])
        items = tuple(known) if known is not None and len(known) == x.rank else (None,) * x.rank
        if x.shuffle is None and x.rank > 1 and items[1] is None:
            # shape inference lost the channels: count them from the layers before
            with contextlib.suppress(SymconvError):
                items = (items[0], self._channels(node, x), *items[2:])
        start, end = attributes.get("start", 0), attributes.get("end", len(items))
        return _Sizes(items[start:end])

    def _op_Size(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Sizes:
        self._tensor(node, inputs[0], shuffling=True)
        return _Sizes((None,), scalar=True)

    def _op_Slice(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> Any:
        """A slice of the channels that is one of equal parts: ``chunk`` as exported."""
        x = self._tensor(node, inputs[0])
        bounds = [self._known(name) if name else None for name in inputs[1:5]]
        names = ("starts", "ends", "axes", "steps")
        found = {key: attributes.get(key, value) for key, value in zip(names, bounds, strict=False)}
        starts, ends = found.get("starts"), found.get("ends")
        axes = found.get("axes")
        axes = [1] if axes is None and x.rank == 1 else axes
        steps = found.get("steps")
        if (
            axes is None or [int(a) % x.rank for a in axes] != [1]
            or (steps is not None and [int(v) for v in steps] != [1])
        ):  # fmt: skip
            raise self._refuse(
                node, "a slice other than one of equal parts of the channels (a crop); a "
                "stack has no such layer",
            )  # fmt: skip
        if starts is None or ends is None:
            raise self._refuse(
                node, "a slice of the channels whose bounds are computed at run time from "
                "sizes unknown here; export the model with fixed sizes",
            )  # fmt: skip
        known = self.shapes.get(inputs[0])
        channels = known[1] if known is not None and len(known) == x.rank else None
        if channels is None:  # shape inference lost it: count it from the layers before
            channels = self._channels(node, x)
        start = int(starts[0]) + (channels if int(starts[0]) < 0 else 0)
        end = min(int(ends[0]) + (channels if int(ends[0]) < 0 else 0), channels)
        size = end - start
        if size <= 0 or channels % size or start % size:
            raise self._refuse(
                node, f"channels {start} to {end} of {channels}, not one of equal parts"
            )
        part = _Part(x, channels // size, f"{_path(node)}.{start // size}", str(node.output[0]))
        self.values[str(node.output[0])] = part
        return part

    def _channels(self, node: Any, x: _Tensor) -> int:
        """The channels of ``x`` as the stack read so far up to it gives them."""
        nodes = [replace(earlier, weighted=False) for earlier in self.nodes]
        try:
            channels = stack.Stack(self.input_shape, nest(self.source, nodes, x.name)).output_shape[
                0
            ]
        except SymconvError as error:
            raise self._refuse(
                node, f"channel count unknown after shape inference, and the layers before "
                f"it cannot count it: {error}",
            ) from None  # fmt: skip
        if not getattr(channels, "is_Integer", False) and not isinstance(channels, int):
            raise self._refuse(node, f"channel count {channels}, not a number")
        return int(channels)

    def _op_Reshape(self, node: Any, inputs: list[str], _: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0], shuffling=True)
        constant = self.constant(inputs[1])
        sizes = self.values.get(inputs[1])
        if constant is not None:
            target: list[int | None] = [int(v) for v in constant.ravel()]
        elif isinstance(sizes, _Sizes) and sizes.items is not None:
            target = list(sizes.items)
        else:
            raise self._refuse(node, "a reshape to a shape computed at run time")
        step = read_view(x.rank, x.shuffle, target)
        if step is None:
            raise self._refuse(
                node, f"a reshape to {len(target)} axes (from {x.rank}); a stack reads a "
                "reshape that flattens to (N, features) or the three steps of a channel shuffle",
            )  # fmt: skip
        action, groups = step
        if action == "group":
            return _Tensor(x.name, x.rank + 1, ("grouped", groups))
        if action == "shuffle":
            layer = self._build(node, stack.channel_shuffle, groups, path=_path(node))
            return self._layers(node, x, [layer], x.rank - 1)
        if action == "flatten":
            return self._flatten(node, x)
        return self._layers(node, x, [], x.rank)

    def _op_Transpose(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0], shuffling=True)
        order = [int(a) for a in attributes.get("perm", reversed(range(x.rank)))]
        if swaps_groups(x.rank, x.shuffle, order):
            return _Tensor(x.name, x.rank, ("swapped", x.shuffle[1] if x.shuffle else 0))
        raise self._refuse(node, f"it permutes the axes to {order}; a stack keeps its axes")

    def _op_ReduceMean(self, node: Any, inputs: list[str], attributes: dict[str, Any]) -> _Tensor:
        x = self._tensor(node, inputs[0])
        axes = attributes.get("axes")
        if axes is None and len(inputs) > 1 and inputs[1]:
            axes = self.constant(inputs[1])
        axes = sorted(int(a) % x.rank for a in (axes if axes is not None else []))
        if axes != list(range(2, x.rank)):
            raise self._refuse(
                node, f"a mean over axes {axes}; a stack averages over all spatial axes "
                f"({list(range(2, x.rank))}), as adaptive pooling to 1",
            )  # fmt: skip
        path = _path(node)
        layers = [self._build(node, stack.adaptive_pool, 1, mode="avg", path=path)]
        keep = bool(attributes.get("keepdims", 1))
        if not keep:
            layers.append(stack.flatten(path=path))
        return self._layers(node, x, layers, x.rank if keep else 2)


def _nice(factors: list[float]) -> list[Any]:
    """Scale factors stored as float32, as the whole numbers or short decimals they were.

    >>> _nice([2.0, 1.5, 0.30000001192092896])
    [2, 1.5, 0.3]
    """
    nice: list[Any] = []
    for factor in factors:
        short = float(f"{factor:.7g}")
        nice.append(int(short) if short.is_integer() else short)
    return nice


def _inferred_shapes(onnx: Any, model: Any) -> dict[str, tuple[int | None, ...]]:
    """Each tensor's sizes as ONNX's shape inference gives them (``None`` where unknown)."""
    try:
        graph = onnx.shape_inference.infer_shapes(model, data_prop=True).graph
    except Exception:  # a model shape inference cannot follow still reads, with fewer sizes known
        return {}
    shapes = {}
    for value in (*graph.value_info, *graph.input, *graph.output):
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = tuple(
            int(dim.dim_value) if dim.HasField("dim_value") else None for dim in dims
        )
    return shapes


def _input_shape(graph: Any, source: Any) -> tuple[Any, ...]:
    """The input's shape from the graph, without the batch axis; named sizes become
    positive integer symbols."""
    dims = source.type.tensor_type.shape.dim
    if len(dims) < 2:
        raise SymconvError(
            f"the model's input {source.name} has no shape of (N, C, *spatial) in the file; "
            "give input_shape"
        )
    shape: list[Any] = []
    for number, dim in enumerate(dims[1:], start=1):
        if dim.HasField("dim_value"):
            shape.append(int(dim.dim_value))
        elif dim.HasField("dim_param"):
            shape.append(Symbol(dim.dim_param, positive=True, integer=True))
        else:
            raise SymconvError(
                f"the model's input {source.name} has no size on axis {number}; give input_shape"
            )
    return tuple(shape)


def from_onnx(path_or_model: Any, input_shape: tuple[Any, ...] | None = None) -> stack.Stack:
    """The :class:`~symconv.stack.Stack` of an ONNX model (a file's path or an ``onnx.ModelProto``).

    ``input_shape`` is ``(C, H, W)`` without the batch axis; it defaults to the
    shape the model's input declares (a named size becomes a SymPy symbol).
    Weights count the initializers the layers use: a batch norm's scale and
    shift, not its running statistics.

    Raises:
        SymconvError: A node cannot be read (named with its operator), the graph
            does not nest into blocks, or the input does not fit the network.
        ModuleNotFoundError: The onnx package is not installed.
    """
    onnx = _import("onnx", "onnx")
    numpy = _import("numpy", "onnx")
    if isinstance(path_or_model, onnx.ModelProto):
        model = path_or_model
    elif isinstance(path_or_model, str | Path):
        try:
            model = onnx.load(str(path_or_model))
        except Exception as error:  # OSError, or protobuf's DecodeError (its module varies)
            raise SymconvError(f"{path_or_model}: cannot be read as ONNX: {error}") from None
    else:
        raise SymconvError(
            f"from_onnx reads a file's path or an onnx.ModelProto, got {type(path_or_model)}"
        )
    graph = model.graph
    initializers = {init.name for init in graph.initializer}
    sources = [value for value in graph.input if value.name not in initializers]
    if len(sources) != 1:
        raise SymconvError(f"the model takes {len(sources)} inputs; a stack reads one")
    shape = _input_shape(graph, sources[0]) if input_shape is None else input_shape
    if not isinstance(shape, tuple) or not shape:
        raise SymconvError(f"input_shape must be a tuple (channels, *spatial sizes), got {shape!r}")
    reader = _Reader(onnx, numpy, graph, shape, _inferred_shapes(onnx, model))
    output = reader.read(graph, str(sources[0].name))
    result = stack.Stack(shape, nest(str(sources[0].name), reader.nodes, output))
    check_weights(result, reader.held, reader.features)
    return result
