"""A PyTorch module read as a :class:`~symconv.stack.Stack`, by ``torch.fx`` tracing.

:func:`from_torch` traces the module's ``forward`` symbolically (no data runs
through it), reads each node of the traced graph as stack layers or as a join
(an addition, a concatenation), and folds the graph into nested residual and
concat blocks (:mod:`symconv.network.dataflow`). Every row keeps the module's
qualified name as its path (``"layer1.0.conv2"``).

What it reads: convolutions (1-D to 3-D, groups, dilation, ``"same"`` and
``"valid"``, circular padding), transposed convolutions, max and average
pooling (``ceil_mode`` too), adaptive pooling, upsampling (``nn.Upsample``,
``F.interpolate`` by a scale or to a size), batch, group, instance and layer
norm, every elementwise activation (``PReLU`` with its slopes), dropout and
identity (nothing), ``Linear``, flattening (also by ``view`` or ``reshape``
to two axes), ``torch.cat`` on channels, additions, a value multiplied by
scales computed from it (squeeze and excitation: a gate), ``chunk`` on
channels and ``split`` into equal parts (by a size or equal sections), the
``view``/``transpose``/``view`` of a channel shuffle, and a mean over the
spatial axes (adaptive pooling to 1). Anything else is an error naming the
layer and its type, never a silent zero.

Parameters of modules that ``forward`` never calls are not counted: the stack
counts what the output is computed from. A parameter ``forward`` uses directly
(a layer scale, a positional embedding) and an in-place op whose result
nothing reads are refused, as is a dense layer reading a number of features
that depends on symbolic input sizes (the network takes one size only).

PyTorch is an optional dependency (``pip install symconv[torch]``); it is
imported when :func:`from_torch` is called.
"""

from __future__ import annotations

import importlib
import inspect
import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

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

__all__ = ["from_torch"]


@dataclass(frozen=True)
class _Tensor:
    """A tensor of the graph: the dataflow node that computes it, its number of axes,
    and how far a channel shuffle written as views has come (see ``read_view``)."""

    name: str
    rank: int
    shuffle: Shuffle | None = None


@dataclass(frozen=True)
class _Chunks:
    """The parts of a tensor split into equal channel groups (before one is taken)."""

    tensor: _Tensor
    parts: int
    path: str


class _Sizes:
    """A size or shape read from a tensor (``x.size()``, ``x.shape``) and arithmetic on it."""


class _Other:
    """A value the graph holds that is no tensor: a parameter or buffer read directly
    (``shape`` is a parameter's shape, ``None`` for a buffer)."""

    def __init__(self, what: str, shape: tuple[int, ...] | None = None) -> None:
        self.what = what
        self.shape = shape


def _import_torch() -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ModuleNotFoundError(
            "reading a PyTorch module needs PyTorch: pip install symconv[torch]"
        ) from None


#: Elementwise functions and tensor methods, by name: shape kept, no weights.
_ELEMENTWISE = frozenset(
    {
        "relu",
        "relu6",
        "silu",
        "gelu",
        "hardswish",
        "hardsigmoid",
        "sigmoid",
        "tanh",
        "leaky_relu",
        "elu",
        "selu",
        "celu",
        "mish",
        "softplus",
        "hardtanh",
        "softsign",
        "tanhshrink",
        "logsigmoid",
        "softmax",
        "log_softmax",
        "rrelu",
        "hardshrink",
        "softshrink",
        "threshold",
        "exp",
        "abs",
        "neg",
    }
)
#: Functions and methods that pass a tensor on unchanged (in shape and weights).
_PASS_THROUGH = frozenset(
    {
        "dropout",
        "dropout1d",
        "dropout2d",
        "dropout3d",
        "alpha_dropout",
        "feature_alpha_dropout",
        "contiguous",
        "clone",
        "detach",
        "identity",
    }
)
#: Arithmetic with a number: elementwise, shape kept.
_ARITHMETIC = {
    operator.add: "add",
    operator.iadd: "add",
    operator.sub: "sub",
    operator.isub: "sub",
    operator.mul: "mul",
    operator.imul: "mul",
    operator.truediv: "div",
    operator.itruediv: "div",
    operator.floordiv: "floordiv",
    operator.pow: "pow",
    operator.neg: "neg",
}


#: The operators of ``x += y`` and its kin, which change ``x`` in place.
_IN_PLACE_OPERATORS = frozenset(
    {operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ifloordiv}
)
_IN_PLACE_METHODS = frozenset({"__iadd__", "__isub__", "__imul__", "__itruediv__"})


def _type_name(torch: Any, module: Any) -> str:
    """``torch.nn.LSTM`` for PyTorch's own modules, the qualified class name otherwise."""
    kind = type(module)
    if getattr(torch.nn, kind.__name__, None) is kind:
        return f"torch.nn.{kind.__name__}"
    return f"{kind.__module__}.{kind.__qualname__}"


def _function_name(target: Any) -> str:
    if isinstance(target, str):
        return f"Tensor.{target}"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional"}.get(module, module)
    return f"{module}.{name}" if module else name


class _Reader:
    """Reads a traced graph node by node into dataflow :class:`Node` objects."""

    def __init__(self, torch: Any, root: Any, input_shape: tuple[Any, ...]) -> None:
        self.torch = torch
        self.root = root
        self.input_shape = input_shape
        self.input_rank = len(input_shape) + 1
        self.modules: dict[str, Any] = dict(root.named_modules())
        self.values: dict[Any, Any] = {}
        self.nodes: list[Node] = []
        self.source: str | None = None
        self.output: str | None = None
        self.calls: Counter[str] = Counter()
        self.functions = self._function_table()

    # ------------------------------------------------------------------ naming

    @staticmethod
    def _enclosing(node: Any) -> str | None:
        stack_meta = node.meta.get("nn_module_stack") or {}
        paths = [entry[0] for entry in stack_meta.values()]
        return str(paths[-1]) if paths else None

    def _path(self, node: Any) -> str:
        if node.op == "call_module":
            return str(node.target)
        base = re.sub(r"_\d+$", "", str(node.name))
        enclosing = self._enclosing(node)
        return f"{enclosing}.{base}" if enclosing else str(node.name)

    def _kind(self, node: Any) -> str:
        if node.op == "call_module":
            return _type_name(self.torch, self.modules[node.target])
        if node.op == "call_method":
            return f"Tensor.{node.target}"
        return _function_name(node.target)

    def _refuse(self, node: Any, reason: str) -> SymconvError:
        return SymconvError(
            f"layer {self._path(node)} ({self._kind(node)}) cannot be read: {reason}"
        )

    # ------------------------------------------------------------------ values

    def _tensor(self, node: Any, arg: Any, *, shuffling: bool = False) -> _Tensor:
        value = self.values.get(arg) if isinstance(arg, self.torch.fx.Node) else None
        if isinstance(value, _Tensor):
            if value.shuffle is not None and not shuffling:
                raise self._refuse(
                    node, "it reads the channels regrouped by a view; a channel shuffle is a "
                    "view to (N, groups, C/groups, ...), transpose(1, 2) and a view back",
                )  # fmt: skip
            return value
        if isinstance(value, _Other):
            raise self._refuse(node, f"it reads {value.what} directly, not a layer's output")
        raise self._refuse(node, f"it needs a tensor where it gets {arg!r}")

    def _is_tensor(self, arg: Any) -> bool:
        return isinstance(arg, self.torch.fx.Node) and isinstance(self.values.get(arg), _Tensor)

    def _layers(self, node: Any, source: _Tensor, layers: Sequence[Any], rank: int) -> _Tensor:
        """A node applying ``layers`` to ``source``; ``rank`` axes come out."""
        weighted = node.op == "call_module" and node.target in self.calls
        self.nodes.append(
            Node(node.name, (source.name,), tuple(layers), path=self._path(node), weighted=weighted)
        )
        return _Tensor(node.name, rank)

    def kind_of(self, path: str) -> str:
        """The type of the module at ``path``, as messages name it."""
        return _type_name(self.torch, self.modules[path])

    def _check_axes(self, node: Any, tensor: _Tensor, spatial: int) -> None:
        if tensor.rank - 2 != spatial:
            raise self._refuse(
                node, f"it works on {spatial} spatial axes, and its input has "
                f"{tensor.rank - 2} (an input of {tensor.rank} axes, batch and channels included)",
            )  # fmt: skip

    @staticmethod
    def _arguments(node: Any, names: str, **defaults: Any) -> dict[str, Any]:
        """Positional and keyword arguments of ``node`` bound to ``names`` (space-separated)."""
        bound = dict(defaults)
        bound.update(zip(names.split(), node.args, strict=False))
        bound.update(node.kwargs)
        return bound

    def _channel_axis(self, node: Any, tensor: _Tensor, dim: Any, what: str) -> None:
        if dim not in (1, 1 - tensor.rank):
            raise self._refuse(node, f"it {what} along axis {dim}; a stack does so on channels (1)")

    def _in_place(self, node: Any) -> bool:
        """Whether ``node`` writes its result into its input (``add_``, ``x += y``,
        ``inplace=True``)."""
        if node.op == "call_module":
            return getattr(self.modules[node.target], "inplace", False) is True
        if node.op == "call_method":
            name = str(node.target)
            return name in _IN_PLACE_METHODS or (name.endswith("_") and not name.startswith("_"))
        if node.op != "call_function":
            return False
        if node.target in _IN_PLACE_OPERATORS or getattr(node.target, "__name__", "").endswith("_"):
            return True
        try:
            bound = inspect.signature(node.target).bind(*node.args, **node.kwargs).arguments
        except (TypeError, ValueError):  # a builtin without a signature, or other arguments
            return node.kwargs.get("inplace") is True
        return bound.get("inplace") is True

    # ----------------------------------------------------------------- reading

    def read(self, graph: Any) -> None:
        for node in graph.nodes:
            if not node.users and node.op != "output" and self._in_place(node):
                raise self._refuse(
                    node, "it changes its input in place and nothing reads its result; a "
                    "stack follows the values a network computes: use the result "
                    "(y = y.add(z), x = F.relu(x)) instead of the change in place",
                )  # fmt: skip
            handler = getattr(self, f"_read_{node.op}")
            self.values[node] = handler(node)

    def _read_placeholder(self, node: Any) -> Any:
        if self.source is not None:
            raise SymconvError(
                f"the network takes more than one input ({node.name}); a stack reads one"
            )
        self.source = node.name
        return _Tensor(node.name, self.input_rank)

    def _read_get_attr(self, node: Any) -> Any:
        try:
            parameter = self.root.get_parameter(str(node.target))
        except AttributeError:
            return _Other(f"the buffer {node.target}")
        return _Other(f"the parameter {node.target}", tuple(parameter.shape))

    def _check_parameters(self, node: Any) -> None:
        """Refuses a node computing with a parameter read directly (a layer scale, a
        positional embedding): no stack layer holds its weights."""
        if node.target in (getattr, "size", "dim"):
            return  # its shape, not its values
        for arg in _flat([*node.args, *node.kwargs.values()]):
            value = self.values.get(arg) if isinstance(arg, self.torch.fx.Node) else None
            if isinstance(value, _Other) and value.shape is not None:
                shape = " x ".join(str(size) for size in value.shape) or "()"
                count = 1
                for size in value.shape:
                    count *= size
                raise SymconvError(
                    f"layer {arg.target} (a parameter of shape {shape} used in forward by "
                    f"{self._path(node)}) cannot be read: symconv counts the parameters of the "
                    f"layers it reads, and a stack has no layer holding a parameter used "
                    f"directly; hold it in a module the stack reads, or count its {count} "
                    "weights apart"
                )

    def _read_output(self, node: Any) -> Any:
        result = node.args[0]
        if not self._is_tensor(result):
            if not isinstance(result, list | tuple | dict):
                raise SymconvError("the network returns no tensor")
            kind = type(result).__name__
            if len(result) == 1:
                raise SymconvError(
                    f"the network returns its output inside a {kind} of one; a stack's "
                    f"output is a tensor: return the tensor itself, not a {kind}"
                )
            raise SymconvError(f"the network returns {len(result)} tensors; a stack has one output")
        self.output = self._tensor(node, result).name
        return None

    def _read_call_module(self, node: Any) -> Any:
        self._check_parameters(node)
        module = self.modules[node.target]
        if any(True for _ in module.parameters()):
            self.calls[node.target] += 1
            if self.calls[node.target] > 1:
                raise self._refuse(
                    node, "it is called more than once, sharing its weights; a stack counts "
                    "each layer's weights once per layer",
                )  # fmt: skip
        return self._module(node, module, self._tensor(node, node.args[0]))

    def _read_call_method(self, node: Any) -> Any:
        self._check_parameters(node)
        return self._call(node, str(node.target))

    def _read_call_function(self, node: Any) -> Any:
        self._check_parameters(node)
        return self._call(node, node.target)

    # ----------------------------------------------------------------- modules

    def _module(self, node: Any, module: Any, x: _Tensor) -> _Tensor:
        nn = self.torch.nn
        path = str(node.target)
        conv_types = nn.modules.conv
        if isinstance(module, conv_types._ConvTransposeNd):
            self._check_axes(node, x, len(module.kernel_size))
            if module.padding_mode != "zeros":
                raise self._refuse(node, f"padding_mode {module.padding_mode!r}")
            layer = self._build(node, stack.conv_transpose, per_axis(module.kernel_size),
                out_channels=module.out_channels, stride=per_axis(module.stride),
                padding=per_axis(module.padding), output_padding=per_axis(module.output_padding),
                dilation=per_axis(module.dilation), groups=module.groups,
                bias=module.bias is not None, path=path,
            )  # fmt: skip
            return self._layers(node, x, [layer], x.rank)
        if isinstance(module, conv_types._ConvNd):
            self._check_axes(node, x, len(module.kernel_size))
            layer = self._build(node, stack.conv, per_axis(module.kernel_size),
                out_channels=module.out_channels, stride=per_axis(module.stride),
                padding=per_axis(module.padding), dilation=per_axis(module.dilation),
                groups=module.groups, bias=module.bias is not None,
                padding_mode=module.padding_mode, path=path,
            )  # fmt: skip
            return self._layers(node, x, [layer], x.rank)
        pooling = nn.modules.pooling
        if isinstance(module, pooling._MaxPoolNd | pooling._AvgPoolNd):
            spatial = int(type(module).__name__[-2])
            self._check_axes(node, x, spatial)
            if getattr(module, "return_indices", False):
                raise self._refuse(node, "it returns indices too")
            maximum = isinstance(module, pooling._MaxPoolNd)
            layer = self._pool(node, module.kernel_size, module.stride, module.padding,
                getattr(module, "dilation", 1), "max" if maximum else "avg",
                module.ceil_mode, path,
            )  # fmt: skip
            return self._layers(node, x, [layer], x.rank)
        if isinstance(module, pooling._AdaptiveMaxPoolNd | pooling._AdaptiveAvgPoolNd):
            self._check_axes(node, x, int(type(module).__name__[-2]))
            if getattr(module, "return_indices", False):
                raise self._refuse(node, "it returns indices too")
            mode = "max" if isinstance(module, pooling._AdaptiveMaxPoolNd) else "avg"
            return self._adaptive(node, x, module.output_size, mode, path)
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            if module.affine:
                return self._layers(node, x, [stack.batchnorm(path=path)], x.rank)
            layer = stack.activation("batch norm without scale and shift", path=path)
            return self._layers(node, x, [layer], x.rank)
        if isinstance(module, nn.GroupNorm):
            layer = self._build(node, stack.groupnorm, module.num_groups, affine=module.affine,
                path=path)  # fmt: skip
            return self._layers(node, x, [layer], x.rank)
        if isinstance(module, nn.modules.instancenorm._InstanceNorm):
            self._check_axes(node, x, int(type(module).__name__[-2]))
            layer = stack.instancenorm(affine=module.affine, path=path)
            return self._layers(node, x, [layer], x.rank)
        if isinstance(module, nn.LayerNorm):
            return self._layernorm(node, x, module, path)
        if isinstance(module, nn.PReLU):
            layer = self._build(node, stack.prelu, module.num_parameters, path=path)
            return self._layers(node, x, [layer], x.rank)
        if isinstance(module, nn.Upsample):
            return self._upsample(node, x, module.size, module.scale_factor, module.mode,
                module.align_corners, module.recompute_scale_factor, path)  # fmt: skip
        if isinstance(module, nn.Linear):
            if x.rank != 2:
                raise self._refuse(
                    node, f"it acts on the last of {x.rank} axes; a stack's dense layer "
                    "reads a flat input (flatten first)",
                )  # fmt: skip
            layer = self._build(node, stack.dense, module.out_features,
                bias=module.bias is not None, path=path)  # fmt: skip
            return self._layers(node, x, [layer], 2)
        if isinstance(module, nn.Flatten):
            return self._flatten(node, x, module.start_dim, module.end_dim)
        if isinstance(module, nn.ChannelShuffle):
            layer = self._build(node, stack.channel_shuffle, module.groups, path=path)
            return self._layers(node, x, [layer], x.rank)
        dropouts = nn.modules.dropout._DropoutNd
        if isinstance(module, dropouts | nn.Identity):
            return self._layers(node, x, [], x.rank)
        if type(module).__module__ == "torch.nn.modules.activation":
            if any(True for _ in module.parameters()):
                raise self._refuse(node, "an activation with weights has no stack layer")
            if type(module).__name__ == "MultiheadAttention":
                raise self._refuse(node, "attention has no stack layer")
            if isinstance(module, nn.ReLU):
                return self._layers(node, x, [stack.relu(path=path)], x.rank)
            name = type(module).__name__.lower()
            return self._layers(node, x, [stack.activation(name, path=path)], x.rank)
        raise self._refuse(node, "symconv's stack has no such layer")

    def _layernorm(self, node: Any, x: _Tensor, module: Any, path: str) -> _Tensor:
        axes = len(module.normalized_shape)
        if axes > x.rank - 1:
            raise self._refuse(
                node, f"it normalises over {axes} axes and its input has {x.rank - 1} "
                "besides the batch",
            )  # fmt: skip
        layer = self._build(node, stack.layernorm, None if axes == x.rank - 1 else axes,
            affine=module.elementwise_affine, bias=getattr(module, "bias", None) is not None,
            path=path,
        )  # fmt: skip
        return self._layers(node, x, [layer], x.rank)

    def _upsample(
        self,
        node: Any,
        x: _Tensor,
        size: Any,
        scale: Any,
        mode: str,
        corners: Any,
        recompute: Any,
        path: str,
    ) -> _Tensor:
        if x.rank < 3:
            raise self._refuse(node, "it upsamples a flat input; a stack upsamples spatial axes")
        if isinstance(size, _Sizes) or (
            isinstance(size, list | tuple) and any(isinstance(v, _Sizes) for v in size)
        ):
            raise self._refuse(
                node, "an output size read from a tensor at run time; a stack upsamples by "
                "a scale_factor or to a fixed size",
            )  # fmt: skip
        if recompute and scale is not None and mode != "nearest":
            raise self._refuse(node, "recompute_scale_factor=True with an interpolating mode")
        layer = self._build(node, stack.upsample, None if scale is None else per_axis(scale),
            size=None if size is None else per_axis(size), mode=mode,
            align_corners=bool(corners), path=path,
        )  # fmt: skip
        return self._layers(node, x, [layer], x.rank)

    def _build(self, node: Any, make: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return make(*args, **kwargs)
        except SymconvError as error:
            raise self._refuse(node, str(error)) from None

    def _pool(
        self,
        node: Any,
        kernel: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        mode: str,
        ceil_mode: bool,
        path: str,
    ) -> Any:
        stride = kernel if stride is None or stride == [] else stride
        return self._build(node, stack.pool, per_axis(kernel), stride=per_axis(stride),
            padding=per_axis(padding), dilation=per_axis(dilation), mode=mode,
            ceil_mode=bool(ceil_mode), path=path,
        )  # fmt: skip

    def _adaptive(self, node: Any, x: _Tensor, size: Any, mode: str, path: str) -> _Tensor:
        if None in (size if isinstance(size, list | tuple) else [size]):
            raise self._refuse(node, "an output size of None (an axis kept as it is)")
        layer = self._build(node, stack.adaptive_pool, per_axis(size), mode=mode, path=path)
        return self._layers(node, x, [layer], x.rank)

    def _flatten(self, node: Any, x: _Tensor, start: int, end: int) -> _Tensor:
        if start != 1 or end not in (-1, x.rank - 1):
            raise self._refuse(
                node, f"it flattens axes {start} to {end}; a stack flattens from the "
                "channels (axis 1) to the last axis",
            )  # fmt: skip
        if x.rank == 2:
            return self._layers(node, x, [], 2)
        return self._layers(node, x, [stack.flatten(path=self._path(node))], 2)

    # --------------------------------------------------- functions and methods

    def _function_table(self) -> dict[Any, Callable[[Any], Any]]:
        torch, functional = self.torch, self.torch.nn.functional
        table: dict[Any, Callable[[Any], Any]] = {}
        for name in ("cat", "concat", "concatenate"):
            if hasattr(torch, name):
                table[getattr(torch, name)] = self._cat
        table[torch.add] = self._add
        table[torch.mul] = self._multiply
        table[torch.multiply] = self._multiply
        for name in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear"):
            table[getattr(functional, name)] = self._interpolate
        table[torch.flatten] = self._flatten_call
        table[torch.reshape] = self._view
        table[torch.transpose] = self._transpose
        table[torch.swapaxes] = self._transpose
        table[torch.permute] = self._permute
        table[torch.chunk] = self._chunk
        table[torch.split] = self._split
        table[torch.mean] = self._mean
        table[operator.getitem] = self._getitem
        table[getattr] = self._getattr
        for ndim in (1, 2, 3):
            table[getattr(functional, f"max_pool{ndim}d")] = self._pool_call
            table[getattr(functional, f"avg_pool{ndim}d")] = self._pool_call
            table[getattr(functional, f"adaptive_avg_pool{ndim}d")] = self._adaptive_call
            table[getattr(functional, f"adaptive_max_pool{ndim}d")] = self._adaptive_call
        for name in _ELEMENTWISE | {f"{name}_" for name in _ELEMENTWISE}:
            for home in (functional, torch):
                if hasattr(home, name):
                    table[getattr(home, name)] = self._elementwise
        for name in _PASS_THROUGH:
            for home in (functional, torch):
                if hasattr(home, name):
                    table[getattr(home, name)] = self._pass_through
        for function in _ARITHMETIC:
            table[function] = self._arithmetic
        return table

    def _call(self, node: Any, target: Any) -> Any:
        handler = self._method(target) if isinstance(target, str) else self.functions.get(target)
        args = [*node.args, *node.kwargs.values()]
        if handler is None:
            if not any(self._is_tensor(arg) for arg in _flat(args)):
                return _Sizes()
            raise self._refuse(node, "symconv's stack has no such layer")
        return handler(node)

    def _method(self, name: str) -> Callable[[Any], Any] | None:
        methods: dict[str, Callable[[Any], Any]] = {
            "add": self._add, "add_": self._add, "__add__": self._add, "__iadd__": self._add,
            "mul": self._multiply, "mul_": self._multiply, "__mul__": self._multiply,
            "__rmul__": self._multiply, "multiply": self._multiply,
            "view": self._view, "reshape": self._view, "flatten": self._flatten_call,
            "transpose": self._transpose, "swapaxes": self._transpose,
            "permute": self._permute, "chunk": self._chunk, "split": self._split,
            "mean": self._mean, "size": self._size, "dim": self._size,
        }  # fmt: skip
        base = name.rstrip("_")
        if name in methods:
            return methods[name]
        if base in _ELEMENTWISE:
            return self._elementwise
        if base in _PASS_THROUGH:
            return self._pass_through
        return None

    def _size(self, node: Any) -> Any:
        self._tensor(node, node.args[0], shuffling=True)
        return _Sizes()

    def _getattr(self, node: Any) -> Any:
        if node.args[1] in ("shape", "ndim"):
            return _Sizes()
        raise self._refuse(node, f"it reads the attribute {node.args[1]!r} of a tensor")

    def _elementwise(self, node: Any) -> _Tensor:
        x = self._tensor(node, node.args[0])
        name = getattr(node.target, "__name__", node.target).rstrip("_")
        path = self._path(node)
        layer = stack.relu(path=path) if name == "relu" else stack.activation(name, path=path)
        return self._layers(node, x, [layer], x.rank)

    def _pass_through(self, node: Any) -> _Tensor:
        x = self._tensor(node, node.args[0], shuffling=node.target == "contiguous")
        if x.shuffle is not None:
            return x
        return self._layers(node, x, [], x.rank)

    def _arithmetic(self, node: Any) -> Any:
        tensors = [arg for arg in node.args if self._is_tensor(arg)]
        if not tensors:
            return _Sizes()
        if node.target in (operator.add, operator.iadd) and len(tensors) == 2:
            return self._add(node)
        if node.target in (operator.mul, operator.imul) and len(tensors) == 2:
            return self._multiply(node)
        if len(tensors) > 1:
            raise self._refuse(
                node, "it combines two tensors elementwise; a stack joins branches by "
                "addition (a residual), concatenation or multiplying a value by scales "
                "computed from it (a gate)",
            )  # fmt: skip
        x = self._tensor(node, tensors[0])
        layer = stack.activation(_ARITHMETIC[node.target], path=self._path(node))
        return self._layers(node, x, [layer], x.rank)

    def _add(self, node: Any) -> _Tensor:
        bound = self._arguments(node, "input other", alpha=1)
        if not self._is_tensor(bound["other"]):
            x = self._tensor(node, bound["input"])
            return self._layers(node, x, [stack.activation("add", path=self._path(node))], x.rank)
        if bound["alpha"] != 1:
            raise self._refuse(node, f"alpha={bound['alpha']}: a residual adds as it is")
        first, second = self._tensor(node, bound["input"]), self._tensor(node, bound["other"])
        if first.rank != second.rank:
            raise self._refuse(node, f"it adds tensors of {first.rank} and {second.rank} axes")
        enclosing = self._enclosing(node)
        self.nodes.append(Node(node.name, (first.name, second.name), join="add", path=enclosing))
        return _Tensor(node.name, first.rank)

    def _multiply(self, node: Any) -> Any:
        bound = self._arguments(node, "input other")
        operands = [bound.get("input"), bound.get("other")]
        tensors = [arg for arg in operands if self._is_tensor(arg)]
        if len(tensors) != 2:
            if not tensors:
                return _Sizes()
            x = self._tensor(node, tensors[0])
            return self._layers(node, x, [stack.activation("mul", path=self._path(node))], x.rank)
        first, second = (self._tensor(node, arg) for arg in tensors)
        if first.rank != second.rank:
            raise self._refuse(
                node, f"it multiplies tensors of {first.rank} and {second.rank} axes"
            )
        enclosing = self._enclosing(node)
        self.nodes.append(
            Node(node.name, (first.name, second.name), join="multiply", path=enclosing)
        )
        return _Tensor(node.name, first.rank)

    def _interpolate(self, node: Any) -> _Tensor:
        name = node.target.__name__
        defaults: dict[str, Any] = {
            "size": None, "scale_factor": None, "mode": "nearest", "align_corners": None
        }  # fmt: skip
        if name == "upsample_bilinear":
            defaults |= {"mode": "bilinear", "align_corners": True}
        names = "input size scale_factor" + ("" if name.startswith("upsample_") else " mode")
        bound = self._arguments(node, names + " align_corners recompute_scale_factor", **defaults)
        if bound.get("antialias"):
            raise self._refuse(node, "antialias=True")
        x = self._tensor(node, bound["input"])
        mode = bound["mode"]
        return self._upsample(node, x, bound["size"], bound["scale_factor"], mode,
            bound["align_corners"], bound.get("recompute_scale_factor"), self._path(node),
        )  # fmt: skip

    def _cat(self, node: Any) -> _Tensor:
        bound = self._arguments(node, "tensors dim", dim=0)
        parts = [self._tensor(node, arg) for arg in bound["tensors"]]
        self._channel_axis(node, parts[0], bound["dim"], "concatenates")
        enclosing = self._enclosing(node)
        inputs = tuple(part.name for part in parts)
        self.nodes.append(Node(node.name, inputs, join="concat", path=enclosing))
        return _Tensor(node.name, parts[0].rank)

    def _chunk(self, node: Any) -> _Chunks:
        bound = self._arguments(node, "input chunks dim", dim=0)
        x = self._tensor(node, bound["input"])
        self._channel_axis(node, x, bound["dim"], "splits")
        return _Chunks(x, int(bound["chunks"]), self._path(node))

    def _split(self, node: Any) -> _Chunks:
        bound = self._arguments(node, "tensor split_size_or_sections dim", dim=0)
        if "split_size" in bound:
            bound["split_size_or_sections"] = bound["split_size"]
        x = self._tensor(node, bound["tensor"])
        self._channel_axis(node, x, bound["dim"], "splits")
        sections = bound["split_size_or_sections"]
        if isinstance(sections, int) and not isinstance(sections, bool):
            channels = self._channels(node, x)
            if not isinstance(channels, int) or sections <= 0 or channels % sections:
                raise self._refuse(
                    node, f"split by {sections} of {channels} channels, parts not all equal; "
                    "a stack splits channels into equal parts",
                )  # fmt: skip
            return _Chunks(x, channels // sections, self._path(node))
        if not isinstance(sections, list | tuple) or len(set(sections)) != 1:
            raise self._refuse(
                node, f"split by {sections!r}; a stack splits channels into equal parts, "
                "given as chunk(parts, dim=1) or a list of equal sections",
            )  # fmt: skip
        return _Chunks(x, len(sections), self._path(node))

    def _channels(self, node: Any, x: _Tensor) -> Any:
        """The channels of ``x``: the output of the stack read so far up to it."""
        assert self.source is not None
        nodes = [replace(earlier, weighted=False) for earlier in self.nodes]
        try:
            so_far = stack.Stack(self.input_shape, nest(self.source, nodes, x.name))
            channels = so_far.output_shape[0]
        except SymconvError as error:
            raise self._refuse(node, f"its input's channels cannot be counted: {error}") from None
        return int(channels) if getattr(channels, "is_Integer", False) else channels

    def _getitem(self, node: Any) -> Any:
        source = self.values.get(node.args[0])
        if isinstance(source, _Chunks):
            path = f"{source.path}.{node.args[1]}"
            layer = self._build(node, stack.channel_split, source.parts, path=path)
            return self._layers(node, source.tensor, [layer], source.tensor.rank)
        if isinstance(source, _Sizes) or not self._is_tensor(node.args[0]):
            return _Sizes()
        raise self._refuse(
            node, "it takes part of a tensor by indexing (a crop); a stack has no such layer"
        )

    def _flatten_call(self, node: Any) -> _Tensor:
        bound = self._arguments(node, "input start_dim end_dim", start_dim=0, end_dim=-1)
        return self._flatten(node, self._tensor(node, bound["input"]), **_dims(bound))

    def _view(self, node: Any) -> _Tensor:
        x = self._tensor(node, node.args[0], shuffling=True)
        target = list(node.args[1:]) or list(node.kwargs.get("shape", ()))
        if len(target) == 1 and isinstance(target[0], list | tuple):
            target = list(target[0])
        sizes = [item if isinstance(item, int) else None for item in target]
        step = read_view(x.rank, x.shuffle, sizes)
        if step is None:
            raise self._refuse(
                node, f"a view to {len(target)} axes (from {x.rank}); a stack reads a view "
                "that flattens to (N, features) or the three steps of a channel shuffle",
            )  # fmt: skip
        action, groups = step
        if action == "group":
            return _Tensor(x.name, x.rank + 1, ("grouped", groups))
        if action == "shuffle":
            enclosing = self._enclosing(node)
            path = f"{enclosing}.channel_shuffle" if enclosing else "channel_shuffle"
            layer = self._build(node, stack.channel_shuffle, groups, path=path)
            return self._layers(node, x, [layer], x.rank - 1)
        if action == "flatten":
            return self._flatten(node, x, 1, -1)
        return self._layers(node, x, [], x.rank)

    def _transpose(self, node: Any) -> _Tensor:
        x = self._tensor(node, node.args[0], shuffling=True)
        first, second = (int(a) % x.rank for a in node.args[1:3])
        order = list(range(x.rank))
        order[first], order[second] = order[second], order[first]
        if swaps_groups(x.rank, x.shuffle, order):
            return _Tensor(x.name, x.rank, ("swapped", x.shuffle[1] if x.shuffle else 0))
        raise self._refuse(node, f"it swaps axes {first} and {second}; a stack keeps its axes")

    def _permute(self, node: Any) -> _Tensor:
        x = self._tensor(node, node.args[0], shuffling=True)
        order = list(node.args[1:]) or list(node.kwargs.get("dims", ()))
        if len(order) == 1 and isinstance(order[0], list | tuple):
            order = list(order[0])
        if swaps_groups(x.rank, x.shuffle, order):
            return _Tensor(x.name, x.rank, ("swapped", x.shuffle[1] if x.shuffle else 0))
        raise self._refuse(node, f"it permutes the axes to {order}; a stack keeps its axes")

    def _mean(self, node: Any) -> _Tensor:
        bound = self._arguments(node, "input dim keepdim", dim=None, keepdim=False)
        x = self._tensor(node, bound["input"])
        dims = bound["dim"]
        dims = [dims] if isinstance(dims, int) else list(dims or [])
        if sorted(d % x.rank for d in dims) != list(range(2, x.rank)):
            raise self._refuse(
                node, f"a mean over axes {dims}; a stack averages over all spatial axes "
                f"({list(range(2, x.rank))}), as adaptive pooling to 1",
            )  # fmt: skip
        path = self._path(node)
        layers = [self._build(node, stack.adaptive_pool, 1, mode="avg", path=path)]
        if not bound["keepdim"]:
            layers.append(stack.flatten(path=path))
        return self._layers(node, x, layers, x.rank if bound["keepdim"] else 2)

    def _pool_call(self, node: Any) -> _Tensor:
        name = node.target.__name__
        maximum = name.startswith("max")
        names = "input kernel_size stride padding " + (
            "dilation ceil_mode return_indices" if maximum else "ceil_mode"
        )
        bound = self._arguments(node, names, stride=None, padding=0, dilation=1, ceil_mode=False)
        x = self._tensor(node, bound["input"])
        self._check_axes(node, x, int(name[-2]))
        if bound.get("return_indices"):
            raise self._refuse(node, "it returns indices too")
        layer = self._pool(node, bound["kernel_size"], bound["stride"], bound["padding"],
            bound["dilation"], "max" if maximum else "avg", bound["ceil_mode"], self._path(node),
        )  # fmt: skip
        return self._layers(node, x, [layer], x.rank)

    def _adaptive_call(self, node: Any) -> _Tensor:
        name = node.target.__name__
        bound = self._arguments(node, "input output_size return_indices")
        x = self._tensor(node, bound["input"])
        self._check_axes(node, x, int(name[-2]))
        if bound.get("return_indices"):
            raise self._refuse(node, "it returns indices too")
        mode = "max" if "max" in name else "avg"
        return self._adaptive(node, x, bound["output_size"], mode, self._path(node))


def _flat(args: Sequence[Any]) -> list[Any]:
    flat: list[Any] = []
    for arg in args:
        if isinstance(arg, list | tuple):
            flat.extend(_flat(arg))
        else:
            flat.append(arg)
    return flat


def _dims(bound: dict[str, Any]) -> dict[str, int]:
    return {"start": int(bound["start_dim"]), "end": int(bound["end_dim"])}


def from_torch(module: Any, input_shape: tuple[Any, ...]) -> stack.Stack:
    """The :class:`~symconv.stack.Stack` of a PyTorch module on inputs of ``input_shape``.

    ``input_shape`` is ``(C, H, W)`` without the batch axis (``(C, L)`` for 1-D,
    ``(C, D, H, W)`` for 3-D); its entries may be SymPy symbols, and the rows
    are then formulas. Weights count the module's parameters (batch norm's
    running statistics are buffers, not counted) and MACs are half of
    PyTorch's flop counter's total.

    Raises:
        SymconvError: A layer cannot be read (named with its type), the graph does
            not nest into blocks, or the input does not fit the network.
        ModuleNotFoundError: PyTorch is not installed.
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise SymconvError(f"from_torch reads a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(input_shape, tuple) or not input_shape:
        raise SymconvError(
            f"input_shape must be a tuple (channels, *spatial sizes), got {input_shape!r}"
        )
    if torch.fx.Tracer().is_leaf_module(module, ""):
        module = torch.nn.Sequential(module)  # a single layer is traced as a call of it
    try:
        traced = torch.fx.symbolic_trace(module)
    except Exception as error:  # torch.fx raises many kinds; each is one reason in words
        raise SymconvError(
            f"the module {type(module).__name__} cannot be traced by torch.fx: {error}"
        ) from None
    reader = _Reader(torch, traced, input_shape)
    reader.read(traced.graph)
    if reader.source is None or reader.output is None:
        raise SymconvError("the network has no input or no output to read")
    result = stack.Stack(input_shape, nest(reader.source, reader.nodes, reader.output))
    modules = dict(traced.named_modules())
    held = {
        path: (sum(p.numel() for p in modules[path].parameters()), reader.kind_of(path))
        for path in reader.calls
    }
    features = {
        path: int(modules[path].in_features)
        for path in reader.calls
        if isinstance(modules[path], torch.nn.Linear)
    }
    check_weights(result, held, features)
    return result
