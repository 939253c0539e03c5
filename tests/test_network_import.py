"""Networks read from PyTorch and ONNX (``symconv.network``), with PyTorch as the oracle.

Every network of the zoo (``torch_nets.py``: ResNet-18 and -50, MobileNetV2,
MobileNetV3-Small, EfficientNet-B0, GoogLeNet, DenseNet-121, SqueezeNet 1.0,
ShuffleNetV2 x0.5, two U-Nets (transposed convolutions; bilinear upsampling),
a net with group, instance and layer norms and PReLU, small branchy nets in
1-D, 2-D and 3-D) is read by ``from_torch`` and compared with
the module itself: the weights with its parameters, the MACs with half of
PyTorch's flop counter, the output shape with a forward pass, at 224 x 224 and
at odd sizes. The symbolic table, with the sizes as symbols, agrees with the
numeric one at each size. ResNet-18, MobileNetV3-Small and the upsampling
U-Net go through ONNX too, and hand-built
ResNets with the stack's branch API give the same rows as the imported ones.

An optional suite (marker ``torch``), skipped without PyTorch (and its ONNX
tests without onnx). Torch's results are computed once per module.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy

from symconv import SymconvError
from symconv import stack as nn

torch = pytest.importorskip("torch")
flop_counter = pytest.importorskip("torch.utils.flop_counter")

from torch_nets import NETWORKS  # noqa: E402

from symconv.network import from_onnx, from_torch  # noqa: E402

pytestmark = pytest.mark.torch

F = torch.nn.functional

#: Sizes (height, width) every network is read at; a 1-D network takes the height.
SIZES = [(224, 224), (193, 201), (97, 97)]

H, W = sympy.symbols("H W", positive=True, integer=True)
h, w = sympy.symbols("h w", positive=True, integer=True)

#: Networks whose sizes come back up to their skips only in a form: W = period * w + offset.
PERIODIC = {"unet": (4, 1), "unet_upsample": (4, 0)}


def input_shape(name: str, height: Any, width: Any) -> tuple[Any, ...]:
    """The input of network ``name`` without the batch axis, at ``height`` x ``width``."""
    if name == "two_towers":
        return (1, height, width)
    if name == "strided_1d":
        return (2, height)
    if name == "tiny_3d":
        return (3, 8, height, width)
    return (3, height, width)


@dataclass(frozen=True)
class Result:
    """What PyTorch says of one network at one input size."""

    output_shape: tuple[int, ...]
    flops: int
    parameters: int


class Oracle:
    """The zoo's modules, each made once, and PyTorch's results for them, each run once.

    The modules live on PyTorch's meta device: shapes, parameter counts and flops are
    computed as on the CPU, without the arithmetic.
    """

    def __init__(self) -> None:
        self.modules: dict[str, Any] = {}
        self.results: dict[tuple[str, tuple[int, ...]], Result | None] = {}

    def module(self, name: str) -> Any:
        if name not in self.modules:
            with torch.device("meta"):
                self.modules[name] = NETWORKS[name]().eval()
        return self.modules[name]

    def run(self, name: str, shape: tuple[int, ...]) -> Result | None:
        """PyTorch's output shape and flops on a batch of one, or None if it refuses the size."""
        key = (name, shape)
        if key not in self.results:
            module = self.module(name)
            try:
                with torch.no_grad(), flop_counter.FlopCounterMode(display=False) as counter:
                    output = module(torch.empty(1, *shape, device="meta"))
            except RuntimeError:
                self.results[key] = None
            else:
                self.results[key] = Result(
                    tuple(output.shape[1:]),
                    counter.get_total_flops(),
                    sum(p.numel() for p in module.parameters()),
                )
        return self.results[key]


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


def row_facts(stack: Any) -> list[tuple[Any, ...]]:
    """Each row without its path: name, shape, weights, biases, MACs, receptive field."""
    return [
        (row.name, row.shape, row.weights, row.biases, row.macs, row.receptive_field)
        for row in stack.rows
    ]


def at(value: Any, sizes: dict[Any, int]) -> Any:
    """A row's entry with the symbols replaced by ``sizes`` (``None`` stays ``None``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return tuple(at(item, sizes) for item in value)
    return sympy.sympify(value).xreplace(sizes)


def blocks(layers: Any, kind: type) -> list[str]:
    """The paths of the blocks of ``kind`` the layers hold, nested ones included."""
    found = []
    for layer in layers:
        if isinstance(layer, kind):
            found.append(layer.path)
        if isinstance(layer, nn.Residual):
            found += blocks(layer.layers, kind) + blocks(layer.shortcut or (), kind)
        elif isinstance(layer, nn.Gate):
            found += blocks(layer.layers, kind)
        elif isinstance(layer, nn.Concat):
            found += [path for branch in layer.branches for path in blocks(branch, kind)]
    return found


# ------------------------------------------------------------------ the whole zoo


CASES = [(name, size) for name in NETWORKS for size in SIZES]


@pytest.mark.parametrize(("name", "size"), CASES, ids=[f"{n}-{s[0]}x{s[1]}" for n, s in CASES])
def test_counts_and_shapes_equal_torch(oracle: Oracle, name: str, size: tuple[int, int]) -> None:
    shape = input_shape(name, *size)
    result = oracle.run(name, shape)
    if result is None:
        pytest.skip(f"{name} takes no input of {shape} (see the refusal test)")
    stack = from_torch(oracle.module(name), shape)
    assert stack.weight_count == result.parameters
    assert 2 * stack.macs == result.flops
    assert stack.output_shape == result.output_shape


def test_a_size_the_network_cannot_take_is_refused(oracle: Oracle) -> None:
    refused = [
        (name, input_shape(name, *size))
        for name, size in CASES
        if oracle.run(name, input_shape(name, *size)) is None
    ]
    assert refused, "the U-Nets take sizes of one form only"
    for name, shape in refused:
        with pytest.raises(SymconvError, match=r"block .*: branch 1 gives"):
            from_torch(oracle.module(name), shape)


def symbolic_sizes(name: str) -> tuple[Any, Any]:
    """The symbolic height and width a network is read at."""
    if name not in PERIODIC:
        return H, W
    period, offset = PERIODIC[name]
    return period * h + offset, period * w + offset


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_symbolic_table_agrees_with_the_numeric_one(oracle: Oracle, name: str) -> None:
    height, width = symbolic_sizes(name)
    symbolic = from_torch(oracle.module(name), input_shape(name, height, width))
    compared = 0
    for size in SIZES:
        shape = input_shape(name, *size)
        if oracle.run(name, shape) is None:
            continue
        values: dict[Any, int] = {}
        for expression, value in zip((height, width), size, strict=True):
            (symbol,) = expression.free_symbols
            (solution,) = sympy.solve(expression - value, symbol)
            values[symbol] = solution
        if not all(v.is_integer for v in values.values()):
            continue  # the form cannot take this size
        numeric = from_torch(oracle.module(name), shape)
        expected = row_facts(numeric)
        got = [tuple(at(entry, values) for entry in facts) for facts in row_facts(symbolic)]
        assert got == expected
        assert [row.path for row in symbolic.rows] == [row.path for row in numeric.rows]
        compared += 1
    assert compared


# ------------------------------------------------------------- structure and paths


def test_weighted_rows_carry_the_paths_of_the_modules_holding_the_weights(
    oracle: Oracle,
) -> None:
    module = oracle.module("resnet50")
    stack = from_torch(module, (3, 224, 224))
    modules = dict(module.named_modules())
    for row in stack.rows:
        if row.weights:
            held = sum(p.numel() for p in modules[row.path].parameters(recurse=False))
            assert row.weights == held, row.path


@pytest.mark.parametrize(
    ("name", "block", "kind"),
    [
        ("resnet18", "BasicBlock", nn.Residual),
        ("resnet50", "Bottleneck", nn.Residual),
        ("mobilenet_v2", "InvertedResidual", nn.Residual),
        ("googlenet", "Inception", nn.Concat),
        ("squeezenet1_0", "Fire", nn.Concat),
        ("densenet121", "_DenseLayer", nn.Concat),
        ("shufflenet_v2_x0_5", "ShuffleUnit", nn.Concat),
        ("mobilenet_v3_small", "V3Residual", nn.Residual),
        ("mobilenet_v3_small", "SqueezeExcitation", nn.Gate),
        ("efficientnet_b0", "MBConv", nn.Residual),
        ("efficientnet_b0", "SqueezeExcitation", nn.Gate),
        ("unet_upsample", "Up", nn.Concat),
    ],
)
def test_each_block_of_the_module_is_a_block_of_the_stack_named_by_its_path(
    oracle: Oracle, name: str, block: str, kind: type
) -> None:
    module = oracle.module(name)
    stack = from_torch(module, input_shape(name, 224, 224))
    expected = [
        path
        for path, m in module.named_modules()
        if type(m).__name__ == block and getattr(m, "use_res_connect", True)
    ]
    assert sorted(blocks(stack.layers, kind)) == sorted(expected)


def test_densenet_concatenates_each_layers_features_onto_its_input(oracle: Oracle) -> None:
    stack = from_torch(oracle.module("densenet121"), (3, 224, 224))
    dense = [layer for layer in stack.layers if isinstance(layer, nn.Concat)]
    assert dense
    for block in dense:
        assert len(block.branches) == 2
        assert block.branches[0] == ()


def test_unet_skips_are_nested_concatenations_of_the_input(oracle: Oracle) -> None:
    stack = from_torch(oracle.module("unet"), (3, 97, 97))
    (outer,) = [layer for layer in stack.layers if isinstance(layer, nn.Concat)]
    assert outer.branches[0] == ()
    assert len(blocks(outer.branches[1], nn.Concat)) == 1


def test_shufflenet_splits_and_shuffles_its_channels(oracle: Oracle) -> None:
    module = oracle.module("shufflenet_v2_x0_5")
    stack = from_torch(module, (3, 224, 224))
    units = [m for m in module.modules() if type(m).__name__ == "ShuffleUnit"]
    shuffles = [row for row in stack.rows if "shuffle" in row.name]
    splits = [row for row in stack.rows if "split" in row.name]
    assert len(shuffles) == len(units)
    assert len(splits) == 2 * sum(unit.stride == 1 for unit in units)


# ------------------------------------------------------------ ResNets built by hand


def basic_block(planes: int, stride: int, project: bool) -> list[Any]:
    shortcut = [nn.conv(1, out_channels=planes, stride=stride), nn.batchnorm()]
    return [
        nn.residual(
            nn.conv(3, out_channels=planes, stride=stride, padding=1),
            nn.batchnorm(),
            nn.relu(),
            nn.conv(3, out_channels=planes, padding=1),
            nn.batchnorm(),
            shortcut=shortcut if project else None,
        ),
        nn.relu(),
    ]


def bottleneck(planes: int, stride: int, project: bool) -> list[Any]:
    shortcut = [nn.conv(1, out_channels=4 * planes, stride=stride), nn.batchnorm()]
    return [
        nn.residual(
            nn.conv(1, out_channels=planes),
            nn.batchnorm(),
            nn.relu(),
            nn.conv(3, out_channels=planes, stride=stride, padding=1),
            nn.batchnorm(),
            nn.relu(),
            nn.conv(1, out_channels=4 * planes),
            nn.batchnorm(),
            shortcut=shortcut if project else None,
        ),
        nn.relu(),
    ]


def resnet(block: Any, repeats: list[int], expansion: int) -> list[Any]:
    layers = [
        nn.conv(7, out_channels=64, stride=2, padding=3),
        nn.batchnorm(),
        nn.relu(),
        nn.pool(3, stride=2, padding=1),
    ]
    channels = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), repeats, strict=True)):
        for number in range(count):
            stride = 2 if stage and not number else 1
            project = not number and (stride != 1 or channels != planes * expansion)
            layers += block(planes, stride, project)
            channels = planes * expansion
    return [*layers, nn.adaptive_pool(1), nn.flatten(), nn.dense(1000, bias=True)]


@pytest.mark.parametrize(
    ("name", "layers"),
    [
        ("resnet18", resnet(basic_block, [2, 2, 2, 2], 1)),
        ("resnet50", resnet(bottleneck, [3, 4, 6, 3], 4)),
    ],
)
def test_a_resnet_built_by_hand_is_the_imported_one(
    oracle: Oracle, name: str, layers: list[Any]
) -> None:
    for size in SIZES:
        shape = (3, *size)
        result = oracle.run(name, shape)
        assert result is not None
        hand = nn.Stack(shape, layers)
        assert hand.weight_count == result.parameters
        assert 2 * hand.macs == result.flops
        assert hand.output_shape == result.output_shape
        assert row_facts(hand) == row_facts(from_torch(oracle.module(name), shape))


# ------------------------------------------------------------------------- ONNX


@pytest.fixture(scope="module")
def resnet18_onnx(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """ResNet-18 exported with its height and width named (batch norms kept as layers)."""
    pytest.importorskip("onnx")
    module = NETWORKS["resnet18"]().train()
    path = tmp_path_factory.mktemp("onnx") / "resnet18.onnx"
    with warnings.catch_warnings():
        # the TorchScript exporter announces its successor; the file it writes is the point
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (torch.zeros(1, 3, 64, 64),),
            str(path),
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False,
            input_names=["image"],
            dynamic_axes={"image": {0: "N", 2: "H", 3: "W"}},
        )
    return path


def test_resnet18_through_onnx_gives_the_same_counts(oracle: Oracle, resnet18_onnx: Any) -> None:
    onnx = pytest.importorskip("onnx")
    module = oracle.module("resnet18")
    for size in SIZES:
        shape = (3, *size)
        result = oracle.run("resnet18", shape)
        assert result is not None
        stack = from_onnx(resnet18_onnx, shape)
        assert stack.weight_count == result.parameters
        assert 2 * stack.macs == result.flops
        assert stack.output_shape == result.output_shape
        assert row_facts(stack) == row_facts(from_torch(module, shape))
    assert row_facts(from_onnx(onnx.load(str(resnet18_onnx)), (3, 97, 97))) == row_facts(
        from_onnx(str(resnet18_onnx), (3, 97, 97))
    )
    # Rows are named by the module they come from, as through torch: a module called
    # twice (torchvision's one ReLU per block) gets the exporter's _1 the second time.
    through_onnx = [row.path for row in from_onnx(resnet18_onnx, (3, 97, 97)).rows]
    through_torch = [row.path for row in from_torch(module, (3, 97, 97)).rows]
    differing = {(t, o) for t, o in zip(through_torch, through_onnx, strict=True) if t != o}
    assert all(o == f"{t}_1" or t == "flatten" for t, o in differing), differing


def test_shufflenet_through_onnx_splits_and_shuffles_as_through_torch(
    oracle: Oracle, tmp_path: Any
) -> None:
    """``chunk`` is exported as two slices, the shuffle as reshape, transpose and reshape."""
    pytest.importorskip("onnx")
    path = tmp_path / "shufflenet.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as above
        torch.onnx.export(
            NETWORKS["shufflenet_v2_x0_5"]().train(),
            (torch.zeros(1, 3, 64, 64),),
            str(path),
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False,
        )
    shape = (3, 193, 201)
    result = oracle.run("shufflenet_v2_x0_5", shape)
    assert result is not None
    stack = from_onnx(path, shape)
    assert stack.weight_count == result.parameters
    assert 2 * stack.macs == result.flops
    imported = from_torch(oracle.module("shufflenet_v2_x0_5"), shape)
    assert row_facts(stack) == row_facts(imported)


@pytest.mark.parametrize(
    ("name", "size"), [("mobilenet_v3_small", (193, 201)), ("unet_upsample", (96, 100))]
)
def test_gates_and_upsampling_through_onnx_read_as_through_torch(
    oracle: Oracle, tmp_path: Any, name: str, size: tuple[int, int]
) -> None:
    """Squeeze-and-excitation exported as ``Mul``, upsampling as ``Resize``."""
    pytest.importorskip("onnx")
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as above
        torch.onnx.export(
            NETWORKS[name]().train(),
            (torch.zeros(1, 3, 64, 64),),
            str(path),
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False,
        )
    shape = (3, *size)
    result = oracle.run(name, shape)
    assert result is not None
    stack = from_onnx(path, shape)
    assert stack.weight_count == result.parameters
    assert 2 * stack.macs == result.flops
    assert stack.output_shape == result.output_shape
    assert row_facts(stack) == row_facts(from_torch(oracle.module(name), shape))


def test_onnx_named_sizes_are_symbols(oracle: Oracle, resnet18_onnx: Any) -> None:
    stack = from_onnx(resnet18_onnx)
    assert stack.input_shape == (3, H, W)
    imported = from_torch(oracle.module("resnet18"), (3, H, W))
    assert sympy.simplify(stack.macs - imported.macs) == 0
    assert stack.weight_count == imported.weight_count


def test_an_onnx_node_it_cannot_read_is_named_with_its_operator() -> None:
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    weight = onnx.numpy_helper.from_array(np.ones((4, 1, 3, 3), dtype=np.float32), "weight")
    scales = onnx.numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "weight"], ["c"], name="conv", pads=[1, 1, 1, 1]),
            helper.make_node("Resize", ["c", "", "scales"], ["y"], name="up", mode="cubic"),
        ],
        "upsampler",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        [weight, scales],
    )
    model = helper.make_model(graph)
    with pytest.raises(SymconvError, match=r"^layer up \(ONNX Resize\) cannot be read"):
        from_onnx(model)
    model.graph.node.pop()
    model.graph.output[0].name = "c"
    assert from_onnx(model).weight_count == weight.dims[0] * 9


def test_an_onnx_matmul_and_its_bias_are_one_dense_layer() -> None:
    """A graph written by hand: Reshape to (1, -1), MatMul and an Add of a constant."""
    onnx = pytest.importorskip("onnx")
    helper, arrays = onnx.helper, onnx.numpy_helper
    weights = [
        arrays.from_array(np.ones(shape, dtype=np.float32), name)
        for name, shape in [("w", (4, 2, 3, 3)), ("b", (4,)), ("m", (4, 3)), ("c", (3,))]
    ]
    target = arrays.from_array(np.array([1, -1], dtype=np.int64), "target")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["conv"], name="conv"),
            helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
            helper.make_node("GlobalAveragePool", ["relu"], ["pool"], name="pool"),
            helper.make_node("Reshape", ["pool", "target"], ["flat"], name="flat"),
            helper.make_node("MatMul", ["flat", "m"], ["product"], name="fc"),
            helper.make_node("Add", ["product", "c"], ["y"], name="fc_bias"),
        ],
        "classifier",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2, 6, 6])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3])],
        [*weights, target],
    )
    stack = from_onnx(helper.make_model(graph))
    by_hand = nn.Stack(
        (2, 6, 6),
        [
            nn.conv(3, out_channels=4, bias=True),
            nn.relu(),
            nn.adaptive_pool(1),
            nn.flatten(),
            nn.dense(3, bias=True),
        ],
    )
    assert row_facts(stack) == row_facts(by_hand)
    assert stack.weight_count == sum(int(np.prod(w.dims)) for w in weights)


# --------------------------------------------------------------- receptive field


def gradient_extent(module: Any, shape: tuple[int, ...], index: tuple[int, ...]) -> np.ndarray:
    """The input rows (first spatial axis) one output reads: the nonzero rows of its gradient,
    with every weight 1 and every bias 0, so that no path cancels another."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            parameter.fill_(0.0 if name.endswith("bias") else 1.0)
    x = torch.ones(1, *shape, dtype=torch.float64, requires_grad=True)
    module.double()(x)[(0, *index)].backward()
    assert x.grad is not None
    reached = x.grad[0].abs().sum(dim=tuple(d for d in range(x.dim() - 1) if d != 1))
    return np.flatnonzero(reached.numpy())


def test_last_receptive_field_is_the_brute_force_one() -> None:
    module = NETWORKS["two_towers"]()
    shape = (1, 96, 96)
    size, jump, start = from_torch(module, shape).rows[-1].receptive_field
    middle = 5
    first = gradient_extent(module, shape, (0, middle, middle))
    second = gradient_extent(module, shape, (0, middle + 1, middle))
    assert first[-1] - first[0] + 1 == size == len(first)
    centre = sympy.Rational(int(first[0] + first[-1]), 2)
    assert sympy.Rational(int(second[0] + second[-1]), 2) - centre == jump
    assert centre - middle * jump == start


# ------------------------------------------------------------------------ errors


class Stem(torch.nn.Module):
    def __init__(self, *tail: Any) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), *tail
        )

    def forward(self, x: Any) -> Any:
        return self.features(x)


class Gated(torch.nn.Module):
    """A product of two computed values: no gate, which scales its own input."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)

    def forward(self, x: Any) -> Any:
        return torch.relu(x) * torch.sigmoid(self.conv(x))


class Shared(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x: Any) -> Any:
        return self.conv(self.conv(x))


class Tangled(torch.nn.Module):
    """A value used by a branch and again after that branch's join: no nesting of blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.b = torch.nn.Conv2d(3, 3, 1)

    def forward(self, x: Any) -> Any:
        a = self.a(x)
        return a + (a + self.b(x))


class Upsampled(torch.nn.Module):
    def forward(self, x: Any) -> Any:
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", antialias=True)


class Branching(torch.nn.Module):
    def forward(self, x: Any) -> Any:
        if x.sum() > 0:
            return x
        return -x


class TwoHeads(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)

    def forward(self, x: Any) -> Any:
        y = self.conv(x)
        return y, torch.relu(y)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (Stem(torch.nn.LSTM(8, 8)), r"^layer features\.2 \(torch\.nn\.LSTM\) cannot be read"),
        (
            Stem(torch.nn.ReLU(), torch.nn.Upsample(scale_factor=2, mode="bicubic")),
            r"^layer features\.3 \(torch\.nn\.Upsample\) cannot be read",
        ),
        (
            Upsampled(),
            r"^layer interpolate \(torch\.nn\.functional\.interpolate\) cannot be read",
        ),
        (Gated(), r"^block mul: multiplies 2 values, 2 of them computed"),
        (Shared(), r"^layer conv \(torch\.nn\.Conv2d\) cannot be read: it is called more"),
        (Tangled(), r"^layer a: its output feeds two branches that join elsewhere"),
        (Branching(), r"cannot be traced by torch\.fx"),
        (TwoHeads(), r"returns 2 tensors"),
        (
            Stem(torch.nn.Flatten(), torch.nn.Linear(8 * 16 * 16, 10)),
            r"^layer features\.3 \(torch\.nn\.Linear\) holds 20490 weights, .* does not fit",
        ),
        (
            torch.nn.Conv2d(4, 8, 3),
            r"^layer 0 \(torch\.nn\.Conv2d\) holds 296 weights, but .* would need 224",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, torch.nn.Module) else "",
)
def test_what_cannot_be_read_is_named(module: Any, message: str) -> None:
    with pytest.raises(SymconvError, match=message):
        from_torch(module, (3, 32, 32))


def test_a_module_fitting_its_input_reads(oracle: Oracle) -> None:
    module = Stem(torch.nn.Flatten(), torch.nn.Linear(8 * 32 * 32, 10))
    assert from_torch(module, (3, 32, 32)).weight_count == sum(
        p.numel() for p in module.parameters()
    )


def test_without_torch_or_onnx_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install symconv\[torch\]"):
        from_torch(object(), (3, 8, 8))
    with pytest.raises(ModuleNotFoundError, match=r"pip install symconv\[onnx\]"):
        from_onnx("model.onnx")


def test_importing_symconv_network_imports_neither_torch_nor_onnx() -> None:
    code = (
        "import sys\nfrom symconv.network import from_onnx, from_torch\n"
        "print(sorted({'torch', 'onnx'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# ------------------------------------------------------- parameters used in forward


class LayerScale(torch.nn.Module):
    """ConvNeXt's layer scale: a residual branch scaled by a parameter of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.gamma = torch.nn.Parameter(torch.ones(1, 4, 1, 1))

    def forward(self, x: Any) -> Any:
        return x + self.gamma * self.conv(x)


class PositionalEmbedding(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.pos = torch.nn.Parameter(torch.zeros(1, 4, 8, 8))

    def forward(self, x: Any) -> Any:
        return self.conv(x) + self.pos


def export(module: Any, shape: tuple[int, ...], path: Any, **options: Any) -> Any:
    """``module`` written as ONNX at an input of ``shape`` (batch of one)."""
    pytest.importorskip("onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its successor
        torch.onnx.export(module, (torch.zeros(1, *shape),), str(path), dynamo=False, **options)
    return path


@pytest.mark.parametrize(
    ("module", "name"), [(LayerScale(), "gamma"), (PositionalEmbedding(), "pos")]
)
def test_a_parameter_used_in_forward_is_refused_naming_it(
    module: Any, name: str, tmp_path: Any
) -> None:
    parameter = module.get_parameter(name)
    shape = " x ".join(str(size) for size in parameter.shape)
    # without the refusal the stack would count the convolution's weights only
    assert sum(p.numel() for p in module.conv.parameters()) < sum(
        p.numel() for p in module.parameters()
    )
    with pytest.raises(
        SymconvError,
        match=rf"^layer {name} \(a parameter of shape {shape} used in forward by \w+\) "
        rf"cannot be read: .* count its {parameter.numel()} weights apart$",
    ):
        from_torch(module, (4, 8, 8))
    path = export(module, (4, 8, 8), tmp_path / "net.onnx")
    with pytest.raises(
        SymconvError,
        match=rf"^layer {name} \(an initializer of shape {shape} used by \w+, ONNX (Mul|Add)\) "
        rf"cannot be read: .* its {parameter.numel()} weights would count for nothing$",
    ):
        from_onnx(path)


# ------------------------------------------------------------------ in-place ops


class AddedInPlace(torch.nn.Module):
    """``y.add_(...)`` whose result is dropped: fx's ``y`` is still the convolution's."""

    def __init__(self) -> None:
        super().__init__()
        self.c = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.p = torch.nn.Conv2d(3, 4, 1)

    def forward(self, x: Any) -> Any:
        y = self.c(x)
        y.add_(self.p(x))
        return y


class ReluInPlace(torch.nn.Module):
    def __init__(self, module: bool = False) -> None:
        super().__init__()
        self.c = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.act = torch.nn.ReLU(inplace=True) if module else None

    def forward(self, x: Any) -> Any:
        y = self.c(x)
        if self.act is None:
            F.relu(y, inplace=True)
        else:
            self.act(y)
        return y


class ReluInPlaceUsed(torch.nn.Module):
    """In-place ops whose results are used: a function's, a module's in a Sequential,
    ``x += 1`` and ``relu_`` returned."""

    def __init__(self) -> None:
        super().__init__()
        self.c = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.d = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 1), torch.nn.ReLU(inplace=True))

    def forward(self, x: Any) -> Any:
        x = F.relu(self.c(x), inplace=True)
        x = self.d(x)
        x += 1
        return x.relu_()


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (AddedInPlace(), r"^layer add_ \(Tensor\.add_\) cannot be read: it changes its input"),
        (
            ReluInPlace(),
            r"^layer relu \(torch\.nn\.functional\.relu\) cannot be read: it changes its input",
        ),
        (ReluInPlace(module=True), r"^layer act \(torch\.nn\.ReLU\) cannot be read: it changes"),
    ],
    ids=["add_", "relu-inplace", "ReLU-inplace"],
)
def test_an_in_place_op_whose_result_nothing_reads_is_refused(module: Any, message: str) -> None:
    with pytest.raises(SymconvError, match=message):
        from_torch(module, (3, 8, 8))


def test_in_place_ops_whose_result_is_used_read() -> None:
    module = ReluInPlaceUsed().eval()
    shape = (3, 9, 11)
    with torch.no_grad(), flop_counter.FlopCounterMode(display=False) as counter:
        output = module(torch.zeros(1, *shape))
    stack = from_torch(module, shape)
    assert stack.weight_count == sum(p.numel() for p in module.parameters())
    assert 2 * stack.macs == counter.get_total_flops()
    assert stack.output_shape == tuple(output.shape[1:])
    assert [row.name for row in stack.rows].count("relu") == 3


# -------------------------------------------------------- one input size only


def test_a_fixed_dense_layer_on_a_symbolic_input_takes_one_size_only(tmp_path: Any) -> None:
    """The module holds the same weights at every size; a formula of H and W would be wrong."""
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.Flatten(), torch.nn.Linear(8 * 16 * 16, 10)
    )
    linear = module[2]
    message = (
        rf"^the network takes one input size only: layer 2 \(%s\) reads "
        rf"{linear.in_features} features; give the input size as numbers$"
    )
    with pytest.raises(SymconvError, match=message % r"torch\.nn\.Linear"):
        from_torch(module, (3, H, W))
    fits = from_torch(module, (3, 32, 32))
    assert fits.weight_count == sum(p.numel() for p in module.parameters())
    with pytest.raises(SymconvError, match=r"^layer 2 \(torch\.nn\.Linear\) holds .* does not fit"):
        from_torch(module, (3, 30, 30))
    path = export(
        module,
        (3, 32, 32),
        tmp_path / "fixed.onnx",
        input_names=["image"],
        dynamic_axes={"image": {0: "N", 2: "H", 3: "W"}},
    )
    with pytest.raises(SymconvError, match=message % r"ONNX Gemm"):
        from_onnx(path)
    assert row_facts(from_onnx(path, (3, 32, 32))) == row_facts(fits)


# ------------------------------------------------------------ keyword arguments


class Keywords(torch.nn.Module):
    """A gate, a residual and a concatenation given their tensors by keyword, and
    ``split`` by a size that gives equal parts."""

    def __init__(self) -> None:
        super().__init__()
        self.c = torch.nn.Conv2d(3, 4, 1)
        self.g = torch.nn.Conv2d(4, 4, 1)
        self.r = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.e = torch.nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x: Any) -> Any:
        y = self.c(x)
        y = torch.mul(y, other=torch.sigmoid(self.g(y)))
        y = torch.add(y, other=self.r(y))
        a, b = y.split(2, dim=1)
        return torch.cat(tensors=[a, self.e(b)], dim=1)


class Chunked(Keywords):
    """The same network with ``chunk``."""

    def forward(self, x: Any) -> Any:
        y = self.c(x)
        y = torch.mul(y, torch.sigmoid(self.g(y)))
        y = torch.add(y, self.r(y))
        a, b = y.chunk(2, dim=1)
        return torch.cat([a, self.e(b)], dim=1)


def test_keyword_tensors_and_split_by_size_read_as_positional_and_chunk() -> None:
    module = Keywords()
    shape = (3, 9, 11)
    with torch.no_grad(), flop_counter.FlopCounterMode(display=False) as counter:
        output = module(torch.zeros(1, *shape))
    stack = from_torch(module, shape)
    assert stack.weight_count == sum(p.numel() for p in module.parameters())
    assert 2 * stack.macs == counter.get_total_flops()
    assert stack.output_shape == tuple(output.shape[1:])
    assert row_facts(stack) == row_facts(from_torch(Chunked(), shape))
    assert row_facts(from_torch(module, (3, H, W))) == row_facts(from_torch(Chunked(), (3, H, W)))


class UnequalSplit(Keywords):
    def forward(self, x: Any) -> Any:
        return self.c(x).split(3, dim=1)[0]


class OneInATuple(torch.nn.Module):
    def forward(self, x: Any) -> Any:
        return (torch.relu(x),)


def test_an_unequal_split_and_a_tuple_of_one_are_refused_in_words() -> None:
    channels = Keywords().c.out_channels
    with pytest.raises(
        SymconvError, match=rf"^layer split \(Tensor\.split\) .* split by 3 of {channels} channels"
    ):
        from_torch(UnequalSplit(), (3, 8, 8))
    with pytest.raises(
        SymconvError,
        match=r"^the network returns its output inside a tuple of one; .* tensor itself",
    ):
        from_torch(OneInATuple(), (3, 8, 8))


# ------------------------------------------------------- ShuffleNet with named sizes


@pytest.fixture(scope="module")
def shufflenet_named_onnx(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """ShuffleNet exported with its height and width named: ``chunk``'s bounds are
    computed from the channels, read from the tensor's shape at run time."""
    return export(
        NETWORKS["shufflenet_v2_x0_5"]().train(),
        (3, 64, 64),
        tmp_path_factory.mktemp("onnx") / "shufflenet.onnx",
        training=torch.onnx.TrainingMode.TRAINING,
        do_constant_folding=False,
        input_names=["image"],
        dynamic_axes={"image": {0: "N", 2: "H", 3: "W"}},
    )


def test_shufflenet_with_named_sizes_reads_as_through_torch(
    oracle: Oracle, shufflenet_named_onnx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    onnx = pytest.importorskip("onnx")
    module = oracle.module("shufflenet_v2_x0_5")
    stack = from_onnx(shufflenet_named_onnx)
    assert stack.input_shape == (3, H, W)
    assert row_facts(stack) == row_facts(from_torch(module, (3, H, W)))
    shape = (3, 193, 201)
    result = oracle.run("shufflenet_v2_x0_5", shape)
    assert result is not None
    numeric = from_onnx(shufflenet_named_onnx, shape)
    assert (numeric.weight_count, 2 * numeric.macs) == (result.parameters, result.flops)

    # Without shape inference the channels are counted from the layers read so far.
    def no_inference(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("shape inference switched off")

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", no_inference)
    assert row_facts(from_onnx(shufflenet_named_onnx)) == row_facts(stack)


# --------------------------------------------------------------- scripts/export-onnx


def test_the_export_script_takes_each_networks_own_input_and_refuses_in_one_line(
    oracle: Oracle, tmp_path: Any
) -> None:
    pytest.importorskip("onnx")
    script = Path(__file__).resolve().parent.parent / "scripts" / "export-onnx"
    path = tmp_path / "two_towers.onnx"
    done = subprocess.run(
        [sys.executable, str(script), "two_towers", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    shape = input_shape("two_towers", 96, 96)
    result = oracle.run("two_towers", shape)
    assert result is not None
    assert from_onnx(path, shape).weight_count == result.parameters
    refused = subprocess.run(
        [sys.executable, str(script), "functional", str(tmp_path / "f.onnx")],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "functional" in refused.stderr and "cannot be exported" in refused.stderr
