"""Branches, per-axis windows and symbolic sizes through a stack, against PyTorch.

Each test builds a network twice: with ``symconv.stack``'s layers, and as the
PyTorch module a reader of the same description would write (``Conv2d``,
``MaxPool2d(ceil_mode=...)``, ``AdaptiveAvgPool2d``, a sum for a residual add,
``torch.cat`` for a concat). PyTorch then gives the oracle's shapes, weights
(``sum(p.numel())``), multiply-adds (half of ``FlopCounterMode``'s total) and,
by backpropagating one output of an all-positive network, its receptive field.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sympy import Symbol

from symconv import SymconvError
from symconv import stack as nn

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.torch,
    # PyTorch pads a copy for "same" with even kernels; the sizes are what is compared.
    pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"),
]

H = Symbol("H", positive=True, integer=True)
W = Symbol("W")  # not declared whole: the stack treats it as one all the same


class Residual(torch.nn.Module):
    def __init__(self, main, shortcut):
        super().__init__()
        self.main, self.shortcut = main, shortcut

    def forward(self, x):
        return self.main(x) + (x if self.shortcut is None else self.shortcut(x))


class Concat(torch.nn.Module):
    def __init__(self, branches):
        super().__init__()
        self.branches = torch.nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class Gate(torch.nn.Module):
    def __init__(self, scales):
        super().__init__()
        self.scales = scales

    def forward(self, x):
        return x * self.scales(x)


class Split(torch.nn.Module):
    def __init__(self, parts):
        super().__init__()
        self.parts = parts

    def forward(self, x):
        return x.chunk(self.parts, dim=1)[-1]


def torch_of(layers, channels: int):
    """The PyTorch module of a list of stack layers, and its output channels."""
    modules = []
    for layer in layers:
        if isinstance(layer, nn.Residual):
            main, out = torch_of(layer.layers, channels)
            shortcut = None if layer.shortcut is None else torch_of(layer.shortcut, channels)[0]
            modules.append(Residual(main, shortcut))
            channels = out
        elif isinstance(layer, nn.Gate):
            modules.append(Gate(torch_of(layer.layers, channels)[0]))
        elif isinstance(layer, nn.Upsample):
            modules.append(
                torch.nn.Upsample(
                    size=layer.size,
                    scale_factor=layer.scale_factor,
                    mode=layer.mode,
                    align_corners=layer.align_corners if "linear" in layer.mode else None,
                )
            )
        elif isinstance(layer, nn.Norm) and layer.kind == "group":
            modules.append(torch.nn.GroupNorm(layer.groups, channels, affine=layer.affine))
        elif isinstance(layer, nn.Norm) and layer.kind == "instance":
            modules.append(torch.nn.InstanceNorm2d(channels, affine=layer.affine))
        elif isinstance(layer, nn.PReLU):
            modules.append(torch.nn.PReLU(layer.num_parameters))
        elif isinstance(layer, nn.Concat):
            built = [torch_of(branch, channels) for branch in layer.branches]
            modules.append(Concat([m for m, _ in built]))
            channels = sum(c for _, c in built)
        elif isinstance(layer, nn.ConvLayer):
            out = layer.out_channels or channels
            padding = layer.padding
            if isinstance(padding, tuple) and isinstance(padding[0], tuple):
                # PyTorch pads per side with ZeroPad2d: (left, right, top, bottom).
                (top, bottom), (left, right) = padding
                modules.append(torch.nn.ZeroPad2d((left, right, top, bottom)))
                padding = 0
            modules.append(
                torch.nn.Conv2d(
                    channels,
                    out,
                    layer.kernel,
                    stride=layer.stride,
                    padding=padding,
                    dilation=layer.dilation,
                    groups=layer.groups,
                    bias=layer.bias,
                    padding_mode=layer.padding_mode,
                )
            )
            channels = out
        elif isinstance(layer, nn.PoolLayer):
            kind = torch.nn.MaxPool2d if layer.mode == "max" else torch.nn.AvgPool2d
            extra = {"dilation": layer.dilation} if layer.mode == "max" else {}
            modules.append(
                kind(layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode, **extra)
            )
        elif isinstance(layer, nn.AdaptivePoolLayer):
            modules.append(torch.nn.AdaptiveAvgPool2d(layer.output_size))
        elif isinstance(layer, nn.Activation) and layer.name == "sigmoid":
            modules.append(torch.nn.Sigmoid())
        elif isinstance(layer, nn.ChannelSplit):
            modules.append(Split(layer.parts))
            channels //= layer.parts
        elif isinstance(layer, nn.BatchNorm):
            modules.append(torch.nn.BatchNorm2d(channels))
        elif isinstance(layer, nn.Activation | nn.ChannelShuffle):
            modules.append(torch.nn.Identity())
        else:  # pragma: no cover - the strategies below make no other layer
            raise AssertionError(layer)
    return torch.nn.Sequential(*modules), channels


def torch_counts(module, shape):
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module(torch.zeros(1, *shape))
    weights = sum(p.numel() for p in module.parameters())
    return tuple(out.shape[1:]), weights, counter.get_total_flops() // 2


sides = st.integers(1, 3)
kernels = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))


@st.composite
def windows(draw, *, keep_size: bool):
    """A convolution or pooling; ``keep_size`` ones keep the spatial sizes (stride 1, 'same')."""
    if keep_size:
        kernel = draw(kernels)
        return nn.conv(
            kernel, out_channels=draw(st.sampled_from([2, 4])), padding="same",
            dilation=draw(st.integers(1, 2)), bias=draw(st.booleans()),
        )  # fmt: skip
    kind = draw(st.sampled_from(["conv", "pairs", "pool", "avg"]))
    if kind == "conv":
        kernel = draw(kernels)
        return nn.conv(
            kernel, out_channels=draw(st.sampled_from([2, 4])), stride=draw(st.integers(1, 2)),
            padding=draw(st.integers(0, 1)), dilation=draw(st.integers(1, 2)),
            padding_mode=draw(st.sampled_from(["zeros", "circular", "reflect", "replicate"])),
        )  # fmt: skip
    if kind == "pairs":
        pads = draw(st.tuples(st.tuples(sides, st.integers(0, 2)), st.tuples(sides, sides)))
        return nn.conv(draw(kernels), out_channels=2, padding=pads, stride=draw(st.integers(1, 2)))
    kernel = draw(st.integers(2, 3))
    return nn.pool(
        kernel, stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, kernel // 2)),
        mode="max" if kind == "pool" else "avg", ceil_mode=draw(st.booleans()),
    )  # fmt: skip


@st.composite
def blocks(draw):
    """A residual block (identity or projection), a concat, or a ShuffleNet-style unit."""
    kind = draw(st.sampled_from(["residual", "projection", "concat", "shuffle"]))
    body = draw(st.lists(windows(keep_size=True), min_size=1, max_size=2))
    if kind == "residual":
        return nn.residual(*body, nn.conv(1, out_channels=4), nn.relu())
    if kind == "projection":
        stride = draw(st.integers(1, 2))
        main = [nn.conv(3, out_channels=6, stride=stride, padding=1), nn.batchnorm(), *body]
        main.append(nn.conv(1, out_channels=4))
        return nn.residual(*main, shortcut=[nn.conv(1, out_channels=4, stride=stride)])
    if kind == "concat":
        return nn.concat([], body, [nn.pool(3, stride=1, padding=1), nn.conv(1, out_channels=2)])
    return nn.concat([nn.channel_split(2)], [nn.channel_split(2), *body])


@st.composite
def networks(draw):
    layers = [nn.conv(3, out_channels=4, padding=1)]
    for _ in range(draw(st.integers(1, 3))):
        layers.append(draw(st.one_of(blocks(), windows(keep_size=False))))
        if not isinstance(layers[-1], nn.Residual):  # back to 4 channels for the shuffle
            layers.append(nn.conv(1, out_channels=4))
        layers.append(nn.channel_shuffle(2))
    if draw(st.booleans()):
        layers.append(nn.adaptive_pool(draw(st.sampled_from([1, 2, (2, 3)]))))
    return layers


@given(networks(), st.integers(9, 30), st.integers(9, 30))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_branchy_networks_count_as_pytorch_runs_them(layers, height, width) -> None:
    try:
        stack = nn.Stack((3, height, width), layers)
    except SymconvError:
        assume(False)
    module, _ = torch_of(layers, 3)
    shape, weights, macs = torch_counts(module, (3, height, width))
    assert stack.output_shape == shape
    assert stack.weight_count == weights
    assert stack.macs == macs


@given(networks(), st.integers(9, 40), st.integers(9, 40))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_symbolic_sizes_are_the_numeric_stack_at_every_size(layers, height, width) -> None:
    try:
        numeric = nn.Stack((3, height, width), layers)
    except SymconvError:
        assume(False)
    try:
        symbolic = nn.Stack((3, H, W), layers)
    except SymconvError as error:
        # A concat or add whose paths agree only at some sizes must say so.
        assert "only at some sizes" in str(error) or "ceil_mode" in str(error)
        event("refused with symbols")
        return
    at = {H: height, W: width}
    assert len(symbolic.rows) == len(numeric.rows)
    for formula, row in zip(symbolic.rows, numeric.rows, strict=True):
        assert tuple(n.subs(at) if hasattr(n, "subs") else n for n in formula.shape) == row.shape
        assert formula.path == row.path
    assert symbolic.macs.subs(at) == numeric.macs
    assert symbolic.weight_count == numeric.weight_count


def test_resnet_sizes_read_as_a_person_writes_them() -> None:
    stem = [nn.conv(7, out_channels=64, stride=2, padding=3), nn.pool(3, stride=2, padding=1)]
    down = nn.residual(
        nn.conv(3, out_channels=128, stride=2, padding=1),
        nn.conv(3, out_channels=128, padding=1),
        shortcut=[nn.conv(1, out_channels=128, stride=2)],
    )
    stack = nn.Stack((3, H, W), [*stem, down])
    quarter = nn.Stack((1, H), [nn.pool(2), nn.pool(2)]).output_shape[1]
    assert [row.shape[1] for row in stack.rows[1:3]] == [
        nn.Stack((1, H), [layer]).output_shape[1] for layer in [stem[0]]
    ] + [stack.rows[2].shape[1]]
    # Roundings fold into one: the printed formulas are those of one division.
    assert str(stack.rows[1].shape[1]) == "ceiling(H/2)"
    assert str(stack.rows[2].shape[1]) == "ceiling(H/4)"
    assert str(stack.output_shape[1]) == "ceiling(H/8)"
    assert str(stack.output_shape[2]) == "ceiling(W/8)"
    assert str(quarter) == "floor(H/4)"


def _field_by_gradient(layers, size: int):
    """Extent (rows, columns) of the inputs one central output position depends on."""
    module, _ = torch_of(layers, 1)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(1.0)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = module(x)
    centre = (y.shape[2] // 2, y.shape[3] // 2)
    # Every channel at that position: a concat's channels come from different paths.
    y[0, :, centre[0], centre[1]].sum().backward()
    seen = (x.grad[0, 0] != 0).nonzero()
    extent = (seen.max(0).values - seen.min(0).values + 1).tolist()
    return tuple(extent), y.shape[2:]


@pytest.mark.parametrize(
    "layers",
    [
        [nn.residual(nn.conv(3, padding=1), nn.conv(3, padding=1))],
        [nn.residual(nn.conv(3, padding=1), shortcut=[nn.conv((1, 5), padding=(0, 2))])],
        [
            nn.concat(
                [nn.conv(1)], [nn.conv(5, padding=2)], [nn.pool(3, stride=1, padding=1, mode="avg")]
            )
        ],
        [nn.conv(3, stride=2), nn.concat([], [nn.conv((3, 1), dilation=2, padding=(2, 0))])],
        [
            nn.conv(3, padding=1),
            nn.residual(nn.conv(3, stride=2, padding=1), shortcut=[nn.conv(1, stride=2)]),
            nn.concat([nn.conv(3, padding=1)], [nn.conv(1)]),
        ],
    ],
    ids=["identity", "projection", "inception", "dilated", "mixed"],
)
def test_receptive_field_over_every_path_is_what_a_gradient_reaches(layers) -> None:
    size = 41
    stack = nn.Stack((1, size, size), layers)
    extent, out = _field_by_gradient(layers, size)
    assert tuple(stack.output_shape[1:]) == tuple(out)
    assert tuple(field[0] for field in stack.rows[-1].receptive_fields) == extent
    assert stack.rows[-1].receptive_field == stack.rows[-1].receptive_fields[0]


def test_shapes_that_disagree_at_an_add_name_the_block_and_both_shapes() -> None:
    layers = [nn.conv(3), nn.residual(nn.conv(3, out_channels=8), path="layer1.0")]
    with pytest.raises(SymconvError) as caught:
        nn.Stack((4, 16, 16), layers)
    message = str(caught.value)
    good = nn.Stack((4, 16, 16), layers[:1]).output_shape
    bad = nn.Stack((4, 16, 16), [layers[0], *layers[1].layers]).output_shape
    assert "block layer1.0 (residual)" in message
    assert " x ".join(map(str, good)) in message and " x ".join(map(str, bad)) in message


def test_a_concat_of_branches_of_different_sizes_names_them() -> None:
    with pytest.raises(
        SymconvError,
        match=r"block 1 \(concat\): branch 1 gives 2 x 8 x 8 but branch 2 gives 2 x 6 x 6",
    ):
        nn.Stack((2, 8, 8), [nn.concat([], [nn.conv(3)])])


def test_symbolic_branches_that_agree_only_at_some_sizes_say_how_to_make_them_agree() -> None:
    h = Symbol("h", positive=True, integer=True)
    unet = [nn.concat([], [nn.pool(2), nn.conv_transpose(2, stride=2)])]
    with pytest.raises(SymconvError, match="only at some sizes"):
        nn.Stack((1, H, H), unet)
    assert nn.Stack((1, 2 * h, 2 * h), unet).output_shape == (2, 2 * h, 2 * h)


def test_paths_name_where_each_row_sits() -> None:
    stack = nn.Stack(
        (4, 8, 8),
        [
            nn.conv(3, padding=1),
            nn.residual(nn.conv(3, padding=1), shortcut=[nn.conv(1)]),
            nn.concat([nn.conv(1, path="stem.a")], []),
        ],
    )
    assert [row.path for row in stack.rows] == ["", "1", "2.1", "2.shortcut.1", "2", "stem.a", "3"]
    assert [row.name for row in stack.rows][-3:] == ["add", "conv 1", "concat"]
    assert stack.table().splitlines()[0].split()[:2] == ["path", "layer"]


def test_layer_errors_carry_the_parameter() -> None:
    with pytest.raises(SymconvError) as caught:
        nn.conv(3, stride=0)
    assert caught.value.parameter == "stride"
    with pytest.raises(SymconvError) as caught:
        nn.Stack((3, 8, 8), [nn.conv((3, 3, 3))])
    assert caught.value.parameter == "kernel"
    assert "layer 1" in str(caught.value)
    with pytest.raises(SymconvError) as caught:
        nn.conv(3, padding="half")
    assert caught.value.parameter == "padding"


@given(st.integers(1, 40), st.integers(1, 12))
@settings(max_examples=60, deadline=None)
def test_adaptive_pooling_sees_its_widest_window(size: int, out: int) -> None:
    """The field of adaptive pooling: the widest of PyTorch's windows, by autograd."""
    assume(out <= size)
    x = torch.ones(1, 1, size, requires_grad=True)
    y = torch.nn.functional.adaptive_avg_pool1d(x, out)
    widths = []
    for i in range(out):
        (grad,) = torch.autograd.grad(y[0, 0, i], x, retain_graph=True)
        seen = grad[0, 0].nonzero().flatten()
        widths.append(int(seen.max() - seen.min() + 1))
    field = nn.Stack((1, size), [nn.adaptive_pool(out)]).rows[-1].receptive_field
    assert field[0] == max(widths)
    first = torch.autograd.grad(y[0, 0, 0], x, retain_graph=True)[0][0, 0].nonzero().flatten()
    assert Fraction(str(field[2])) == Fraction(int(first.min()) + int(first.max()), 2)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_pad_as_pytorch_does(mode: str) -> None:
    layers = [nn.conv(3, out_channels=4, padding=2, padding_mode=mode), nn.conv(3, stride=2)]
    for size in (2, 4, 9):
        try:
            stack = nn.Stack((3, size, size + 1), layers)
        except SymconvError as error:
            with pytest.raises(RuntimeError):  # PyTorch refuses it too
                torch_counts(torch_of(layers, 3)[0], (3, size, size + 1))
            assert error.parameter == "padding"
            continue
        shape, weights, macs = torch_counts(torch_of(layers, 3)[0], (3, size, size + 1))
        assert (stack.output_shape, stack.weight_count, stack.macs) == (shape, weights, macs)
        assert stack.rows[1].name.endswith(mode)


# ------------------------------------------- gates, upsampling, norms with weights


def squeeze_excitation(channels: int, squeezed: int) -> nn.Gate:
    return nn.gate(
        nn.adaptive_pool(1),
        nn.conv(1, out_channels=squeezed, bias=True),
        nn.relu(),
        nn.conv(1, out_channels=channels, bias=True),
        nn.activation("sigmoid"),
    )


GATED = {
    "squeeze-excitation": [
        nn.conv(3, out_channels=8, stride=2, padding=1),
        squeeze_excitation(8, 2),
    ],
    "spatial-attention": [
        nn.conv(3, out_channels=4, padding=1),
        nn.gate(nn.conv(7, out_channels=1, padding=3), nn.activation("sigmoid")),
    ],
    "upsample-and-norms": [
        nn.conv(3, out_channels=8, stride=2),
        nn.groupnorm(4),
        nn.prelu(8),
        nn.upsample(2),
        nn.instancenorm(affine=True),
        nn.prelu(),
        nn.upsample((1.5, 2.5), mode="bilinear"),
        nn.groupnorm(1, affine=False),
        nn.upsample(size=(9, 20), mode="nearest-exact"),
        nn.instancenorm(),
    ],
    "unet-level": [
        nn.conv(3, out_channels=4, padding=1),
        nn.concat(
            [],
            [
                nn.pool(2),
                nn.conv(3, out_channels=8, padding=1),
                nn.upsample(2, mode="bilinear", align_corners=True),
            ],
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(GATED))
@pytest.mark.parametrize("size", [(16, 16), (17, 23), (9, 12)])
def test_gates_upsampling_and_norms_count_as_pytorch_runs_them(name, size) -> None:
    layers = GATED[name]
    try:
        stack = nn.Stack((3, *size), layers)
    except SymconvError as error:  # an odd size cannot come back up to its skip
        assert "concat" in str(error)
        with pytest.raises(RuntimeError):
            torch_counts(torch_of(layers, 3)[0], (3, *size))
        return
    shape, weights, macs = torch_counts(torch_of(layers, 3)[0], (3, *size))
    assert (stack.output_shape, stack.weight_count, stack.macs) == (shape, weights, macs)
    symbolic = nn.Stack((3, H, W), layers) if name != "unet-level" else None
    if symbolic is not None:
        at = {H: size[0], W: size[1]}
        assert [tuple(nn_subs(n, at) for n in row.shape) for row in symbolic.rows] == [
            row.shape for row in stack.rows
        ]
        assert nn_subs(symbolic.macs, at) == stack.macs
        assert nn_subs(symbolic.weight_count, at) == stack.weight_count


def nn_subs(value, at):
    return value.subs(at) if hasattr(value, "subs") else value


@given(
    st.integers(2, 30),
    st.sampled_from([2, 3, 0.5, 1.5, 2.5]),
    st.sampled_from(["nearest", "nearest-exact", "bilinear"]),
)
@settings(max_examples=60, deadline=None)
def test_upsampled_sizes_are_pytorchs(size: int, scale, mode: str) -> None:
    layers = [nn.upsample(scale, mode=mode)]
    try:
        stack = nn.Stack((1, size, size + 1), layers)
    except SymconvError:
        with pytest.raises(RuntimeError):
            torch_counts(torch_of(layers, 1)[0], (1, size, size + 1))
        return
    assert stack.output_shape == torch_counts(torch_of(layers, 1)[0], (1, size, size + 1))[0]
    assert (stack.weight_count, stack.macs) == (0, 0)
    if isinstance(scale, int):  # a whole factor multiplies the formula
        assert nn.Stack((1, H, W), layers).output_shape == (1, scale * H, scale * W)


def _reads(y, x, index):
    """The input positions (first axis) output ``index`` (first axis) reads, by autograd."""
    (grad,) = torch.autograd.grad(y[0, 0, index].sum(), x, retain_graph=True)
    return grad[0, 0].abs().sum(dim=-1).nonzero().flatten().tolist()


@pytest.mark.parametrize(
    ("mode", "scale", "corners"),
    [
        ("nearest", 2, False),
        ("nearest", 3, False),
        ("nearest", 1.5, False),
        ("nearest-exact", 2.5, False),
        ("bilinear", 2, False),
        ("bilinear", 3, False),
        ("bilinear", 2.5, False),
        ("bilinear", 0.5, False),
        ("bilinear", 2, True),
    ],
)
def test_upsampled_receptive_field_is_what_a_gradient_reaches(mode, scale, corners) -> None:
    """Size: the most inputs one output reads; jump: how far outputs move per output,
    over a whole period of the scale; start: the centre of what output 0 reads."""
    size = 12
    layers = [nn.upsample(scale, mode=mode, align_corners=corners)]
    field = nn.Stack((1, size, size), layers).rows[-1].receptive_field
    module = torch_of(layers, 1)[0]
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = module(x)
    reads = [_reads(y, x, i) for i in range(y.shape[2])]
    assert field[0] == max(r[-1] - r[0] + 1 for r in reads)
    assert Fraction(str(field[2])) == Fraction(reads[0][0] + reads[0][-1], 2)
    centres = [Fraction(r[0] + r[-1], 2) for r in reads]
    if corners:  # the corner outputs are the corner inputs, evenly between
        period, middle = len(centres) - 1, 0
    else:
        period = Fraction(str(scale)).limit_denominator(10).numerator
        middle = len(centres) // 2 - period
    assert Fraction(str(field[1])) == (centres[middle + period] - centres[middle]) / period


@pytest.mark.parametrize("name", ["squeeze-excitation", "spatial-attention"])
def test_a_gate_sees_its_input_and_what_its_layers_see(name) -> None:
    # one channel, the gradient's input; no sigmoid, which all-one weights saturate
    inner = (
        [nn.adaptive_pool(1), nn.conv(1), nn.relu(), nn.conv(1)]
        if name == "squeeze-excitation"
        else [nn.conv(7, out_channels=1, padding=3)]
    )
    layers = [nn.conv(3, out_channels=1), nn.gate(*inner)]
    size = 21
    stack = nn.Stack((1, size, size), layers)
    extent, out = _field_by_gradient(layers, size)
    assert tuple(stack.output_shape[1:]) == tuple(out)
    assert tuple(field[0] for field in stack.rows[-1].receptive_fields) == extent
    if name == "squeeze-excitation":
        assert extent == (size, size)  # after a global pool, the whole input


def test_a_gate_whose_scales_do_not_spread_over_its_input_names_both_shapes() -> None:
    layers = [nn.gate(nn.adaptive_pool(2), nn.conv(1, out_channels=2), path="features.1.se")]
    with pytest.raises(SymconvError) as caught:
        nn.Stack((4, 8, 8), layers)
    message = str(caught.value)
    assert "block features.1.se (gate)" in message
    assert "4 x 8 x 8" in message and "2 x 2 x 2" in message


def test_layernorm_counts_a_scale_and_shift_per_normalised_value() -> None:
    for axes, bias in [(None, True), (2, True), (1, False)]:
        stack = nn.Stack((4, 6, 5), [nn.layernorm(axes, bias=bias)])
        sizes = (4, 6, 5)[-(axes or 3) :]
        module = torch.nn.LayerNorm(list(sizes), bias=bias)
        assert stack.weight_count == sum(p.numel() for p in module.parameters())
        assert stack.bias_count == (module.bias.numel() if bias else 0)
    with pytest.raises(SymconvError, match="axes=4"):
        nn.Stack((4, 6, 5), [nn.layernorm(4)])


def test_new_layers_refuse_what_pytorch_refuses() -> None:
    with pytest.raises(SymconvError, match="groups=3 must divide"):
        nn.Stack((4, 6, 6), [nn.groupnorm(3)])
    with pytest.raises(SymconvError, match="num_parameters=3 must be 1 or"):
        nn.Stack((4, 6, 6), [nn.prelu(3)])
    with pytest.raises(SymconvError, match="either scale_factor or size"):
        nn.upsample()
    with pytest.raises(SymconvError, match="mode='bilinear' works on 2"):
        nn.Stack((4, 6), [nn.upsample(2, mode="bilinear")])
    with pytest.raises(SymconvError, match="align_corners"):
        nn.upsample(2, align_corners=True)


@pytest.mark.parametrize("out", [1, 2, 3, 7])
def test_adaptive_pooling_fields_as_formulas_are_the_numeric_ones(out: int) -> None:
    symbolic = nn.Stack((1, H), [nn.adaptive_pool(out)]).rows[-1].receptive_field
    for size in range(out, 50):
        numeric = nn.Stack((1, size), [nn.adaptive_pool(out)]).rows[-1].receptive_field
        assert tuple(v.subs(H, size) for v in symbolic) == numeric


@pytest.mark.parametrize("scale", [2, 3, 0.5, 1.5, 2.5, 0.25])
def test_upsampling_by_a_binary_fraction_is_exact_at_every_size(scale: float) -> None:
    formula = nn.Stack((1, H), [nn.upsample(scale)]).output_shape[1]
    for size in range(4, 80):
        x = torch.zeros(1, 1, size)
        expected = torch.nn.functional.interpolate(x, scale_factor=scale).shape[-1]
        assert (
            formula.subs(H, size)
            == expected
            == nn.Stack((1, size), [nn.upsample(scale)]).output_shape[1]
        )


@pytest.mark.parametrize("scale", [1 / 3, 0.7, 2.3])
def test_upsampling_by_a_scale_that_rounds_needs_numbers(scale: float) -> None:
    with pytest.raises(SymconvError, match="floating-point rounding") as caught:
        nn.Stack((1, H), [nn.upsample(scale)])
    assert caught.value.parameter == "scale_factor"


def test_a_transposed_convolution_refuses_output_padding_pytorch_refuses() -> None:
    with pytest.raises(SymconvError, match="smaller than the stride or the dilation") as caught:
        nn.conv_transpose(3, stride=2, output_padding=2)
    assert caught.value.parameter == "output_padding"
    with pytest.raises(RuntimeError):
        torch.nn.ConvTranspose1d(1, 1, 3, stride=2, output_padding=2)(torch.zeros(1, 1, 5))


@pytest.mark.parametrize(
    "size",
    [-Symbol("h"), Symbol("h") / 2, Symbol("h") - 1, Symbol("H", integer=False)],
    ids=["negative", "half", "zero at h = 1", "declared not whole"],
)
def test_a_symbolic_size_must_be_whole_from_one(size) -> None:
    with pytest.raises(SymconvError) as caught:
        nn.Stack((1, size), [nn.conv(1)])
    assert caught.value.parameter == "input_shape"


def test_a_stack_of_no_layers_or_of_text_is_refused_in_words() -> None:
    for layers, words in [(None, "list of layers"), (["conv"], "layers of a stack")]:
        with pytest.raises(SymconvError, match=words):
            nn.Stack((1, 9), layers)
    with pytest.raises(SymconvError, match="got one layer, conv 1: put it in a list"):
        nn.residual(nn.conv(3), shortcut=nn.conv(1))
