"""Property tests of ``symconv.Conv`` against an independent numeric oracle.

The oracle at the top of this file knows nothing about symconv's internals. It
resolves padding from the rules written in the public contract (docs/api.md), pads
the input explicitly with ``numpy.pad`` (``"constant"`` for zeros, ``"wrap"``
for circular) and slides the (dilated, strided, possibly flipped, possibly
per-position) kernel over it. Random integers are substituted for the symbols
of ``Conv.matrix()``, ``Conv.output()`` and ``Conv.output_element()`` and the
results must agree exactly. SciPy and NumPy provide a second opinion where
their conventions are the ones the contract promises to match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numeric_oracle import oracle_axis_padding, oracle_output_length, span

import symconv
from symconv import Conv, SymconvError

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MANY = settings(SETTINGS, max_examples=300)

NAMED_PADDINGS = ("valid", "same", "full")


# --------------------------------------------------------------------------
# The oracle: padding rules and the sliding window, written from the contract
# --------------------------------------------------------------------------


def oracle_padding(
    padding: Any,
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    flip: bool,
) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)``: ``padding`` is an int, a name or one entry per axis."""
    per_axis = padding if isinstance(padding, tuple) else (padding,) * len(sizes)
    return tuple(
        oracle_axis_padding(p, *args, flip)
        for p, *args in zip(per_axis, sizes, kernel, stride, dilation, strict=True)
    )


def oracle_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, case: Case) -> np.ndarray:
    """Slide the kernel over the explicitly padded input.

    ``x`` is ``(C_in, *sizes)``; ``w`` is ``(C_out, C_in, *kernel)``, prefixed by
    the spatial output shape when not shared; ``b`` is ``(C_out,)`` when shared,
    ``(C_out, *out)`` when not, or ``None``. Returns ``(C_out, *out)``.
    """
    ndim = case.ndim
    mode = "wrap" if case.circular else "constant"
    padded = np.pad(x, [(0, 0), *case.pads], mode=mode)
    out = case.spatial_out
    y = np.zeros((case.c_out, *out), dtype=np.int64)
    for position in np.ndindex(*out):
        steps = zip(position, case.stride, case.kernel, case.dilation, strict=True)
        window = padded[
            (slice(None), *(slice(o * s, o * s + span(k, d), d) for o, s, k, d in steps))
        ]
        kernel = w if case.shared else w[position]
        if case.flip:
            kernel = kernel[(Ellipsis,) + (slice(None, None, -1),) * ndim]
        value = np.tensordot(kernel, window, axes=ndim + 1)  # (C_out,)
        if b is not None:
            value = value + (b if case.shared else b[(slice(None), *position)])
        y[(slice(None), *position)] = value
    return y


# --------------------------------------------------------------------------
# Random convolutions that the contract says are valid
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One valid convolution, the arguments to pass to Conv and the oracle's view of it."""

    sizes: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: Any  # exactly as passed to Conv
    pads: tuple[tuple[int, int], ...]  # the oracle's resolution of it
    in_channels: int | None
    out_channels: int | None
    circular: bool
    shared: bool
    flip: bool
    bias: bool
    compact: bool  # pass equal per-axis values as one int

    @property
    def ndim(self) -> int:
        return len(self.sizes)

    @property
    def has_channels(self) -> bool:
        return self.in_channels is not None or self.out_channels is not None

    @property
    def c_in(self) -> int:
        return self.in_channels or 1

    @property
    def c_out(self) -> int:
        return self.out_channels or 1

    @property
    def spatial_out(self) -> tuple[int, ...]:
        return tuple(
            oracle_output_length(*args)
            for args in zip(
                self.sizes, self.kernel, self.stride, self.dilation, self.pads, strict=True
            )
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.c_in, *self.sizes) if self.has_channels else self.sizes

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.c_out, *self.spatial_out) if self.has_channels else self.spatial_out

    @property
    def filter_shape(self) -> tuple[int, ...]:
        return (self.c_in, *self.kernel) if self.has_channels else self.kernel

    @property
    def kernel_symbols_shape(self) -> tuple[int, ...]:
        stacked = (self.c_out, *self.filter_shape) if self.has_channels else self.filter_shape
        return stacked if self.shared else (*self.spatial_out, *stacked)

    @property
    def bias_count(self) -> int:
        if not self.bias:
            return 0
        return self.c_out if self.shared else math.prod(self.output_shape)

    def _arg(self, values: tuple[int, ...]) -> int | tuple[int, ...]:
        return values[0] if self.compact and len(set(values)) == 1 else values

    def conv(self) -> Conv:
        kwargs: dict[str, Any] = {}
        if self.in_channels is not None:
            kwargs["in_channels"] = self.in_channels
        if self.out_channels is not None:
            kwargs["out_channels"] = self.out_channels
        return Conv(
            self.sizes[0] if self.compact and self.ndim == 1 else self.sizes,
            self._arg(self.kernel),
            stride=self._arg(self.stride),
            padding=self.padding,
            dilation=self._arg(self.dilation),
            padding_mode="circular" if self.circular else "zeros",
            shared=self.shared,
            flip=self.flip,
            bias=self.bias,
            **kwargs,
        )


MAX_SIZE = {1: 12, 2: 6, 3: 4}
MAX_KERNEL = {1: 5, 2: 4, 3: 3}
MAX_CHANNELS = {1: 3, 2: 2, 3: 2}
MAX_TAPS = 1500  # nonzeros of the matrix, to keep SymPy fast


def _kernel_fits(padding: Any, size, kernel, stride, dilation, flip, circular) -> bool:
    before, after = oracle_axis_padding(padding, size, kernel, stride, dilation, flip)
    if span(kernel, dilation) > size + before + after:
        return False
    return not circular or max(before, after) <= size


@st.composite
def cases(
    draw,
    ndims=(1, 2, 3),
    paddings=("int", "ints", "pairs", *NAMED_PADDINGS),
    channels: bool | None = None,
    circular: bool | None = None,
    shared: bool | None = None,
    flip: bool | None = None,
    bias: bool | None = None,
) -> Case:
    """A valid convolution; keyword arguments pin a feature, ``None`` draws it."""
    ndim = draw(st.sampled_from(ndims))
    sizes = tuple(draw(st.integers(1, MAX_SIZE[ndim])) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    circular = draw(st.booleans()) if circular is None else circular
    flip = draw(st.booleans()) if flip is None else flip

    kind = draw(st.sampled_from(paddings))
    limit = min(sizes) if circular else 3  # circular: each side at most the input size
    amount = st.integers(0, min(limit, 3))
    if kind == "int":
        padding: Any = draw(amount)
        per_axis: tuple[Any, ...] = (padding,) * ndim
    elif kind == "ints":
        padding = per_axis = tuple(draw(amount) for _ in range(ndim))
    elif kind == "pairs":
        padding = per_axis = tuple((draw(amount), draw(amount)) for _ in range(ndim))
    else:
        padding = kind
        per_axis = (kind,) * ndim

    kernel = []
    for axis in range(ndim):
        fitting = [
            k
            for k in range(1, MAX_KERNEL[ndim] + 1)
            if _kernel_fits(
                per_axis[axis], sizes[axis], k, stride[axis], dilation[axis], flip, circular
            )
        ]
        kernel.append(draw(st.sampled_from(fitting)))  # K = 1 always fits
    kernel_t = tuple(kernel)

    if channels is None:
        channels = draw(st.booleans())
    in_channels = out_channels = None
    if channels:
        counts = st.none() | st.integers(1, MAX_CHANNELS[ndim])
        in_channels, out_channels = draw(counts), draw(counts)
        if in_channels is None and out_channels is None:
            in_channels = 1

    case = Case(
        sizes=sizes,
        kernel=kernel_t,
        stride=stride,
        dilation=dilation,
        padding=padding,
        pads=oracle_padding(padding, sizes, kernel_t, stride, dilation, flip),
        in_channels=in_channels,
        out_channels=out_channels,
        circular=circular,
        shared=draw(st.booleans()) if shared is None else shared,
        flip=flip,
        bias=draw(st.booleans()) if bias is None else bias,
        compact=draw(st.booleans()),
    )
    taps = case.c_out * case.c_in * math.prod(case.spatial_out) * math.prod(kernel_t)
    assume(taps <= MAX_TAPS)
    return case


seeds = st.integers(0, 2**32 - 1)


@st.composite
def sizes_and_kernel(draw, ndim: int, max_size: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Input sizes and a kernel no larger than the input on any axis (where SciPy's
    modes keep the input's role; larger kernels make SciPy swap the operands)."""
    sizes = tuple(draw(st.integers(1, max_size)) for _ in range(ndim))
    return sizes, tuple(draw(st.integers(1, min(size, 4))) for size in sizes)


# --------------------------------------------------------------------------
# From symbols to numbers
# --------------------------------------------------------------------------


def flat(array: sympy.Array) -> list[sympy.Expr]:
    """The entries of a SymPy Array in row-major order."""
    return [array[index] for index in np.ndindex(*array.shape)]


@dataclass
class Values:
    """Random integers for every symbol of a Conv, in the oracle's layout and as a mapping."""

    x: np.ndarray  # (C_in, *sizes)
    w: np.ndarray  # oracle layout
    b: np.ndarray | None  # oracle layout
    mapping: dict[sympy.Symbol, sympy.Integer]


def assign(array: sympy.Array, values: np.ndarray | list[int]) -> dict:
    """Map the symbols of ``array`` (row-major) to the integers ``values`` (same layout)."""
    numbers = np.asarray(values).ravel().tolist()
    return {s: sympy.Integer(v) for s, v in zip(flat(array), numbers, strict=True)}


def random_values(conv: Conv, case: Case, seed: int) -> Values:
    """Draw integers in the contract's symbol layout and reshape them for the oracle."""
    assert tuple(conv.input_symbols.shape) == case.input_shape
    assert tuple(conv.kernel_symbols.shape) == case.kernel_symbols_shape
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=case.input_shape)
    w = rng.integers(-5, 6, size=case.kernel_symbols_shape)
    mapping = {**assign(conv.input_symbols, x), **assign(conv.kernel_symbols, w)}
    stacked = (case.c_out, case.c_in, *case.kernel)
    w_oracle = w.reshape(stacked if case.shared else (*case.spatial_out, *stacked))
    b_oracle = None
    if case.bias:
        biases = flat(conv.bias_symbols)
        assert len(biases) == case.bias_count
        b = rng.integers(-5, 6, size=len(biases))
        mapping.update(assign(conv.bias_symbols, b))
        b_oracle = b.reshape((case.c_out,) if case.shared else (case.c_out, *case.spatial_out))
    assert len(mapping) == x.size + w.size + case.bias_count, "symbols must be distinct"
    return Values(x.reshape(case.c_in, *case.sizes), w_oracle, b_oracle, mapping)


def evaluate(expr: sympy.Expr, mapping: dict) -> int:
    """Substitute integers for every symbol; the result must be an integer."""
    value = sympy.sympify(expr).xreplace(mapping)
    assert value.is_Integer, f"{expr} still has symbols after substitution: {value}"
    return int(value)


def numeric_matrix(matrix: sympy.SparseMatrix, mapping: dict) -> np.ndarray:
    """The convolution matrix with numbers for the kernel symbols."""
    result = np.zeros(matrix.shape, dtype=np.int64)
    for (row, column), entry in matrix.todok().items():
        result[row, column] = evaluate(entry, mapping)
    return result


def numeric_output(conv: Conv, mapping: dict) -> np.ndarray:
    """output() with numbers for every symbol, shaped as output_shape."""
    values = [evaluate(e, mapping) for e in flat(conv.output())]
    return np.array(values, dtype=np.int64).reshape(conv.output_shape)


def output_index(case: Case, data) -> tuple[int, ...]:
    """A random index into ``output_shape``, negative entries included."""
    return tuple(data.draw(st.integers(-n, n - 1), label="index") for n in case.output_shape)


# --------------------------------------------------------------------------
# Numeric agreement with the oracle
# --------------------------------------------------------------------------


@MANY
@given(cases(), seeds)
def test_matrix_times_input_matches_oracle(case: Case, seed: int) -> None:
    """matrix() has shape (prod(output_shape), prod(input_shape)) and, with random
    integer kernels, M @ x.ravel() equals the oracle's convolution (no bias)."""
    conv = case.conv()
    values = random_values(conv, case, seed)
    matrix = conv.matrix()
    assert matrix.shape == (math.prod(case.output_shape), math.prod(case.input_shape))
    expected = oracle_conv(values.x, values.w, None, case)
    got = numeric_matrix(matrix, values.mapping) @ values.x.ravel()
    np.testing.assert_array_equal(got, expected.ravel())


@MANY
@given(cases(), seeds)
def test_output_matches_oracle(case: Case, seed: int) -> None:
    """output() has shape output_shape and evaluates to the oracle, bias included."""
    conv = case.conv()
    values = random_values(conv, case, seed)
    output = conv.output()
    assert tuple(output.shape) == case.output_shape
    expected = oracle_conv(values.x, values.w, values.b, case)
    np.testing.assert_array_equal(
        numeric_output(conv, values.mapping), expected.reshape(output.shape)
    )


@MANY
@given(cases(), seeds, st.data())
def test_output_element_matches_oracle(case: Case, seed: int, data) -> None:
    """output_element(index) for random (also negative) tuple indices, and a bare int
    on 1-D outputs, evaluates to the oracle's element at that (numpy) index."""
    conv = case.conv()
    values = random_values(conv, case, seed)
    expected = oracle_conv(values.x, values.w, values.b, case).reshape(case.output_shape)
    for _ in range(3):
        index = output_index(case, data)
        assert evaluate(conv.output_element(index), values.mapping) == expected[index]
        if len(index) == 1:
            assert evaluate(conv.output_element(index[0]), values.mapping) == expected[index]


# --------------------------------------------------------------------------
# Structural facts
# --------------------------------------------------------------------------


@SETTINGS
@given(cases(), st.data())
def test_output_element_equals_output_and_matrix_row(case: Case, data) -> None:
    """output_element(i) == output()[i] structurally, and both equal the row of
    matrix() times the input symbols, plus the element's bias symbol."""
    conv = case.conv()
    output = conv.output()
    matrix = conv.matrix()
    inputs = flat(conv.input_symbols)
    biases = flat(conv.bias_symbols) if case.bias else []
    for _ in range(3):
        index = output_index(case, data)
        element = conv.output_element(index)
        assert element == output[index]
        positive = tuple(i % n for i, n in zip(index, case.output_shape, strict=True))
        row = int(np.ravel_multi_index(positive, case.output_shape))
        terms = [
            sympy.expand(entry * inputs[column])  # circular wrap may sum two weights
            for (r, column), entry in matrix.todok().items()
            if r == row
        ]
        if case.bias:
            channel = positive[0] if case.has_channels else 0
            terms.append(biases[channel] if case.shared else biases[row])
        assert element == sympy.Add(*terms)


@SETTINGS
@given(cases())
def test_shapes_and_counts(case: Case) -> None:
    """Shapes follow the contract, kernel/bias symbols are distinct, and
    weight_count counts them; dense_weight_count is prod(in) * prod(out)."""
    conv = case.conv()
    assert conv.input_shape == case.input_shape
    assert conv.filter_shape == case.filter_shape
    assert conv.output_shape == case.output_shape
    assert tuple(conv.kernel_symbols.shape) == case.kernel_symbols_shape
    kernels = flat(conv.kernel_symbols)
    biases = flat(conv.bias_symbols) if case.bias else []
    assert len(biases) == case.bias_count
    assert len(set(kernels) | set(biases)) == len(kernels) + len(biases)
    assert conv.weight_count == len(kernels) + len(biases)
    assert conv.dense_weight_count == math.prod(case.input_shape) * math.prod(case.output_shape)
    assert set(flat(conv.input_symbols)).isdisjoint(kernels + biases)


def test_worksheet_examples() -> None:
    """The contract's worked examples, each count derived from the layer's own parts:
    Conv(9, 3) output 0, the unshared layer's distinct kernel symbols, and the 2-D
    layer's weights with and without bias."""
    x1, x2, x3, k1, k2, k3 = sympy.symbols("x_1 x_2 x_3 k_1 k_2 k_3")
    assert Conv(9, 3).output_element(0) == k1 * x1 + k2 * x2 + k3 * x3
    conv = Conv(9, 3, shared=False)
    windows = oracle_output_length(9, 3, 1, 1, (0, 0))
    assert len(conv.matrix().free_symbols) == windows * 3 == conv.weight_count
    layer = dict(stride=2, in_channels=3, out_channels=32)
    filters, per_filter = 32, 3 * 5 * 5
    assert Conv((256, 256), 5, **layer).weight_count == filters * per_filter
    assert Conv((256, 256), 5, bias=True, **layer).weight_count == filters * (per_filter + 1)


@SETTINGS
@given(cases(paddings=("valid",), shared=False, circular=False))
def test_unshared_valid_uses_every_weight_once(case: Case) -> None:
    """With valid padding and shared=False every window lies inside the input, so
    the matrix holds prod(output) * prod(K) * C_in * C_out distinct kernel symbols
    (output_size * K in 1-D), each exactly once, and they are all of kernel_symbols."""
    conv = case.conv()
    entries = list(conv.matrix().todok().values())
    expected = math.prod(case.spatial_out) * math.prod(case.kernel) * case.c_in * case.c_out
    assert all(entry.is_Symbol for entry in entries)
    assert len(entries) == len(set(entries)) == expected
    assert set(entries) == set(flat(conv.kernel_symbols))


# --------------------------------------------------------------------------
# Agreement with SciPy and NumPy
# --------------------------------------------------------------------------


@MANY
@given(sizes_and_kernel(ndim=1, max_size=10), st.sampled_from(NAMED_PADDINGS), seeds)
def test_flip_1d_matches_scipy_convolution_matrix(sizes_kernel, mode: str, seed: int) -> None:
    """flip=True in 1-D: matrix() with the kernel substituted is
    scipy.linalg.convolution_matrix(kernel, n, mode), and M @ x is numpy.convolve."""
    (n,), (K,) = sizes_kernel
    rng = np.random.default_rng(seed)
    kernel = rng.integers(-5, 6, size=K)
    conv = Conv(n, K, padding=mode, flip=True)
    got = numeric_matrix(conv.matrix(), assign(conv.kernel_symbols, kernel))
    np.testing.assert_array_equal(got, scipy.linalg.convolution_matrix(kernel, n, mode))
    x = rng.integers(-5, 6, size=n)
    np.testing.assert_array_equal(got @ x, np.convolve(kernel, x, mode))


@SETTINGS
@given(sizes_and_kernel(ndim=2, max_size=6), st.sampled_from(NAMED_PADDINGS), seeds)
def test_flip_2d_matches_scipy_convolve(sizes_kernel, mode: str, seed: int) -> None:
    """flip=True in 2-D: output() equals scipy.signal.convolve(x, k, mode) for
    full/same/valid, even kernels included (their extra zero goes before)."""
    sizes, kernel = sizes_kernel
    conv = Conv(sizes, kernel, padding=mode, flip=True)
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=sizes)
    k = rng.integers(-5, 6, size=kernel)
    got = numeric_output(conv, {**assign(conv.input_symbols, x), **assign(conv.kernel_symbols, k)})
    np.testing.assert_array_equal(got, scipy.signal.convolve(x, k, mode=mode, method="direct"))


@MANY
@given(
    sizes_and_kernel(ndim=1, max_size=10) | sizes_and_kernel(ndim=2, max_size=6),
    st.sampled_from(["valid", "same"]),
    seeds,
)
def test_correlation_matches_scipy_correlate(sizes_kernel, mode: str, seed: int) -> None:
    """Default (flip=False) valid/same equal scipy.signal.correlate in 1-D and 2-D.

    For odd kernels the two agree everywhere. For an even kernel in "same" mode
    SciPy puts the extra zero before (pads ceil((K-1)/2) first) while symconv,
    like TensorFlow and PyTorch, puts it after; so along each such axis symconv's
    element o is SciPy's element o + 1, and only that overlap is compared.
    """
    sizes, kernel = sizes_kernel
    conv = Conv(sizes if len(sizes) > 1 else sizes[0], kernel, padding=mode)
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=sizes)
    k = rng.integers(-5, 6, size=kernel)
    got = numeric_output(conv, {**assign(conv.input_symbols, x), **assign(conv.kernel_symbols, k)})
    expected = scipy.signal.correlate(x, k, mode=mode, method="direct")
    assert got.shape == expected.shape
    if mode == "same":
        even = [K % 2 == 0 for K in kernel]
        got = got[tuple(slice(0, -1) if e else slice(None) for e in even)]
        expected = expected[tuple(slice(1, None) if e else slice(None) for e in even)]
    np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------
# output_size
# --------------------------------------------------------------------------


@st.composite
def axis_specs(draw):
    """(W, K, stride, padding, dilation) of one valid axis; padding an int, a pair or a name."""
    W = draw(st.integers(1, 30))
    stride, dilation = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    amount = st.integers(0, 6)
    padding = draw(amount | st.tuples(amount, amount) | st.sampled_from(NAMED_PADDINGS))
    fitting = [
        k for k in range(1, 12) if _kernel_fits(padding, W, k, stride, dilation, False, False)
    ]
    return W, draw(st.sampled_from(fitting)), stride, padding, dilation


@MANY
@given(axis_specs())
def test_output_size_ints_match_oracle(spec) -> None:
    """output_size(W, K, stride=, padding=, dilation=) with ints is the oracle's
    window count (ceil(W/s) for "same") and Conv's output length."""
    W, K, stride, padding, dilation = spec
    pads = oracle_axis_padding(padding, W, K, stride, dilation, flip=False)
    expected = oracle_output_length(W, K, stride, dilation, pads)
    if padding == "same":
        assert expected == -(-W // stride)
    got = symconv.output_size(W, K, stride=stride, padding=padding, dilation=dilation)
    assert type(got) is int and got == expected
    conv_padding = (padding,) if isinstance(padding, tuple) else padding
    assert Conv(W, K, stride=stride, padding=conv_padding, dilation=dilation).output_shape == (
        expected,
    )


W_, K_, S_, D_ = sympy.symbols("W K s d", integer=True, positive=True)
P_, PB_, PA_ = sympy.symbols("p p_b p_a", integer=True, nonnegative=True)


@MANY
@given(axis_specs(), st.data())
def test_output_size_symbolic_formula_matches_ints(spec, data) -> None:
    """Some of W, K, s, padding, d as SymPy Symbols: the formula, once the numbers
    are substituted, equals output_size of the plain ints."""
    W, K, stride, padding, dilation = spec
    expected = symconv.output_size(W, K, stride=stride, padding=padding, dilation=dilation)
    subs: dict[sympy.Symbol, int] = {}

    def maybe(symbol: sympy.Symbol, value: int, force: bool = False):
        if force or data.draw(st.booleans(), label=str(symbol)):
            subs[symbol] = value
            return symbol
        return value

    args = [maybe(W_, W), maybe(K_, K), maybe(S_, stride), maybe(D_, dilation)]
    if isinstance(padding, int):
        sym_padding: Any = maybe(P_, padding)
    elif isinstance(padding, tuple):
        sym_padding = (maybe(PB_, padding[0]), maybe(PA_, padding[1]))
    else:
        sym_padding = padding
    if not subs:  # at least one symbol
        args[0] = maybe(W_, W, force=True)
    formula = symconv.output_size(
        args[0], args[1], stride=args[2], padding=sym_padding, dilation=args[3]
    )
    assert isinstance(formula, sympy.Basic)
    assert formula.free_symbols <= set(subs)
    assert formula.subs(subs) == expected


def test_output_size_general_formula() -> None:
    """All symbols: floor((W + 2p - d(K - 1) - 1)/s) + 1, as in the contract."""
    formula = symconv.output_size(W_, K_, stride=S_, padding=P_, dilation=D_)
    expected = sympy.floor((W_ + 2 * P_ - D_ * (K_ - 1) - 1) / S_) + 1
    assert sympy.simplify(formula - expected) == 0


# --------------------------------------------------------------------------
# Invalid specs
# --------------------------------------------------------------------------


@SETTINGS
@given(st.integers(1, 8), st.integers(0, 3), st.integers(1, 3), st.integers(0, 3))
def test_kernel_larger_than_padded_input_raises(
    W: int, pad: int, dilation: int, extra: int
) -> None:
    """A window spanning more than the padded input raises SymconvError, in Conv and output_size."""
    K = -(-(W + 2 * pad) // dilation) + 1 + extra  # smallest K with span > W + 2*pad, and more
    assert span(K, dilation) > W + 2 * pad
    with pytest.raises(SymconvError):
        Conv(W, K, padding=pad, dilation=dilation)
    with pytest.raises(SymconvError):
        symconv.output_size(W, K, padding=pad, dilation=dilation)
    with pytest.raises(SymconvError):
        Conv((W, W), (1, K), padding=pad, dilation=dilation)


@SETTINGS
@given(st.integers(1, 6), st.integers(0, 6), st.data())
def test_circular_padding_beyond_input_raises(W: int, extra: int, data) -> None:
    """Circular padding wraps at most once: a side larger than the input raises."""
    big = W + 1 + extra
    small = data.draw(st.integers(0, W))
    with pytest.raises(SymconvError):
        Conv(W, 1, padding=((small, big),), padding_mode="circular")
    with pytest.raises(SymconvError):
        Conv(W, 1, padding=((big, small),), padding_mode="circular")
    Conv(W, 1, padding=((small, W),), padding_mode="circular")  # at most W is fine


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 5), {}),
        ((9, 3), {"stride": 0}),
        ((9, 3), {"dilation": 0}),
        ((-1, 3), {}),
        ((0, 1), {}),
        ((9, 0), {}),
        ((9, 3), {"padding": -1}),
        ((9, 3), {"padding": "bogus"}),
        ((9, 3), {"padding_mode": "reflect"}),
        (((4, 4), (2, 2, 2)), {}),
        (((4, 4), 2), {"stride": (1, 1, 1)}),
        (((4, 4), 2), {"padding": (1, 1, 1)}),
        ((9, 3), {"in_channels": 0}),
        ((4, 3), {"padding": "full", "dilation": 3, "padding_mode": "circular"}),
    ],
)
def test_invalid_conv_raises(args, kwargs) -> None:
    """Bad arguments raise SymconvError (a ValueError)."""
    with pytest.raises(SymconvError):
        Conv(*args, **kwargs)


@pytest.mark.parametrize("args, kwargs", [((9.5, 3), {}), ((9, 3), {"stride": 1.5})])
def test_wrong_types_raise(args, kwargs) -> None:
    """Non-integer sizes raise SymconvError or TypeError, never a SymPy error."""
    with pytest.raises((SymconvError, TypeError)):
        Conv(*args, **kwargs)


def test_output_size_invalid_raises() -> None:
    """output_size(3, 5) raises SymconvError, as the contract says."""
    with pytest.raises(SymconvError):
        symconv.output_size(3, 5)


@SETTINGS
@given(cases(), st.data())
def test_output_element_out_of_range_raises(case: Case, data) -> None:
    """An index outside output_shape on any axis raises IndexError."""
    conv = case.conv()
    axis = data.draw(st.integers(0, len(case.output_shape) - 1))
    index = list(output_index(case, data))
    n = case.output_shape[axis]
    index[axis] = data.draw(st.sampled_from([n, n + 3, -n - 1]))
    with pytest.raises(IndexError):
        conv.output_element(tuple(index))
