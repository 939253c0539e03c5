"""PyTorch as the oracle: grouped convolutions (plain and transposed), autograd,
unfold and the flop counter.

An optional suite (marker ``torch``): it runs when PyTorch is installed and is
skipped otherwise; ``pytest -m torch`` runs it alone. Install the CPU wheel with
``pip install torch==2.13.0`` (see README). The same properties are checked
without PyTorch by the numeric oracle in ``test_groups.py``, ``test_cost.py``,
``test_im2col.py`` and ``test_gradients.py``, and by the scatter oracle in
``test_transpose.py``.

Random integers are substituted for the symbols and PyTorch computes in
float64, where sums of such small integers are exact.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from numeric_oracle import Case, random_integers, specs, substitute, values_of
from test_cost import NETWORKS, VGG16
from test_transpose import transposes

from symconv import Conv, ConvTranspose

torch = pytest.importorskip("torch")
F = torch.nn.functional
flop_counter = pytest.importorskip("torch.utils.flop_counter")

pytestmark = pytest.mark.torch

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def tensor(values: np.ndarray, shape: tuple[int, ...], grad: bool = False):
    return (
        torch.tensor(values.astype(np.int64), dtype=torch.float64)
        .reshape(shape)
        .requires_grad_(grad)
    )


def torch_forward(case: Case, x, w, b):
    """``F.conv1d/2d`` on the explicitly padded input; flip=True reverses the kernel."""
    pads = [side for pair in reversed(case.pads) for side in pair]
    padded = F.pad(x, pads, mode="circular" if case.circular else "constant")
    weight = w.flip(list(range(2, 2 + case.ndim))) if case.flip else w
    conv = F.conv1d if case.ndim == 1 else F.conv2d
    return conv(padded, weight, b, stride=case.stride, dilation=case.dilation, groups=case.groups)


def _numbers(case: Case, conv: Conv):
    rng = np.random.default_rng(len(repr(case)))
    x = random_integers(rng, conv.input_shape)
    w = random_integers(rng, conv.kernel_symbols.shape)
    b = random_integers(rng, conv.bias_symbols.shape) if case.bias else None
    g = random_integers(rng, conv.output_shape)
    return x, w, b, g


def _torch_shapes(case: Case) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    weight = (case.c_out, case.c_in // case.groups, *case.kernel)
    return (1, case.c_in, *case.sizes), weight, (1, case.c_out, *case.spatial_out)


@SETTINGS
@given(specs(shared=True))
def test_grouped_outputs_equal_torch(case: Case) -> None:
    conv = case.conv()
    x, w, b, _ = _numbers(case, conv)
    x_shape, w_shape, y_shape = _torch_shapes(case)
    expected = torch_forward(
        case,
        tensor(x, x_shape),
        tensor(w, w_shape),
        None if b is None else tensor(b, (case.c_out,)),
    )
    values = {**values_of(conv.input_symbols, x), **values_of(conv.kernel_symbols, w)}
    if b is not None:
        values.update(values_of(conv.bias_symbols, b))
    got = substitute(conv.output(), values).astype(np.int64).reshape(y_shape)
    assert np.array_equal(got, expected.detach().numpy().astype(np.int64))


@SETTINGS
@given(specs(shared=True))
def test_weight_count_is_the_modules_parameter_count(case: Case) -> None:
    conv = case.conv()
    module = (torch.nn.Conv1d if case.ndim == 1 else torch.nn.Conv2d)(
        case.c_in, case.c_out, case.kernel, groups=case.groups, bias=case.bias
    )
    assert conv.weight_count == sum(p.numel() for p in module.parameters())
    assert (
        conv.kernel_symbols.shape == tuple(module.weight.shape)[-len(conv.kernel_symbols.shape) :]
    )


@SETTINGS
@given(specs(shared=True))
def test_backward_equals_autograd(case: Case) -> None:
    conv = case.conv()
    grads = conv.backward()
    x, w, b, g = _numbers(case, conv)
    x_shape, w_shape, y_shape = _torch_shapes(case)
    xt, wt = tensor(x, x_shape, grad=True), tensor(w, w_shape, grad=True)
    bt = None if b is None else tensor(b, (case.c_out,), grad=True)
    (torch_forward(case, xt, wt, bt) * tensor(g, y_shape)).sum().backward()
    values = {
        **values_of(conv.input_symbols, x),
        **values_of(conv.kernel_symbols, w),
        **values_of(grads.upstream, g),
    }

    def same(symbolic: sympy.Array, autograd) -> bool:
        got = substitute(symbolic, values).astype(np.int64).ravel()
        return np.array_equal(got, autograd.numpy().astype(np.int64).ravel())

    assert same(grads.input, xt.grad)
    assert same(grads.kernel, wt.grad)
    if bt is not None:
        assert grads.bias is not None and same(grads.bias, bt.grad)


@SETTINGS
@given(specs(ndims=(2,), shared=True, flip=False))
def test_patch_matrix_is_torch_unfold_transposed(case: Case) -> None:
    conv = case.conv()
    x, *_ = _numbers(case, conv)
    pads = [side for pair in reversed(case.pads) for side in pair]
    padded = F.pad(
        tensor(x, (1, case.c_in, *case.sizes)),
        pads,
        mode="circular" if case.circular else "constant",
    )
    columns = F.unfold(padded, case.kernel, dilation=case.dilation, stride=case.stride)[0]
    values = values_of(conv.input_symbols, x)
    per_group = columns.shape[0] // case.groups
    for group in range(case.groups):
        patches = conv.patch_matrix(group if case.groups > 1 else None).xreplace(values)
        expected = columns[group * per_group : (group + 1) * per_group].T
        got = np.array(patches.tolist(), dtype=np.int64)
        assert np.array_equal(got, expected.numpy().astype(np.int64))


# The flop counter ----------------------------------------------------------------


def _flops(module, shape: tuple[int, ...]) -> int:
    module = module.to("meta")
    with flop_counter.FlopCounterMode(display=False) as counter:
        module(torch.empty(1, *shape, device="meta"))
    return int(counter.get_total_flops())


@SETTINGS
@given(specs(shared=True, circular=False, flip=False, paddings=("int",)))
def test_single_layer_flops_are_the_counters(case: Case) -> None:
    conv = case.conv()
    module = (torch.nn.Conv1d if case.ndim == 1 else torch.nn.Conv2d)(
        case.c_in,
        case.c_out,
        case.kernel,
        stride=case.stride,
        padding=case.padding,
        dilation=case.dilation,
        groups=case.groups,
        bias=case.bias,
    )
    assert conv.flops == 2 * conv.macs == _flops(module, (case.c_in, *case.sizes))


@pytest.mark.parametrize("options", [{}, {"stride": 2, "padding": 1, "output_padding": 1}])
def test_transposed_flops_are_the_counters(options: dict[str, Any]) -> None:
    layer = ConvTranspose((5, 6), 3, in_channels=4, out_channels=3, **options)
    module = torch.nn.ConvTranspose2d(4, 3, 3, **options)
    assert 2 * layer.macs == _flops(module, (4, 5, 6))
    assert layer.weight_count + 3 == sum(p.numel() for p in module.parameters())


def _torch_options(layer: ConvTranspose) -> dict[str, Any]:
    """The arguments PyTorch's transposed convolution takes for ``layer``."""
    spec = layer.spec
    return {
        "stride": spec.stride,
        "padding": spec.padding,
        "output_padding": spec.output_padding,
        "groups": layer.groups,
        "dilation": spec.dilation,
    }


@SETTINGS
@given(transposes(grouped=True))
def test_grouped_transposed_outputs_equal_torch(layer: ConvTranspose) -> None:
    spec = layer.spec
    rng = np.random.default_rng(len(repr(layer)))
    x = random_integers(rng, layer.input_shape)
    w = random_integers(rng, layer.kernel_symbols.shape)
    b = random_integers(rng, (spec.c_out,)) if spec.bias else None
    scatter = F.conv_transpose1d if spec.ndim == 1 else F.conv_transpose2d
    expected = scatter(
        tensor(x, (1, *layer.input_shape)),
        tensor(w, tuple(map(int, layer.kernel_symbols.shape))),
        None if b is None else tensor(b, (spec.c_out,)),
        **_torch_options(layer),
    )[0]
    assert tuple(expected.shape) == layer.output_shape
    values = {**values_of(layer.input_symbols, x), **values_of(layer.kernel_symbols, w)}
    if b is not None:
        values.update(values_of(layer.bias_symbols, b))
    got = substitute(layer.output(), values).astype(np.int64)
    assert np.array_equal(got, expected.detach().numpy().astype(np.int64))
    linear = expected if b is None else expected - tensor(b, (spec.c_out, *(1,) * spec.ndim))
    product = layer.matrix().xreplace(values) * sympy.Matrix(x.ravel().tolist())
    assert [int(v) for v in product] == linear.numpy().astype(np.int64).ravel().tolist()


@SETTINGS
@given(transposes(grouped=True))
def test_grouped_transposed_counts_are_the_modules(layer: ConvTranspose) -> None:
    spec = layer.spec
    module = (torch.nn.ConvTranspose1d if spec.ndim == 1 else torch.nn.ConvTranspose2d)(
        spec.c_in, spec.c_out, spec.kernel_size, bias=spec.bias, **_torch_options(layer)
    )
    assert layer.weight_count == sum(p.numel() for p in module.parameters())
    assert layer.kernel_symbols.shape == tuple(module.weight.shape)
    assert layer.output_shape == tuple(
        module.to("meta")(torch.empty(1, *layer.input_shape, device="meta")).shape[1:]
    )
    assert layer.flops == 2 * layer.macs == _flops(module, layer.input_shape)


def _vgg16(batch_norm: bool):
    nn = torch.nn
    layers: list[Any] = []
    channels = 3
    for item in VGG16:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
            continue
        layers.append(nn.Conv2d(channels, item, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU())
        channels = item
    return nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(512 * 7 * 7, 4096),
        nn.ReLU(),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Linear(4096, 1000),
    )


def _mobilenet_block(c_in: int, c_out: int, stride: int):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, stride=stride, padding=1, groups=c_in, bias=False),
        nn.BatchNorm2d(c_in),
        nn.ReLU(),
        nn.Conv2d(c_in, c_out, 1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


def _lenet5():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


MODULES = {
    "vgg16": lambda: _vgg16(batch_norm=False),
    "vgg16-bn": lambda: _vgg16(batch_norm=True),
    "mobilenet-block": lambda: _mobilenet_block(32, 64, 1),
    "mobilenet-block-stride-2": lambda: _mobilenet_block(64, 128, 2),
    "lenet5": _lenet5,
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_networks_match_torch(name: str) -> None:
    from symconv import stack as nn

    shape, layers, _ = NETWORKS[name]
    stack = nn.Stack(shape, layers)
    module = MODULES[name]()
    assert stack.weight_count == sum(p.numel() for p in module.parameters())
    assert 2 * stack.macs == _flops(module, shape)
    assert stack.output_shape == tuple(
        module.to("meta")(torch.empty(1, *shape, device="meta")).shape[1:]
    )
    assert math.prod(stack.output_shape) > 0


def test_a_stack_of_grouped_transposes_matches_torch() -> None:
    from symconv import stack as nn

    nn_ = torch.nn
    shape = (8, 5, 5)
    stack = nn.Stack(
        shape,
        [
            nn.conv_transpose(4, out_channels=12, stride=2, padding=1, groups=4, bias=True),
            nn.relu(),
            nn.conv_transpose(3, out_channels=6, stride=2, output_padding=1, groups=6),
        ],
    )
    module = nn_.Sequential(
        nn_.ConvTranspose2d(8, 12, 4, stride=2, padding=1, groups=4),
        nn_.ReLU(),
        nn_.ConvTranspose2d(12, 6, 3, stride=2, output_padding=1, groups=6, bias=False),
    )
    assert stack.weight_count == sum(p.numel() for p in module.parameters())
    assert 2 * stack.macs == _flops(module, shape)
    assert stack.output_shape == tuple(
        module.to("meta")(torch.empty(1, *shape, device="meta")).shape[1:]
    )
