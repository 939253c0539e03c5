"""A network's dataflow graph, folded into a stack's nested residual and concat blocks.

Both importers (:mod:`symconv.network.torch_graph`, :mod:`symconv.network.onnx_graph`)
read their graph into :class:`Node` objects: a node applies stack layers to
its single input, or joins several inputs by adding them (``"add"``), by
concatenating their channels (``"concat"``) or by multiplying them
(``"multiply"``: a value by scales computed from it, a :func:`~symconv.stack.gate`).
:func:`nest` turns the graph into the layers of one :class:`~symconv.stack.Stack`:
a join becomes a block whose branches start where the joined paths fork, the
join's immediate dominator (the last node every path from the input to the
join passes through).

A graph folds this way when it is series-parallel, as ResNet, Inception,
DenseNet, ShuffleNet and U-Net are: every value computed between a fork and
its join is used on one branch only. DenseNet's concatenation of all earlier
features is read as a chain: ``cat(x, f1, f2)`` is ``cat(cat(x, f1), f2)``
when ``cat(x, f1)`` was computed before, one ``concat([], [layers])`` per
dense layer.

>>> from symconv import stack as nn
>>> graph = [
...     Node("conv", ("x",), (nn.conv(3, padding=1, path="conv"),), path="conv"),
...     Node("sum", ("conv", "x"), join="add", path="block"),
... ]
>>> [type(layer).__name__ for layer in nest("x", graph, "sum")]
['Residual']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from symconv.errors import SymconvError
from symconv.layers import stack

__all__ = [
    "Join",
    "Node",
    "Shuffle",
    "check_weights",
    "common_path",
    "nest",
    "per_axis",
    "read_view",
    "swaps_groups",
]

#: How a node with several inputs joins them.
Join = Literal["add", "concat", "multiply"]


@dataclass(frozen=True)
class Node:
    """One value of the graph.

    Without ``join``, ``layers`` (stack layers, possibly none: a dropout, an
    identity) are applied to the only input; with ``join``, the inputs are
    added or concatenated on channels, in order. ``path`` is the name a block
    made from the node gets (a module's qualified name, ``"layer1.0"``).
    ``weighted`` marks layers that hold weights: such a node must reach the
    output, or its weights would count for nothing.
    """

    name: str
    inputs: tuple[str, ...]
    layers: tuple[Any, ...] = ()
    join: Join | None = None
    path: str | None = None
    weighted: bool = False


def common_path(paths: Iterable[str | None]) -> str | None:
    """The longest dotted prefix the paths share, or ``None`` if they share none.

    >>> common_path(["layer1.0.conv1", "layer1.0.bn1", "layer1.0.downsample.0"])
    'layer1.0'
    >>> common_path(["conv", "pool"]) is None
    True
    """
    split = [path.split(".") for path in paths if path]
    if not split:
        return None
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if any(part != parts[0] for part in parts):
            break
        shared.append(parts[0])
    return ".".join(shared) or None


def _where(node: Node) -> str:
    return f"{node.path} ({node.name})" if node.path and node.path != node.name else node.name


def _chained_concats(nodes: list[Node]) -> list[Node]:
    """``cat(a, b, c)`` as ``cat(cat(a, b), c)`` when ``cat(a, b)`` is an earlier node,
    and a concatenation of one input as that input (DenseNet's first layer)."""
    earlier: dict[tuple[str, ...], str] = {}
    result = []
    for node in nodes:
        if node.join == "concat" and len(node.inputs) == 1:
            node = replace(node, join=None)
        elif node.join == "concat":
            inputs = node.inputs
            for cut in range(len(inputs) - 1, 1, -1):
                if inputs[:cut] in earlier:
                    # the new block holds one layer's features, not the whole concatenation
                    chained = (earlier[inputs[:cut]], *inputs[cut:])
                    node = replace(node, inputs=chained, path=None)
                    break
            earlier.setdefault(inputs, node.name)
        result.append(node)
    return result


class _Folding:
    """The walk from the output back to the input, one chain at a time."""

    def __init__(self, source: str, nodes: list[Node], output: str) -> None:
        self.nodes = {node.name: node for node in nodes}
        self.order = {source: 0} | {node.name: i for i, node in enumerate(nodes, start=1)}
        self.source = source
        self.live = self._ancestors(output)
        self.idom: dict[str, str] = {source: source}
        for node in nodes:
            if node.name in self.live:
                self.idom[node.name] = self._dominator(node)
        self.emitted: set[str] = set()

    def _ancestors(self, output: str) -> set[str]:
        live, todo = set(), [output]
        while todo:
            name = todo.pop()
            if name in live or name == self.source:
                continue
            live.add(name)
            todo.extend(self.nodes[name].inputs)
        return live

    def _dominator(self, node: Node) -> str:
        dominator = node.inputs[0]
        for other in node.inputs[1:]:
            while dominator != other:
                if self.order[dominator] > self.order[other]:
                    dominator = self.idom[dominator]
                else:
                    other = self.idom[other]
        return dominator

    def chain(self, end: str, start: str) -> tuple[list[Any], list[str | None]]:
        """The layers from ``start``'s value to ``end``'s, and the paths they came from."""
        pieces: list[list[Any]] = []
        paths: list[str | None] = []
        name = end
        while name != start:
            node = self.nodes[name]
            if name in self.emitted:
                raise SymconvError(
                    f"layer {_where(node)}: its output feeds two branches that join "
                    "elsewhere; a stack nests residual and concatenation blocks, and this "
                    "network's graph is not such a nesting"
                )
            self.emitted.add(name)
            if node.join is None:
                pieces.append(list(node.layers))
                if node.layers:
                    paths.append(node.path)
                name = node.inputs[0]
                continue
            fork = self.idom[name]
            branches, inside = [], []
            for branch_end in node.inputs:
                layers, branch_paths = self.chain(branch_end, fork)
                branches.append(layers)
                inside.extend(branch_paths)
            paths.extend(inside)
            pieces.append([_block(node.join, branches, _block_path(node, inside))])
            name = fork
        return [layer for piece in reversed(pieces) for layer in piece], paths


def _block_path(node: Node, inside: list[str | None]) -> str:
    """The module the join is written in, when the branches' layers belong to it; else
    the module the branches' layers share (a dense layer), else the join's own name."""
    if node.path and all(path and path.startswith(f"{node.path}.") for path in inside):
        return node.path
    shared = common_path(inside)
    if shared in inside:  # one layer's own path names no module around the block
        shared = None
    return shared or node.path or node.name


def _block(join: Join, branches: list[list[Any]], path: str) -> Any:
    if join == "concat":
        return stack.concat(*branches, path=path)
    if join == "multiply":
        scales = [branch for branch in branches if branch]
        if len(branches) != 2 or len(scales) != 1:
            raise SymconvError(
                f"block {path}: multiplies {len(branches)} values, {len(scales)} of them "
                "computed; a gate multiplies its input by scales computed from it"
            )
        return stack.gate(*scales[0], path=path)
    if len(branches) != 2:
        raise SymconvError(f"block {path}: adds {len(branches)} values; a residual adds two")
    main, shortcut = branches
    if not main:
        main, shortcut = shortcut, main
    if not shortcut:
        return stack.residual(*main, path=path)
    return stack.residual(*main, shortcut=shortcut, path=path)


def nest(source: str, nodes: Iterable[Node], output: str) -> list[Any]:
    """The stack layers that compute ``output`` from ``source``, joins nested as blocks.

    ``nodes`` come in an order where every node follows its inputs (the order
    of a traced graph or of an ONNX file). A node with weights whose output
    reaches nothing is an error (its weights would count for nothing), as is
    a graph that is not a nesting of blocks; other nodes that reach nothing
    (a size read for a view, the unused half of a split) are left out.

    Raises:
        SymconvError: The graph does not fold into a stack.
    """
    ordered = _chained_concats(list(nodes))
    known = {source}
    for node in ordered:
        missing = [name for name in node.inputs if name not in known]
        if missing or not node.inputs:
            raise SymconvError(
                f"layer {_where(node)} reads {', '.join(missing) or 'no input'}, "
                "which the network computes nowhere before it"
            )
        if node.join is None and len(node.inputs) != 1:
            raise SymconvError(f"layer {_where(node)} reads {len(node.inputs)} inputs, not one")
        known.add(node.name)
    if output not in known:
        raise SymconvError(f"the network's output {output} is computed nowhere")
    folding = _Folding(source, ordered, output)
    dead = [node for node in ordered if node.weighted and node.name not in folding.live]
    if dead:
        raise SymconvError(
            f"layer {_where(dead[0])} does not reach the network's output; a stack counts "
            "only what the output is computed from"
        )
    layers, _ = folding.chain(output, source)
    return layers


def check_weights(
    result: stack.Stack,
    held: dict[str, tuple[int, str]],
    features: dict[str, int] | None = None,
) -> None:
    """Each layer's rows count the weights the layer holds (``held``: path to count
    and type); a difference means the input does not fit the network (a dense
    layer reading more features than it was made for). ``features`` gives the
    number of features a dense layer reads, for the message.

    A count that is a formula of the input's sizes while the layer holds a number
    (a dense layer after a flatten of the spatial axes) means the network takes
    one input size only.

    Raises:
        SymconvError: A layer's rows count other weights than it holds.
    """
    found: dict[str, Any] = dict.fromkeys(held, 0)
    for row in result.rows:
        if row.path in found:
            found[row.path] = found[row.path] + row.weights
    for path, (count, kind) in held.items():
        needed = found[path]
        if getattr(needed, "free_symbols", None):
            reads = (
                f"reads {features[path]} features"
                if features and path in features
                else f"holds {count} weights"
            )
            raise SymconvError(
                f"the network takes one input size only: layer {path} ({kind}) {reads}; "
                "give the input size as numbers"
            )
        if int(needed) != count:
            raise SymconvError(
                f"layer {path} ({kind}) holds {count} weights, but on an input of shape "
                f"{result.input_shape} it would need {needed}: the input does not "
                "fit the network"
            )


def per_axis(value: Any) -> Any:
    """A value given per axis as a stack layer takes it: one int when every axis has the
    same (a square kernel), else the tuple (pairs of per-side paddings kept as pairs).

    >>> per_axis((3, 3)), per_axis([1, 7]), per_axis(((1, 0), (1, 0))), per_axis("same")
    (3, (1, 7), ((1, 0), (1, 0)), 'same')
    """
    if isinstance(value, list | tuple):
        items = tuple(per_axis(v) for v in value)
        if items and all(item == items[0] for item in items) and not isinstance(items[0], tuple):
            return items[0]
        return items
    return int(value) if hasattr(value, "__index__") and not isinstance(value, bool) else value


#: The state of a channel shuffle written as views: ``("grouped", g)`` after the
#: view to ``(N, g, C/g, ...)``, ``("swapped", g)`` after swapping axes 1 and 2.
Shuffle = tuple[Literal["grouped", "swapped"], int]


def read_view(
    rank: int, shuffle: Shuffle | None, target: list[int | None]
) -> tuple[Literal["flatten", "keep", "group", "shuffle"], int] | None:
    """What a view (reshape) of a tensor of ``rank`` axes to ``target`` does in a stack.

    ``target`` holds the new sizes, ``None`` where they are read from the tensor
    at run time. ``("flatten", 0)``: to ``(N, features)``; ``("keep", 0)``: to
    the tensor's own sizes; ``("group", g)``: the first step of a channel
    shuffle; ``("shuffle", g)``: its last. ``None``: a view a stack cannot read.

    >>> read_view(4, None, [None, 2, None, None, None])
    ('group', 2)
    >>> read_view(5, ("swapped", 2), [None, None, None, None])
    ('shuffle', 2)
    >>> read_view(4, None, [1, -1])
    ('flatten', 0)
    """
    if shuffle is None and len(target) == rank + 1 and isinstance(target[1], int):
        return "group", target[1]
    if shuffle is not None and shuffle[0] == "swapped" and len(target) == rank - 1:
        return "shuffle", shuffle[1]
    if shuffle is None and len(target) == 2:
        return "flatten", 0
    if shuffle is None and len(target) == rank and all(item is None for item in target):
        return "keep", 0
    return None


def swaps_groups(rank: int, shuffle: Shuffle | None, order: list[int]) -> bool:
    """Whether a permutation of the axes is the middle step of a channel shuffle.

    >>> swaps_groups(5, ("grouped", 2), [0, 2, 1, 3, 4])
    True
    """
    return (
        shuffle is not None
        and shuffle[0] == "grouped"
        and [axis % rank for axis in order] == [0, 2, 1, *range(3, rank)]
    )
